//! The imperative shell that ties the pieces together for the binary: config → data dir →
//! journal → (simulator in `--demo`) → engine → screen or headless command.
//!
//! Everything here is wiring; the decisions live in `domain`, `engine` and `tui`.

use crate::lang::Text;
use std::path::PathBuf;

pub mod catalog;
pub mod catalog_store;
mod staff;
mod staff_exec;
mod staff_return;
pub use staff::{
    StaffAccess, add_staff, create_first_manager, demo_login, list_staff, login_at_till,
    login_at_till_warned, open_staff, set_staff_active, verify_manager_pin, with_company,
};
pub use staff_exec::{EngineReader, REFUND_WAIT, execute_staff};

/// Options shared by every command.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    /// Run on the embedded simulator with a demo database (TRAINING).
    pub demo: bool,
    pub kiosk: bool,
}

/// Errors that stop the app before it runs, with a message for the operator.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{}", .0.en)]
    Message(Text),
}

impl AppError {
    pub fn text(&self) -> &Text {
        match self {
            AppError::Message(t) => t,
        }
    }
}

fn msg(nb: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::Message(Text::new(nb, en))
}

mod bootstrap;
mod emergency;
mod events;
mod exec;
mod paper;
pub mod parked;
mod receipts;
mod run;
pub mod screen;
mod settings;
mod ui_files;

pub use bootstrap::{Till, data_dir, init_logging, load_config, start_sim, start_till};
pub use events::{app_event, payment_view, status_view};
pub use exec::{customer_of, execute, execute_with_progress, parse_amount, parse_phone};
pub use paper::{
    PRINTER_RETRY, Paper, cashier_of, print_confirmed_refund, print_recovered,
    print_unprinted_cash, print_unprinted_refunds, spawn_refund_receipts,
};
pub use receipts::{
    basket_of, cash_return_sale, cash_sale_of, refund_sale, report_document, sale_of,
};
pub use run::run_tui;
pub use screen::TuiError;
pub use settings::{CUSTOMER_RETURN_URL, ECOM_CALLBACK_PREFIX, api_of, settings_from_config};
pub use ui_files::{load_keymap, load_theme};
