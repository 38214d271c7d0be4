#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Migrations are frozen once released (issue #12, rule 11).
//!
//! - Every shipped migration file is byte-identical to its frozen copy in the newest released
//!   set under `tests/fixtures/migrations/` (editing one fails here: add a new one instead).
//! - A journal built with each earlier released set (and the v1 fixture), filled with sales,
//!   payments, outbox rows, journal entries, staff and print jobs, opens with the current
//!   `Store`, ends at the current schema — the same schema a fresh journal gets — and keeps
//!   every row.

use std::path::{Path, PathBuf};

use kasse::domain::staff::HashCost;
use kasse::store::{DB_FILE_NAME, OutboxFilter, PayState, SCHEMA_VERSION, SaleStatus, Store};

const V1: &str = include_str!("fixtures/schema_v1.sql");
/// The newest released set: the shipped files must match it byte for byte.
const NEWEST_RELEASED: &str = "v5_cash_rounding";
const SETS: &[&str] = &[
    "v2_staff",
    "v3_report_totals",
    "v4_print_jobs",
    "v5_cash_rounding",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migrations")
}

fn set_files(set: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join(set))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

#[test]
fn shipped_migrations_are_byte_identical_to_their_frozen_copies() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations");
    let frozen = set_files(NEWEST_RELEASED);
    assert_eq!(frozen.len(), 5, "{frozen:?}");
    let mut edited = Vec::new();
    for f in &frozen {
        let name = f.file_name().unwrap();
        match std::fs::read(shipped.join(name)) {
            Ok(now) if now == std::fs::read(f).unwrap() => {}
            Ok(_) => edited.push(format!("{} was edited", name.to_string_lossy())),
            Err(_) => edited.push(format!("{} was removed", name.to_string_lossy())),
        }
    }
    assert!(
        edited.is_empty(),
        "released migrations must never change ({}): add a new migration instead (and keep \
         tests/fixtures/migrations/ as it is)",
        edited.join(", ")
    );
    // Every older set is a prefix-compatible history of files that still exist unchanged,
    // except where the history itself says otherwise (0005 gained an index before 0003 landed;
    // see the v3 test below).
    for set in SETS {
        for f in set_files(set) {
            assert!(
                shipped.join(f.file_name().unwrap()).exists(),
                "{set}: {} no longer shipped",
                f.display()
            );
        }
    }
}

/// Build a journal as a till on `set` left it: the v1 fixture (0001 + one paid sale with its
/// lines, payment, outbox row and journal entry), then each later migration of the set with
/// `user_version` stepped as the migration runner did, then data for the newer tables.
fn build(set: Option<&str>) -> (tempfile::TempDir, i64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(V1).unwrap();
    let mut version = 1;
    if let Some(set) = set {
        for (i, f) in set_files(set).iter().enumerate().skip(1) {
            let sql = std::fs::read_to_string(f).unwrap();
            conn.execute_batch(&sql)
                .unwrap_or_else(|e| panic!("{set} {}: {e}", f.display()));
            version = i64::try_from(i).unwrap() + 1;
            conn.pragma_update(None, "user_version", version).unwrap();
        }
    }
    let has = |t: &str| -> bool {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [t],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            > 0
    };
    if has("staff") {
        let hash = kasse::store::staff::hash_pin(
            &kasse::domain::staff::Pin::new("135790").unwrap(),
            HashCost::Fast,
        )
        .unwrap();
        conn.execute(
            "INSERT INTO staff (id, name, role, pin_hash, active, created_at, created_by)
             VALUES ('st001', 'Mona', 'manager', ?1, 1, '2026-11-20T08:00:00.000Z', NULL)",
            [hash],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO staff_actions (at, staff_id, action, allowed, sale_id, detail)
             VALUES ('2026-11-20T10:00:00.000Z', 'st001', 'login', 1, NULL, NULL)",
            [],
        )
        .unwrap();
    }
    if has("print_jobs") {
        conn.execute(
            "INSERT INTO print_jobs (created_at, kind, receipt_number, bytes, status, printed_at)
             VALUES ('2026-11-20T10:00:06.000Z', 'receipt', 's1-t1-000001', x'1b40', 'done',
                     '2026-11-20T10:00:07.000Z')",
            [],
        )
        .unwrap();
    }
    drop(conn);
    (dir, version)
}

fn fresh_schema() -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_in_dir(dir.path()).unwrap();
    normalise(s.schema_sql().unwrap())
}

/// `ALTER TABLE ... ADD COLUMN` leaves the column text as written; compare ignoring spacing.
fn normalise(schema: Vec<String>) -> Vec<String> {
    let mut v: Vec<String> = schema
        .into_iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    v.sort();
    v
}

fn check_upgraded(dir: &Path, from: i64, label: &str) {
    let path = dir.join(DB_FILE_NAME);
    let store = Store::open(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION, "{label}");
    // The data survived.
    let rec = store.sale(1).unwrap().unwrap();
    assert_eq!(rec.sale.receipt_number, "s1-t1-000001", "{label}");
    assert_eq!(rec.sale.status, SaleStatus::Paid, "{label}");
    assert_eq!(rec.sale.gross_total, 4990, "{label}");
    assert_eq!(rec.lines.len(), 1, "{label}");
    assert_eq!(rec.payments[0].state, PayState::Captured, "{label}");
    assert_eq!(rec.payments[0].amounts.captured, 4990, "{label}");
    assert_eq!(store.list(OutboxFilter::All).unwrap().len(), 1, "{label}");
    assert_eq!(store.operations_for_sale(1).unwrap().len(), 1, "{label}");
    // The schema is exactly what a fresh journal gets.
    let upgraded = normalise(store.schema_sql().unwrap());
    let fresh = fresh_schema();
    let missing: Vec<_> = fresh.iter().filter(|s| !upgraded.contains(s)).collect();
    let extra: Vec<_> = upgraded.iter().filter(|s| !fresh.contains(s)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{label} (from v{from}): missing {missing:#?}\nextra {extra:#?}"
    );
    drop(store);
    // Staff (from v2 on) can still log in; print jobs (from v4 on) are still there.
    let store = Store::open(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
    let db = store.staff("s1", "t1", HashCost::Fast);
    if from >= 2 {
        let s = db
            .login("135790", time::OffsetDateTime::now_utc())
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(s.name(), "Mona", "{label}");
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let jobs: i64 = conn
        .query_row(
            "SELECT count(*) FROM print_jobs WHERE receipt_number = 's1-t1-000001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let has_jobs = label.starts_with("v4") || label.starts_with("v5");
    assert_eq!(jobs, i64::from(has_jobs), "{label}");
    // The hourly report totals count the old sale exactly once.
    let (n, gross): (i64, i64) = conn
        .query_row(
            "SELECT sum(n), sum(gross) FROM report_sales_hourly WHERE status = 'paid'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, gross), (1, 4990), "{label}");
}

#[test]
fn v1_fixture_upgrades_to_the_current_schema() {
    let (dir, v) = build(None);
    assert_eq!(v, 1);
    check_upgraded(dir.path(), v, "v1");
}

#[test]
fn every_released_set_upgrades_to_the_current_schema_with_its_data() {
    for set in SETS {
        let (dir, v) = build(Some(set));
        assert!(v >= 2, "{set}");
        check_upgraded(dir.path(), v, set);
    }
}
