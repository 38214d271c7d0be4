#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The staff screens (F10): pure update tests (menu, refund search / pick / full / amount /
//! per line / over-refund / missing reason, X/Z report, batch gauge) and snapshots of every
//! new screen state at 80×24 and 120×40 with the fixed clock (2026-11-21 12:00 UTC, 13:00
//! local). Regenerate with `INSTA_UPDATE=always cargo test --test tui_staff`, then read every
//! changed `.snap` before committing.

mod common;
use common::tui as tui_support;
use kasse::domain::batch::{BatchOutcome, BatchProgress, Uncaptured};
use kasse::domain::money::Money;
use kasse::domain::reconcile::{Finding, FindingKind, Reconciliation};
use kasse::domain::refund::{
    LineRefund, RefundContext, RefundMode, RefundStatus, RefundableLine, SaleHit, vat_of_gross,
};
use kasse::domain::report::{
    Amounts, ApiTotal, Report, ReportKind, Section, TenderTotal, VatTotal,
};
use kasse::engine::ApiKind;
use kasse::lang::Text;
use kasse::tui::app::{ManagerAction, Prompt, Screen};
use kasse::tui::msg::{OutboxCleared, ReceiptNote, StaffRefundProgress, ZRefusal};
use kasse::tui::staff::{RefundKind, RefundStep, parse_sale_query};
use kasse::tui::view::render_to_string;
use kasse::tui::{App, AppEvent, Command};
use ratatui::crossterm::event::KeyCode;
use time::macros::datetime;
use tui_support::*;

const SALE_REF: &str = "kasse-s1-t1-000007-a1";

fn snap_both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render_to_string(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render_to_string(app, 120, 40));
}

fn staff_app() -> App {
    managed_app()
}

fn hits() -> Vec<SaleHit> {
    vec![
        SaleHit {
            sale_id: 7,
            receipt_number: "s1-t1-000007".into(),
            created_at: datetime!(2026-11-21 11:42:10 UTC),
            currency: "NOK".into(),
            gross_total: 15_000,
            status: "paid".into(),
            training: false,
            references: vec![SALE_REF.into()],
            phone_last_digits: Some("4567".into()),
        },
        SaleHit {
            sale_id: 5,
            receipt_number: "s1-t1-000005".into(),
            created_at: datetime!(2026-11-21 10:05:00 UTC),
            currency: "NOK".into(),
            gross_total: 4_990,
            status: "partially_refunded".into(),
            training: false,
            references: vec![
                "kasse-s1-t1-000005-a1".into(),
                "kasse-s1-t1-000005-a2".into(),
            ],
            phone_last_digits: None,
        },
    ]
}

fn line(no: i64, name: &str, q: i64, rate: i64, gross: i64, refunded_milli: i64) -> RefundableLine {
    let vat = vat_of_gross(gross, rate);
    RefundableLine {
        line_no: no,
        name: name.into(),
        quantity: (q / 1000).to_string(),
        quantity_milli: q,
        unit: "pcs".into(),
        vat_rate: rate,
        gross,
        net: gross - vat,
        vat,
        is_return: false,
        refunded_milli,
        refunded_gross: gross * refunded_milli / q.max(1),
    }
}

/// Captured kr 150,00; kr 25,00 already refunded (one Kaffe).
fn context() -> RefundContext {
    RefundContext {
        sale_id: 7,
        receipt_number: "s1-t1-000007".into(),
        shop_id: "s1".into(),
        till_id: "t1".into(),
        training: false,
        currency: "NOK".into(),
        payment_id: 9,
        api: ApiKind::Epayment,
        reference: SALE_REF.into(),
        psp_transaction_id: None,
        paid_at: datetime!(2026-11-21 11:42:30 UTC),
        captured: 15_000,
        refunded: 2_500,
        lines: vec![
            line(1, "Kaffe", 2000, 1500, 5_000, 1000),
            line(2, "Ladekabel", 1000, 2500, 10_000, 0),
        ],
    }
}

fn last_id(cmds: &[Command]) -> u64 {
    match cmds.last() {
        Some(
            Command::FindSales { request_id, .. }
            | Command::LoadRefund { request_id, .. }
            | Command::Refund { request_id, .. }
            | Command::XReport { request_id, .. }
            | Command::CloseDay { request_id, .. }
            | Command::AcknowledgeOutbox { request_id, .. }
            | Command::LoadBatch { request_id, .. }
            | Command::RunBatch { request_id, .. },
        ) => *request_id,
        other => panic!("no staff command: {other:?}"),
    }
}

