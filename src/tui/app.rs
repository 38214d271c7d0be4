//! The model: everything the screen shows, owned by one task. Views read it; only `update`
//! changes it.

use crate::clock::Clock;
use crate::domain::basket::Basket;
use crate::domain::money::{Currency, Money};
use crate::lang::{Lang, Text};
use crate::tui::catalog::Catalog;
use crate::tui::keymap::{Keymap, Mode};
use crate::tui::msg::{NetworkState, PaymentView, RecoveredSale};
use crate::tui::theme::Theme;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use time::{OffsetDateTime, UtcOffset};
use tui_input::Input;

/// The smallest terminal the screens are laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Which Vipps environment the till talks to (shown in the status bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvLabel {
    Test,
    Prod,
    /// `--demo`: the embedded simulator; no real money.
    Training,
}

impl EnvLabel {
    pub const fn label(self, lang: Lang) -> &'static str {
        match self {
            EnvLabel::Test => "TEST",
            EnvLabel::Prod => "PROD",
            EnvLabel::Training => lang.pick("ØVING", "TRAINING"),
        }
    }
}

/// Kiosk (customer-operated) settings.
#[derive(Debug, Clone)]
pub struct KioskSettings {
    /// Staff PIN needed to quit (the manager PIN once staff roles exist).
    pub pin: SecretString,
    /// Return to the start screen this long after a result.
    pub return_after: Duration,
    /// Clear an untouched basket after this long without input.
    pub idle_reset: Duration,
}

/// Shop rules the screen enforces (config `[ui]` / `[staff]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenRules {
    /// The largest quantity one line may hold, in its unit (`ui.max_quantity`, default 999).
    pub max_quantity: u32,
    /// A manager logged in at the till is not asked for the PIN again for this long after a
    /// manager PIN or login (`staff.manager_pin_window_secs`; zero: always asked).
    pub manager_pin_window: Duration,
}

impl Default for ScreenRules {
    fn default() -> Self {
        ScreenRules {
            max_quantity: 999,
            manager_pin_window: Duration::from_secs(300),
        }
    }
}

/// Configuration the shell hands to the screen loop (`app::screen::run`).
#[derive(Clone)]
pub struct RunContext {
    pub environment: EnvLabel,
    pub msn: String,
    /// The Vipps API sales go through: its amount limits and currencies are checked when the
    /// cashier presses pay.
    pub vipps_api: crate::domain::money::VippsApi,
    pub lang: Lang,
    pub currency: Currency,
    /// `Some` in kiosk mode.
    pub kiosk: Option<KioskSettings>,
    pub catalog: Catalog,
    pub keymap: Keymap,
    pub theme: Theme,
    /// `--demo`: TRAINING banner and customer-phone keys.
    pub demo: bool,
    pub clock: Arc<dyn Clock>,
    /// Local time offset for the status-bar clock (time is kept in UTC).
    pub utc_offset: UtcOffset,
    /// How often a `Tick` arrives (countdowns, clock, kiosk timers).
    pub tick: Duration,
    /// A manager exists in the staff journal (or it could not be read): manager-only actions
    /// ask for a manager PIN, and a manager PIN also unlocks kiosk mode. `false` until the
    /// first manager is created: actions work as before, kiosk mode takes the kiosk PIN.
    pub manager_pins: bool,
    /// Active staff exist in the staff journal: the cashier's screen starts on the login
    /// screen (never in kiosk mode). `false` on a fresh install (no staff yet).
    pub login_required: bool,
    /// Already logged in when the screen opens (`--demo`: the training manager).
    pub cashier: Option<crate::tui::msg::Cashier>,
    /// Quantity bound and manager PIN window.
    pub rules: ScreenRules,
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("environment", &self.environment)
            .field("msn", &self.msn)
            .field("lang", &self.lang)
            .field("kiosk", &self.kiosk)
            .field("demo", &self.demo)
            .field("manager_pins", &self.manager_pins)
            .field("login_required", &self.login_required)
            .field("cashier", &self.cashier)
            .finish_non_exhaustive()
    }
}

