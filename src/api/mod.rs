//! The Vipps MobilePay API layer: typed, retry-safe clients for Access Token, ePayment v1,
//! eCom v2, PSP v3 and Order Management.
//!
//! Wire types live in the module of their API (`api::epayment::CreatePaymentRequest`, …) and
//! derive `Serialize + Deserialize` so the simulator reuses them for its server side.

pub mod wire;

pub mod access_token;
pub mod ecom;
pub mod epayment;
pub mod error;
pub mod order_management;
pub mod psp;

pub use wire::{NumOrString, WireSecret};
