#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end through the shell: the staff screens' F4 keys run by `app::execute_with_progress`
//! against the in-process simulator and a demo paper (`receipts.txt`): a refund receipt copy
//! (COPY), the X report on paper (TRAINING in demo), the Z report on paper, the same Z again
//! as the stored snapshot (COPY), and a second Z the same day (the next period).

mod common;
use common::staff as staff_support;
use common::tui as tui_support;
use kasse::app::{Paper, StaffAccess};
use kasse::config::Config;
use kasse::domain::refund::{RefundMode, RefundRequest};
use kasse::engine::ApiKind;
use kasse::lang::Lang;
use kasse::service::refund;
use kasse::tui::app::Screen;
use kasse::tui::msg::{ReceiptNote, StaffRefundProgress};
use kasse::tui::staff::RefundStep;
use kasse::tui::{App, AppEvent, Command};
use ratatui::crossterm::event::KeyCode;
use staff_support::{MANAGER_PIN, outbox_drained, paid_sale, till};
use tui_support::{ctx, enter_text, press};

async fn run(
    t: &staff_support::Till,
    app: &mut App,
    paper: Option<&Paper>,
    staff: &StaffAccess,
    cmds: Vec<Command>,
) -> Vec<AppEvent> {
    staff_support::drive(&t.run.engine, app, paper, staff, cmds).await
}

fn managed() -> App {
    let mut c = ctx(Lang::En);
    c.manager_pins = true;
    c.clock = std::sync::Arc::new(kasse::clock::SystemClock);
    App::new(&c)
}

fn printed_since(dir: &std::path::Path, from: usize) -> String {
    let all = std::fs::read_to_string(dir.join("receipts.txt")).unwrap_or_default();
    all.get(from..).unwrap_or_default().to_owned()
}

fn len(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("receipts.txt"))
        .map(|s| s.len())
        .unwrap_or(0)
}

fn printed_ok(seen: &[AppEvent]) -> String {
    match seen.last() {
        Some(AppEvent::ReportPrinted(Ok(id))) => id.clone(),
        other => panic!("not printed: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f4_copies_and_printed_reports_through_the_shell() {
    let t = till().await;
    let now = time::OffsetDateTime::now_utc();
    let manager =
        t.db.create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap();
    let reference = paid_sale(&t, 10_000, ApiKind::Epayment).await;
    let rec = refund::refund(
        &t.db,
        &manager,
        &RefundRequest {
            reference: reference.clone(),
            mode: RefundMode::Amount(2_000),
            reason: "damaged".into(),
        },
        now,
    )
    .await
    .unwrap();
    t.run.engine.kick_worker();
    outbox_drained(&t.store).await;
    let number = t.db.refund_receipt(rec.id).await.unwrap().refund_number;

    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::from_toml_str("", &|_| None).unwrap();
    let paper = Paper::start(&cfg, dir.path(), true).unwrap().unwrap();
    let staff: StaffAccess = Ok(t.db.clone());
    let mut app = managed();

    // The refund result screen of this refund: F4 prints its receipt again, COPY.
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Enter);
    app.staff.refund.step = RefundStep::Done;
    app.staff.refund.progress = Some(StaffRefundProgress::Refunded {
        amount: kasse::domain::money::Money::nok(2_000),
        refund_number: number.clone(),
        receipt: ReceiptNote::Printed,
    });
    let cmds = press(&mut app, KeyCode::F(4));
    let seen = run(&t, &mut app, Some(&paper), &staff, cmds).await;
    assert_eq!(
        seen.last(),
        Some(&AppEvent::RefundReprinted(Ok(number.clone())))
    );
    let copy = printed_since(dir.path(), 0);
    assert!(copy.contains("KOPI / COPY"), "{copy}");
    assert!(copy.contains("RETUR / REFUND"), "{copy}");
    assert!(copy.contains(&number), "{copy}");
    assert!(copy.contains("20,00"), "{copy}");
    press(&mut app, KeyCode::Esc);

    // X report → F4: on paper, TRAINING (demo), not a copy.
    app.screen = Screen::Staff;
    app.staff.menu = 0;
    press(&mut app, KeyCode::Down);
    let cmds = press(&mut app, KeyCode::Enter);
    run(&t, &mut app, Some(&paper), &staff, cmds).await;
    assert!(app.staff.report.report.is_some());
    let from = len(dir.path());
    let cmds = press(&mut app, KeyCode::F(4));
    let id = printed_ok(&run(&t, &mut app, Some(&paper), &staff, cmds).await);
    assert!(id.starts_with("X-"), "{id}");
    let x = printed_since(dir.path(), from);
    assert!(x.contains("X-RAPPORT") || x.contains("X REPORT"), "{x}");
    assert!(x.contains("TRENING / TRAINING"), "{x}");
    assert!(!x.contains("KOPI / COPY"), "{x}");
    press(&mut app, KeyCode::Esc);

    // Z report (manager PIN) → F4 original, F4 again = the stored snapshot, COPY.
    press(&mut app, KeyCode::Down);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    // The drawer count comes first: an empty line takes the Z without one.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let cmds = enter_text(&mut app, MANAGER_PIN);
    run(&t, &mut app, Some(&paper), &staff, cmds).await;
    let z = app.staff.report.report.clone().expect("Z taken");
    assert_eq!(z.number, Some(1));
    let from = len(dir.path());
    let cmds = press(&mut app, KeyCode::F(4));
    assert_eq!(
        printed_ok(&run(&t, &mut app, Some(&paper), &staff, cmds).await),
        "Z-1"
    );
    let cmds = press(&mut app, KeyCode::F(4));
    assert!(matches!(
        cmds.as_slice(),
        [Command::PrintReport { copy: true, .. }]
    ));
    assert_eq!(
        printed_ok(&run(&t, &mut app, Some(&paper), &staff, cmds).await),
        "Z-1"
    );
    let zs = printed_since(dir.path(), from);
    assert_eq!(zs.matches("Z-RAPPORT nr. 1").count(), 2, "{zs}");
    assert_eq!(
        zs.matches("KOPI / COPY").count(),
        2,
        "only the second is a copy (marked top and bottom): {zs}"
    );
    press(&mut app, KeyCode::Esc);

    // A second Z the same day is not refused: it closes the period since Z no. 1 (nothing
    // here: a zero Z, no. 2) and prints like the first.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let cmds = enter_text(&mut app, MANAGER_PIN);
    run(&t, &mut app, Some(&paper), &staff, cmds).await;
    assert!(app.staff.report.refusal.is_none(), "{:?}", app.staff.report);
    let z2 = app.staff.report.report.clone().expect("second Z taken");
    assert_eq!(z2.number, Some(2));
    assert_eq!(z2.period_from, z.period_to);
    let from = len(dir.path());
    let cmds = press(&mut app, KeyCode::F(4));
    assert_eq!(
        printed_ok(&run(&t, &mut app, Some(&paper), &staff, cmds).await),
        "Z-2"
    );
    let again = printed_since(dir.path(), from);
    assert!(again.contains("Z-RAPPORT nr. 2"), "{again}");
    assert!(!again.contains("KOPI / COPY"), "{again}");
}
