#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Store tests: open/pragmas/corruption, schema snapshot, write-ahead sale, attempts, queries.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use kasse::clock::{IdGen, SeqIds};
use kasse::store::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-21 12:00:00 UTC);

fn line(name: &str, gross: i64, net: i64, rate: i64) -> NewSaleLine {
    NewSaleLine {
        product_id: Some(format!("p-{name}")),
        name: name.into(),
        quantity: "1".into(),
        quantity_milli: 1000,
        unit: "pcs".into(),
        unit_price: gross,
        discount: 0,
        vat_rate: rate,
        gross,
        net,
        vat: gross - net,
        is_return: false,
    }
}

fn sale(shop: &str, till: &str, at: OffsetDateTime) -> NewSale {
    let lines = vec![
        line("Kaffe", 4990, 3992, 2500),
        line("Bolle", 3450, 3080, 1200),
    ];
    NewSale {
        shop_id: shop.into(),
        till_id: till.into(),
        staff_id: Some("anna".into()),
        currency: "NOK".into(),
        gross_total: 8440,
        vat_total: 8440 - 7072,
        net_total: 7072,
        training: false,
        tender: "vipps".into(),
        description: None,
        lines,
        payment: NewPayment {
            api: Api::Epayment,
            msn: "123456".into(),
            flow: Flow::Push,
            customer_phone: Some("+47 912 34 567".into()),
        },
        created_at: at,
    }
}

fn sale_count(store: &Store) -> usize {
    store.find_sales(&SaleQuery::default()).unwrap().len()
}

#[test]
fn pragmas_are_read_back_after_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("k.sqlite3")).unwrap();
    assert_eq!(store.pragma("journal_mode").unwrap(), "wal");
    assert_eq!(store.pragma("synchronous").unwrap(), "2");
    assert_eq!(store.pragma("foreign_keys").unwrap(), "1");
    assert_eq!(store.pragma("busy_timeout").unwrap(), "5000");
    assert_eq!(
        store.schema_version().unwrap(),
        kasse::store::SCHEMA_VERSION
    );
    drop(store);
    // A fresh open of the same file is WAL and at the same schema (migrations not re-run).
    let store = Store::open(&dir.path().join("k.sqlite3")).unwrap();
    assert_eq!(store.pragma("journal_mode").unwrap(), "wal");
    assert_eq!(
        store.schema_version().unwrap(),
        kasse::store::SCHEMA_VERSION
    );
}

#[test]
fn in_memory_store_has_the_same_safety_pragmas() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.pragma("journal_mode").unwrap(), "memory");
    assert_eq!(store.pragma("synchronous").unwrap(), "2");
    assert_eq!(store.pragma("foreign_keys").unwrap(), "1");
    assert_eq!(store.pragma("busy_timeout").unwrap(), "5000");
}

#[test]
fn open_in_dir_creates_the_directory_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a").join("b");
    let store = Store::open_in_dir(&data).unwrap();
    assert_eq!(store.path().unwrap(), data.join(DB_FILE_NAME));
    assert!(data.join("kasse.sqlite3").is_file());
}

#[test]
fn default_data_dir_is_named_after_kasse() {
    if let Some(d) = default_data_dir() {
        assert!(
            d.to_string_lossy().to_lowercase().contains("kasse"),
            "{d:?}"
        );
    }
}

