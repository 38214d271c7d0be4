//! Shared fixtures for the TUI tests: a fixed clock, the demo catalog, key helpers.
#![allow(dead_code)]

use kasse::clock::ManualClock;
use kasse::domain::money::{Currency, Money};
use kasse::domain::payment::{Event, Payment, ProviderStatus};
use kasse::lang::Lang;
use kasse::tui::catalog::Catalog;
use kasse::tui::keymap::Keymap;
use kasse::tui::theme::Theme;
use kasse::tui::{
    App, AppEvent, Command, EnvLabel, KioskSettings, Msg, PaymentStatusView, PaymentView,
    RunContext, update,
};
use kasse::tui::{PayMethod, SimCustomerAction};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub const KVIKK: &str = "7038010001000"; // Kvikk Lunsj 47 g, kr 24,90, 15 %
pub const COLA: &str = "7038010001017"; // Coca-Cola 0,5 l, kr 32,90, 15 %
pub const AVIS: &str = "7038010001086"; // Aftenposten, kr 45,00, 0 %
pub const BILLETT: &str = "7038010001109"; // Ruter enkeltbillett, kr 44,00, 12 %
pub const LADER: &str = "7038010001130"; // Ladekabel, kr 149,00, 25 %
pub const QR_URL: &str = "https://qr.vipps.no/28/2/01/031/4791234567?v=1&token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK";
pub const PIN: &str = "2468";
pub const MANAGER_PIN: &str = "975310";

pub fn ctx(lang: Lang) -> RunContext {
    RunContext {
        environment: EnvLabel::Test,
        msn: "123456".to_string(),
        vipps_api: kasse::domain::money::VippsApi::Epayment,
        lang,
        currency: Currency::Nok,
        kiosk: None,
        catalog: Catalog::demo().unwrap(),
        keymap: Keymap::default_keymap().unwrap(),
        theme: Theme::default_theme().unwrap(),
        demo: false,
        clock: Arc::new(ManualClock::fixed()),
        utc_offset: time::UtcOffset::from_hms(1, 0, 0).unwrap(),
        tick: Duration::from_millis(250),
        manager_pins: false,
        login_required: false,
        rules: kasse::tui::ScreenRules::default(),
        cashier: None,
    }
}

pub fn app() -> App {
    App::new(&ctx(Lang::Nb))
}

pub fn app_en() -> App {
    App::new(&ctx(Lang::En))
}

pub fn kiosk_app() -> App {
    let mut c = ctx(Lang::Nb);
    c.kiosk = Some(KioskSettings {
        pin: PIN.to_string().into(),
        return_after: Duration::from_secs(10),
        idle_reset: Duration::from_secs(120),
    });
    App::new(&c)
}

/// A till where a manager exists: manager-only actions ask for a manager PIN.
pub fn managed_app() -> App {
    let mut c = ctx(Lang::En);
    c.manager_pins = true;
    App::new(&c)
}

/// Kiosk mode with a kiosk PIN and a manager in the staff journal.
pub fn managed_kiosk_app() -> App {
    let mut c = ctx(Lang::En);
    c.manager_pins = true;
    c.kiosk = Some(KioskSettings {
        pin: PIN.to_string().into(),
        return_after: Duration::from_secs(10),
        idle_reset: Duration::from_secs(120),
    });
    App::new(&c)
}

pub fn demo_app() -> App {
    let mut c = ctx(Lang::Nb);
    c.demo = true;
    c.environment = EnvLabel::Training;
    App::new(&c)
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Press one key; return the commands.
pub fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    update(app, key(code))
}

/// Type text character by character (like a keyboard-wedge scanner).
pub fn type_text(app: &mut App, s: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in s.chars() {
        out.extend(update(app, key(KeyCode::Char(c))));
    }
    out
}

/// Type and press Enter.
pub fn enter_text(app: &mut App, s: &str) -> Vec<Command> {
    let mut out = type_text(app, s);
    out.extend(press(app, KeyCode::Enter));
    out
}

pub fn event(app: &mut App, ev: AppEvent) -> Vec<Command> {
    update(app, Msg::App(ev))
}

/// Run commands through the fake engine until it has nothing more to say; returns every
/// command the screen sent (the first ones included).
pub fn drive(app: &mut App, engine: &mut FakeEngine, cmds: Vec<Command>) -> Vec<Command> {
    let mut sent = cmds.clone();
    let mut queue = cmds;
    while let Some(cmd) = (!queue.is_empty()).then(|| queue.remove(0)) {
        for ev in engine.handle(app.now, cmd) {
            let more = update(app, Msg::App(ev));
            sent.extend(more.clone());
            queue.extend(more);
        }
    }
    sent
}

