//! A busy till's year through the fiscal core: the SAF-T Cash Register export of 500 000
//! transactions with 2 000 000 lines (streamed from an iterator into a file in a temp dir),
//! then signing the same number of records as one chain, then `journal verify` over that
//! chain (read back from a file, as the journal would be).
//!
//! Targets (issue #15): export ≤ 30 s and ≤ 100 MB peak RSS; verify ≤ 30 s; signing adds
//! ≤ 1 ms p99 to a sale's journal write.
//!
//! Run: `cargo bench --bench saft` (env `KASSE_BENCH_SAFT_TX` default 500000,
//! `KASSE_BENCH_SAFT_SIGN` default the same).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::{Duration, Instant};

use kasse::fiscal::saft::codes::{self, EventKind, LineKind, PaymentKind, TransactionKind};
use kasse::fiscal::saft::*;
use kasse::fiscal::signature::{
    ChainRecord, FiscalKey, GENESIS_PREVIOUS, KeyRing, signed_text, verify_chain,
};
use time::macros::{date, datetime};
use time::{Date, Duration as TimeDuration, Time};

const LINES_PER_TX: usize = 4;
const ARTICLES: usize = 200;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
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

/// The date and time of transaction `i` of the year (about 1 400 a day).
fn when(i: usize) -> (Date, Time) {
    let start = datetime!(2026-01-01 08:00:00);
    let day = i / 1400;
    let in_day = (i % 1400) as i64 * 30;
    let at = start + TimeDuration::days(day as i64) + TimeDuration::seconds(in_day);
    (at.date(), at.time())
}

/// Transaction `i`, built in place (the iterator model: one transaction in memory at a time).
fn fill(tx: &mut CashTransaction, i: usize, signature: &str) {
    let (date, time) = when(i);
    let is_return = i % 10 == 9;
    let sign = if is_return { -1 } else { 1 };
    tx.nr = (i + 1).to_string();
    tx.trans_id = tx.nr.clone();
    tx.trans_type = Some(
        if is_return {
            TransactionKind::Return
        } else {
            TransactionKind::CashSale
        }
        .id()
        .to_string(),
    );
    tx.date = date;
    tx.time = time;
    let mut total_in = 0;
    let mut total_ex = 0;
    let mut vat_total = 0;
    for (n, line) in tx.lines.iter_mut().enumerate() {
        let art = (i * 7 + n * 13) % ARTICLES;
        let qnt = 1 + ((i + n) % 3) as i64;
        let ppu = 1990 + (art as i64) * 25;
        let amount_in = sign * qnt * ppu;
        let vat = amount_in / 5; // 25 % of the ex-VAT amount
        line.line_id = (n + 1).to_string();
        line.line_type = if is_return {
            LineKind::Return
        } else {
            LineKind::Sale
        }
        .id()
        .to_string();
        line.art_group_id = Some(format!("G{}", art % 10));
        line.art_id = Some(format!("A{art}"));
        line.qnt_milli = Some(sign * qnt * 1000);
        line.amount_in = amount_in;
        line.amount_ex = amount_in - vat;
        line.ppu = Some(ppu);
        line.date = Some(date);
        line.time = Some(time);
        line.vat = Some(VatAmount {
            vat_code: Some("3".into()),
            vat_perc: Some(2500),
            vat_amount: vat,
            base_amount: Some(amount_in - vat),
        });
        total_in += amount_in;
        total_ex += amount_in - vat;
        vat_total += vat;
    }
    tx.amount_in = total_in;
    tx.amount_ex = total_ex;
    tx.vat = vec![VatAmount {
        vat_code: Some("3".into()),
        vat_perc: Some(2500),
        vat_amount: vat_total,
        base_amount: Some(total_ex),
    }];
    tx.payments.clear();
    if i % 7 == 3 && !is_return {
        // Split tender: part cash, the rest Vipps.
        let cash = total_in / 2;
        tx.payments.push(payment(PaymentKind::Cash, cash, None));
        tx.payments.push(payment(
            PaymentKind::Vipps,
            total_in - cash,
            Some(format!("kasse-T1-{i}")),
        ));
    } else if i.is_multiple_of(2) {
        tx.payments.push(payment(
            PaymentKind::Vipps,
            total_in,
            Some(format!("kasse-T1-{i}")),
        ));
    } else {
        tx.payments.push(payment(PaymentKind::Cash, total_in, None));
    }
    tx.signature.clear();
    tx.signature.push_str(signature);
    tx.receipt_copy_num = Some(u16::from(i.is_multiple_of(50)));
}

