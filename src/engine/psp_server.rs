//! The PSP `makePaymentUrl` endpoint kasse serves (Vipps PSP API v3, §7.3).
//!
//! Vipps `POST`s a [`MakePaymentRequest`] with `Authorization: <makePaymentToken>` after the
//! customer picked a card. We check the token in constant time, look the transaction up in the
//! journal (amount and reference never come from the request), hand the network token to the
//! [`Acquirer`], and answer `OK` (Vipps then marks it RESERVED) or `FAIL`. Wire types are the
//! shared `api::psp` ones.

use crate::domain::money::Money;
use crate::engine::acquirer::{Acquirer, AcquirerDecision, BoxFuture, NetworkToken};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::api::psp::{MakePaymentErrorMessage, MakePaymentState, MakePaymentStatus, PaymentInfo};
pub use crate::api::psp::{MakePaymentRequest, MakePaymentResponse};

/// What kasse knows about a PSP transaction (from the journal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PspPaymentInfo {
    pub reference: String,
    pub amount: Money,
}

/// The outcome of one makePayment call, for the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MakePaymentOutcome {
    Approved { authorization_code: String },
    Declined { error_id: String, text: String },
}

/// The journal side the server needs: find a transaction, record what the acquirer said.
pub trait PspBook: Send + Sync + 'static {
    fn lookup<'a>(&'a self, psp_transaction_id: &'a str) -> BoxFuture<'a, Option<PspPaymentInfo>>;
    fn record<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        outcome: MakePaymentOutcome,
    ) -> BoxFuture<'a, ()>;
}

/// Where the endpoint listens and how Vipps reaches it.
#[derive(Debug, Clone)]
pub struct PspServerConfig {
    /// Local bind address, e.g. `127.0.0.1:0` in tests.
    pub listen: SocketAddr,
    /// The URL Vipps calls (sent as `makePaymentUrl`). Its path is the route we serve.
    /// `None` = `http://{bound address}{DEFAULT_PATH}` (demo/tests).
    pub public_url: Option<String>,
    /// Sent as `makePaymentToken`, checked on every call.
    pub token: SecretString,
}

pub const DEFAULT_PATH: &str = "/psp/v3/makepayment";

#[derive(Clone)]
struct ServerState {
    token: SecretString,
    merchant_serial_number: String,
    acquirer: Arc<dyn Acquirer>,
    book: Arc<dyn PspBook>,
}

/// A running makePayment server.
#[derive(Debug)]
pub struct PspServer {
    public_url: String,
    local_addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl PspServer {
    /// The URL to send as `makePaymentUrl`.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for PspServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum PspServerError {
    #[error(
        "cannot listen on {addr} for the PSP makePaymentUrl endpoint: {source}; set psp.make_payment_listen to a free address"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "psp.make_payment_public_url {0:?} must start with http:// or https:// and contain a path"
    )]
    BadUrl(String),
}

impl PspServerError {
    /// The message in both languages, naming the config key to change.
    pub fn text(&self) -> crate::lang::Text {
        match self {
            PspServerError::Bind { addr, source } => crate::lang::Text::new(
                format!(
                    "kan ikke lytte på {addr} for PSP-endepunktet makePaymentUrl: {source}; sett psp.make_payment_listen til en ledig adresse"
                ),
                self.to_string(),
            ),
            PspServerError::BadUrl(u) => crate::lang::Text::new(
                format!(
                    "psp.make_payment_public_url «{u}» må begynne med http:// eller https:// og ha en sti"
                ),
                self.to_string(),
            ),
        }
    }
}

/// The path part of a URL (`https://h:1/a/b?x` → `/a/b`).
fn url_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let slash = rest.find('/')?;
    let path = &rest[slash..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    (path.len() > 1).then(|| path.to_owned())
}

