//! Schema upgrade v1 → v2: a frozen v1 journal (tests/fixtures/schema_v1.sql) opens, is migrated,
//! keeps every row, and gains the staff tables; the staff module refuses a v1 file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kasse::domain::refund::RefundMode;
use kasse::store::{DB_FILE_NAME, OutboxFilter, PayState, SCHEMA_VERSION, SaleStatus, Store};

const V1: &str = include_str!("fixtures/schema_v1.sql");

fn v1_file() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    conn.execute_batch(V1).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
    dir
}

#[test]
fn staff_refuses_a_v1_file() {
    let dir = v1_file();
    // Staff commands beside a running till open the journal without migrating it.
    let e = Store::open_beside(dir.path()).unwrap_err();
    assert!(
        e.message().en.contains("schema version 1"),
        "{}",
        e.message().en
    );
}

#[test]
fn upgrade_v1_to_latest_keeps_everything() {
    let dir = v1_file();
    let path = dir.path().join(DB_FILE_NAME);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let rec = store.sale(1).unwrap().unwrap();
    assert_eq!(rec.sale.receipt_number, "s1-t1-000001");
    assert_eq!(rec.sale.status, SaleStatus::Paid);
    assert_eq!(rec.lines.len(), 1);
    assert_eq!(rec.payments[0].state, PayState::Captured);
    assert_eq!(rec.payments[0].amounts.captured, 4990);
    assert_eq!(store.list(OutboxFilter::All).unwrap().len(), 1);
    assert_eq!(store.operations_for_sale(1).unwrap().len(), 1);
    let schema = store.schema_sql().unwrap().join("\n");
    for t in [
        "staff",
        "staff_actions",
        "refunds",
        "refund_lines",
        "z_reports",
        "staff_login_guard",
    ] {
        assert!(schema.contains(&format!("CREATE TABLE {t} ")), "{t}");
    }
    // The report totals (migration 0005) were filled from the rows already there.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (n, gross): (i64, i64) = conn
        .query_row(
            "SELECT sum(n), sum(gross) FROM report_sales_hourly WHERE status = 'paid'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, gross), (1, 4990));
    drop(conn);
    drop(store);
    // Reopening does not re-run anything.
    assert_eq!(
        Store::open(&path).unwrap().schema_version().unwrap(),
        SCHEMA_VERSION
    );

    // The staff module works on the upgraded file, on the old sale.
    let store = Store::open(&path).unwrap();
    let db = store.staff("s1", "t1", kasse::domain::staff::HashCost::Standard);
    let ctx = db.refund_context("kasse-s1-t1-000001-a1").unwrap();
    assert_eq!(
        (ctx.captured, ctx.refunded, ctx.refundable()),
        (4990, 0, 4990)
    );
    let plan = kasse::domain::refund::plan_refund(
        &ctx,
        &RefundMode::Full,
        time::macros::datetime!(2026-11-21 10:00:00 UTC),
    )
    .unwrap();
    assert_eq!((plan.amount, plan.vat), (4990, 998));
}
