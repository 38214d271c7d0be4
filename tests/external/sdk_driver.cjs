// Drives `kasse sim` with Vipps' official SDK (@vippsmobilepay/sdk 2.4, npm) and reports per call.
// Usage: node sdk_driver.cjs <node_modules dir> <simulator base URL>
// The SDK has no base-URL option (it always calls https://apitest.vipps.no in test mode), so
// global fetch is wrapped: requests to apitest.vipps.no go to the simulator, anything else
// fails loudly — which also proves the SDK needs no other network at run time.
"use strict";
const { createRequire } = require("node:module");
const http = require("node:http");
const crypto = require("node:crypto");
const path = require("node:path");

const [nodeModules, base] = process.argv.slice(2);
if (!nodeModules || !base) {
  console.error("usage: node sdk_driver.cjs <node_modules dir> <simulator base URL>");
  process.exit(2);
}
const req = createRequire(path.join(path.resolve(nodeModules), "noop.js"));
const { Client } = req("@vippsmobilepay/sdk");
const sdkVersion = JSON.parse(
  require("node:fs").readFileSync(path.join(nodeModules, "@vippsmobilepay/sdk/package.json"), "utf8")
).version;

const CLIENT_ID = "kasse-sim-client";
const CLIENT_SECRET = "kasse-sim-secret";
const SUBSCRIPTION_KEY = "kasse-sim-subscription-key";
const MSN = "123456";

const realFetch = globalThis.fetch;
const offHost = [];
globalThis.fetch = async (input, init) => {
  const r = input instanceof Request ? input : new Request(input, init);
  const u = new URL(r.url);
  if (u.origin !== "https://apitest.vipps.no") {
    offHost.push(r.url);
    throw new Error(`the SDK tried to reach ${r.url}, which is not the simulator`);
  }
  const body = ["GET", "HEAD"].includes(r.method) ? undefined : await r.arrayBuffer();
  return realFetch(base + u.pathname + u.search, { method: r.method, headers: r.headers, body });
};

let failures = 0;
let passes = 0;
function report(ok, name, detail) {
  if (ok) passes++;
  else failures++;
  console.log(`sdk ${sdkVersion}  ${ok ? "PASS" : "FAIL"}  ${name.padEnd(34)} ${detail}`);
}
function short(v) {
  const s = JSON.stringify(v);
  return s.length > 160 ? s.slice(0, 157) + "..." : s;
}
/** Run one SDK call; `check(data)` returns an error string or undefined; `describe(data)`
 * replaces the printed answer (secrets and tokens are never printed). */
