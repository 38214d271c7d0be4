//! The Vipps MobilePay API layer: typed, retry-safe clients for Access Token, ePayment v1,
//! eCom v2, PSP v3 and Order Management.
//!
//! - Wire types live in the module of their API (`api::epayment::CreatePaymentRequest`, …)
//!   and derive `Serialize + Deserialize` so the simulator reuses them for its server side.
//! - [`Vipps`] is the facade: `vipps.epayment().create(&req, &key)`, `vipps.ecom()…`,
//!   `vipps.psp()…`, `vipps.order_management()…`.
//! - Every failure is an [`error::ApiError`]; `outcome_unknown()` tells the engine it must read
//!   the payment back before deciding.
//! - Callers mint idempotency keys ([`IdempotencyKey`], [`RequestId`]); the client never does.

pub mod access_token;
pub mod ecom;
pub mod epayment;
pub mod error;
pub mod http;
pub mod order_management;
pub mod psp;
pub mod retry;
pub mod validate;

pub use crate::wire::{NumOrString, WireSecret};
pub use error::{Api, ApiError, ErrorKind};
pub use retry::{Decision, RetryPolicy, Timeouts};

use crate::clock::{Clock, SystemClock};
use access_token::TokenCache;
use retry::{Jitter, RandomJitter};
use secrecy::SecretString;
use std::fmt;
use std::sync::Arc;
use validate::ValidationError;

/// Production API host.
pub const PRODUCTION_BASE_URL: &str = "https://api.vipps.no";
/// Test ("MT") API host.
pub const TEST_BASE_URL: &str = "https://apitest.vipps.no";

/// `Vipps-System-*` headers (each ≤ 30 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemHeaders {
    pub name: String,
    pub version: String,
    pub plugin_name: String,
    pub plugin_version: String,
}

impl Default for SystemHeaders {
    fn default() -> SystemHeaders {
        SystemHeaders {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            plugin_name: env!("CARGO_PKG_NAME").to_owned(),
            plugin_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl SystemHeaders {
    /// Each value 1..=30 printable ASCII characters.
    pub fn check(&self) -> Result<(), String> {
        for (key, v) in [
            ("system_name", &self.name),
            ("system_version", &self.version),
            ("plugin_name", &self.plugin_name),
            ("plugin_version", &self.plugin_version),
        ] {
            if v.is_empty()
                || v.chars().count() > 30
                || !v.chars().all(|c| (' '..='~').contains(&c))
            {
                return Err(format!(
                    "{key} = {v:?}: Vipps-System headers must be 1–30 printable ASCII characters"
                ));
            }
        }
        Ok(())
    }
}

/// Everything the clients need.
#[derive(Clone)]
pub struct ApiSettings {
    pub base_url: String,
    pub msn: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub subscription_key: SecretString,
    pub psp_id: Option<String>,
    pub system: SystemHeaders,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
}

/// `client_id` is shown only by its first 4 characters; secrets never.
impl fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id: String = self.client_id.chars().take(4).collect();
        f.debug_struct("ApiSettings")
            .field("base_url", &self.base_url)
            .field("msn", &self.msn)
            .field("client_id", &format!("{id}…"))
            .field("client_secret", &"[redacted]")
            .field("subscription_key", &"[redacted]")
            .field("psp_id", &self.psp_id)
            .field("system", &self.system)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .finish()
    }
}

impl ApiSettings {
    /// Settings with default system headers, timeouts and retry policy.
    pub fn new(
        base_url: impl Into<String>,
        msn: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
        subscription_key: SecretString,
    ) -> ApiSettings {
        ApiSettings {
            base_url: base_url.into(),
            msn: msn.into(),
            client_id: client_id.into(),
            client_secret,
            subscription_key,
            psp_id: None,
            system: SystemHeaders::default(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// An `Idempotency-Key` (1..=50 visible ASCII characters), minted and persisted by the caller
/// before the call, reused on every retry and restart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(key: impl Into<String>) -> Result<IdempotencyKey, ValidationError> {
        let key = key.into();
        validate::idempotency_key(&key)?;
        Ok(IdempotencyKey(key))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An eCom `X-Request-Id` (1..=40 visible ASCII characters), minted by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    pub fn new(id: impl Into<String>) -> Result<RequestId, ValidationError> {
        let id = id.into();
        validate::request_id(&id)?;
        Ok(RequestId(id))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The facade over all Vipps APIs. Cheap to clone (`Arc` inside).
#[derive(Clone)]
pub struct Vipps {
    core: Arc<http::Core>,
}

impl fmt::Debug for Vipps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vipps")
            .field("settings", &self.core.settings)
            .finish()
    }
}

impl Vipps {
    /// Build with the system clock, random jitter and a fresh token cache. Fails (nothing is
    /// sent) on a refused base URL or bad system headers.
    pub fn new(settings: ApiSettings) -> Result<Vipps, ApiError> {
        Vipps::with_parts(
            settings,
            Arc::new(TokenCache::new()),
            Arc::new(SystemClock),
            Arc::new(RandomJitter),
        )
    }

    /// Build with injected token cache, clock (token expiry) and jitter (back-off).
    pub fn with_parts(
        settings: ApiSettings,
        tokens: Arc<TokenCache>,
        clock: Arc<dyn Clock>,
        jitter: Arc<dyn Jitter>,
    ) -> Result<Vipps, ApiError> {
        Ok(Vipps {
            core: Arc::new(http::Core::new(settings, tokens, clock, jitter)?),
        })
    }

    pub fn settings(&self) -> &ApiSettings {
        &self.core.settings
    }

    /// Get (or reuse) an access token: a credentials check for start-up.
    pub async fn check_credentials(&self) -> Result<(), ApiError> {
        self.core.tokens.get(&self.core, false).await.map(|_| ())
    }

    pub fn epayment(&self) -> epayment::EpaymentClient<'_> {
        epayment::EpaymentClient { core: &self.core }
    }
    pub fn ecom(&self) -> ecom::EcomClient<'_> {
        ecom::EcomClient { core: &self.core }
    }
    pub fn psp(&self) -> psp::PspClient<'_> {
        psp::PspClient { core: &self.core }
    }
    pub fn order_management(&self) -> order_management::OrderManagementClient<'_> {
        order_management::OrderManagementClient { core: &self.core }
    }
}
