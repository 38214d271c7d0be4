//! kasse — a terminal point-of-sale for Vipps MobilePay.
//!
//! The rooms (see `docs/ARCHITECTURE.md`; `tests/architecture.rs` checks the rules):
//!
//! - [`domain`]: pure money, VAT, basket, receipt lines, the payment state machine, refund plan,
//!   report model, roles, catalogue index. Imports only [`lang`].
//! - [`wire`]: the request/response/error bodies of every Vipps API (shared by `api` and `sim`).
//! - [`api`]: one client per Vipps API (Access Token, ePayment v1, eCom v2, PSP v3, Order
//!   Management), the retry classifier and the error catalogue.
//! - [`store`]: ALL SQL — the SQLite journal, outbox, staff, refunds, reports, print jobs and the
//!   signed fiscal journal.
//! - [`fiscal`]: signatures and the SAF-T Cash Register writer (pure).
//! - [`hq`]: headquarters: the journal feed replicated to PostgreSQL, HQ reports and checks —
//!   ALL PostgreSQL SQL (a deliberate second database room beside `store`).
//! - [`engine`]: checkout orchestration: providers, drivers, outbox worker, recovery.
//! - [`service`]: one flow per back-office use case (refund, report, batch, auth, SAF-T export).
//! - [`receipt`]: receipt model, layout, ESC/POS, printer queue, OM payloads, report renderers.
//! - [`tui`]: the cashier's screen (model / pure update / pure view), plain data only.
//! - [`display`]: the customer display web page (pure view + axum server with SSE).
//! - [`app`]: the till's shell: bootstrap, the screen loop, the command executor, paper.
//! - [`ops`]: the data directory's lock, file modes, backups and restore (shell).
//! - [`cli`]: every subcommand (`main.rs` parses and dispatches only).
//! - [`sim`]: the stateful Vipps simulator used by `--demo`, `kasse sim` and the tests.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod display;
pub mod domain;
pub mod engine;
pub mod fiscal;
pub mod hq;
pub mod lang;
pub mod ops;
pub mod receipt;
pub mod service;
pub mod sim;
pub mod store;
pub mod tui;
pub mod wire;
