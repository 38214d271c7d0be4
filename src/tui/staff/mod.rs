//! The staff screens' model and their pure transitions: the staff menu (F10), refunds, X/Z
//! reports and batch corrections. Called from [`crate::tui::update`]; no IO here — every
//! read and every money-moving step is a [`Command`] the shell runs off the UI task, and the
//! answers come back as `AppEvent::Staff*`.

use crate::domain::basket::{Quantity, QuantityUnit};
use crate::domain::batch::{BatchOutcome, BatchProgress, Uncaptured};
use crate::domain::money::{Currency, Money};
use crate::domain::refund::SaleQuery;
use crate::domain::refund::{
    LineRefund, RefundContext, RefundMode, RefundPlan, RefundRequest, SaleHit, plan_refund,
};
use crate::domain::report::Report;
use crate::lang::{Lang, Text};
use crate::tui::app::{App, ManagerAction, Screen, ToastKind};
use crate::tui::keymap::{Action, Mode};
use crate::tui::msg::{
    AppEvent, Command, ManagerPin, OutboxCleared, ReceiptNote, StaffRefundProgress, ZRefusal,
};
use crate::tui::strings_staff::{self as ss, St};
use crate::tui::update::{error, fixed, toast};
use tui_input::Input;

mod cash;
mod events;
mod refund;
pub use cash::{CashField, CashUi};
pub mod returns;
pub use events::on_event;
use refund::{confirm_action, focus, form_action, search_action};
pub use refund::{parse_sale_query, refund_mode};
pub use returns::{ReturnStep, ReturnUi};

/// The staff menu's entries, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffEntry {
    Refund,
    XReport,
    ZReport,
    BatchCapture,
    /// Goods back at the counter (by the receipt; cash part in cash).
    Return,
    /// The opening float of the period (vekselbeholdning).
    Float,
    /// Cash out of the drawer (uttak).
    Withdrawal,
    /// Cash into the drawer (innskudd).
    Deposit,
}

impl StaffEntry {
    pub const ALL: [StaffEntry; 8] = [
        StaffEntry::Refund,
        StaffEntry::XReport,
        StaffEntry::ZReport,
        StaffEntry::BatchCapture,
        StaffEntry::Return,
        StaffEntry::Float,
        StaffEntry::Withdrawal,
        StaffEntry::Deposit,
    ];

    pub const fn label(self, lang: Lang) -> &'static str {
        match self {
            StaffEntry::Refund => St::menu_refund(lang),
            StaffEntry::XReport => St::menu_x(lang),
            StaffEntry::ZReport => St::menu_z(lang),
            StaffEntry::BatchCapture => St::menu_batch(lang),
            StaffEntry::Return => crate::tui::view_return::menu_label(lang),
            StaffEntry::Float => St::menu_float(lang),
            StaffEntry::Withdrawal => St::menu_withdrawal(lang),
            StaffEntry::Deposit => St::menu_deposit(lang),
        }
    }

    /// Manager-only entries ask for the manager PIN before acting.
    /// Whether the menu marks the entry "(manager PIN)" (and refuses it on a till without a
    /// manager). The opening float takes any staff member's PIN.
    pub const fn needs_manager(self) -> bool {
        !matches!(self, StaffEntry::XReport | StaffEntry::Float)
    }
}

/// Where the refund screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefundStep {
    /// Typing a search; hits listed below.
    #[default]
    Search,
    /// The chosen sale is being loaded.
    Loading,
    /// Choosing full / amount / lines and typing the reason.
    Form,
    /// The planned refund is shown; Enter asks for the manager PIN.
    Confirm,
    /// Sent to the shell; waiting for the record, the queue and Vipps.
    Sending,
    /// Refunded / queued / failed / refused.
    Done,
}

/// Full, by amount, or per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefundKind {
    #[default]
    Full,
    Amount,
    Lines,
}