async function call(name, fn, check, describe) {
  let res;
  try {
    res = await fn();
  } catch (e) {
    report(false, name, `threw: ${e}`);
    return undefined;
  }
  if (!res.ok) {
    report(false, name, `error: ${res.error instanceof Error ? res.error.message : short(res.error)}`);
    return undefined;
  }
  const problem = check ? check(res.data) : undefined;
  report(!problem, name, problem || (describe ? describe(res.data) : short(res.data)));
  return res.data;
}
async function sim(method, p, body) {
  const r = await realFetch(base + p, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

/** A local receiver that checks each delivery the way Vipps documents it. */
function startReceiver() {
  const received = [];
  const server = http.createServer((rq, rs) => {
    const chunks = [];
    rq.on("data", (c) => chunks.push(c));
    rq.on("end", () => {
      received.push({ url: rq.url, headers: rq.headers, body: Buffer.concat(chunks) });
      rs.writeHead(200).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, received, port: server.address().port }))
  );
}
/** HMAC-SHA256 over "POST\n{pathAndQuery}\n{x-ms-date};{host};{x-ms-content-sha256}". */
function verify(secret, d) {
  const hash = crypto.createHash("sha256").update(d.body).digest("base64");
  if (hash !== d.headers["x-ms-content-sha256"]) return "x-ms-content-sha256 does not match the body";
  const signed = `POST\n${d.url}\n${d.headers["x-ms-date"]};${d.headers["host"]};${hash}`;
  const sig = crypto.createHmac("sha256", secret).update(signed, "utf8").digest("base64");
  const expected = `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${sig}`;
  return d.headers["authorization"] === expected ? undefined : `bad Authorization: ${d.headers["authorization"]}`;
}

async function main() {
  const client = Client({
    merchantSerialNumber: MSN,
    subscriptionKey: SUBSCRIPTION_KEY,
    useTestMode: true,
    retryRequests: false,
    systemName: "kasse-external-test",
    systemVersion: "1.0",
  });
  const tok = await call("auth.getToken", () => client.auth.getToken(CLIENT_ID, CLIENT_SECRET), (d) =>
    typeof d.access_token === "string" && d.access_token.split(".").length === 3 && d.access_token.length >= 1000
      ? undefined
      : "access_token is not a 1000+ character JWT",
    (d) => `JWT of ${d.access_token.length} characters, expires_in ${d.expires_in}`
  );
  if (!tok) return;
  const token = tok.access_token;
  const stamp = Date.now();
  const amount = { currency: "NOK", value: 10000 };

  // One payment through its whole life.
  const ref = `sdk-${stamp}-a`;
  await call("payment.create", () =>
    client.payment.create(token, {
      amount,
      paymentMethod: { type: "WALLET" },
      customer: { phoneNumber: "4791234567" },
      reference: ref,
      userFlow: "PUSH_MESSAGE",
      paymentDescription: "SDK test",
    }), (d) => (d.reference === ref ? undefined : "reference not echoed"));
  await call("payment.info (CREATED)", () => client.payment.info(token, ref), (d) =>
    d.state === "CREATED" ? undefined : `state ${d.state}`);
  const appr = await sim("POST", `/sim/v1/customer/${ref}/approve`);
  report(appr.status === 200, "simulator customer approve", `HTTP ${appr.status}`);
  await call("payment.info (AUTHORIZED)", () => client.payment.info(token, ref), (d) =>
    d.state === "AUTHORIZED" ? undefined : `state ${d.state}`);
  await call("payment.capture", () =>
    client.payment.capture(token, ref, { modificationAmount: amount }), (d) =>
    d.aggregate && d.aggregate.capturedAmount.value === 10000 ? undefined : "capturedAmount is not 10000");
  await call("payment.refund", () =>
    client.payment.refund(token, ref, { modificationAmount: { currency: "NOK", value: 2500 } }), (d) =>
    d.aggregate && d.aggregate.refundedAmount.value === 2500 ? undefined : "refundedAmount is not 2500");
  await call("payment.history", () => client.payment.history(token, ref), (d) => {
    const names = (Array.isArray(d) ? d : []).map((e) => e.name).join(",");
    return names === "CREATED,AUTHORIZED,CAPTURED,REFUNDED" ? undefined : `events ${names}`;
  });

  // Test-only force approve, then cancel (releases the reservation).
  const ref2 = `sdk-${stamp}-b`;
  await call("payment.create (QR)", () =>
    client.payment.create(token, {
      amount, paymentMethod: { type: "WALLET" }, reference: ref2, userFlow: "QR",
    }), (d) => (d.redirectUrl ? undefined : "no redirectUrl for QR"));
  await call("payment.forceApprove", () =>
    client.payment.forceApprove(token, ref2, { customer: { phoneNumber: "4791234567" } }));
  await call("payment.cancel (AUTHORIZED)", () => client.payment.cancel(token, ref2), (d) =>
    d.aggregate && d.aggregate.cancelledAmount.value === 10000 ? undefined : "cancelledAmount is not 10000");

  // Cancel before the customer acts.
  const ref3 = `sdk-${stamp}-c`;
  await call("payment.create (WEB_REDIRECT)", () =>
    client.payment.create(token, {
      amount, paymentMethod: { type: "WALLET" }, reference: ref3, userFlow: "WEB_REDIRECT",
      returnUrl: "https://example.com/return",
    }));
  await call("payment.cancel (CREATED)", () => client.payment.cancel(token, ref3), (d) =>
    d.state === "TERMINATED" ? undefined : `state ${d.state}`);

  // Errors come back in the SDK's error shape.
  const bad = await client.payment.create(token, {
    amount, paymentMethod: { type: "WALLET" }, customer: { phoneNumber: "4790000000" },
    reference: `sdk-${stamp}-d`, userFlow: "PUSH_MESSAGE",
  });
  const badText = JSON.stringify(bad.error || {});
  report(!bad.ok && badText.includes("7010"), "payment.create (not a user)", bad.ok ? "accepted" : badText.slice(0, 160));

  // Webhooks: register, list, a signed delivery, delete.
  const rcv = await startReceiver();
  const hookUrl = `http://127.0.0.1:${rcv.port}/vipps/webhook?shop=1`;
  const reg = await call("webhook.register", () =>
    client.webhook.register(token, { url: hookUrl, events: ["epayments.payment.created.v1", "epayments.payment.captured.v1"] }),
    (d) => (d.id && d.secret ? undefined : "no id/secret"),
    (d) => `id ${d.id}, secret of ${d.secret.length} characters`);
  await call("webhook.list", () => client.webhook.list(token), (d) =>
    reg && d.webhooks && d.webhooks.some((w) => w.id === reg.id && w.url === hookUrl) ? undefined : "registration missing");
  if (reg) {
    const ref4 = `sdk-${stamp}-e`;
    await client.payment.create(token, {
      amount, paymentMethod: { type: "WALLET" }, reference: ref4, userFlow: "QR",
    });
    for (let i = 0; i < 100 && rcv.received.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    const d = rcv.received[0];
    if (!d) report(false, "webhook delivery", "nothing arrived in 5 s");
    else {
      const body = JSON.parse(d.body.toString("utf8"));
      const problem = verify(reg.secret, d) ||
        (body.reference === ref4 && body.name === "CREATED" ? undefined : `payload ${short(body)}`);
      report(!problem, "webhook delivery (signature)", problem || `${body.name} ${body.reference}, signature verified`);
    }
    await call("webhook.delete", () => client.webhook.delete(token, reg.id));
    await call("webhook.list (after delete)", () => client.webhook.list(token), (d) =>
      d.webhooks && !d.webhooks.some((w) => w.id === reg.id) ? undefined : "still listed");
  }
  rcv.server.close();
  report(offHost.length === 0, "no network beyond the simulator", offHost.length ? offHost.join(", ") : "none");
}

main()
  .catch((e) => report(false, "driver", String(e && e.stack || e)))
  .finally(() => {
    console.log(`sdk: ${passes} passed, ${failures} failed`);
    process.exit(failures === 0 && passes > 0 ? 0 : 1);
  });