/// F10 → Refund → search "000007" → one answer with the hits.
fn with_hits() -> App {
    let mut app = staff_app();
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, "000007");
    let id = last_id(&cmds);
    event(
        &mut app,
        AppEvent::StaffSales {
            request_id: id,
            result: Ok(hits()),
        },
    );
    app
}

/// …then pick the first hit and load its context.
fn with_form() -> App {
    let mut app = with_hits();
    let cmds = press(&mut app, KeyCode::Enter);
    let id = last_id(&cmds);
    event(
        &mut app,
        AppEvent::StaffRefundContext {
            request_id: id,
            result: Ok(Box::new(context())),
        },
    );
    app
}

fn confirmed_with(kind_key: KeyCode, value: &str, reason: &str) -> App {
    let mut app = with_form();
    press(&mut app, kind_key);
    type_text(&mut app, value);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, reason);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    app
}

fn section(training: bool) -> Section {
    let (gross, vat) = if training {
        (10_000, 2_000)
    } else {
        (34_980, 5_246)
    };
    Section {
        training,
        currency: "NOK".into(),
        sales: Amounts {
            count: if training { 1 } else { 4 },
            gross,
            net: gross - vat,
            vat,
        },
        tenders: vec![TenderTotal {
            tender: "vipps".into(),
            count: if training { 1 } else { 4 },
            gross,
        }],
        vipps: vec![ApiTotal {
            api: "epayment".into(),
            count: if training { 1 } else { 4 },
            captured: gross,
        }],
        vat_rates: vec![VatTotal {
            rate: 2500,
            gross,
            net: gross - vat,
            vat,
        }],
        refunds: Amounts {
            count: if training { 0 } else { 1 },
            gross: if training { 0 } else { 2_500 },
            net: if training { 0 } else { 2_174 },
            vat: if training { 0 } else { 326 },
        },
        refund_vat_rates: Vec::new(),
        refunds_pending: 0,
        refunds_failed: 0,
        cancellations: Amounts {
            count: if training { 0 } else { 1 },
            gross: if training { 0 } else { 4_990 },
            net: 0,
            vat: 0,
        },
        failed: 0,
        open: 0,
        net_turnover: if training { gross } else { gross - 2_500 },
        cash_rounding: 0,
        cash_returns: 0,
    }
}

fn report(kind: ReportKind, number: Option<i64>, reconciled: bool) -> Report {
    Report {
        kind,
        number,
        shop_id: "s1".into(),
        till_id: "t1".into(),
        business_date: "2026-11-21".into(),
        period_from: "2026-11-20T23:00:00.000Z".into(),
        period_to: "2026-11-21T23:00:00.000Z".into(),
        generated_at: "2026-11-21T12:00:00.000Z".into(),
        generated_by: number.map(|_| "m1".into()),
        sections: vec![section(false), section(true)],
        drawer_opens_no_sale: 2,
        outbox_unresolved: 0,
        fiscal: Default::default(),
        reconciliation: reconciled.then(|| Reconciliation {
            checked: 4,
            matched: 3,
            journal_captured: 34_980,
            journal_refunded: 2_500,
            vipps_captured: 34_980,
            vipps_refunded: 2_500,
            findings: vec![Finding {
                kind: FindingKind::AuthorizedNotCaptured,
                reference: "kasse-s1-t1-000009-a1".into(),
                api: ApiKind::Epayment,
                receipt_number: "s1-t1-000009".into(),
                currency: "NOK".into(),
                journal_captured: 0,
                journal_refunded: 0,
                vipps_authorized: Some(2_000),
                vipps_captured: Some(0),
                vipps_refunded: Some(0),
                vipps_cancelled: Some(0),
                action: Text::new(
                    "kr 20,00 er reservert men ikke trukket.",
                    "kr 20,00 is reserved but not captured.",
                ),
            }],
        }),
    }
}

fn uncaptured() -> Vec<Uncaptured> {
    (1..=4)
        .map(|i| Uncaptured {
            reference: format!("kasse-s1-t1-00001{i}-a1"),
            receipt_number: format!("s1-t1-00001{i}"),
            api: ApiKind::Epayment,
            currency: "NOK".into(),
            amount: 1_000 * i,
            captured: 0,
            state: "authorized".into(),
            created_at: datetime!(2026-11-21 09:00:00 UTC) + time::Duration::minutes(i * 7),
        })
        .collect()
}

// ================================================================ menu

