//! The durable outbox: enqueue latency on a file database (WAL, `synchronous=FULL`, one
//! transaction per row, as the engine does it) and draining 5 000 Order Management receipts into
//! the in-process simulator through the engine's own outbox worker.
//!
//! The drain runs twice: on the journal as it is, then on a scratch copy with every SQLite
//! trigger dropped (the HQ feed, fiscal and report triggers) — what the triggers cost the drain.
//!
//! Run: `cargo bench --bench outbox` (env `KASSE_BENCH_ENQUEUES` default 2000,
//! `KASSE_BENCH_RECEIPTS` default 5000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use kasse::clock::SystemClock;
use kasse::engine::ApiKind;
use kasse::engine::acquirer::SimulatedAcquirer;
use kasse::engine::build::connect;
use kasse::engine::outbox_payload::{Payload, StoredReceipt, StoredReceiptLine};
use kasse::sim::SimConfig;
use kasse::store::{NewOutbox, OutboxFilter, OutboxKind, OutboxStatus, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

fn receipt_row(i: usize) -> NewOutbox {
    let reference = format!("bench-{i:07}");
    let lines = (0..3)
        .map(|l| StoredReceiptLine {
            name: format!("Vare {l}"),
            id: format!("70380100{l:05}"),
            total_amount: 12_500,
            total_amount_excluding_tax: 10_000,
            total_tax_amount: 2_500,
            tax_rate: 2500,
            quantity: "1".into(),
            unit: "PCS".into(),
            unit_price: 12_500,
            discount: 0,
            is_return: false,
        })
        .collect();
    let payload = Payload::Receipt {
        api: ApiKind::Ecom,
        reference: reference.clone(),
        currency: "NOK".into(),
        receipt: StoredReceipt {
            lines,
            receipt_number: format!("s1-t1-{i:06}"),
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

/// Where checkpoints run while enqueueing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Checkpoints {
    /// SQLite's default: the commit that finds the WAL over 1000 pages checkpoints inline.
    Inline,
    /// The enqueueing connection never checkpoints; another connection does, every 250 ms.
    Background,
}

fn enqueue_latency(n: usize) -> (f64, f64) {
    let a = enqueue_latency_with(n, Checkpoints::Inline);
    let b = enqueue_latency_with(n, Checkpoints::Background);
    println!(
        "checkpoints inline vs background: p99 {:.3} ms vs {:.3} ms (ratio {:.2})",
        a.1,
        b.1,
        a.1 / b.1
    );
    a
}

fn enqueue_latency_with(n: usize, checkpoints: Checkpoints) -> (f64, f64) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut store = Store::open_in_dir(dir.path()).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let checkpointer = (checkpoints == Checkpoints::Background).then(|| {
        store.set_wal_autocheckpoint(0).unwrap();
        let other = Store::open_in_dir(dir.path()).unwrap();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut rounds = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (in_wal, copied) = other.checkpoint().unwrap();
                rounds += usize::from(in_wal > 0 && copied > 0);
                std::thread::sleep(Duration::from_millis(250));
            }
            rounds
        })
    });
    println!("checkpoints: {checkpoints:?}");
    let sync = store.pragma("synchronous").unwrap();
    let mode = store.pragma("journal_mode").unwrap();
    println!(
        "file DB {} (journal_mode={mode}, synchronous={sync} [2 = FULL])",
        dir.path().display()
    );
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let row = receipt_row(i);
        let now = time::OffsetDateTime::now_utc();
        let t = Instant::now();
        store.enqueue(&row, now).unwrap();
        samples.push(ms(t.elapsed()));
    }
    let s = sorted(samples);
    println!(
        "{:<34} {:>6} {:>9} {:>9} {:>9}",
        "enqueue (one transaction per row)", "n", "p50 ms", "p99 ms", "max ms"
    );
    println!(
        "{:<34} {n:>6} {:>9.3} {:>9.3} {:>9.3}",
        "Store::enqueue",
        pct(&s, 50.0),
        pct(&s, 99.0),
        s.last().copied().unwrap_or(f64::NAN)
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(t) = checkpointer {
        println!(
            "background checkpoints that copied frames: {}",
            t.join().unwrap()
        );
    }
    (pct(&s, 50.0), pct(&s, 99.0))
}

