//! Operations on the journal file as a whole: the read-only open for commands that run beside
//! the till, the online backup (SQLite backup API) and its verification, the one-row journal
//! note a backup leaves, and the kiosk PIN lockout that must survive a restart.
//!
//! None of these run migrations or touch the outbox: a read-only [`Store`] cannot write at all
//! (`SQLITE_OPEN_READ_ONLY`), and the backup reads its source through a read-only connection.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use time::OffsetDateTime;

use super::error::StoreError;
use super::{BUSY_TIMEOUT_MS, DB_FILE_NAME, MIGRATION_LIST, Store, check_header, open_error};
use crate::clock::RandomIds;

/// Meta key holding the kiosk PIN lockout (`failures;locked_until`).
const KIOSK_LOCKOUT_KEY: &str = "kiosk_lockout";

fn known_version() -> i64 {
    i64::try_from(MIGRATION_LIST.len()).unwrap_or(i64::MAX)
}

fn open_ro(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.unsigned_abs()))
        .map_err(|e| open_error(path, e))?;
    Ok(conn)
}

/// The schema version of a kasse journal, or why it is not one.
fn kasse_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let corrupt = |e: rusqlite::Error| open_error(path, e);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(corrupt)?;
    let app: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'app'", [], |r| r.get(0))
        .ok();
    if version == 0 || app.as_deref() != Some("kasse") {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "it is not a kasse journal".into(),
        });
    }
    Ok(version)
}

impl Store {
    /// Open `<dir>/kasse.sqlite3` read-only for a command that runs beside the till
    /// (`report` without `--z`, `queue` without `--drain`, `reprint`, `doctor`, `list-staff`,
    /// `backup`): no migrations, no outbox reset, no pragma writes. Refuses a missing file and a
    /// schema that is not exactly this binary's (older: the till upgrades it at start; newer:
    /// another kasse wrote it) with a message saying what to do. Writes through it fail.
    pub fn open_read_only(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join(DB_FILE_NAME);
        match std::fs::metadata(&path) {
            Ok(m) if m.len() > 0 => {}
            Ok(_) => return Err(StoreError::NoJournal { path }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NoJournal { path });
            }
            Err(source) => return Err(StoreError::Io { path, source }),
        }
        check_header(&path)?;
        let conn = open_ro(&path)?;
        let found = kasse_version(&conn, &path)?;
        let expected = known_version();
        if found != expected {
            return Err(StoreError::SchemaMismatch {
                path,
                found,
                expected,
            });
        }
        let here = super::install::Here::detect(Some(&path));
        Ok(Store {
            conn,
            path: Some(path),
            ids: Arc::new(RandomIds),
            here,
            recovered_in_flight: 0,
            signer: None,
        })
    }

    /// The current install id without minting one (works on a read-only store; None before the
    /// first reference).
    pub fn current_install_id(&self) -> Result<Option<String>, StoreError> {
        Ok(self.installs()?.pop().map(|r| r.install_id))
    }

    /// The kiosk PIN lockout as last saved: wrong PINs in a row and the lock's end (if any).
    pub fn kiosk_lockout(&self) -> Result<(u32, Option<OffsetDateTime>), StoreError> {
        let Some(v) = self.meta_get(KIOSK_LOCKOUT_KEY)? else {
            return Ok((0, None));
        };
        let bad = || StoreError::BadValue {
            column: "meta.kiosk_lockout",
            value: v.clone(),
        };
        let (failures, until) = v.split_once(';').ok_or_else(bad)?;
        let failures: u32 = failures.parse().map_err(|_| bad())?;
        let until = if until.is_empty() {
            None
        } else {
            Some(
                OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| bad())?,
            )
        };
        Ok((failures, until))
    }

    /// Save the kiosk PIN lockout so a restart does not reset it.
    pub fn set_kiosk_lockout(
        &mut self,
        failures: u32,
        locked_until: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let until = locked_until
            .map(crate::clock::rfc3339_millis)
            .unwrap_or_default();
        self.meta_set(KIOSK_LOCKOUT_KEY, &format!("{failures};{until}"))
    }
}

/// Copy the live journal `src` into `dest` (a new, empty file the caller created 0600) with
/// SQLite's online backup API, reading through a read-only connection so the till keeps
/// selling meanwhile; the copy is switched to a single self-contained file
/// (`journal_mode=DELETE`). The caller fsyncs and verifies it.
pub fn backup_file(src: &Path, dest: &Path) -> Result<(), StoreError> {
    check_header(src)?;
    let from = open_ro(src)?;
    kasse_version(&from, src)?;
    let mut to = Connection::open(dest).map_err(|e| open_error(dest, e))?;
    {
        let backup = rusqlite::backup::Backup::new(&from, &mut to)?;
        backup.run_to_completion(256, Duration::from_millis(5), None)?;
    }
    let mode: String = to.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::Pragma {
            name: "journal_mode",
            expected: "delete".into(),
            actual: mode,
        });
    }
    to.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
    Ok(())
}

