#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end: a refund started on the cashier's screen (F10 → refund → search → pick →
//! amount → reason → confirm → manager PIN) is run by `app::execute_with_progress` against the
//! in-process simulator. The simulator's ledger (`GET /sim/v1/ledger`) shows it refunded
//! exactly once with the amount and the till's key, and a refund receipt was printed (demo
//! paper: `<data_dir>/receipts.txt`). Also: the X report with reconciliation, a Z refused
//! while the outbox is busy is not the case here (empty queue) so the Z closes, and a batch
//! capture run from the screen moves the gauge to done.

mod common;
use common::staff as staff_support;
use common::tui as tui_support;
use kasse::app::{Paper, StaffAccess};
use kasse::config::Config;
use kasse::engine::ApiKind;
use kasse::lang::Lang;
use kasse::sim::Ledger;
use kasse::tui::msg::{ReceiptNote, StaffRefundProgress};
use kasse::tui::staff::RefundStep;
use kasse::tui::{App, AppEvent, Command};
use ratatui::crossterm::event::KeyCode;
use staff_support::{MANAGER_PIN, paid_sale, till};
use tui_support::{ctx, enter_text, press, type_text};

async fn run(
    t: &staff_support::Till,
    app: &mut App,
    paper: Option<&Paper>,
    staff: &StaffAccess,
    cmds: Vec<Command>,
) -> Vec<AppEvent> {
    staff_support::drive(&t.run.engine, app, paper, staff, cmds).await
}

