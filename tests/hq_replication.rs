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
use kasse::domain::staff::Role;
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
        let manager =
            t.db.create_first_manager("Mona", MANAGER_PIN, now)
                .await
                .unwrap();
        t.db.create_staff(&manager, "Kari", "2468", Role::Cashier, now)
            .await
            .unwrap();
        for k in 0..(3 + i as i64) {
            t.cash_sale(50 + 10 * k).await;
        }
        // A Vipps sale on the first till, refunded in part.
        if i == 0 {
            let reference = t.vipps_sale(&sim, 12_000).await;
            t.refund(&manager, &reference, 2_500).await;
        }
        zs.push(
            t.db.close_day(&manager, today, UtcOffset::UTC, None, now)
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
