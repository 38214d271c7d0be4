//! Checkout orchestration: the provider interface over ePayment / eCom / PSP, the per-payment
//! driver, the durable outbox worker, recovery on start, offline handling, the PSP
//! `makePaymentUrl` server and the headless commands.

pub mod acquirer;
pub mod backoff;
pub mod build;
mod core;
pub mod doctor;
mod driver;
pub mod events;
pub mod headless;
pub mod headless_fmt;
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
    ApiKind, EngineEvent, NetworkState, PaymentSnapshot, PaymentState, RecoveredSale,
};
