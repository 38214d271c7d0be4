//! Money safety in the failures real shops meet (issue #12, items 5–8), end to end against the
//! in-process simulator, asserting its ledger:
//! - a restart while a push create is in flight ends paid when the customer approves later
//!   (the same create — reference, key, full phone — is re-sent; the phone is redacted once
//!   the payment is final); a 404 after a restart is "not there yet" while the journal's
//!   window is open, and only after it a clean failure with no create sent;
//! - refused keys (401) on capture and refund keep the rows pending with an alert, and once the
//!   keys work the money moves exactly once;
//! - the customer's "opened" signal never cuts the 10-minute window short;
//! - while the journal cannot write, no money moves, new sales are refused with the alert, and
//!   the till carries on by itself once writing works again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::clock::{ManualClock, SystemClock};
use kasse::domain::money::Money;
use kasse::engine::acquirer::BoxFuture;
use kasse::engine::provider::{CreateSpec, Created, ModificationResult, Provider, ProviderError};
use kasse::engine::{AlertKind, ApiKind, EngineError, EngineEvent, PayMethod, PaymentState};
use kasse::store::{AsyncStore, OutboxFilter, OutboxKind, OutboxStatus, PayState};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

/// The create reaches Vipps, but its answer never comes back (the till stops mid-push).
struct DeliverThenHang {
    inner: Arc<dyn Provider>,
    delivered: AtomicUsize,
}

impl Around for DeliverThenHang {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }
    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            let _ = self.inner.create(spec).await;
            self.delivered.fetch_add(1, Ordering::SeqCst);
            std::future::pending().await
        })
    }
}

/// Before the first capture: Vipps starts refusing the keys (the sim's `reject_auth` fault).
struct RefuseKeysAtCapture {
    inner: Arc<dyn Provider>,
    sim_base: String,
    captures: AtomicUsize,
}

impl Around for RefuseKeysAtCapture {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }
    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            if self.captures.fetch_add(1, Ordering::SeqCst) == 0 {
                set_faults(&self.sim_base, serde_json::json!({ "reject_auth": true })).await;
            }
            self.inner.capture(id, amount, key).await
        })
    }
}

async fn wait_alert(rx: &mut broadcast::Receiver<EngineEvent>, kind: AlertKind, active: bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(EngineEvent::Alert { kind: k, active: a })) if k == kind && a == active => {
                return;
            }
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event channel: {e}"),
            Err(_) => panic!("timed out waiting for alert {kind:?} active={active}"),
        }
    }
}

/// Journal entries of a payment answered with HTTP `status`.
async fn answered(store: &AsyncStore, payment_id: i64, status: i64) -> usize {
    store
        .run(move |s| s.operations_for_payment(payment_id))
        .await
        .unwrap()
        .iter()
        .filter(|o| o.op.http_status == Some(status))
        .count()
}

async fn rows(
    store: &AsyncStore,
    payment_id: i64,
    kind: OutboxKind,
) -> Vec<kasse::store::OutboxRow> {
    store
        .run(|s| s.list(OutboxFilter::All))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.payment_id == Some(payment_id) && r.kind == kind)
        .collect()
}

fn phone_push(api: ApiKind) -> PayMethod {
    push(api)
}

// ---------------------------------------------------------------------------------------------
// Item 5: restart mid-push
// ---------------------------------------------------------------------------------------------

