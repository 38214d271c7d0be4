//! Command-line commands that are not the till itself (wiring from `main.rs`).

pub mod fiscal;
