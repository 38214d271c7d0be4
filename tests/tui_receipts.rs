#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Refund receipt copies and printed X/Z reports on the staff screens: pure update tests
//! (F4 on the refund result and on the report screen, the shell's answers) and snapshots of
//! each new state at 80×24 and 120×40 with the fixed clock. Regenerate with
//! `INSTA_UPDATE=always cargo test --test tui_receipts`, then read every changed `.snap`.

mod common;
use common::tui as tui_support;
use kasse::domain::money::Money;
use kasse::domain::report::{Report, ReportKind as Kind};
use kasse::lang::Text;
use kasse::tui::app::Screen;
use kasse::tui::msg::{ReceiptNote, StaffRefundProgress};
use kasse::tui::staff::{RefundStep, ReportKind, ReportUi};
use kasse::tui::view::render_to_string;
use kasse::tui::{App, AppEvent, Command};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

const REFUND_NUMBER: &str = "R-s1-t1-000007-2";

fn snap_both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render_to_string(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render_to_string(app, 120, 40));
}

fn z_report() -> Report {
    serde_json::from_str(include_str!("common/z_report.json")).unwrap()
}

fn x_report() -> Report {
    let mut r = z_report();
    r.kind = Kind::X;
    r.number = None;
    r.generated_by = None;
    r
}

/// The refund result screen with this outcome.
fn refund_result(progress: StaffRefundProgress) -> App {
    let mut app = managed_app();
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Refund);
    app.staff.refund.step = RefundStep::Done;
    app.staff.refund.progress = Some(progress);
    app
}

fn refunded() -> StaffRefundProgress {
    StaffRefundProgress::Refunded {
        amount: Money::nok(3_000),
        refund_number: REFUND_NUMBER.into(),
        receipt: ReceiptNote::Printed,
    }
}

fn report_screen(kind: ReportKind, report: Option<Report>) -> App {
    let mut app = managed_app();
    press(&mut app, KeyCode::F(10));
    app.screen = Screen::Report;
    app.staff.report = ReportUi {
        kind,
        report: report.map(Box::new),
        ..ReportUi::default()
    };
    app
}

fn toast_text(app: &App) -> Text {
    app.toast.as_ref().expect("a message").text.clone()
}

#[test]
fn f4_on_a_confirmed_refund_asks_for_a_copy_of_its_receipt() {
    let mut app = refund_result(refunded());
    snap_both("refund_result_with_print_again", &app);
    let cmds = press(&mut app, KeyCode::F(4));
    assert_eq!(
        cmds,
        vec![Command::ReprintRefund {
            refund_number: REFUND_NUMBER.into()
        }]
    );
    assert_eq!(app.screen, Screen::Refund, "stays on the result");
    event(
        &mut app,
        AppEvent::RefundReprinted(Ok(REFUND_NUMBER.into())),
    );
    let t = toast_text(&app);
    assert!(
        t.en.contains("Copy of refund receipt R-s1-t1-000007-2"),
        "{t:?}"
    );
    assert!(t.nb.contains("Kopi av refusjonskvittering"), "{t:?}");
    snap_both("refund_receipt_copy_sent", &app);
}

#[test]
fn f4_on_a_queued_refund_says_the_receipt_prints_on_confirmation() {
    let mut app = refund_result(StaffRefundProgress::Pending {
        amount: Money::nok(3_000),
        refund_number: REFUND_NUMBER.into(),
    });
    let cmds = press(&mut app, KeyCode::F(4));
    assert!(cmds.is_empty(), "{cmds:?}");
    let t = toast_text(&app);
    assert!(
        t.en.contains("prints by itself when Vipps confirms"),
        "{t:?}"
    );
    snap_both("refund_queued_print_again_refused", &app);
}

#[test]
fn f4_on_a_failed_refund_prints_nothing() {
    let mut app = refund_result(StaffRefundProgress::Failed {
        reason: Text::new("Vipps avviste", "Vipps refused"),
    });
    assert!(press(&mut app, KeyCode::F(4)).is_empty());
    assert!(toast_text(&app).en.contains("no receipt to print again"));
}

#[test]
fn a_failed_copy_shows_the_reason() {
    let mut app = refund_result(refunded());
    press(&mut app, KeyCode::F(4));
    event(
        &mut app,
        AppEvent::RefundReprinted(Err(Text::new(
            "Ingen kvitteringsskriver er satt opp.",
            "No receipt printer is configured.",
        ))),
    );
    assert!(toast_text(&app).en.contains("No receipt printer"));
}

#[test]
fn f4_prints_the_x_report_shown() {
    let mut app = report_screen(ReportKind::X, Some(x_report()));
    snap_both("x_report_with_print", &app);
    let cmds = press(&mut app, KeyCode::F(4));
    assert_eq!(
        cmds,
        vec![Command::PrintReport {
            report: Box::new(x_report()),
            copy: false
        }]
    );
    // An X report is never a copy: every print is the figures of the moment.
    let again = press(&mut app, KeyCode::F(4));
    assert!(matches!(
        again.as_slice(),
        [Command::PrintReport { copy: false, .. }]
    ));
    event(&mut app, AppEvent::ReportPrinted(Ok("X-2026-11-21".into())));
    assert!(
        toast_text(&app)
            .en
            .contains("Report X-2026-11-21 sent to the printer")
    );
    snap_both("x_report_printed", &app);
}

