// Runs Vipps' own Postman collections (shared/postman) under newman against `kasse sim` and
// reports per call. Usage: node newman_run.cjs <node_modules dir> <postman dir> <simulator base URL>
//
// Requests are sent unchanged, in the collection's order, with the collection's own scripts.
// Requests that do not go to {{base_url}} (the webhooks collection fetches its token from a
// hard-coded https://apitest.vipps.no) or that target an API the simulator does not implement
// (QR, Userinfo, Recurring) are listed as SKIP and never sent.
// A call FAILS on a network error, a 5xx, an unknown path or method, a failing pm.test of the
// collection, or when a creating call (token, create, initiate, init, register) is not 2xx.
// A script of the collection that does not even parse is listed as BROKEN (not a failure of the
// simulator). A 4xx elsewhere passes: the collections are click-through sequences (e.g. capture after
// cancel) and real Vipps answers those with 4xx too; the status is printed.
"use strict";
const { createRequire } = require("node:module");
const fs = require("node:fs");
const path = require("node:path");

const [nodeModules, postmanDir, base] = process.argv.slice(2);
if (!nodeModules || !postmanDir || !base) {
  console.error("usage: node newman_run.cjs <node_modules dir> <postman dir> <simulator base URL>");
  process.exit(2);
}
const req = createRequire(path.join(path.resolve(nodeModules), "noop.js"));
const newman = req("newman");

const SIMULATED = ["/accesstoken/get", "/epayment/", "/ecomm/v2/", "/psp/v3/", "/order-management/", "/webhooks/v1/"];
const COLLECTIONS = [
  "epayment-v1.postman_collection.json",
  "ecom-v2.postman_collection.json",
  "psp-v3.postman_collection.json",
  "order-management.postman_collection.json",
  "webhooks.postman_collection.json",
];

function rawUrl(r) {
  return typeof r.url === "string" ? r.url : (r.url && r.url.raw) || "";
}

/** Drop (and list) requests that would leave the simulator or hit an API it does not have. */
function prune(items, skipped) {
  const out = [];
  for (const it of items) {
    if (it.item) {
      const children = prune(it.item, skipped);
      if (children.length) out.push({ ...it, item: children });
      continue;
    }
    const url = rawUrl(it.request);
    const lower = url.toLowerCase();
    if (!url.startsWith("{{base_url}}")) {
      skipped.push([it.name, `not sent: ${url} is outside the simulator`]);
    } else if (!SIMULATED.some((p) => lower.includes(p))) {
      skipped.push([it.name, `not sent: ${url.replace("{{base_url}}", "")} is an API the simulator does not implement`]);
    } else {
      out.push(it);
    }
  }
  return out;
}

async function token() {
  const r = await fetch(`${base}/accesstoken/get`, {
    method: "POST",
    headers: {
      client_id: "kasse-sim-client",
      client_secret: "kasse-sim-secret",
      "Ocp-Apim-Subscription-Key": "kasse-sim-subscription-key",
    },
  });
  return (await r.json()).access_token;
}

function environment(accessToken, stamp) {
  const v = {
    base_url: base,
    client_id: "kasse-sim-client",
    client_secret: "kasse-sim-secret",
    "Ocp-Apim-Subscription-Key": "kasse-sim-subscription-key",
    "Ocp-Apim-Subscription-Key-PSP": "kasse-sim-subscription-key",
    merchantSerialNumber: "123456",
    msn: "123456",
    // the webhooks collection's own token request goes to apitest.vipps.no (skipped)
    access_token: accessToken,
    internationalMobileNumber: "4791234567",
    mobileNumber: "91234567",
    amount: "49900",
    currency: "NOK",
    callbackPrefix: "https://example.com/callbacks",
    callbackUrl: "https://example.com/vipps/webhooks",
    fallBack: "https://example.com/fallback",
    pspRedirectUrl: "https://psp.example.com/redirect",
    makePaymentUrl: "http://127.0.0.1:9/makepayment",
    makePaymentToken: "token-123",
    status: "CAPTURED",
    imageId: `newman-image-${stamp}`,
    "PSP-ID": "3f0a6a2e-6b38-4a0e-9a4b-newman000001",
    reference: `newman-ref-${stamp}`,
    orderId: `newman-order-${stamp}`,
    pspTransactionId: `newman-psp-${stamp}`,
    merchantOrderId: `newman-psporder-${stamp}`,
    idempotency_key: `newman-key-${stamp}`,
    shippingCost1: "100.0",
    shippingCost2: "200.0",
    shippingMethod1: "Posten",
    shippingMethod2: "Bring",
    consentRemovalPrefix: "https://example.com/consent",
    shippingDetailsPrefix: "https://example.com/shipping",
  };
  for (const k of ["transactionTextInitiate", "transactionTextCapture", "transactionTextCancel",
    "transactionTextRefund", "paymentTextInit", "paymentTextUpdate"]) v[k] = "Kjøp i butikk";
  for (const k of ["vipps_system_name", "vipps_system_version", "vipps_system_plugin_name",
    "vipps_system_plugin_version"]) v[k] = "kasse";
  return {
    id: "kasse-sim",
    name: "kasse sim",
    values: Object.entries(v).map(([key, value]) => ({ key, value, enabled: true })),
  };
}