/// Which field the input line edits on the refund form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefundField {
    /// The amount (kind Amount) or the marked line's quantity (kind Lines).
    Value,
    #[default]
    Reason,
}

/// The refund screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundUi {
    pub step: RefundStep,
    /// The request whose answer is awaited (search, load or refund).
    pub waiting: Option<u64>,
    /// The last search sent.
    pub query: String,
    pub hits: Vec<SaleHit>,
    pub selected: usize,
    pub ctx: Option<Box<RefundContext>>,
    pub kind: RefundKind,
    pub field: RefundField,
    pub amount: String,
    /// Quantity typed per sale line (same order as `ctx.lines`).
    pub line_qty: Vec<String>,
    /// The marked sale line (kind Lines).
    pub line: usize,
    pub reason: String,
    pub plan: Option<RefundPlan>,
    pub request: Option<RefundRequest>,
    pub progress: Option<StaffRefundProgress>,
}

/// X or Z on the report screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportKind {
    #[default]
    X,
    Z,
}

/// The report screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportUi {
    pub kind: ReportKind,
    pub waiting: Option<u64>,
    pub report: Option<Box<Report>>,
    /// The reconciliation against Vipps is still running.
    pub checking: bool,
    pub refusal: Option<ZRefusal>,
    pub error: Option<Text>,
    pub acknowledged: Option<OutboxCleared>,
    /// First line shown (scrolling).
    pub scroll: u16,
    /// Sent to the printer at least once (a Z report printed again is a COPY).
    pub printed: bool,
}

/// The batch correction screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchUi {
    pub waiting: Option<u64>,
    pub loading: bool,
    pub candidates: Vec<Uncaptured>,
    pub selected: usize,
    pub running: bool,
    pub done: usize,
    pub total: usize,
    pub last: Option<BatchProgress>,
    pub outcomes: Option<Vec<BatchOutcome>>,
    pub error: Option<Text>,
}

/// Everything the staff screens show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffUi {
    /// Marked menu entry.
    pub menu: usize,
    pub next_id: u64,
    pub refund: RefundUi,
    pub report: ReportUi,
    pub batch: BatchUi,
    pub cash: CashUi,
    /// The return screen.
    pub ret: ReturnUi,
}

impl StaffUi {
    fn id(&mut self) -> u64 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }
}

// ---------------------------------------------------------------- small helpers

fn set_input(app: &mut App, value: &str) {
    app.input = Input::new(value.to_owned());
}

fn currency_of(ctx: &RefundContext) -> Currency {
    Currency::parse(&ctx.currency).unwrap_or(Currency::Nok)
}

/// The key mode of a staff screen (`None` on the other screens).
pub fn mode(app: &App) -> Option<Mode> {
    Some(match app.screen {
        Screen::Staff => Mode::Staff,
        Screen::Refund => match app.staff.refund.step {
            RefundStep::Search | RefundStep::Loading => Mode::RefundSearch,
            RefundStep::Form => Mode::RefundForm,
            RefundStep::Confirm => Mode::RefundConfirm,
            RefundStep::Sending | RefundStep::Done => Mode::StaffResult,
        },
        Screen::Report => {
            let r = &app.staff.report;
            if r.kind == ReportKind::Z && r.refusal.is_some() {
                Mode::ZRefused
            } else {
                Mode::Report
            }
        }
        Screen::Batch => Mode::Batch,
        Screen::Cash => Mode::CashForm,
        Screen::Return => returns::mode(&app.staff.ret),
        _ => return None,
    })
}

/// Open the staff menu from the sale screen (F10).
pub fn open_menu(app: &mut App) -> Vec<Command> {
    app.input.reset();
    app.search = None;
    app.screen = Screen::Staff;
    Vec::new()
}

fn back_to_menu(app: &mut App) {
    app.input.reset();
    app.screen = Screen::Staff;
}