/// Who is logged in at the till, and the login request in flight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginGate {
    /// Staff log in before selling (see [`RunContext::login_required`]).
    pub required: bool,
    /// The logged-in staff member; every sale carries their id.
    pub cashier: Option<crate::tui::msg::Cashier>,
    /// Sent to the staff journal, waiting for `AppEvent::LoggedIn` with this id.
    pub waiting: Option<u64>,
    /// Why the last PIN was refused (wrong PIN with the tries left, locked for N s), shown
    /// in the login box until the next PIN is sent.
    pub error: Option<Text>,
    pub next_request_id: u64,
}

/// The main screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Staff log in with their PIN before selling (when staff exist; not in kiosk mode).
    Login,
    Sale,
    /// Choosing push (phone / personal QR) or QR.
    Payment,
    /// A payment is in progress.
    Paying,
    /// Paid / rejected / expired / cancelled / failed.
    Result,
    /// The staff menu (F10).
    Staff,
    /// Refund a sale: search, pick, choose, confirm, result.
    Refund,
    /// X / Z report.
    Report,
    /// Batch corrections with a progress gauge.
    Batch,
    /// Cash management: opening float, withdrawal, deposit, or the count before a Z.
    Cash,
    /// Goods back at the counter: scan the receipt, pick lines, confirm, result.
    Return,
}

/// What the input line is currently asking for (none = scanner / search line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Quantity,
    /// Weight / volume for a product sold by unit, before it goes in the basket.
    Weight,
    Price,
    Discount,
    OpenPrice,
    KioskPin,
    /// A manager's PIN for a manager-only action (masked; see [`App::manager`]).
    ManagerPin,
    /// Cash the customer handed over (payment screen, F3).
    CashReceived,
    /// A staff member's PIN on the login screen (masked).
    LoginPin,
    /// The name of the basket being parked (F8).
    ParkName,
}

/// A manager-only action waiting for a manager PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagerAction {
    /// Then open the price prompt for this basket line.
    PriceOverride { line: usize },
    /// Then void this payment (the customer approved during an abort).
    VoidAfterCancel { reference: String },
    /// Then quit kiosk mode.
    LeaveKiosk,
    /// Then record and send the refund on the refund screen (the PIN goes with it).
    Refund,
    /// Then take the Z report.
    ZReport,
    /// Then run the batch correction on the batch screen.
    Batch,
    /// Then acknowledge the dead outbox rows that block the Z report.
    AcknowledgeOutbox,
    /// Then open the cash drawer without a sale.
    OpenDrawer,
    /// Then record the opening float, withdrawal or deposit on the cash screen (the PIN goes
    /// with it).
    Cash,
    /// Then record the return on the return screen (the PIN goes with it).
    Return,
}

impl ManagerAction {
    pub const fn permission(&self) -> crate::tui::msg::ManagerPermission {
        use crate::tui::msg::ManagerPermission as P;
        match self {
            ManagerAction::PriceOverride { .. } => P::PriceOverride,
            ManagerAction::VoidAfterCancel { .. } => P::VoidAfterAuthorization,
            ManagerAction::LeaveKiosk => P::LeaveKiosk,
            ManagerAction::Refund | ManagerAction::Return => P::Refund,
            ManagerAction::ZReport => P::ZReport,
            ManagerAction::Batch => P::BatchCorrections,
            ManagerAction::AcknowledgeOutbox => P::AcknowledgeOutbox,
            ManagerAction::OpenDrawer | ManagerAction::Cash => P::OpenDrawer,
        }
    }
}

/// Manager PIN state: the action being asked for, and the request in flight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagerGate {
    /// The action whose PIN is being typed (with [`Prompt::ManagerPin`]).
    pub asking: Option<ManagerAction>,
    /// Sent to the staff journal, waiting for `AppEvent::ManagerPin` with this id.
    pub waiting: Option<(u64, ManagerAction)>,
    pub next_request_id: u64,
}

/// The logged-in manager's PIN, kept (secret, never shown or logged) so manager-only actions
/// do not ask again until `until` (`ui.manager_pin_window_secs` after the last use).
#[derive(Clone, Default)]
pub struct PinWindow {
    /// The PIN typed at the login prompt, until the staff journal answers.
    pub pending: Option<SecretString>,
    /// The manager's PIN and the end of the window.
    pub open: Option<(SecretString, OffsetDateTime)>,
}

impl std::fmt::Debug for PinWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinWindow")
            .field("pending", &self.pending.as_ref().map(|_| "[redacted]"))
            .field("until", &self.open.as_ref().map(|(_, t)| t))
            .finish()
    }
}