/// Drop every trigger of the journal in `dir` (a scratch copy: the bench's own temp directory).
fn drop_all_triggers(dir: &std::path::Path) -> usize {
    let conn = rusqlite::Connection::open(dir.join(kasse::store::DB_FILE_NAME)).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for name in &names {
        conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))
            .unwrap();
    }
    names.len()
}

async fn drain(n: usize, without_triggers: bool) -> f64 {
    let sim = start_sim(SimConfig {
        rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    {
        // Queue the receipts before the engine starts (as after a day offline).
        let mut store = Store::open_in_dir(dir.path()).unwrap();
        let now = time::OffsetDateTime::now_utc();
        let rows: Vec<NewOutbox> = (0..n).map(receipt_row).collect();
        store
            .transaction(|tx| {
                for r in &rows {
                    tx.enqueue(r, now)?;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(store.pending_count().unwrap(), n as i64);
    }
    if without_triggers {
        println!(
            "scratch copy: {} triggers dropped before the drain",
            drop_all_triggers(dir.path())
        );
    }
    let store = open_store(dir.path());
    let t = Instant::now();
    let running = connect(
        settings(&sim.base_url(), "t1"),
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(SimulatedAcquirer::new()),
    )
    .await
    .unwrap();
    running.engine.kick_worker();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let open = store.run(|s| s.pending_count()).await.unwrap();
        if open == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let took = t.elapsed();
    let rows = store.run(|s| s.list(OutboxFilter::All)).await.unwrap();
    let done = rows
        .iter()
        .filter(|r| r.status == OutboxStatus::Done)
        .count();
    let dead = rows
        .iter()
        .filter(|r| r.status == OutboxStatus::Dead)
        .count();
    let retried = rows.iter().filter(|r| r.attempts > 1).count();
    let ledger = sim.ledger();
    let at_sim = ledger.orders.iter().filter(|o| o.receipt.is_some()).count();
    let rate = done as f64 / took.as_secs_f64();
    println!(
        "{:<34} {:>6} {:>6} {:>6} {:>8} {:>9} {:>9}",
        "drain into the simulator", "done", "dead", "retry", "at sim", "seconds", "per s"
    );
    println!(
        "{:<34} {done:>6} {dead:>6} {retried:>6} {at_sim:>8} {:>9.2} {rate:>9.0}",
        if without_triggers {
            "…same, every trigger dropped"
        } else {
            "engine outbox worker (OM receipt)"
        },
        took.as_secs_f64()
    );
    running.shutdown().await;
    let _ = sim.shutdown().await;
    if done != n || at_sim != n {
        println!("  WARNING: {done} done / {at_sim} at the simulator of {n}");
        return 0.0;
    }
    rate
}

fn main() {
    machine_note("outbox");
    let n_enq = env_usize("KASSE_BENCH_ENQUEUES", 2000);
    let n_drain = env_usize("KASSE_BENCH_RECEIPTS", 5000);
    let (_, p99) = enqueue_latency(n_enq);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rate = rt.block_on(drain(n_drain, false));
    let bare = rt.block_on(drain(n_drain, true));
    println!(
        "drain with vs without triggers: {rate:.0}/s vs {bare:.0}/s (the triggers cost {:.0}%)",
        100.0 * (1.0 - rate / bare)
    );
    println!(
        "target enqueue p99 ≤ 5 ms: {p99:.3} ms {}",
        verdict(p99 <= 5.0)
    );
    println!(
        "target drain ≥ 300 receipts/s: {rate:.0}/s {}",
        verdict(rate >= 300.0)
    );
}