function creating(method, url, name) {
  const u = url.toLowerCase();
  return (method === "POST" && (/\/epayment\/v1\/payments$/.test(u) || /\/ecomm\/v2\/payments\/?$/.test(u) ||
    u.endsWith("/psppayments/init") || /\/webhooks\/v1\/webhooks$/.test(u))) ||
    u.includes("/accesstoken/get") || name === "Register";
}

function run(file, env) {
  return new Promise((resolve) => {
    const collection = JSON.parse(fs.readFileSync(path.join(postmanDir, file), "utf8"));
    const skipped = [];
    collection.item = prune(collection.item, skipped);
    newman.run({ collection, environment: env, timeoutRequest: 10000, reporters: [] }, (err, summary) => {
      const rows = skipped.map(([name, why]) => ["SKIP", name, why]);
      if (err) {
        rows.push(["FAIL", "newman", String(err)]);
        return resolve(rows);
      }
      for (const ex of summary.run.executions) {
        const name = ex.item.name;
        const method = ex.request ? ex.request.method : "?";
        const url = ex.request ? ex.request.url.toString() : "?";
        const pathOnly = url.replace(base, "");
        const problems = [];
        let code = 0;
        let body = "";
        if (ex.requestError) problems.push(`request error: ${ex.requestError.message}`);
        if (ex.response) {
          code = ex.response.code;
          body = ex.response.stream ? ex.response.stream.toString("utf8") : "";
          if (code >= 500) problems.push(`server error ${code}: ${body.slice(0, 200)}`);
          if ((code === 404 && body.includes("Resource not found")) || code === 405)
            problems.push(`unknown path or method: ${body.slice(0, 200)}`);
          if (creating(method, pathOnly, name) && !(code >= 200 && code < 300))
            problems.push(`creating call answered ${code}: ${body.slice(0, 200)}`);
        }
        for (const a of ex.assertions || []) {
          if (a.error) problems.push(`pm.test "${a.assertion}" failed: ${a.error.message}`);
        }
        const tests = (ex.assertions || []).length;
        const detail = `${method} ${pathOnly.split("?")[0]} → ${code || "-"}${tests ? `, ${tests} pm.test` : ""}`;
        rows.push([problems.length ? "FAIL" : "PASS", name, problems.length ? `${detail}: ${problems.join("; ")}` : detail]);
      }
      for (const f of summary.run.failures || []) {
        if (!f.error || f.error.name === "AssertionError" || rows.some((r) => r[2].includes(f.error.message))) {
          continue;
        }
        const where = (f.source && f.source.name) || "script";
        if (f.error.name === "SyntaxError") {
          // The collection's own script does not parse, whatever the server answered (the
          // webhooks collection's "Delete All" misses commas in its header object).
          rows.push(["BROKEN", where, `the collection's test script does not parse (${f.error.message}); not an answer of the simulator`]);
        } else {
          rows.push(["FAIL", where, `${f.error.name}: ${f.error.message}`]);
        }
      }
      resolve(rows);
    });
  });
}

(async () => {
  let pass = 0;
  let fail = 0;
  let skip = 0;
  let broken = 0;
  const accessToken = await token();
  for (const file of COLLECTIONS) {
    const stamp = Date.now();
    const rows = await run(file, environment(accessToken, stamp));
    const label = file.replace(".postman_collection.json", "");
    for (const [verdict, name, detail] of rows) {
      if (verdict === "PASS") pass++;
      else if (verdict === "FAIL") fail++;
      else if (verdict === "BROKEN") broken++;
      else skip++;
      console.log(`newman ${label.padEnd(17)} ${verdict}  ${name.padEnd(40)} ${detail}`);
    }
    if (!rows.some((r) => r[0] === "PASS")) {
      fail++;
      console.log(`newman ${label.padEnd(17)} FAIL  (no request of this collection passed)`);
    }
  }
  console.log(`newman: ${pass} passed, ${fail} failed, ${skip} skipped (not sent), ${broken} broken collection scripts`);
  process.exit(fail === 0 && pass > 0 ? 0 : 1);
})().catch((e) => {
  console.log(`newman: FAIL ${e && e.stack || e}`);
  process.exit(1);
});
