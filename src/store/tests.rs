//! Unit tests that need the private connection.

use super::*;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-11-21 12:00:00 UTC);

#[test]
fn migrations_validate() {
    MIGRATIONS.validate().unwrap();
}

fn sale(shop: &str, msn: &str) -> NewSale {
    NewSale {
        shop_id: shop.into(),
        till_id: "t1".into(),
        staff_id: None,
        currency: "NOK".into(),
        gross_total: 12500,
        vat_total: 2500,
        net_total: 10000,
        training: false,
        tender: "vipps".into(),
        description: None,
        lines: vec![NewSaleLine {
            product_id: Some("1".into()),
            name: "Vare".into(),
            quantity: "1".into(),
            quantity_milli: 1000,
            unit: "pcs".into(),
            unit_price: 12500,
            discount: 0,
            vat_rate: 2500,
            gross: 12500,
            net: 10000,
            vat: 2500,
            is_return: false,
        }],
        payment: NewPayment {
            api: Api::Epayment,
            msn: msn.into(),
            flow: Flow::Push,
            customer_phone: None,
        },
        created_at: T0,
    }
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .conn
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Insert a payment row by hand (to provoke collisions the public API cannot produce).
fn raw_payment(
    store: &Store,
    sale_id: i64,
    msn: &str,
    reference: &str,
    attempt: i64,
    key: &str,
) -> rusqlite::Result<usize> {
    store.conn.execute(
        "INSERT INTO payments (sale_id, api, msn, reference, attempt, flow, currency, amount, state,
             create_key, capture_key, cancel_key, created_at, updated_at)
         VALUES (?1, 'epayment', ?2, ?3, ?4, 'push', 'NOK', 100, 'failed',
             ?5 || '-c', ?5 || '-p', ?5 || '-x', '2026-11-21T12:00:00.000Z', '2026-11-21T12:00:00.000Z')",
        rusqlite::params![sale_id, msn, reference, attempt, key],
    )
}

#[test]
fn reference_is_unique_per_msn() {
    let mut store = Store::open_in_memory().unwrap();
    let ids = store.begin_sale(&sale("s1", "111111")).unwrap();
    let same_msn = raw_payment(&store, ids.sale_id, "111111", &ids.reference, 7, "k1");
    assert!(
        same_msn.is_err(),
        "same reference, same MSN must be refused"
    );
    raw_payment(&store, ids.sale_id, "222222", &ids.reference, 8, "k2")
        .expect("the same reference under another MSN is allowed");
}

#[test]
fn begin_sale_with_a_taken_reference_writes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let first = store.begin_sale(&sale("s1", "111111")).unwrap();
    // Someone already used the reference the next sale would get.
    let next = journal::make_reference("s1", "t1", &store.install_id().unwrap(), 2, 1).unwrap();
    raw_payment(&store, first.sale_id, "111111", &next, 9, "stray").unwrap();
    let before =
        ["sales", "sale_lines", "payments", "operations", "counters"].map(|t| count(&store, t));

    let err = store.begin_sale(&sale("s1", "111111")).unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate { what: "payment reference", value } if *value == next),
        "{err:?}"
    );
    let after =
        ["sales", "sale_lines", "payments", "operations", "counters"].map(|t| count(&store, t));
    assert_eq!(before, after);
    let seq: i64 = store
        .conn
        .query_row(
            "SELECT value FROM counters WHERE shop_id='s1' AND till_id='t1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(seq, 1, "the sequence increment was rolled back");
    // The same basket under another MSN has no collision.
    store.begin_sale(&sale("s1", "222222")).unwrap();
}

