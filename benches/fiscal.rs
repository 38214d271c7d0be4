//! The signed journal in the store (issue #15):
//!
//! 1. A cash sale's journal write (one SQLite transaction, `synchronous=FULL`, on disk) with
//!    signing and without (a store without a key signs nothing): median and p99 of each, and
//!    the RSA signature alone. Goal: signing adds ≤ 1 ms p99.
//! 2. `journal verify` (`Store::verify_fiscal_chain`) over a chain of signed transactions
//!    written through the store's one signing function. Goal: 500 000 in ≤ 30 s.
//!
//! Run: `cargo bench --bench fiscal` (env `KASSE_BENCH_FISCAL_SALES` default 2000,
//! `KASSE_BENCH_FISCAL_TX` default 500000 — building that chain signs every row, which takes
//! minutes; the verify time is what is measured).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kasse::fiscal::signature::FiscalKey;
use kasse::store::fiscal::{NewSigned, SignedKind};
use kasse::store::{Api, Flow, NewPayment, NewSale, NewSaleLine, Store};
use time::macros::datetime;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn sale(i: usize) -> NewSale {
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
    let lines = vec![line("1001", 5000), line("1002", 2500)];
    NewSale {
        created_at: at,
        shop_id: "s1".into(),
        till_id: "t1".into(),
        staff_id: Some("101".into()),
        currency: "NOK".into(),
        gross_total: 7500,
        vat_total: 1500,
        net_total: 6000,
        training: false,
        tender: "cash".into(),
        description: None,
        lines,
        // Ignored by a cash sale (no payment row).
        payment: NewPayment {
            api: Api::Epayment,
            msn: "123456".into(),
            flow: Flow::Push,
            customer_phone: None,
        },
    }
}

fn sale_writes(store: &mut Store, n: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        let s = sale(i);
        let t = Instant::now();
        store.record_cash_sale(&s, 10_000).unwrap();
        v.push(ms(t.elapsed()));
    }
    v.sort_by(f64::total_cmp);
    v
}

fn main() {
    let sales = env_usize("KASSE_BENCH_FISCAL_SALES", 2000);
    let chain = env_usize("KASSE_BENCH_FISCAL_TX", 500_000);
    let tmp = tempfile::tempdir().unwrap();

    // 1. Sale writes with and without signing, interleaved in rounds so disk noise hits both.
    let signed_dir = tmp.path().join("signed");
    let mut signed = Store::open_in_dir(&signed_dir).unwrap();
    assert_eq!(signed.fiscal_key_version(), Some(1));
    let plain_dir = tmp.path().join("plain");
    std::fs::create_dir_all(&plain_dir).unwrap();
    let mut plain = Store::open(&plain_dir.join("kasse.sqlite3")).unwrap();
    assert_eq!(plain.fiscal_key_version(), None);
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let rounds = 10;
    for _ in 0..rounds {
        with.extend(sale_writes(&mut signed, sales / rounds));
        without.extend(sale_writes(&mut plain, sales / rounds));
    }
    with.sort_by(f64::total_cmp);
    without.sort_by(f64::total_cmp);
    assert_eq!(
        signed.signed_transactions().unwrap().len(),
        sales / rounds * rounds
    );
    let key = FiscalKey::generate_with_os_rng().unwrap();
    let text = "0;2026-03-01;08:00:00;1;75.00;60.00";
    let mut sign = Vec::with_capacity(sales);
    for _ in 0..sales {
        let t = Instant::now();
        std::hint::black_box(key.sign(std::hint::black_box(text)).unwrap());
        sign.push(ms(t.elapsed()));
    }
    sign.sort_by(f64::total_cmp);
    println!(
        "sale journal write, {} sales each (ms): signed median {:.3} p99 {:.3}; unsigned median {:.3} p99 {:.3}; added p99 {:.3}",
        with.len(),
        pct(&with, 0.5),
        pct(&with, 0.99),
        pct(&without, 0.5),
        pct(&without, 0.99),
        pct(&with, 0.99) - pct(&without, 0.99),
    );
    println!(
        "RSA-1024 SHA-1 signature alone (ms): median {:.3} p99 {:.3} (goal: signing adds <= 1 ms p99)",
        pct(&sign, 0.5),
        pct(&sign, 0.99)
    );
    drop(signed);
    drop(plain);

    // 2. A chain of `chain` signed transactions, then verify it.
    let dir = tmp.path().join("chain");
    let mut store = Store::open_in_dir(&dir).unwrap();
    let t = Instant::now();
    let start = datetime!(2026-01-01 08:00:00 UTC);
    let batch = 10_000;
    let mut done = 0;
    while done < chain {
        let n = batch.min(chain - done);
        store
            .transaction(|tx| {
                for i in done..done + n {
                    let is_return = i % 10 == 9;
                    let amount = 7_500 + (i % 100) as i64;
                    let sign = if is_return { -1 } else { 1 };
                    tx.append_signed(&NewSigned {
                        shop_id: "s1",
                        till_id: "t1",
                        kind: if is_return {
                            SignedKind::Return
                        } else {
                            SignedKind::Sale
                        },
                        at: start + time::Duration::seconds(i as i64 * 60),
                        amount_in: sign * amount,
                        amount_ex: sign * amount * 4 / 5,
                        sale_id: None,
                        refund_id: None,
                        receipt_number: None,
                        staff_id: None,
                        training: false,
                    })?;
                }
                Ok(())
            })
            .unwrap();
        done += n;
    }
    println!(
        "built a chain of {chain} signed transactions in {:.1} s (signing each through the store)",
        t.elapsed().as_secs_f64()
    );
    drop(store);
    let store = Store::open_read_only(&dir).unwrap();
    let t = Instant::now();
    let check = store.verify_fiscal_chain(None, None).unwrap();
    let took = t.elapsed();
    assert!(check.is_ok(), "{check:?}");
    assert_eq!(check.verified(), chain as u64);
    println!(
        "journal verify over {chain} transactions: {:.2} s (goal <= 30 s for 500 000)",
        took.as_secs_f64()
    );
}
