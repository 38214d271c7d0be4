#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Outbox tests: idempotent enqueue, claiming, back-off, dead rows, crash recovery.

use kasse::store::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-21 12:00:00 UTC);

fn row(kind: OutboxKind, key: &str) -> NewOutbox {
    NewOutbox {
        kind,
        payment_id: None,
        reference: Some("kasse-s1-t1-000001-a1".into()),
        idempotency_key: key.into(),
        payload_json: r#"{"modificationAmount":{"value":8440,"currency":"NOK"}}"#.into(),
    }
}

#[test]
fn enqueue_is_idempotent_on_the_key() {
    let mut store = Store::open_in_memory().unwrap();
    let a = store
        .enqueue(&row(OutboxKind::Capture, "key-1"), T0)
        .unwrap();
    let again = store
        .enqueue(
            &row(OutboxKind::Capture, "key-1"),
            T0 + Duration::seconds(5),
        )
        .unwrap();
    assert_eq!(a, again);
    let mut changed = row(OutboxKind::Capture, "key-1");
    changed.payload_json = r#"{"modificationAmount":{"value":1,"currency":"NOK"}}"#.into();
    assert_eq!(store.enqueue(&changed, T0).unwrap(), a);
    let rows = store.list(OutboxFilter::All).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].payload_json,
        row(OutboxKind::Capture, "key-1").payload_json,
        "the key keeps its first body"
    );
    assert_eq!(rows[0].created_at, T0);
    assert_eq!(rows[0].status, OutboxStatus::Pending);
    assert_eq!(rows[0].attempts, 0);

    // The same key for a different kind of request is a bug, not a retry.
    let err = store
        .enqueue(&row(OutboxKind::Refund, "key-1"), T0)
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    let b = store
        .enqueue(&row(OutboxKind::Receipt, "key-2"), T0)
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(store.pending_count().unwrap(), 2);
}

#[test]
fn enqueue_rejects_bad_keys_and_payloads() {
    let mut store = Store::open_in_memory().unwrap();
    for key in ["", "has space", &"x".repeat(51)] {
        assert!(
            matches!(
                store
                    .enqueue(&row(OutboxKind::Capture, key), T0)
                    .unwrap_err(),
                StoreError::Invalid {
                    field: "idempotency_key",
                    ..
                }
            ),
            "{key:?}"
        );
    }
    let mut bad = row(OutboxKind::Capture, "k");
    bad.payload_json = "{not json".into();
    assert!(matches!(
        store.enqueue(&bad, T0).unwrap_err(),
        StoreError::Invalid {
            field: "payload_json",
            ..
        }
    ));
    assert_eq!(store.pending_count().unwrap(), 0);
}

#[test]
fn claim_due_respects_next_attempt_at_and_counts_attempts() {
    let mut store = Store::open_in_memory().unwrap();
    let a = store.enqueue(&row(OutboxKind::Capture, "a"), T0).unwrap();
    let b = store
        .enqueue(&row(OutboxKind::Receipt, "b"), T0 + Duration::seconds(1))
        .unwrap();
    store
        .reschedule(b, T0 + Duration::seconds(60), "HTTP 503", T0)
        .unwrap();

    let claimed = store.claim_due(T0 + Duration::seconds(10), 10).unwrap();
    assert_eq!(claimed.iter().map(|r| r.id).collect::<Vec<_>>(), [a]);
    assert_eq!(claimed[0].status, OutboxStatus::InFlight);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].idempotency_key, "a");
    // Already in flight: not claimed twice.
    assert!(
        store
            .claim_due(T0 + Duration::seconds(10), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.next_due_at().unwrap(),
        Some(T0 + Duration::seconds(60))
    );

    // Transient failure: back to pending, later, same key, error kept.
    store
        .reschedule(
            a,
            T0 + Duration::seconds(30),
            "timeout",
            T0 + Duration::seconds(10),
        )
        .unwrap();
    let r = store.outbox_row(a).unwrap().unwrap();
    assert_eq!(r.status, OutboxStatus::Pending);
    assert_eq!(r.last_error.as_deref(), Some("timeout"));
    assert!(
        store
            .claim_due(T0 + Duration::seconds(29), 10)
            .unwrap()
            .is_empty()
    );
    let claimed = store.claim_due(T0 + Duration::seconds(60), 1).unwrap();
    assert_eq!(claimed.len(), 1, "limit honoured");
    assert_eq!(claimed[0].id, a, "earliest due first");
    assert_eq!(claimed[0].attempts, 2);
    assert_eq!(claimed[0].idempotency_key, "a");
    store.complete(a, T0 + Duration::seconds(61)).unwrap();
    store.complete(a, T0 + Duration::seconds(62)).unwrap();
    assert_eq!(
        store.outbox_row(a).unwrap().unwrap().status,
        OutboxStatus::Done
    );
    assert!(store.reschedule(a, T0, "x", T0).is_err(), "done is final");

    let claimed = store.claim_due(T0 + Duration::seconds(60), 10).unwrap();
    assert_eq!(claimed.iter().map(|r| r.id).collect::<Vec<_>>(), [b]);
    assert_eq!(store.pending_count().unwrap(), 1);
}