/// Cash taken on the payment screen for the basket.
///
/// `received < total`: a split tender — nothing is journaled until the Vipps part starts
/// (then the sale, both tenders and the payment for the remainder are written together).
/// `received ≥ total rounded to the cash step`: a cash-only sale; `receipt_number` is set once the journal has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashTender {
    /// What the customer handed over.
    pub received: Money,
    /// The basket total when the cash was taken.
    pub total: Money,
    /// Sent to the journal; waiting for `AppEvent::CashSale`.
    pub pending: bool,
    /// The cash-only sale is journaled as paid.
    pub receipt_number: Option<String>,
}

impl CashTender {
    /// What the customer owes in cash: the total rounded to the cash step (øreavrunding).
    pub fn rounded_total(&self) -> Money {
        self.total.round_cash()
    }

    /// The øreavrunding of a cash-only sale (rounded − exact, e.g. +10 or -40 øre); zero for
    /// a split (Vipps pays the exact rest).
    pub fn rounding(&self) -> Money {
        if self.is_split() {
            Money::zero(self.total.currency())
        } else {
            self.total.cash_rounding()
        }
    }

    /// A split tender (Vipps pays the rest): less cash than the rounded total.
    pub fn is_split(&self) -> bool {
        self.received.minor() < self.rounded_total().minor()
    }

    /// The cash part: the rounded total (cash-only) or what the customer gave (split).
    pub fn cash_part(&self) -> Money {
        if self.is_split() {
            self.received
        } else {
            self.rounded_total()
        }
    }

    /// What Vipps is asked for: the exact rest of a split, zero for a cash-only sale.
    pub fn remainder(&self) -> Money {
        if !self.is_split() {
            return Money::zero(self.total.currency());
        }
        self.total
            .checked_sub(self.received)
            .unwrap_or(Money::zero(self.total.currency()))
    }

    /// Change to hand back (zero for a split): received − rounded total.
    pub fn change(&self) -> Money {
        self.received
            .checked_sub(self.cash_part())
            .unwrap_or(Money::zero(self.total.currency()))
    }
}

/// Product search results (indices into the catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    pub hits: Vec<usize>,
    pub selected: usize,
}

/// How the current payment was started (for the waiting screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayKind {
    Push { to: String },
    Qr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Info,
    Error,
}

/// A short message under the basket; errors stay until the next key, info for a few seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub kind: ToastKind,
    pub text: Text,
    pub until: OffsetDateTime,
}

/// The whole UI state. `Debug` leaves out the input line while it holds a PIN.
#[derive(Clone)]
pub struct App {
    pub environment: EnvLabel,
    pub msn: String,
    pub vipps_api: crate::domain::money::VippsApi,
    pub lang: Lang,
    pub kiosk: Option<KioskSettings>,
    pub demo: bool,
    pub catalog: Catalog,
    pub keymap: Keymap,
    pub theme: Theme,
    pub utc_offset: UtcOffset,
    pub rules: ScreenRules,