#[test]
fn f10_opens_the_staff_menu_and_esc_goes_back() {
    let mut app = staff_app();
    assert!(press(&mut app, KeyCode::F(10)).is_empty());
    assert_eq!(app.screen, Screen::Staff);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.staff.menu, 0);
    for _ in 0..9 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.staff.menu, 7, "stops at the last entry");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Sale);
}

#[test]
fn staff_menu_is_blocked_in_kiosk_mode() {
    let mut app = kiosk_app();
    assert!(press(&mut app, KeyCode::F(10)).is_empty());
    assert_eq!(app.screen, Screen::Sale);
    assert!(app.toast.is_some(), "the cashier is told why");
}

#[test]
fn manager_entries_need_a_manager_and_x_report_does_not() {
    let mut app = tui_support::app(); // no manager in the staff journal
    press(&mut app, KeyCode::F(10));
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.screen, Screen::Staff, "refund refused");
    let t = app.toast.clone().unwrap().text;
    assert!(t.en.contains("kasse create-manager"), "{}", t.en);
    press(&mut app, KeyCode::Down);
    let cmds = press(&mut app, KeyCode::Enter);
    match cmds.as_slice() {
        [Command::XReport { date, .. }] => {
            assert_eq!(*date, time::macros::date!(2026 - 11 - 21));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(app.screen, Screen::Report);
}

#[test]
fn menu_snapshot() {
    let mut app = staff_app();
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Down);
    snap_both("staff_menu", &app);
}

// ================================================================ refund: search

#[test]
fn the_search_line_is_understood() {
    let now = datetime!(2026-11-21 12:00:00 UTC);
    let off = time::UtcOffset::from_hms(1, 0, 0).unwrap();
    let nok = kasse::domain::money::Currency::Nok;
    let q = parse_sale_query("000123", now, off, nok).unwrap();
    assert_eq!(q.reference.as_deref(), Some("000123"));
    let q = parse_sale_query("4567", now, off, nok).unwrap();
    assert_eq!(q.phone_last_digits.as_deref(), Some("4567"));
    let q = parse_sale_query("49,90", now, off, nok).unwrap();
    assert_eq!(q.gross_total, Some(4990));
    let q = parse_sale_query("kr 150", now, off, nok).unwrap();
    assert_eq!(q.gross_total, Some(15_000));
    let q = parse_sale_query("14:30", now, off, nok).unwrap();
    assert_eq!(q.from, Some(datetime!(2026-11-21 13:30:00 UTC)));
    assert_eq!(q.to, Some(datetime!(2026-11-21 14:30:00 UTC)));
    let q = parse_sale_query("s1-t1-000007", now, off, nok).unwrap();
    assert_eq!(q.reference.as_deref(), Some("s1-t1-000007"));
    let e = parse_sale_query("two words", now, off, nok).unwrap_err();
    assert!(e.en.starts_with("Search:"), "{}", e.en);
    assert!(e.nb.starts_with("Søk:"), "{}", e.nb);
    assert!(parse_sale_query("25:99", now, off, nok).is_err());
}

#[test]
fn search_sends_find_sales_and_ignores_stale_answers() {
    let mut app = staff_app();
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Refund);
    let cmds = enter_text(&mut app, "4567");
    let id = match cmds.as_slice() {
        [Command::FindSales { request_id, query }] => {
            assert_eq!(query.phone_last_digits.as_deref(), Some("4567"));
            *request_id
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        app.input.value(),
        "",
        "the line is free for the next search"
    );
    // An older answer is ignored.
    event(
        &mut app,
        AppEvent::StaffSales {
            request_id: id.wrapping_sub(1),
            result: Ok(hits()),
        },
    );
    assert!(app.staff.refund.hits.is_empty());
    event(
        &mut app,
        AppEvent::StaffSales {
            request_id: id,
            result: Ok(hits()),
        },
    );
    assert_eq!(app.staff.refund.hits.len(), 2);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.staff.refund.selected, 1);
}

#[test]
fn bad_search_and_empty_pick_say_what_to_do() {
    let mut app = staff_app();
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Enter);
    assert!(enter_text(&mut app, "a b").is_empty());
    assert!(app.toast.clone().unwrap().text.en.starts_with("Search:"));
    app.input.reset();
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(app.toast.clone().unwrap().text.en.contains("Pick a sale"));
}