fn payment(kind: PaymentKind, amount: i64, ref_id: Option<String>) -> Payment {
    Payment {
        payment_type: kind.id().to_string(),
        paid_amount: amount,
        emp_id: Some("1".into()),
        currency: Some("NOK".into()),
        ref_id,
    }
}

fn empty_tx() -> CashTransaction {
    let line = CtLine {
        line_id: String::new(),
        line_type: String::new(),
        art_group_id: None,
        art_id: None,
        qnt_milli: None,
        amount_in: 0,
        amount_ex: 0,
        ppu: None,
        emp_id: Some("1".into()),
        desc: None,
        date: None,
        time: None,
        vat: None,
        discounts: vec![],
    };
    CashTransaction {
        nr: String::new(),
        trans_id: String::new(),
        trans_type: None,
        amount_in: 0,
        amount_ex: 0,
        emp_id: Some("1".into()),
        period_number: None,
        date: date!(2026 - 01 - 01),
        time: Time::MIDNIGHT,
        desc: None,
        lines: vec![line; LINES_PER_TX],
        vat: vec![],
        rounding: Some(0),
        payments: vec![],
        signature: String::new(),
        key_version: "1".into(),
        receipt_num: Some(1),
        receipt_copy_num: Some(0),
        receipt_proforma_num: Some(0),
        receipt_delivery_num: Some(0),
        void: false,
        training: false,
    }
}

fn export(path: &std::path::Path, n_tx: usize, signature: &str) -> (Duration, u64, u64) {
    let started = Instant::now();
    let org = OrgNumber::parse(Some("999999999")).unwrap();
    let header = Header {
        fiscal_year: "2026".into(),
        start_date: date!(2026 - 01 - 01),
        end_date: date!(2026 - 12 - 31),
        currency: "NOK".into(),
        created: datetime!(2027-01-02 10:00:00),
        software_desc: "kasse".into(),
        software_version: env!("CARGO_PKG_VERSION").into(),
        software_company: "kasse".into(),
        comment: None,
        user_id: Some("1".into()),
    };
    let company = Company {
        org_number: org,
        name: "Kiosken AS".into(),
        vat_registered: true,
        street_address: None,
    };
    let file = BufWriter::with_capacity(1 << 16, File::create(path).unwrap());
    let mut w = SaftWriter::new(file, &header, &company).unwrap();
    w.vat_codes(&[VatCode {
        code: "3".into(),
        date_of_entry: date!(2026 - 01 - 01),
        desc: Some("25 %".into()),
        standard_code: codes::standard_vat_code(2500).unwrap().into(),
    }])
    .unwrap();
    w.employees([Employee {
        emp_id: "1".into(),
        date_of_entry: date!(2026 - 01 - 01),
        time_of_entry: Time::MIDNIGHT,
        first_name: Some("Kari".into()),
        sur_name: "Nordmann".into(),
        roles: vec![],
    }])
    .unwrap();
    w.articles((0..ARTICLES).map(|a| Article {
        art_id: format!("A{a}"),
        date_of_entry: date!(2026 - 01 - 01),
        art_group_id: Some(format!("G{}", a % 10)),
        desc: format!("Vare {a}"),
    }))
    .unwrap();
    let groups = (0..10).map(|g| Basic {
        basic_type: codes::BASIC_TYPE_ARTICLE_GROUP.into(),
        basic_id: format!("G{g}"),
        predefined: Some("04003".into()),
        desc: format!("Varegruppe {g}"),
    });
    w.basics(codes::kasse_basics().chain(groups)).unwrap();
    w.begin_location(&Location::default()).unwrap();
    w.begin_register(&CashRegister {
        register_id: "T1".into(),
        desc: None,
    })
    .unwrap();
    // One receipt event and one drawer event per cash sale would double the file; a day's
    // start/stop is enough to exercise the event path.
    for day in 0..(n_tx / 1400 + 1) {
        let (d, _) = when(day * 1400);
        w.event(&Event {
            event_id: format!("E{day}"),
            event_type: EventKind::AppStart.id().into(),
            trans_id: None,
            emp_id: Some("1".into()),
            date: d,
            time: Time::from_hms(7, 55, 0).unwrap(),
            text: None,
            report: None,
        })
        .unwrap();
    }
    let mut tx = empty_tx();
    for i in 0..n_tx {
        fill(&mut tx, i, signature);
        w.transaction(&tx).unwrap();
    }
    w.end_register().unwrap();
    w.end_location().unwrap();
    let mut out = w.finish().unwrap();
    out.flush().unwrap();
    drop(out);
    let elapsed = started.elapsed();
    (elapsed, std::fs::metadata(path).unwrap().len(), vm_hwm_kb())
}

