//! The cashier's screen: a ratatui app in the Elm shape (model / pure update / view), with all
//! IO in the shell ([`run`]).
//!
//! - [`msg`]: the boundary to the checkout engine (`Command` out, `AppEvent` in).
//! - [`app`]: the model and [`RunContext`]; [`update()`]: pure transitions;
//!   [`view::render`]: pure drawing; [`shell`]: terminal, input thread, tick, channels.
//! - [`keymap`], [`theme`], [`strings`]: data-driven keys, colours and bilingual text.
//! - [`catalog`]: TOML/CSV product catalog loader.
//! - [`qr`]: terminal QR widget (Unicode half blocks).
//! - [`terminal`]: terminal guard and panic hook.

pub mod app;
pub mod catalog;
pub mod keymap;
pub mod msg;
pub mod qr;
pub mod shell;
pub mod strings;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;

pub use app::{App, EnvLabel, KioskSettings, RunContext};
pub use msg::{
    AppEvent, Command, Msg, NetworkState, PayMethod, PaymentStatusView, PaymentView, RecoveredSale,
    SimCustomerAction,
};
pub use shell::{TuiError, run};
pub use update::update;
pub use view::render;
