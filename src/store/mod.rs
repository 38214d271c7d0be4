//! The SQLite journal and durable outbox. Nothing outside this module writes SQL.
//!
//! - [`Store::open`] applies the pragmas (WAL, `synchronous=FULL`, foreign keys, busy timeout)
//!   outside migrations and reads every one back, refuses damaged or foreign files without
//!   touching them, runs the migrations and resets in-flight outbox rows to pending.
//! - The write-ahead rule: [`Store::begin_sale`] writes the sale, its lines, the payment row with
//!   its reference and all its idempotency keys in one transaction, before any network call.
//! - [`AsyncStore`] owns a `Store` on its own thread so the UI and engine never block on disk.
//!
//! Times are stored as RFC 3339 UTC text with milliseconds, money as integer minor units.
//! Nothing secret is ever stored.

mod async_store;
mod cashier;
pub mod catalog;
mod error;
pub mod fiscal;
pub mod hq_catalog;
mod hq_feed;
mod install;
mod journal;
mod legacy;
mod ops;
mod outbox;
pub mod parked;
mod print_jobs;
mod sale_query;
mod sql;
pub mod staff;
mod types;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use rusqlite_migration::{M, Migrations};
use time::OffsetDateTime;

use crate::clock::{Clock as _, IdGen, RandomIds};

pub use async_store::AsyncStore;
pub use error::StoreError;
pub use hq_feed::{FeedBatch, FeedRow};
pub use install::{INSTALL_ID_LEN, InstallRow, install_id_from};
pub use journal::{
    AttemptStart, MAX_REFERENCE_LEN, MIN_REFERENCE_LEN, SALE_COUNTER, make_receipt_number,
    make_reference,
};
pub use ops::{backup_file, journal_backup_event, journal_note, verify_file};
pub use outbox::MAX_KEY_LEN;
pub use print_jobs::{PrintJobKind, PrintJobRow};
pub use staff::StaffConn;
pub use types::*;

/// File name of the database inside the data directory.
pub const DB_FILE_NAME: &str = "kasse.sqlite3";

/// Busy timeout asked for and asserted, in milliseconds.
pub const BUSY_TIMEOUT_MS: i64 = 5000;

const MIGRATION_LIST: &[M<'static>] = &[
    M::up(include_str!("migrations/0001_init.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0002_staff.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0003_print_jobs.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0005_report_totals.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0008_cash_rounding.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0009_install.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0010_create_phone.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0011_fiscal_journal.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0012_z_periods.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0013_parked_baskets.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0014_hq_feed.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0015_cash_management.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0016_returns.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0017_catalog.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0018_hq_catalog.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0019_hq_saft_feed.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0020_hq_staff_changes.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0021_outbox_dead_index.sql")).foreign_key_check(),
];

/// The schema version a store has once opened (the number of migrations).
pub const SCHEMA_VERSION: i64 = MIGRATION_LIST.len() as i64;

/// Statements kept prepared per connection (see `Store::init`).
const STATEMENT_CACHE: usize = 64;

/// The schema migrations, in order. Never edit a shipped migration; add a new one.
pub static MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_LIST);

/// Platform data directory for kasse (`~/.local/share/kasse` on Linux), if the platform has one.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("no", "kasse", "kasse").map(|p| p.data_dir().to_path_buf())
}

