#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The signed electronic journal wired into the till (issue #15): the key made at the first
//! start beside the database (0600, never in it), append-only fiscal tables, every completed
//! sale (cash, Vipps, split) signed in the transaction that journals it, `kasse journal verify`
//! naming the first changed / deleted / inserted transaction, and `kasse saft` writing a file
//! that validates against Skatteetaten's XSD.

mod common;
use common::bin::text;
use common::e2e as e2e_support;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_support::*;
use kasse::domain::basket::{Basket, OrderLine, Quantity};
use kasse::domain::money::{Currency, Money};
use kasse::domain::vat::VatRate;
use kasse::engine::{ApiKind, NewSaleRequest, PaymentState};
use kasse::fiscal::saft::{Company, OrgNumber};
use kasse::fiscal::signature::ChainBreak;
use kasse::service::saft::{ExportRequest, write_saft};
use kasse::store::fiscal::{NewFiscalEvent, NewSigned, SignedKind, key_file_name};
use kasse::store::{DB_FILE_NAME, Store};
use time::macros::{date, datetime};

use common::bin::BIN;

use common::saft::{xmllint, xsd};

fn basket() -> Basket {
    let mut b = Basket::new(Currency::Nok);
    for (id, name, qty, price, vat) in [
        ("1001", "Kaffe", 1, 4990, VatRate::STANDARD),
        ("2002", "Bolle", 2, 1750, VatRate::FOOD),
    ] {
        b.add(OrderLine {
            product_id: id.into(),
            name: name.into(),
            quantity: Quantity::pieces(qty).unwrap(),
            unit_price: Money::nok(price),
            discount: Money::nok(0),
            vat,
            is_return: false,
        })
        .unwrap();
    }
    b
}

fn request() -> NewSaleRequest {
    NewSaleRequest::from_basket(&basket(), push(ApiKind::Epayment), ApiKind::Epayment, None)
        .unwrap()
}

/// A copy of the journal in `dir` into a new data dir (VACUUM INTO: consistent, WAL folded).
fn copy_journal(dir: &Path, to: &Path) -> rusqlite::Connection {
    std::fs::create_dir_all(to).unwrap();
    let db = to.join(DB_FILE_NAME);
    let src = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    src.execute("VACUUM INTO ?1", [db.to_str().unwrap()])
        .unwrap();
    rusqlite::Connection::open(db).unwrap()
}

fn verify(dir: &Path) -> kasse::store::fiscal::JournalCheck {
    Store::open_read_only(dir)
        .unwrap()
        .verify_fiscal_chain(None, None)
        .unwrap()
}

fn config(dir: &Path, org: Option<&str>) -> PathBuf {
    let cfg = dir.join("config.toml");
    let org = org.map_or(String::new(), |o| format!("org_number = \"{o}\"\n"));
    std::fs::write(
        &cfg,
        format!(
            "[shop]\nname = \"Kiosken AS\"\n{org}[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n"
        ),
    )
    .unwrap();
    cfg
}

