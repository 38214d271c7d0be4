//! Approval → paid latency of the real engine against the in-process simulator.
//!
//! N sales per policy (env `KASSE_BENCH_SALES`, default 40) run concurrently. The simulated
//! customer approves each at a random moment (`POST /sim/v1/customer/{ref}/approve`); the time
//! from that call to the engine publishing `Paid` is the latency. The same sales run at the same
//! time on a second engine with Vipps' general polling guidance (first read after 5 s, then
//! every 2 s) as the baseline. Reads are counted per payment by wrapping the ePayment provider.
//!
//! Run: `cargo bench --bench approval_latency`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use kasse::clock::SystemClock;
use kasse::domain::money::Money;
use kasse::domain::payment::PollPolicy;
use kasse::engine::acquirer::SimulatedAcquirer;
use kasse::engine::build::{Running, connect_with};
use kasse::engine::provider::CustomerId;
use kasse::engine::{ApiKind, Engine, EngineEvent, NewSaleRequest, PayMethod, PaymentState};
use kasse::sim::SimConfig;
use rand::Rng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

#[derive(Default)]
struct Seen {
    waiting: HashMap<i64, Instant>,
    paid: HashMap<i64, Instant>,
    /// First `Authorized` / `Capturing` snapshot: the read that saw the approval.
    authorized: HashMap<i64, Instant>,
    final_other: HashMap<i64, PaymentState>,
    lagged: u64,
}

struct Policy {
    name: &'static str,
    running: Running,
    reads: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
    seen: Arc<Mutex<Seen>>,
}

struct SaleResult {
    latency: Duration,
    /// Approve → the engine's read saw it.
    seen: Duration,
    /// Seen → paid (capture round trip, journaling).
    capture: Duration,
    reads: usize,
    reads_per_min: f64,
    window_max: usize,
}

