//! The functional core: money, VAT, basket, receipt lines, references and the payment state
//! machine. Nothing here does IO, reads a clock or draws a random number.

pub mod money;