#[test]
fn garbage_file_is_refused_and_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kasse.sqlite3");
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let msg = err.message();
    assert!(msg.en.contains("not been changed or deleted"), "{}", msg.en);
    assert!(msg.nb.contains("ikke endret eller slettet"), "{}", msg.nb);
    assert!(msg.en.contains("kasse.sqlite3"));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no -wal/-shm or other files: {names:?}");
    // Same through open_in_dir and a second try.
    assert!(matches!(
        Store::open_in_dir(dir.path()).unwrap_err(),
        StoreError::Corrupt { .. }
    ));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn damaged_sqlite_file_is_refused_and_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kasse.sqlite3");
    {
        let mut store = Store::open(&path).unwrap();
        store.begin_sale(&sale("s1", "t1", T0)).unwrap();
    }
    assert!(
        !dir.path().join("kasse.sqlite3-wal").exists(),
        "clean close checkpoints the WAL"
    );
    // Keep the valid header, smash every page after it.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 4096);
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn another_programs_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.message().en.contains("another program"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn schema_is_pinned() {
    let store = Store::open_in_memory().unwrap();
    insta::assert_snapshot!("store_schema", store.schema_sql().unwrap().join(";\n\n"));
}

#[test]
fn begin_sale_writes_everything_in_one_go() {
    let mut store = Store::open_in_memory()
        .unwrap()
        .with_id_gen(Arc::new(SeqIds::default()));
    let ids = store.begin_sale(&sale("s1", "t2", T0)).unwrap();
    assert_eq!(ids.sequence, 1);
    // The first id is the install id (`00000001`), the next three the payment's keys.
    assert_eq!(store.install_id().unwrap(), "00000001");
    assert_eq!(ids.reference, "kasse-s1-t2-00000001-000001-a1");
    assert_eq!(ids.receipt_number, "s1-t2-000001");
    assert_eq!(ids.attempt, 1);
    assert_eq!(ids.keys.create, "00000000-0000-0000-0000-000000000002");
    assert_eq!(ids.keys.capture, "00000000-0000-0000-0000-000000000003");
    assert_eq!(ids.keys.cancel, "00000000-0000-0000-0000-000000000004");

    let rec = store.sale(ids.sale_id).unwrap().unwrap();
    assert_eq!(rec.sale.status, SaleStatus::Open);
    assert_eq!(rec.sale.gross_total, 8440);
    assert_eq!(rec.sale.receipt_number, ids.receipt_number);
    assert_eq!(rec.sale.staff_id.as_deref(), Some("anna"));
    assert_eq!(rec.sale.created_at, T0);
    assert_eq!(rec.lines.len(), 2);
    assert_eq!(rec.lines[0].line_no, 1);
    assert_eq!(rec.lines[1].line.name, "Bolle");
    assert_eq!(rec.lines[1].line.vat_rate, 1200);
    assert_eq!(rec.payments.len(), 1);
    let p = &rec.payments[0];
    assert_eq!(p.id, ids.payment_id);
    assert_eq!(p.reference, ids.reference);
    assert_eq!(p.keys, ids.keys);
    assert_eq!(p.state, PayState::Creating);
    assert_eq!(p.amount, 8440);
    assert_eq!(p.currency, "NOK");
    assert_eq!(
        p.phone_last_digits.as_deref(),
        Some("4567"),
        "only the last 4 digits are kept"
    );
    assert_eq!(p.created_at, T0);
    assert_eq!(
        store.payment_by_reference(&ids.reference).unwrap().unwrap(),
        *p
    );
    let ops = store.operations_for_sale(ids.sale_id).unwrap();
    let kinds: Vec<_> = ops.iter().map(|o| o.op.kind.as_str()).collect();
    assert_eq!(kinds, ["sale_opened", "payment_written"]);
    assert_eq!(
        ops[1].op.idempotency_key.as_deref(),
        Some(ids.keys.create.as_str())
    );
}

/// An id generator that repeats 1, 2, 3, 1, 2, 3...: the second sale's keys collide with the
/// first's when its payment row is inserted, after its sale and lines were written.
#[derive(Default)]
struct CyclingIds(AtomicU64);
impl IdGen for CyclingIds {
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::Relaxed) % 3 + 1))
    }
}

