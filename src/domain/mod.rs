//! The functional core: money, VAT, basket, receipt lines, references and the payment state
//! machine. Nothing here does IO, reads a clock or draws a random number.

pub mod api;
pub mod basket;
pub mod batch;
pub mod money;
pub mod payment;
pub mod receipt;
pub mod reconcile;
pub mod reference;
pub mod refund;
pub mod report;
pub mod staff;
pub mod vat;
