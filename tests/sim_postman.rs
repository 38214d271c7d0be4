#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Replays Vipps' official Postman collections (shared/postman) against the simulator: every
//! request for an API the simulator implements must be understood (no unknown path, no 5xx),
//! and the creating calls must succeed.

mod common;
use common::sim as sim_common;
use std::collections::HashMap;

use serde_json::Value;
use sim_common::*;

/// The collections folder (`KASSE_SHARED_DIR`/postman or ../shared/postman); `None`: skip
/// (fails under CI).
fn postman_dir() -> Option<std::path::PathBuf> {
    shared_dir("postman", "KASSE_POSTMAN_DIR")
}

fn collection(file: &str) -> Value {
    let dir = postman_dir().unwrap_or_else(|| panic!("collection {file} not found"));
    let text = std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("collection {file} not readable: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn requests(items: &Value, out: &mut Vec<(String, Value)>) {
    for it in items.as_array().unwrap() {
        if let Some(children) = it.get("item") {
            requests(children, out);
        } else if let Some(r) = it.get("request") {
            out.push((it["name"].as_str().unwrap_or("").to_string(), r.clone()));
        }
    }
}

fn substitute(text: &str, vars: &HashMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        let value = if name == "$guid" {
            uuid::Uuid::new_v4().to_string()
        } else {
            vars.get(name).cloned().unwrap_or_else(|| "x".to_string())
        };
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

const SUPPORTED: &[&str] = &[
    "/accesstoken/get",
    "/epayment/",
    "/ecomm/v2/payments",
    "/psp/v3/",
    "/order-management/",
];

async fn replay(file: &str) -> usize {
    let s = start_with(kasse::sim::SimConfig {
        rate_limits: false,
        ..config()
    })
    .await;
    let mut reqs = Vec::new();
    requests(&collection(file)["item"], &mut reqs);
    let mut vars: HashMap<&str, String> = HashMap::new();
    vars.insert("base_url", s.base.clone());
    vars.insert("client_id", kasse::sim::DEFAULT_CLIENT_ID.into());
    vars.insert("client_secret", kasse::sim::DEFAULT_CLIENT_SECRET.into());
    vars.insert(
        "Ocp-Apim-Subscription-Key",
        kasse::sim::DEFAULT_SUBSCRIPTION_KEY.into(),
    );
    vars.insert("merchantSerialNumber", MSN.into());
    vars.insert("msn", MSN.into());
    vars.insert("access_token", s.token.clone());
    vars.insert("internationalMobileNumber", "4712345678".into());
    vars.insert("mobileNumber", "12345678".into());
    vars.insert("amount", "49900".into());
    vars.insert("currency", "NOK".into());
    vars.insert("callbackPrefix", "https://example.com/callbacks".into());
    vars.insert("fallBack", "https://example.com/fallback".into());
    vars.insert("pspRedirectUrl", "https://psp.example.com/redirect".into());
    vars.insert("makePaymentUrl", "http://127.0.0.1:9/makepayment".into());
    vars.insert("makePaymentToken", "token-123".into());
    vars.insert("status", "CAPTURED".into());
    vars.insert("imageId", "postman-image-1".into());
    vars.insert(
        "Ocp-Apim-Subscription-Key-PSP",
        kasse::sim::DEFAULT_SUBSCRIPTION_KEY.into(),
    );
    vars.insert("PSP-ID", "3f0a6a2e-6b38-4a0e-9a4b-postman00001".into());
    vars.insert("shippingCost1", "100.0".into());
    vars.insert("shippingCost2", "200.0".into());
    vars.insert("shippingMethod1", "Posten".into());
    vars.insert("shippingMethod2", "Bring".into());
    vars.insert("consentRemovalPrefix", "https://example.com/consent".into());
    vars.insert(
        "shippingDetailsPrefix",
        "https://example.com/shipping".into(),
    );
    for k in [
        "transactionTextInitiate",
        "transactionTextCapture",
        "transactionTextCancel",
        "transactionTextRefund",
        "paymentTextInit",
        "paymentTextUpdate",
    ] {
        vars.insert(k, "Kjøp i butikk".into());
    }
    for k in [
        "vipps_system_name",
        "vipps_system_version",
        "vipps_system_plugin_name",
        "vipps_system_plugin_version",
    ] {
        vars.insert(k, "kasse".into());
    }
    let mut sent = 0;
    for (i, (name, r)) in reqs.iter().enumerate() {
        let raw_url = r["url"]
            .get("raw")
            .and_then(Value::as_str)
            .or_else(|| r["url"].as_str())
            .unwrap_or("");
        let lower = raw_url.to_ascii_lowercase();
        if !SUPPORTED.iter().any(|p| lower.contains(p)) {
            continue;
        }
        let method = r["method"].as_str().unwrap();
        let creating = (method == "POST"
            && (lower.ends_with("/epayment/v1/payments")
                || lower.ends_with("/ecomm/v2/payments/")
                || lower.ends_with("/psppayments/init")))
            || lower.contains("/accesstoken/get");
        if creating {
            // what the collections' pre-request scripts do: a fresh reference / orderId
            let id = format!("{MSN}{}{i}", 1_700_000_000_000u64);
            vars.insert("reference", id.clone());
            vars.insert("orderId", format!("postman-{id}"));
            vars.insert("pspTransactionId", format!("psp-{id}"));
            vars.insert("merchantOrderId", format!("psp-order-{id}"));
        }
        vars.insert("idempotency_key", uuid::Uuid::new_v4().to_string());
        if lower.contains("/capture") || lower.contains("/refund") {
            // the customer approves first, as a tester would in the app
            let _ = s.customer(&vars["reference"], "approve").await;
            let _ = s.customer(&vars["orderId"], "approve").await;
        }
        let url = substitute(raw_url, &vars);
        let mut rb = s.http.request(method.parse().unwrap(), &url);
        for h in r["header"].as_array().into_iter().flatten() {
            if h.get("disabled").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            rb = rb.header(
                h["key"].as_str().unwrap(),
                substitute(h["value"].as_str().unwrap_or(""), &vars),
            );
        }
        if let Some(body) = r.pointer("/body/raw").and_then(Value::as_str) {
            rb = rb.body(substitute(body, &vars));
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert!(status < 500, "{file} '{name}': {status} {text}");
        assert!(
            !text.contains("Resource not found"),
            "{file} '{name}': unknown path {url}"
        );
        if creating {
            assert!(
                (200..300).contains(&status),
                "{file} '{name}': {status} {text}"
            );
            // keep the landing-page token for force-approve requests, as the collections do
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let link = ["url", "redirectUrl", "vippsRedirectUrl"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str));
            if let Some(t) = link.and_then(|l| l.split("token=").nth(1)) {
                vars.insert(
                    "payment_token",
                    t.split('&').next().unwrap_or(t).to_string(),
                );
            }
        }
        sent += 1;
    }
    sent
}

#[tokio::test]
async fn epayment_collection() {
    if postman_dir().is_none() {
        return;
    }
    assert!(replay("epayment-v1.postman_collection.json").await >= 10);
}

#[tokio::test]
async fn ecom_collection() {
    if postman_dir().is_none() {
        return;
    }
    assert!(replay("ecom-v2.postman_collection.json").await >= 6);
}

#[tokio::test]
async fn psp_collection() {
    if postman_dir().is_none() {
        return;
    }
    assert!(replay("psp-v3.postman_collection.json").await >= 3);
}

#[tokio::test]
async fn order_management_collection() {
    if postman_dir().is_none() {
        return;
    }
    assert!(replay("order-management.postman_collection.json").await >= 5);
}
