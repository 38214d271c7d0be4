//! The customer's view of the till (pure): what the customer display shows, computed from the
//! cashier's model after every update. Only the customer's own basket and payment ever go in:
//! no staff names, PINs, references, reports, other sales or error details meant for staff.

use crate::domain::money::Money;
use crate::lang::Lang;
use crate::tui::app::{App, PayKind, Screen};
use crate::tui::msg::{PaymentStatusView, PaymentView};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the display is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No sale in progress (also while staff screens are open): the shop's name.
    Idle,
    /// Lines as they are scanned, and the total.
    Basket,
    /// A push is on the customer's phone: "Sjekk Vipps-appen".
    PayingPush,
    /// A QR code waits to be scanned (`qr` / `qr_svg` once the link is known).
    PayingQr,
    /// Vipps approved, or the cashier is finishing the payment: "wait a moment".
    Processing,
    /// The payment is over: see [`CustomerView::result`].
    Result,
    /// A cash sale is done: the change to hand back.
    CashChange,
}

/// How a payment ended, as the customer is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Paid,
    Refused,
    Expired,
    Cancelled,
    Failed,
}

/// One basket line as the customer sees it. Money in minor units (signed: a return line is
/// negative) plus the formatted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineView {
    pub name: String,
    /// `2 stk`, `0,45 kg`.
    pub quantity: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub unit_price: String,
    /// Discount on the whole line (0: none; then `discount` is empty).
    pub discount_minor: i64,
    pub discount: String,
    pub total_minor: i64,
    pub total: String,
    pub is_return: bool,
}

/// Cash handed over and the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashView {
    pub received_minor: i64,
    pub received: String,
    pub change_minor: i64,
    pub change: String,
}

/// Fixed words of the page in the display's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    pub total: String,
    pub to_pay: String,
    pub received: String,
    pub change: String,
    pub discount: String,
    pub welcome: String,
    pub offline: String,
}

/// The whole customer view: each Server-Sent Event carries one of these as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub phase: Phase,
    /// Set in [`Phase::Result`].
    pub result: Option<Outcome>,
    pub lang: Lang,
    pub shop: String,
    pub lines: Vec<LineView>,
    /// The basket total (signed minor units).
    pub total_minor: i64,
    pub total: String,
    /// What the customer pays now in Vipps (the rest of a split; else the total).
    pub amount_minor: i64,
    pub amount: String,
    /// The big words: "Sjekk Vipps-appen", "BETALT", …
    pub headline: String,
    /// The line under them: "Takk!", "Skann koden med Vipps-appen", …
    pub message: String,
    /// Time left to pay, in words ("4 minutter igjen").
    pub countdown: Option<String>,
    /// The payment link while a QR payment waits.
    pub qr: Option<String>,
    /// The same link drawn as an inline SVG (no JavaScript QR library on the page).
    pub qr_svg: Option<String>,
    pub cash: Option<CashView>,
    pub labels: Labels,
}

/// What the view needs beyond the model: the shop's name and the display's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayInfo {
    pub shop: String,
    pub lang: Lang,
    pub currency: crate::domain::money::Currency,
}

fn money(m: Money) -> String {
    m.to_string()
}

fn labels(lang: Lang) -> Labels {
    let s = |nb: &str, en: &str| lang.pick(nb, en).to_owned();
    Labels {
        total: s("Totalt", "Total"),
        to_pay: s("Å betale med Vipps", "To pay with Vipps"),
        received: s("Mottatt", "Received"),
        change: s("Tilbake", "Change"),
        discount: s("Rabatt", "Discount"),
        welcome: s("Velkommen!", "Welcome!"),
        offline: s("Venter på kassen …", "Waiting for the till …"),
    }
}

/// Time left in words a customer understands (rounded up to whole minutes above one minute).
pub fn countdown_words(left: Duration, lang: Lang) -> String {
    let secs = left.as_secs();
    let minutes = secs.div_ceil(60);
    if minutes >= 2 {
        match lang {
            Lang::Nb => format!("{minutes} minutter igjen"),
            Lang::En => format!("{minutes} minutes left"),
        }
    } else if secs >= 50 {
        lang.pick("ett minutt igjen", "one minute left").to_owned()
    } else if secs >= 10 {
        lang.pick("under ett minutt igjen", "less than a minute left")
            .to_owned()
    } else {
        lang.pick("noen sekunder igjen", "a few seconds left")
            .to_owned()
    }
}