#[test]
fn picking_a_hit_loads_its_latest_payment() {
    let mut app = with_hits();
    press(&mut app, KeyCode::Down);
    let cmds = press(&mut app, KeyCode::Enter);
    match cmds.as_slice() {
        [Command::LoadRefund { reference, .. }] => {
            assert_eq!(reference, "kasse-s1-t1-000005-a2");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(app.staff.refund.step, RefundStep::Loading);
}

#[test]
fn search_results_snapshot() {
    snap_both("refund_search_results", &with_hits());
}

// ================================================================ refund: form

#[test]
fn full_refund_needs_a_reason_then_plans_everything_left() {
    let mut app = with_form();
    assert_eq!(app.staff.refund.step, RefundStep::Form);
    assert_eq!(app.staff.refund.kind, RefundKind::Full);
    // No reason: refused, naming the field.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.staff.refund.step, RefundStep::Form);
    let t = app.toast.clone().unwrap().text;
    assert!(t.en.starts_with("Reason:"), "{}", t.en);
    assert!(t.nb.starts_with("Årsak:"), "{}", t.nb);
    type_text(&mut app, "wrong item");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.staff.refund.step, RefundStep::Confirm);
    assert_eq!(app.staff.refund.plan.as_ref().unwrap().amount, 12_500);
    let req = app.staff.refund.request.clone().unwrap();
    assert_eq!(req.mode, RefundMode::Full);
    assert_eq!(req.reason, "wrong item");
    assert_eq!(req.reference, SALE_REF);
}

#[test]
fn partial_refund_by_amount() {
    let app = confirmed_with(KeyCode::F(3), "30", "damaged");
    assert_eq!(app.staff.refund.step, RefundStep::Confirm);
    assert_eq!(
        app.staff.refund.request.as_ref().unwrap().mode,
        RefundMode::Amount(3_000)
    );
    assert_eq!(app.staff.refund.plan.as_ref().unwrap().amount, 3_000);
}

#[test]
fn over_refund_shows_the_librarys_message_and_stays_on_the_form() {
    let app = confirmed_with(KeyCode::F(3), "130", "damaged");
    assert_eq!(app.staff.refund.step, RefundStep::Form);
    let t = app.toast.clone().unwrap().text;
    assert!(
        t.en.contains("more than can be refunded") && t.en.contains("at most kr 125,00"),
        "{}",
        t.en
    );
    assert!(t.nb.contains("høyst kr 125,00"), "{}", t.nb);
}

#[test]
fn bad_amount_names_the_field() {
    let app = confirmed_with(KeyCode::F(3), "abc", "damaged");
    assert_eq!(app.staff.refund.step, RefundStep::Form);
    assert!(app.toast.clone().unwrap().text.en.starts_with("Amount:"));
}

#[test]
fn per_line_refund_sends_the_lines_and_refuses_more_than_bought() {
    let mut app = with_form();
    press(&mut app, KeyCode::F(4));
    assert_eq!(app.staff.refund.kind, RefundKind::Lines);
    type_text(&mut app, "1"); // line 1: one more Kaffe
    press(&mut app, KeyCode::Down);
    type_text(&mut app, "1"); // line 2: the cable
    assert_eq!(app.staff.refund.line_qty, vec!["1", "1"]);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "returned");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.refund.step, RefundStep::Confirm);
    assert_eq!(
        app.staff.refund.request.as_ref().unwrap().mode,
        RefundMode::Lines(vec![
            LineRefund {
                line_no: 1,
                quantity_milli: 1000
            },
            LineRefund {
                line_no: 2,
                quantity_milli: 1000
            },
        ])
    );
    assert_eq!(app.staff.refund.plan.as_ref().unwrap().amount, 12_500);

    // Esc back to the form; two more Kaffe is more than is left of the line.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.staff.refund.step, RefundStep::Form);
    press(&mut app, KeyCode::Up);
    assert_eq!(
        app.input.value(),
        "1",
        "the line's quantity is back on the input line"
    );
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "2");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.refund.step, RefundStep::Form);
    let t = app.toast.clone().unwrap().text.en;
    assert!(t.contains("Line 1") || t.contains("line 1"), "{t}");
}

#[test]
fn a_bad_line_quantity_names_the_line() {
    let mut app = with_form();
    press(&mut app, KeyCode::F(4));
    type_text(&mut app, "x");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "r");
    press(&mut app, KeyCode::Enter);
    let t = app.toast.clone().unwrap().text;
    assert!(t.en.starts_with("Line 1:"), "{}", t.en);
}

#[test]
fn up_down_outside_per_line_explains_f4() {
    let mut app = with_form();
    press(&mut app, KeyCode::Down);
    assert!(app.toast.clone().unwrap().text.en.contains("F4"));
}

