//! The return screen (issue #16): scan or type the receipt number, pick the lines and
//! quantities, see how the money goes back (cash part in cash — the drawer opens —, the
//! Vipps part as a Vipps refund), confirm with the manager PIN, see the result. Pure: the
//! plan is the library's (`domain::returns::plan_return`); IO are `Command`s.

use super::*;
use crate::domain::returns::{
    FreeLine, FreeReturnRequest, FreeTender, ReturnContext, ReturnPlan, ReturnRequest,
    parse_free_line, plan_free_return, plan_return,
};
use crate::tui::msg::ReturnDone;
use crate::tui::view_return::R;

/// Where the return screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnStep {
    /// Scanning / typing the receipt number.
    #[default]
    Scan,
    /// The sale is being loaded.
    Loading,
    /// Quantities per line and the reason.
    Lines,
    /// A return without receipt: typed items and the reason (cash only).
    Free,
    /// The planned return; Enter asks for the manager PIN.
    Confirm,
    /// Sent to the shell.
    Sending,
    /// Done, or refused.
    Done,
}

/// The return screen's model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnUi {
    pub step: ReturnStep,
    pub waiting: Option<u64>,
    /// The receipt number asked for.
    pub receipt: String,
    pub ctx: Option<Box<ReturnContext>>,
    /// Quantity typed per sale line (same order as `ctx.lines`).
    pub line_qty: Vec<String>,
    /// The marked line.
    pub line: usize,
    /// The input line edits the reason (else the marked line's quantity).
    pub on_reason: bool,
    pub reason: String,
    pub plan: Option<ReturnPlan>,
    pub request: Option<ReturnRequest>,
    pub result: Option<Result<ReturnDone, Text>>,
    /// Items typed for a return without receipt.
    pub free_lines: Vec<FreeLine>,
    /// The return without receipt to confirm.
    pub free_request: Option<FreeReturnRequest>,
}

impl ReturnUi {
    /// A return without receipt is being made.
    pub fn without_receipt(&self) -> bool {
        self.step == ReturnStep::Free || self.free_request.is_some()
    }
}

/// The key mode of each step (the refund screen's modes: same keys).
pub fn mode(r: &ReturnUi) -> Mode {
    match r.step {
        ReturnStep::Scan | ReturnStep::Loading => Mode::RefundSearch,
        ReturnStep::Lines | ReturnStep::Free => Mode::RefundForm,
        ReturnStep::Confirm => Mode::RefundConfirm,
        ReturnStep::Sending | ReturnStep::Done => Mode::StaffResult,
    }
}

/// Open the return screen from the staff menu.
pub fn open(app: &mut App) -> Vec<Command> {
    if app.staff.ret.step != ReturnStep::Sending {
        app.staff.ret = ReturnUi::default();
    }
    app.input.reset();
    app.screen = Screen::Return;
    Vec::new()
}

fn focus(app: &mut App, on_reason: bool) {
    let r = &mut app.staff.ret;
    r.on_reason = on_reason;
    let value = if on_reason {
        r.reason.clone()
    } else {
        r.line_qty.get(r.line).cloned().unwrap_or_default()
    };
    set_input(app, &value);
}

/// The input line changed: keep the focused field in step.
pub fn on_edit(app: &mut App, mode: Mode) {
    if mode != Mode::RefundForm {
        return;
    }
    let value = app.input.value().to_owned();
    let r = &mut app.staff.ret;
    if r.on_reason {
        r.reason = value;
    } else if r.step == ReturnStep::Lines
        && let Some(q) = r.line_qty.get_mut(r.line)
    {
        *q = value;
    }
}

