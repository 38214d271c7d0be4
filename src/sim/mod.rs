//! The stateful Vipps simulator: `kasse sim`, `--demo` and the end-to-end tests.
//!
//! One axum [`router`] serves the Access Token, ePayment v1, eCom v2, PSP v3, Order
//! Management and Webhooks v1 paths with Vipps' own headers, bodies, error formats, idempotency
//! rules (scoped per MSN + operation + reference), rate limits (every call counts, as at the
//! gateway) and the 5 + 5 minute customer timeouts, plus `/sim/v1/*` control endpoints
//! (customer actions, clock, faults, ledger, webhook deliveries). Merchant and customer
//! conditions real Vipps refuses — push not enabled (5080 / 38), another currency than the sales
//! unit's (5040), a phone that cannot pay businesses (7010 / 81) — come from [`SimConfig`] and
//! the faults endpoint; ePayment events are POSTed, HMAC-signed, to registered webhooks. All state lives behind one `Arc<Mutex<_>>` that is never held
//! across an `.await`.
// Handlers return early with a ready-made `Response` in the API's own error format; boxing it
// everywhere would only add noise.
#![allow(clippy::result_large_err)]

mod clock;
mod conn;
mod customer;
mod ecom;
mod epayment;
mod errors;
mod faults;
mod http;
mod ledger;
mod order_management;
mod psp;
mod qr;
mod ratelimit;
mod routes;
mod state;
mod token;
mod webhooks;

use std::net::SocketAddr;
use std::time::Duration;

pub use clock::SimClock;
pub use faults::FaultConfig;
pub use ledger::{Ledger, LedgerOperation, LedgerOrder, LedgerPayment};
pub use routes::router;
pub use state::{Api, SimState};

/// Default test `client_id` accepted by the simulator.
pub const DEFAULT_CLIENT_ID: &str = "kasse-sim-client";
/// Default test `client_secret` accepted by the simulator.
pub const DEFAULT_CLIENT_SECRET: &str = "kasse-sim-secret";
/// Default test `Ocp-Apim-Subscription-Key` accepted by the simulator.
pub const DEFAULT_SUBSCRIPTION_KEY: &str = "kasse-sim-subscription-key";
/// Default Merchant Serial Number (allowed to push).
pub const DEFAULT_MSN: &str = "123456";

/// The documented default "not a Vipps user" set: a phone number (ePayment MSISDN such as
/// `4790000000`, or an eCom 8-digit number such as `90000000`) whose last six digits are all `0`.
/// No real test number and none of kasse's demo numbers (`4791234567`, …) look like that.
pub fn is_default_not_a_user(phone: &str) -> bool {
    phone.len() >= 8 && phone.bytes().all(|b| b.is_ascii_digit()) && phone.ends_with("000000")
}

impl SimConfig {
    /// The currency of a sales unit.
    pub fn currency_of(&self, msn: &str) -> &str {
        self.msn_currencies
            .iter()
            .find(|(m, _)| m == msn)
            .map_or(self.currency.as_str(), |(_, c)| c.as_str())
    }
}

/// Largest accepted `time_scale` (keeps simulated time far from overflow).
pub const MAX_TIME_SCALE: f64 = 1_000_000.0;