#[test]
fn dead_rows_stay_visible_until_acknowledged() {
    let mut store = Store::open_in_memory().unwrap();
    let a = store.enqueue(&row(OutboxKind::Refund, "a"), T0).unwrap();
    store.claim_due(T0, 10).unwrap();
    store
        .mark_dead(a, "HTTP 400: refund exceeds captured amount", T0)
        .unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    assert_eq!(store.unresolved_count().unwrap(), 1);
    let dead = store.list(OutboxFilter::DeadUnacknowledged).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("HTTP 400: refund exceeds captured amount")
    );
    assert!(store.complete(a, T0).is_err(), "dead is final");
    assert!(
        store
            .claim_due(T0 + Duration::days(1), 10)
            .unwrap()
            .is_empty()
    );

    store
        .acknowledge_dead(a, "manager-1", T0 + Duration::minutes(1))
        .unwrap();
    assert_eq!(store.unresolved_count().unwrap(), 0);
    assert!(
        store
            .list(OutboxFilter::DeadUnacknowledged)
            .unwrap()
            .is_empty()
    );
    let r = &store
        .list(OutboxFilter::Status(OutboxStatus::Dead))
        .unwrap()[0];
    assert_eq!(r.acknowledged_by.as_deref(), Some("manager-1"));
    assert_eq!(r.acknowledged_at, Some(T0 + Duration::minutes(1)));
    let b = store.enqueue(&row(OutboxKind::Receipt, "b"), T0).unwrap();
    assert!(
        store.acknowledge_dead(b, "manager-1", T0).is_err(),
        "only dead rows"
    );
}

#[test]
fn crash_recovery_resets_in_flight_rows_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kasse.sqlite3");
    let (a, b) = {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.recovered_in_flight(), 0);
        let a = store
            .enqueue(&row(OutboxKind::Capture, "cap-key-1"), T0)
            .unwrap();
        let b = store
            .enqueue(&row(OutboxKind::Receipt, "rcpt-key-1"), T0)
            .unwrap();
        let claimed = store.claim_due(T0, 10).unwrap();
        assert_eq!(claimed.len(), 2);
        store.complete(b, T0).unwrap();
        assert_eq!(
            store.list(OutboxFilter::Open).unwrap()[0].status,
            OutboxStatus::InFlight
        );
        (a, b)
        // Dropped here without completing `a`: the process "crashed" mid-call.
    };
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.recovered_in_flight(), 1);
    let r = store.outbox_row(a).unwrap().unwrap();
    assert_eq!(r.status, OutboxStatus::Pending);
    assert_eq!(r.idempotency_key, "cap-key-1");
    assert_eq!(r.attempts, 1, "the interrupted attempt still counts");
    assert_eq!(
        store.outbox_row(b).unwrap().unwrap().status,
        OutboxStatus::Done
    );
    let again = store.claim_due(T0, 10).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].idempotency_key, "cap-key-1");
    assert_eq!(store.recover_in_flight().unwrap(), 1);
    assert_eq!(store.recover_in_flight().unwrap(), 0);
}

