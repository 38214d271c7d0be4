//! References are unique per MSN for ever, and "already exists" is ours only when proven
//! (tracker #12, items 1, 2 and 4), end to end against the in-process simulator's ledger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::clock::{FixedFirstIds, SystemClock};
use kasse::engine::acquirer::BoxFuture;
use kasse::engine::build::Running;
use kasse::engine::provider::{
    CreateSpec, Created, ErrorClass, Provider, ProviderError, ReadResult,
};
use kasse::engine::{ApiKind, PaymentState};
use kasse::lang::Text;
use kasse::sim::SimHandle;
use kasse::store::{AsyncStore, PayState, SaleStatus, Store, StoreError};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A database whose first id (its install id) is pinned to `00000001`, as a reinstall or a
/// restored copy that kept its install id would have; later ids (keys) are random, like two
/// real tills.
fn forced_store(dir: &std::path::Path) -> AsyncStore {
    let s = Store::open_in_dir(dir)
        .unwrap()
        .with_id_gen(Arc::new(FixedFirstIds::pinned(1)));
    AsyncStore::new(s).unwrap()
}

async fn engine(sim: &SimHandle, store: AsyncStore) -> Running {
    run_engine(
        settings(&sim.base_url()),
        store,
        Arc::new(SystemClock),
        |b| b,
    )
    .await
}