/// The QR code of `payload` as an inline SVG (one unit per module, scaled by CSS), or `None`
/// when the payload cannot be encoded (too long).
pub fn qr_svg(payload: &str) -> Option<String> {
    let code = qrcode::QrCode::new(payload.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .module_dimensions(1, 1)
        .quiet_zone(true)
        .build();
    // Inline in HTML: no XML declaration.
    Some(match svg.find("<svg") {
        Some(i) => svg[i..].to_owned(),
        None => svg,
    })
}

fn line_view(line: &crate::domain::basket::OrderLine, lang: Lang) -> Option<LineView> {
    let a = line.amounts().ok()?;
    let sign = line.sign();
    let total = Money::new(a.gross.minor() * sign, a.gross.currency());
    Some(LineView {
        name: line.name.clone(),
        quantity: line.quantity.display(lang),
        quantity_milli: line.quantity.milli(),
        unit_price_minor: line.unit_price.minor(),
        unit_price: money(line.unit_price),
        discount_minor: line.discount.minor(),
        discount: if line.discount.is_zero() {
            String::new()
        } else {
            format!("-{}", money(line.discount))
        },
        total_minor: total.minor(),
        total: money(total),
        is_return: line.is_return,
    })
}

/// The phase and words for a payment in progress or over.
fn payment_phase(
    p: &PaymentView,
    kind: Option<&PayKind>,
    lang: Lang,
) -> (Phase, Option<Outcome>, String, String) {
    let s = |nb: &str, en: &str| lang.pick(nb, en).to_owned();
    match p.status {
        PaymentStatusView::Creating
        | PaymentStatusView::WaitingForCustomer
        | PaymentStatusView::WaitingForApproval => match kind {
            Some(PayKind::Qr) => (
                Phase::PayingQr,
                None,
                s("Skann med Vipps", "Scan with Vipps"),
                s(
                    "Åpne Vipps-appen og skann koden",
                    "Open the Vipps app and scan the code",
                ),
            ),
            _ => (
                Phase::PayingPush,
                None,
                s("Sjekk Vipps-appen", "Check the Vipps app"),
                s(
                    "Godkjenn betalingen på telefonen din",
                    "Approve the payment on your phone",
                ),
            ),
        },
        PaymentStatusView::Authorized
        | PaymentStatusView::Capturing
        | PaymentStatusView::Cancelling
        | PaymentStatusView::AuthorizedAfterCancel => (
            Phase::Processing,
            None,
            s("Et øyeblikk …", "One moment …"),
            s(
                "Kassen fullfører betalingen",
                "The till is finishing the payment",
            ),
        ),
        PaymentStatusView::Paid => (
            Phase::Result,
            Some(Outcome::Paid),
            s("BETALT", "PAID"),
            s("Takk for handelen!", "Thank you!"),
        ),
        PaymentStatusView::Rejected => (
            Phase::Result,
            Some(Outcome::Refused),
            s("AVVIST", "REFUSED"),
            s(
                "Betalingen ble avvist. Snakk med kassereren.",
                "The payment was refused. Please talk to the cashier.",
            ),
        ),
        PaymentStatusView::Expired => (
            Phase::Result,
            Some(Outcome::Expired),
            s("UTLØPT", "EXPIRED"),
            s(
                "Tiden gikk ut. Snakk med kassereren.",
                "The time ran out. Please talk to the cashier.",
            ),
        ),
        PaymentStatusView::Cancelled => (
            Phase::Result,
            Some(Outcome::Cancelled),
            s("AVBRUTT", "CANCELLED"),
            s("Betalingen ble avbrutt.", "The payment was cancelled."),
        ),
        PaymentStatusView::Failed => (
            Phase::Result,
            Some(Outcome::Failed),
            s("IKKE BETALT", "NOT PAID"),
            s(
                "Betalingen gikk ikke gjennom. Snakk med kassereren.",
                "The payment did not go through. Please talk to the cashier.",
            ),
        ),
    }
}

/// The idle screen: the shop's name and a welcome.
pub fn idle(info: &DisplayInfo) -> CustomerView {
    let lang = info.lang;
    let zero = Money::zero(info.currency);
    CustomerView {
        phase: Phase::Idle,
        result: None,
        lang,
        shop: info.shop.clone(),
        lines: Vec::new(),
        total_minor: 0,
        total: money(zero),
        amount_minor: 0,
        amount: money(zero),
        headline: lang.pick("Velkommen!", "Welcome!").to_owned(),
        message: String::new(),
        countdown: None,
        qr: None,
        qr_svg: None,
        cash: None,
        labels: labels(lang),
    }
}

/// The customer's view of the cashier's model. Pure: the same model gives the same view.
pub fn customer_view(app: &App, info: &DisplayInfo) -> CustomerView {
    let lang = info.lang;
    let currency = app.basket.currency();
    let zero = Money::zero(currency);
    let total = app
        .basket
        .totals()
        .map(|t| t.gross)
        .unwrap_or(Money::zero(currency));
    let mut view = idle(&DisplayInfo {
        currency,
        ..info.clone()
    });
    // Staff screens and the login screen never reach the customer: idle.
    let selling = matches!(
        app.screen,
        Screen::Sale | Screen::Payment | Screen::Paying | Screen::Result
    );
    if !selling {
        return view;
    }
    if app.screen == Screen::Sale && app.basket.is_empty() {
        return view;
    }
    view.lines = app
        .basket
        .lines()
        .iter()
        .filter_map(|l| line_view(l, lang))
        .collect();
    view.total_minor = total.minor();
    view.total = money(total);
    view.amount_minor = total.minor();
    view.amount = money(total);
    view.phase = Phase::Basket;
    view.headline = String::new();

    // Cash-only sale done: the change.
    if let Some(c) = &app.cash
        && !c.is_split()
        && c.receipt_number.is_some()
        && app.screen == Screen::Result
    {
        view.phase = Phase::CashChange;
        view.headline = lang.pick("BETALT", "PAID").to_owned();
        view.message = lang.pick("Takk for handelen!", "Thank you!").to_owned();
        view.cash = Some(CashView {
            received_minor: c.received.minor(),
            received: money(c.received),
            change_minor: c.change().minor(),
            change: money(c.change()),
        });
        return view;
    }
    if let Some(c) = &app.cash
        && c.is_split()
    {
        view.cash = Some(CashView {
            received_minor: c.received.minor(),
            received: money(c.received),
            change_minor: 0,
            change: money(zero),
        });
    }

    // Paying, but the engine has not reported the payment yet: the waiting words already.
    if app.screen == Screen::Paying && app.payment.is_none() {
        let (phase, headline) = match app.pay_kind {
            Some(PayKind::Qr) => (
                Phase::PayingQr,
                lang.pick("Skann med Vipps", "Scan with Vipps"),
            ),
            _ => (
                Phase::PayingPush,
                lang.pick("Sjekk Vipps-appen", "Check the Vipps app"),
            ),
        };
        view.phase = phase;
        view.headline = headline.to_owned();
        view.message = lang.pick("Et øyeblikk …", "One moment …").to_owned();
        return view;
    }
    if matches!(app.screen, Screen::Paying | Screen::Result)
        && let Some(p) = &app.payment
    {
        let (phase, result, headline, message) = payment_phase(p, app.pay_kind.as_ref(), lang);
        view.phase = phase;
        view.result = result;
        view.headline = headline;
        view.message = message;
        view.amount_minor = p.amount.minor();
        view.amount = money(p.amount);
        if matches!(phase, Phase::PayingQr | Phase::PayingPush) {
            view.countdown = p
                .approve_left
                .or(p.open_left)
                .map(|d| countdown_words(d, lang));
        }
        if phase == Phase::PayingQr
            && let Some(payload) = &p.qr_payload
        {
            view.qr_svg = qr_svg(payload);
            view.qr = Some(payload.clone());
        }
    }
    view
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::clock::ManualClock;
    use crate::domain::money::Currency;
    use crate::tui::msg::{AppEvent, Msg};
    use crate::tui::update;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::sync::Arc;

    const KVIKK: &str = "7038010001000"; // kr 24,90
    const COLA: &str = "7038010001017"; // kr 32,90
    const LINK: &str = "https://qr.vipps.no/28/2/01/031/4791234567?v=1&token=abc";

    fn app(lang: Lang) -> App {
        let ctx = crate::tui::RunContext {
            environment: crate::tui::EnvLabel::Test,
            msn: "765432".to_string(),
            vipps_api: crate::domain::money::VippsApi::Epayment,
            lang,
            currency: Currency::Nok,
            kiosk: None,
            catalog: crate::tui::catalog::Catalog::demo().unwrap(),
            keymap: crate::tui::keymap::Keymap::default_keymap().unwrap(),
            theme: crate::tui::theme::Theme::default_theme().unwrap(),
            demo: false,
            clock: Arc::new(ManualClock::fixed()),
            utc_offset: time::UtcOffset::UTC,
            tick: Duration::from_millis(250),
            manager_pins: false,
            login_required: false,
            rules: crate::tui::ScreenRules::default(),
            cashier: Some(crate::tui::msg::Cashier {
                staff_id: "st-1".into(),
                name: "Kari Kasserer".into(),
                role: crate::domain::staff::Role::Manager,
            }),
        };
        App::new(&ctx)
    }

    fn info(lang: Lang) -> DisplayInfo {
        DisplayInfo {
            shop: "Kiosken på hjørnet".into(),
            lang,
            currency: Currency::Nok,
        }
    }

    fn key(app: &mut App, code: KeyCode) {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn scan(app: &mut App, code: &str) {
        for c in code.chars() {
            key(app, KeyCode::Char(c));
        }
        key(app, KeyCode::Enter);
    }

    fn paying(status: PaymentStatusView, qr: Option<&str>) -> PaymentView {
        PaymentView {
            reference: "kasse-s1-t1-000042-a1".into(),
            amount: Money::nok(5780),
            status,
            open_left: Some(Duration::from_secs(270)),
            approve_left: None,
            qr_payload: qr.map(str::to_owned),
            reason: Some(crate::lang::Text::new(
                "intern feil 42",
                "internal error 42",
            )),
            receipt_number: None,
            qr_fallback: false,
            open_signal: false,
        }
    }

    #[test]
    fn an_empty_till_is_idle_with_the_shop_name() {
        let v = customer_view(&app(Lang::Nb), &info(Lang::Nb));
        assert_eq!(v.phase, Phase::Idle);
        assert_eq!(v.shop, "Kiosken på hjørnet");
        assert!(v.lines.is_empty());
        assert_eq!(v.total_minor, 0);
    }

    #[test]
    fn scanned_lines_and_the_total() {
        let mut a = app(Lang::Nb);
        scan(&mut a, KVIKK);
        scan(&mut a, COLA);
        let v = customer_view(&a, &info(Lang::Nb));
        assert_eq!(v.phase, Phase::Basket);
        assert_eq!(v.lines.len(), 2);
        assert_eq!(v.lines[0].quantity, "1 stk");
        assert_eq!(v.lines[0].unit_price_minor, 2490);
        assert_eq!(v.lines[1].total_minor, 3290);
        assert_eq!(v.total_minor, 5780);
        assert_eq!(v.total, "kr 57,80");
        assert!(v.qr.is_none() && v.qr_svg.is_none());
    }

    #[test]
    fn a_qr_payment_carries_the_link_and_an_svg() {
        let mut a = app(Lang::En);
        scan(&mut a, KVIKK);
        scan(&mut a, COLA);
        key(&mut a, KeyCode::F(12));
        key(&mut a, KeyCode::F(2));
        assert_eq!(a.pay_kind, Some(PayKind::Qr));
        let waiting = customer_view(&a, &info(Lang::En));
        assert_eq!(waiting.phase, Phase::PayingQr);
        assert!(waiting.qr.is_none() && waiting.qr_svg.is_none());
        update(
            &mut a,
            Msg::App(AppEvent::Payment(paying(
                PaymentStatusView::WaitingForCustomer,
                Some(LINK),
            ))),
        );
        let v = customer_view(&a, &info(Lang::En));
        assert_eq!(v.phase, Phase::PayingQr);
        assert_eq!(v.qr.as_deref(), Some(LINK));
        let svg = v.qr_svg.clone().unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("viewBox"), "{svg}");
        assert_eq!(v.countdown.as_deref(), Some("5 minutes left"));
        assert_eq!(v.lines.len(), 2);
        // The payment reference and the staff-only reason never reach the display.
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("kasse-s1-t1"), "no payment reference");
        assert!(!json.contains("internal error"), "no staff-only reason");
        assert!(!json.contains("Kari"), "no staff name");
        assert!(!json.contains("765432"), "the MSN is not for the customer");
    }

    #[test]
    fn a_push_says_check_the_app_and_results_say_how_it_ended() {
        let mut a = app(Lang::Nb);
        scan(&mut a, KVIKK);
        key(&mut a, KeyCode::F(12));
        for c in "91234567".chars() {
            key(&mut a, KeyCode::Char(c));
        }
        key(&mut a, KeyCode::Enter);
        update(
            &mut a,
            Msg::App(AppEvent::Payment(paying(
                PaymentStatusView::WaitingForCustomer,
                None,
            ))),
        );
        let v = customer_view(&a, &info(Lang::Nb));
        assert_eq!(v.phase, Phase::PayingPush);
        assert_eq!(v.headline, "Sjekk Vipps-appen");
        assert_eq!(v.countdown.as_deref(), Some("5 minutter igjen"));
        for (status, outcome, word) in [
            (PaymentStatusView::Rejected, Outcome::Refused, "AVVIST"),
            (PaymentStatusView::Expired, Outcome::Expired, "UTLØPT"),
            (PaymentStatusView::Paid, Outcome::Paid, "BETALT"),
        ] {
            let mut b = a.clone();
            update(&mut b, Msg::App(AppEvent::Payment(paying(status, None))));
            let v = customer_view(&b, &info(Lang::Nb));
            assert_eq!(v.phase, Phase::Result, "{status:?}");
            assert_eq!(v.result, Some(outcome));
            assert_eq!(v.headline, word);
            assert!(v.countdown.is_none());
        }
    }

    #[test]
    fn staff_screens_show_idle() {
        let mut a = app(Lang::Nb);
        scan(&mut a, KVIKK);
        a.screen = Screen::Staff;
        let v = customer_view(&a, &info(Lang::Nb));
        assert_eq!(v.phase, Phase::Idle);
        assert!(v.lines.is_empty());
        a.screen = Screen::Login;
        assert_eq!(customer_view(&a, &info(Lang::Nb)).phase, Phase::Idle);
    }

    #[test]
    fn a_cash_sale_shows_the_change() {
        let mut a = app(Lang::Nb);
        scan(&mut a, KVIKK);
        scan(&mut a, COLA);
        a.screen = Screen::Result;
        a.cash = Some(crate::tui::app::CashTender {
            received: Money::nok(10_000),
            total: Money::nok(5780),
            pending: false,
            receipt_number: Some("s1-t1-000001".into()),
        });
        let v = customer_view(&a, &info(Lang::Nb));
        assert_eq!(v.phase, Phase::CashChange);
        let c = v.cash.clone().unwrap();
        assert_eq!(c.change_minor, 4200);
        assert_eq!(c.change, "kr 42,00");
        assert!(!serde_json::to_string(&v).unwrap().contains("s1-t1-000001"));
    }

    #[test]
    fn countdown_words_read_naturally() {
        let w = |s, l| countdown_words(Duration::from_secs(s), l);
        assert_eq!(w(300, Lang::Nb), "5 minutter igjen");
        assert_eq!(w(61, Lang::Nb), "2 minutter igjen");
        assert_eq!(w(55, Lang::En), "one minute left");
        assert_eq!(w(30, Lang::Nb), "under ett minutt igjen");
        assert_eq!(w(3, Lang::En), "a few seconds left");
    }

    #[test]
    fn the_json_has_the_documented_fields() {
        let v = customer_view(&app(Lang::Nb), &info(Lang::Nb));
        let j = serde_json::to_value(&v).unwrap();
        for k in [
            "phase",
            "lines",
            "total_minor",
            "total",
            "qr",
            "qr_svg",
            "shop",
            "lang",
        ] {
            assert!(j.get(k).is_some(), "{k} missing in {j}");
        }
        assert_eq!(j["phase"], "idle");
        assert_eq!(j["lang"], "nb");
    }
}
