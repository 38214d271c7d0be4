#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Øreavrunding on the payment screen: a cash-only sale owes the total rounded to the whole
//! krone (NOK), the prompt and the result say so, and a split is measured against the rounded
//! total. Pure `update()` tests plus insta snapshots at 80×24 and 120×40.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test tui_rounding`, then read every `.snap`.

mod common;
use common::tui as tui_support;
use kasse::app::catalog::parse_toml;
use kasse::domain::money::Money;
use kasse::lang::Lang;
use kasse::tui::app::{Prompt, Screen};
use kasse::tui::view::render_to_string;
use kasse::tui::{App, Command, update};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

const CATALOG: &str = r#"
currency = "NOK"

[[product]]
plu = "1001"
name = "Kvikk Lunsj 47 g"
price = "24,90"
vat = 15

[[product]]
plu = "2001"
name = "Rosiner 250 g"
price = "24,40"
vat = 15
"#;

fn app_with(lang: Lang) -> App {
    let mut c = ctx(lang);
    c.catalog = parse_toml(CATALOG).unwrap();
    App::new(&c)
}

fn snap_both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render_to_string(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render_to_string(app, 120, 40));
}

/// One product (by PLU) in the basket, on the payment screen, F3, `cash` typed.
fn cash_typed(lang: Lang, plu: &str, cash: &str) -> App {
    let mut app = app_with(lang);
    enter_text(&mut app, plu);
    assert!(press(&mut app, KeyCode::F(12)).is_empty());
    assert_eq!(app.screen, Screen::Payment);
    assert!(press(&mut app, KeyCode::F(3)).is_empty());
    assert_eq!(app.prompt, Some(Prompt::CashReceived));
    type_text(&mut app, cash);
    app
}

fn drive(app: &mut App, cmds: Vec<Command>) {
    let mut engine = FakeEngine::default();
    let mut queue = cmds;
    while let Some(cmd) = (!queue.is_empty()).then(|| queue.remove(0)) {
        for ev in engine.handle(app.now, cmd) {
            queue.extend(update(app, ev.into()));
        }
    }
}

#[test]
fn a_24_90_basket_owes_25_in_cash_and_25_gives_no_change() {
    let mut app = cash_typed(Lang::Nb, "1001", "25");
    snap_both("rounding_prompt_up", &app);
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Command::CashSale { received, .. }] if *received == Money::nok(2_500)),
        "{cmds:?}"
    );
    let c = app.cash.clone().unwrap();
    assert!(!c.is_split());
    assert_eq!(c.rounded_total(), Money::nok(2_500));
    assert_eq!(c.rounding(), Money::nok(10));
    assert_eq!(c.change(), Money::nok(0));
    assert_eq!(c.remainder(), Money::nok(0));
    drive(&mut app, cmds);
    assert_eq!(app.screen, Screen::Result);
    let c = app.cash.clone().unwrap();
    assert_eq!(c.total, Money::nok(2_490), "the sale total stays exact");
    assert_eq!(c.change(), Money::nok(0));
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("Øreavrunding: +kr 0,10"), "{screen}");
    assert!(screen.contains("kr 25,00"), "{screen}");
    snap_both("rounding_paid_up", &app);
}

#[test]
fn a_24_90_basket_with_24_50_in_cash_is_a_split() {
    // 24,50 < the rounded 25,00: a split (never a cash-only sale), Vipps would be asked for
    // the exact rest 0,40 (not rounded) ...
    let c = kasse::tui::app::CashTender {
        received: Money::nok(2_450),
        total: Money::nok(2_490),
        pending: false,
        receipt_number: None,
    };
    assert!(c.is_split());
    assert_eq!(c.rounding(), Money::nok(0));
    assert_eq!(c.cash_part(), Money::nok(2_450));
    assert_eq!(c.remainder(), Money::nok(40));
    assert_eq!(c.change(), Money::nok(0));
    // ... which is below the NOK 1,00 Vipps minimum, so the till refuses it and journals nothing.
    let mut app = cash_typed(Lang::En, "1001", "24,50");
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(app.cash.is_none());
    let toast = app
        .toast
        .as_ref()
        .map(|t| t.text.en.clone())
        .unwrap_or_default();
    assert!(toast.contains("0,40"), "{toast}");
}

#[test]
fn a_24_40_basket_owes_24_and_24_is_cash_only_without_change() {
    let mut app = cash_typed(Lang::En, "2001", "24");
    snap_both("rounding_prompt_down", &app);
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Command::CashSale { received, .. }] if *received == Money::nok(2_400)),
        "{cmds:?}"
    );
    let c = app.cash.clone().unwrap();
    assert!(!c.is_split());
    assert_eq!(c.rounding(), Money::nok(-40));
    assert_eq!(c.change(), Money::nok(0));
    drive(&mut app, cmds);
    assert_eq!(app.screen, Screen::Result);
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("Rounding: -kr 0,40"), "{screen}");
    assert!(screen.contains("Cash to pay: kr 24,00"), "{screen}");
    assert!(screen.contains("No change"), "{screen}");
    snap_both("rounding_paid_down", &app);
}

#[test]
fn change_is_counted_from_the_rounded_total() {
    let mut app = cash_typed(Lang::Nb, "1001", "50");
    let cmds = press(&mut app, KeyCode::Enter);
    drive(&mut app, cmds);
    let c = app.cash.clone().unwrap();
    assert_eq!(c.change(), Money::nok(2_500));
    snap_both("rounding_paid_with_change", &app);
}