fn record(i: usize, signature: String) -> ChainRecord {
    let (date, time) = when(i);
    let sign = if i % 10 == 9 { -1 } else { 1 };
    let amount_in = sign * (4990 + (i % 400) as i64 * 25);
    ChainRecord {
        nr: (i + 1).to_string(),
        date,
        time,
        amount_in,
        amount_ex: amount_in - amount_in / 5,
        signature,
        key_version: "1".into(),
    }
}

fn main() {
    let n_tx = env_usize("KASSE_BENCH_SAFT_TX", 500_000);
    let n_sign = env_usize("KASSE_BENCH_SAFT_SIGN", n_tx);
    let dir = tempfile::tempdir().unwrap();
    let baseline_kb = vm_hwm_kb();

    // 1. SAF-T export (first, so VmHWM measures it and not the signing phase).
    let key = FiscalKey::generate_with_os_rng().unwrap();
    let sample_sig = key.sign("0;2026-01-01;08:00:00;1;49.90;39.92").unwrap();
    let xml = dir
        .path()
        .join("SAF-T Cash Register_999999999_20270102100000.xml");
    let (export_time, bytes, hwm_kb) = export(&xml, n_tx, &sample_sig);
    std::fs::remove_file(&xml).unwrap();
    println!(
        "saft export: {n_tx} transactions, {} lines, {:.1} MB file in {:.2} s ({:.0} tx/s); \
         peak RSS (VmHWM) {:.1} MB (process baseline {:.1} MB)  target <= 30 s, <= 100 MB: {}",
        n_tx * LINES_PER_TX,
        bytes as f64 / 1e6,
        export_time.as_secs_f64(),
        n_tx as f64 / export_time.as_secs_f64(),
        hwm_kb as f64 / 1024.0,
        baseline_kb as f64 / 1024.0,
        if export_time.as_secs_f64() <= 30.0 && hwm_kb <= 100 * 1024 {
            "PASS"
        } else {
            "FAIL"
        }
    );

    // 2. Sign a chain of n_sign records; signatures go to a file as the journal would hold them.
    let sig_path = dir.path().join("signatures.txt");
    let mut sig_file = BufWriter::new(File::create(&sig_path).unwrap());
    let mut per_record = Vec::with_capacity(n_sign);
    let mut prev = GENESIS_PREVIOUS.to_string();
    let started = Instant::now();
    for i in 0..n_sign {
        let t0 = Instant::now();
        let r = record(i, String::new());
        let text = signed_text(&prev, r.date, r.time, &r.nr, r.amount_in, r.amount_ex).unwrap();
        prev = key.sign(&text).unwrap();
        per_record.push(t0.elapsed().as_secs_f64() * 1e6);
        writeln!(sig_file, "{prev}").unwrap();
    }
    let sign_time = started.elapsed();
    sig_file.flush().unwrap();
    drop(sig_file);
    per_record.sort_by(f64::total_cmp);
    let p50 = pct(&per_record, 0.50);
    let p99 = pct(&per_record, 0.99);
    println!(
        "sign: {n_sign} records chained in {:.2} s; per record p50 {:.0} us, p99 {:.0} us, \
         max {:.0} us  target p99 <= 1 ms: {}",
        sign_time.as_secs_f64(),
        p50,
        p99,
        per_record.last().copied().unwrap_or(0.0),
        if p99 <= 1000.0 { "PASS" } else { "FAIL" }
    );
    drop(per_record);

    // 3. Verify the chain, streaming the signatures back.
    let mut ring = KeyRing::new();
    ring.insert("1", key.public_key().clone());
    let reader = BufReader::new(File::open(&sig_path).unwrap());
    let started = Instant::now();
    let report = verify_chain(
        &ring,
        GENESIS_PREVIOUS,
        reader
            .lines()
            .enumerate()
            .map(|(i, l)| record(i, l.unwrap())),
    );
    let verify_time = started.elapsed();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.verified, n_sign as u64);
    println!(
        "verify: {} records in {:.2} s ({:.1} us each)  target <= 30 s: {}",
        report.verified,
        verify_time.as_secs_f64(),
        ms(verify_time) * 1000.0 / n_sign.max(1) as f64,
        if verify_time.as_secs_f64() <= 30.0 {
            "PASS"
        } else {
            "FAIL"
        }
    );
}