async fn ledger(t: &staff_support::Till) -> Ledger {
    reqwest::get(format!("{}/sim/v1/ledger", t.sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn managed() -> App {
    let mut c = ctx(Lang::En);
    c.manager_pins = true;
    // The screen's clock: real time, so "today" and the 365-day rule match the journal.
    c.clock = std::sync::Arc::new(kasse::clock::SystemClock);
    App::new(&c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_from_the_screen_is_refunded_once_and_printed() {
    let t = till().await;
    let now = time::OffsetDateTime::now_utc();
    t.db.create_first_manager("Mona", MANAGER_PIN, now)
        .await
        .unwrap();
    let reference = paid_sale(&t, 10_000, ApiKind::Epayment).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::from_toml_str("[shop]\nname = \"Bakeri Øst AS\"\n", &|_| None).unwrap();
    let paper = Paper::start(&cfg, dir.path(), true).unwrap().unwrap();
    let staff: StaffAccess = Ok(t.db.clone());
    let mut app = managed();

    // F10 → staff menu → "Refund a sale".
    assert!(press(&mut app, KeyCode::F(10)).is_empty());
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    // Search by the number part of the reference.
    let part = &reference[reference.len() - 9..];
    let cmds = enter_text(&mut app, part);
    assert!(
        matches!(cmds.as_slice(), [Command::FindSales { .. }]),
        "{cmds:?}"
    );
    run(&t, &mut app, Some(&paper), &staff, cmds).await;
    assert_eq!(
        app.staff.refund.hits.len(),
        1,
        "{:?}",
        app.staff.refund.hits
    );
    // Enter on an empty line picks the marked sale.
    let cmds = press(&mut app, KeyCode::Enter);
    run(&t, &mut app, Some(&paper), &staff, cmds).await;
    assert_eq!(app.staff.refund.step, RefundStep::Form);
    let ctx = app.staff.refund.ctx.clone().unwrap();
    assert_eq!((ctx.captured, ctx.refunded), (10_000, 0));

    // An amount of 30,00 with a reason; review; confirm; manager PIN.
    press(&mut app, KeyCode::F(3));
    type_text(&mut app, "30,00");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "damaged");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.staff.refund.step, RefundStep::Confirm);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let cmds = enter_text(&mut app, MANAGER_PIN);
    assert!(
        matches!(cmds.as_slice(), [Command::Refund { .. }]),
        "{cmds:?}"
    );
    let seen = run(&t, &mut app, Some(&paper), &staff, cmds).await;

    // Progress: queued first, then refunded with the receipt printed.
    assert!(
        matches!(
            seen.first(),
            Some(AppEvent::StaffRefund {
                progress: StaffRefundProgress::Queued { .. },
                ..
            })
        ),
        "{seen:?}"
    );
    assert_eq!(app.staff.refund.step, RefundStep::Done);
    let Some(StaffRefundProgress::Refunded {
        amount,
        refund_number,
        receipt,
    }) = app.staff.refund.progress.clone()
    else {
        panic!("not refunded: {:?}", app.staff.refund.progress);
    };
    assert_eq!(amount.minor(), 3_000);
    assert_eq!(receipt, ReceiptNote::Printed);

    // The simulator: refunded exactly once, the amount, with the till's key.
    let l = ledger(&t).await;
    assert_eq!(
        l.payments
            .iter()
            .filter(|p| p.reference == reference)
            .count(),
        1
    );
    let p = l
        .payments
        .iter()
        .find(|p| p.reference == reference)
        .unwrap();
    assert_eq!((p.captured, p.refunded), (10_000, 3_000));
    let refunds: Vec<_> = p
        .operations
        .iter()
        .filter(|o| o.name == "REFUNDED" && o.success)
        .collect();
    assert_eq!(refunds.len(), 1, "{:?}", p.operations);
    assert_eq!(refunds[0].amount, 3_000);
    assert_eq!(
        refunds[0].idempotency_key.as_deref(),
        Some(format!("{reference}-refund-1").as_str())
    );

    // The refund receipt: marked REFUND, its number, the amount paid back.
    let text = std::fs::read_to_string(dir.path().join("receipts.txt")).unwrap();
    assert!(text.contains("RETUR / REFUND"), "{text}");
    assert!(text.contains(&refund_number), "{refund_number}: {text}");
    assert!(text.contains("30,00"), "{text}");
    assert!(text.contains(&reference), "{text}");

    // Back to the menu; a second refund of more than what is left is refused by the rules
    // on the screen (the library's message) and nothing is sent.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, part);
    run(&t, &mut app, Some(&paper), &staff, cmds).await;
    let cmds = press(&mut app, KeyCode::Enter);
    run(&t, &mut app, Some(&paper), &staff, cmds).await;
    assert_eq!(app.staff.refund.ctx.as_ref().unwrap().refunded, 3_000);
    press(&mut app, KeyCode::F(3));
    type_text(&mut app, "80");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "too much");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.staff.refund.step, RefundStep::Form);
    let toast = app.toast.clone().unwrap().text.en;
    assert!(toast.contains("at most kr 70,00"), "{toast}");
    let p = ledger(&t).await;
    let p = p
        .payments
        .iter()
        .find(|p| p.reference == reference)
        .unwrap();
    assert_eq!(p.refunded, 3_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pin_refunds_nothing_and_x_and_z_reports_run_off_the_screen() {
    let t = till().await;
    let now = time::OffsetDateTime::now_utc();
    t.db.create_first_manager("Mona", MANAGER_PIN, now)
        .await
        .unwrap();
    let reference = paid_sale(&t, 5_000, ApiKind::Epayment).await;
    let staff: StaffAccess = Ok(t.db.clone());
    let mut app = managed();

    // A refund confirmed with a wrong PIN: refused, back on the summary, nothing at Vipps.
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, &reference);
    run(&t, &mut app, None, &staff, cmds).await;
    let cmds = press(&mut app, KeyCode::Enter);
    run(&t, &mut app, None, &staff, cmds).await;
    type_text(&mut app, "customer changed mind");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, "0000");
    run(&t, &mut app, None, &staff, cmds).await;
    assert_eq!(app.staff.refund.step, RefundStep::Confirm);
    assert!(
        app.toast.clone().unwrap().text.en.contains("wrong PIN"),
        "{:?}",
        app.toast
    );
    let l = ledger(&t).await;
    assert_eq!(
        l.payments
            .iter()
            .find(|p| p.reference == reference)
            .unwrap()
            .refunded,
        0
    );

    // X report: first the journal's figures while Vipps is checked, then reconciled.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, kasse::tui::app::Screen::Sale);
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Down);
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Command::XReport { .. }]),
        "{cmds:?}"
    );
    let seen = run(&t, &mut app, None, &staff, cmds).await;
    assert!(
        matches!(
            seen.first(),
            Some(AppEvent::StaffReport { checking: true, .. })
        ),
        "{seen:?}"
    );
    let r = app.staff.report.report.clone().unwrap();
    assert!(!app.staff.report.checking);
    assert_eq!(r.sections[0].sales.gross, 5_000);
    let rec = r.reconciliation.clone().expect("reconciled against Vipps");
    assert_eq!((rec.checked, rec.matched), (1, 1), "{rec:?}");
    // One X report on screen is one journal entry (not one per update).
    let day = time::Duration::DAY;
    let xs =
        t.db.actions_between(now - day, now + day)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.action == "x_report")
            .count();
    assert_eq!(xs, 1);

    // Z report with the manager PIN: the day closes with number 1.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Down);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    // The count of the drawer comes first: an empty line takes the Z without one.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let cmds = enter_text(&mut app, MANAGER_PIN);
    assert!(
        matches!(cmds.as_slice(), [Command::CloseDay { .. }]),
        "{cmds:?}"
    );
    run(&t, &mut app, None, &staff, cmds).await;
    assert!(app.staff.report.refusal.is_none(), "{:?}", app.staff.report);
    assert_eq!(app.staff.report.report.as_ref().unwrap().number, Some(1));

    let z1 = app.staff.report.report.clone().unwrap();
    assert_eq!(z1.sections[0].sales.count, 1);

    // A sale after Z no. 1 lands in Z no. 2 (the same day: a period, not a calendar day).
    paid_sale(&t, 2_500, ApiKind::Epayment).await;
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    // No count this time (an empty line).
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, MANAGER_PIN);
    run(&t, &mut app, None, &staff, cmds).await;
    assert!(app.staff.report.refusal.is_none(), "{:?}", app.staff.report);
    let z2 = app.staff.report.report.clone().unwrap();
    assert_eq!(z2.number, Some(2));
    assert_eq!(z2.period_from, z1.period_to);
    assert_eq!(
        (z2.sections[0].sales.count, z2.sections[0].sales.gross),
        (1, 2_500)
    );
    let grand = |z: &kasse::domain::report::Report| z.fiscal.grand_totals[0].sales;
    assert_eq!(grand(&z2), grand(&z1) + 2_500);
}

