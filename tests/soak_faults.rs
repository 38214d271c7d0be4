//! Faults soak: many sales through the real engine while the simulator drops 20 % of responses
//! after committing them, answers 5 % with 5xx and 2 % with 429, and adds latency; then the
//! faults stop, the engine finishes its work, and the simulator's ledger is compared with the
//! journal (same invariants as the crash soak).
//!
//! Short form (default): 50 sales, latency 0–300 ms. Long form:
//! `KASSE_SOAK_SALES=1000 KASSE_SOAK_SPIKE_MS=3000 KASSE_SOAK_CONCURRENCY=50
//! KASSE_SOAK_PROGRESS=1 cargo test --test soak_faults -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::soak as soak_support;
use kasse::clock::SystemClock;
use kasse::domain::money::Money;
use kasse::engine::acquirer::SimulatedAcquirer;
use kasse::engine::build::connect;
use kasse::engine::provider::CustomerId;
use kasse::engine::{ApiKind, EngineEvent, NewSaleRequest, PayMethod, PaymentState};
use kasse::sim::SimConfig;
use soak_support::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn faults(base: &str, body: serde_json::Value) {
    let c = reqwest::Client::new();
    let r = if body.is_null() {
        c.delete(format!("{base}/sim/v1/faults"))
            .send()
            .await
            .unwrap()
    } else {
        c.post(format!("{base}/sim/v1/faults"))
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    assert!(r.status().is_success(), "faults: {}", r.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_responses_5xx_429_and_latency_lose_nothing() {
    let n = env_usize("KASSE_SOAK_SALES", 50);
    let spike = env_usize("KASSE_SOAK_SPIKE_MS", 300) as u64;
    let concurrency = env_usize("KASSE_SOAK_CONCURRENCY", 10);
    let sim = start_sim(SimConfig {
        rate_limits: false,
        auto_approve_after: Some(Duration::from_millis(200)),
        tick_interval: Duration::from_millis(20),
        seed: 0xfa17,
        ..SimConfig::default()
    })
    .await;
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let acquirer = Arc::new(SimulatedAcquirer::new());
    let running = connect(
        settings(&base),
        store.clone(),
        Arc::new(SystemClock),
        acquirer.clone(),
    )
    .await
    .unwrap();
    let engine = running.engine.clone();
    faults(
        &base,
        serde_json::json!({
            "drop_after_commit": 0.2,
            "error_rate": 0.05,
            "rate_limit_rate": 0.02,
            "latency_ms": [0, spike]
        }),
    )
    .await;
    let started = Instant::now();
    let apis = [ApiKind::Epayment, ApiKind::Ecom, ApiKind::Psp];
    let mut finals: HashMap<&'static str, usize> = HashMap::new();
    let mut refused = 0usize;
    for chunk in (0..n).collect::<Vec<_>>().chunks(concurrency) {
        let mut rx = engine.subscribe();
        let mut ids = Vec::new();
        for &i in chunk {
            let api = apis[i % apis.len()];
            let phone = if api == ApiKind::Epayment {
                "4791234567"
            } else {
                "91234567"
            };
            let req = NewSaleRequest::single_amount(
                Money::nok(1000 + i as i64),
                PayMethod::Push {
                    customer: CustomerId::Phone(phone.into()),
                },
                api,
                Some("Soak".into()),
            );
            match engine.start_payment(req).await {
                Ok(id) => ids.push(id),
                // Offline after a burst of errors: refused clearly, nothing journaled as paid.
                Err(e) => {
                    assert!(!e.message().en.is_empty() && !e.message().nb.is_empty());
                    refused += 1;
                }
            }
        }
        if chunk[0] > 0 && std::env::var_os("KASSE_SOAK_PROGRESS").is_some() {
            println!(
                "  {} sales started, {:.0} s, finals {finals:?}",
                chunk[0],
                started.elapsed().as_secs_f64()
            );
        }
        let mut left: std::collections::HashSet<i64> = ids.iter().copied().collect();
        let deadline = Instant::now() + Duration::from_secs(180);
        while !left.is_empty() {
            assert!(Instant::now() < deadline, "sales {left:?} never finished");
            match tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
                Ok(Ok(EngineEvent::Payment(p))) if left.contains(&p.id) && p.state.is_final() => {
                    *finals.entry(p.state.code()).or_default() += 1;
                    left.remove(&p.id);
                }
                Ok(Ok(_))
                | Err(_)
                | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    left.retain(|id| match engine.snapshot(*id) {
                        Some(s) if s.state.is_final() => {
                            *finals.entry(s.state.code()).or_default() += 1;
                            false
                        }
                        _ => true,
                    });
                }
                Ok(Err(e)) => panic!("events: {e}"),
            }
        }
    }
    let with_faults = started.elapsed();
    // The faults stop; the engine finishes what is queued (same keys).
    faults(&base, serde_json::Value::Null).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        engine.kick_worker();
        let open = store.run(|s| s.pending_count()).await.unwrap();
        let unfinished = store.run(|s| s.unfinished_payments()).await.unwrap().len();
        if open == 0 && unfinished == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} outbox rows / {unfinished} payments still open 60 s after the faults stopped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.shutdown().await;
    let ledger = sim.ledger();
    let dead = kasse::store::Store::open_in_dir(dir.path())
        .unwrap()
        .list(kasse::store::OutboxFilter::Status(
            kasse::store::OutboxStatus::Dead,
        ))
        .unwrap();
    let journal = journal(dir.path());
    let (mut bad, t) = check_invariants(&ledger, &journal);
    bad.extend(check_acquirer(&acquirer, &journal));
    println!(
        "faults soak: {n} sales (latency 0–{spike} ms), {refused} refused at start, finals {finals:?}, \
         {} paid / {} failed clearly, {} dead outbox rows, {} payments at the simulator \
         ({} PSP payments with a repeated CAPTURED status report), {:.1} s with faults",
        t.paid,
        t.failed_clearly,
        dead.len(),
        t.sim_payments,
        t.psp_repeated_reports,
        with_faults.as_secs_f64()
    );
    for d in &dead {
        println!("  dead: {} {:?}", d.kind, d.last_error);
    }
    if !bad.is_empty() {
        for p in &ledger.payments {
            if bad.iter().any(|b| b.starts_with(p.reference.as_str())) {
                println!(
                    "  ledger {} ({:?}): {:#?}",
                    p.reference, p.api, p.operations
                );
            }
        }
    }
    assert!(bad.is_empty(), "invariants broken:\n{}", bad.join("\n"));
    assert_eq!(t.paid + t.failed_clearly, t.sales);
    assert!(t.paid > 0, "nothing was paid");
    assert!(
        finals.get(PaymentState::Paid.code()).copied().unwrap_or(0) > 0,
        "{finals:?}"
    );
}
