//! Install ids: a short random id per database that goes into every Vipps reference, so that
//! two tills, a reinstall, a restored backup or a copied database file on one MSN never mint
//! the same reference.
//!
//! The `installs` table (migration 0009) is append-only; the current install id is the row with
//! the highest id. The first row is minted lazily, inside the first transaction that needs it
//! (the first reference) or by [`Store::install_id`], from the store's id generator — so a
//! store given a predictable generator with [`Store::with_id_gen`] after opening gets a
//! predictable install id, and the row takes the time of the write that needed it. Each row
//! records the host (`/etc/machine-id`, else the host name) and the canonical database path;
//! when either differs on a later write (the file was copied or moved), a new install id is
//! minted with reason `moved` and journaled, and [`Store::take_install_notice`] hands the
//! message out once.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::error::StoreError;
use super::journal::record_operation;
use super::sql::{Ts, meta_get, meta_set};
use super::types::{NewOperation, OpOutcome};
use super::{Store, Tx};
use crate::clock::IdGen;

/// Length of an install id (lowercase base 36).
pub const INSTALL_ID_LEN: usize = 8;

/// Meta key remembering the install id whose notice was already shown.
const NOTICE_SHOWN: &str = "install_notice_shown";

/// One row of the `installs` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRow {
    pub id: i64,
    pub install_id: String,
    pub created_at: OffsetDateTime,
    /// "created", "upgraded", "moved", "restored", ...
    pub reason: String,
    pub host: Option<String>,
    pub db_path: Option<String>,
}

/// Where this store runs: the host identity and the canonical database path (None in memory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Here {
    pub host: Option<String>,
    pub db_path: Option<String>,
}

impl Here {
    pub(crate) fn detect(path: Option<&Path>) -> Here {
        Here {
            host: host_identity(),
            db_path: path.map(|p| {
                std::fs::canonicalize(p)
                    .unwrap_or_else(|_| p.to_path_buf())
                    .display()
                    .to_string()
            }),
        }
    }

    /// True when `row` was minted somewhere else (another host or another file).
    fn differs(&self, row: &InstallRow) -> bool {
        let host = matches!((&self.host, &row.host), (Some(a), Some(b)) if a != b);
        let path = matches!((&self.db_path, &row.db_path), (Some(a), Some(b)) if a != b);
        host || path
    }
}

/// `/etc/machine-id`, else the host name; None when neither can be read.
fn host_identity() -> Option<String> {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    read("/etc/machine-id")
        .map(|m| format!("machine-id:{m}"))
        .or_else(|| read("/etc/hostname").map(|h| format!("host:{h}")))
        .or_else(|| {
            std::env::var("HOSTNAME")
                .ok()
                .filter(|h| !h.is_empty())
                .map(|h| format!("host:{h}"))
        })
}

/// An install id from a uuid: [`INSTALL_ID_LEN`] lowercase base-36 characters (36^8 ≈ 2.8e12).
pub fn install_id_from(uuid: uuid::Uuid) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = uuid.as_u128();
    let mut out = [b'0'; INSTALL_ID_LEN];
    for slot in out.iter_mut().rev() {
        let d = usize::try_from(n % 36).unwrap_or(0);
        *slot = DIGITS[d];
        n /= 36;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

fn install_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InstallRow> {
    Ok(InstallRow {
        id: r.get(0)?,
        install_id: r.get(1)?,
        created_at: r.get::<_, Ts>(2)?.0,
        reason: r.get(3)?,
        host: r.get(4)?,
        db_path: r.get(5)?,
    })
}

const INSTALL_COLS: &str = "id, install_id, created_at, reason, host, db_path";

pub(crate) fn current_install(conn: &Connection) -> Result<Option<InstallRow>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {INSTALL_COLS} FROM installs ORDER BY id DESC LIMIT 1"),
            [],
            install_row,
        )
        .optional()?)
}

