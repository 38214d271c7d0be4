//! The functional core: money, VAT, basket, receipt lines, references and the payment state
//! machine. Nothing here does IO, reads a clock or draws a random number.

pub mod basket;
pub mod catalog;
pub mod money;
pub mod payment;
pub mod receipt;
pub mod reference;
pub mod vat;
