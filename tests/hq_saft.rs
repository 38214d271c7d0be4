#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue #17, `kasse hq saft`: one SAF-T Cash Register file for a shop with all its tills,
//! written from HQ's copy in a real PostgreSQL. Two tills of shop s1 and one of shop s2 (own
//! data dirs, one simulator) sell in cash and Vipps, refund, take a return back in cash,
//! withdraw cash, print a copy and close the day, then replicate. The shop's file:
//!
//! - is valid against Skatteetaten's XSD (xmllint);
//! - holds exactly s1's tills, each `<cashregister>` equal to what that till's own `kasse saft`
//!   writes (only the staff ids are qualified with the till: both tills have an `st001`);
//! - lets each till's signature chain verify from the file, with the keys HQ holds;
//! - names each staff member once (a member created at HQ is the same on both tills).

mod common;

use std::collections::BTreeMap;

use common::hq::*;
use common::pg::{Pg, client};
use kasse::domain::cash::CashKind;
use kasse::domain::staff::{HashCost, Pin, Role};
use kasse::fiscal::signature::{FiscalPublicKey, GENESIS_PREVIOUS, KeyRing, verify_chain};
use kasse::service::saft::write_saft;
use secrecy::SecretString;
use time::{OffsetDateTime, UtcOffset};

fn pool(url: &str) -> kasse::hq::Pool {
    kasse::hq::pool(&SecretString::from(url.to_owned())).unwrap()
}