pub(crate) fn all_installs(conn: &Connection) -> Result<Vec<InstallRow>, StoreError> {
    let mut stmt = conn.prepare(&format!("SELECT {INSTALL_COLS} FROM installs ORDER BY id"))?;
    let rows = stmt.query_map([], install_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Append a new install row (a fresh id from `ids`) and journal it; returns the new id.
pub(crate) fn mint_install(
    conn: &Connection,
    ids: &dyn IdGen,
    here: &Here,
    reason: &str,
    previous: Option<&InstallRow>,
    at: OffsetDateTime,
) -> Result<String, StoreError> {
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid {
            field: "install reason",
            value: reason.to_owned(),
            reason: "must say why the install id changes (e.g. \"restored\")",
        });
    }
    // A generator repeating itself (tests) must not make the UNIQUE column fail: try a few.
    let mut id = install_id_from(ids.uuid());
    for _ in 0..8 {
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM installs WHERE install_id = ?1)",
            [&id],
            |r| r.get(0),
        )?;
        if !taken {
            break;
        }
        id = install_id_from(ids.uuid());
    }
    conn.execute(
        "INSERT INTO installs (install_id, created_at, reason, host, db_path)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, Ts(at), reason, here.host, here.db_path],
    )
    .map_err(|e| super::error::map_unique(e, "install id", &id))?;
    let detail = match previous {
        Some(p) => format!(
            "new install id {id} ({reason}); was {} ({}, created {})",
            p.install_id,
            p.reason,
            crate::clock::rfc3339_millis(p.created_at)
        ),
        None => format!("install id {id} ({reason})"),
    };
    record_operation(
        conn,
        &NewOperation {
            detail: Some(detail),
            ..NewOperation::new("install", OpOutcome::Info, at)
        },
    )?;
    tracing::info!(install_id = %id, reason, "install id minted");
    Ok(id)
}

/// The current install id, minting the first one ("created", or "upgraded" for a database that
/// had sales before install ids existed) or a new one ("moved") when the current one was
/// minted on another host or for another file.
pub(crate) fn ensure_install(
    conn: &Connection,
    ids: &dyn IdGen,
    here: &Here,
    at: OffsetDateTime,
) -> Result<String, StoreError> {
    match current_install(conn)? {
        Some(row) if !here.differs(&row) => Ok(row.install_id),
        Some(row) => {
            tracing::warn!(
                old = %row.install_id,
                "this database was moved or copied; minting a new install id"
            );
            mint_install(conn, ids, here, "moved", Some(&row), at)
        }
        None => {
            let had_sales: bool =
                conn.query_row("SELECT EXISTS (SELECT 1 FROM sales)", [], |r| r.get(0))?;
            let reason = if had_sales { "upgraded" } else { "created" };
            mint_install(conn, ids, here, reason, None, at)
        }
    }
}

impl Store {
    /// The current install id (minted now if this database has none yet, or if it was moved or
    /// copied since; see the module docs). Goes into every reference.
    pub fn install_id(&self) -> Result<String, StoreError> {
        self.install_id_at(OffsetDateTime::now_utc())
    }

    /// [`Store::install_id`] with the time to stamp on a row minted now.
    pub fn install_id_at(&self, at: OffsetDateTime) -> Result<String, StoreError> {
        ensure_install(&self.conn, self.ids.as_ref(), &self.here, at)
    }

    /// Append a new install id (e.g. reason "restored" after a restore) and journal it; every
    /// reference minted from now on carries it. Returns the new id.
    pub fn renew_install_id(
        &mut self,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let ids = self.ids.clone();
        let here = self.here.clone();
        self.transaction(|tx| {
            let previous = current_install(tx.tx)?;
            mint_install(tx.tx, ids.as_ref(), &here, reason, previous.as_ref(), at)
        })
    }

    /// Every install row, oldest first.
    pub fn installs(&self) -> Result<Vec<InstallRow>, StoreError> {
        all_installs(&self.conn)
    }

    /// Once per install id that replaced another one (moved, copied, restored): the message to
    /// show the staff. Remembers that it was shown; None otherwise.
    pub fn take_install_notice(&mut self) -> Result<Option<InstallRow>, StoreError> {
        let Some(row) = current_install(&self.conn)? else {
            return Ok(None);
        };
        if matches!(row.reason.as_str(), "created" | "upgraded") {
            return Ok(None);
        }
        if meta_get(&self.conn, NOTICE_SHOWN)?.as_deref() == Some(row.install_id.as_str()) {
            return Ok(None);
        }
        meta_set(&self.conn, NOTICE_SHOWN, &row.install_id)?;
        Ok(Some(row))
    }
}

