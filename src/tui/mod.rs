//! The cashier's screen: a ratatui app in the Elm shape (model / pure update / view), with all
//! IO in the shell (`app::screen::run`: terminal, input thread, tick, channels).
//!
//! - [`msg`]: the boundary to the checkout engine (`Command` out, `AppEvent` in).
//! - [`app`]: the model and [`RunContext`]; [`update()`]: pure transitions;
//!   [`view::render`]: pure drawing.
//! - [`keymap`], [`theme`], [`strings`]: data-driven keys, colours and bilingual text.
//! - [`catalog`]: TOML/CSV product catalog loader.
//! - [`qr`]: terminal QR widget (Unicode half blocks).
//! - [`terminal`]: terminal guard and panic hook.
//!
//! # Wiring (for `main` / the engine)
//!
//! ```no_run
//! use kasse::tui::{self, AppEvent, Command, EnvLabel, NetworkState, RunContext};
//! use std::sync::Arc;
//!
//! # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
//! let ctx = RunContext {
//!     environment: EnvLabel::Training,
//!     msn: "123456".into(),
//!     vipps_api: kasse::domain::money::VippsApi::Epayment,
//!     lang: kasse::lang::Lang::Nb,
//!     currency: kasse::domain::money::Currency::Nok,
//!     kiosk: None,
//!     catalog: tui::catalog::Catalog::demo()?, // or kasse::app::catalog::load(path)?
//!     keymap: tui::keymap::Keymap::default_keymap()?, // app::load_keymap reads a user file
//!     theme: tui::theme::Theme::default_theme()?,
//!     demo: true,
//!     clock: Arc::new(kasse::clock::SystemClock),
//!     utc_offset: time::UtcOffset::UTC, // main: current_local_offset() before the runtime
//!     tick: std::time::Duration::from_millis(250),
//!     manager_pins: false, // true once a manager exists in the staff journal
//!     login_required: false, // true once staff exist: the screen starts on the login screen
//!     rules: tui::ScreenRules::default(), // ui.max_quantity, staff.manager_pin_window_secs
//!     cashier: None,         // Some(..) to open already logged in (--demo)
//! };
//! let (cmd_tx, mut cmd_rx) = tokio::sync::mpsc::unbounded_channel::<Command>();
//! let (ev_tx, ev_rx) = tokio::sync::mpsc::unbounded_channel::<AppEvent>();
//! // The engine owns cmd_rx and ev_tx: it runs each Command off the UI task and reports
//! // back with AppEvent::Payment(PaymentView::from_payment(..)), Network, Outbox, ...
//! tokio::spawn(async move {
//!     let _ = ev_tx.send(AppEvent::Network(NetworkState::Online));
//!     while let Some(cmd) = cmd_rx.recv().await {
//!         if cmd == Command::Quit {
//!             break;
//!         }
//!     }
//! });
//! kasse::app::screen::run(ctx, cmd_tx, ev_rx).await?;
//! # Ok(())
//! # }
//! ```

pub mod app;
pub mod catalog;
pub mod keymap;
pub mod login;
pub mod msg;
pub mod park;
pub mod qr;
pub mod staff;
pub mod strings;
pub mod strings_staff;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod view_cash;
pub mod view_login;
pub mod view_park;
pub mod view_return;
pub mod view_staff;

pub use app::{App, EnvLabel, KioskSettings, RunContext, ScreenRules};
pub use msg::{
    AlertView, AppEvent, Cashier, Command, ManagerPermission, ManagerPin, Msg, NetworkState,
    NewCatalog, ParkedBasket, PayMethod, PaymentStatusView, PaymentView, RecoveredSale,
    SimCustomerAction, StaffRefundProgress, TillEvent,
};
pub use update::update;
pub use view::render;