fn kasse(cfg: &Path, data: &Path, args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(BIN)
        .env_remove("KASSE_BASE_URL")
        .current_dir(cwd)
        .arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_vipps_and_split_sales_are_signed_and_tampering_is_named() {
    let sim = start_sim(sim_config()).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let run = simple(&sim, &dir).await;
    let store = run.engine_store();
    let mut rx = run.engine.subscribe();

    // 1. Cash (nr 1), 2. Vipps (nr 2), 3. split 30,00 cash + Vipps (nr 3).
    let cash = run
        .engine
        .record_cash_sale(request(), Money::nok(10_000))
        .await
        .unwrap();
    let id = run.engine.start_payment(request()).await.unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    let id = run
        .engine
        .start_split_payment(request(), Money::nok(3_000))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&store).await;
    let signed = store.run(|s| s.signed_transactions()).await.unwrap();
    // An X and a Z (§ 2-8-2, journaled in full as 13008 / 13009) go into the export too.
    let db = kasse::service::StaffDb::new(store.clone(), &signed[0].shop_id, &signed[0].till_id)
        .unwrap()
        .with_hash_cost(kasse::domain::staff::HashCost::Fast)
        .with_company(Some("999999999"), Some("Kiosken AS"));
    let now = time::OffsetDateTime::now_utc();
    let manager = db
        .create_first_manager("Mona", "135790", now)
        .await
        .unwrap();
    db.x_report(None, None, time::UtcOffset::UTC, None, now)
        .await
        .unwrap();
    let z = db
        .close_period(&manager, time::UtcOffset::UTC, None, now)
        .await
        .unwrap();
    assert_eq!(z.fiscal.cash_sales.count, 3);
    drop(db);
    drop(store);
    run.shutdown().await;

    assert_eq!(signed.len(), 3, "{signed:#?}");
    assert_eq!(
        signed.iter().map(|t| t.nr).collect::<Vec<_>>(),
        [1, 2, 3],
        "consecutive per till"
    );
    assert!(signed.iter().all(|t| t.kind == SignedKind::Sale
        && t.amount_in == 8_490
        && t.amount_ex < 8_490
        && t.key_version == 1));
    assert_eq!(
        signed[0].receipt_number.as_deref(),
        Some(&*cash.receipt_number)
    );

    // The chain verifies.
    let check = verify(&dir);
    assert!(check.is_ok(), "{check:#?}");
    assert_eq!(check.verified(), 3);

    // The export validates against Skatteetaten's XSD.
    let file = tmp.path().join("export.xml");
    {
        let s = Store::open_read_only(&dir).unwrap();
        let req = ExportRequest {
            from: date!(2000 - 01 - 01),
            to: date!(2100 - 12 - 31),
            company: Company {
                org_number: OrgNumber::parse(Some("999999999")).unwrap(),
                name: "Kiosken AS".into(),
                vat_registered: true,
                street_address: None,
            },
            currency: "NOK".into(),
            created: datetime!(2026-03-03 09:15:00),
            offset: time::UtcOffset::UTC,
            user_id: None,
        };
        let out = std::fs::File::create(&file).unwrap();
        let (_, summary) = write_saft(&s, &req, None, std::io::BufWriter::new(out)).unwrap();
        assert_eq!(summary.transactions, 3);
    }
    let xml = std::fs::read_to_string(&file).unwrap();
    for needle in [
        "<paymentType>CASH</paymentType>",
        "<paymentType>VIPPS</paymentType>",
        "<predefinedBasicID>12001</predefinedBasicID>",
        "<predefinedBasicID>12011</predefinedBasicID>",
        // The split: 30,00 cash + 54,90 Vipps; the cash sale's øreavrunding.
        "<paidAmnt>30.00</paidAmnt>",
        "<paidAmnt>54.90</paidAmnt>",
        "<roundingAmnt>",
        &format!("<signature>{}</signature>", signed[2].signature),
        "<reportType>X report</reportType>",
        "<reportID>Z-1</reportID>",
        "<reportType>Z report</reportType>",
        "<eventText>Z report no. 1</eventText>",
        "<reportGrandTotalSales>254.70</reportGrandTotalSales>",
    ] {
        assert!(xml.contains(needle), "{needle} missing");
    }
    if let Some(x) = xsd()
        && let Some(r) = xmllint(&x, &file)
    {
        r.unwrap();
    }

    // A changed amount: nr 2 named (content changed).
    let changed = tmp.path().join("changed");
    copy_journal(&dir, &changed)
        .execute_batch(
            "DROP TRIGGER fiscal_transactions_no_update;
             UPDATE fiscal_transactions SET amount_in = amount_in + 100 WHERE nr = 2;",
        )
        .unwrap();
    let f = verify(&changed).tills[0]
        .report
        .first_failure
        .clone()
        .unwrap();
    assert_eq!(
        (f.nr.as_str(), &f.reason),
        ("2", &ChainBreak::ContentChanged)
    );

    // A deleted transaction: the break shows at nr 3, naming the gap after nr 1.
    let deleted = tmp.path().join("deleted");
    copy_journal(&dir, &deleted)
        .execute_batch(
            "DROP TRIGGER fiscal_transactions_no_delete;
             DELETE FROM fiscal_transactions WHERE nr = 2;",
        )
        .unwrap();
    let f = verify(&deleted).tills[0]
        .report
        .first_failure
        .clone()
        .unwrap();
    assert_eq!(
        (f.nr.as_str(), &f.reason),
        (
            "3",
            &ChainBreak::Deleted {
                after_nr: "1".into()
            }
        )
    );

    // An inserted transaction at nr 2 (the later ones renumbered): nr 2 named.
    let inserted = tmp.path().join("inserted");
    copy_journal(&dir, &inserted)
        .execute_batch(
            "DROP TRIGGER fiscal_transactions_no_update;
             DROP TRIGGER fiscal_transactions_consecutive;
             UPDATE fiscal_transactions SET nr = nr + 1000 WHERE nr >= 2;
             UPDATE fiscal_transactions SET nr = nr - 999 WHERE nr >= 1000;
             INSERT INTO fiscal_transactions (shop_id, till_id, nr, kind, trans_date, trans_time,
                 amount_in, amount_ex, signature, key_version, training, signed_at)
             SELECT shop_id, till_id, 2, kind, trans_date, trans_time, 50000, 40000, signature,
                 key_version, training, signed_at FROM fiscal_transactions WHERE nr = 1;",
        )
        .unwrap();
    let f = verify(&inserted).tills[0]
        .report
        .first_failure
        .clone()
        .unwrap();
    // Renumbering changed the later rows' signed nr too, so the neighbours cannot say more than
    // "does not verify"; what matters is that nr 2, the forged one, is the one named.
    assert_eq!(f.nr, "2", "{f:?}");
    assert!(
        matches!(f.reason, ChainBreak::Inserted | ChainBreak::DoesNotVerify),
        "{f:?}"
    );

    // The last transaction deleted: the chain still links, but its paid sale is unsigned.
    let last = tmp.path().join("last");
    copy_journal(&dir, &last)
        .execute_batch(
            "DROP TRIGGER fiscal_transactions_no_delete;
             DELETE FROM fiscal_transactions WHERE nr = 3;",
        )
        .unwrap();
    let check = verify(&last);
    assert!(check.tills[0].report.is_ok());
    assert_eq!(check.unsigned_sales.len(), 1, "{check:#?}");
    assert!(!check.is_ok());

    // The binary: exit 0 on the intact journal, 1 naming the first bad nr on each tampered one.
    let cfg = config(tmp.path(), Some("999999999"));
    let o = kasse(&cfg, &dir, &["journal", "verify"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("result: journal verified transactions=3"),
        "{}",
        text(&o)
    );
    for (d, nr) in [(&changed, "2"), (&deleted, "3"), (&inserted, "2")] {
        let o = kasse(&cfg, d, &["journal", "verify"], tmp.path());
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains(&format!("first_bad_nr={nr} ")),
            "{}",
            text(&o)
        );
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(&format!("nr {nr} ")),
            "{}",
            text(&o)
        );
    }
    let o = kasse(&cfg, &last, &["journal", "verify"], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("unsigned_sale="));
    let o = kasse(
        &cfg,
        &dir,
        &[
            "journal",
            "verify",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // public-key prints version 1's PEM, the one the journal recorded.
    let o = kasse(&cfg, &dir, &["journal", "public-key"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let pem = Store::open_read_only(&dir).unwrap().fiscal_keys().unwrap()[0]
        .public_key_pem
        .clone();
    assert!(String::from_utf8_lossy(&o.stdout).contains(&pem));

    // kasse saft: the default name, 0600, valid, and the 13020 event inside.
    let o = kasse(
        &cfg,
        &dir,
        &["saft", "--from", "2000-01-01", "--to", "2100-12-31"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let made: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("SAF-T Cash Register_999999999_")
        })
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&made[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let xml = std::fs::read_to_string(&made[0]).unwrap();
    assert!(xml.contains("<eventType>EXPORT</eventType>"));
    if let Some(x) = xsd()
        && let Some(r) = xmllint(&x, &made[0])
    {
        r.unwrap();
    }
    let events = Store::open_read_only(&dir)
        .unwrap()
        .fiscal_events()
        .unwrap();
    assert_eq!(events.last().unwrap().code, "13020");

    // Without shop.org_number: a clear error naming it, exit 1, no file.
    let bare = tmp.path().join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    let cfg = config(&bare, None);
    let o = kasse(
        &cfg,
        &dir,
        &[
            "saft",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--out",
        ],
        &bare,
    );
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    let o = kasse(
        &cfg,
        &dir,
        &["saft", "--from", "2026-01-01", "--to", "2026-12-31"],
        &bare,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("shop.org_number"),
        "{}",
        text(&o)
    );
    assert_eq!(
        std::fs::read_dir(&bare).unwrap().count(),
        1,
        "only config.toml"
    );
    // A bad date names the format.
    let o = kasse(
        &cfg,
        &dir,
        &["saft", "--from", "2026-13-01", "--to", "2026-12-31"],
        &bare,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("YYYY-MM-DD"));
}

#[test]
fn the_key_is_made_at_the_first_start_0600_beside_the_database_never_in_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let t0 = datetime!(2026-03-01 08:00:00 UTC);
    let s = Store::open_in_dir_at(&dir, t0).unwrap();
    assert_eq!(s.fiscal_key_version(), Some(1));
    let key_file = dir.join(key_file_name(1));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&key_file), 0o600);
        assert_eq!(mode(&dir), 0o700);
    }
    let keys = s.fiscal_keys().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].reason, "install");
    assert!(
        keys[0]
            .public_key_pem
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    drop(s);

    // The private key's body is nowhere in the database file (nor its WAL).
    let pem = std::fs::read_to_string(&key_file).unwrap();
    let body = pem.lines().nth(1).unwrap().to_string();
    for f in [DB_FILE_NAME, "kasse.sqlite3-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(f)) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&body),
                "private key in {f}"
            );
        }
    }

    // The next start loads the same key (same version, same file).
    let s = Store::open_in_dir_at(&dir, t0).unwrap();
    assert_eq!(s.fiscal_key_version(), Some(1));
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), pem);
    drop(s);

    // The key file gone (a restored backup): a new version, the old public key kept.
    std::fs::remove_file(&key_file).unwrap();
    let mut s = Store::open_in_dir_at(&dir, t0).unwrap();
    assert_eq!(s.fiscal_key_version(), Some(2));
    assert!(dir.join(key_file_name(2)).is_file());
    // Rotation bumps the version.
    assert_eq!(s.rotate_fiscal_key(&dir, t0, "yearly").unwrap(), 3);
    let keys = s.fiscal_keys().unwrap();
    assert_eq!(
        keys.iter().map(|k| k.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(keys[1].reason.contains("missing"), "{:?}", keys[1]);
    assert_eq!(keys[2].reason, "yearly");
    // The Debug of a store never shows key material.
    assert!(!format!("{s:?}").contains("PRIVATE"));

    // A sale after rotation signs with version 3; a return through the one signing function
    // (the refund path's entry) continues the chain with negative amounts; all verify.
    let v = s
        .transaction(|tx| {
            tx.append_signed(&NewSigned {
                shop_id: "s1",
                till_id: "t1",
                kind: SignedKind::Return,
                at: t0,
                amount_in: -1_640,
                amount_ex: -1_426,
                sale_id: None,
                refund_id: Some(7),
                receipt_number: Some("R-1"),
                staff_id: Some("101"),
                training: false,
            })
        })
        .unwrap()
        .unwrap();
    assert_eq!((v.nr, v.key_version), (1, 3));
    assert_eq!(
        (v.trans_date.as_str(), v.trans_time.as_str()),
        ("2026-03-01", "08:00:00")
    );
    // One refund is never signed twice.
    let again = s.transaction(|tx| {
        tx.append_signed(&NewSigned {
            shop_id: "s1",
            till_id: "t1",
            kind: SignedKind::Return,
            at: t0,
            amount_in: -1_640,
            amount_ex: -1_426,
            sale_id: None,
            refund_id: Some(7),
            receipt_number: Some("R-1"),
            staff_id: None,
            training: false,
        })
    });
    assert!(again.is_err());
    drop(s);
    assert!(verify(&dir).is_ok());
}

#[test]
fn fiscal_tables_are_append_only_and_nr_has_no_gaps() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let t0 = datetime!(2026-03-01 08:00:00 UTC);
    let mut s = Store::open_in_dir_at(&dir, t0).unwrap();
    s.journal_app_start("s1", "t1", "0.1.0", false, t0).unwrap();
    s.transaction(|tx| {
        tx.append_signed(&NewSigned {
            shop_id: "s1",
            till_id: "t1",
            kind: SignedKind::Sale,
            at: t0,
            amount_in: 12_500,
            amount_ex: 10_000,
            sale_id: None,
            refund_id: None,
            receipt_number: None,
            staff_id: None,
            training: false,
        })
    })
    .unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    let mut refused = 0;
    for sql in [
        "UPDATE fiscal_transactions SET amount_in = 1",
        "DELETE FROM fiscal_transactions",
        "UPDATE fiscal_events SET detail = 'x'",
        "DELETE FROM fiscal_events",
        "UPDATE fiscal_keys SET reason = 'x'",
        "DELETE FROM fiscal_keys",
    ] {
        let e = conn.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
        refused += 1;
    }
    assert_eq!(refused, 6);
    // A gap (nr 3 after nr 1) is refused.
    let e = conn
        .execute(
            "INSERT INTO fiscal_transactions (shop_id, till_id, nr, kind, trans_date, trans_time,
                 amount_in, amount_ex, signature, key_version, signed_at)
             VALUES ('s1', 't1', 3, 'sale', '2026-03-01', '08:00:00', 1, 1, 'x', 1, 'x')",
            [],
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("without a gap"), "{e}");
}