async fn restart_mid_push(api: ApiKind, delivered: bool) {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let base = sim.base_url();
    let deliver = Arc::new(AtomicUsize::new(0));
    let d2 = deliver.clone();
    let run1 = run_engine(
        settings(&base),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        move |mut b| {
            let inner = b.provider(api);
            let p: Arc<dyn Provider> = if delivered {
                Arc::new(Wrap(DeliverThenHang {
                    inner,
                    delivered: AtomicUsize::new(0),
                }))
            } else {
                Arc::new(Wrap(HangCreate { inner }))
            };
            let _ = d2;
            match api {
                ApiKind::Epayment => b.epayment = p,
                ApiKind::Ecom => b.ecom = p,
                ApiKind::Psp => b.psp = p,
            }
            b
        },
    )
    .await;
    let _ = deliver;
    let id = run1
        .engine
        .start_payment(sale(12_300, api, phone_push(api)))
        .await
        .unwrap();
    // Wait until the create went out (or is hanging), then the till "stops".
    let deadline = tokio::time::Instant::now() + WAIT;
    while delivered && sim.ledger().payments.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "create never delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    run1.shutdown().await;
    assert_eq!(
        sim.ledger().payments.len(),
        usize::from(delivered),
        "the first create {} Vipps",
        if delivered {
            "reached"
        } else {
            "never reached"
        }
    );

    let store2 = open_store(dir.path()).await;
    let row = store2.run(move |s| s.payment(id)).await.unwrap().unwrap();
    assert_eq!(
        row.state,
        PayState::Creating,
        "the answer was never journaled"
    );
    assert_eq!(row.phone_last_digits.as_deref(), Some("4567"));
    let full = store2.run(move |s| s.create_phone(id)).await.unwrap();
    assert!(
        full.as_deref().is_some_and(|p| p.ends_with("91234567")),
        "the full phone is kept while unfinished: {full:?}"
    );
    let run2 = run_engine(
        settings(&base),
        store2.clone(),
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let mut rx = run2.engine.subscribe();
    let rec = run2.recovered.iter().find(|r| r.snapshot.id == id).unwrap();
    assert_eq!(rec.was, PaymentState::Creating);
    assert!(
        !rec.snapshot.state.is_final(),
        "a restart mid-push never fails the payment: {:?}",
        rec.snapshot
    );
    let w = wait_for(&mut rx, id, |s| {
        matches!(
            s.state,
            PaymentState::WaitingForCustomer | PaymentState::WaitingForApproval
        )
    })
    .await;
    // The customer approves later, on the push that was (re-)sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&store2).await;

    let ledger = sim.ledger();
    assert_eq!(ledger.payments.len(), 1, "one payment at Vipps");
    let p = ledger_payment(&ledger, &row.reference);
    assert_eq!(p.captured, 12_300, "captured once, in full");
    assert_eq!(p.refunded, 0);
    if api == ApiKind::Epayment {
        assert_eq!(ops(&p, "CREATED"), 1);
        assert_eq!(ops(&p, "CAPTURED"), 1);
        let keys: Vec<_> = p
            .operations
            .iter()
            .filter(|o| o.name == "CREATED")
            .filter_map(|o| o.idempotency_key.clone())
            .collect();
        assert_eq!(keys, vec![row.keys.create.clone()], "the same create key");
    }
    // Final: the full phone number is gone, the last digits stay for refund search.
    let after = store2.run(move |s| s.payment(id)).await.unwrap().unwrap();
    assert_eq!(after.state, PayState::Captured);
    assert_eq!(after.phone_last_digits.as_deref(), Some("4567"));
    assert_eq!(store2.run(move |s| s.create_phone(id)).await.unwrap(), None);
    run2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_before_the_push_create_arrived_ends_paid_when_the_customer_approves() {
    restart_mid_push(ApiKind::Epayment, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_after_the_push_create_arrived_unanswered_ends_paid() {
    restart_mid_push(ApiKind::Epayment, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_restart_mid_push_ends_paid() {
    restart_mid_push(ApiKind::Ecom, false).await;
}

/// The window counts from the journal, not the restart: a push whose create never arrived and
/// whose 10 minutes are over is failed cleanly after a 404, and no create is sent any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_journals_window_a_404_fails_cleanly_without_a_new_create() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let base = sim.base_url();
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let run1 = run_engine(
        settings(&base),
        open_store(dir.path()).await,
        Arc::new(clock.clone()),
        |mut b| {
            b.epayment = Arc::new(Wrap(HangCreate {
                inner: b.epayment.clone(),
            }));
            b
        },
    )
    .await;
    let id = run1
        .engine
        .start_payment(sale(5_000, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    run1.shutdown().await;
    // The till was off for 10½ minutes.
    clock.advance(time::Duration::seconds(630));
    let store2 = open_store(dir.path()).await;
    let run2 = run_engine(
        settings(&base),
        store2.clone(),
        Arc::new(clock.clone()),
        |b| b,
    )
    .await;
    let rec = run2.recovered.iter().find(|r| r.snapshot.id == id).unwrap();
    assert_eq!(
        rec.snapshot.state,
        PaymentState::Failed,
        "{:?}",
        rec.snapshot
    );
    assert!(
        sim.ledger().payments.is_empty(),
        "no create after the window"
    );
    let row = store2.run(move |s| s.payment(id)).await.unwrap().unwrap();
    assert_eq!(row.state, PayState::Failed);
    assert_eq!(store2.run(move |s| s.create_phone(id)).await.unwrap(), None);
    run2.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Item 6: refused keys
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_refused_at_capture_keep_the_row_and_capture_once_when_fixed() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let base = sim.base_url();
    let b2 = base.clone();
    let run = run_engine(
        settings(&base),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        move |mut b| {
            b.epayment = Arc::new(Wrap(RefuseKeysAtCapture {
                inner: b.epayment.clone(),
                sim_base: b2,
                captures: AtomicUsize::new(0),
            }));
            b
        },
    )
    .await;
    let store = run.engine_store();
    let mut rx = run.engine.subscribe();
    let mut alerts = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(7_500, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_alert(&mut alerts, AlertKind::KeysRefused, true).await;
    // Several attempts, all refused: the fault fired, and the row is still pending.
    let deadline = tokio::time::Instant::now() + WAIT;
    while answered(&store, id, 401).await < 3 {
        assert!(tokio::time::Instant::now() < deadline, "no 401s journaled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let capture = rows(&store, id, OutboxKind::Capture).await;
    assert_eq!(capture.len(), 1);
    assert!(
        matches!(
            capture[0].status,
            OutboxStatus::Pending | OutboxStatus::InFlight
        ),
        "never dead-lettered: {:?}",
        capture[0]
    );
    assert!(capture[0].attempts >= 2, "{:?}", capture[0]);
    assert_eq!(ledger_payment(&sim.ledger(), &w.reference).captured, 0);
    assert!(!run.engine.snapshot(id).unwrap().state.is_final());

    // The keys work again: the same row goes out, captured exactly once, the alert clears.
    set_faults(&base, serde_json::Value::Null).await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    wait_alert(&mut alerts, AlertKind::KeysRefused, false).await;
    outbox_drained(&store).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.captured, 7_500);
    assert_eq!(ops(&p, "CAPTURED"), 1);
    let capture = rows(&store, id, OutboxKind::Capture).await;
    assert_eq!(capture.len(), 1);
    assert_eq!(capture[0].status, OutboxStatus::Done);

    // A refund refused the same way waits too, and goes out once.
    set_faults(&base, serde_json::json!({ "reject_auth": true })).await;
    let before = answered(&store, id, 401).await;
    let row_id = queue_refund(&run, id, Money::nok(2_500)).await;
    wait_alert(&mut alerts, AlertKind::KeysRefused, true).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while answered(&store, id, 401).await < before + 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "refund 401s not journaled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = store
        .run(move |s| s.outbox_row(row_id))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(r.status, OutboxStatus::Dead, "{r:?}");
    assert_ne!(r.status, OutboxStatus::Done, "{r:?}");
    assert_eq!(ledger_payment(&sim.ledger(), &w.reference).refunded, 0);
    set_faults(&base, serde_json::Value::Null).await;
    outbox_drained(&store).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.refunded, 2_500);
    assert_eq!(ops(&p, "REFUNDED"), 1);
    let dead = store
        .run(|s| s.list(OutboxFilter::Status(OutboxStatus::Dead)))
        .await
        .unwrap();
    assert!(dead.is_empty(), "{dead:?}");
    run.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Item 7: the window is never cut short
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_opened_does_not_cut_the_ten_minutes_short() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let run = run_engine(
        settings(&sim.base_url()),
        open_store(dir.path()).await,
        Arc::new(clock.clone()),
        |b| b,
    )
    .await;
    let store = run.engine_store();
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4_990, ApiKind::Ecom, push(ApiKind::Ecom)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    clock.advance(time::Duration::seconds(10));
    customer(&sim, &w.reference, "open").await;
    wait_state(&mut rx, id, PaymentState::WaitingForApproval).await;
    // Opened + 5 min is over on the till's clock (9 min after create); Vipps' clock did not
    // move, so it still waits for the customer. The till must not cancel.
    clock.advance(time::Duration::seconds(530));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        run.engine.snapshot(id).unwrap().state,
        PaymentState::WaitingForApproval
    );
    assert!(
        rows(&store, id, OutboxKind::Cancel).await.is_empty(),
        "no local cancel"
    );
    // The customer approves at 9 minutes: paid.
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.captured, 4_990);
    assert!(
        p.operations
            .iter()
            .all(|o| o.name != "CANCEL" && o.name != "VOID"),
        "{:?}",
        p.operations
    );
    run.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Item 8: the journal cannot write
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_write_failure_stops_money_calls_and_the_till_recovers_by_itself() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let store = run.engine_store();
    let mut rx = run.engine.subscribe();
    let mut alerts = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(6_000, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;

    // The disk turns read-only under the till.
    store.run(|s| s.fault_read_only(true)).await.unwrap();
    customer(&sim, &w.reference, "approve").await;
    // The next journal write (the approval) fails: the alert comes at once.
    wait_alert(&mut alerts, AlertKind::JournalUnwritable, true).await;
    assert!(!store.is_writable(), "the fault fired");
    // A new sale is refused with the alert text; nothing reaches Vipps.
    let e = run
        .engine
        .start_payment(sale(1_000, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap_err();
    assert!(matches!(e, EngineError::Other(_)), "{e:?}");
    assert!(
        e.message().nb.contains("Kan ikke skrive til journalen"),
        "{e:?}"
    );
    assert!(e.message().en.contains("Cannot write the journal"), "{e:?}");
    // A while with the customer's approval at Vipps: no capture goes out.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let ledger = sim.ledger();
    assert_eq!(
        ledger.payments.len(),
        1,
        "no create while the journal cannot write"
    );
    let p = ledger_payment(&ledger, &w.reference);
    assert_eq!(p.state, "AUTHORIZED");
    assert_eq!(p.captured, 0, "no capture while the journal cannot write");
    assert!(!run.engine.snapshot(id).unwrap().state.is_final());

    // Writing works again: the till carries on by itself.
    store
        .call(|s| s.fault_read_only(false))
        .await
        .unwrap()
        .unwrap();
    wait_alert(&mut alerts, AlertKind::JournalUnwritable, false).await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&store).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.captured, 6_000);
    assert_eq!(ops(&p, "CAPTURED"), 1);
    let row = store.run(move |s| s.payment(id)).await.unwrap().unwrap();
    assert_eq!(row.state, PayState::Captured, "the journal caught up");
    // The next sale goes through.
    let id2 = run
        .engine
        .start_payment(sale(1_000, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w2 = wait_state(&mut rx, id2, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w2.reference, "approve").await;
    wait_state(&mut rx, id2, PaymentState::Paid).await;
    assert_eq!(ledger_payment(&sim.ledger(), &w2.reference).captured, 1_000);
    run.shutdown().await;
}

/// A full disk (`PRAGMA max_page_count`) is a write failure like a read-only one: the probe
/// fails while it is full and works once there is room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_detected_and_clears_when_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    assert!(store.is_writable());
    let pages: u64 = store
        .run(|s| s.pragma("page_count"))
        .await
        .unwrap()
        .parse()
        .unwrap();
    let cap = store
        .run(move |s| s.fault_max_page_count(pages))
        .await
        .unwrap();
    assert_eq!(cap, pages);
    let e = store.probe_write().await.unwrap_err();
    assert!(e.is_write_failure(), "{e:?}");
    assert!(!store.is_writable(), "the fault fired");
    store
        .run(move |s| s.fault_max_page_count(pages + 1_000))
        .await
        .unwrap();
    store.probe_write().await.unwrap();
    assert!(store.is_writable());
}
