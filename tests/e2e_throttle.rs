//! 429 with `Retry-After` reaches the engine: after Vipps answers a payment read or a create
//! with 429 and `Retry-After: 3` (delta-seconds) or an HTTP-date 3 s ahead, kasse's next call
//! for that payment comes at least 3 s later — and the sale still ends paid, captured once.
//!
//! A small HTTP proxy sits between the engine and the in-process simulator. Armed for one
//! operation, it answers the next such call itself with 429 (without forwarding it), and it
//! records when every call for the payment arrived. The test first checks the 429 was sent
//! (the fault fired), then measures the gap to the next call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use e2e_support::*;
use kasse::clock::SystemClock;
use kasse::engine::{ApiKind, PayMethod, PaymentState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// `GET /epayment/v1/payments/{reference}` (the poll).
    Read,
    /// `POST /epayment/v1/payments` (the create).
    Create,
}

#[derive(Clone, Copy, Debug)]
enum RetryAfter {
    Seconds(u64),
    HttpDateIn(u64),
}

#[derive(Default)]
struct Log {
    /// Armed: answer the next matching call with 429 and this Retry-After.
    armed: Option<(Target, RetryAfter)>,
    /// When the 429 was sent (the fault fired).
    throttled_at: Option<Instant>,
    /// Every matching call that reached the proxy: (target, when).
    calls: Vec<(Target, Instant)>,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    client: reqwest::Client,
    log: Arc<Mutex<Log>>,
}

fn target_of(method: &Method, path: &str) -> Option<Target> {
    let rest = path.strip_prefix("/epayment/v1/payments")?;
    if method == Method::POST && rest.is_empty() {
        return Some(Target::Create);
    }
    if method == Method::GET && rest.starts_with('/') && rest[1..].split('/').count() == 1 {
        return Some(Target::Read);
    }
    None
}

fn http_date(at: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    at.to_offset(time::UtcOffset::UTC).format(&f).unwrap()
}

async fn forward(
    State(p): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    if let Some(t) = target_of(&method, &path) {
        let mut log = p.log.lock().unwrap();
        log.calls.push((t, Instant::now()));
        if let Some((armed, ra)) = log.armed
            && armed == t
        {
            log.armed = None;
            log.throttled_at = Some(Instant::now());
            let value = match ra {
                RetryAfter::Seconds(s) => s.to_string(),
                RetryAfter::HttpDateIn(s) => http_date(
                    time::OffsetDateTime::now_utc() + time::Duration::seconds(s as i64 + 1),
                ),
            };
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", value), ("content-type", "application/problem+json".into())],
                r#"{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"rate limited","traceId":"proxy"}"#,
            )
                .into_response();
        }
    }
    let url = format!(
        "{}{}",
        p.upstream,
        uri.path_and_query().map(|q| q.as_str()).unwrap_or("/")
    );
    let mut rb = p.client.request(
        reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
        url,
    );
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            rb = rb.header(k.as_str(), v.as_bytes());
        }
    }
    let resp = rb.body(body.to_vec()).send().await.unwrap();
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let mut out = HeaderMap::new();
    for (k, v) in resp.headers() {
        if k != "content-length" && k != "transfer-encoding" {
            out.insert(
                axum::http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                axum::http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
    }
    let bytes = resp.bytes().await.unwrap();
    (status, out, bytes).into_response()
}

async fn start_proxy(upstream: String) -> (String, Arc<Mutex<Log>>) {
    let log = Arc::new(Mutex::new(Log::default()));
    let p = Proxy {
        upstream,
        client: reqwest::Client::new(),
        log: log.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(p);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    (format!("http://{addr}"), log)
}

/// Engine settings on the proxy: the HTTP layer does not sit out a 3 s Retry-After itself
/// (its longest wait is 50 ms), so the engine's own scheduling must honour it.
fn throttle_settings(base: &str) -> kasse::engine::build::ConnectSettings {
    let mut s = settings(base);
    s.engine.poll.retry_after_cap = time::Duration::seconds(10);
    s
}

async fn throttled_then_paid(target: Target, ra: RetryAfter) {
    let sim = start_sim(sim_config()).await;
    let (base, log) = start_proxy(sim.base_url()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_engine(
        throttle_settings(&base),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let mut rx = run.engine.subscribe();
    if target == Target::Create {
        log.lock().unwrap().armed = Some((Target::Create, ra));
    }
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, PayMethod::Qr))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    if target == Target::Read {
        log.lock().unwrap().armed = Some((Target::Read, ra));
    }
    customer(&sim, &w.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&run.engine_store()).await;

    let (fired, next) = {
        let log = log.lock().unwrap();
        let fired = log
            .throttled_at
            .expect("the proxy answered 429 (the fault fired)");
        let next = log
            .calls
            .iter()
            .map(|(_, at)| *at)
            .filter(|at| *at > fired)
            .min()
            .expect("a call after the 429");
        (fired, next)
    };
    let gap = next - fired;
    assert!(
        gap >= Duration::from_millis(2950),
        "next call {gap:?} after a 429 with Retry-After {ra:?}"
    );

    // Still one payment, captured once: the 429 cost time, not money.
    let p = ledger_payment(&sim.ledger(), &paid.reference);
    assert_eq!(ops(&p, "CREATED"), 1, "{p:?}");
    assert_eq!(ops(&p, "CAPTURED"), 1, "{p:?}");
    assert_eq!(p.captured, 4990);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_429_retry_after_seconds_delays_the_next_read() {
    throttled_then_paid(Target::Read, RetryAfter::Seconds(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_429_retry_after_http_date_delays_the_next_read() {
    throttled_then_paid(Target::Read, RetryAfter::HttpDateIn(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_429_retry_after_delays_the_next_call() {
    throttled_then_paid(Target::Create, RetryAfter::Seconds(3)).await;
}
