//! The cashier's screen: a ratatui app in the Elm shape (model / pure update / view), with all
//! IO in the shell ([`run`]).
//!
//! - [`msg`]: the boundary to the checkout engine (`Command` out, `AppEvent` in).
//! - [`app`]: the model and [`RunContext`]; [`update()`]: pure transitions;
//!   [`view::render`]: pure drawing.
//! - [`keymap`], [`theme`], [`strings`]: data-driven keys, colours and bilingual text.
//! - [`catalog`]: TOML/CSV product catalog loader.
//! - [`qr`]: terminal QR widget (Unicode half blocks).
//! - [`terminal`]: terminal guard and panic hook.

pub mod catalog;
pub mod keymap;
pub mod qr;
pub mod strings;
pub mod terminal;
pub mod theme;