/// The `<cashregister>` elements of a file by register id, as text.
fn registers(xml: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<cashregister>") {
        let end = rest[start..].find("</cashregister>").unwrap() + start + 15;
        let block = &rest[start..end];
        let id_start = block.find("<registerID>").unwrap() + 12;
        let id_end = block.find("</registerID>").unwrap();
        out.insert(block[id_start..id_end].to_string(), block.to_string());
        rest = &rest[end..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shops_saft_from_hq_is_valid_equals_its_tills_own_and_every_chain_verifies() {
    let Some(pg) = Pg::start_or_skip("a_shops_saft_from_hq") else {
        return;
    };
    let url = pg.url();
    migrated(&url).await;
    let p = pool(&url);
    let sim = common::staff::start_sim().await;
    let tills = [
        till(&sim, "s1", "t1").await,
        till(&sim, "s1", "t2").await,
        till(&sim, "s2", "t1").await,
    ];
    // A cashier created once at HQ for shop s1.
    let pin = Pin::new("975312").unwrap();
    let hq_id = kasse::hq::staff::add(&p, "s1", "Hanne", Role::Cashier, &pin, 6, HashCost::Fast)
        .await
        .unwrap_or_else(|_| panic!("hq staff add"));
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    for (i, t) in tills.iter().enumerate() {
        let manager = t.mona_and_kari(now).await;
        t.replicator(&url, 500).pull_staff().await.unwrap();
        for k in 0..(2 + i as i64) {
            t.cash_sale(40 + 10 * k).await;
        }
        if i == 0 {
            let reference = t.vipps_sale(&sim, 12_000).await;
            t.refund(&manager, &reference, 2_500).await;
            t.db.record_cash(
                &manager,
                None,
                CashKind::Withdrawal,
                5_000,
                "til banken",
                "NOK",
                OffsetDateTime::now_utc(),
            )
            .await
            .unwrap();
            // A receipt printed twice: once, then a copy.
            let receipt: String = t
                .store
                .run(|s| {
                    let r = s.sale(1)?.unwrap().sale.receipt_number;
                    let at = OffsetDateTime::now_utc();
                    s.add_print_job(kasse::store::PrintJobKind::Receipt, &r, b"k", at)?;
                    s.add_print_job(kasse::store::PrintJobKind::Copy, &r, b"k", at)?;
                    Ok(r)
                })
                .await
                .unwrap();
            assert!(!receipt.is_empty());
        }
        if i == 1 {
            // The first sale (kr 40) comes back over the counter, paid back in cash.
            let receipt = t
                .store
                .run(|s| Ok(s.sale(1)?.unwrap().sale.receipt_number))
                .await
                .unwrap();
            let req = kasse::domain::returns::ReturnRequest {
                receipt,
                lines: vec![kasse::domain::refund::LineRefund {
                    line_no: 1,
                    quantity_milli: 1000,
                }],
                reason: "feil vare".into(),
            };
            let out = kasse::service::returns::record(&t.db, &manager, &req, now)
                .await
                .unwrap();
            assert_eq!(out.cash.unwrap().cash, 4_000);
        }
        t.db.close_period(&manager, UtcOffset::UTC, None, OffsetDateTime::now_utc())
            .await
            .unwrap();
    }
    for t in &tills {
        t.replicator(&url, 500).sync(WAIT).await.unwrap();
        assert_eq!(t.behind().await, 0);
    }

    let req = saft_request(today.previous_day().unwrap(), today.next_day().unwrap());
    let (bytes, summary) = kasse::hq::saft::write_shop_saft(&p, "s1", &req, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("{}", e.text().en));
    let xml = String::from_utf8(bytes).unwrap();
    // t1: 2 cash, 1 Vipps, its refund, the withdrawal; t2: 3 cash and the cash return.
    assert_eq!(summary.transactions, 5 + 4, "{summary:?}");

    // Valid against the XSD.
    if let Some(xsd) = common::saft::xsd() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("s1.xml");
        std::fs::write(&file, &xml).unwrap();
        if let Some(r) = common::saft::xmllint(&xsd, &file) {
            r.unwrap();
        }
    }

    // Shop s1's two tills, not s2's.
    let hq = registers(&xml);
    assert_eq!(hq.keys().collect::<Vec<_>>(), ["t1", "t2"]);
    assert_eq!(xml.matches("<location>").count(), 1);

    // Each register equals the till's own export, staff ids qualified with the till.
    for t in &tills[..2] {
        let req = req.clone();
        let own = t
            .store
            .run(move |s| {
                let (bytes, _) = write_saft(s, &req, None, Vec::new()).unwrap();
                Ok(String::from_utf8(bytes).unwrap())
            })
            .await
            .unwrap();
        let own = registers(&own).remove(&t.till_id).unwrap();
        // HQ's member (`hq1`) keeps its id; the till's own (`st001`) get the till's.
        // Report ids likewise (`Z-1` → `t1/Z-1`).
        let qualified = own
            .replace("<empID>st", &format!("<empID>{}/st", t.till_id))
            .replace("<reportID>", &format!("<reportID>{}/", t.till_id));
        assert_eq!(
            hq[&t.till_id], qualified,
            "till {}'s register differs from its own export",
            t.till_id
        );
        assert!(own.contains("<empID>st001</empID>"), "{own}");
    }
    // The withdrawal's reason, the Vipps payment and refund, the printed copy are in t1's.
    let t1 = &hq["t1"];
    assert!(t1.contains("til banken"), "{t1}");
    assert!(t1.contains("<receiptCopyNum>1</receiptCopyNum>"), "{t1}");
    assert!(t1.contains("<transAmntIn>-25.00</transAmntIn>"), "{t1}");
    assert!(t1.contains("<empID>t1/st001</empID>"), "{t1}");

    // t2's cash return is a signed return in the file and a row at HQ.
    assert!(
        hq["t2"].contains("<transAmntIn>-40.00</transAmntIn>"),
        "{}",
        hq["t2"]
    );
    let c = client(&url).await;
    let returns: Vec<(String, i64)> = c
        .query("SELECT till_id, cash_amount FROM hq_cash_returns", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(returns, [("t2".to_string(), 4_000)]);
    // The staff registers reached HQ, never a PIN hash.
    let count = |sql: &'static str| {
        let c = &c;
        async move { c.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(
        count("SELECT count(*) FROM hq_till_staff WHERE shop_id = 's1'").await,
        6,
        "Mona, Kari and Hanne on each of s1's tills"
    );
    assert_eq!(
        count("SELECT count(*) FROM hq_feed WHERE payload::text LIKE '%argon2%'").await,
        0
    );

    // Every chain verifies from the file with the public keys HQ holds.
    for (till_id, block) in &hq {
        let rows = c
            .query(
                "SELECT k.version, k.public_key_pem FROM hq_fiscal_keys k
                 JOIN hq_streams s ON s.install_id = k.origin
                 WHERE s.shop_id = 's1' AND s.till_id = $1",
                &[till_id],
            )
            .await
            .unwrap();
        let mut ring = KeyRing::new();
        for r in rows {
            let v: i64 = r.get(0);
            ring.insert(
                v.to_string(),
                FiscalPublicKey::from_pem(&r.get::<_, String>(1)).unwrap(),
            );
        }
        let chain = common::saft::chain_from_xml(block);
        assert!(chain.len() >= 3, "{till_id}: {}", chain.len());
        let report = verify_chain(&ring, GENESIS_PREVIOUS, chain.clone());
        assert!(report.is_ok(), "{till_id}: {report:?}");
        assert_eq!(report.verified as usize, chain.len());
        // A changed amount in the file breaks it.
        let mut changed = chain;
        changed[1].amount_in += 100;
        assert!(!verify_chain(&ring, GENESIS_PREVIOUS, changed).is_ok());
    }

    // Staff: each till's own st001 and st002, and HQ's member once.
    let emp = |id: &str| {
        xml.split("<employee>")
            .skip(1)
            .filter(|e| e.trim_start().starts_with(&format!("<empID>{id}</empID>")))
            .count()
    };
    for id in ["t1/st001", "t1/st002", "t2/st001", "t2/st002"] {
        assert_eq!(emp(id), 1, "{id}");
    }
    assert_eq!(emp(&format!("hq{hq_id}")), 1);
    assert_eq!(xml.matches("<employee>").count(), 5, "{xml}");

    // HQ says when its copy may be incomplete: the period has not ended yet (today is in it)…
    let w = kasse::hq::saft::completeness(&p, "s1", &req).await.unwrap();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w.iter().all(|t| t.en.contains("since the period ended")),
        "{w:?}"
    );
    // …not for a period that ended before the tills' last contact…
    let mut past = req.clone();
    past.to = today.previous_day().unwrap();
    assert!(
        kasse::hq::saft::completeness(&p, "s1", &past)
            .await
            .unwrap()
            .is_empty()
    );
    // …and a till that still had rows to send at its last contact is named (fault: set).
    let n = c
        .execute(
            "UPDATE hq_streams SET till_lag = 7 WHERE shop_id = 's1' AND till_id = 't2'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let w = kasse::hq::saft::completeness(&p, "s1", &past)
        .await
        .unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].en.contains("Till t2 still had 7 rows"), "{w:?}");

    // A shop HQ does not know is named.
    let e = kasse::hq::saft::write_shop_saft(&p, "s9", &req, Vec::new())
        .await
        .err()
        .unwrap();
    assert!(e.text().en.contains("--shop"), "{}", e.text().en);
}