#[test]
fn start_stop_and_a_software_update_are_journaled_as_13xxx_events() {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = datetime!(2026-03-01 08:00:00 UTC);
    let mut s = Store::open_in_dir_at(tmp.path(), t0).unwrap();
    assert_eq!(
        s.journal_app_start("s1", "t1", "0.1.0", false, t0).unwrap(),
        None
    );
    s.journal_app_stop("s1", "t1", false, t0).unwrap();
    assert_eq!(
        s.journal_app_start("s1", "t1", "0.1.0", false, t0).unwrap(),
        None
    );
    assert_eq!(
        s.journal_app_start("s1", "t1", "0.2.0", false, t0).unwrap(),
        Some("0.1.0".into())
    );
    s.fiscal_event(&NewFiscalEvent {
        shop_id: "s1",
        till_id: "t1",
        kind: kasse::fiscal::saft::codes::EventKind::Export,
        at: t0,
        staff_id: None,
        sale_id: None,
        detail: "SAF-T".into(),
    })
    .unwrap();
    let codes: Vec<String> = s
        .fiscal_events()
        .unwrap()
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(
        codes,
        ["13001", "13002", "13001", "13001", "13007", "13020"]
    );
    let update = &s.fiscal_events().unwrap()[4];
    assert!(update.detail.contains("0.1.0") && update.detail.contains("0.2.0"));
    // Training (`--demo`): on after the start, off before the stop.
    s.journal_app_start("s1", "t1", "0.2.0", true, t0).unwrap();
    s.journal_app_stop("s1", "t1", true, t0).unwrap();
    let codes: Vec<String> = s
        .fiscal_events()
        .unwrap()
        .into_iter()
        .skip(6)
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["13001", "13023", "13024", "13002"]);
}