#[test]
fn refund_form_snapshots() {
    let mut app = with_form();
    press(&mut app, KeyCode::F(3));
    type_text(&mut app, "30,00");
    snap_both("refund_form_amount", &app);
    let mut app = with_form();
    press(&mut app, KeyCode::F(4));
    press(&mut app, KeyCode::Down);
    type_text(&mut app, "1");
    snap_both("refund_form_per_line", &app);
}

#[test]
fn norwegian_menu_and_per_line_confirm_snapshots() {
    let mut c = ctx(kasse::lang::Lang::Nb);
    c.manager_pins = true;
    let mut app = App::new(&c);
    press(&mut app, KeyCode::F(10));
    snap_both("staff_menu_nb", &app);
    press(&mut app, KeyCode::Enter);
    let id = last_id(&enter_text(&mut app, "000007"));
    event(
        &mut app,
        AppEvent::StaffSales {
            request_id: id,
            result: Ok(hits()),
        },
    );
    let id = last_id(&press(&mut app, KeyCode::Enter));
    event(
        &mut app,
        AppEvent::StaffRefundContext {
            request_id: id,
            result: Ok(Box::new(context())),
        },
    );
    press(&mut app, KeyCode::F(4));
    type_text(&mut app, "1");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "feil vare");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.refund.step, RefundStep::Confirm);
    snap_both("refund_confirm_per_line_nb", &app);
}

#[test]
fn confirm_snapshot() {
    snap_both(
        "refund_confirm",
        &confirmed_with(KeyCode::F(3), "30", "damaged in transport"),
    );
}

// ================================================================ refund: confirm and result

fn sent() -> (App, u64) {
    let mut app = confirmed_with(KeyCode::F(3), "30", "damaged");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.prompt, Some(Prompt::ManagerPin));
    assert_eq!(app.manager.asking, Some(ManagerAction::Refund));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let id = match cmds.as_slice() {
        [
            Command::Refund {
                request_id,
                pin,
                request,
            },
        ] => {
            assert_eq!(pin.expose(), MANAGER_PIN);
            assert!(!format!("{:?}", cmds).contains(MANAGER_PIN), "PIN redacted");
            assert_eq!(request.mode, RefundMode::Amount(3_000));
            *request_id
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(app.staff.refund.step, RefundStep::Sending);
    (app, id)
}

#[test]
fn confirm_asks_the_manager_pin_and_sends_the_refund_with_it() {
    let (app, _) = sent();
    assert!(!format!("{app:?}").contains(MANAGER_PIN));
}

#[test]
fn refund_progress_queued_then_refunded() {
    let (mut app, id) = sent();
    event(
        &mut app,
        AppEvent::StaffRefund {
            request_id: id,
            progress: StaffRefundProgress::Queued {
                amount: Money::nok(3_000),
                key: format!("{SALE_REF}-refund-2"),
            },
        },
    );
    assert_eq!(app.staff.refund.step, RefundStep::Sending);
    snap_both("refund_queued_waiting_for_vipps", &app);
    // Esc while it is sent: back to the menu; the refund goes on and the menu entry leads
    // back to it.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Staff);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Refund);
    assert_eq!(app.staff.refund.step, RefundStep::Sending);
    event(
        &mut app,
        AppEvent::StaffRefund {
            request_id: id,
            progress: StaffRefundProgress::Refunded {
                amount: Money::nok(3_000),
                refund_number: "R-s1-t1-000007-2".into(),
                receipt: ReceiptNote::Printed,
            },
        },
    );
    assert_eq!(app.staff.refund.step, RefundStep::Done);
    snap_both("refund_result_refunded", &app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Staff);
    assert_eq!(
        app.staff.refund.step,
        RefundStep::Search,
        "reset for the next one"
    );
}

#[test]
fn a_refund_that_finishes_elsewhere_is_told_in_a_message() {
    let (mut app, id) = sent();
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Sale);
    event(
        &mut app,
        AppEvent::StaffRefund {
            request_id: id,
            progress: StaffRefundProgress::Refunded {
                amount: Money::nok(3_000),
                refund_number: "R-s1-t1-000007-2".into(),
                receipt: ReceiptNote::Printed,
            },
        },
    );
    let t = app.toast.clone().unwrap();
    assert_eq!(t.kind, kasse::tui::app::ToastKind::Info);
    assert!(t.text.en.contains("R-s1-t1-000007-2") && t.text.en.contains("paid back"));
    // The finished refund is still on its screen until the cashier leaves it.
    press(&mut app, KeyCode::F(10));
    assert_eq!(app.screen, Screen::Staff);
}