/// Keys on any staff screen.
pub fn on_action(app: &mut App, mode: Mode, action: Action) -> Vec<Command> {
    if app.screen == Screen::Return {
        return returns::on_action(app, mode, action);
    }
    match mode {
        Mode::Staff => menu_action(app, action),
        Mode::RefundSearch => search_action(app, action),
        Mode::RefundForm => form_action(app, action),
        Mode::RefundConfirm => confirm_action(app, action),
        Mode::StaffResult if action == Action::Reprint => reprint_refund(app),
        Mode::StaffResult => {
            if matches!(action, Action::Submit | Action::Cancel) {
                // While it is sent the refund goes on; its result comes back as a message
                // and on this screen (the menu entry leads back here until it is over).
                if app.staff.refund.step != RefundStep::Sending {
                    app.staff.refund = RefundUi::default();
                }
                back_to_menu(app);
            }
            Vec::new()
        }
        Mode::Report | Mode::ZRefused => report_action(app, action),
        Mode::Batch => batch_action(app, action),
        Mode::CashForm => cash::action(app, action),
        _ => Vec::new(),
    }
}

/// The input line changed on a staff screen: keep the focused form field in step.
pub fn on_edit(app: &mut App, mode: Mode) {
    if mode == Mode::CashForm {
        cash::on_edit(app);
        return;
    }
    if app.screen == Screen::Return {
        returns::on_edit(app, mode);
        return;
    }
    if mode != Mode::RefundForm {
        return;
    }
    let value = app.input.value().to_owned();
    let r = &mut app.staff.refund;
    match (r.field, r.kind) {
        (RefundField::Reason, _) => r.reason = value,
        (RefundField::Value, RefundKind::Amount) => r.amount = value,
        (RefundField::Value, RefundKind::Lines) => {
            if let Some(q) = r.line_qty.get_mut(r.line) {
                *q = value;
            }
        }
        (RefundField::Value, RefundKind::Full) => r.reason = value,
    }
}

// ---------------------------------------------------------------- menu

fn menu_action(app: &mut App, action: Action) -> Vec<Command> {
    let n = StaffEntry::ALL.len();
    match action {
        Action::Up => app.staff.menu = app.staff.menu.saturating_sub(1),
        Action::Down => app.staff.menu = (app.staff.menu + 1).min(n - 1),
        Action::Cancel => {
            app.input.reset();
            app.screen = Screen::Sale;
        }
        Action::Submit => {
            let entry = StaffEntry::ALL
                .get(app.staff.menu)
                .copied()
                .unwrap_or(StaffEntry::Refund);
            return open_entry(app, entry);
        }
        _ => {}
    }
    Vec::new()
}

/// A digit on the numbered staff menu opens that entry (`2` = the X report), as Enter on it.
pub fn menu_digit(
    app: &mut App,
    key: &ratatui::crossterm::event::KeyEvent,
) -> Option<Vec<Command>> {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    let KeyCode::Char(c) = key.code else {
        return None;
    };
    let n = usize::try_from(c.to_digit(10)?).ok()?;
    let entry = StaffEntry::ALL.get(n.checked_sub(1)?).copied()?;
    app.staff.menu = n - 1;
    Some(open_entry(app, entry))
}