/// One sale the customer approves (`approve`) or rejects; returns (reference, final state).
async fn one_sale(
    sim: &SimHandle,
    run: &Running,
    api: ApiKind,
    amount: i64,
    approve: bool,
) -> (String, PaymentState) {
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(amount, api, push(api)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(
        sim,
        &w.reference,
        if approve { "approve" } else { "reject" },
    )
    .await;
    let done = wait_for(&mut rx, id, |s| {
        matches!(
            s.state,
            PaymentState::Paid
                | PaymentState::Rejected
                | PaymentState::Cancelled
                | PaymentState::Failed
        )
    })
    .await;
    (w.reference, done.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_databases_on_one_msn_never_share_a_reference_and_only_approved_sales_are_paid() {
    let sim = start_sim(sim_config()).await;
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Both on the default shop_id/till_id (s1/t1): the old form would mint the same references.
    let a = engine(&sim, open_store(da.path()).await).await;
    let b = engine(&sim, open_store(db.path()).await).await;
    let ia = a.engine_store().run(|s| s.install_id()).await.unwrap();
    let ib = b.engine_store().run(|s| s.install_id()).await.unwrap();
    assert_ne!(ia, ib, "each database has its own install id");

    let mut seen = HashSet::new();
    let mut approved = HashSet::new();
    let plan = [
        (ApiKind::Epayment, true),
        (ApiKind::Ecom, true),
        (ApiKind::Epayment, false),
        (ApiKind::Ecom, false),
    ];
    for (i, (api, approve)) in plan.into_iter().enumerate() {
        for (run, inst) in [(&a, &ia), (&b, &ib)] {
            let amount = 1000 + i64::try_from(i).unwrap();
            let (reference, state) = one_sale(&sim, run, api, amount, approve).await;
            assert!(reference.contains(inst.as_str()), "{reference} has {inst}");
            assert!(reference.starts_with("kasse-s1-t1-"), "{reference}");
            assert!(seen.insert(reference.clone()), "{reference} minted twice");
            if approve {
                assert_eq!(state, PaymentState::Paid, "{reference}");
                approved.insert(reference);
            } else {
                assert_ne!(state, PaymentState::Paid, "{reference}");
            }
        }
    }
    let ledger = sim.ledger();
    for reference in &seen {
        let p = ledger_payment(&ledger, reference);
        if approved.contains(reference) {
            assert_eq!(p.captured, p.amount, "{p:?}");
            assert_eq!(ops(&p, "CAPTURED") + ops(&p, "CAPTURE"), 1, "{p:?}");
        } else {
            assert_eq!(p.captured, 0, "not approved, not paid: {p:?}");
        }
    }
    a.shutdown().await;
    b.shutdown().await;
}

/// The original bug: a recreated database mints a reference Vipps already holds (captured).
/// The new sale must not be paid, nothing may touch the old payment, and the next sale works.
async fn foreign_payment_is_not_claimed(api: ApiKind, exists_code: &str) {
    let sim = start_sim(sim_config()).await;
    let (old_dir, new_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let old = engine(&sim, forced_store(old_dir.path())).await;
    let (old_ref, state) = one_sale(&sim, &old, api, 4990, true).await;
    assert_eq!(state, PaymentState::Paid);
    outbox_drained(&old.engine_store()).await;
    old.shutdown().await;
    let before = ledger_payment(&sim.ledger(), &old_ref);
    assert_eq!(before.captured, 4990);

    // A second database with the same install id (a copy restored by hand, a reinstall that
    // kept it): its first sale gets the same reference, for the same amount.
    let store = forced_store(new_dir.path());
    let run = engine(&sim, store.clone()).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, api, push(api)))
        .await
        .unwrap();
    let done = wait_for(&mut rx, id, |s| {
        matches!(s.state, PaymentState::Paid | PaymentState::Failed)
    })
    .await;
    assert_eq!(done.reference, old_ref, "the collision this test is about");
    assert_eq!(done.state, PaymentState::Failed, "{done:?}");
    let reason = done.reason.clone().unwrap();
    assert!(reason.en.contains("not this sale's"), "{}", reason.en);
    assert!(reason.nb.contains("ikke dette salgets"), "{}", reason.nb);
    // The journal shows Vipps' answer (the fault fired) and why it was not taken as ours.
    let ops_rows = store
        .run(move |s| s.operations_for_payment(id))
        .await
        .unwrap();
    assert!(
        ops_rows
            .iter()
            .any(|o| o.op.kind == "create" && o.op.error_code.as_deref() == Some(exists_code)),
        "Vipps answered 'already exists' ({exists_code}): {ops_rows:?}"
    );
    assert!(ops_rows.iter().any(|o| o.op.kind == "not_ours"));
    let p = store.run(move |s| s.payment(id)).await.unwrap().unwrap();
    assert_eq!(p.state, PayState::Failed);
    let sale_status = store
        .run(move |s| s.sale(p.sale_id))
        .await
        .unwrap()
        .unwrap()
        .sale
        .status;
    assert_eq!(sale_status, SaleStatus::Failed, "the sale is not paid");
    // Nothing was captured, cancelled or refunded on the old payment, and no outbox row names it.
    outbox_drained(&store).await;
    let after = ledger_payment(&sim.ledger(), &old_ref);
    assert_eq!(after, before, "the old payment was left alone");
    let rows = store
        .run(|s| s.list(kasse::store::OutboxFilter::All))
        .await
        .unwrap();
    assert!(
        rows.iter().all(|r| r.payment_id != Some(id)),
        "no capture/cancel/refund for an unproven payment: {rows:?}"
    );

    // The shared install id was replaced (journaled), so the next sale gets a fresh reference
    // (not merely the next sequence number, which the old database may also have used) and is
    // paid normally.
    let installs = store.run(|s| s.installs()).await.unwrap();
    assert_eq!(installs.len(), 2, "{installs:?}");
    assert_eq!(installs[0].install_id, "00000001");
    assert_eq!(installs[1].reason, "collision");
    let (next_ref, state) = one_sale(&sim, &run, api, 4990, true).await;
    assert_ne!(next_ref, old_ref);
    assert!(next_ref.contains(&installs[1].install_id), "{next_ref}");
    assert_eq!(state, PaymentState::Paid);
    assert_eq!(ledger_payment(&sim.ledger(), &next_ref).captured, 4990);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_order_id_already_used_is_not_taken_as_paid() {
    foreign_payment_is_not_claimed(ApiKind::Ecom, "34").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epayment_reference_exists_is_not_taken_as_paid() {
    foreign_payment_is_not_claimed(ApiKind::Epayment, "4150").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_writer_cannot_turn_paid_into_failed() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let (reference, state) = one_sale(&sim, &run, ApiKind::Epayment, 2500, true).await;
    assert_eq!(state, PaymentState::Paid);
    outbox_drained(&run.engine_store()).await;
    let store = run.engine_store();
    let r = reference.clone();
    let p = store
        .run(move |s| s.payment_by_reference(&r))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.state, PayState::Captured);
    let (pid, sid) = (p.id, p.sale_id);
    let now = time::OffsetDateTime::now_utc();
    // A late writer (a stale read, a replayed answer) tries to fail it, or to reopen it.
    let late = store
        .run(move |s| s.update_payment_state(pid, PayState::Failed, Some("late"), None, now))
        .await
        .unwrap_err();
    assert!(matches!(late, StoreError::FinalState { .. }), "{late:?}");
    for st in [SaleStatus::Failed, SaleStatus::Open, SaleStatus::Cancelled] {
        let e = store
            .run(move |s| s.set_sale_status(sid, st, None, now))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::FinalState { .. }), "{st}: {e:?}");
    }
    let p = store.run(move |s| s.payment(pid)).await.unwrap().unwrap();
    assert_eq!(p.state, PayState::Captured);
    let s = store.run(move |s| s.sale(sid)).await.unwrap().unwrap();
    assert_eq!(s.sale.status, SaleStatus::Paid);
    let lp = ledger_payment(&sim.ledger(), &reference);
    assert_eq!(lp.captured, 2500);
    assert_eq!(lp.cancelled, 0);
    assert_eq!(lp.refunded, 0);
    run.shutdown().await;
}

/// Our own create reaches Vipps but its answer is lost, and the first read back does not find
/// it yet (Vipps' reads lag behind): the retry of the create hears "orderId already used".
struct LostCreateThenLaggingRead {
    inner: Arc<dyn Provider>,
    creates: AtomicUsize,
    reads: AtomicUsize,
}

impl Around for LostCreateThenLaggingRead {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }
    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            let r = self.inner.create(spec).await;
            if self.creates.fetch_add(1, Ordering::SeqCst) == 0 {
                assert!(r.is_ok(), "the first create reached the simulator: {r:?}");
                return Err(ProviderError::new(
                    ErrorClass::OutcomeUnknown,
                    Text::new("Ingen svar", "No answer"),
                    "test: answer lost",
                ));
            }
            r
        })
    }
    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(async move {
            if self.reads.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(ProviderError::new(
                    ErrorClass::NotFound,
                    Text::new("Ikke funnet", "Not found"),
                    "test: read lags behind",
                ));
            }
            self.inner.read(id).await
        })
    }
}

