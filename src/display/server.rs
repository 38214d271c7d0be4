//! The customer display's web server (shell): `GET /` the page, `GET /events` Server-Sent
//! Events with the whole [`CustomerView`] as JSON, the current one first. Read-only: nothing a
//! browser sends changes the till. A display on a non-loopback address needs the pairing token
//! (`?t=…`) on both routes; without it the answer is 403.

use crate::display::view::CustomerView;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::{ExposeSecret, SecretString};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

/// One published view and its JSON (serialised once, sent to every display).
#[derive(Debug, Clone)]
pub struct Published {
    pub view: CustomerView,
    pub json: Arc<str>,
}

impl Published {
    fn of(view: CustomerView) -> Published {
        let json = serde_json::to_string(&view).unwrap_or_else(|e| {
            tracing::error!(error = %e, "customer view not serialised");
            "{}".to_owned()
        });
        Published {
            view,
            json: json.into(),
        }
    }
}

/// The till's side of the display: publish a view after each model update. Displays get it
/// only when it changed.
#[derive(Debug, Clone)]
pub struct Publisher {
    tx: Arc<watch::Sender<Published>>,
}

impl Publisher {
    pub fn new(initial: CustomerView) -> Publisher {
        let (tx, _rx) = watch::channel(Published::of(initial));
        Publisher { tx: Arc::new(tx) }
    }

    /// Publish `view`; returns whether it differed from the last one (and was sent).
    pub fn publish(&self, view: CustomerView) -> bool {
        if self.tx.borrow().view == view {
            return false;
        }
        self.tx.send_replace(Published::of(view));
        true
    }

    pub fn subscribe(&self) -> watch::Receiver<Published> {
        self.tx.subscribe()
    }

    /// The last published view.
    pub fn current(&self) -> CustomerView {
        self.tx.borrow().view.clone()
    }
}

#[derive(Clone)]
struct AppState {
    rx: watch::Receiver<Published>,
    token: Option<Arc<SecretString>>,
    page: Arc<str>,
}

#[derive(Debug, serde::Deserialize)]
struct TokenQuery {
    t: Option<String>,
}

/// Equal without an early exit on the first different byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AppState {
    fn allowed(&self, q: &TokenQuery) -> bool {
        match &self.token {
            None => true,
            Some(t) => {
                q.t.as_deref()
                    .is_some_and(|given| same(given.as_bytes(), t.expose_secret().as_bytes()))
            }
        }
    }
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Kundeskjermen trenger paringskoden: åpne adressen fra `kasse display-url`.\n\
         The customer display needs the pairing token: open the address from `kasse display-url`.\n",
    )
        .into_response()
}

/// The page with its stylesheet and script inlined (one request, no external assets).
pub fn page() -> String {
    include_str!("../../assets/display/index.html")
        .replace(
            "/*KASSE_CSS*/",
            include_str!("../../assets/display/display.css"),
        )
        .replace(
            "/*KASSE_JS*/",
            include_str!("../../assets/display/display.js"),
        )
}

async fn index(State(s): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    if !s.allowed(&q) {
        return forbidden();
    }
    let mut r = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        s.page.to_string(),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

async fn events(State(s): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    if !s.allowed(&q) {
        return forbidden();
    }
    // The current view at once, then every change until the till stops.
    let stream = futures_util::stream::unfold((s.rx.clone(), true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let json = rx.borrow_and_update().json.clone();
        Some((
            Ok::<_, Infallible>(Event::default().data(json.as_ref())),
            (rx, false),
        ))
    });
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The router for a display fed by `rx`; `token` is required on every route when `Some`.
pub fn router(rx: watch::Receiver<Published>, token: Option<SecretString>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/events", get(events))
        .with_state(AppState {
            rx,
            token: token.map(Arc::new),
            page: page().into(),
        })
}

/// A running display server. Dropping it does not stop it; [`DisplayServer::stop`] does.
pub struct DisplayServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for DisplayServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DisplayServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl DisplayServer {
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Whether a `listen` address needs the pairing token (anything but loopback).
pub fn needs_token(addr: SocketAddr) -> bool {
    !addr.ip().is_loopback()
}

/// Serve the display on `listener`. A non-loopback listener without a token is refused.
pub fn serve(
    listener: tokio::net::TcpListener,
    publisher: &Publisher,
    token: Option<SecretString>,
) -> std::io::Result<DisplayServer> {
    let addr = listener.local_addr()?;
    if needs_token(addr) && token.is_none() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a customer display on a non-loopback address needs a pairing token",
        ));
    }
    let app = router(publisher.subscribe(), token);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "customer display server stopped");
        }
    });
    Ok(DisplayServer { addr, task })
}
