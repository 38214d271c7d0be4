//! Headquarters (issue #17), against a throwaway PostgreSQL (PostgreSQL's default durability):
//!
//! 1. Catch-up: 20 tills × 2 000 cash sales (each signed: sale, 2 lines, signed transaction —
//!    5 feed rows), journaled while HQ was down, then all 20 replicators start at once. Time
//!    from HQ coming back until every till is caught up. Goal ≤ 10 s. Three runs (each into a
//!    fresh HQ database, the tills' cursors rewound), median reported.
//! 2. `hq report --date D` over 20 tills × 365 days (50 sales a day each: 365 000 sales, the
//!    hourly aggregates kept by the trigger). Goal ≤ 1 s. Median of 7, and the plain scan
//!    beside it.
//!
//! Run: `cargo bench --bench hq` (env `KASSE_BENCH_HQ_TILLS` default 20,
//! `KASSE_BENCH_HQ_SALES` default 2000). Skips loudly without PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/pg.rs"]
mod pg;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kasse::clock::SystemClock;
use kasse::domain::report::Source;
use kasse::hq::worker::Replicator;
use kasse::store::{Api, AsyncStore, Flow, NewPayment, NewSale, NewSaleLine, Store};
use secrecy::SecretString;
use time::macros::{date, datetime};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn sale(till: &str, i: usize) -> NewSale {
    let at = datetime!(2026-03-01 08:00:00 UTC) + time::Duration::seconds(i as i64);
    let line = |n: &str, gross: i64| NewSaleLine {
        product_id: Some(n.into()),
        name: n.into(),
        quantity: "1".into(),
        quantity_milli: 1000,
        unit: "pcs".into(),
        unit_price: gross,
        discount: 0,
        vat_rate: 2500,
        gross,
        net: gross * 4 / 5,
        vat: gross - gross * 4 / 5,
        is_return: false,
    };
    NewSale {
        created_at: at,
        shop_id: "s1".into(),
        till_id: till.into(),
        staff_id: Some("101".into()),
        currency: "NOK".into(),
        gross_total: 7500,
        vat_total: 1500,
        net_total: 6000,
        training: false,
        tender: "cash".into(),
        description: None,
        lines: vec![line("1001", 5000), line("1002", 2500)],
        payment: NewPayment {
            api: Api::Epayment,
            msn: "123456".into(),
            flow: Flow::Push,
            customer_phone: None,
        },
    }
}