/// Simulator configuration. `Default` accepts the fixed test credentials above.
#[derive(Clone)]
pub struct SimConfig {
    pub client_id: String,
    pub client_secret: String,
    pub subscription_key: String,
    /// Sales units (MSNs) the credentials may act for.
    pub msns: Vec<String>,
    /// MSNs that are not allowed to send push (`PUSH_MESSAGE` → 5080, `skipLandingPage` → 38).
    pub no_push_msns: Vec<String>,
    /// Currency of every sales unit not named in `msn_currencies` (Vipps: one per sales unit).
    pub currency: String,
    /// Per-MSN currency overrides (`--currency 222222=DKK`). Other currencies get 5040.
    pub msn_currencies: Vec<(String, String)>,
    /// Phone numbers (as sent: ePayment MSISDN, eCom 8 digits) that are not Vipps users or
    /// cannot pay businesses (ePayment 7010, eCom 81).
    pub not_a_user: Vec<String>,
    /// Also treat the documented default set as "not a user": every number whose last six
    /// digits are `000000` (e.g. `4790000000`, `90000000`). See [`is_default_not_a_user`].
    pub default_not_a_user: bool,
    /// Simulated seconds per real second (1.0 = real time).
    pub time_scale: f64,
    /// Per-payment rate limits (429 + Retry-After).
    pub rate_limits: bool,
    /// Approve every waiting payment automatically after this much simulated time.
    pub auto_approve_after: Option<Duration>,
    /// Access token lifetime (simulated time). Vipps test: 1 h.
    pub token_ttl: Duration,
    /// Seed for the fault-injection RNG (deterministic tests).
    pub seed: u64,
    /// How often the background ticker evaluates expiry (real time).
    pub tick_interval: Duration,
    /// Timeout for the PSP `makePaymentUrl` call (Vipps: 15 s).
    pub make_payment_timeout: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            subscription_key: DEFAULT_SUBSCRIPTION_KEY.to_string(),
            msns: vec![DEFAULT_MSN.to_string()],
            no_push_msns: Vec::new(),
            currency: "NOK".to_string(),
            msn_currencies: Vec::new(),
            not_a_user: Vec::new(),
            default_not_a_user: true,
            time_scale: 1.0,
            rate_limits: true,
            auto_approve_after: None,
            token_ttl: Duration::from_secs(3600),
            seed: 0x5eed,
            tick_interval: Duration::from_millis(200),
            make_payment_timeout: Duration::from_secs(15),
        }
    }
}

impl std::fmt::Debug for SimConfig {
    // Secrets stay out of Debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("subscription_key", &"[redacted]")
            .field("msns", &self.msns)
            .field("no_push_msns", &self.no_push_msns)
            .field("currency", &self.currency)
            .field("msn_currencies", &self.msn_currencies)
            .field("not_a_user", &self.not_a_user)
            .field("default_not_a_user", &self.default_not_a_user)
            .field("time_scale", &self.time_scale)
            .field("rate_limits", &self.rate_limits)
            .field("auto_approve_after", &self.auto_approve_after)
            .field("token_ttl", &self.token_ttl)
            .field("seed", &self.seed)
            .finish()
    }
}

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("simulator: cannot read the listening address: {0}")]
    Addr(std::io::Error),
    #[error("simulator: cannot bind {addr}: {source}. Try another --port or --bind.")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("simulator: invalid configuration: {0}")]
    Config(String),
    #[error("simulator: server failed: {0}")]
    Serve(std::io::Error),
}

/// A running simulator.
pub struct SimHandle {
    addr: SocketAddr,
    state: SimState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), std::io::Error>>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (the bound address).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same data as `GET /sim/v1/ledger`.
    pub fn ledger(&self) -> Ledger {
        self.state.ledger()
    }

    /// The shared state (for in-process control: clock, customer actions).
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Graceful shutdown: stop accepting, finish in-flight requests, stop the ticker.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.ticker.abort();
        if let Some(server) = self.server.take() {
            match server.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(SimError::Serve(e)),
                Err(e) => tracing::warn!("simulator task ended abnormally: {e}"),
            }
        }
        Ok(())
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.ticker.abort();
    }
}

/// Serve the simulator on `listener` (bind `127.0.0.1:0` for a free port).
pub async fn serve(
    listener: tokio::net::TcpListener,
    cfg: SimConfig,
) -> Result<SimHandle, SimError> {
    if !(cfg.time_scale.is_finite() && cfg.time_scale > 0.0 && cfg.time_scale <= MAX_TIME_SCALE) {
        return Err(SimError::Config(format!(
            "time_scale must be a number above 0 and at most {MAX_TIME_SCALE}, got {}",
            cfg.time_scale
        )));
    }
    let addr = listener.local_addr().map_err(SimError::Addr)?;
    let tick = cfg.tick_interval;
    let state = SimState::new(cfg);
    state.set_base_url(format!("http://{addr}"));
    let app = router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let listener = conn::SimListener::new(listener);
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<conn::ConnHandle>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
        })
        .await
    });
    let ticker_state = state.clone();
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            ticker_state.tick().await;
        }
    });
    Ok(SimHandle {
        addr,
        state,
        shutdown: Some(tx),
        server: Some(server),
        ticker,
    })
}
