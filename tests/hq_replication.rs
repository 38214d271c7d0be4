#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue #17 end to end: tills (separate data dirs, distinct till ids, one simulator) replicate
//! their journal to one throwaway PostgreSQL; HQ's report equals the sum of the tills' Z
//! reports; the pre-aggregates equal a plain scan; `hq verify` re-checks every chain and
//! catches a changed amount; HQ down → the tills sell, queue and catch up (0 duplicates,
//! 0 gaps); a connection cut mid-batch leaves nothing half-written; a restored till (new install
//! id) replicates as a new till.

mod common;

use std::time::Duration;

use common::hq::*;
use common::pg::{Pg, client};
use kasse::domain::report::{Report, Source};
use kasse::hq::push::{Sender, Stage, push_batch_with};
use secrecy::SecretString;
use time::{OffsetDateTime, UtcOffset};

fn pool(url: &str) -> kasse::hq::Pool {
    kasse::hq::pool(&SecretString::from(url.to_owned())).unwrap()
}

/// The figures of the Z report's normal (not training) NOK section.
fn z_section(z: &Report) -> kasse::domain::report::Section {
    z.sections
        .iter()
        .find(|s| !s.training && s.currency == "NOK")
        .cloned()
        .expect("a NOK section")
}

async fn assert_no_gaps_no_duplicates(url: &str) {
    for (install, count, max) in hq_streams(url).await {
        assert_eq!(
            count, max,
            "install {install}: {count} rows, last seq {max}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_versioned_and_runs_once() {
    let Some(pg) = Pg::start_or_skip("migrate_is_versioned_and_runs_once") else {
        return;
    };
    let p = pool(&pg.url());
    assert!(matches!(
        kasse::hq::migrate::check(&p).await,
        Err(kasse::hq::HqError::SchemaTooOld { found: 0, .. })
    ));
    let v = kasse::hq::migrate::SCHEMA_VERSION;
    assert_eq!(kasse::hq::migrate::migrate(&p).await.unwrap(), (0, v));
    assert_eq!(kasse::hq::migrate::migrate(&p).await.unwrap(), (v, v));
    kasse::hq::migrate::check(&p).await.unwrap();
    let c = client(&pg.url()).await;
    let n: i64 = c
        .query_one("SELECT count(*) FROM hq_schema_version", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, v);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_tills_hq_report_equals_the_sum_of_their_z_reports() {
    let Some(pg) = Pg::start_or_skip("three_tills_hq_report_equals_the_sum_of_their_z_reports")
    else {
        return;
    };
    let url = pg.url();
    migrated(&url).await;
    let sim = common::staff::start_sim().await;
    let tills = [
        till(&sim, "s1", "t1").await,
        till(&sim, "s1", "t2").await,
        till(&sim, "s2", "t1").await,
    ];
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    let mut zs = Vec::new();
    for (i, t) in tills.iter().enumerate() {
        let manager = t.mona_and_kari(now).await;
        for k in 0..(3 + i as i64) {
            t.cash_sale(50 + 10 * k).await;
        }
        // A Vipps sale on the first till, refunded in part; and a sale of two catalogue
        // articles there (article groups 04006 and 04011).
        if i == 0 {
            let reference = t.vipps_sale(&sim, 12_000).await;
            t.refund(&manager, &reference, 2_500).await;
            kasse::app::catalog_store::sync_at_start(
                &t.store,
                kasse::app::catalog::Catalog::demo().unwrap(),
                &t.shop_id,
                &t.till_id,
                now,
            )
            .await
            .unwrap();
            let mut sale = bench_like_sale(0);
            sale.created_at = OffsetDateTime::now_utc();
            t.store
                .run(move |s| s.record_cash_sale(&sale, 7_500).map(|_| ()))
                .await
                .unwrap();
        }
        zs.push(
            t.db.close_period(&manager, UtcOffset::UTC, None, OffsetDateTime::now_utc())
                .await
                .unwrap(),
        );
    }
    // Each till catches up with HQ (`kasse hq sync`).
    for t in &tills {
        let rep = t.replicator(&url, 500);
        rep.sync(WAIT).await.unwrap();
        assert_eq!(t.behind().await, 0);
    }
    assert_no_gaps_no_duplicates(&url).await;

    let p = pool(&url);
    let report = kasse::hq::report::report(&p, today, UtcOffset::UTC, None)
        .await
        .unwrap();
    assert_eq!(report.tills.len(), 3, "{report:#?}");
    let mut chain_gross = 0;
    let mut chain_refunds = 0;
    for (t, z) in tills.iter().zip(&zs) {
        let s = z_section(z);
        let f = report
            .tills
            .iter()
            .find(|f| f.shop_id == t.shop_id && f.till_id == t.till_id)
            .unwrap();
        assert_eq!(f.sales, s.sales, "{}/{}", t.shop_id, t.till_id);
        assert_eq!(f.refunds, s.refunds);
        assert_eq!(f.cancellations, s.cancellations);
        assert_eq!(f.failed, s.failed);
        assert_eq!(f.net_turnover, s.net_turnover);
        chain_gross += s.sales.gross;
        chain_refunds += s.refunds.gross;
    }
    assert_eq!(report.chain.len(), 1);
    assert_eq!(report.chain[0].sales.gross, chain_gross);
    assert_eq!(report.chain[0].net_turnover, chain_gross - chain_refunds);
    assert_eq!(report.shops.len(), 2);
    // --shop s2: only its till.
    let s2 = kasse::hq::report::report(&p, today, UtcOffset::UTC, Some("s2"))
        .await
        .unwrap();
    assert_eq!(s2.tills.len(), 1);
    assert_eq!(s2.chain[0].sales, z_section(&zs[2]).sales);
    // Per article group, each till equals its Z (§ 2-8-2 f), and the chain their sum.
    let mut chain_groups: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for (t, z) in tills.iter().zip(&zs) {
        assert!(!z.fiscal.groups.is_empty());
        for g in &z.fiscal.groups {
            let at_hq = report
                .groups
                .iter()
                .find(|h| {
                    h.level == "till"
                        && h.shop_id == t.shop_id
                        && h.till_id == t.till_id
                        && h.group == g.group
                })
                .unwrap_or_else(|| panic!("{} at HQ: {:#?}", g.group, report.groups));
            assert_eq!(
                (at_hq.count, at_hq.gross),
                (g.count, g.gross),
                "{}",
                g.group
            );
            let c = chain_groups.entry(g.group.clone()).or_default();
            c.0 += g.count;
            c.1 += g.gross;
        }
    }
    let g: Vec<&str> = chain_groups.keys().map(String::as_str).collect();
    assert_eq!(g, ["04006", "04011", "04999"], "catalogue groups and 04999");
    for (group, (count, gross)) in &chain_groups {
        let h = report
            .groups
            .iter()
            .find(|h| h.level == "chain" && &h.group == group)
            .unwrap();
        assert_eq!((h.count, h.gross), (*count, *gross), "{group}");
    }
    assert!(
        report
            .to_text(kasse::lang::Lang::En)
            .contains("Per article group")
    );

    // CSV and JSON carry the same numbers.
    let csv = report.to_csv();
    assert_eq!(csv.lines().count(), 1 + 3 + 2 + 1, "{csv}");
    assert!(csv.contains(&format!(",chain,,,NOK,{},", report.chain[0].sales.count)));
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["chain"][0]["sales"]["gross"], chain_gross);

    // The Z reports themselves are at HQ.
    let c = client(&url).await;
    let zn: i64 = c
        .query_one("SELECT count(*) FROM hq_z_reports", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(zn, 3);

    // Every chain verifies from HQ's copy.
    let verdicts = kasse::hq::verify::verify(&p, None).await.unwrap();
    assert_eq!(verdicts.len(), 3);
    for v in &verdicts {
        assert!(v.failure.is_none(), "{v:?}");
        assert!(v.verified >= 3);
    }
    // A changed amount in HQ's copy is caught.
    let changed = c
        .execute(
            "UPDATE hq_fiscal_transactions SET amount_in = amount_in + 100
             WHERE shop_id = 's1' AND till_id = 't2' AND nr = 2",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1, "the fault (a changed amount) is in place");
    let verdicts = kasse::hq::verify::verify(&p, None).await.unwrap();
    let broken: Vec<_> = verdicts.iter().filter(|v| v.failure.is_some()).collect();
    assert_eq!(broken.len(), 1, "{verdicts:?}");
    assert_eq!(
        (broken[0].shop_id.as_str(), broken[0].till_id.as_str()),
        ("s1", "t2")
    );
    let msg = broken[0].failure.as_ref().unwrap().en.clone();
    assert!(msg.contains("nr 2"), "{msg}");
}

async fn hq_count(url: &str, sql: &str) -> i64 {
    client(url).await.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_down_mid_day_tills_sell_queue_and_catch_up_without_duplicates_or_gaps() {
    let Some(mut pg) = Pg::start_or_skip("hq_down_mid_day") else {
        return;
    };
    let url = pg.url();
    migrated(&url).await;
    let sim = common::staff::start_sim().await;
    let tills = [till(&sim, "s1", "t1").await, till(&sim, "s1", "t2").await];
    // Both tills replicate in the background, as the running till does.
    let mut workers = Vec::new();
    for t in &tills {
        workers.push(t.replicator(&url, 50).spawn(Duration::from_millis(100)));
    }
    for t in &tills {
        for k in 0..5 {
            t.cash_sale(20 + k).await;
        }
    }
    wait_caught_up(&tills).await;
    assert_eq!(hq_count(&url, "SELECT count(*) FROM hq_sales").await, 10);

    // HQ goes down: the tills keep selling (no sale waits for HQ) and queue.
    pg.stop();
    let started = std::time::Instant::now();
    for t in &tills {
        for k in 0..20 {
            t.cash_sale(30 + k).await;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "selling waited for HQ: {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (t, (_, behind)) in tills.iter().zip(&workers) {
        assert!(t.behind().await > 0, "the fault fired: rows are queued");
        assert!(*behind.borrow() > 0, "the status bar is told HQ is behind");
    }
    // Every sale is journaled at its till.
    for t in &tills {
        let n = t.store.run(|s| s.hq_lag()).await.unwrap();
        assert!(n >= 20 * 3, "{n}");
    }

    // HQ is back: both catch up by themselves.
    pg.start();
    wait_caught_up(&tills).await;
    assert_no_gaps_no_duplicates(&url).await;
    assert_eq!(hq_count(&url, "SELECT count(*) FROM hq_sales").await, 50);
    assert_eq!(
        hq_count(
            &url,
            "SELECT count(*) FROM (SELECT install_id, seq FROM hq_feed GROUP BY 1, 2 HAVING count(*) > 1) d"
        )
        .await,
        0
    );
    let fiscal = hq_count(&url, "SELECT count(*) FROM hq_fiscal_transactions").await;
    assert_eq!(fiscal, 50, "every signed sale is at HQ");
    for (w, _) in workers {
        w.abort();
    }
}

async fn wait_caught_up(tills: &[HqTill]) {
    let deadline = tokio::time::Instant::now() + WAIT;
    for t in tills {
        while t.behind().await > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}/{} still {} behind",
                t.shop_id,
                t.till_id,
                t.behind().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_batch_leaves_no_half_written_rows() {
    let Some(pg) = Pg::start_or_skip("a_connection_cut_mid_batch") else {
        return;
    };
    let url = pg.url();
    migrated(&url).await;
    let sim = common::staff::start_sim().await;
    let t = till(&sim, "s1", "t1").await;
    for k in 0..10 {
        t.cash_sale(10 + k).await;
    }
    let now = OffsetDateTime::now_utc();
    let batch = t
        .store
        .run(move |s| s.hq_next_batch(10_000, now))
        .await
        .unwrap()
        .unwrap();
    assert!(batch.rows.len() > 30);
    let p = pool(&url);
    let mut victim = p.get().await.unwrap();
    let pid: i32 = victim
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let killer = client(&url).await;
    let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let from = Sender {
        shop_id: "s1".into(),
        till_id: "t1".into(),
        lag_after: 0,
    };
    let r = push_batch_with(&mut victim, &from, &batch, |stage| {
        let (killer, fired) = (&killer, fired.clone());
        async move {
            assert_eq!(stage, Stage::FeedWritten);
            // The feed rows are written inside the open transaction: cut the connection now.
            let done: bool = killer
                .query_one("SELECT pg_terminate_backend($1)", &[&pid])
                .await
                .unwrap()
                .get(0);
            fired.store(done, std::sync::atomic::Ordering::SeqCst);
        }
    })
    .await;
    assert!(
        fired.load(std::sync::atomic::Ordering::SeqCst),
        "the fault fired: the push's backend was terminated mid-transaction"
    );
    assert!(r.is_err(), "{r:?}");
    drop(victim);
    // Nothing of the batch is at HQ.
    for table in [
        "hq_feed",
        "hq_streams",
        "hq_sales",
        "hq_fiscal_transactions",
    ] {
        assert_eq!(
            hq_count(&url, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table} has half-written rows"
        );
    }
    // The till still has everything queued, and the next round sends it whole.
    assert!(t.behind().await >= batch.rows.len() as i64);
    t.replicator(&url, 10_000).sync(WAIT).await.unwrap();
    assert_no_gaps_no_duplicates(&url).await;
    assert_eq!(hq_count(&url, "SELECT count(*) FROM hq_sales").await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_till_replicates_as_a_new_till_without_clash() {
    let Some(pg) = Pg::start_or_skip("a_restored_till") else {
        return;
    };
    let url = pg.url();
    migrated(&url).await;
    let sim = common::staff::start_sim().await;
    let original = till(&sim, "s1", "t1").await;
    for k in 0..3 {
        original.cash_sale(10 + k).await;
    }
    // A backup with nothing sent to HQ yet; the original sells on and replicates.
    let backup_dir = tempfile::tempdir().unwrap();
    kasse::store::backup_file(
        &original.dir.path().join(kasse::store::DB_FILE_NAME),
        &backup_dir.path().join(kasse::store::DB_FILE_NAME),
    )
    .unwrap();
    for k in 0..2 {
        original.cash_sale(20 + k).await;
    }
    original.replicator(&url, 100).sync(WAIT).await.unwrap();
    let old_install = original.store.run(|s| s.install_id()).await.unwrap();

    // The machine dies; the backup is restored (a new install id) with the till's key.
    for f in std::fs::read_dir(original.dir.path()).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "pem" || e == "key") {
            std::fs::copy(&f, backup_dir.path().join(f.file_name().unwrap())).unwrap();
        }
    }
    {
        let mut s =
            kasse::store::Store::open(&backup_dir.path().join(kasse::store::DB_FILE_NAME)).unwrap();
        s.renew_install_id("restored", OffsetDateTime::now_utc())
            .unwrap();
    }
    let restored = till_in(&sim, "s1", "t1", backup_dir).await;
    let new_install = restored.store.run(|s| s.install_id()).await.unwrap();
    assert_ne!(old_install, new_install);
    for k in 0..2 {
        restored.cash_sale(30 + k).await;
    }
    restored.replicator(&url, 100).sync(WAIT).await.unwrap();
    assert_eq!(restored.behind().await, 0);

    assert_no_gaps_no_duplicates(&url).await;
    let streams = hq_streams(&url).await;
    assert_eq!(streams.len(), 2, "{streams:?}");
    assert!(streams.iter().any(|(i, _, _)| *i == new_install));
    // The 3 sales from before the backup are at HQ once (under the old install): 3 + 2 + 2.
    assert_eq!(hq_count(&url, "SELECT count(*) FROM hq_sales").await, 7);
    let new_first: i64 = client(&url)
        .await
        .query_one(
            "SELECT min(seq) FROM hq_feed WHERE install_id = $1",
            &[&new_install],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(new_first, 1, "the restored till's stream starts at 1");

    // The shop's SAF-T from HQ holds both installs of t1, one after the other: the original's
    // nr 1–5 (its last two never reached the restored machine), then the restored branch's
    // nr 4–5, which continues from nr 3. Each verifies from the file.
    let today = OffsetDateTime::now_utc().date();
    let req = saft_request(today.previous_day().unwrap(), today.next_day().unwrap());
    let (xml, _) = kasse::hq::saft::write_shop_saft(&pool(&url), "s1", &req, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("{}", e.text().en));
    let chain = common::saft::chain_from_xml(&String::from_utf8(xml).unwrap());
    let nrs: Vec<&str> = chain.iter().map(|r| r.nr.as_str()).collect();
    assert_eq!(nrs, ["1", "2", "3", "4", "5", "4", "5"]);
    let ring = restored.store.run(|s| s.fiscal_key_ring()).await.unwrap();
    use kasse::fiscal::signature::{GENESIS_PREVIOUS, verify_chain};
    assert!(verify_chain(&ring, GENESIS_PREVIOUS, chain[..5].to_vec()).is_ok());
    let branch = verify_chain(&ring, &chain[2].signature, chain[5..].to_vec());
    assert!(branch.is_ok(), "{branch:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hourly_aggregates_equal_a_plain_scan() {
    let Some(pg) = Pg::start_or_skip("hourly_aggregates_equal_a_plain_scan") else {
        return;
    };
    let url = pg.url();
    migrated(&url).await;
    // Sales of several tills, statuses and hours, through the same projection the feed uses,
    // including status changes (open → paid → refunded) that move a sale between groups.
    let c = client(&url).await;
    c.batch_execute(
        "INSERT INTO hq_sales (origin, id, shop_id, till_id, created_at, updated_at,
             receipt_number, currency, gross_total, net_total, vat_total, status, training, tender)
         SELECT 'i' || (g % 3), g, 's' || (g % 2), 't' || (g % 3),
             to_char(timestamp '2026-11-21 00:00' + (g * interval '7 minutes'),
                     'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '0', 'r' || g, 'NOK',
             1000 + g, 800 + g, 200, 'open', g % 17 = 0, 'cash'
         FROM generate_series(1, 600) g;
         UPDATE hq_sales SET status = 'paid', updated_at = '1' WHERE id % 5 <> 0;
         UPDATE hq_sales SET status = 'cancelled', updated_at = '1' WHERE id % 5 = 0 AND id % 2 = 0;
         UPDATE hq_sales SET status = 'refunded', updated_at = '2' WHERE id % 7 = 0 AND id % 5 <> 0;
         UPDATE hq_sales SET gross_total = gross_total + 50, net_total = net_total + 50
             WHERE id % 11 = 0;",
    )
    .await
    .unwrap();
    let p = pool(&url);
    let day = time::macros::date!(2026 - 11 - 21);
    for (date, offset) in [
        (day, UtcOffset::UTC),
        (day, UtcOffset::from_hms(1, 0, 0).unwrap()),
        (day.next_day().unwrap(), UtcOffset::UTC),
    ] {
        let (from, to) = kasse::domain::report::day_bounds(date, offset);
        for shop in [None, Some("s1")] {
            let hourly = kasse::hq::report::sales_figures(&p, from, to, shop, Source::Hourly)
                .await
                .unwrap();
            let live = kasse::hq::report::sales_figures(&p, from, to, shop, Source::Live)
                .await
                .unwrap();
            assert!(!live.is_empty());
            assert_eq!(hourly, live, "{date} {offset} {shop:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_that_differs_from_what_hq_has_is_refused_as_a_clash() {
    let Some(pg) = Pg::start_or_skip("a_resend_that_differs") else {
        return;
    };
    let url = pg.url();
    migrated(&url).await;
    let sim = common::staff::start_sim().await;
    let t = till(&sim, "s1", "t1").await;
    t.cash_sale(10).await;
    let now = OffsetDateTime::now_utc();
    let batch = t
        .store
        .run(move |s| s.hq_next_batch(1000, now))
        .await
        .unwrap()
        .unwrap();
    let p = pool(&url);
    let mut c = p.get().await.unwrap();
    let from = Sender {
        shop_id: "s1".into(),
        till_id: "t1".into(),
        lag_after: 0,
    };
    let high = kasse::hq::push::push_batch(&mut c, &from, &batch)
        .await
        .unwrap();
    // The same batch again: nothing changes.
    assert_eq!(
        kasse::hq::push::push_batch(&mut c, &from, &batch)
            .await
            .unwrap(),
        high
    );
    assert_no_gaps_no_duplicates(&url).await;
    // Another journal under the same install id sends a different row 1.
    let mut other = batch.clone();
    other.rows[0].payload = r#"{"forged": true}"#.into();
    let e = kasse::hq::push::push_batch(&mut c, &from, &other)
        .await
        .unwrap_err();
    assert!(
        matches!(e, kasse::hq::HqError::Clash { rows: 1, .. }),
        "{e:?}"
    );
    assert_eq!(
        hq_count(
            &url,
            "SELECT count(*) FROM hq_feed WHERE payload ? 'forged'"
        )
        .await,
        0
    );
}