/// Counts the bytes written (the bench measures HQ's reading and the writer, not a disk).
#[derive(Default)]
struct CountingSink(usize);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let Some(bin) = pg::bin_dir() else {
        eprintln!("!!! SKIPPED bench hq: PostgreSQL is not installed (Debian package postgresql)");
        return;
    };
    let tills = env_usize("KASSE_BENCH_HQ_TILLS", 20);
    let sales = env_usize("KASSE_BENCH_HQ_SALES", 2000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    // The tills journal while HQ is down (no server yet).
    let t0 = Instant::now();
    let dirs: Vec<tempfile::TempDir> = (0..tills).map(|_| tempfile::tempdir().unwrap()).collect();
    std::thread::scope(|s| {
        for (n, d) in dirs.iter().enumerate() {
            s.spawn(move || {
                let mut store = Store::open_in_dir(d.path()).unwrap();
                let till = format!("t{n}");
                for i in 0..sales {
                    store.record_cash_sale(&sale(&till, i), 10_000).unwrap();
                }
            });
        }
    });
    println!(
        "setup: {tills} tills x {sales} cash sales journaled in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let mut server = pg::Pg::start_in(bin, false);
    rt.block_on(async {
        let stores: Vec<AsyncStore> = dirs
            .iter()
            .map(|d| AsyncStore::new(Store::open_in_dir(d.path()).unwrap()).unwrap())
            .collect();
        let rows: i64 = {
            let mut n = 0;
            for s in &stores {
                n += s.run(|s| s.hq_lag()).await.unwrap();
            }
            n
        };
        let mut runs = Vec::new();
        let mut last_url = String::new();
        for run in 0..3 {
            let url = server.fresh_db(&format!("bench{run}")).await;
            last_url.clone_from(&url);
            let pool = kasse::hq::pool(&SecretString::from(url.clone())).unwrap();
            kasse::hq::migrate::migrate(&pool).await.unwrap();
            for s in &stores {
                s.run(|s| {
                    let stream = s.install_id()?;
                    s.hq_rewind(&stream, 1)
                })
                .await
                .unwrap();
            }
            let start = Instant::now();
            let mut tasks = Vec::new();
            for (n, s) in stores.iter().enumerate() {
                let rep = Replicator::new(
                    s.clone(),
                    kasse::hq::pool(&SecretString::from(url.clone())).unwrap(),
                    Arc::new(SystemClock),
                    "s1",
                    format!("t{n}"),
                    2000,
                );
                tasks.push(tokio::spawn(async move {
                    rep.sync(Duration::from_secs(300)).await.unwrap()
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            let secs = start.elapsed().as_secs_f64();
            println!("catch-up run {run}: {rows} feed rows from {tills} tills in {secs:.2} s");
            runs.push(secs);
        }
        println!(
            "catch-up median: {:.2} s for {tills} tills x {sales} sales ({rows} feed rows; goal <= 10 s)",
            median(runs)
        );

        // The shop's SAF-T file from HQ's copy of the day: 20 tills x `sales` signed sales.
        let pool = kasse::hq::pool(&SecretString::from(last_url.clone())).unwrap();
        let req = kasse::service::saft::ExportRequest {
            from: date!(2026 - 03 - 01),
            to: date!(2026 - 03 - 01),
            company: kasse::fiscal::saft::Company {
                org_number: kasse::fiscal::saft::OrgNumber::parse(Some("999999999")).unwrap(),
                name: "Bench AS".into(),
                vat_registered: true,
                street_address: None,
            },
            currency: "NOK".into(),
            created: datetime!(2026-03-02 12:00:00),
            offset: time::UtcOffset::UTC,
            user_id: None,
        };
        let mut times = Vec::new();
        let mut written = (0, 0);
        for _ in 0..3 {
            let out = CountingSink::default();
            let start = Instant::now();
            let (out, summary) = kasse::hq::saft::write_shop_saft(&pool, "s1", &req, out)
                .await
                .unwrap_or_else(|e| panic!("{}", e.text().en));
            times.push(start.elapsed().as_secs_f64());
            assert_eq!(summary.transactions, (tills * sales) as u64);
            written = (summary.transactions, out.0);
        }
        let secs = median(times);
        println!(
            "hq saft --shop s1 (one day, {tills} tills): median {secs:.2} s for {} transactions \
             ({:.0}/s), {:.1} MB of XML",
            written.0,
            written.0 as f64 / secs,
            written.1 as f64 / 1e6
        );

        // Report over a year of 20 tills.
        let url = server.fresh_db("year").await;
        let pool = kasse::hq::pool(&SecretString::from(url.clone())).unwrap();
        kasse::hq::migrate::migrate(&pool).await.unwrap();
        let c = pg::client(&url).await;
        let t0 = Instant::now();
        c.batch_execute(
            "INSERT INTO hq_sales (origin, id, shop_id, till_id, created_at, updated_at,
                 receipt_number, currency, gross_total, net_total, vat_total, status, training,
                 tender)
             SELECT 'i' || t, d * 50 + k, 's' || (t % 5), 't' || t,
                 to_char(timestamp '2026-01-01 07:00' + d * interval '1 day'
                         + k * interval '11 minutes', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                 '0', 'r' || t || '-' || (d * 50 + k), 'NOK', 7500, 6000, 1500,
                 CASE WHEN k % 25 = 0 THEN 'cancelled' ELSE 'paid' END, false, 'cash'
             FROM generate_series(0, 19) t, generate_series(0, 364) d, generate_series(0, 49) k;
             ANALYZE;",
        )
        .await
        .unwrap();
        let n: i64 = c
            .query_one("SELECT count(*) FROM hq_sales", &[])
            .await
            .unwrap()
            .get(0);
        println!(
            "setup: {n} sales at HQ (20 tills x 365 days) in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
        let day = date!(2026 - 06 - 15);
        let mut times = Vec::new();
        for _ in 0..7 {
            let start = Instant::now();
            let r = kasse::hq::report::report(&pool, day, time::UtcOffset::UTC, None)
                .await
                .unwrap();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(r.tills.len(), 20);
            assert_eq!(r.chain[0].sales.count, 20 * 48);
        }
        println!(
            "hq report --date (hourly aggregates): median {:.1} ms over {n} sales (goal <= 1000 ms)",
            median(times)
        );
        let (from, to) = kasse::domain::report::day_bounds(day, time::UtcOffset::UTC);
        let mut times = Vec::new();
        for _ in 0..7 {
            let start = Instant::now();
            kasse::hq::report::sales_figures(&pool, from, to, None, Source::Live)
                .await
                .unwrap();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        println!("plain scan of the same day: median {:.1} ms", median(times));
    });
    server.stop();
}
