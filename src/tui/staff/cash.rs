//! The cash screen: the opening float (*vekselbeholdning*), a withdrawal (*uttak*) or a
//! deposit (*innskudd*) with its reason, and the count of the drawer before a Z. Amounts are
//! typed in kroner and checked here (the message names the field); the PIN prompt follows and
//! the shell records the movement (signed) and opens the drawer.
//!
//! The count is blind: the screen does not show the expected cash, so the cashier counts what
//! is there; the Z shows expected, counted and the difference.

use super::*;
use crate::domain::cash::{CashKind, check_reason, parse_amount, parse_counted};
use crate::tui::msg::CashDone;

/// Which field the input line edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CashField {
    #[default]
    Amount,
    Reason,
}

/// The cash screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CashUi {
    /// What is recorded; None: counting the drawer before the Z.
    pub kind: Option<CashKind>,
    pub field: CashField,
    pub amount: String,
    pub reason: String,
    /// The checked amount (minor units), once Enter accepted it.
    pub parsed: Option<i64>,
    /// The request sent to the shell.
    pub waiting: Option<u64>,
    /// Recorded (the drawer opens).
    pub done: Option<CashDone>,
    /// The count for the Z that is being taken (minor units).
    pub counted: Option<i64>,
}

impl CashUi {
    /// A withdrawal or a deposit asks for a reason.
    pub fn needs_reason(&self) -> bool {
        matches!(self.kind, Some(CashKind::Withdrawal | CashKind::Deposit))
    }
}

/// Open the cash screen for `kind` (None: the count before a Z).
pub fn open(app: &mut App, kind: Option<CashKind>) -> Vec<Command> {
    app.staff.cash = CashUi {
        kind,
        ..CashUi::default()
    };
    app.input.reset();
    app.screen = Screen::Cash;
    Vec::new()
}

/// The input line changed: keep the focused field in step.
pub fn on_edit(app: &mut App) {
    let value = app.input.value().to_owned();
    let c = &mut app.staff.cash;
    match c.field {
        CashField::Amount => c.amount = value,
        CashField::Reason => c.reason = value,
    }
}

fn focus(app: &mut App, field: CashField) {
    app.staff.cash.field = field;
    let value = match field {
        CashField::Amount => app.staff.cash.amount.clone(),
        CashField::Reason => app.staff.cash.reason.clone(),
    };
    set_input(app, &value);
}

/// Keys on the cash screen.
pub fn action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Cancel => {
            if app.staff.cash.waiting.is_none() {
                app.staff.cash = CashUi::default();
                back_to_menu(app);
            }
            Vec::new()
        }
        Action::NextField if app.staff.cash.needs_reason() && app.staff.cash.done.is_none() => {
            let next = match app.staff.cash.field {
                CashField::Amount => CashField::Reason,
                CashField::Reason => CashField::Amount,
            };
            focus(app, next);
            Vec::new()
        }
        Action::Submit => submit(app),
        _ => Vec::new(),
    }
}

fn submit(app: &mut App) -> Vec<Command> {
    if app.staff.cash.done.is_some() {
        app.staff.cash = CashUi::default();
        back_to_menu(app);
        return Vec::new();
    }
    if app.staff.cash.waiting.is_some() {
        fixed(app, St::err_busy);
        return Vec::new();
    }
    let currency = app.basket.currency();
    let c = &app.staff.cash;
    let Some(kind) = c.kind else {
        // The count before the Z: then the manager PIN for the Z itself. An empty line takes
        // the Z without a count (a till that takes no cash).
        if c.amount.trim().is_empty() {
            app.staff.cash.counted = None;
            ask_manager(app, ManagerAction::ZReport);
            return Vec::new();
        }
        match parse_counted(&c.amount, currency) {
            Ok(v) => {
                app.staff.cash.counted = Some(v);
                ask_manager(app, ManagerAction::ZReport);
            }
            Err(t) => error(app, t),
        }
        return Vec::new();
    };
    let amount = match parse_amount(&kind.field(), &c.amount, currency) {
        Ok(v) => v,
        Err(t) => {
            error(app, t);
            focus(app, CashField::Amount);
            return Vec::new();
        }
    };
    app.staff.cash.parsed = Some(amount);
    if app.staff.cash.needs_reason() {
        if app.staff.cash.field == CashField::Amount && app.staff.cash.reason.trim().is_empty() {
            focus(app, CashField::Reason);
            return Vec::new();
        }
        if let Err(t) = check_reason(kind, &app.staff.cash.reason) {
            error(app, t);
            focus(app, CashField::Reason);
            return Vec::new();
        }
    }
    ask_manager(app, ManagerAction::Cash);
    Vec::new()
}

/// The PIN was typed: the command that records the movement.
pub fn with_pin(app: &mut App, pin: ManagerPin) -> Vec<Command> {
    let c = &app.staff.cash;
    let (Some(kind), Some(amount)) = (c.kind, c.parsed) else {
        return Vec::new();
    };
    let reason = c.reason.trim().to_owned();
    let operator = app.cashier_id();
    let id = app.staff.id();
    app.staff.cash.waiting = Some(id);
    app.screen = Screen::Cash;
    vec![Command::RecordCash {
        request_id: id,
        pin,
        kind,
        amount,
        reason,
        operator,
        currency: app.basket.currency().code().to_owned(),
    }]
}

/// The shell answered [`Command::RecordCash`]: on success the drawer opens.
pub fn on_recorded(app: &mut App, request_id: u64, result: Result<CashDone, Text>) -> Vec<Command> {
    if app.staff.cash.waiting != Some(request_id) {
        return Vec::new();
    }
    app.staff.cash.waiting = None;
    match result {
        Ok(done) => {
            let m = money(done.amount, app.basket.currency().code());
            let what = done.kind.field();
            toast(
                app,
                ToastKind::Info,
                Text::new(
                    format!("{} {m} registrert. Skuffen åpnes.", what.nb),
                    format!("{} {m} recorded. The drawer opens.", what.en),
                ),
            );
            app.staff.cash.done = Some(done);
            app.input.reset();
            vec![Command::OpenDrawer]
        }
        Err(t) => {
            error(app, t);
            Vec::new()
        }
    }
}