/// Keys on the return screen.
pub fn on_action(app: &mut App, mode: Mode, action: Action) -> Vec<Command> {
    match mode {
        Mode::RefundSearch => scan_action(app, action),
        Mode::RefundForm if app.staff.ret.step == ReturnStep::Free => free_action(app, action),
        Mode::RefundForm => lines_action(app, action),
        Mode::RefundConfirm => {
            match action {
                Action::Submit if !app.manager_pins => fixed(app, St::err_needs_manager),
                Action::Submit => ask_manager(app, ManagerAction::Return),
                Action::Cancel => {
                    let r = &mut app.staff.ret;
                    r.step = if r.free_request.take().is_some() {
                        ReturnStep::Free
                    } else {
                        ReturnStep::Lines
                    };
                    let on_reason = r.on_reason;
                    focus(app, on_reason);
                }
                _ => {}
            }
            Vec::new()
        }
        Mode::StaffResult => {
            if matches!(action, Action::Submit | Action::Cancel) {
                if app.staff.ret.step != ReturnStep::Sending {
                    app.staff.ret = ReturnUi::default();
                }
                back_to_menu(app);
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn scan_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Cancel => {
            app.staff.ret = ReturnUi::default();
            back_to_menu(app);
        }
        Action::Submit => {
            if app.staff.ret.waiting.is_some() {
                fixed(app, St::err_busy);
                return Vec::new();
            }
            let receipt = app.input.value().trim().to_owned();
            if receipt.is_empty() {
                // No receipt: typed items, cash only, the manager confirms.
                let r = &mut app.staff.ret;
                r.step = ReturnStep::Free;
                r.free_lines.clear();
                r.on_reason = false;
                app.input.reset();
                return Vec::new();
            }
            let id = app.staff.id();
            let r = &mut app.staff.ret;
            r.waiting = Some(id);
            r.step = ReturnStep::Loading;
            r.receipt = receipt.clone();
            app.input.reset();
            return vec![Command::LoadReturn {
                request_id: id,
                receipt,
            }];
        }
        _ => {}
    }
    Vec::new()
}

fn lines_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::NextField => {
            let on_reason = !app.staff.ret.on_reason;
            focus(app, on_reason);
        }
        Action::Up | Action::Down => {
            let n = app.staff.ret.line_qty.len();
            let r = &mut app.staff.ret;
            r.line = if action == Action::Up {
                r.line.saturating_sub(1)
            } else {
                (r.line + 1).min(n.saturating_sub(1))
            };
            focus(app, false);
        }
        Action::Cancel => {
            let r = &mut app.staff.ret;
            r.step = ReturnStep::Scan;
            r.ctx = None;
            app.input.reset();
        }
        Action::Submit => review(app),
        _ => {}
    }
    Vec::new()
}