mod fail_capture {
    use crate::common::e2e::Around;
    use kasse::domain::money::Money;

    use kasse::engine::acquirer::BoxFuture;
    use kasse::engine::provider::{ErrorClass, ModificationResult, Provider, ProviderError};
    use kasse::lang::Text;
    use std::sync::Arc;
    use std::sync::Mutex;

    /// Refuses the first capture of each payment for good (as Vipps would for a bad request);
    /// a correction capture of the same payment passes.
    pub struct FailCaptures {
        pub inner: Arc<dyn Provider>,
        pub seen: Mutex<Vec<String>>,
    }

    impl Around for FailCaptures {
        fn inner(&self) -> &dyn Provider {
            &*self.inner
        }
        fn capture<'a>(
            &'a self,
            id: &'a str,
            amount: Money,
            key: &'a str,
        ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
            let fail = {
                let mut seen = self.seen.lock().unwrap();
                let first = !seen.iter().any(|s| s == id);
                seen.push(id.to_owned());
                first
            };
            if !fail {
                return self.inner.capture(id, amount, key);
            }
            Box::pin(async {
                Err(ProviderError::new(
                    ErrorClass::Rejected,
                    Text::new("test: trekk avvist", "test: capture refused"),
                    "injected by the test",
                ))
            })
        }
    }
}