#[test]
fn a_z_report_printed_again_is_a_copy() {
    let mut app = report_screen(ReportKind::Z, Some(z_report()));
    let first = press(&mut app, KeyCode::F(4));
    assert!(
        matches!(first.as_slice(), [Command::PrintReport { copy: false, report }] if report.number == Some(1)),
        "{first:?}"
    );
    let second = press(&mut app, KeyCode::F(4));
    assert!(
        matches!(second.as_slice(), [Command::PrintReport { copy: true, .. }]),
        "{second:?}"
    );
    assert!(toast_text(&app).en.contains("Printing a copy"));
    snap_both("z_report_printing_copy", &app);
}

#[test]
fn f4_before_the_report_is_there_says_so() {
    let mut app = report_screen(ReportKind::X, None);
    assert!(press(&mut app, KeyCode::F(4)).is_empty());
    assert!(toast_text(&app).en.contains("No report to print yet"));
}

#[test]
fn a_printer_problem_with_the_report_is_shown() {
    let mut app = report_screen(ReportKind::X, Some(x_report()));
    press(&mut app, KeyCode::F(4));
    event(
        &mut app,
        AppEvent::ReportPrinted(Err(Text::new(
            "Rapporten X-2026-11-21 er i kø: skriverfeil – papir tomt",
            "Report X-2026-11-21 is queued: printer error – out of paper",
        ))),
    );
    assert!(toast_text(&app).en.contains("out of paper"));
}

#[test]
fn a_queued_refund_confirmed_later_turns_to_refunded_with_its_receipt() {
    let mut app = refund_result(StaffRefundProgress::Pending {
        amount: Money::nok(3_000),
        refund_number: REFUND_NUMBER.into(),
    });
    // Another refund's confirmation does not change this screen.
    event(
        &mut app,
        AppEvent::RefundConfirmed {
            refund_number: "R-s1-t1-000003-1".into(),
            receipt: ReceiptNote::Printed,
        },
    );
    assert!(matches!(
        app.staff.refund.progress,
        Some(StaffRefundProgress::Pending { .. })
    ));
    event(
        &mut app,
        AppEvent::RefundConfirmed {
            refund_number: REFUND_NUMBER.into(),
            receipt: ReceiptNote::Printed,
        },
    );
    assert_eq!(
        app.staff.refund.progress,
        Some(StaffRefundProgress::Refunded {
            amount: Money::nok(3_000),
            refund_number: REFUND_NUMBER.into(),
            receipt: ReceiptNote::Printed,
        })
    );
    let t = toast_text(&app);
    assert!(
        t.en.contains("Vipps confirmed refund R-s1-t1-000007-2"),
        "{t:?}"
    );
    snap_both("queued_refund_confirmed_later", &app);
    // Now F4 gives a copy.
    assert_eq!(
        press(&mut app, KeyCode::F(4)),
        vec![Command::ReprintRefund {
            refund_number: REFUND_NUMBER.into()
        }]
    );
}

#[test]
fn a_confirmation_the_screen_already_shows_is_not_told_twice() {
    let mut app = refund_result(refunded());
    event(
        &mut app,
        AppEvent::RefundConfirmed {
            refund_number: REFUND_NUMBER.into(),
            receipt: ReceiptNote::Printed,
        },
    );
    assert!(app.toast.is_none(), "{:?}", app.toast);
    assert_eq!(app.staff.refund.progress, Some(refunded()));
}

#[test]
fn a_later_confirmation_with_the_printer_down_says_the_receipt_is_queued() {
    let mut app = managed_app();
    event(
        &mut app,
        AppEvent::RefundConfirmed {
            refund_number: REFUND_NUMBER.into(),
            receipt: ReceiptNote::Problem(Text::new(
                "Kvittering R-s1-t1-000007-2 i kø: skriverfeil – papir tomt",
                "Receipt R-s1-t1-000007-2 queued: printer error – out of paper",
            )),
        },
    );
    let t = toast_text(&app);
    assert!(t.en.contains("Vipps confirmed refund"), "{t:?}");
    assert!(t.en.contains("out of paper"), "{t:?}");
    assert_eq!(
        app.screen,
        Screen::Sale,
        "a message only, the sale screen stays"
    );
}

/// The § 2-8-2 figures (letters e–x) on the report screen, scrolled down to them.
#[test]
fn the_report_screen_shows_the_section_2_8_2_figures() {
    let mut app = report_screen(ReportKind::Z, Some(z_report()));
    let text = kasse::receipt::report::render_text(&z_report(), kasse::lang::Lang::En);
    let at = text
        .lines()
        .position(|l| l.starts_with("-- REGULATION § 2-8-2"))
        .unwrap();
    app.staff.report.scroll = u16::try_from(at).unwrap();
    snap_both("z_report_section_2_8_2", &app);
}

#[test]
fn a_refused_z_offers_the_days_stored_copy() {
    let mut app = report_screen(ReportKind::Z, None);
    app.staff.report.refusal = Some(kasse::tui::msg::ZRefusal {
        reason: Text::new(
            "Z-rapport: en betaling pågår fortsatt (kvittering s1-t1-000009). Vent til den er betalt eller avbrutt, og ta Z-rapporten igjen.",
            "Z report: a payment is still in progress (receipt s1-t1-000009). Wait until it is paid or cancelled, then take the Z report again.",
        ),
        outbox_unresolved: 0,
        dead_unacknowledged: 0,
    });
    snap_both("z_refused_offers_the_days_stored_copy", &app);
    let cmds = press(&mut app, KeyCode::F(4));
    assert_eq!(
        cmds,
        vec![Command::PrintStoredZ {
            date: time::macros::date!(2026 - 11 - 21)
        }]
    );
    event(&mut app, AppEvent::ReportPrinted(Ok("Z-1".into())));
    assert!(
        toast_text(&app)
            .en
            .contains("Report Z-1 sent to the printer")
    );
}