/// Verify a journal file (a backup or a file to restore): a full `PRAGMA integrity_check`, a
/// kasse journal, and a schema this binary can open (equal, or older: migrated on open).
/// Returns its schema version. Never writes.
pub fn verify_file(path: &Path) -> Result<i64, StoreError> {
    check_header(path)?;
    if std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "the file is empty".into(),
        });
    }
    let conn = open_ro(path)?;
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| open_error(path, e))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| open_error(path, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| open_error(path, e))?;
    if rows != ["ok"] {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("integrity check: {}", rows.join("; ")),
        });
    }
    let version = kasse_version(&conn, path)?;
    if version > known_version() {
        return Err(StoreError::TooNew {
            detail: format!(
                "schema version {version}, this kasse knows {}",
                known_version()
            ),
        });
    }
    Ok(version)
}

/// Append one entry to the operations journal of the database at `db` through a plain
/// connection (no migrations, no outbox reset), so a command running beside the till — a
/// backup — leaves its trace without disturbing the till. `kind` e.g. `backup`.
pub fn journal_note(
    db: &Path,
    kind: &str,
    outcome: super::OpOutcome,
    detail: &str,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    check_header(db)?;
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(db, e))?;
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.unsigned_abs()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    kasse_version(&conn, db)?;
    super::journal::record_operation(
        &conn,
        &super::NewOperation {
            at,
            sale_id: None,
            payment_id: None,
            outbox_id: None,
            kind: kind.to_owned(),
            idempotency_key: None,
            request_summary: None,
            outcome,
            http_status: None,
            error_code: None,
            detail: Some(detail.to_owned()),
            staff_id: None,
        },
    )
}

/// Journal a finished backup (the journal exported to external storage, 13020) in the fiscal
/// journal of the till that owns `db`: the till of its last application start, else of its last
/// sale. A journal no till ever started or sold from has no till to name: nothing is written
/// and `Ok(None)` is returned.
pub fn journal_backup_event(
    db: &Path,
    detail: &str,
    at: OffsetDateTime,
) -> Result<Option<i64>, StoreError> {
    check_header(db)?;
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(db, e))?;
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.unsigned_abs()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    kasse_version(&conn, db)?;
    let till: Option<(String, String)> = conn
        .query_row(
            "SELECT shop_id, till_id FROM (
                 SELECT shop_id, till_id, 0 AS pri, id FROM fiscal_events WHERE code = '13001'
                 UNION ALL SELECT shop_id, till_id, 1 AS pri, id FROM sales)
             ORDER BY pri, id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((shop_id, till_id)) = till else {
        return Ok(None);
    };
    super::fiscal::append_event(
        &conn,
        &super::fiscal::NewFiscalEvent {
            shop_id: &shop_id,
            till_id: &till_id,
            kind: crate::fiscal::saft::codes::EventKind::Export,
            at,
            staff_id: None,
            sale_id: None,
            detail: detail.to_owned(),
        },
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_open_refuses_missing_and_old_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let e = Store::open_read_only(dir.path()).unwrap_err();
        assert!(matches!(e, StoreError::NoJournal { .. }), "{e:?}");
        assert!(e.message().en.contains("Start the till once"));
        drop(Store::open_in_dir(dir.path()).unwrap());
        let mut ro = Store::open_read_only(dir.path()).unwrap();
        assert_eq!(ro.schema_version().unwrap(), known_version());
        assert!(ro.meta_set("x", "y").is_err(), "a read-only store wrote");
        // One migration behind: refused, not migrated.
        let path = dir.path().join(DB_FILE_NAME);
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", known_version() - 1)
            .unwrap();
        drop(c);
        let e = Store::open_read_only(dir.path()).unwrap_err();
        assert!(
            matches!(e, StoreError::SchemaMismatch { found, expected, .. } if found == expected - 1),
            "{e:?}"
        );
        assert!(e.message().en.contains("needs an upgrade"), "{e:?}");
        let c = Connection::open(&path).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, known_version() - 1, "the read-only open migrated");
    }

    #[test]
    fn kiosk_lockout_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open_in_dir(dir.path()).unwrap();
        assert_eq!(s.kiosk_lockout().unwrap(), (0, None));
        let until = time::macros::datetime!(2026-12-04 10:00:00.123 UTC);
        s.set_kiosk_lockout(2, Some(until)).unwrap();
        drop(s);
        let s = Store::open_in_dir(dir.path()).unwrap();
        assert_eq!(s.kiosk_lockout().unwrap(), (2, Some(until)));
    }

    #[test]
    fn backup_copies_verifies_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open_in_dir(dir.path()).unwrap();
        s.meta_set("marker", "42").unwrap();
        let dest = dir.path().join("copy.sqlite3");
        std::fs::File::create(&dest).unwrap();
        backup_file(&dir.path().join(DB_FILE_NAME), &dest).unwrap();
        assert_eq!(verify_file(&dest).unwrap(), known_version());
        let c = Connection::open(&dest).unwrap();
        let v: String = c
            .query_row("SELECT value FROM meta WHERE key = 'marker'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(v, "42");
        drop(c);
        // Damage a page in the middle, from its header on (the end of a nearly empty page is
        // unused space that no check can miss or notice): verification must refuse it.
        let mut bytes = std::fs::read(&dest).unwrap();
        assert!(bytes.len() > 8192);
        let start = bytes.len() / 2 / 4096 * 4096;
        for b in &mut bytes[start..start + 2048] {
            *b = 0xA5;
        }
        std::fs::write(&dest, &bytes).unwrap();
        assert!(verify_file(&dest).is_err());
        // A foreign database is refused too.
        let other = dir.path().join("other.sqlite3");
        let c = Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 3;")
            .unwrap();
        drop(c);
        assert!(matches!(
            verify_file(&other),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
