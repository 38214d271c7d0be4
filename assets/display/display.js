// The customer display: one EventSource on /events (the browser reconnects on its own); each
// event is the whole customer view as JSON. Text goes in with textContent; only the QR SVG the
// till rendered is inserted as markup.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var token = params.get("t");
  var url = "events" + (token ? "?t=" + encodeURIComponent(token) : "");
  var $ = function (id) { return document.getElementById(id); };
  var lastQr = null;
  // Render times (for the latency bench and the browser test), the newest 500 kept.
  window.kasseLog = [];

  function text(id, s) {
    var el = $(id);
    if (el.textContent !== s) el.textContent = s;
  }

  function cell(cls, main, extra) {
    var td = document.createElement("td");
    td.className = cls;
    td.textContent = main;
    (extra || []).forEach(function (e) {
      if (!e[1]) return;
      var span = document.createElement("span");
      span.className = e[0];
      span.textContent = e[1];
      td.appendChild(span);
    });
    return td;
  }

  function render(v) {
    var body = document.body;
    document.documentElement.lang = v.lang === "en" ? "en" : "nb";
    body.dataset.phase = v.phase;
    body.dataset.result = v.result || "";
    body.classList.toggle("split", !!v.cash && v.phase !== "cash_change");
    text("shop", v.shop);
    text("idle-shop", v.shop);
    text("welcome", v.labels.welcome);
    text("headline", v.headline);
    text("message", v.message);
    text("countdown", v.countdown || "");
    text("total-label", v.labels.total);
    text("total", v.total);
    text("amount-label", v.labels.to_pay);
    text("amount", v.amount);
    text("received-label", v.labels.received);
    text("change-label", v.labels.change);
    text("received", v.cash ? v.cash.received : "");
    text("change", v.cash ? v.cash.change : "");
    var qr = v.qr_svg || null;
    if (qr !== lastQr) {
      $("qr").innerHTML = qr || "";
      $("qr").dataset.payload = v.qr || "";
      lastQr = qr;
    }
    var tbody = document.createElement("tbody");
    tbody.id = "lines";
    v.lines.forEach(function (l) {
      var tr = document.createElement("tr");
      if (l.is_return) tr.className = "ret";
      tr.appendChild(cell("qty", l.quantity));
      var unit = l.quantity_milli !== 1000 || l.quantity.indexOf(" ") < 0 ? l.unit_price : "";
      tr.appendChild(cell("name", l.name, [["unit", unit], ["disc", l.discount ? v.labels.discount + " " + l.discount : ""]]));
      tr.appendChild(cell("sum", l.total));
      tbody.appendChild(tr);
    });
    $("lines").replaceWith(tbody);
    var basket = $("basket");
    basket.scrollTop = basket.scrollHeight;
    window.kasseView = v;
    window.kasseLog.push({ total: v.total_minor, phase: v.phase, at: performance.timeOrigin + performance.now() });
    if (window.kasseLog.length > 500) window.kasseLog.shift();
  }

  function connect() {
    var es = new EventSource(url);
    es.onopen = function () {
      document.body.classList.remove("offline");
      text("conn", "");
    };
    es.onmessage = function (e) {
      try {
        render(JSON.parse(e.data));
      } catch (err) {
        text("conn", "!");
      }
    };
    es.onerror = function () {
      document.body.classList.add("offline");
      text("conn", "…");
    };
  }
  connect();
})();