#[test]
fn begin_sale_failing_midway_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.sqlite3");
    let mut store = Store::open(&path)
        .unwrap()
        .with_id_gen(Arc::new(CyclingIds::default()));
    let first = store.begin_sale(&sale("s1", "t1", T0)).unwrap();
    let err = store
        .begin_sale(&sale("s1", "t1", T0 + Duration::minutes(1)))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "idempotency key",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sale_count(&store), 1);
    assert!(
        store
            .payment_by_reference(&format!(
                "kasse-s1-t1-{}-000002-a1",
                store.install_id().unwrap()
            ))
            .unwrap()
            .is_none()
    );
    let second_receipt = SaleQuery {
        receipt_number: Some("s1-t1-000002".into()),
        ..Default::default()
    };
    assert!(store.find_sales(&second_receipt).unwrap().is_empty());
    assert_eq!(
        store.operations_for_sale(first.sale_id + 1).unwrap(),
        vec![]
    );
    // The sequence number was rolled back with the rest.
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.next_sequence("s1", "t1").unwrap(), first.sequence + 1);
}

#[test]
fn begin_sale_rejects_bad_input_with_the_field_named() {
    let mut store = Store::open_in_memory().unwrap();
    let mut s = sale("s1", "t1", T0);
    s.lines[0].vat = 1;
    let err = store.begin_sale(&s).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Invalid {
                field: "line amounts",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.message().en.contains("line 1"));
    assert!(err.message().nb.contains("Ugyldig"));

    let s = sale("s 1", "t1", T0);
    let err = store.begin_sale(&s).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Invalid {
                field: "shop_id",
                ..
            }
        ),
        "{err:?}"
    );

    let mut s = sale("s1", "t1", T0);
    s.currency = "SEK".into();
    assert!(matches!(
        store.begin_sale(&s).unwrap_err(),
        StoreError::Invalid {
            field: "currency",
            ..
        }
    ));

    let mut s = sale("s1", "t1", T0);
    s.gross_total += 1;
    s.net_total += 1;
    assert!(matches!(
        store.begin_sale(&s).unwrap_err(),
        StoreError::Invalid {
            field: "totals",
            ..
        }
    ));
    assert_eq!(sale_count(&store), 0);
    assert_eq!(
        store.next_sequence("s1", "t1").unwrap(),
        1,
        "refused sales use no number"
    );
}

#[test]
fn sequence_is_monotonic_per_till_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.sqlite3");
    let mut seen = Vec::new();
    {
        let mut store = Store::open(&path).unwrap();
        seen.push(store.next_sequence("s1", "t1").unwrap());
        seen.push(store.begin_sale(&sale("s1", "t1", T0)).unwrap().sequence);
        assert_eq!(
            store.next_sequence("s1", "t2").unwrap(),
            1,
            "independent per till"
        );
    }
    {
        let mut store = Store::open(&path).unwrap();
        seen.push(store.next_sequence("s1", "t1").unwrap());
        seen.push(store.begin_sale(&sale("s1", "t1", T0)).unwrap().sequence);
        assert_eq!(store.next_counter("s1", "t1", "z_report").unwrap(), 1);
    }
    assert_eq!(seen, [1, 2, 3, 4]);
}