#[test]
fn claim_query_uses_the_partial_index() {
    let store = Store::open_in_memory().unwrap();
    let plan: Vec<String> = store
        .conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id FROM outbox
             WHERE status IN ('pending', 'in_flight') AND status = 'pending'
               AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
        )
        .unwrap()
        .query_map(rusqlite::params!["2026", 1], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(plan.iter().any(|p| p.contains("outbox_due")), "{plan:?}");
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.sqlite3");
    {
        drop(Store::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
    assert!(err.message().nb.contains("nyere"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn every_code_round_trips() {
    for s in PayState::ALL {
        assert_eq!(PayState::parse(s.as_str()).unwrap(), *s);
    }
    for k in OutboxKind::ALL {
        assert_eq!(OutboxKind::parse(k.as_str()).unwrap(), *k);
    }
    for s in SaleStatus::ALL {
        assert_eq!(SaleStatus::parse(s.as_str()).unwrap(), *s);
    }
    assert!(matches!(
        PayState::parse("paid?"),
        Err(StoreError::BadValue { .. })
    ));
}

#[test]
fn reference_format_and_limits() {
    let inst = "k3x9q0ab";
    assert_eq!(
        journal::make_reference("s1", "t2", inst, 123, 1).unwrap(),
        "kasse-s1-t2-k3x9q0ab-000123-a1"
    );
    assert_eq!(
        journal::make_reference("s1", "t2", inst, 1_234_567, 12).unwrap(),
        "kasse-s1-t2-k3x9q0ab-1234567-a12"
    );
    // Too long with shop and till: they give way to a digest instead of failing.
    let long =
        journal::make_reference("abcdefghijkl", "abcdefghijkl", inst, 999_999_999, 999).unwrap();
    assert!(long.starts_with("kasse-k3x9q0ab-"), "{long}");
    assert!(long.ends_with("-999999999-a999"), "{long}");
    assert!(long.len() <= 50 && long.len() >= 8);
    let other =
        journal::make_reference("abcdefghijkl", "abcdefghijkm", inst, 999_999_999, 999).unwrap();
    assert_ne!(long, other, "another shop/till pair gets another digest");
    let max = journal::make_reference("abcdefghijkl", "abcdefghijkl", inst, i64::MAX, 99).unwrap();
    assert!(max.len() <= 50, "{max}");
    assert!(journal::make_reference("s-1", "t2", inst, 1, 1).is_err());
    for bad in ["", "K3X9Q0AB", "k3x9q0a", "k3x9q0ab1", "k3x9-0ab"] {
        assert!(
            matches!(
                journal::make_reference("s1", "t2", bad, 1, 1),
                Err(StoreError::Invalid {
                    field: "install id",
                    ..
                })
            ),
            "{bad}"
        );
    }
    assert!(journal::make_reference("s1", "t2", inst, 0, 1).is_err());
    assert!(journal::make_reference("s1", "t2", inst, 1, 0).is_err());
}

#[test]
fn two_databases_on_one_msn_never_mint_the_same_reference() {
    let mut a = Store::open_in_memory().unwrap();
    let mut b = Store::open_in_memory().unwrap();
    let ra = a.begin_sale(&sale("s1", "111111")).unwrap().reference;
    let rb = b.begin_sale(&sale("s1", "111111")).unwrap().reference;
    assert_ne!(a.install_id().unwrap(), b.install_id().unwrap());
    assert_ne!(ra, rb);
    assert!(ra.contains(&a.install_id().unwrap()), "{ra}");
    // A new install id (e.g. after a restore) changes every later reference of the same sequence.
    let before = a.install_id().unwrap();
    let after = a.renew_install_id("restored", T0).unwrap();
    assert_ne!(before, after);
    let r2 = a.begin_sale(&sale("s1", "111111")).unwrap().reference;
    assert!(r2.contains(&after), "{r2}");
}

#[test]
fn a_directory_is_not_opened_as_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    assert!(err.message().en.contains("--data-dir"));
}

proptest::proptest! {
    #[test]
    fn references_always_fit_vipps_rules(
        shop in "[A-Za-z0-9]{1,12}",
        till in "[A-Za-z0-9]{1,12}",
        inst in "[a-z0-9]{8}",
        seq in 1_i64..=i64::MAX,
        attempt in 1_i64..=99_999,
    ) {
        let r = journal::make_reference(&shop, &till, &inst, seq, attempt).unwrap();
        proptest::prop_assert!((8..=50).contains(&r.len()), "{}", r);
        proptest::prop_assert!(r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        proptest::prop_assert!(r.contains(&format!("-{inst}-")), "{}", r);
        proptest::prop_assert!(r.ends_with(&format!("-{seq:06}-a{attempt}")), "{}", r);
        if format!("kasse-{shop}-{till}-{inst}-{seq:06}-a{attempt}").len() <= 50 {
            let prefix = format!("kasse-{shop}-{till}-{inst}-");
            proptest::prop_assert!(r.starts_with(&prefix));
        }
    }
}

#[test]
fn a_foreign_database_with_a_user_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE notes (x); PRAGMA user_version = 1;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.message().en.contains("another program"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_journal_is_marked_as_kasse() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.meta_get("app").unwrap().as_deref(), Some("kasse"));
}

#[test]
fn cash_sale_is_paid_with_tender_cash_and_no_payment_row() {
    let mut store = Store::open_in_memory().unwrap();
    let ids = store
        .record_cash_sale(&sale("s1", "111111"), 20000)
        .unwrap();
    assert_eq!(ids.change, 7500);
    assert_eq!(ids.cash_given, 20000);
    assert_eq!(ids.sequence, 1);
    let rec = store.sale(ids.sale_id).unwrap().unwrap();
    assert_eq!(rec.sale.status, SaleStatus::Paid);
    assert_eq!(rec.sale.tender, CASH_TENDER);
    assert_eq!(rec.sale.receipt_number, ids.receipt_number);
    assert_eq!(rec.lines.len(), 1);
    assert!(rec.payments.is_empty());
    assert_eq!(count(&store, "payments"), 0);
    let detail: String = store
        .conn
        .query_row(
            "SELECT detail FROM operations WHERE kind = 'cash_sale' AND sale_id = ?1",
            [ids.sale_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        detail.contains("cash given 20000") && detail.contains("change 7500"),
        "{detail}"
    );
    // The next Vipps sale gets the next sequence number.
    let next = store.begin_sale(&sale("s1", "111111")).unwrap();
    assert_eq!(next.sequence, 2);
}

#[test]
fn cash_sale_below_total_writes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let err = store
        .record_cash_sale(&sale("s1", "111111"), 12499)
        .unwrap_err();
    assert!(err.to_string().contains("cash given"), "{err}");
    assert_eq!(count(&store, "sales"), 0);
    assert_eq!(count(&store, "operations"), 0);
}

#[test]
fn split_sale_keeps_the_total_and_asks_vipps_for_the_rest() {
    let mut store = Store::open_in_memory().unwrap();
    // The sample sale is 125,00; 20,00 was taken in cash.
    let ids = store.begin_split_sale(&sale("s1", "111111"), 2000).unwrap();
    let rec = store.sale(ids.sale_id).unwrap().unwrap();
    assert_eq!(rec.sale.gross_total, 12500);
    assert_eq!(rec.sale.tender, SPLIT_TENDER);
    assert_eq!(rec.sale.status, SaleStatus::Open);
    assert_eq!(rec.payments.len(), 1);
    assert_eq!(
        rec.payments[0].amount, 10500,
        "Vipps only for the remainder"
    );
    assert_eq!(rec.cash_part(), 2000);
    // The cash part is journaled with the sale, before any network call.
    let detail: String = store
        .conn
        .query_row(
            "SELECT detail FROM operations WHERE kind = 'cash_tender' AND sale_id = ?1",
            [ids.sale_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(detail.contains("cash part 2000"), "{detail}");
    // The Vipps part is rejected: the sale fails and the cash is journaled as handed back.
    let at = time::macros::datetime!(2026-11-21 12:01 UTC);
    store
        .update_payment_state(ids.payment_id, PayState::Rejected, None, None, at)
        .unwrap();
    store
        .set_sale_status(ids.sale_id, SaleStatus::Failed, None, at)
        .unwrap();
    let returned: String = store
        .conn
        .query_row(
            "SELECT detail FROM operations WHERE kind = 'cash_returned' AND sale_id = ?1",
            [ids.sale_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(returned.contains("cash part 2000"), "{returned}");
    // No second attempt on the same split sale (its cash is gone): a new sale instead.
    let err = store
        .new_attempt(
            ids.sale_id,
            &sale("s1", "111111").payment,
            time::macros::datetime!(2026-11-21 12:02 UTC),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::SaleClosed { .. }), "{err:?}");
    // A Vipps-only sale that fails has no cash to hand back.
    let plain = store.begin_sale(&sale("s1", "111111")).unwrap();
    store
        .set_sale_status(plain.sale_id, SaleStatus::Failed, None, at)
        .unwrap();
    assert_eq!(
        store
            .conn
            .query_row(
                "SELECT count(*) FROM operations WHERE kind = 'cash_returned'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap(),
        1
    );
}

#[test]
fn split_sale_refuses_a_cash_part_of_zero_or_the_whole_total() {
    let mut store = Store::open_in_memory().unwrap();
    for cash in [0, -1, 12500, 20000] {
        let err = store
            .begin_split_sale(&sale("s1", "111111"), cash)
            .unwrap_err();
        assert!(err.to_string().contains("cash part"), "{cash}: {err}");
    }
    assert_eq!(count(&store, "sales"), 0);
    assert_eq!(count(&store, "payments"), 0);
}

#[test]
fn print_jobs_are_pending_until_marked_done() {
    let mut store = Store::open_in_memory().unwrap();
    let at = time::macros::datetime!(2026-11-21 12:00 UTC);
    let a = store
        .add_print_job(PrintJobKind::Receipt, "s1-t1-000001", b"AAA", at)
        .unwrap();
    let b = store
        .add_print_job(PrintJobKind::Drawer, "", &[0x1b, 0x70], at)
        .unwrap();
    assert!(store.has_receipt_print_job("s1-t1-000001").unwrap());
    assert!(!store.has_receipt_print_job("s1-t1-000002").unwrap());
    assert_eq!(store.pending_print_job_count().unwrap(), 2);
    let pending = store.pending_print_jobs().unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].id, a);
    assert_eq!(pending[0].bytes, b"AAA");
    assert_eq!(pending[1].kind, PrintJobKind::Drawer);
    store.mark_print_job_done(a, at, "s1", "t1").unwrap();
    store.mark_print_job_done(a, at, "s1", "t1").unwrap();
    let pending = store.pending_print_jobs().unwrap();
    assert_eq!(pending.iter().map(|j| j.id).collect::<Vec<_>>(), vec![b]);
    // Done jobs still count as "this sale had its receipt".
    assert!(store.has_receipt_print_job("s1-t1-000001").unwrap());
    // Each print is journaled once (13012), however often it is marked; the drawer-only job
    // is a drawer opening without a sale (13005).
    store.mark_print_job_done(b, at, "s1", "t1").unwrap();
    let codes: Vec<String> = store
        .fiscal_events()
        .unwrap()
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["13012", "13005"]);
}

#[test]
fn cash_sales_without_a_paper_receipt_are_found() {
    let mut store = Store::open_in_memory().unwrap();
    // Sales made before print_jobs existed are not reprinted.
    store
        .conn
        .execute(
            "UPDATE meta SET value = '2026-11-21T11:00:00.000Z' WHERE key = 'print_jobs_since'",
            [],
        )
        .unwrap();
    let mut old = sale("s1", "111111");
    old.created_at = time::macros::datetime!(2026-11-21 10:00 UTC);
    store.record_cash_sale(&old, 13000).unwrap();
    let a = store
        .record_cash_sale(&sale("s1", "111111"), 20000)
        .unwrap();
    let b = store
        .record_cash_sale(&sale("s1", "111111"), 12500)
        .unwrap();
    // A Vipps sale is never in the list.
    store.begin_sale(&sale("s1", "111111")).unwrap();
    assert_eq!(
        store.unprinted_cash_sales().unwrap(),
        vec![(a.sale_id, 20000), (b.sale_id, 12500)]
    );
    store
        .add_print_job(PrintJobKind::Receipt, &a.receipt_number, b"x", T0)
        .unwrap();
    // A copy does not count as the receipt; the first print does (done or not).
    store
        .add_print_job(PrintJobKind::Copy, &b.receipt_number, b"x", T0)
        .unwrap();
    assert_eq!(
        store.unprinted_cash_sales().unwrap(),
        vec![(b.sale_id, 12500)]
    );
}

#[test]
fn the_full_phone_is_kept_until_the_payment_is_final_then_redacted() {
    let mut store = Store::open_in_memory().unwrap();
    let mut s = sale("s1", "123456");
    s.payment.customer_phone = Some("4791234567".into());
    let ids = store.begin_sale(&s).unwrap();
    let pid = ids.payment_id;
    assert_eq!(
        store.create_phone(pid).unwrap().as_deref(),
        Some("4791234567")
    );
    store
        .update_payment_state(pid, PayState::WaitingUser, None, None, T0)
        .unwrap();
    assert!(
        store.create_phone(pid).unwrap().is_some(),
        "kept while open"
    );
    store
        .update_payment_state(pid, PayState::Captured, None, None, T0)
        .unwrap();
    assert_eq!(
        store.create_phone(pid).unwrap(),
        None,
        "redacted when final"
    );
    let row = store.payment(pid).unwrap().unwrap();
    assert_eq!(row.phone_last_digits.as_deref(), Some("4567"));
    // QR payments never keep one.
    let mut q = sale("s1", "123456");
    q.payment.flow = Flow::Qr;
    let qr = store.begin_sale(&q).unwrap();
    assert_eq!(store.create_phone(qr.payment_id).unwrap(), None);
}

#[test]
fn a_read_only_journal_is_a_write_failure_until_writes_work_again() {
    let mut store = Store::open_in_memory().unwrap();
    store.write_probe().unwrap();
    store.fault_read_only(true).unwrap();
    let e = store.begin_sale(&sale("s1", "123456")).unwrap_err();
    assert!(e.is_write_failure(), "{e:?}");
    assert!(store.write_probe().unwrap_err().is_write_failure());
    assert_eq!(count(&store, "sales"), 0, "nothing written");
    store.fault_read_only(false).unwrap();
    store.write_probe().unwrap();
    store.begin_sale(&sale("s1", "123456")).unwrap();
    // A refused value is not a write failure.
    let mut bad = sale("s1", "123456");
    bad.currency = "SEK".into();
    assert!(!store.begin_sale(&bad).unwrap_err().is_write_failure());
}

#[test]
fn final_payment_states_are_final() {
    let mut store = Store::open_in_memory().unwrap();
    let ids = store.begin_sale(&sale("s1", "111111")).unwrap();
    store
        .update_payment_state(ids.payment_id, PayState::Captured, None, None, T0)
        .unwrap();
    for late in [
        PayState::Failed,
        PayState::Authorized,
        PayState::Creating,
        PayState::Expired,
    ] {
        let err = store
            .update_payment_state(ids.payment_id, late, Some("late"), None, T0)
            .unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::FinalState {
                    what: "payment",
                    ..
                }
            ),
            "{late}: {err:?}"
        );
        assert!(
            err.message().en.contains("captured"),
            "{}",
            err.message().en
        );
    }
    // The same final state may be written again (e.g. amounts after a refund).
    let amounts = PaymentAmounts {
        authorized: 12500,
        captured: 12500,
        refunded: 100,
        cancelled: 0,
    };
    let row = store
        .update_payment_state(ids.payment_id, PayState::Captured, None, Some(amounts), T0)
        .unwrap();
    assert_eq!(row.state, PayState::Captured);
    assert_eq!(
        store.payment(ids.payment_id).unwrap().unwrap().state,
        PayState::Captured
    );
    // And a failed payment does not become captured.
    let other = store.begin_sale(&sale("s1", "111111")).unwrap();
    store
        .update_payment_state(other.payment_id, PayState::Failed, Some("no"), None, T0)
        .unwrap();
    assert!(
        store
            .update_payment_state(other.payment_id, PayState::Captured, None, None, T0)
            .is_err()
    );
}

#[test]
fn final_sale_states_are_final_and_a_retry_reopens_only_through_a_new_attempt() {
    let mut store = Store::open_in_memory().unwrap();
    let paid = store.begin_sale(&sale("s1", "111111")).unwrap();
    store
        .set_sale_status(paid.sale_id, SaleStatus::Paid, None, T0)
        .unwrap();
    for late in [
        SaleStatus::Failed,
        SaleStatus::Open,
        SaleStatus::Cancelled,
        SaleStatus::Voided,
    ] {
        let err = store
            .set_sale_status(paid.sale_id, late, None, T0)
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::FinalState { what: "sale", .. }),
            "{late}: {err:?}"
        );
    }
    // Refunds move on from paid; refunded is final.
    store
        .set_sale_status(paid.sale_id, SaleStatus::PartiallyRefunded, None, T0)
        .unwrap();
    store
        .set_sale_status(paid.sale_id, SaleStatus::Refunded, None, T0)
        .unwrap();
    assert!(
        store
            .set_sale_status(paid.sale_id, SaleStatus::Paid, None, T0)
            .is_err()
    );

    let failed = store.begin_sale(&sale("s1", "111111")).unwrap();
    store
        .update_payment_state(failed.payment_id, PayState::Failed, None, None, T0)
        .unwrap();
    store
        .set_sale_status(failed.sale_id, SaleStatus::Failed, None, T0)
        .unwrap();
    for late in [SaleStatus::Paid, SaleStatus::Open] {
        assert!(
            matches!(
                store.set_sale_status(failed.sale_id, late, None, T0),
                Err(StoreError::FinalState { .. })
            ),
            "{late}"
        );
    }
    // A new attempt reopens it, with a fresh reference.
    let again = store
        .new_attempt(failed.sale_id, &sale("s1", "111111").payment, T0)
        .unwrap();
    assert_ne!(again.reference, failed.reference);
    assert_eq!(
        store.sale(failed.sale_id).unwrap().unwrap().sale.status,
        SaleStatus::Open
    );
    for closed in [SaleStatus::Cancelled, SaleStatus::Voided] {
        let s = store.begin_sale(&sale("s1", "111111")).unwrap();
        store.set_sale_status(s.sale_id, closed, None, T0).unwrap();
        assert!(
            store
                .set_sale_status(s.sale_id, SaleStatus::Paid, None, T0)
                .is_err()
        );
        assert!(
            store
                .set_sale_status(s.sale_id, SaleStatus::Open, None, T0)
                .is_err()
        );
    }
}

#[test]
fn a_started_attempt_has_its_deadlines_and_psp_id_from_the_same_transaction() {
    fn psp_id(reference: &str) -> String {
        format!("psp-{reference}")
    }
    let start = AttemptStart {
        user_deadline_at: Some(T0 + time::Duration::minutes(5)),
        approval_deadline_at: Some(T0 + time::Duration::minutes(10)),
        psp_transaction_id: Some(psp_id),
    };
    let mut store = Store::open_in_memory().unwrap();
    let ids = store
        .begin_sale_started(&sale("s1", "111111"), 0, &start)
        .unwrap();
    let row = store.payment(ids.payment_id).unwrap().unwrap();
    assert_eq!(row.user_deadline_at, start.user_deadline_at);
    assert_eq!(row.approval_deadline_at, start.approval_deadline_at);
    assert_eq!(
        row.psp_transaction_id,
        Some(format!("psp-{}", ids.reference))
    );

    // A refused start writes nothing at all — no payment without its deadlines.
    let next = journal::make_reference("s1", "t1", &store.install_id().unwrap(), 2, 1).unwrap();
    raw_payment(&store, ids.sale_id, "111111", &next, 9, "stray").unwrap();
    let before = ["sales", "payments", "operations"].map(|t| count(&store, t));
    assert!(
        store
            .begin_sale_started(&sale("s1", "111111"), 0, &start)
            .is_err()
    );
    assert_eq!(
        before,
        ["sales", "payments", "operations"].map(|t| count(&store, t))
    );

    // A new attempt (retry as QR) gets its own deadlines with it; no PSP id for ePayment.
    store
        .update_payment_state(ids.payment_id, PayState::Failed, Some("refused"), None, T0)
        .unwrap();
    let later = AttemptStart {
        user_deadline_at: Some(T0 + time::Duration::minutes(20)),
        approval_deadline_at: Some(T0 + time::Duration::minutes(25)),
        psp_transaction_id: None,
    };
    let retry = store
        .new_attempt_started(
            ids.sale_id,
            &sale("s1", "111111").payment,
            T0 + time::Duration::minutes(15),
            &later,
        )
        .unwrap();
    let row = store.payment(retry.payment_id).unwrap().unwrap();
    assert_eq!(row.approval_deadline_at, later.approval_deadline_at);
    assert_eq!(row.psp_transaction_id, None);
}

#[test]
fn dead_count_reads_the_partial_index_and_counts_only_unacknowledged_dead_rows() {
    let mut store = Store::open_in_memory().unwrap();
    let plan: Vec<String> = store
        .conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM outbox
             WHERE status = 'dead' AND acknowledged_at IS NULL",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|p| p.contains("outbox_dead_unacknowledged")),
        "{plan:?}"
    );
    let now = datetime!(2026-12-06 04:00 UTC);
    let ids: Vec<i64> = (0..5)
        .map(|i| {
            store
                .enqueue(
                    &NewOutbox {
                        kind: OutboxKind::Receipt,
                        payment_id: None,
                        reference: Some(format!("r{i}")),
                        idempotency_key: format!("om-r{i}"),
                        payload_json: "{}".into(),
                    },
                    now,
                )
                .unwrap()
        })
        .collect();
    store.claim_due(now, 5).unwrap();
    store.complete(ids[0], now).unwrap();
    store.mark_dead(ids[1], "refused", now).unwrap();
    store.mark_dead(ids[2], "refused", now).unwrap();
    store.mark_dead(ids[3], "refused", now).unwrap();
    store.acknowledge_dead(ids[3], "staff-1", now).unwrap();
    // ids[4] stays in flight.
    assert_eq!(store.dead_unacknowledged_count().unwrap(), 2);
    assert_eq!(
        store.list(OutboxFilter::DeadUnacknowledged).unwrap().len(),
        2
    );
    assert_eq!(store.pending_count().unwrap(), 1);
    store.acknowledge_dead(ids[1], "staff-1", now).unwrap();
    assert_eq!(store.dead_unacknowledged_count().unwrap(), 1);
}