/// The journal. One writer connection; use [`AsyncStore`] from async code.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    ids: Arc<dyn IdGen>,
    here: install::Here,
    recovered_in_flight: usize,
    /// The fiscal signing key, loaded once ([`Store::ensure_fiscal_key`]); None signs nothing.
    signer: Option<fiscal::TillSigner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("recovered_in_flight", &self.recovered_in_flight)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open (or create) the database file at `path`.
    ///
    /// A file that is not a SQLite database, is damaged, or is some other program's database
    /// gives [`StoreError::Corrupt`] and is neither modified nor deleted.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        check_header(path)?;
        let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        Store::init(conn, Some(path.to_path_buf()))
    }

    /// A private in-memory database (tests, `--demo`). No WAL; everything else as on disk.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::init(conn, None)
    }

    /// Open `<dir>/kasse.sqlite3`, creating `dir` if needed, and load (or at the first start
    /// make) the till's fiscal signing key beside it ([`Store::ensure_fiscal_key`]).
    pub fn open_in_dir(dir: &Path) -> Result<Store, StoreError> {
        Store::open_in_dir_at(dir, crate::clock::SystemClock.now())
    }

    /// [`Store::open_in_dir`] with the time a new key version is recorded at.
    pub fn open_in_dir_at(dir: &Path, now: OffsetDateTime) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut store = Store::open(&dir.join(DB_FILE_NAME))?;
        store.ensure_fiscal_key(dir, now)?;
        Ok(store)
    }

    /// Use this id generator for idempotency keys (tests use a predictable one).
    #[must_use]
    pub fn with_id_gen(mut self, ids: Arc<dyn IdGen>) -> Store {
        self.ids = ids;
        self
    }

    /// Path of the database file (None in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How many in-flight outbox rows were reset to pending when this store was opened.
    pub fn recovered_in_flight(&self) -> usize {
        self.recovered_in_flight
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        let shown = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
        let corrupt = |e: rusqlite::Error| open_error(&shown, e);

        conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.unsigned_abs()))
            .map_err(corrupt)?;
        // Read-only checks first: nothing below writes until we know the file is ours.
        let check: String = conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(corrupt)?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: shown,
                detail: format!("integrity check: {check}"),
            });
        }
        let user_version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(corrupt)?;
        let objects: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
                [],
                |r| r.get(0),
            )
            .map_err(corrupt)?;
        if user_version == 0 && objects > 0 {
            return Err(StoreError::Corrupt {
                path: shown,
                detail: format!(
                    "it is a SQLite database of another program ({objects} tables/indexes)"
                ),
            });
        }

        if user_version > 0 {
            let app: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'app'", [], |r| r.get(0))
                .ok();
            if app.as_deref() != Some("kasse") {
                return Err(StoreError::Corrupt {
                    path: shown,
                    detail: "it is a SQLite database of another program".into(),
                });
            }
        }
        if conn.is_readonly(rusqlite::MAIN_DB).map_err(corrupt)? {
            return Err(StoreError::ReadOnly { path: shown });
        }
        let known = i64::try_from(MIGRATION_LIST.len()).unwrap_or(i64::MAX);
        if user_version > known {
            return Err(StoreError::TooNew {
                detail: format!("schema version {user_version}, this kasse knows {known}"),
            });
        }

        apply_pragmas(&conn, path.is_some())?;
        // Room for every hot statement the store prepares once (`prepare_cached`): rusqlite's
        // default of 16 is fewer than the outbox worker, the sale path and the reports use.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);

        legacy::repair(&mut conn)?;
        MIGRATIONS
            .to_latest(&mut conn)
            .map_err(|e| migration_error(&shown, e))?;

        let here = install::Here::detect(path.as_deref());
        let mut store = Store {
            conn,
            path,
            ids: Arc::new(RandomIds),
            here,
            recovered_in_flight: 0,
            signer: None,
        };
        store.recovered_in_flight = store.recover_in_flight()?;
        if store.recovered_in_flight > 0 {
            tracing::warn!(
                rows = store.recovered_in_flight,
                "outbox rows left in flight by an earlier run were reset to pending"
            );
        }
        Ok(store)
    }

    /// Read a pragma back as text (for `kasse doctor` and tests).
    pub fn pragma(&self, name: &'static str) -> Result<String, StoreError> {
        let v: rusqlite::types::Value = self.conn.pragma_query_value(None, name, |r| r.get(0))?;
        Ok(match v {
            rusqlite::types::Value::Null => String::new(),
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Real(f) => f.to_string(),
            rusqlite::types::Value::Text(s) => s,
            rusqlite::types::Value::Blob(b) => format!("{} bytes", b.len()),
        })
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The full schema, one `CREATE` statement per object, ordered by name.
    pub fn schema_sql(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Run several writes in one transaction (e.g. a state change plus its outbox row).
    /// If `f` returns an error nothing is written.
    pub fn transaction<R>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&Tx {
            tx: &tx,
            ids: self.ids.as_ref(),
            here: &self.here,
            signer: self.signer.as_ref(),
        })?;
        tx.commit()?;
        Ok(out)
    }

    /// Value of a meta key.
    pub fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        sql::meta_get(&self.conn, key)
    }

    /// Set a meta key. Keys that look like secrets are refused: secrets never enter the DB.
    pub fn meta_set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        sql::meta_set(&self.conn, key, value)
    }

    /// Let this connection's commits checkpoint the WAL once it holds `pages` pages (SQLite's
    /// default is 1000); 0 leaves checkpoints to [`Store::checkpoint`] on another connection.
    pub fn set_wal_autocheckpoint(&self, pages: u32) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", i64::from(pages))?;
        Ok(())
    }

    /// Check that the journal can write: a throw-away row big enough to need fresh pages is
    /// written and removed in one committed transaction. Err when the disk is full, the file
    /// or file system is read-only, or the disk fails (see [`StoreError::is_write_failure`]).
    pub fn write_probe(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('write_probe', hex(randomblob(8192)))",
            [],
        )?;
        tx.execute("DELETE FROM meta WHERE key = 'write_probe'", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Fault injection for tests: `true` makes every write on this connection fail as on a
    /// read-only file system (`PRAGMA query_only`); `false` lets writes through again.
    #[doc(hidden)]
    pub fn fault_read_only(&self, on: bool) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "query_only", on)?;
        Ok(())
    }

    /// Fault injection for tests: cap the file at `pages` pages (`PRAGMA max_page_count`;
    /// SQLite never sets it below the current size). Returns the cap now in force. A write
    /// that needs a page beyond it fails as on a full disk.
    #[doc(hidden)]
    pub fn fault_max_page_count(&self, pages: u64) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row(
            &format!("PRAGMA max_page_count = {}", pages.min(i64::MAX as u64)),
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Copy what the WAL holds into the database file without waiting for readers or writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`). Returns (frames in the WAL, frames checkpointed).
    pub fn checkpoint(&self) -> Result<(i64, i64), StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })?)
    }
}

/// Writes inside one transaction; see [`Store::transaction`].
pub struct Tx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    ids: &'a dyn IdGen,
    here: &'a install::Here,
    signer: Option<&'a fiscal::TillSigner>,
}

impl Tx<'_> {
    /// Outbox enqueue (idempotent on the key); returns the row id.
    pub fn enqueue(&self, row: &NewOutbox, now: OffsetDateTime) -> Result<i64, StoreError> {
        outbox::enqueue(self.tx, row, now)
    }

    /// Journal entry; returns its id.
    pub fn record_operation(&self, op: &NewOperation) -> Result<i64, StoreError> {
        journal::record_operation(self.tx, op)
    }

    /// See [`Store::update_payment_state`].
    pub fn update_payment_state(
        &self,
        payment_id: i64,
        state: PayState,
        reason: Option<&str>,
        amounts: Option<PaymentAmounts>,
        at: OffsetDateTime,
    ) -> Result<PaymentRow, StoreError> {
        journal::update_payment_state(self.tx, payment_id, state, reason, amounts, at)
    }

    /// Vipps confirmed a capture we sent: captured (and the sale paid) even from a final
    /// state, journaled as a correction. Only for a capture answer from Vipps.
    pub fn record_confirmed_capture(
        &self,
        payment_id: i64,
        amounts: PaymentAmounts,
        at: OffsetDateTime,
    ) -> Result<PaymentRow, StoreError> {
        journal::record_confirmed_capture(self.tx, self.signer, payment_id, amounts, at)
    }

    /// See [`Store::set_sale_status`].
    pub fn set_sale_status(
        &self,
        sale_id: i64,
        status: SaleStatus,
        staff_id: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        journal::set_sale_status(self.tx, self.signer, sale_id, status, staff_id, at)
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Refuse a non-empty file that does not start with the SQLite header, without opening it.
fn check_header(path: &Path) -> Result<(), StoreError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if !meta.is_file() {
        return Err(StoreError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "this is a directory or device, not a database file",
            ),
        });
    }
    if meta.len() == 0 {
        return Ok(());
    }
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if meta.len() < 100 || read < head.len() || &head != SQLITE_MAGIC {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "the file does not start with a SQLite header".into(),
        });
    }
    Ok(())
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    if is_corruption(&e) {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    } else {
        StoreError::Sqlite(e)
    }
}

fn migration_error(path: &Path, e: rusqlite_migration::Error) -> StoreError {
    use rusqlite_migration::{Error as ME, MigrationDefinitionError, SchemaVersionError};
    match e {
        ME::MigrationDefinition(MigrationDefinitionError::DatabaseTooFarAhead)
        | ME::SpecifiedSchemaVersion(SchemaVersionError::TooHigh) => StoreError::TooNew {
            detail: "schema version is ahead of this program".into(),
        },
        ME::InvalidUserVersion => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "invalid schema version number".into(),
        },
        ME::RusqliteError { err, .. } if is_corruption(&err) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: err.to_string(),
        },
        other => StoreError::Migration(other.to_string()),
    }
}

/// Apply the connection pragmas and read each one back; a mismatch is an error.
fn apply_pragmas(conn: &Connection, on_disk: bool) -> Result<(), StoreError> {
    let mode: String = if on_disk {
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?
    } else {
        conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?
    };
    let expected_mode = if on_disk { "wal" } else { "memory" };
    if !mode.eq_ignore_ascii_case(expected_mode) {
        return Err(StoreError::Pragma {
            name: "journal_mode",
            expected: expected_mode.into(),
            actual: mode,
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    for (name, expected) in [
        ("synchronous", 2_i64),
        ("foreign_keys", 1),
        ("busy_timeout", BUSY_TIMEOUT_MS),
    ] {
        let actual: i64 = conn.pragma_query_value(None, name, |r| r.get(0))?;
        if actual != expected {
            return Err(StoreError::Pragma {
                name,
                expected: expected.to_string(),
                actual: actual.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
