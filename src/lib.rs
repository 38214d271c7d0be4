//! kasse — a terminal point-of-sale for Vipps MobilePay.
//!
//! Layering (each layer only uses the ones above it):
//!
//! - [`domain`]: pure money, VAT, basket, receipt lines and the payment state machine. No IO.
//! - [`api`]: one module per Vipps API (Access Token, ePayment v1, eCom v2, PSP v3,
//!   Order Management), the retry classifier and the error catalogue.
//! - [`store`]: the SQLite journal and durable outbox.
//! - [`engine`]: checkout orchestration: provider interface, poller, outbox worker, recovery.
//! - [`tui`]: the cashier's screen (model / update / view), pure update, IO in the shell.
//! - [`ops`]: the data directory's lock, file modes, backups and restore (shell).
//! - [`sim`]: the stateful Vipps simulator used by `--demo`, `kasse sim` and the tests.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod engine;
pub mod fiscal;
pub mod lang;
pub mod ops;
pub mod receipt;
pub mod sim;
pub mod staff;
pub mod store;
pub mod tui;
