//! Staff functions at scale: an X report (and the Z report) over 100 000 journaled sales of one
//! business day, and a batch refund of 500 paid payments through the engine's outbox worker
//! into the in-process simulator.
//!
//! Run: `cargo bench --bench staff` (env `KASSE_BENCH_REPORT_SALES` default 100000,
//! `KASSE_BENCH_REFUNDS` default 500).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use kasse::clock::SystemClock;
use kasse::domain::batch::BatchOp;
use kasse::domain::money::Money;
use kasse::domain::payment::PollPolicy;
use kasse::domain::refund::{RefundMode, RefundRequest, RefundStatus};
use kasse::domain::report::Source;
use kasse::domain::staff::HashCost;
use kasse::engine::acquirer::SimulatedAcquirer;
use kasse::engine::build::connect;
use kasse::engine::provider::CustomerId;
use kasse::engine::{ApiKind, EngineEvent, NewSaleRequest, PayMethod, PaymentState};
use kasse::service::StaffDb;
use kasse::service::batch::BatchRunner;
use kasse::sim::SimConfig;
use kasse::store::staff::compute_from;
use kasse::store::{
    Api, DB_FILE_NAME, Flow, NewPayment, NewSale, NewSaleLine, PayState, PaymentAmounts,
    SaleStatus, Store,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;
use time::macros::{date, datetime};
use time::{OffsetDateTime, UtcOffset};

fn line(name: &str, rate: i64, gross: i64) -> NewSaleLine {
    let vat = kasse::domain::refund::vat_of_gross(gross, rate);
    NewSaleLine {
        product_id: Some(name.to_lowercase()),
        name: name.into(),
        quantity: "1".into(),
        quantity_milli: 1000,
        unit: "pcs".into(),
        unit_price: gross,
        discount: 0,
        vat_rate: rate,
        gross,
        net: gross - vat,
        vat,
        is_return: false,
    }
}

const APIS: [Api; 3] = [Api::Epayment, Api::Ecom, Api::Psp];

/// One sale of the seeded day: three lines, a payment; 9 in 10 paid, the rest cancelled.
fn write_sale(
    tx: &kasse::store::Tx<'_>,
    i: usize,
    at: OffsetDateTime,
) -> Result<(), kasse::store::StoreError> {
    let apis = APIS;
    let lines = vec![
        line("Kaffe", 2500, 4990 + (i as i64 % 100)),
        line("Bolle", 1500, 3500),
        line("Avis", 0, 4000),
    ];
    let gross: i64 = lines.iter().map(|l| l.gross).sum();
    let vat: i64 = lines.iter().map(|l| l.vat).sum();
    let ids = tx.begin_sale(&NewSale {
        shop_id: "s1".into(),
        till_id: "t1".into(),
        staff_id: None,
        currency: "NOK".into(),
        gross_total: gross,
        vat_total: vat,
        net_total: gross - vat,
        training: i.is_multiple_of(50),
        tender: "vipps".into(),
        description: None,
        lines,
        payment: NewPayment {
            api: apis[i % 3],
            msn: "123456".into(),
            flow: Flow::Push,
            customer_phone: Some("4791234567".into()),
        },
        created_at: at,
    })?;
    let paid = !i.is_multiple_of(10);
    let (state, amounts, status) = if paid {
        (
            PayState::Captured,
            PaymentAmounts {
                authorized: gross,
                captured: gross,
                refunded: 0,
                cancelled: 0,
            },
            SaleStatus::Paid,
        )
    } else {
        (
            PayState::Cancelled,
            PaymentAmounts {
                authorized: 0,
                captured: 0,
                refunded: 0,
                cancelled: gross,
            },
            SaleStatus::Cancelled,
        )
    };
    tx.update_payment_state(ids.payment_id, state, None, Some(amounts), at)?;
    tx.set_sale_status(ids.sale_id, status, None, at)?;
    Ok(())
}

fn seed(store: &mut Store, n: usize, day_start: OffsetDateTime) -> f64 {
    let t = Instant::now();
    let step_ms = (12 * 3600 * 1000) / n.max(1) as i64;
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        store
            .transaction(|tx| {
                for &i in chunk {
                    let at = day_start + time::Duration::milliseconds(step_ms * i as i64);
                    write_sale(tx, i, at)?;
                }
                Ok(())
            })
            .unwrap();
    }
    t.elapsed().as_secs_f64()
}

/// One sale in its own transaction, as the engine writes a sale before the network call.
fn seed_one(store: &mut Store, i: usize, day_start: OffsetDateTime) {
    let at = day_start + time::Duration::seconds(i as i64);
    store.transaction(|tx| write_sale(tx, i, at)).unwrap();
}

