//! Repairs for journals written by a released `main` whose migration order was later changed.
//! Never edit a shipped migration: this is the only place that knows about such histories, and
//! each repair is tested against a frozen copy of the set it repairs
//! (`tests/store_migrations_frozen.rs`).
//!
//! - `main` at e41bc88 shipped 0001, 0002 and 0005 (hourly report totals) as schema version 3;
//!   the next landing put 0003 (print jobs) before 0005, and 0005 gained the `sales_split`
//!   index. A journal from e41bc88 (version 3, report totals present, no print jobs) would run
//!   0005 again and fail. It gets 0003 and the index now, and version 4 — exactly the state
//!   of a journal that took the shipped order.

use rusqlite::Connection;

use super::error::StoreError;

/// Apply the known repairs (before the migrations run). Returns how many were applied.
pub(crate) fn repair(conn: &mut Connection) -> Result<usize, StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has = |conn: &Connection, name: &str| -> Result<bool, StoreError> {
        Ok(conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )? > 0)
    };
    if version == 3 && has(conn, "report_sales_hourly")? && !has(conn, "print_jobs")? {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(include_str!("migrations/0003_print_jobs.sql"))?;
        tx.execute_batch(
            "CREATE INDEX sales_split ON sales (shop_id, till_id, created_at) WHERE tender = 'cash+vipps';",
        )?;
        tx.pragma_update(None, "user_version", 4_i64)?;
        tx.commit()?;
        tracing::warn!(
            "journal from the release that ran migration 0005 before 0003: 0003 and the \
             sales_split index applied, schema version 3 -> 4"
        );
        return Ok(1);
    }
    Ok(0)
}