async fn start_policy(
    name: &'static str,
    base_url: &str,
    till: &str,
    poll: PollPolicy,
    dir: &std::path::Path,
) -> Policy {
    let mut s = settings(base_url, till);
    s.engine.poll = poll;
    let reads: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Arc::default();
    let r2 = reads.clone();
    let running = connect_with(
        s,
        open_store(dir),
        Arc::new(SystemClock),
        Arc::new(SimulatedAcquirer::new()),
        move |mut b| {
            b.epayment = Arc::new(CountingReads {
                inner: b.epayment.clone(),
                reads: r2,
            });
            b
        },
    )
    .await
    .unwrap();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let mut rx = running.engine.subscribe();
    let s2 = seen.clone();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(EngineEvent::Payment(p)) => {
                    let now = Instant::now();
                    let mut s = s2.lock().unwrap();
                    match p.state {
                        PaymentState::WaitingForCustomer | PaymentState::WaitingForApproval => {
                            s.waiting.entry(p.id).or_insert(now);
                        }
                        PaymentState::Authorized | PaymentState::Capturing => {
                            s.authorized.entry(p.id).or_insert(now);
                        }
                        PaymentState::Paid => {
                            s.authorized.entry(p.id).or_insert(now);
                            s.paid.entry(p.id).or_insert(now);
                        }
                        st if st.is_final() => {
                            s.final_other.insert(p.id, st);
                        }
                        _ => {}
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    s2.lock().unwrap().lagged += n;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    Policy {
        name,
        running,
        reads,
        seen,
    }
}

async fn wait_until<T>(mut f: impl FnMut() -> Option<T>, limit: Duration) -> Option<T> {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn one_sale(
    engine: Engine,
    seen: Arc<Mutex<Seen>>,
    reads: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
    sim_base: String,
    http: reqwest::Client,
    approve_after: Duration,
) -> Result<SaleResult, String> {
    let req = NewSaleRequest::single_amount(
        Money::nok(4990),
        PayMethod::Push {
            customer: CustomerId::Phone("4791234567".into()),
        },
        ApiKind::Epayment,
        Some("Benk: kaffe".into()),
    );
    let created = Instant::now();
    let id = engine.start_payment(req).await.map_err(|e| e.to_string())?;
    let s = seen.clone();
    wait_until(
        move || s.lock().unwrap().waiting.get(&id).copied(),
        Duration::from_secs(30),
    )
    .await
    .ok_or("never reached waiting_for_customer")?;
    let reference = engine
        .snapshot(id)
        .map(|s| s.reference)
        .ok_or("no snapshot")?;
    tokio::time::sleep(approve_after).await;
    let t0 = Instant::now();
    let r = http
        .post(format!("{sim_base}/sim/v1/customer/{reference}/approve"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("approve answered {}", r.status()));
    }
    let s = seen.clone();
    let paid = wait_until(
        move || {
            let g = s.lock().unwrap();
            if let Some(t) = g.paid.get(&id) {
                return Some(Ok(*t));
            }
            g.final_other.get(&id).map(|st| Err(*st))
        },
        Duration::from_secs(60),
    )
    .await
    .ok_or("never paid")?
    .map_err(|st| format!("ended {}", st.code()))?;
    let times: Vec<Instant> = reads
        .lock()
        .unwrap()
        .get(&reference)
        .map(|v| v.iter().copied().filter(|t| *t <= paid).collect())
        .unwrap_or_default();
    let n = times.len();
    // Most reads in any rolling 60 s window (Vipps' rate-limit sense of "per minute").
    let window_max = times
        .iter()
        .map(|a| {
            times
                .iter()
                .filter(|b| **b >= *a && b.duration_since(*a) < Duration::from_secs(60))
                .count()
        })
        .max()
        .unwrap_or(0);
    let life = paid.saturating_duration_since(created).as_secs_f64();
    let auth = seen
        .lock()
        .unwrap()
        .authorized
        .get(&id)
        .copied()
        .unwrap_or(paid);
    Ok(SaleResult {
        latency: paid.saturating_duration_since(t0),
        seen: auth.saturating_duration_since(t0),
        capture: paid.saturating_duration_since(auth),
        reads: n,
        reads_per_min: n as f64 / life * 60.0,
        window_max,
    })
}

struct Summary {
    p50: f64,
    p99: f64,
    max_rpm: f64,
}

fn report(name: &str, results: &[Result<SaleResult, String>], lagged: u64) -> Summary {
    let ok: Vec<&SaleResult> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let lat = sorted(ok.iter().map(|r| r.latency.as_secs_f64()).collect());
    let rpm = sorted(ok.iter().map(|r| r.reads_per_min).collect());
    let reads = sorted(ok.iter().map(|r| r.reads as f64).collect());
    let s = Summary {
        p50: pct(&lat, 50.0),
        p99: pct(&lat, 99.0),
        max_rpm: ok.iter().map(|r| r.window_max as f64).fold(0.0, f64::max),
    };
    println!(
        "{name:<9} {:>4} {:>6} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>10.1} {:>10.1} {:>10.0} {:>9.1}",
        ok.len(),
        failed.len(),
        pct(&lat, 0.0),
        s.p50,
        s.p99,
        lat.last().copied().unwrap_or(f64::NAN),
        pct(&rpm, 50.0),
        rpm.last().copied().unwrap_or(f64::NAN),
        s.max_rpm,
        pct(&reads, 50.0),
    );
    for f in failed.iter().take(5) {
        println!("  {name}: sale failed: {f}");
    }
    let seen = sorted(ok.iter().map(|r| r.seen.as_secs_f64()).collect());
    let cap = sorted(ok.iter().map(|r| r.capture.as_secs_f64()).collect());
    println!(
        "  {name}: approve → read sees it p50 {:.3} s p99 {:.3} s; seen → paid p50 {:.3} s p99 {:.3} s",
        pct(&seen, 50.0),
        pct(&seen, 99.0),
        pct(&cap, 50.0),
        pct(&cap, 99.0)
    );
    if lagged > 0 {
        println!("  {name}: event listener lagged by {lagged} events");
    }
    s
}

fn main() {
    machine_note("approval → paid latency");
    let n = env_usize("KASSE_BENCH_SALES", 40);
    let max_wait_ms = env_usize("KASSE_BENCH_APPROVE_MAX_MS", 9000) as u64;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let sim = start_sim(SimConfig {
            tick_interval: Duration::from_millis(20),
            ..SimConfig::default()
        })
        .await;
        let base = sim.base_url();
        let d1 = tempfile::tempdir().unwrap();
        let d2 = tempfile::tempdir().unwrap();
        let kasse_policy = PollPolicy::default();
        let baseline = PollPolicy {
            first_delay: time::Duration::seconds(5),
            interval: time::Duration::seconds(2),
            ..PollPolicy::default()
        };
        let policies = [
            start_policy("kasse", &base, "t1", kasse_policy, d1.path()).await,
            start_policy("baseline", &base, "t2", baseline, d2.path()).await,
        ];
        println!(
            "{n} sales per policy, concurrent; customer approves 0.3–{:.1} s after the push; \
             sim at real time, rate limits on",
            max_wait_ms as f64 / 1000.0
        );
        let http = reqwest::Client::new();
        let mut rng = rand::rng();
        let started = Instant::now();
        let mut handles: Vec<Vec<tokio::task::JoinHandle<Result<SaleResult, String>>>> =
            vec![Vec::new(), Vec::new()];
        for _ in 0..n {
            // The same approval moment for both policies: a paired comparison.
            let after = Duration::from_millis(rng.random_range(300..=max_wait_ms.max(301)));
            for (i, p) in policies.iter().enumerate() {
                handles[i].push(tokio::spawn(one_sale(
                    p.running.engine.clone(),
                    p.seen.clone(),
                    p.reads.clone(),
                    base.clone(),
                    http.clone(),
                    after,
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut results: Vec<Vec<Result<SaleResult, String>>> = Vec::new();
        for hs in handles {
            let mut v = Vec::new();
            for h in hs {
                v.push(h.await.unwrap_or_else(|e| Err(e.to_string())));
            }
            results.push(v);
        }
        let wall = started.elapsed();
        println!(
            "{:<9} {:>4} {:>6} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10} {:>9}",
            "policy",
            "paid",
            "failed",
            "min s",
            "p50 s",
            "p99 s",
            "max s",
            "rate/min",
            "max rate",
            "max in 60s",
            "reads"
        );
        let mut sums = Vec::new();
        for (p, r) in policies.iter().zip(&results) {
            let lagged = p.seen.lock().unwrap().lagged;
            sums.push(report(p.name, r, lagged));
        }
        let (k, b) = (&sums[0], &sums[1]);
        let ratio = b.p50 / k.p50;
        println!("wall time {:.1} s", wall.as_secs_f64());
        println!(
            "target p50 ≤ 0.500 s: {:.3} s {}",
            k.p50,
            verdict(k.p50 <= 0.5)
        );
        println!(
            "target p99 ≤ 1.050 s: {:.3} s {}",
            k.p99,
            verdict(k.p99 <= 1.05)
        );
        println!(
            "target ≤ 60 reads/min per payment: most reads in any 60 s window {:.0} {}",
            k.max_rpm,
            verdict(k.max_rpm <= 60.0)
        );
        println!(
            "target ≥ 2× better p50 than baseline: baseline p50 / kasse p50 = {ratio:.2}× {}",
            verdict(ratio >= 2.0)
        );
        for p in policies {
            p.running.shutdown().await;
        }
        let _ = sim.shutdown().await;
    });
}