#[test]
fn state_change_and_outbox_row_commit_together_or_not_at_all() {
    let mut store = Store::open_in_memory().unwrap();
    let sale = NewSale {
        shop_id: "s1".into(),
        till_id: "t1".into(),
        staff_id: None,
        currency: "NOK".into(),
        gross_total: 1000,
        vat_total: 200,
        net_total: 800,
        training: true,
        tender: "vipps".into(),
        description: Some("test".into()),
        lines: vec![NewSaleLine {
            product_id: None,
            name: "Vare".into(),
            quantity: "1".into(),
            quantity_milli: 1000,
            unit: "pcs".into(),
            unit_price: 1000,
            discount: 0,
            vat_rate: 2500,
            gross: 1000,
            net: 800,
            vat: 200,
            is_return: false,
        }],
        payment: NewPayment {
            api: Api::Ecom,
            msn: "654321".into(),
            flow: Flow::Qr,
            customer_phone: None,
        },
        created_at: T0,
    };
    let ids = store.begin_sale(&sale).unwrap();
    let capture = NewOutbox {
        kind: OutboxKind::Capture,
        payment_id: Some(ids.payment_id),
        reference: Some(ids.reference.clone()),
        idempotency_key: ids.keys.capture.clone(),
        payload_json: "{}".into(),
    };
    // A failing closure rolls back both writes.
    let err = store
        .transaction(|tx| {
            tx.update_payment_state(ids.payment_id, PayState::Capturing, None, None, T0)?;
            tx.enqueue(&capture, T0)?;
            Err::<(), _>(StoreError::Closed)
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Closed));
    assert_eq!(
        store.payment(ids.payment_id).unwrap().unwrap().state,
        PayState::Creating
    );
    assert_eq!(store.pending_count().unwrap(), 0);

    let out = store
        .transaction(|tx| {
            let p = tx.payment(ids.payment_id)?.unwrap();
            assert_eq!(p.state, PayState::Creating);
            tx.update_payment_state(ids.payment_id, PayState::Capturing, None, None, T0)?;
            tx.enqueue(&capture, T0)
        })
        .unwrap();
    assert_eq!(
        store.payment(ids.payment_id).unwrap().unwrap().state,
        PayState::Capturing
    );
    let r = store.outbox_row(out).unwrap().unwrap();
    assert_eq!(r.idempotency_key, ids.keys.capture);
    assert_eq!(r.payment_id, Some(ids.payment_id));
    assert!(store.sale(ids.sale_id).unwrap().unwrap().sale.training);
}

#[tokio::test]
async fn async_store_drives_the_outbox() {
    let store = AsyncStore::new(Store::open_in_memory().unwrap()).unwrap();
    let id = store
        .run(|s| s.enqueue(&row(OutboxKind::Category, "cat-1"), T0))
        .await
        .unwrap();
    let claimed = store.run(|s| s.claim_due(T0, 5)).await.unwrap();
    assert_eq!(claimed[0].id, id);
    store.run(move |s| s.complete(id, T0)).await.unwrap();
    assert_eq!(store.run(|s| s.pending_count()).await.unwrap(), 0);
}

#[test]
fn recovery_works_when_the_process_died_without_closing_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kasse.sqlite3");
    let mut crashed = Store::open(&path).unwrap();
    let id = crashed
        .enqueue(&row(OutboxKind::Cancel, "cancel-key-9"), T0)
        .unwrap();
    assert_eq!(crashed.claim_due(T0, 10).unwrap().len(), 1);
    // No close, no checkpoint: the committed rows live only in the WAL file.
    std::mem::forget(crashed);
    assert!(dir.path().join("kasse.sqlite3-wal").exists());

    let store = Store::open(&path).unwrap();
    assert_eq!(store.recovered_in_flight(), 1);
    let r = store.outbox_row(id).unwrap().unwrap();
    assert_eq!(r.status, OutboxStatus::Pending);
    assert_eq!(r.idempotency_key, "cancel-key-9");
    assert_eq!(r.kind, OutboxKind::Cancel);
}

#[test]
fn a_success_is_journaled_with_its_done_row_in_one_transaction_or_not_at_all() {
    let mut store = Store::open_in_memory().unwrap();
    let a = store
        .enqueue(&row(OutboxKind::Receipt, "om-a"), T0)
        .unwrap();
    let b = store
        .enqueue(&row(OutboxKind::Receipt, "om-b"), T0)
        .unwrap();
    store.claim_due(T0, 2).unwrap();
    let op = |id: i64| NewOperation {
        outbox_id: Some(id),
        idempotency_key: Some(format!("key-of-{id}")),
        request_summary: Some("receipt".into()),
        ..NewOperation::new("receipt", OpOutcome::Ok, T0)
    };
    let journaled = |store: &Store| {
        store
            .operations_between(T0 - Duration::hours(1), T0 + Duration::hours(1))
            .unwrap()
            .into_iter()
            .filter(|o| o.op.kind == "receipt")
            .count()
    };
    store.complete_journaled(a, &op(a), T0).unwrap();
    assert_eq!(
        store.outbox_row(a).unwrap().unwrap().status,
        OutboxStatus::Done
    );
    assert_eq!(journaled(&store), 1);
    // A row that cannot be completed (dead) writes no journal entry either.
    store.mark_dead(b, "refused", T0).unwrap();
    assert!(store.complete_journaled(b, &op(b), T0).is_err());
    assert_eq!(journaled(&store), 1);
    assert_eq!(
        store.outbox_row(b).unwrap().unwrap().status,
        OutboxStatus::Dead
    );
}
