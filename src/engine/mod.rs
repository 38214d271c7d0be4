//! Checkout orchestration: the provider interface over ePayment / eCom / PSP, the per-payment
//! driver running the domain state machine, the durable outbox worker, recovery on start,
//! offline handling, the PSP `makePaymentUrl` server and the headless commands.

pub mod acquirer;
pub mod backoff;
pub mod psp_server;
pub mod qr;