/// The legitimate case: the journal shows the earlier create that may have reached Vipps and
/// the payment read back is ours (amount, currency, time), so "already exists" is taken as our
/// own create; the sale goes on and is paid once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_34_after_our_own_lost_create_is_proven_ours_and_paid_once() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let base = sim.base_url();
    let wrapper = Arc::new(std::sync::Mutex::new(None));
    let keep = wrapper.clone();
    let run = run_engine(
        settings(&base),
        store.clone(),
        Arc::new(SystemClock),
        move |mut b| {
            let w = Arc::new(Wrap(LostCreateThenLaggingRead {
                inner: b.ecom.clone(),
                creates: AtomicUsize::new(0),
                reads: AtomicUsize::new(0),
            }));
            *keep.lock().unwrap() = Some(w.clone());
            b.ecom = w;
            b
        },
    )
    .await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Ecom, push(ApiKind::Ecom)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    // The faults fired: two creates, the first read "not found".
    let fired = wrapper.lock().unwrap().clone().unwrap();
    assert_eq!(fired.creates.load(Ordering::SeqCst), 2);
    assert!(fired.reads.load(Ordering::SeqCst) >= 2);
    let j = store
        .run(move |s| s.operations_for_payment(id))
        .await
        .unwrap();
    assert!(
        j.iter()
            .any(|o| o.op.kind == "create" && o.op.error_code.as_deref() == Some("34")),
        "Vipps answered 34 to the retry: {j:?}"
    );
    assert!(j.iter().all(|o| o.op.kind != "not_ours"), "{j:?}");
    let ledger = sim.ledger();
    assert_eq!(ledger.payments.len(), 1);
    let p = ledger_payment(&ledger, &w.reference);
    assert_eq!(p.captured, 4990);
    assert_eq!(ops(&p, "CAPTURE"), 1, "{p:?}");
    run.shutdown().await;
}