#[test]
fn refund_result_queued_offline_and_failed() {
    let (mut app, id) = sent();
    event(
        &mut app,
        AppEvent::StaffRefund {
            request_id: id,
            progress: StaffRefundProgress::Pending {
                amount: Money::nok(3_000),
                refund_number: "R-s1-t1-000007-2".into(),
            },
        },
    );
    assert_eq!(app.staff.refund.step, RefundStep::Done);
    snap_both("refund_result_queued_offline", &app);

    let (mut app, id) = sent();
    event(
        &mut app,
        AppEvent::StaffRefund {
            request_id: id,
            progress: StaffRefundProgress::Failed {
                reason: Text::new(
                    "Vipps avviste refusjonen: beløpet er høyere enn det som kan refunderes",
                    "Vipps refused the refund: the amount is more than can be refunded",
                ),
            },
        },
    );
    snap_both("refund_result_failed", &app);
}

#[test]
fn a_refused_refund_goes_back_to_the_summary_with_the_reason() {
    let (mut app, id) = sent();
    event(
        &mut app,
        AppEvent::StaffRefund {
            request_id: id,
            progress: StaffRefundProgress::Refused {
                reason: Text::new("PIN: feil PIN.", "PIN: wrong PIN. 2 attempts left"),
            },
        },
    );
    assert_eq!(app.staff.refund.step, RefundStep::Confirm);
    assert!(app.toast.clone().unwrap().text.en.contains("wrong PIN"));
    // Another answer for the same request id is ignored now.
    event(
        &mut app,
        AppEvent::StaffRefund {
            request_id: id,
            progress: StaffRefundProgress::Refunded {
                amount: Money::nok(3_000),
                refund_number: "x".into(),
                receipt: ReceiptNote::NoPrinter,
            },
        },
    );
    assert_eq!(app.staff.refund.step, RefundStep::Confirm);
}

// ================================================================ X / Z report

fn x_open() -> (App, u64) {
    let mut app = staff_app();
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Down);
    let cmds = press(&mut app, KeyCode::Enter);
    (app, last_id(&cmds))
}

#[test]
fn x_report_shows_figures_while_checking_with_vipps_then_the_reconciliation() {
    let (mut app, id) = x_open();
    assert_eq!(app.screen, Screen::Report);
    snap_both("x_report_loading", &app);
    event(
        &mut app,
        AppEvent::StaffReport {
            request_id: id,
            result: Ok(Box::new(report(ReportKind::X, None, false))),
            checking: true,
        },
    );
    assert!(app.staff.report.checking);
    snap_both("x_report_checking_with_vipps", &app);
    event(
        &mut app,
        AppEvent::StaffReport {
            request_id: id,
            result: Ok(Box::new(report(ReportKind::X, None, true))),
            checking: false,
        },
    );
    assert!(!app.staff.report.checking);
    assert!(
        app.staff
            .report
            .report
            .as_ref()
            .unwrap()
            .reconciliation
            .is_some()
    );
    snap_both("x_report_reconciled", &app);
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.staff.report.scroll, 13);
    press(&mut app, KeyCode::PageUp);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.staff.report.scroll, 0);
    snap_both("x_report_scrolled", &{
        let mut a = app.clone();
        a.staff.report.scroll = 30;
        a
    });
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Staff);
}

fn z_sent() -> (App, u64) {
    let mut app = staff_app();
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    // The drawer is counted first (cash management), then the manager PIN.
    assert_eq!(app.screen, Screen::Cash);
    assert!(enter_text(&mut app, "1 234,50").is_empty());
    assert_eq!(app.manager.asking, Some(ManagerAction::ZReport));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    match cmds.as_slice() {
        [
            Command::CloseDay {
                pin, date, counted, ..
            },
        ] => {
            assert_eq!(pin.expose(), MANAGER_PIN);
            assert_eq!(*date, time::macros::date!(2026 - 11 - 21));
            assert_eq!(*counted, Some(123_450));
        }
        other => panic!("{other:?}"),
    }
    (app, last_id(&cmds))
}

