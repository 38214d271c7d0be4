//! The functional core: money, VAT, basket, receipt lines, references and the payment state
//! machine; staff roles and permissions, the refund plan, the report model and totals, batch
//! and reconciliation results. Nothing here does IO, reads a clock or draws a random number;
//! it imports nothing but `lang` (and `clock`'s pure formatting). Checked by
//! `tests/architecture.rs`.

pub mod api;
pub mod basket;
pub mod batch;
pub mod cash;
pub mod catalog;
pub mod money;
pub mod payment;
pub mod receipt;
pub mod reconcile;
pub mod reference;
pub mod refund;
pub mod report;
pub mod returns;
pub mod staff;
pub mod vat;
