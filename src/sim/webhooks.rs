//! Webhooks API v1 (`/webhooks/v1/webhooks`: register, list, delete) and delivery of ePayment
//! events to the registered URLs, signed as Vipps signs them.
//!
//! Delivery runs off the request path: one task per registration takes its events in order
//! (Vipps preserves order per registration, so a failing event blocks the later ones) and
//! retries with backoff. New ePayment events are picked up by the simulator's ticker.
//! `GET /sim/v1/webhooks` shows registrations (never secrets) and every delivery attempt.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::errors::{self, Flavor};
use super::http::{check_auth, header, json_body};
use super::state::{Api, Inner, SimState};
use crate::clock::rfc3339_millis;

/// The ePayment events a webhook can subscribe to (vipps-api.md §4.8).
pub const EPAYMENT_EVENTS: &[&str] = &[
    "epayments.payment.created.v1",
    "epayments.payment.aborted.v1",
    "epayments.payment.expired.v1",
    "epayments.payment.cancelled.v1",
    "epayments.payment.captured.v1",
    "epayments.payment.refunded.v1",
    "epayments.payment.authorized.v1",
    "epayments.payment.terminated.v1",
];

/// "At most 5 webhooks can currently be registered per event" (webhooks-v1.yaml, register).
pub const MAX_PER_EVENT: usize = 5;
/// Delivery attempts per event before the simulator gives up (Vipps retries for 7 days).
pub const MAX_ATTEMPTS: u32 = 8;
/// Delivery attempts kept for `GET /sim/v1/webhooks` (the older half is dropped beyond this).
pub const MAX_LOG: usize = 10_000;
/// Vipps waits 10 s for the receiver's answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One delivery attempt, as `GET /sim/v1/webhooks` shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub webhook_id: String,
    pub event: String,
    pub reference: String,
    pub attempt: u32,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delivered: bool,
}

struct Event {
    event: String,
    reference: String,
    body: Vec<u8>,
}

pub struct Registration {
    pub id: String,
    /// `None`: registered without Merchant-Serial-Number (partner), all sales units.
    pub msn: Option<String>,
    pub url: String,
    pub events: Vec<String>,
    tx: mpsc::UnboundedSender<Event>,
    alive: Arc<AtomicBool>,
}

impl std::fmt::Debug for Registration {
    // The secret is not even stored here; the worker task owns it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("id", &self.id)
            .field("msn", &self.msn)
            .field("url", &self.url)
            .field("events", &self.events)
            .finish()
    }
}

#[derive(Debug, Default)]
pub struct Registry {
    pub list: Vec<Registration>,
    /// Payment index → how many of its events were already handed to the registrations.
    cursors: HashMap<usize, usize>,
    log: Arc<Mutex<Vec<Delivery>>>,
}

impl Registry {
    pub fn deliveries(&self) -> Vec<Delivery> {
        match self.log.lock() {
            Ok(l) => l.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

impl Inner {
    /// Hand every ePayment event not yet sent to the registrations that subscribed to it.
    pub fn dispatch_webhooks(&mut self) {
        let Inner {
            payments, webhooks, ..
        } = self;
        if webhooks.list.is_empty() {
            return;
        }
        let Registry { list, cursors, .. } = webhooks;
        for (i, p) in payments.iter().enumerate() {
            if p.api != Api::Epayment {
                continue;
            }
            let sent = cursors.entry(i).or_insert(0);
            if *sent >= p.ops.len() {
                continue;
            }
            for op in &p.ops[*sent..] {
                let name = op.name(Api::Epayment);
                let event = format!("epayments.payment.{}.v1", name.to_ascii_lowercase());
                let mut body = json!({
                    "msn": p.msn,
                    "reference": p.reference,
                    "pspReference": op.psp_reference,
                    "name": name,
                    "amount": p.amount_json(op.amount),
                    "timestamp": rfc3339_millis(op.time),
                    "success": op.success,
                });
                if let Some(k) = &op.key {
                    body["idempotencyKey"] = json!(k);
                }
                let bytes = body.to_string().into_bytes();
                for r in list.iter() {
                    if r.msn.as_deref().is_none_or(|m| m == p.msn) && r.events.contains(&event) {
                        let _ = r.tx.send(Event {
                            event: event.clone(),
                            reference: p.reference.clone(),
                            body: bytes.clone(),
                        });
                    }
                }
            }
            *sent = p.ops.len();
        }
    }

    /// Events that happened before a registration are not sent to it.
    fn mark_all_sent(&mut self) {
        for (i, p) in self.payments.iter().enumerate() {
            self.webhooks.cursors.insert(i, p.ops.len());
        }
    }
}

/// The signature headers for one delivery, exactly as shared/docs/vipps-api.md §4.8 "Verify"
/// documents Vipps' webhook signing:
/// `x-ms-content-sha256` = base64(SHA-256(raw body)); `Authorization: HMAC-SHA256
/// SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64(HMAC-SHA256(secret,
/// "POST\n{pathAndQuery}\n{x-ms-date};{host};{x-ms-content-sha256}"))>`.
/// Returns `(x-ms-content-sha256, Authorization)`.
pub fn sign(
    secret: &str,
    path_and_query: &str,
    date: &str,
    host: &str,
    body: &[u8],
) -> Option<(String, String)> {
    let content_hash = STANDARD.encode(Sha256::digest(body));
    let to_sign = format!("POST\n{path_and_query}\n{date};{host};{content_hash}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(to_sign.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    Some((
        content_hash,
        format!(
            "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"
        ),
    ))
}

/// `host` and `pathAndQuery` of a receiver URL as the HTTP client sends them.
fn host_and_path(url: &reqwest::Url) -> Option<(String, String)> {
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str()?),
        None => url.host_str()?.to_string(),
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    Some((host, path))
}

async fn deliver_once(
    http: &reqwest::Client,
    url: &reqwest::Url,
    secret: &str,
    body: &[u8],
) -> Result<u16, String> {
    let (host, path) = host_and_path(url).ok_or("the URL has no host")?;
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let (hash, auth) = sign(secret, &path, &date, &host, body).ok_or("cannot sign")?;
    let resp = http
        .post(url.clone())
        .header("Content-Type", "application/json")
        .header("x-ms-date", &date)
        .header("x-ms-content-sha256", hash)
        .header("Authorization", auth)
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| format!("{e}"))?;
    Ok(resp.status().as_u16())
}