#[test]
fn new_attempt_gets_a_new_reference_and_keys_only_after_the_last_one_ended() {
    let mut store = Store::open_in_memory().unwrap();
    let first = store.begin_sale(&sale("s1", "t2", T0)).unwrap();
    let p2 = NewPayment {
        api: Api::Epayment,
        msn: "123456".into(),
        flow: Flow::Qr,
        customer_phone: None,
    };
    let err = store.new_attempt(first.sale_id, &p2, T0).unwrap_err();
    assert!(
        matches!(err, StoreError::AttemptInProgress { ref reference } if reference == &first.reference)
    );

    store
        .update_payment_state(
            first.payment_id,
            PayState::Rejected,
            Some("user rejected"),
            None,
            T0,
        )
        .unwrap();
    let second = store
        .new_attempt(first.sale_id, &p2, T0 + Duration::seconds(30))
        .unwrap();
    assert_eq!(second.sale_id, first.sale_id);
    assert_eq!(second.attempt, 2);
    let inst = store.install_id().unwrap();
    assert_eq!(second.reference, format!("kasse-s1-t2-{inst}-000001-a2"));
    assert_eq!(second.receipt_number, first.receipt_number);
    assert_ne!(second.keys.create, first.keys.create);
    assert_ne!(second.keys.capture, first.keys.capture);
    let rec = store.sale(first.sale_id).unwrap().unwrap();
    assert_eq!(rec.payments.len(), 2);
    assert_eq!(rec.payments[1].flow, Flow::Qr);
    assert_eq!(rec.payments[1].amount, 8440);

    // Paid: no more attempts.
    let paid = PaymentAmounts {
        authorized: 8440,
        captured: 8440,
        ..Default::default()
    };
    store
        .update_payment_state(second.payment_id, PayState::Captured, None, Some(paid), T0)
        .unwrap();
    store
        .set_sale_status(first.sale_id, SaleStatus::Paid, None, T0)
        .unwrap();
    let err = store.new_attempt(first.sale_id, &p2, T0).unwrap_err();
    assert!(matches!(err, StoreError::SaleClosed { .. }), "{err:?}");
    assert!(matches!(
        store.new_attempt(4242, &p2, T0).unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

#[test]
fn update_payment_state_records_amounts_and_journals_the_change() {
    let mut store = Store::open_in_memory().unwrap();
    let ids = store.begin_sale(&sale("s1", "t1", T0)).unwrap();
    let t1 = T0 + Duration::seconds(12);
    let amounts = PaymentAmounts {
        authorized: 8440,
        captured: 0,
        refunded: 0,
        cancelled: 0,
    };
    let p = store
        .update_payment_state(
            ids.payment_id,
            PayState::Authorized,
            None,
            Some(amounts),
            t1,
        )
        .unwrap();
    assert_eq!(p.state, PayState::Authorized);
    assert_eq!(p.amounts, amounts);
    assert_eq!(p.last_read_at, Some(t1));
    assert_eq!(p.updated_at, t1);
    let t2 = t1 + Duration::seconds(1);
    store
        .set_payment_deadlines(ids.payment_id, Some(t2), Some(t2 + Duration::minutes(5)))
        .unwrap();
    store
        .set_psp_transaction_id(ids.payment_id, "psp-1")
        .unwrap();
    let p = store.payment(ids.payment_id).unwrap().unwrap();
    assert_eq!(p.user_deadline_at, Some(t2));
    assert_eq!(p.approval_deadline_at, Some(t2 + Duration::minutes(5)));
    assert_eq!(p.psp_transaction_id.as_deref(), Some("psp-1"));

    store
        .record_operation(&NewOperation {
            payment_id: Some(ids.payment_id),
            idempotency_key: Some(ids.keys.capture.clone()),
            request_summary: Some("POST capture 8440 NOK".into()),
            http_status: Some(504),
            detail: Some("gateway timeout".into()),
            staff_id: Some("anna".into()),
            ..NewOperation::new("capture", OpOutcome::Timeout, t2)
        })
        .unwrap();
    let ops = store.operations_for_payment(ids.payment_id).unwrap();
    let last = &ops.last().unwrap().op;
    assert_eq!(last.kind, "capture");
    assert_eq!(last.outcome, OpOutcome::Timeout);
    assert_eq!(last.http_status, Some(504));
    assert_eq!(last.at, t2);
    let state = ops.iter().find(|o| o.op.kind == "state").unwrap();
    assert_eq!(state.op.outcome, OpOutcome::StateChange);
    assert!(
        state
            .op
            .detail
            .as_deref()
            .unwrap()
            .starts_with("creating -> authorized")
    );

    assert!(matches!(
        store
            .update_payment_state(999, PayState::Failed, None, None, t2)
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

#[test]
fn unfinished_payments_are_the_non_terminal_ones() {
    let mut store = Store::open_in_memory().unwrap();
    for (i, state) in PayState::ALL.iter().enumerate() {
        let ids = store
            .begin_sale(&sale("s1", "t1", T0 + Duration::seconds(i as i64)))
            .unwrap();
        store
            .update_payment_state(ids.payment_id, *state, None, None, T0)
            .unwrap();
    }
    let unfinished: Vec<PayState> = store
        .unfinished_payments()
        .unwrap()
        .iter()
        .map(|p| p.state)
        .collect();
    assert_eq!(
        unfinished,
        [
            PayState::Creating,
            PayState::WaitingUser,
            PayState::WaitingApproval,
            PayState::Authorized,
            PayState::Capturing,
            PayState::Cancelling,
        ]
    );
}

#[test]
fn find_sales_by_reference_receipt_amount_phone_and_time() {
    let mut store = Store::open_in_memory().unwrap();
    let a = store.begin_sale(&sale("s1", "t1", T0)).unwrap();
    let mut other = sale("s1", "t1", T0 + Duration::hours(2));
    other.lines = vec![line("Te", 3000, 2400, 2500)];
    other.gross_total = 3000;
    other.net_total = 2400;
    other.vat_total = 600;
    other.payment.customer_phone = Some("4799998888".into());
    let b = store.begin_sale(&other).unwrap();

    let q =
        |q: SaleQuery| -> Vec<i64> { store.find_sales(&q).unwrap().iter().map(|s| s.id).collect() };
    let all = SaleQuery::default;
    assert_eq!(
        q(SaleQuery {
            reference: Some(a.reference.clone()),
            ..all()
        }),
        [a.sale_id]
    );
    assert_eq!(
        q(SaleQuery {
            receipt_number: Some(b.receipt_number.clone()),
            ..all()
        }),
        [b.sale_id]
    );
    assert_eq!(
        q(SaleQuery {
            gross_total: Some(3000),
            ..all()
        }),
        [b.sale_id]
    );
    assert_eq!(
        q(SaleQuery {
            phone_last_digits: Some("567".into()),
            ..all()
        }),
        [a.sale_id]
    );
    assert_eq!(
        q(SaleQuery {
            from: Some(T0 + Duration::hours(1)),
            ..all()
        }),
        [b.sale_id]
    );
    assert_eq!(q(all()), [b.sale_id, a.sale_id], "newest first");
    assert!(
        q(SaleQuery {
            gross_total: Some(3000),
            to: Some(T0 + Duration::hours(1)),
            ..all()
        })
        .is_empty()
    );
    assert!(matches!(
        store
            .find_sales(&SaleQuery {
                phone_last_digits: Some("12345".into()),
                ..all()
            })
            .unwrap_err(),
        StoreError::Invalid {
            field: "phone_last_digits",
            ..
        }
    ));

    let day: Vec<i64> = store
        .sales_between(T0, T0 + Duration::hours(2))
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(day, [a.sale_id], "`to` is exclusive");
    assert_eq!(
        store
            .sales_between(T0, T0 + Duration::days(1))
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn meta_refuses_secret_looking_keys() {
    let mut store = Store::open_in_memory().unwrap();
    store.meta_set("till_name", "Kasse 2").unwrap();
    assert_eq!(
        store.meta_get("till_name").unwrap().as_deref(),
        Some("Kasse 2")
    );
    for k in [
        "client_secret",
        "access_token",
        "subscription_key",
        "manager_pin",
    ] {
        assert!(
            matches!(
                store.meta_set(k, "x").unwrap_err(),
                StoreError::Invalid { .. }
            ),
            "{k}"
        );
    }
}

#[tokio::test]
async fn async_store_runs_closures_on_its_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncStore::open(&dir.path().join("k.sqlite3"))
        .await
        .unwrap();
    let caller = std::thread::current().id();
    let (thread, ids) = store
        .call(|s| {
            (
                std::thread::current().id(),
                s.begin_sale(&sale("s1", "t1", T0)),
            )
        })
        .await
        .unwrap();
    assert_ne!(thread, caller);
    let ids = ids.unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.run(|st| st.next_sequence("s1", "t1")).await.unwrap() })
        })
        .collect();
    let mut seqs = Vec::new();
    for h in handles {
        seqs.push(h.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (2..=9).collect::<Vec<i64>>());
    let reference = ids.reference.clone();
    let p = store
        .run(move |s| s.payment_by_reference(&reference))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.id, ids.payment_id);
}

#[tokio::test]
async fn async_store_survives_a_panicking_job_and_rolls_it_back() {
    let store = AsyncStore::new(Store::open_in_memory().unwrap()).unwrap();
    let r = store
        .call(|s| -> i32 {
            let _ = s.transaction(|tx| {
                tx.begin_sale(&sale("s1", "t1", T0))?;
                panic!("boom inside a transaction");
                #[allow(unreachable_code)]
                Ok(())
            });
            0
        })
        .await;
    assert!(matches!(r, Err(StoreError::JobPanicked)), "{r:?}");
    let count = store
        .run(|s| s.find_sales(&SaleQuery::default()))
        .await
        .unwrap()
        .len();
    assert_eq!(count, 0, "the panicking job's writes were rolled back");
    let ids = store
        .run(|s| s.begin_sale(&sale("s1", "t1", T0)))
        .await
        .unwrap();
    assert_eq!(ids.sequence, 1);
}

#[test]
fn reference_search_accepts_a_part_of_the_reference() {
    let mut store = Store::open_in_memory().unwrap();
    let a = store.begin_sale(&sale("s1", "t1", T0)).unwrap();
    let b = store.begin_sale(&sale("s1", "t1", T0)).unwrap();
    let find = |r: &str| -> Vec<i64> {
        store
            .find_sales(&SaleQuery {
                reference: Some(r.into()),
                ..Default::default()
            })
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(find("000002"), [b.sale_id]);
    assert_eq!(find(&a.reference), [a.sale_id]);
    assert!(find("000003").is_empty());
    assert!(
        store
            .find_sales(&SaleQuery {
                reference: Some(" ".into()),
                ..Default::default()
            })
            .is_err()
    );
}

#[test]
fn counters_can_be_raised_for_a_replaced_database_but_never_lowered() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .ensure_counter_at_least("s1", "t1", SALE_COUNTER, 500)
        .unwrap();
    let ids = store.begin_sale(&sale("s1", "t1", T0)).unwrap();
    let inst = store.install_id().unwrap();
    assert_eq!(ids.reference, format!("kasse-s1-t1-{inst}-000501-a1"));
    store
        .ensure_counter_at_least("s1", "t1", SALE_COUNTER, 10)
        .unwrap();
    assert_eq!(store.next_sequence("s1", "t1").unwrap(), 502);
}

#[test]
fn operations_between_covers_the_day() {
    let mut store = Store::open_in_memory().unwrap();
    store.begin_sale(&sale("s1", "t1", T0)).unwrap();
    store
        .record_operation(&NewOperation {
            staff_id: Some("manager-1".into()),
            ..NewOperation::new("drawer_open", OpOutcome::Info, T0 + Duration::days(1))
        })
        .unwrap();
    let today = store
        .operations_between(T0, T0 + Duration::days(1))
        .unwrap();
    let kinds: Vec<&str> = today.iter().map(|o| o.op.kind.as_str()).collect();
    assert_eq!(
        kinds.len(),
        3,
        "install + sale_opened + payment_written: {kinds:?}"
    );
    assert_eq!(kinds[0], "install", "the first sale mints the install id");
    let tomorrow = store
        .operations_between(T0 + Duration::days(1), T0 + Duration::days(2))
        .unwrap();
    assert_eq!(tomorrow[0].op.kind, "drawer_open");
    assert_eq!(tomorrow[0].op.staff_id.as_deref(), Some("manager-1"));
}