fn refusal(dead: i64) -> ZRefusal {
    ZRefusal {
        reason: Text::new(
            "Z-rapport: 3 oppdrag i køen er ikke sendt til Vipps eller har feilet uten å være kvittert ut. Send dem (`kasse queue --drain`) eller la en leder kvittere ut de feilede, og prøv igjen.",
            "Z report: 3 queued Vipps actions are unsent, or failed and not acknowledged. Send them (`kasse queue --drain`) or have a manager acknowledge the failed ones, then try again.",
        ),
        outbox_unresolved: 3,
        dead_unacknowledged: dead,
    }
}

#[test]
fn z_refused_because_of_the_outbox_offers_to_acknowledge_then_closes() {
    let (mut app, id) = z_sent();
    snap_both("z_report_closing", &app);
    event(
        &mut app,
        AppEvent::StaffZ {
            request_id: id,
            result: Err(refusal(2)),
        },
    );
    snap_both("z_report_refused_outbox", &app);
    // F8: acknowledge the dead rows (manager PIN).
    assert!(press(&mut app, KeyCode::F(8)).is_empty());
    assert_eq!(app.manager.asking, Some(ManagerAction::AcknowledgeOutbox));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    assert!(
        matches!(cmds.as_slice(), [Command::AcknowledgeOutbox { .. }]),
        "{cmds:?}"
    );
    event(
        &mut app,
        AppEvent::StaffAcknowledged {
            request_id: last_id(&cmds),
            result: Ok(OutboxCleared {
                acknowledged: 2,
                still_unresolved: 0,
            }),
        },
    );
    let z = app.staff.report.refusal.clone().unwrap();
    assert_eq!((z.outbox_unresolved, z.dead_unacknowledged), (0, 0));
    assert!(
        app.toast
            .clone()
            .unwrap()
            .text
            .en
            .contains("2 failed rows acknowledged")
    );
    // F8 does nothing now; Enter tries the Z again.
    assert!(press(&mut app, KeyCode::F(8)).is_empty());
    assert_eq!(app.prompt, None);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.manager.asking, Some(ManagerAction::ZReport));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let id = last_id(&cmds);
    event(
        &mut app,
        AppEvent::StaffZ {
            request_id: id,
            result: Ok(Box::new(report(ReportKind::Z, Some(12), true))),
        },
    );
    assert!(app.staff.report.refusal.is_none());
    snap_both("z_report_done", &app);
}

#[test]
fn z_refused_with_only_unsent_rows_does_not_offer_to_acknowledge() {
    let (mut app, id) = z_sent();
    event(
        &mut app,
        AppEvent::StaffZ {
            request_id: id,
            result: Err(refusal(0)),
        },
    );
    assert!(press(&mut app, KeyCode::F(8)).is_empty());
    assert_eq!(
        app.prompt, None,
        "nothing to acknowledge: unsent rows must be sent"
    );
}

// ================================================================ batch

fn batch_open() -> (App, u64) {
    let mut app = staff_app();
    press(&mut app, KeyCode::F(10));
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Command::LoadBatch { .. }]),
        "{cmds:?}"
    );
    (app, last_id(&cmds))
}

#[test]
fn batch_capture_drives_the_gauge_from_progress_events() {
    let (mut app, id) = batch_open();
    assert_eq!(app.screen, Screen::Batch);
    assert!(app.staff.batch.loading);
    event(
        &mut app,
        AppEvent::StaffBatchCandidates {
            request_id: id,
            result: Ok(uncaptured()),
        },
    );
    snap_both("batch_candidates", &app);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.manager.asking, Some(ManagerAction::Batch));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let id = match cmds.as_slice() {
        [
            Command::RunBatch {
                request_id,
                references,
                ..
            },
        ] => {
            assert_eq!(references.len(), 4);
            assert_eq!(references[0], "kasse-s1-t1-000011-a1");
            *request_id
        }
        other => panic!("{other:?}"),
    };
    assert!(app.staff.batch.running);
    // Enter while running does not start a second batch.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.prompt, None);
    for (done, reference) in [(1, "kasse-s1-t1-000011-a1"), (2, "kasse-s1-t1-000012-a1")] {
        event(
            &mut app,
            AppEvent::StaffBatchProgress {
                request_id: id,
                progress: BatchProgress {
                    done,
                    total: 4,
                    reference: reference.into(),
                    ok: true,
                },
            },
        );
    }
    assert_eq!((app.staff.batch.done, app.staff.batch.total), (2, 4));
    snap_both("batch_progress", &app);
    let outcomes: Vec<BatchOutcome> = uncaptured()
        .iter()
        .enumerate()
        .map(|(i, c)| BatchOutcome {
            index: i,
            reference: c.reference.clone(),
            op: "capture",
            amount: c.amount,
            status: if i == 3 {
                RefundStatus::Failed("refused".into())
            } else {
                RefundStatus::Done
            },
            refused: None,
        })
        .collect();
    event(
        &mut app,
        AppEvent::StaffBatchDone {
            request_id: id,
            result: Ok(outcomes),
        },
    );
    assert!(!app.staff.batch.running);
    assert_eq!(app.staff.batch.done, 4);
    snap_both("batch_done", &app);
    // Done: Enter does not run it again.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.prompt, None);
}