/// F8, type `name` (empty: the suggested one), Enter, and let the fake journal answer.
pub fn park(app: &mut App, engine: &mut FakeEngine, name: &str) {
    update(app, key(KeyCode::F(8)));
    let cmds = enter_text(app, name);
    drive(app, engine, cmds);
}

pub fn tick(app: &mut App, secs: i64) {
    let now = app.now + time::Duration::seconds(secs);
    update(app, Msg::App(AppEvent::Tick(now)));
}

pub fn view(status: PaymentStatusView, amount: i64) -> PaymentView {
    PaymentView {
        reference: "kasse-s1-t1-000042-a1".to_string(),
        amount: Money::nok(amount),
        status,
        open_left: None,
        approve_left: None,
        qr_payload: None,
        reason: None,
        receipt_number: None,
        qr_fallback: false,
        open_signal: true,
    }
}

pub const REF: &str = "kasse-s1-t1-000001-a1";

/// A stand-in for the checkout engine on top of the domain payment state machine.
#[derive(Default)]
pub struct FakeEngine {
    pub payment: Option<Payment>,
    pub qr: Option<String>,
    pub receipt: Option<String>,
    pub log: Vec<Command>,
    /// Parked baskets, as the journal would keep them: (id, name, basket).
    pub parked: Vec<(i64, String, kasse::domain::basket::Basket)>,
}

impl FakeEngine {
    fn view(&self, now: OffsetDateTime) -> AppEvent {
        let p = self.payment.as_ref().unwrap();
        AppEvent::Payment(PaymentView::from_payment(
            REF,
            p,
            Currency::Nok,
            now,
            self.qr.clone(),
            self.receipt.clone(),
        ))
    }

    fn feed(&mut self, now: OffsetDateTime, ev: Event) {
        self.payment.as_mut().unwrap().handle(now, ev);
        if self.payment.as_ref().unwrap().phase() == &kasse::domain::payment::Phase::Paid {
            self.receipt = Some("000001".to_string());
        }
    }