/// Two payments whose capture failed for good stay reserved. The screen's batch captures the
/// first (gauge to 1 of 1, ledger captured once); `kasse batch-capture` captures the second
/// with a progress line on stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_capture_from_the_screen_and_headless() {
    use kasse::store::PayState;
    let t = staff_support::till_with(|mut b| {
        b.epayment = std::sync::Arc::new(crate::common::e2e::Wrap(fail_capture::FailCaptures {
            inner: b.epayment.clone(),
            seen: std::sync::Mutex::new(Vec::new()),
        }));
        b
    })
    .await;
    let now = time::OffsetDateTime::now_utc();
    t.db.create_first_manager("Mona", MANAGER_PIN, now)
        .await
        .unwrap();
    let (pid, first) = staff_support::approved_sale(&t, 7_000, ApiKind::Epayment).await;
    staff_support::journal_state(&t.store, pid, PayState::Failed).await;
    assert_eq!(t.sim.ledger().payment(&first).unwrap().captured, 0);
    let staff: StaffAccess = Ok(t.db.clone());
    let mut app = managed();

    // F10 → 4th entry: the day's uncaptured payments.
    press(&mut app, KeyCode::F(10));
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    let cmds = press(&mut app, KeyCode::Enter);
    run(&t, &mut app, None, &staff, cmds).await;
    let refs: Vec<_> = app
        .staff
        .batch
        .candidates
        .iter()
        .map(|c| c.reference.clone())
        .collect();
    assert_eq!(refs, vec![first.clone()]);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let cmds = enter_text(&mut app, MANAGER_PIN);
    assert!(
        matches!(cmds.as_slice(), [Command::RunBatch { .. }]),
        "{cmds:?}"
    );
    let seen = run(&t, &mut app, None, &staff, cmds).await;
    assert!(
        seen.iter().any(|e| matches!(
            e,
            AppEvent::StaffBatchProgress { progress, .. } if progress.done == 1 && progress.total == 1 && progress.ok
        )),
        "{seen:?}"
    );
    assert!(!app.staff.batch.running);
    assert_eq!((app.staff.batch.done, app.staff.batch.total), (1, 1));
    let out = app.staff.batch.outcomes.clone().unwrap();
    assert_eq!(
        out[0].status,
        kasse::domain::refund::RefundStatus::Done,
        "{out:?}"
    );
    let l = ledger(&t).await;
    let p = l.payments.iter().find(|p| p.reference == first).unwrap();
    assert_eq!(p.captured, 7_000);
    assert_eq!(
        p.operations
            .iter()
            .filter(|o| o.name == "CAPTURED" && o.success)
            .count(),
        1,
        "{:?}",
        p.operations
    );

    // The second failed capture: headless, progress on "stderr".
    let (pid, second) = staff_support::approved_sale(&t, 3_000, ApiKind::Epayment).await;
    staff_support::journal_state(&t.store, pid, PayState::Failed).await;
    let ctx = kasse::cli::staff::HeadlessCtx {
        db: t.db.clone(),
        store: t.store.clone(),
        engine: Some(t.run.engine.clone()),
        reader: None,
        clock: std::sync::Arc::new(kasse::clock::SystemClock),
        lang: Lang::En,
        utc_offset: time::UtcOffset::UTC,
        currency: kasse::domain::money::Currency::Nok,
        pin: Some(secrecy::SecretString::from(MANAGER_PIN)),
    };
    let args = kasse::cli::staff::BatchCaptureArgs {
        date: Some(now.date().to_string()),
        wait_secs: 20,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = kasse::cli::staff::batch_capture(&ctx, &args, &mut out, &mut err).await;
    let (out, err) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(err, format!("progress: 1/1 {second} ok\n"));
    assert!(
        out.contains(&format!("captured reference={second} amount=30.00")),
        "{out}"
    );
    assert!(out.ends_with("result: captured 1 of 1\n"), "{out}");
    assert_eq!(t.sim.ledger().payment(&second).unwrap().captured, 3_000);
    // Run again: nothing left.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(
        kasse::cli::staff::batch_capture(&ctx, &args, &mut out, &mut err).await,
        0
    );
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("result: nothing to capture")
    );
}

mod offline {
    use crate::common::e2e::Around;
    use kasse::domain::money::Money;

    use kasse::engine::acquirer::BoxFuture;
    use kasse::engine::provider::{
        ErrorClass, ModificationResult, Provider, ProviderError, ReadResult,
    };
    use kasse::lang::Text;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// While `down` is set, every read and refund fails as a transport error (offline);
    /// counts the refund calls that got through.
    pub struct Cable {
        pub inner: Arc<dyn Provider>,
        pub down: Arc<AtomicBool>,
        pub refunds_sent: Arc<AtomicUsize>,
    }

    fn offline() -> ProviderError {
        ProviderError::new(
            ErrorClass::Offline,
            Text::new("test: nettet er nede", "test: the network is down"),
            "injected by the test",
        )
    }

    impl Around for Cable {
        fn inner(&self) -> &dyn Provider {
            &*self.inner
        }
        fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
            if self.down.load(Ordering::SeqCst) {
                return Box::pin(async { Err(offline()) });
            }
            self.inner.read(id)
        }
        fn refund<'a>(
            &'a self,
            id: &'a str,
            amount: Money,
            key: &'a str,
        ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
            if self.down.load(Ordering::SeqCst) {
                return Box::pin(async { Err(offline()) });
            }
            self.refunds_sent.fetch_add(1, Ordering::SeqCst);
            self.inner.refund(id, amount, key)
        }
    }
}