#[test]
fn an_empty_batch_is_not_started() {
    let (mut app, id) = batch_open();
    event(
        &mut app,
        AppEvent::StaffBatchCandidates {
            request_id: id,
            result: Ok(Vec::new()),
        },
    );
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.prompt, None);
    assert!(app.toast.clone().unwrap().text.en.contains("No payments"));
}

// ================================================================ robustness

/// The answer a shell would give to a staff command (fixtures), so random key sequences walk
/// through every staff screen.
fn answer(cmd: &Command) -> Vec<AppEvent> {
    match cmd {
        Command::FindSales { request_id, .. } => vec![AppEvent::StaffSales {
            request_id: *request_id,
            result: Ok(hits()),
        }],
        Command::LoadRefund { request_id, .. } => vec![AppEvent::StaffRefundContext {
            request_id: *request_id,
            result: Ok(Box::new(context())),
        }],
        Command::Refund { request_id, .. } => vec![
            AppEvent::StaffRefund {
                request_id: *request_id,
                progress: StaffRefundProgress::Queued {
                    amount: Money::nok(100),
                    key: "k".into(),
                },
            },
            AppEvent::StaffRefund {
                request_id: *request_id,
                progress: StaffRefundProgress::Pending {
                    amount: Money::nok(100),
                    refund_number: "R-1".into(),
                },
            },
        ],
        Command::XReport { request_id, .. } => vec![AppEvent::StaffReport {
            request_id: *request_id,
            result: Ok(Box::new(report(ReportKind::X, None, true))),
            checking: false,
        }],
        Command::CloseDay { request_id, .. } => vec![AppEvent::StaffZ {
            request_id: *request_id,
            result: Err(refusal(1)),
        }],
        Command::AcknowledgeOutbox { request_id, .. } => vec![AppEvent::StaffAcknowledged {
            request_id: *request_id,
            result: Err(Text::new("nei", "no")),
        }],
        Command::LoadBatch { request_id, .. } => vec![AppEvent::StaffBatchCandidates {
            request_id: *request_id,
            result: Ok(uncaptured()),
        }],
        Command::RunBatch { request_id, .. } => vec![
            AppEvent::StaffBatchProgress {
                request_id: *request_id,
                progress: BatchProgress {
                    done: 1,
                    total: 4,
                    reference: "r".into(),
                    ok: false,
                },
            },
            AppEvent::StaffBatchDone {
                request_id: *request_id,
                result: Err(Text::new("nei", "no")),
            },
        ],
        _ => Vec::new(),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any key sequence on the staff screens (answered by the fixtures, or left unanswered)
    /// never panics and always renders within the terminal.
    #[test]
    fn random_keys_on_the_staff_screens_never_break_the_screen(
        keys in proptest::collection::vec((0usize..20, proptest::bool::ANY), 1..60)
    ) {
        let codes = [
            KeyCode::F(10), KeyCode::Enter, KeyCode::Esc, KeyCode::Tab, KeyCode::Up,
            KeyCode::Down, KeyCode::PageUp, KeyCode::PageDown, KeyCode::F(2), KeyCode::F(3),
            KeyCode::F(4), KeyCode::F(8), KeyCode::Backspace, KeyCode::Char('1'),
            KeyCode::Char('9'), KeyCode::Char(','), KeyCode::Char('a'), KeyCode::Char(' '),
            KeyCode::Char('3'), KeyCode::Char('7'),
        ];
        let mut app = staff_app();
        for (k, answered) in keys {
            let cmds = press(&mut app, codes[k]);
            if answered {
                for c in &cmds {
                    for ev in answer(c) {
                        event(&mut app, ev);
                    }
                }
            }
            for (w, h) in [(80u16, 24u16), (120, 40)] {
                let screen = render_to_string(&app, w, h);
                proptest::prop_assert_eq!(screen.lines().count(), usize::from(h));
                for line in screen.lines() {
                    proptest::prop_assert!(line.chars().count() <= usize::from(w), "too wide: {}", line);
                }
            }
        }
    }
}