/// Open a menu entry (manager-only entries need a manager in the staff journal).
pub fn open_entry(app: &mut App, entry: StaffEntry) -> Vec<Command> {
    if entry.needs_manager() && !app.manager_pins {
        fixed(app, St::err_needs_manager);
        return Vec::new();
    }
    match entry {
        StaffEntry::Return => returns::open(app),
        StaffEntry::Refund => {
            if app.staff.refund.step != RefundStep::Sending {
                app.staff.refund = RefundUi::default();
            }
            app.input.reset();
            app.screen = Screen::Refund;
            Vec::new()
        }
        StaffEntry::XReport => {
            let id = app.staff.id();
            app.staff.report = ReportUi {
                kind: ReportKind::X,
                waiting: Some(id),
                ..ReportUi::default()
            };
            app.screen = Screen::Report;
            let (date, utc_offset) = business_day(app);
            vec![Command::XReport {
                request_id: id,
                date,
                utc_offset,
            }]
        }
        // The drawer is counted first (Enter on an empty line: no count).
        StaffEntry::ZReport => cash::open(app, None),
        StaffEntry::Float => cash::open(app, Some(crate::domain::cash::CashKind::Float)),
        StaffEntry::Withdrawal => cash::open(app, Some(crate::domain::cash::CashKind::Withdrawal)),
        StaffEntry::Deposit => cash::open(app, Some(crate::domain::cash::CashKind::Deposit)),
        StaffEntry::BatchCapture => {
            let id = app.staff.id();
            app.staff.batch = BatchUi {
                waiting: Some(id),
                loading: true,
                ..BatchUi::default()
            };
            app.screen = Screen::Batch;
            let (date, utc_offset) = business_day(app);
            vec![Command::LoadBatch {
                request_id: id,
                date,
                utc_offset,
            }]
        }
    }
}

fn business_day(app: &App) -> (time::Date, time::UtcOffset) {
    (app.now.to_offset(app.utc_offset).date(), app.utc_offset)
}

fn ask_manager(app: &mut App, action: ManagerAction) {
    app.input.reset();
    app.search = None;
    app.manager.asking = Some(action);
    app.prompt = Some(crate::tui::app::Prompt::ManagerPin);
}

/// The manager typed a PIN for a staff action: the action's own command carries it (login,
/// permission and the action in one step in the shell). `None` for other actions.
pub fn with_pin(app: &mut App, action: &ManagerAction, pin: &str) -> Option<Vec<Command>> {
    let pin = ManagerPin::new(pin);
    match action {
        ManagerAction::Return => returns::with_pin(app, pin),
        ManagerAction::Refund => {
            let request = app.staff.refund.request.clone()?;
            let id = app.staff.id();
            let r = &mut app.staff.refund;
            r.step = RefundStep::Sending;
            r.waiting = Some(id);
            r.progress = None;
            app.screen = Screen::Refund;
            Some(vec![Command::Refund {
                request_id: id,
                pin,
                request,
            }])
        }
        ManagerAction::ZReport => {
            let id = app.staff.id();
            app.staff.report = ReportUi {
                kind: ReportKind::Z,
                waiting: Some(id),
                ..ReportUi::default()
            };
            app.screen = Screen::Report;
            let (date, utc_offset) = business_day(app);
            Some(vec![Command::CloseDay {
                request_id: id,
                pin,
                date,
                utc_offset,
                counted: app.staff.cash.counted,
            }])
        }
        ManagerAction::AcknowledgeOutbox => {
            let id = app.staff.id();
            app.staff.report.waiting = Some(id);
            Some(vec![Command::AcknowledgeOutbox {
                request_id: id,
                pin,
            }])
        }
        ManagerAction::Batch => {
            let references: Vec<String> = app
                .staff
                .batch
                .candidates
                .iter()
                .map(|c| c.reference.clone())
                .collect();
            if references.is_empty() {
                fixed(app, St::err_batch_empty);
                return Some(Vec::new());
            }
            let id = app.staff.id();
            let b = &mut app.staff.batch;
            b.waiting = Some(id);
            b.running = true;
            b.done = 0;
            b.total = references.len();
            b.last = None;
            b.outcomes = None;
            b.error = None;
            Some(vec![Command::RunBatch {
                request_id: id,
                pin,
                references,
            }])
        }
        ManagerAction::Cash => Some(cash::with_pin(app, pin)),
        ManagerAction::PriceOverride { .. }
        | ManagerAction::VoidAfterCancel { .. }
        | ManagerAction::LeaveKiosk
        | ManagerAction::OpenDrawer => None,
    }
}

// ---------------------------------------------------------------- report

