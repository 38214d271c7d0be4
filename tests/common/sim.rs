//! Shared helpers for the simulator tests: start `sim::serve` on 127.0.0.1:0 and talk to it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kasse::sim::{self, SimConfig, SimHandle};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

pub const MSN: &str = sim::DEFAULT_MSN;

/// A folder of the read-only reference material next to the checkout (`../shared/<sub>`):
/// `$env_var` when set, else `$KASSE_SHARED_DIR/<sub>`, else `<checkout>/../shared/<sub>`.
/// Missing: a failure under CI, a loud skip (`None`) elsewhere.
pub fn shared_dir(sub: &str, env_var: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var(env_var)
        .map(std::path::PathBuf::from)
        .or_else(|_| {
            std::env::var("KASSE_SHARED_DIR").map(|d| std::path::PathBuf::from(d).join(sub))
        })
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared")
                .join(sub)
        });
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing (set {env_var}); required under CI",
        dir.display()
    );
    eprintln!(
        "!! SKIPPED: {} is missing (set {env_var} to run this test)",
        dir.display()
    );
    None
}

pub struct Sim {
    pub handle: SimHandle,
    pub base: String,
    pub http: Client,
    pub token: String,
}

pub fn config() -> SimConfig {
    SimConfig {
        tick_interval: std::time::Duration::from_millis(20),
        ..SimConfig::default()
    }
}

pub async fn start() -> Sim {
    start_with(config()).await
}

pub async fn start_with(cfg: SimConfig) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = sim::serve(listener, cfg).await.unwrap();
    let base = handle.base_url();
    let http = Client::new();
    let token = fetch_token(&http, &base).await;
    Sim {
        handle,
        base,
        http,
        token,
    }
}

pub async fn fetch_token(http: &Client, base: &str) -> String {
    let r = http
        .post(format!("{base}/accesstoken/get"))
        .header("client_id", sim::DEFAULT_CLIENT_ID)
        .header("client_secret", sim::DEFAULT_CLIENT_SECRET)
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn auth(&self, rb: RequestBuilder) -> RequestBuilder {
        rb.bearer_auth(&self.token)
            .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
            .header("Merchant-Serial-Number", MSN)
            .header("Vipps-System-Name", "kasse-test")
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.auth(self.http.get(self.url(path)))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.auth(self.http.post(self.url(path)))
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.auth(self.http.put(self.url(path)))
    }

    /// ePayment create with an Idempotency-Key.
    pub async fn create(&self, key: &str, body: &Value) -> Response {
        self.post("/epayment/v1/payments")
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn ep_get(&self, reference: &str) -> Value {
        let r = self
            .get(&format!("/epayment/v1/payments/{reference}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn ep_modify(&self, reference: &str, op: &str, key: &str, body: Value) -> Response {
        self.post(&format!("/epayment/v1/payments/{reference}/{op}"))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn customer(&self, reference: &str, action: &str) -> Response {
        self.http
            .post(self.url(&format!("/sim/v1/customer/{reference}/{action}")))
            .send()
            .await
            .unwrap()
    }

    pub async fn advance(&self, seconds: u64) {
        let r = self
            .http
            .post(self.url("/sim/v1/clock/advance"))
            .json(&json!({"seconds": seconds}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    pub async fn ledger(&self) -> sim::Ledger {
        self.http
            .get(self.url("/sim/v1/ledger"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// A valid ePayment CreatePaymentRequest.
pub fn create_body(reference: &str, value: i64, flow: &str) -> Value {
    let mut b = json!({
        "amount": {"currency": "NOK", "value": value},
        "paymentMethod": {"type": "WALLET"},
        "reference": reference,
        "userFlow": flow,
        "customerInteraction": "CUSTOMER_PRESENT",
        "paymentDescription": "Kjøp i Butikken",
        "returnUrl": "https://example.com/return",
    });
    if flow == "PUSH_MESSAGE" {
        b["customer"] = json!({"phoneNumber": "4791234567"});
    }
    b
}

/// The numeric ePayment error code in `extraDetails`.
pub async fn ep_code(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let v: Value = r.json().await.unwrap();
    assert!(ct.contains("problem+json"), "content type {ct} for {v}");
    assert!(v["traceId"].is_string(), "traceId missing in {v}");
    let code = v["extraDetails"][0]["reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (status, code)
}

pub fn receipt(total: i64, ex: i64, tax: i64) -> Value {
    json!({
        "orderLines": [{
            "name": "Kaffe", "id": "kaffe-1",
            "totalAmount": total, "totalAmountExcludingTax": ex, "totalTaxAmount": tax,
            "taxRate": 2500,
            "unitInfo": {"unitPrice": total, "quantity": "1", "quantityUnit": "PCS"}
        }],
        "bottomLine": {"currency": "NOK", "posId": "pos_1", "receiptNumber": "000123"}
    })
}