/// Offline at confirm: the screen shows the refund as queued (the key was written first);
/// when the network is back the worker sends it with the same key, and Vipps refunds once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_while_offline_is_queued_then_sent_once_with_the_same_key() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let down = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let (d2, s2) = (down.clone(), sent.clone());
    let t = staff_support::till_with(move |mut b| {
        b.epayment = Arc::new(crate::common::e2e::Wrap(offline::Cable {
            inner: b.epayment.clone(),
            down: d2,
            refunds_sent: s2,
        }));
        b
    })
    .await;
    let now = time::OffsetDateTime::now_utc();
    t.db.create_first_manager("Mona", MANAGER_PIN, now)
        .await
        .unwrap();
    let reference = paid_sale(&t, 8_000, ApiKind::Epayment).await;
    let staff: StaffAccess = Ok(t.db.clone());
    let mut app = managed();
    press(&mut app, KeyCode::F(10));
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, &reference);
    run(&t, &mut app, None, &staff, cmds).await;
    let cmds = press(&mut app, KeyCode::Enter);
    run(&t, &mut app, None, &staff, cmds).await;
    type_text(&mut app, "returned unopened");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, MANAGER_PIN);

    down.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    run(&t, &mut app, None, &staff, cmds).await;
    let Some(StaffRefundProgress::Pending { amount, .. }) = app.staff.refund.progress.clone()
    else {
        panic!("expected queued: {:?}", app.staff.refund.progress);
    };
    assert_eq!(amount.minor(), 8_000);
    assert!(
        started.elapsed() < kasse::app::REFUND_WAIT,
        "offline is reported early, not after the full wait ({:?})",
        started.elapsed()
    );
    assert_eq!(
        sent.load(Ordering::SeqCst),
        0,
        "nothing went out while offline"
    );
    assert_eq!(ledger(&t).await.payments[0].refunded, 0);

    // The network comes back: the worker sends the queued row, once, with the same key.
    down.store(false, Ordering::SeqCst);
    t.run.engine.kick_worker();
    let key = format!("{reference}-refund-1");
    let st = kasse::service::refund::wait_for(
        &t.db,
        &t.run.engine,
        &key,
        kasse::service::refund::WaitLimits::timeout(staff_support::WAIT),
    )
    .await
    .unwrap();
    assert_eq!(st, kasse::domain::refund::RefundStatus::Done);
    let l = ledger(&t).await;
    let p = l
        .payments
        .iter()
        .find(|p| p.reference == reference)
        .unwrap();
    assert_eq!((p.captured, p.refunded), (8_000, 8_000));
    let ops: Vec<_> = p
        .operations
        .iter()
        .filter(|o| o.name == "REFUNDED" && o.success)
        .collect();
    assert_eq!(ops.len(), 1, "{:?}", p.operations);
    assert_eq!(ops[0].idempotency_key.as_deref(), Some(key.as_str()));
}

/// `kasse batch-refund`: a list of refunds with a progress line per refund on stderr; each
/// refunded once at Vipps; an over-refund in the list is refused with the library's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_batch_refund_of_a_list() {
    let t = till().await;
    let now = time::OffsetDateTime::now_utc();
    t.db.create_first_manager("Mona", MANAGER_PIN, now)
        .await
        .unwrap();
    let first = paid_sale(&t, 10_000, ApiKind::Epayment).await;
    let second = paid_sale(&t, 4_000, ApiKind::Epayment).await;
    let third = paid_sale(&t, 2_000, ApiKind::Epayment).await;
    let ctx = kasse::cli::staff::HeadlessCtx {
        db: t.db.clone(),
        store: t.store.clone(),
        engine: Some(t.run.engine.clone()),
        reader: None,
        clock: std::sync::Arc::new(kasse::clock::SystemClock),
        lang: Lang::En,
        utc_offset: time::UtcOffset::UTC,
        currency: kasse::domain::money::Currency::Nok,
        pin: Some(secrecy::SecretString::from(MANAGER_PIN)),
    };
    let args = kasse::cli::staff::BatchRefundArgs {
        refunds: vec![
            format!("{first}=30"),
            second.clone(),
            format!("{third}=25,00"),
        ],
        reason: "event cancelled".into(),
        wait_secs: 20,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = kasse::cli::staff::batch_refund(&ctx, &args, &mut out, &mut err).await;
    let (out, err) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    );
    assert_eq!(code, 1, "one of three was refused\n{out}\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines.iter().all(|l| l.starts_with("progress: ")), "{err}");
    assert!(err.contains("progress: 3/3 "), "{err}");
    assert!(
        out.contains(&format!("refunded reference={first} amount=30.00")),
        "{out}"
    );
    assert!(
        out.contains(&format!("refunded reference={second} amount=40.00")),
        "{out}"
    );
    assert!(
        out.contains(&format!("refused reference={third}")) && out.contains("at most kr 20,00"),
        "{out}"
    );
    assert!(out.ends_with("result: refunded 2 of 3\n"), "{out}");
    let l = ledger(&t).await;
    let refunded = |r: &str| {
        l.payments
            .iter()
            .find(|p| p.reference == r)
            .unwrap()
            .refunded
    };
    assert_eq!(
        (refunded(&first), refunded(&second), refunded(&third)),
        (3_000, 4_000, 0)
    );
    for p in &l.payments {
        let n = p
            .operations
            .iter()
            .filter(|o| o.name == "REFUNDED" && o.success)
            .count();
        assert!(n <= 1, "refunded twice: {p:?}");
    }
}