/// F4 on the refund result: the refund receipt again, marked COPY (only a refund Vipps
/// confirmed has one; a queued refund's receipt prints by itself on confirmation).
fn reprint_refund(app: &mut App) -> Vec<Command> {
    match &app.staff.refund.progress {
        Some(StaffRefundProgress::Refunded { refund_number, .. }) => {
            let refund_number = refund_number.clone();
            toast(
                app,
                ToastKind::Info,
                Text::new(St::printing_copy(Lang::Nb), St::printing_copy(Lang::En)),
            );
            vec![Command::ReprintRefund { refund_number }]
        }
        Some(StaffRefundProgress::Queued { .. } | StaffRefundProgress::Pending { .. }) => {
            fixed(app, St::err_reprint_not_confirmed);
            Vec::new()
        }
        _ => {
            fixed(app, St::err_reprint_no_refund);
            Vec::new()
        }
    }
}

/// F4 on the report screen: the report shown goes to the receipt printer. A Z report printed
/// a second time is the stored snapshot, marked COPY.
fn print_report(app: &mut App) -> Vec<Command> {
    let rep = &mut app.staff.report;
    let Some(report) = rep.report.clone() else {
        fixed(app, St::err_print_no_report);
        return Vec::new();
    };
    let copy = rep.kind == ReportKind::Z && rep.printed;
    rep.printed = true;
    let f = if copy {
        St::printing_copy
    } else {
        St::printing_report
    };
    toast(app, ToastKind::Info, Text::new(f(Lang::Nb), f(Lang::En)));
    vec![Command::PrintReport { report, copy }]
}

fn report_action(app: &mut App, action: Action) -> Vec<Command> {
    if action == Action::Reprint {
        if app.staff.report.kind == ReportKind::Z && app.staff.report.refusal.is_some() {
            // Refused because the day is closed already: its stored Z, as a COPY.
            let (date, _) = business_day(app);
            toast(
                app,
                ToastKind::Info,
                Text::new(St::printing_copy(Lang::Nb), St::printing_copy(Lang::En)),
            );
            return vec![Command::PrintStoredZ { date }];
        }
        return print_report(app);
    }
    let rep = &mut app.staff.report;
    match action {
        Action::Up => rep.scroll = rep.scroll.saturating_sub(1),
        Action::Down => rep.scroll = rep.scroll.saturating_add(1),
        Action::PageUp => rep.scroll = rep.scroll.saturating_sub(10),
        Action::PageDown => rep.scroll = rep.scroll.saturating_add(10),
        Action::Cancel => back_to_menu(app),
        Action::AcknowledgeOutbox => {
            let dead = rep.refusal.as_ref().map_or(0, |z| z.dead_unacknowledged);
            if rep.kind == ReportKind::Z && dead > 0 && rep.waiting.is_none() {
                ask_manager(app, ManagerAction::AcknowledgeOutbox);
            }
        }
        Action::Submit
            if rep.kind == ReportKind::Z && rep.refusal.is_some() && rep.waiting.is_none() =>
        {
            ask_manager(app, ManagerAction::ZReport);
        }
        _ => {}
    }
    Vec::new()
}

// ---------------------------------------------------------------- batch

fn batch_action(app: &mut App, action: Action) -> Vec<Command> {
    let b = &mut app.staff.batch;
    match action {
        Action::Up => b.selected = b.selected.saturating_sub(1),
        Action::Down => b.selected = (b.selected + 1).min(b.candidates.len().saturating_sub(1)),
        Action::Cancel => back_to_menu(app),
        Action::Submit => {
            if b.running || b.loading {
                fixed(app, St::err_busy);
            } else if b.candidates.is_empty() || b.outcomes.is_some() {
                fixed(app, St::err_batch_empty);
            } else if !app.manager_pins {
                fixed(app, St::err_needs_manager);
            } else {
                ask_manager(app, ManagerAction::Batch);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Amount helpers for the views.
pub fn money(minor: i64, currency: &str) -> Money {
    Money::new(minor, Currency::parse(currency).unwrap_or(Currency::Nok))
}
