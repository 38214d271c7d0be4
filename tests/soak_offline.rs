//! Offline soak: the network to Vipps goes away mid-day (a proxy in front of the simulator
//! refuses connections), customers approve meanwhile, receipts pile up in the outbox; new Vipps
//! payments are refused with a clear message; when the network returns the captures and
//! receipts are sent within 60 s, and nothing is lost or doubled.
//!
//! Short form (default): 3 sales approved offline, 20 queued receipts, 2 s outage.
//! Long form: `KASSE_SOAK_OFFLINE_SALES=30 KASSE_SOAK_OFFLINE_RECEIPTS=2000
//! KASSE_SOAK_OUTAGE_MS=30000 cargo test --test soak_offline -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::soak as soak_support;
use kasse::clock::SystemClock;
use kasse::domain::money::Money;
use kasse::engine::acquirer::SimulatedAcquirer;
use kasse::engine::build::connect;
use kasse::engine::outbox_payload::{Payload, StoredReceipt, StoredReceiptLine};
use kasse::engine::provider::CustomerId;
use kasse::engine::{
    ApiKind, EngineError, EngineEvent, NetworkState, NewSaleRequest, PayMethod, PaymentState,
};
use kasse::sim::SimConfig;
use kasse::store::{NewOutbox, OutboxFilter, OutboxKind, OutboxStatus};
use soak_support::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn sale(i: usize) -> NewSaleRequest {
    NewSaleRequest::single_amount(
        Money::nok(2000 + i as i64),
        PayMethod::Push {
            customer: CustomerId::Phone("4791234567".into()),
        },
        ApiKind::Epayment,
        Some("Offline soak".into()),
    )
}

fn receipt_row(i: usize) -> NewOutbox {
    let reference = format!("offline-{i:06}");
    let payload = Payload::Receipt {
        api: ApiKind::Ecom,
        reference: reference.clone(),
        currency: "NOK".into(),
        receipt: StoredReceipt {
            lines: vec![StoredReceiptLine {
                name: "Kaffe".into(),
                id: "7038010000001".into(),
                total_amount: 4990,
                total_amount_excluding_tax: 3992,
                total_tax_amount: 998,
                tax_rate: 2500,
                quantity: "1".into(),
                unit: "PCS".into(),
                unit_price: 4990,
                discount: 0,
                is_return: false,
            }],
            receipt_number: format!("s1-t1-9{i:05}"),
            pos_id: "s1-t1".into(),
            tip_amount: 0,
            other_tenders: Vec::new(),
            barcode: true,
        },
    };
    NewOutbox {
        kind: OutboxKind::Receipt,
        payment_id: None,
        reference: Some(reference.clone()),
        idempotency_key: format!("om-{reference}"),
        payload_json: payload.to_json(),
    }
}

