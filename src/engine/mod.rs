//! Checkout orchestration: the provider interface over ePayment / eCom / PSP, the per-payment
//! driver, the durable outbox worker, recovery on start, offline handling, the PSP
//! `makePaymentUrl` server.
//!
//! - [`Engine`] (cheap `Clone`): [`Engine::start_payment`] writes the sale, reference and every
//!   idempotency key in one transaction and returns the payment id; a driver task runs
//!   `domain::payment::Payment` and publishes [`EngineEvent`]s ([`Engine::subscribe`]).
//! - [`build::connect`] wires the API facade, the providers, the PSP server and the engine and
//!   runs recovery; `app::settings_from_config` maps `config::Config` onto its settings.
//! - The commands that drive it (`kasse pay`, `kasse queue`, `kasse doctor`) live in `cli`.
//!
//! ```no_run
//! use kasse::clock::{RandomIds, SystemClock};
//! use kasse::app::{api_of, settings_from_config};
//! use kasse::cli::pay;
//! use kasse::engine::{acquirer::SimulatedAcquirer, build};
//! use std::sync::Arc;
//!
//! # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = kasse::config::Config::load(None)?;
//! let store = kasse::store::AsyncStore::open(std::path::Path::new("kasse.sqlite3")).await?;
//! let settings = settings_from_config(&cfg, &RandomIds)?;
//! let running = build::connect(
//!     settings,
//!     store,
//!     Arc::new(SystemClock),
//!     Arc::new(SimulatedAcquirer::new()),
//! )
//! .await?;
//! // running.recovered: the sales recovery brought back, for the first screen.
//! let mut events = running.engine.subscribe();
//! let args = pay::PayArgs {
//!     amount: "49,90".into(),
//!     phone: Some("91234567".into()),
//!     qr: false,
//!     api: api_of(cfg.vipps.api),
//!     description: None,
//!     json: false,
//!     currency: cfg.shop.currency,
//!     lang: cfg.ui.language,
//! };
//! let code = pay::pay(&running.engine, &args, &mut std::io::stdout()).await?;
//! # let _ = (code, events.try_recv());
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod acquirer;
pub mod backoff;
pub mod build;
mod cash;
mod core;
mod driver;
pub mod events;
pub mod network;
pub mod outbox_payload;
pub mod provider;
pub mod psp_server;
pub mod qr;
mod recovery;
pub mod vipps;
mod worker;

pub use core::{
    Backends, Engine, EngineConfig, EngineError, NewSaleRequest, PayMethod, Resolution,
    psp_transaction_id,
};
pub use events::{
    AlertKind, ApiKind, EngineEvent, NetworkState, PaymentSnapshot, PaymentState, RecoveredSale,
};