fn reports(n: usize) -> f64 {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let day = date!(2026 - 11 - 21);
    let start = datetime!(2026-11-21 08:00:00 UTC);
    let mut store = Store::open_in_dir(dir.path()).unwrap();
    let secs = seed(&mut store, n, start);
    // The staff functions on the store's own connection (as on its thread in the till).
    let db = store.staff("s1", "t1", HashCost::Fast);
    let now = datetime!(2026-11-21 22:00:00 UTC);
    let manager = db.create_first_manager("Mona", "135790", now).unwrap();
    let company = kasse::domain::report::Company::default();
    println!("seeded {n} sales of one day in {secs:.1} s");
    // X report: several runs (the first warms the page cache), median.
    let mut xs = Vec::new();
    let mut x = None;
    for _ in 0..7 {
        let t = Instant::now();
        let r = db
            .x_report(
                Some(&manager),
                Some(day),
                UtcOffset::UTC,
                &company,
                None,
                now,
            )
            .unwrap();
        xs.push(ms(t.elapsed()));
        x = Some(r);
    }
    let x = x.unwrap();
    // X of the open period (since the till was taken into use; live aggregates, bounds off
    // the hour), the content the Z would have now.
    let mut ps = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        db.x_report(Some(&manager), None, UtcOffset::UTC, &company, None, now)
            .unwrap();
        ps.push(ms(t.elapsed()));
    }
    let json = kasse::receipt::report::render_json(&x);
    let t = Instant::now();
    let z = db
        .close_period(&manager, UtcOffset::UTC, &company, None, now)
        .unwrap();
    let z_ms = ms(t.elapsed());
    let xs_sorted = sorted(xs.clone());
    println!(
        "{:<26} {:>8} {:>10} {:>10} {:>10}",
        "report", "sales", "first ms", "median ms", "max ms"
    );
    println!(
        "{:<26} {n:>8} {:>10.1} {:>10.1} {:>10.1}",
        "X report (7 runs)",
        xs[0],
        pct(&xs_sorted, 50.0),
        xs_sorted.last().copied().unwrap_or(f64::NAN)
    );
    let ps_sorted = sorted(ps.clone());
    println!(
        "{:<26} {n:>8} {:>10.1} {:>10.1} {:>10.1}",
        "X open period (7 runs)",
        ps[0],
        pct(&ps_sorted, 50.0),
        ps_sorted.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "{:<26} {n:>8} {z_ms:>10.1} {:>10} {:>10}",
        "Z report (period)", "-", "-"
    );
    // The report really covered the sales: its JSON holds the paid count somewhere.
    let paid = n - n.div_ceil(10);
    println!(
        "report JSON {} bytes; Z number {:?}; paid sales expected {paid} (present in JSON: {})",
        json.len(),
        z.number,
        json.contains(&paid.to_string())
    );
    // Before/after in the same run: the same figures from the live aggregates (GROUP BY over
    // every sale, line and payment of the day, as before migration 0005) and from the hourly
    // totals; they must be equal.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    let (from, to) = kasse::domain::report::day_bounds(day, UtcOffset::UTC);
    let mut live = Vec::new();
    let mut hourly = Vec::new();
    let mut same = true;
    for _ in 0..5 {
        let t = Instant::now();
        let a = compute_from(&conn, "s1", "t1", from, to, Source::Live).unwrap();
        live.push(ms(t.elapsed()));
        let t = Instant::now();
        let b = compute_from(&conn, "s1", "t1", from, to, Source::Hourly).unwrap();
        hourly.push(ms(t.elapsed()));
        same &= a == b;
    }
    let (live, hourly) = (sorted(live), sorted(hourly));
    println!(
        "totals only, median of 5: live aggregates {:.1} ms, hourly totals {:.2} ms ({:.0}x); equal: {same}",
        pct(&live, 50.0),
        pct(&hourly, 50.0),
        pct(&live, 50.0) / pct(&hourly, 50.0)
    );
    assert!(same, "hourly totals differ from the live aggregates");
    pct(&xs_sorted, 50.0).max(z_ms)
}

/// What the hourly totals cost at write time: sales written one transaction each (as the
/// engine does), on a file database, with the triggers and with them dropped.
fn write_cost(n: usize) {
    let mut per_sale = Vec::new();
    for with_triggers in [true, false] {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let mut store = Store::open_in_dir(dir.path()).unwrap();
        if !with_triggers {
            let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
            let names: Vec<String> = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'report_%'")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            for t in names {
                conn.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
            }
        }
        let start = datetime!(2026-11-22 08:00:00 UTC);
        let mut times = Vec::new();
        for i in 0..n {
            let t = Instant::now();
            seed_one(&mut store, i, start);
            times.push(ms(t.elapsed()));
        }
        let times = sorted(times);
        per_sale.push((pct(&times, 50.0), pct(&times, 99.0)));
    }
    println!(
        "write one sale (3 lines + payment, own transaction, synchronous=FULL), {n} sales: \
         with hourly totals p50 {:.3} ms p99 {:.3} ms; without p50 {:.3} ms p99 {:.3} ms",
        per_sale[0].0, per_sale[0].1, per_sale[1].0, per_sale[1].1
    );
}