    pub fn handle(&mut self, now: OffsetDateTime, cmd: Command) -> Vec<AppEvent> {
        self.log.push(cmd.clone());
        match cmd {
            Command::StartPayment { basket, method, .. } => {
                let amount = basket.totals().unwrap().gross.minor();
                self.payment = Some(Payment::new(amount, now).with_open_signal(true));
                self.qr = (method == PayMethod::Qr).then(|| QR_URL.to_string());
                let first = self.view(now);
                self.feed(now, Event::Created { at: now });
                vec![first, self.view(now)]
            }
            Command::Customer { action, .. } => {
                let amount = self.payment.as_ref().unwrap().amount();
                match action {
                    SimCustomerAction::Open => self.feed(
                        now,
                        Event::Read(ProviderStatus::Created { opened: Some(now) }),
                    ),
                    SimCustomerAction::Approve => {
                        self.feed(
                            now,
                            Event::Read(ProviderStatus::Authorized {
                                authorized: amount,
                                captured: 0,
                                refunded: 0,
                                cancelled: 0,
                            }),
                        );
                        self.feed(now, Event::CaptureDone { captured: amount });
                    }
                    SimCustomerAction::Reject => {
                        self.feed(now, Event::Read(ProviderStatus::Aborted))
                    }
                }
                vec![self.view(now)]
            }
            Command::CancelPayment { .. } => {
                self.feed(now, Event::CancelRequested);
                self.feed(now, Event::CancelDone);
                // The engine reads back after a cancel before calling it cancelled.
                self.feed(now, Event::Read(ProviderStatus::Terminated));
                vec![self.view(now)]
            }
            Command::CompleteAfterCancel { .. } => {
                let amount = self.payment.as_ref().unwrap().amount();
                self.feed(now, Event::CompleteRequested);
                self.feed(now, Event::CaptureDone { captured: amount });
                vec![self.view(now)]
            }
            Command::VoidAfterCancel { .. } => {
                self.feed(now, Event::VoidRequested);
                self.feed(now, Event::CancelDone);
                vec![self.view(now)]
            }
            // Printing is the shell's job; the fake engine only logs the command.
            Command::ReprintReceipt { .. }
            | Command::ReprintRefund { .. }
            | Command::PrintReport { .. }
            | Command::PrintStoredZ { .. } => Vec::new(),
            // The staff journal's answer, faked: only MANAGER_PIN is a manager.
            Command::VerifyManagerPin {
                request_id, pin, ..
            } => {
                let ok = pin == kasse::tui::ManagerPin::new(MANAGER_PIN);
                vec![AppEvent::ManagerPin {
                    request_id,
                    ok,
                    reason: (!ok)
                        .then(|| kasse::lang::Text::new("PIN: feil PIN.", "PIN: wrong PIN.")),
                }]
            }
            // Login at the till is not faked here; see tui_login / app_login_e2e.
            Command::Login { .. } | Command::Logout { .. } => Vec::new(),
            Command::SaveKioskLockout { .. } => Vec::new(),
            // Journal-only events answer nothing (see app_journal_events for the real shell).
            Command::Journal { .. } => Vec::new(),
            // Staff commands (refunds, reports, batches) are not faked; see tui_staff_exec.
            Command::FindSales { .. }
            | Command::LoadRefund { .. }
            | Command::Refund { .. }
            | Command::LoadReturn { .. }
            | Command::Return { .. }
            | Command::ReturnWithoutReceipt { .. }
            | Command::XReport { .. }
            | Command::CloseDay { .. }
            | Command::RecordCash { .. }
            | Command::AcknowledgeOutbox { .. }
            | Command::LoadBatch { .. }
            | Command::RunBatch { .. } => Vec::new(),
            // A cash-only sale: the journal's answer, faked (change = received − total).
            Command::CashSale {
                basket, received, ..
            } => {
                let total = basket.totals().unwrap().gross;
                vec![AppEvent::CashSale(Ok(kasse::tui::msg::CashSaleDone {
                    receipt_number: "s1-t1-000001".to_string(),
                    total,
                    received,
                    change: received.checked_sub(total.round_cash()).unwrap(),
                }))]
            }
            // Split: Vipps is asked for the remainder only.
            Command::StartSplitPayment {
                basket,
                method,
                cash,
                ..
            } => {
                let amount = basket.totals().unwrap().gross.minor() - cash.minor();
                self.payment = Some(Payment::new(amount, now).with_open_signal(true));
                self.qr = (method == PayMethod::Qr).then(|| QR_URL.to_string());
                let first = self.view(now);
                self.feed(now, Event::Created { at: now });
                vec![first, self.view(now)]
            }
            // A new attempt of the same sale, by QR (after Vipps refused the push).
            Command::PayByQr { .. } => {
                let amount = self.payment.as_ref().unwrap().amount();
                self.payment = Some(Payment::new(amount, now).with_open_signal(true));
                self.qr = Some(QR_URL.to_string());
                let first = self.view(now);
                self.feed(now, Event::Created { at: now });
                vec![first, self.view(now)]
            }
            Command::OpenDrawer => vec![AppEvent::DrawerOpened],
            // Parked and voided baskets: kept in memory like the journal keeps them.
            Command::ParkBasket { name, basket, .. } => {
                let id = self.parked.iter().map(|p| p.0).max().unwrap_or(0) + 1;
                self.parked.push((id, name, basket));
                vec![AppEvent::Parked(Ok(self.parked_list(now)))]
            }
            Command::ResumeParked { id, .. } => match self.parked.iter().position(|p| p.0 == id) {
                Some(i) => {
                    let (_, _, basket) = self.parked.remove(i);
                    vec![AppEvent::Resumed(Ok((basket, self.parked_list(now))))]
                }
                None => vec![AppEvent::Resumed(Err(kasse::lang::Text::new(
                    "finnes ikke",
                    "not found",
                )))],
            },
            Command::VoidBasket { .. } => vec![AppEvent::Voided(Ok(()))],
            Command::ListParked => vec![AppEvent::ParkedList(self.parked_list(now))],
            Command::Quit => Vec::new(),
        }
    }

    pub fn parked_list(&self, now: OffsetDateTime) -> Vec<kasse::tui::ParkedBasket> {
        self.parked
            .iter()
            .map(|(id, name, b)| kasse::tui::ParkedBasket {
                id: *id,
                name: name.clone(),
                parked_at: now,
                lines: b.len(),
                total: b.totals().unwrap().gross,
            })
            .collect()
    }
}