fn record(log: &Mutex<Vec<Delivery>>, entry: Delivery) {
    let mut l = match log.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    if l.len() >= MAX_LOG {
        l.drain(..MAX_LOG / 2);
    }
    l.push(entry);
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(5)))
}

async fn worker(
    mut rx: mpsc::UnboundedReceiver<Event>,
    url: reqwest::Url,
    secret: String,
    id: String,
    alive: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Delivery>>>,
) {
    let http = reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    while let Some(ev) = rx.recv().await {
        for attempt in 1..=MAX_ATTEMPTS {
            if !alive.load(Ordering::Relaxed) {
                return;
            }
            let result = deliver_once(&http, &url, &secret, &ev.body).await;
            let delivered = matches!(result, Ok(s) if (200..300).contains(&s));
            let entry = Delivery {
                webhook_id: id.clone(),
                event: ev.event.clone(),
                reference: ev.reference.clone(),
                attempt,
                status: result.as_ref().ok().copied(),
                error: result.err(),
                delivered,
            };
            record(&log, entry);
            if delivered {
                break;
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
    }
}

fn problem(field: &str, reason: impl Into<String>) -> Response {
    errors::webhooks(StatusCode::BAD_REQUEST, &[(field, reason.into())])
}

/// Auth plus the optional `Merchant-Serial-Number` (required for merchants, optional for
/// partners); a named MSN must be one of ours.
fn prelude(state: &SimState, headers: &HeaderMap) -> Result<Option<String>, Response> {
    check_auth(state, headers)?;
    let msn = header(headers, "Merchant-Serial-Number");
    if let Some(m) = &msn
        && !state.lock().msn_known(m)
    {
        return Err(errors::webhooks(
            StatusCode::FORBIDDEN,
            &[(
                "Merchant-Serial-Number",
                format!("The credentials are not valid for Merchant-Serial-Number {m}."),
            )],
        ));
    }
    Ok(msn)
}

fn url_ok(u: &reqwest::Url) -> bool {
    match u.scheme() {
        "https" => u.host_str().is_some(),
        // Vipps requires HTTPS; the simulator also takes plain http to a loopback receiver.
        "http" => {
            let h = u.host_str().unwrap_or("");
            let h = h.trim_start_matches('[').trim_end_matches(']');
            h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}

/// `POST /webhooks/v1/webhooks` → 201 `{id, secret}`.
pub async fn register(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let b = match json_body(Flavor::Webhooks, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => return problem("body", "A RegisterRequest body {url, events} is required."),
        Err(r) => return r,
    };
    let Some(obj) = b.as_object() else {
        return problem("body", "The body must be a JSON object {url, events}.");
    };
    if let Some(k) = obj.keys().find(|k| *k != "url" && *k != "events") {
        return problem(
            k,
            format!("Unknown property '{k}'; only url and events are allowed."),
        );
    }
    let raw = obj.get("url").and_then(Value::as_str).unwrap_or("");
    let url = match reqwest::Url::parse(raw) {
        Ok(u) if url_ok(&u) => u,
        _ => {
            return problem(
                "url",
                format!(
                    "url '{raw}' must be an absolute HTTPS URL (the simulator also takes http:// to 127.0.0.1 or localhost)."
                ),
            );
        }
    };
    let Some(list) = obj.get("events").and_then(Value::as_array) else {
        return problem(
            "events",
            "events is required: a list such as [\"epayments.payment.captured.v1\"].",
        );
    };
    let mut events = Vec::new();
    for e in list {
        match e.as_str() {
            Some(s) if EPAYMENT_EVENTS.contains(&s) => {
                if !events.iter().any(|x| x == s) {
                    events.push(s.to_string());
                }
            }
            _ => {
                return problem(
                    "events",
                    format!(
                        "Unknown event {e}; the simulator sends {}.",
                        EPAYMENT_EVENTS.join(", ")
                    ),
                );
            }
        }
    }
    if events.is_empty() {
        return problem("events", "events must name at least one event.");
    }
    let mut g = state.lock();
    for e in &events {
        let n = g
            .webhooks
            .list
            .iter()
            .filter(|r| r.msn == msn && r.events.contains(e))
            .count();
        if n >= MAX_PER_EVENT {
            return problem(
                "events",
                format!(
                    "At most {MAX_PER_EVENT} webhooks can be registered per event; {e} has {n}. Delete one first."
                ),
            );
        }
    }
    // Earlier events go to the earlier registrations only.
    g.dispatch_webhooks();
    g.mark_all_sent();
    let id = uuid::Uuid::new_v4().to_string();
    let secret = {
        use rand::RngCore as _;
        let mut b = [0u8; 32];
        rand::rng().fill_bytes(&mut b);
        STANDARD.encode(b)
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let alive = Arc::new(AtomicBool::new(true));
    tokio::spawn(worker(
        rx,
        url.clone(),
        secret.clone(),
        id.clone(),
        alive.clone(),
        g.webhooks.log.clone(),
    ));
    g.webhooks.list.push(Registration {
        id: id.clone(),
        msn,
        url: url.to_string(),
        events,
        tx,
        alive,
    });
    errors::json_response(StatusCode::CREATED, &json!({"id": id, "secret": secret}))
}

/// `GET /webhooks/v1/webhooks` → `{webhooks: [{id, url, events}]}` for this MSN.
pub async fn list(State(state): State<SimState>, headers: HeaderMap) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let g = state.lock();
    let hooks: Vec<Value> = g
        .webhooks
        .list
        .iter()
        .filter(|r| r.msn == msn)
        .map(|r| json!({"id": r.id, "url": r.url, "events": r.events}))
        .collect();
    errors::json_response(StatusCode::OK, &json!({"webhooks": hooks}))
}

/// `DELETE /webhooks/v1/webhooks/{id}` → 204; pending deliveries stop.
pub async fn delete(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut g = state.lock();
    let Some(i) = g
        .webhooks
        .list
        .iter()
        .position(|r| r.id == id && r.msn == msn)
    else {
        return errors::webhooks(
            StatusCode::NOT_FOUND,
            &[(
                "id",
                format!("No webhook with id '{id}' for this sales unit."),
            )],
        );
    };
    let r = g.webhooks.list.remove(i);
    r.alive.store(false, Ordering::Relaxed);
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /sim/v1/webhooks`: registrations (no secrets) and every delivery attempt.
pub async fn deliveries(State(state): State<SimState>) -> Response {
    let g = state.lock();
    let regs: Vec<Value> = g
        .webhooks
        .list
        .iter()
        .map(|r| json!({"id": r.id, "msn": r.msn, "url": r.url, "events": r.events}))
        .collect();
    errors::json_response(
        StatusCode::OK,
        &json!({"registrations": regs, "deliveries": g.webhooks.deliveries()}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_follows_the_documented_string() {
        let body = br#"{"msn":"123456","reference":"ref-1"}"#;
        let date = "Thu, 04 Dec 2026 16:00:00 GMT";
        let (hash, auth) = sign("s3cret", "/hook?x=1", date, "127.0.0.1:9000", body).unwrap();
        assert_eq!(hash, STANDARD.encode(Sha256::digest(body)));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(format!("POST\n/hook?x=1\n{date};127.0.0.1:9000;{hash}").as_bytes());
        let expected = STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(
            auth,
            format!(
                "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={expected}"
            )
        );
        let (_, other) = sign("other", "/hook?x=1", date, "127.0.0.1:9000", body).unwrap();
        assert_ne!(auth, other);
    }

    #[test]
    fn host_keeps_an_explicit_port_and_path_keeps_the_query() {
        let u = reqwest::Url::parse("http://127.0.0.1:8123/cb/x?a=b").unwrap();
        assert_eq!(
            host_and_path(&u).unwrap(),
            ("127.0.0.1:8123".to_string(), "/cb/x?a=b".to_string())
        );
        let u = reqwest::Url::parse("https://example.com/cb").unwrap();
        assert_eq!(
            host_and_path(&u).unwrap(),
            ("example.com".to_string(), "/cb".to_string())
        );
    }

    #[test]
    fn only_https_or_loopback_http() {
        for (u, ok) in [
            ("https://example.com/cb", true),
            ("http://127.0.0.1:9/cb", true),
            ("http://[::1]:9/cb", true),
            ("http://localhost/cb", true),
            ("http://example.com/cb", false),
            ("ftp://example.com/cb", false),
        ] {
            assert_eq!(url_ok(&reqwest::Url::parse(u).unwrap()), ok, "{u}");
        }
    }
}