async fn batch_refund(n: usize) -> (f64, usize) {
    let sim = start_sim(SimConfig {
        rate_limits: false,
        auto_approve_after: Some(Duration::from_millis(100)),
        tick_interval: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let store = open_store(dir.path());
    let mut s = settings(&sim.base_url(), "t1");
    // Seeding only: read often so 500 sales pay quickly. The refunds do not poll.
    s.engine.poll = PollPolicy {
        first_delay: time::Duration::milliseconds(150),
        interval: time::Duration::milliseconds(150),
        ..PollPolicy::default()
    };
    let running = connect(
        s,
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(SimulatedAcquirer::new()),
    )
    .await
    .unwrap();
    let engine = running.engine.clone();
    let t = Instant::now();
    let mut refs = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let mut rx = engine.subscribe();
        let mut ids = Vec::new();
        for &i in chunk {
            let req = NewSaleRequest::single_amount(
                Money::nok(1000 + i as i64),
                PayMethod::Push {
                    customer: CustomerId::Phone("4791234567".into()),
                },
                ApiKind::Epayment,
                Some("Benk: refusjon".into()),
            );
            ids.push(engine.start_payment(req).await.unwrap());
        }
        let mut left: std::collections::HashSet<i64> = ids.iter().copied().collect();
        while !left.is_empty() {
            match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
                Ok(Ok(EngineEvent::Payment(p))) if left.contains(&p.id) => {
                    if p.state == PaymentState::Paid {
                        left.remove(&p.id);
                        refs.push(p.reference);
                    } else if p.state.is_final() {
                        panic!("seed sale ended {}", p.state.code());
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    left.retain(|id| match engine.snapshot(*id) {
                        Some(s) if s.state == PaymentState::Paid => {
                            refs.push(s.reference);
                            false
                        }
                        _ => true,
                    });
                }
                other => panic!("seeding: {other:?}"),
            }
        }
    }
    println!(
        "seeded {} paid payments at the simulator in {:.1} s",
        refs.len(),
        t.elapsed().as_secs_f64()
    );
    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    let manager = db
        .create_first_manager("Mona", "135790", OffsetDateTime::now_utc())
        .await
        .unwrap();
    let runner = BatchRunner::new(db, engine.clone(), Arc::new(SystemClock));
    let ops: Vec<BatchOp> = refs
        .iter()
        .map(|r| {
            BatchOp::Refund(RefundRequest {
                reference: r.clone(),
                mode: RefundMode::Full,
                reason: "benchmark batch refund".into(),
            })
        })
        .collect();
    let t = Instant::now();
    let out = runner.run(&manager, ops, |_| {}).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    let done = out
        .iter()
        .filter(|o| o.status == RefundStatus::Done)
        .count();
    let ledger = sim.ledger();
    let refunded_at_sim = refs
        .iter()
        .filter(|r| {
            ledger
                .payment(r)
                .map(|p| p.refunded == p.captured && p.captured > 0)
                .unwrap_or(false)
        })
        .count();
    println!(
        "{:<26} {:>6} {:>6} {:>8} {:>9} {:>8}",
        "batch refund", "ops", "done", "at sim", "seconds", "per s"
    );
    println!(
        "{:<26} {:>6} {done:>6} {refunded_at_sim:>8} {secs:>9.2} {:>8.1}",
        format!("concurrency {}", runner.concurrency),
        out.len(),
        done as f64 / secs
    );
    for o in out
        .iter()
        .filter(|o| o.status != RefundStatus::Done)
        .take(5)
    {
        println!("  not done: {} {:?}", o.reference, o.status);
    }
    running.shutdown().await;
    let _ = sim.shutdown().await;
    (secs, done.min(refunded_at_sim))
}

fn main() {
    machine_note("staff: X/Z report, batch refund");
    let n_sales = env_usize("KASSE_BENCH_REPORT_SALES", 100_000);
    let n_refunds = env_usize("KASSE_BENCH_REFUNDS", 500);
    let report_ms = reports(n_sales);
    write_cost(env_usize("KASSE_BENCH_WRITES", 2000));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (secs, done) = rt.block_on(batch_refund(n_refunds));
    println!(
        "target X/Z report over {n_sales} sales ≤ 200 ms: {report_ms:.1} ms {}",
        verdict(report_ms <= 200.0)
    );
    println!(
        "target batch refund of {n_refunds} ≤ 20 s: {secs:.1} s ({done} confirmed) {}",
        verdict(secs <= 20.0 && done == n_refunds)
    );
}