/// Bind and serve. `merchant_serial_number` is checked against the request's MSN.
pub async fn serve(
    cfg: PspServerConfig,
    merchant_serial_number: String,
    acquirer: Arc<dyn Acquirer>,
    book: Arc<dyn PspBook>,
) -> Result<PspServer, PspServerError> {
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| PspServerError::Bind {
            addr: cfg.listen,
            source,
        })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| PspServerError::Bind {
            addr: cfg.listen,
            source,
        })?;
    let (public_url, path) = match cfg.public_url {
        Some(u) => {
            let p = url_path(&u).ok_or_else(|| PspServerError::BadUrl(u.clone()))?;
            (u, p)
        }
        None => (
            format!("http://{local_addr}{DEFAULT_PATH}"),
            DEFAULT_PATH.to_owned(),
        ),
    };
    let state = ServerState {
        token: cfg.token,
        merchant_serial_number,
        acquirer,
        book,
    };
    let app = axum::Router::new()
        .route(&path, post(make_payment))
        .with_state(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let r = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "PSP makePayment server stopped");
        }
    });
    tracing::info!(%local_addr, %public_url, "PSP makePaymentUrl endpoint listening");
    Ok(PspServer {
        public_url,
        local_addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Constant-time equality (length leaks, content does not).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn reply(status: StatusCode, body: MakePaymentResponse) -> Response {
    let json = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        json,
    )
        .into_response()
}

fn fail(psp_transaction_id: &str, error_id: &str, text: &str) -> MakePaymentResponse {
    MakePaymentResponse {
        error_message: Some(MakePaymentErrorMessage {
            error_id: Some(error_id.to_owned()),
            error_text: Some(text.to_owned()),
        }),
        payment_info: Some(PaymentInfo {
            psp_transaction_id: psp_transaction_id.to_owned(),
            status: MakePaymentStatus::Fail,
            url3d_secure: None,
        }),
    }
}

async fn make_payment(
    State(st): State<ServerState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !constant_time_eq(auth, st.token.expose_secret().as_bytes()) {
        tracing::warn!("makePayment call with a wrong or missing Authorization token");
        return reply(
            StatusCode::UNAUTHORIZED,
            fail("", "71", "invalid makePaymentToken"),
        );
    }
    let req: MakePaymentRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return reply(
                StatusCode::BAD_REQUEST,
                fail("", "71", &format!("invalid request: {e}")),
            );
        }
    };
    let id = req.psp_transaction_id.clone();
    if req.merchant_serial_number != st.merchant_serial_number {
        return reply(
            StatusCode::OK,
            fail(&id, "71", "merchantSerialNumber does not match this till"),
        );
    }
    if req.payment_state != MakePaymentState::Accepted {
        // TIMEOUT / USER_CANCEL: answer FAIL (error 93, status from Vipps).
        let state = serde_json::to_value(&req.payment_state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let outcome = MakePaymentOutcome::Declined {
            error_id: "93".into(),
            text: format!("paymentState {state}"),
        };
        st.book.record(&id, outcome).await;
        return reply(
            StatusCode::OK,
            fail(&id, "93", &format!("paymentState {state}")),
        );
    }
    let Some(info) = st.book.lookup(&id).await else {
        return reply(StatusCode::OK, fail(&id, "71", "unknown pspTransactionId"));
    };
    let t = req.network_token;
    let token = NetworkToken {
        number: t.number.expose().to_owned(),
        cryptogram: t.cryptogram.expose().to_owned(),
        expiry_month: t.expiry_month,
        expiry_year: t.expiry_year,
        token_type: serde_json::to_value(&t.token_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        eci: t.eci,
    };
    let decision = st.acquirer.authorize(&id, info.amount, &token).await;
    tracing::info!(reference = %info.reference, psp_transaction_id = %id, ?decision, "makePayment");
    match decision {
        AcquirerDecision::Approved { authorization_code } => {
            st.book
                .record(&id, MakePaymentOutcome::Approved { authorization_code })
                .await;
            reply(
                StatusCode::OK,
                MakePaymentResponse {
                    error_message: None,
                    payment_info: Some(PaymentInfo {
                        psp_transaction_id: id,
                        status: MakePaymentStatus::Ok,
                        url3d_secure: None,
                    }),
                },
            )
        }
        AcquirerDecision::Declined { error_id, text } => {
            st.book
                .record(
                    &id,
                    MakePaymentOutcome::Declined {
                        error_id: error_id.clone(),
                        text: text.clone(),
                    },
                )
                .await;
            reply(StatusCode::OK, fail(&id, &error_id, &text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn path_of_url() {
        assert_eq!(
            url_path("https://till.example:8443/psp/mp?x=1").as_deref(),
            Some("/psp/mp")
        );
        assert_eq!(url_path("https://till.example"), None);
        assert_eq!(url_path("ftp://x/y"), None);
    }
}

#[cfg(test)]
mod server_tests {
    use super::*;
    use crate::engine::acquirer::SimulatedAcquirer;
    use std::sync::Mutex;

    struct Book {
        amount: Money,
        recorded: Mutex<Vec<MakePaymentOutcome>>,
    }

    impl PspBook for Book {
        fn lookup<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<PspPaymentInfo>> {
            Box::pin(async move {
                (id == "tx-1").then(|| PspPaymentInfo {
                    reference: "kasse-s1-t1-000001-a1".into(),
                    amount: self.amount,
                })
            })
        }
        fn record<'a>(&'a self, _id: &'a str, outcome: MakePaymentOutcome) -> BoxFuture<'a, ()> {
            Box::pin(async move {
                self.recorded.lock().unwrap().push(outcome);
            })
        }
    }

    async fn call(amount: i64, auth: &str, state: &str) -> (u16, serde_json::Value, usize) {
        let book = Arc::new(Book {
            amount: Money::nok(amount),
            recorded: Mutex::new(Vec::new()),
        });
        let server = serve(
            PspServerConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                public_url: None,
                token: SecretString::from("secret-token"),
            },
            "123456".into(),
            Arc::new(SimulatedAcquirer::new()),
            book.clone(),
        )
        .await
        .unwrap();
        let body = serde_json::json!({
            "pspTransactionId": "tx-1",
            "merchantSerialNumber": "123456",
            "paymentState": state,
            "binNumber": "492556",
            "operations": [],
            "paymentInstrument": "TOKEN",
            "networkToken": {"number": "5000000000000000001", "cryptogram": "abc",
                "expiryMonth": "03", "expiryYear": "2030", "tokenType": "VISA", "eci": "7"}
        });
        let r = reqwest::Client::new()
            .post(server.public_url())
            .header("Authorization", auth)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: serde_json::Value = r.json().await.unwrap();
        server.shutdown().await;
        let n = book.recorded.lock().unwrap().len();
        (status, v, n)
    }

    #[tokio::test]
    async fn approves_with_the_right_token() {
        let (s, v, n) = call(4990, "secret-token", "ACCEPTED").await;
        assert_eq!(s, 200);
        assert_eq!(v["paymentInfo"]["status"], "OK");
        assert_eq!(v["paymentInfo"]["pspTransactionId"], "tx-1");
        assert_eq!(n, 1);
    }

    #[tokio::test]
    async fn wrong_token_is_refused() {
        let (s, v, n) = call(4990, "secret-tokeX", "ACCEPTED").await;
        assert_eq!(s, 401);
        assert_eq!(v["paymentInfo"]["status"], "FAIL");
        assert_eq!(n, 0);
    }

    #[tokio::test]
    async fn declined_amount_fails_with_psp_error_id() {
        let (s, v, _) = call(4951, "secret-token", "ACCEPTED").await;
        assert_eq!(s, 200);
        assert_eq!(v["paymentInfo"]["status"], "FAIL");
        assert_eq!(v["errorMessage"]["errorId"], "89");
    }

    #[tokio::test]
    async fn timeout_state_answers_fail() {
        let (_, v, n) = call(4990, "secret-token", "TIMEOUT").await;
        assert_eq!(v["paymentInfo"]["status"], "FAIL");
        assert_eq!(v["errorMessage"]["errorId"], "93");
        assert_eq!(n, 1);
    }
}