    pub screen: Screen,
    pub basket: Basket,
    /// Selected basket line.
    pub selected: Option<usize>,
    pub input: Input,
    pub prompt: Option<Prompt>,
    /// The product waiting for its weight (with [`Prompt::Weight`]).
    pub pending: Option<crate::tui::catalog::Product>,
    pub search: Option<Search>,
    /// Parked baskets, the void / quit question (see [`crate::tui::park`]).
    pub park: crate::tui::park::ParkUi,
    pub payment: Option<PaymentView>,
    pub pay_kind: Option<PayKind>,
    /// The cashier pressed cancel before the engine reported a reference.
    pub cancel_requested: bool,
    pub network: NetworkState,
    pub outbox_pending: usize,
    pub outbox_dead: usize,
    /// Journal rows headquarters has not received yet; None when no HQ is configured.
    pub hq_behind: Option<u64>,
    /// Alerts from the engine that a person must fix (keys refused, journal cannot write),
    /// by code; shown on the message line until the engine clears them.
    pub alerts: Vec<(&'static str, crate::tui::msg::AlertView)>,
    /// Shown as a notice until dismissed.
    pub recovered: Vec<RecoveredSale>,
    pub toast: Option<Toast>,
    pub help: bool,
    pub now: OffsetDateTime,
    pub last_input: OffsetDateTime,
    pub result_at: Option<OffsetDateTime>,
    pub quitting: bool,
    /// Wrong kiosk PINs in a row; after [`PIN_TRIES`] the PIN prompt locks for [`PIN_LOCKOUT`].
    pub pin_failures: u32,
    pub pin_locked_until: Option<OffsetDateTime>,
    /// See [`RunContext::manager_pins`].
    pub manager_pins: bool,
    pub manager: ManagerGate,
    /// The staff screens (menu, refund, report, batch).
    pub staff: crate::tui::staff::StaffUi,
    /// Cash taken for the current basket (split or cash-only), see [`CashTender`].
    pub cash: Option<CashTender>,
    /// Paper jobs waiting for the printer (shown while > 0).
    pub print_queued: usize,
    /// Who is logged in (see [`LoginGate`]).
    pub login: LoginGate,
    /// See [`PinWindow`].
    pub pin_window: PinWindow,
    /// First help row shown when the help overlay does not fit (↑/↓, PgUp/PgDn).
    pub help_scroll: usize,
    /// Terminal rows as last reported (`Msg::Resize`); the minimum until then.
    pub rows: u16,
}

/// How many help rows the overlay shows when `total` rows do not fit a screen of `rows`
/// terminal rows (`None`: they all fit). The overlay keeps the hint line and the status bar
/// visible and adds a "more" line when scrolling.
pub fn help_window(total: usize, rows: u16) -> Option<usize> {
    // The overlay sits over the screen above the status bar, leaving the hint line free.
    let max_h = usize::from(rows.saturating_sub(3));
    if total + 4 <= max_h {
        None
    } else {
        Some(max_h.saturating_sub(4).max(1))
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pin = matches!(
            self.prompt,
            Some(Prompt::KioskPin | Prompt::ManagerPin | Prompt::LoginPin)
        );
        let input: &dyn std::fmt::Debug = if pin { &"[redacted]" } else { &self.input };
        f.debug_struct("App")
            .field("environment", &self.environment)
            .field("msn", &self.msn)
            .field("lang", &self.lang)
            .field("kiosk", &self.kiosk)
            .field("demo", &self.demo)
            .field("screen", &self.screen)
            .field("basket", &self.basket)
            .field("selected", &self.selected)
            .field("input", input)
            .field("prompt", &self.prompt)
            .field("pending", &self.pending)
            .field("search", &self.search)
            .field("park", &self.park)
            .field("payment", &self.payment)
            .field("pay_kind", &self.pay_kind)
            .field("cancel_requested", &self.cancel_requested)
            .field("network", &self.network)
            .field("outbox_pending", &self.outbox_pending)
            .field("outbox_dead", &self.outbox_dead)
            .field("hq_behind", &self.hq_behind)
            .field("recovered", &self.recovered)
            .field("toast", &self.toast)
            .field("help", &self.help)
            .field("now", &self.now)
            .field("last_input", &self.last_input)
            .field("result_at", &self.result_at)
            .field("quitting", &self.quitting)
            .field("pin_failures", &self.pin_failures)
            .field("pin_locked_until", &self.pin_locked_until)
            .field("manager_pins", &self.manager_pins)
            .field("manager", &self.manager)
            .field("staff", &self.staff)
            .field("cash", &self.cash)
            .field("print_queued", &self.print_queued)
            .field("login", &self.login)
            .field("pin_window", &self.pin_window)
            .field("help_scroll", &self.help_scroll)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// Wrong kiosk PIN attempts before a lockout.
pub const PIN_TRIES: u32 = 3;
/// How long the kiosk PIN prompt stays locked after too many wrong PINs.
pub const PIN_LOCKOUT: time::Duration = time::Duration::seconds(60);

impl App {
    /// The sale on the result screen is paid (Vipps, split or cash): Enter starts the next
    /// sale. Otherwise (failed, refused, expired, cancelled) Enter goes back to the kept basket.
    pub fn result_paid(&self) -> bool {
        self.payment
            .as_ref()
            .is_some_and(|p| p.status == crate::tui::msg::PaymentStatusView::Paid)
            || self
                .cash
                .as_ref()
                .is_some_and(|c| c.receipt_number.is_some())
    }

    /// The result screen may offer "QR for the same sale": Vipps refused the push for a reason
    /// a QR code avoids, and no cash part was taken (a split's cash was handed back).
    pub fn qr_fallback_offered(&self) -> bool {
        self.screen == Screen::Result
            && self.cash.as_ref().is_none_or(|c| !c.is_split())
            && self.payment.as_ref().is_some_and(|p| {
                p.qr_fallback && p.status == crate::tui::msg::PaymentStatusView::Failed
            })
    }

    pub fn new(ctx: &RunContext) -> App {
        let now = ctx.clock.now();
        // Customers operate a kiosk: nobody logs in there.
        let required = ctx.login_required && ctx.kiosk.is_none();
        let cashier = if ctx.kiosk.is_none() {
            ctx.cashier.clone()
        } else {
            None
        };
        let login_first = required && cashier.is_none();
        App {
            environment: ctx.environment,
            msn: ctx.msn.clone(),
            vipps_api: ctx.vipps_api,
            lang: ctx.lang,
            kiosk: ctx.kiosk.clone(),
            demo: ctx.demo,
            catalog: ctx.catalog.clone(),
            keymap: ctx.keymap.clone(),
            theme: ctx.theme.clone(),
            utc_offset: ctx.utc_offset,
            rules: ctx.rules,
            screen: if login_first {
                Screen::Login
            } else {
                Screen::Sale
            },
            basket: Basket::new(ctx.currency),
            selected: None,
            input: Input::default(),
            prompt: login_first.then_some(Prompt::LoginPin),
            pending: None,
            search: None,
            park: crate::tui::park::ParkUi::default(),
            payment: None,
            pay_kind: None,
            cancel_requested: false,
            network: NetworkState::Unknown,
            outbox_pending: 0,
            outbox_dead: 0,
            hq_behind: None,
            alerts: Vec::new(),
            recovered: Vec::new(),
            toast: None,
            help: false,
            now,
            last_input: now,
            result_at: None,
            quitting: false,
            pin_failures: 0,
            pin_locked_until: None,
            manager_pins: ctx.manager_pins,
            manager: ManagerGate::default(),
            staff: crate::tui::staff::StaffUi::default(),
            cash: None,
            print_queued: 0,
            login: LoginGate {
                required,
                cashier,
                waiting: None,
                error: None,
                next_request_id: 0,
            },
            help_scroll: 0,
            rows: MIN_HEIGHT,
            pin_window: PinWindow::default(),
        }
    }

    pub fn is_kiosk(&self) -> bool {
        self.kiosk.is_some()
    }

    /// The help overlay's first row can go no further than this (last page at the current
    /// terminal height).
    pub fn help_max_scroll(&self) -> usize {
        let total = self
            .keymap
            .help_rows(self.help_mode(), self.lang, self.is_kiosk(), self.demo)
            .len();
        help_window(total, self.rows).map_or(0, |visible| total.saturating_sub(visible))
    }

    /// The logged-in staff member's id, carried by every sale command.
    pub fn cashier_id(&self) -> Option<String> {
        self.login.cashier.as_ref().map(|c| c.staff_id.clone())
    }

    /// The key mode for the current state (help and notices win).
    pub fn mode(&self) -> Mode {
        if self.help {
            Mode::Help
        } else {
            self.help_mode()
        }
    }

    /// The mode under the help overlay (the one whose bindings help lists).
    pub fn help_mode(&self) -> Mode {
        if !self.recovered.is_empty() {
            Mode::Notice
        } else if let Some(m) = crate::tui::park::mode(self) {
            m
        } else if self.screen == Screen::Login || self.prompt.is_some() {
            Mode::Prompt
        } else if self.search.is_some() {
            Mode::Search
        } else {
            match self.screen {
                Screen::Login => Mode::Prompt,
                Screen::Sale => Mode::Sale,
                Screen::Payment => Mode::Payment,
                Screen::Paying => {
                    if self.payment.as_ref().map(|p| p.status)
                        == Some(crate::tui::msg::PaymentStatusView::AuthorizedAfterCancel)
                    {
                        Mode::Decide
                    } else {
                        Mode::Waiting
                    }
                }
                Screen::Result => Mode::Result,
                Screen::Staff
                | Screen::Refund
                | Screen::Report
                | Screen::Batch
                | Screen::Cash
                | Screen::Return => crate::tui::staff::mode(self).unwrap_or(Mode::Staff),
            }
        }
    }
}