impl Tx<'_> {
    /// The current install id inside this transaction (minted if needed; see [`ensure_install`]).
    pub fn install_id(&self, at: OffsetDateTime) -> Result<String, StoreError> {
        ensure_install(self.tx, self.ids, self.here, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeqIds;
    use std::sync::Arc;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-21 12:00:00 UTC);

    #[test]
    fn install_ids_are_fixed_length_lowercase_base36() {
        assert_eq!(install_id_from(uuid::Uuid::from_u128(1)), "00000001");
        assert_eq!(install_id_from(uuid::Uuid::from_u128(35)), "0000000z");
        assert_eq!(install_id_from(uuid::Uuid::from_u128(36)), "00000010");
        for _ in 0..200 {
            let id = install_id_from(uuid::Uuid::new_v4());
            assert_eq!(id.len(), INSTALL_ID_LEN);
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()),
                "{id}"
            );
        }
    }

    #[test]
    fn first_install_is_minted_once_from_the_id_generator_and_journaled() {
        let s = Store::open_in_memory()
            .unwrap()
            .with_id_gen(Arc::new(SeqIds::default()));
        assert!(s.installs().unwrap().is_empty(), "minted lazily");
        assert_eq!(s.install_id_at(T0).unwrap(), "00000001");
        assert_eq!(s.install_id_at(T0).unwrap(), "00000001", "stable");
        let rows = s.installs().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].reason, "created");
        assert_eq!(rows[0].created_at, T0);
        assert_eq!(rows[0].db_path, None);
        let ops = s
            .operations_between(T0, T0 + time::Duration::SECOND)
            .unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].op.kind, "install");
        assert!(
            ops[0]
                .op
                .detail
                .as_deref()
                .unwrap_or("")
                .contains("00000001")
        );
    }

    #[test]
    fn renew_appends_and_the_table_refuses_update_and_delete() {
        let mut s = Store::open_in_memory()
            .unwrap()
            .with_id_gen(Arc::new(SeqIds::default()));
        let first = s.install_id_at(T0).unwrap();
        let second = s.renew_install_id("restored", T0).unwrap();
        assert_ne!(first, second);
        assert_eq!(s.install_id().unwrap(), second);
        assert_eq!(s.installs().unwrap().len(), 2);
        assert!(s.renew_install_id(" ", T0).is_err(), "a reason is required");
        for sql in [
            "UPDATE installs SET install_id = 'x'",
            "DELETE FROM installs",
        ] {
            let err = s.conn.execute(sql, []).unwrap_err();
            assert!(err.to_string().contains("append-only"), "{err}");
        }
        assert_eq!(s.installs().unwrap().len(), 2);
        let notice = s.take_install_notice().unwrap().unwrap();
        assert_eq!(notice.install_id, second);
        assert_eq!(s.take_install_notice().unwrap(), None, "shown once");
    }

    #[test]
    fn a_copied_database_file_gets_a_new_install_id() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        let first = {
            let s = Store::open_in_dir(&a).unwrap();
            s.install_id_at(T0).unwrap()
        };
        {
            let s = Store::open_in_dir(&a).unwrap();
            assert_eq!(s.install_id_at(T0).unwrap(), first, "same file, same id");
        }
        std::fs::create_dir_all(&b).unwrap();
        std::fs::copy(
            a.join(super::super::DB_FILE_NAME),
            b.join(super::super::DB_FILE_NAME),
        )
        .unwrap();
        let mut s = Store::open_in_dir(&b).unwrap();
        let copied = s.install_id_at(T0).unwrap();
        assert_ne!(copied, first);
        let rows = s.installs().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].reason, "moved");
        let notice = s.take_install_notice().unwrap().unwrap();
        assert_eq!(notice.install_id, copied);
        // The original keeps its id.
        let s = Store::open_in_dir(&a).unwrap();
        assert_eq!(s.install_id_at(T0).unwrap(), first);
    }
}