fn free_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::NextField => {
            let on_reason = !app.staff.ret.on_reason;
            let r = &mut app.staff.ret;
            r.on_reason = on_reason;
            let value = if on_reason {
                r.reason.clone()
            } else {
                String::new()
            };
            set_input(app, &value);
        }
        Action::Cancel => {
            app.staff.ret = ReturnUi::default();
            app.input.reset();
        }
        Action::Submit => {
            let typed = app.input.value().trim().to_owned();
            if !app.staff.ret.on_reason && !typed.is_empty() {
                match parse_free_line(&typed, app.basket.currency()) {
                    Ok(line) => {
                        app.staff.ret.free_lines.push(line);
                        app.input.reset();
                    }
                    Err(e) => error(app, e.message()),
                }
                return Vec::new();
            }
            let r = &app.staff.ret;
            let request = FreeReturnRequest {
                lines: r.free_lines.clone(),
                tender: FreeTender::Cash,
                reason: r.reason.trim().to_owned(),
                currency: app.basket.currency().code().to_owned(),
            };
            match plan_free_return(&request.lines, request.tender, &request.currency) {
                Err(e) => error(app, e.message()),
                Ok(_) if request.reason.is_empty() || request.reason.chars().count() > 200 => {
                    error(app, R::err_reason());
                    let reason = app.staff.ret.reason.clone();
                    app.staff.ret.on_reason = true;
                    set_input(app, &reason);
                }
                Ok(plan) => {
                    let r = &mut app.staff.ret;
                    r.plan = Some(plan);
                    r.free_request = Some(request);
                    r.step = ReturnStep::Confirm;
                    app.input.reset();
                }
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The typed quantities as the library's line returns (errors name the line).
pub fn return_lines(r: &ReturnUi) -> Result<Vec<LineRefund>, Text> {
    let Some(ctx) = &r.ctx else {
        return Err(Text::new(
            St::err_no_sale_picked(Lang::Nb),
            St::err_no_sale_picked(Lang::En),
        ));
    };
    let mut items = Vec::new();
    for (line, typed) in ctx.lines.iter().zip(&r.line_qty) {
        let typed = typed.trim();
        if typed.is_empty() || typed == "0" {
            continue;
        }
        let unit = QuantityUnit::parse(&line.unit).unwrap_or(QuantityUnit::Pcs);
        let q = Quantity::parse_input(typed, unit)
            .map_err(|_| ss::bad_line_qty(line.line_no, typed))?;
        items.push(LineRefund {
            line_no: line.line_no,
            quantity_milli: q.milli(),
        });
    }
    Ok(items)
}

/// Enter on the lines: plan the return with the library's rules and show it, or say why not.
fn review(app: &mut App) {
    let items = match return_lines(&app.staff.ret) {
        Ok(i) => i,
        Err(t) => {
            error(app, t);
            return;
        }
    };
    let Some(ctx) = app.staff.ret.ctx.clone() else {
        fixed(app, St::err_no_sale_picked);
        return;
    };
    let reason = app.staff.ret.reason.trim().to_owned();
    match plan_return(&ctx, &items, app.now) {
        Err(e) => error(app, e.message()),
        Ok(_) if reason.is_empty() || reason.chars().count() > 200 => {
            error(app, R::err_reason());
            focus(app, true);
        }
        Ok(plan) => {
            let r = &mut app.staff.ret;
            r.plan = Some(plan);
            r.request = Some(ReturnRequest {
                receipt: ctx.receipt_number.clone(),
                lines: items,
                reason,
            });
            r.step = ReturnStep::Confirm;
            app.input.reset();
        }
    }
}

/// The manager typed the PIN: send the return with it.
pub fn with_pin(app: &mut App, pin: ManagerPin) -> Option<Vec<Command>> {
    if let Some(request) = app.staff.ret.free_request.clone() {
        let id = app.staff.id();
        let r = &mut app.staff.ret;
        r.step = ReturnStep::Sending;
        r.waiting = Some(id);
        r.result = None;
        app.screen = Screen::Return;
        return Some(vec![Command::ReturnWithoutReceipt {
            request_id: id,
            pin,
            request,
        }]);
    }
    let request = app.staff.ret.request.clone()?;
    let id = app.staff.id();
    let r = &mut app.staff.ret;
    r.step = ReturnStep::Sending;
    r.waiting = Some(id);
    r.result = None;
    app.screen = Screen::Return;
    Some(vec![Command::Return {
        request_id: id,
        pin,
        request,
    }])
}

/// Answers for the return screen (older requests are ignored).
pub fn on_event(app: &mut App, ev: AppEvent) -> Vec<Command> {
    match ev {
        AppEvent::StaffReturnContext { request_id, result } => {
            if app.staff.ret.waiting != Some(request_id) {
                return Vec::new();
            }
            let r = &mut app.staff.ret;
            r.waiting = None;
            match result {
                Ok(ctx) => {
                    r.line_qty = vec![String::new(); ctx.lines.len()];
                    r.line = 0;
                    r.ctx = Some(ctx);
                    r.step = ReturnStep::Lines;
                    focus(app, false);
                }
                Err(t) => {
                    r.step = ReturnStep::Scan;
                    error(app, t);
                }
            }
        }
        AppEvent::StaffReturn { request_id, result } => {
            if app.staff.ret.waiting != Some(request_id) {
                return Vec::new();
            }
            let r = &mut app.staff.ret;
            r.waiting = None;
            r.step = ReturnStep::Done;
            r.result = Some(result);
        }
        _ => {}
    }
    Vec::new()
}