/// A refund is a cash transaction too: when Vipps confirms it (its outbox row completes), the
/// return is signed in that transaction — negative amounts, kind Return, chained after the
/// sale — and the whole chain still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_refund_is_signed_as_a_return_and_the_chain_verifies() {
    use kasse::domain::refund::{RefundMode, RefundRequest, RefundStatus};
    use kasse::domain::staff::HashCost;
    use kasse::service::{StaffDb, refund};
    let sim = start_sim(sim_config()).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let run = simple(&sim, &dir).await;
    let store = run.engine_store();
    let mut rx = run.engine.subscribe();
    let id = run.engine.start_payment(request()).await.unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&store).await;

    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    let now = time::OffsetDateTime::now_utc();
    db.create_first_manager("Mona", "135790", now)
        .await
        .unwrap();
    let session = db.login("135790", now).await.unwrap();
    let rec = refund::refund(
        &db,
        &session,
        &RefundRequest {
            reference: w.reference.clone(),
            mode: RefundMode::Amount(2_000),
            reason: "varen var skadet".into(),
        },
        now,
    )
    .await
    .unwrap();
    run.engine.kick_worker();
    let mut done = false;
    for _ in 0..100 {
        if db.refund_status(&rec.idempotency_key).await.unwrap() == RefundStatus::Done {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(done, "Vipps (the simulator) confirmed the refund");
    let signed = store.run(|s| s.signed_transactions()).await.unwrap();
    drop(store);
    drop(db);
    run.shutdown().await;

    assert_eq!(signed.len(), 2, "{signed:#?}");
    let ret = &signed[1];
    assert_eq!(ret.nr, 2, "chained after the sale");
    assert_eq!(ret.kind, SignedKind::Return);
    assert_eq!(ret.amount_in, -2_000);
    assert!(ret.amount_ex < 0 && ret.amount_ex > -2_000, "{ret:?}");
    assert_eq!(ret.refund_id, Some(rec.id));
    assert!(verify(&dir).is_ok(), "{:?}", verify(&dir));
}