async fn approve(sim_base: &str, reference: &str) {
    let r = reqwest::Client::new()
        .post(format!("{sim_base}/sim/v1/customer/{reference}/approve"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "approve: {}", r.status());
}

async fn wait_network(engine: &kasse::engine::Engine, want: NetworkState, limit: Duration) {
    let end = Instant::now() + limit;
    while engine.network() != want {
        assert!(Instant::now() < end, "network never became {want:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vipps_unreachable_mid_day_refuses_new_payments_and_drains_after() {
    let n_sales = env_usize("KASSE_SOAK_OFFLINE_SALES", 3);
    let n_receipts = env_usize("KASSE_SOAK_OFFLINE_RECEIPTS", 20);
    let outage = Duration::from_millis(env_usize("KASSE_SOAK_OUTAGE_MS", 2000) as u64);
    let sim = start_sim(SimConfig {
        rate_limits: false,
        tick_interval: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await;
    let mut proxy = Proxy::start(sim.addr()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let running = connect(
        settings(&proxy.base_url()),
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(SimulatedAcquirer::new()),
    )
    .await
    .unwrap();
    let engine = running.engine.clone();
    let mut rx = engine.subscribe();

    // Morning: a normal sale.
    let first = engine.start_payment(sale(0)).await.unwrap();
    let mut refs = std::collections::HashMap::new();
    let mut waiting = Vec::new();
    let ids: Vec<i64> = {
        let mut v = Vec::new();
        for i in 1..=n_sales {
            v.push(engine.start_payment(sale(i)).await.unwrap());
        }
        v
    };
    let all: HashSet<i64> = ids.iter().copied().chain([first]).collect();
    let end = Instant::now() + Duration::from_secs(20);
    while refs.len() < all.len() {
        assert!(Instant::now() < end, "sales never reached the customer");
        if let Ok(Ok(EngineEvent::Payment(p))) =
            tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
            && all.contains(&p.id)
            && p.state == PaymentState::WaitingForCustomer
        {
            refs.insert(p.id, p.reference.clone());
        }
    }
    approve(&sim.base_url(), &refs[&first]).await;
    let end = Instant::now() + Duration::from_secs(20);
    while engine.snapshot(first).map(|s| s.state) != Some(PaymentState::Paid) {
        assert!(Instant::now() < end, "the morning sale never paid");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Mid-day: the network goes away. The customers approve on their phones meanwhile.
    proxy.down();
    for id in &ids {
        approve(&sim.base_url(), &refs[id]).await;
        waiting.push(*id);
    }
    wait_network(&engine, NetworkState::Offline, Duration::from_secs(20)).await;

    // New Vipps payments are refused clearly and at once (the UI never waits on this).
    let t = Instant::now();
    match engine.start_payment(sale(99)).await {
        Err(EngineError::Offline(text)) => {
            assert!(text.en.contains("Vipps"), "{}", text.en);
            assert!(text.nb.contains("Vipps"), "{}", text.nb);
        }
        other => panic!("a new payment while offline was not refused: {other:?}"),
    }
    let refuse_ms = t.elapsed().as_millis();
    // Snapshots keep answering (what the screen reads).
    for id in &ids {
        let s = engine.snapshot(*id).unwrap();
        assert!(
            !s.state.is_final() || s.state == PaymentState::Paid,
            "{s:?}"
        );
    }

    // Receipts pile up in the outbox while offline and must not be given up on.
    store
        .run(move |s| {
            let now = time::OffsetDateTime::now_utc();
            for i in 0..n_receipts {
                s.enqueue(&receipt_row(i), now)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    engine.kick_worker();
    tokio::time::sleep(outage).await;
    let rows = store.run(|s| s.list(OutboxFilter::All)).await.unwrap();
    let dead_offline = rows
        .iter()
        .filter(|r| r.status == OutboxStatus::Dead)
        .count();
    assert_eq!(dead_offline, 0, "outbox rows given up while offline");
    assert_eq!(engine.network(), NetworkState::Offline);

    // The network returns: everything is sent within 60 s.
    proxy.up().await;
    let back = Instant::now();
    let end = back + Duration::from_secs(60);
    loop {
        let open = store.run(|s| s.pending_count()).await.unwrap();
        let paid = ids
            .iter()
            .filter(|id| engine.snapshot(**id).map(|s| s.state) == Some(PaymentState::Paid))
            .count();
        if open == 0 && paid == ids.len() {
            break;
        }
        assert!(
            Instant::now() < end,
            "60 s after the network returned: {open} outbox rows open, {paid}/{} paid",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained_in = back.elapsed();
    assert_eq!(engine.network(), NetworkState::Online);
    // A new payment works again.
    engine.start_payment(sale(100)).await.unwrap();

    let ledger = sim.ledger();
    let receipts_at_sim = ledger
        .orders
        .iter()
        .filter(|o| o.order_id.starts_with("offline-") && o.receipt.is_some())
        .count();
    assert_eq!(receipts_at_sim, n_receipts);
    running.shutdown().await;
    // The last sale is still waiting for its customer: check the others only.
    let journal: Vec<_> = journal(dir.path())
        .into_iter()
        .filter(|s| s.payments.iter().all(|p| p.amount != 2100))
        .collect();
    let mut ledger_checked = ledger.clone();
    ledger_checked.payments.retain(|p| p.amount != 2100);
    let (bad, t) = check_invariants(&ledger_checked, &journal);
    println!(
        "offline soak: {n_sales} sales approved during a {:.1} s outage, {n_receipts} receipts \
         queued; new payment refused in {refuse_ms} ms; everything sent {:.2} s after the \
         network returned; {} paid",
        outage.as_secs_f64(),
        drained_in.as_secs_f64(),
        t.paid
    );
    assert!(bad.is_empty(), "invariants broken:\n{}", bad.join("\n"));
    assert_eq!(t.paid, n_sales + 1);
}
