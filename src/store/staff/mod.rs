//! Staff SQL, on the store's own connection (schema v2 tables: `staff`, `staff_login_guard`,
//! `staff_actions`, `refunds`, `refund_lines`, `z_reports`, read with the v1 journal).
//!
//! A [`StaffConn`] is a view of the [`Store`]'s connection for one shop/till: every staff
//! statement runs on the store's one writer (from async code through
//! `service::StaffDb::run`, which sends the work to the `AsyncStore` thread). A refund record
//! and its outbox row are written in one transaction ([`StaffConn::record_refund`]).

mod auth;
mod batch;
mod cash;
mod hq;
mod pin;
mod reconcile;
mod refunds;
mod reports;
mod reports_fiscal;
mod returns;
mod till;

use rusqlite::{Connection, OptionalExtension};

use super::{Store, StoreError};
use crate::domain::staff::{HashCost, StaffError};
use crate::lang::Text;

pub use auth::{LoginStart, PinCandidate, PinMatch, match_pin};
pub use batch::{CaptureTarget, StaffActionEntry};
pub use cash::CashMovement;
pub use hq::HqStaffChange;
pub use pin::{hash_pin, verify_pin};
pub use reconcile::DayPayment;
pub use reports::compute_from;

impl From<rusqlite::Error> for StaffError {
    fn from(e: rusqlite::Error) -> StaffError {
        StaffError::Database(Text::new(
            format!("Databasefeil: {e}. Prøv igjen; hvis det gjentar seg, start kassen på nytt."),
            format!("Database error: {e}. Try again; if it keeps happening, restart the till."),
        ))
    }
}

impl From<StoreError> for StaffError {
    fn from(e: StoreError) -> StaffError {
        StaffError::Database(e.message())
    }
}

/// The store's connection seen by the staff functions of one shop/till.
#[derive(Clone, Copy)]
pub struct StaffConn<'a> {
    conn: &'a Connection,
    shop_id: &'a str,
    till_id: &'a str,
    cost: HashCost,
    /// The till's signing key (cash movements and the Z's cash difference are signed).
    signer: Option<&'a super::fiscal::TillSigner>,
    /// `[till] drawer_per_operator`: the drawer's figures per operator.
    per_operator: bool,
}

impl std::fmt::Debug for StaffConn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffConn")
            .field("shop_id", &self.shop_id)
            .field("till_id", &self.till_id)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open the journal in `dir` read-write beside a running till, for a staff command (the X
    /// report's audit row): no migrations and no outbox recovery (the till owns those); refuses
    /// a file at another schema version. Reads go through [`Store::open_read_only`].
    pub fn open_beside(dir: &std::path::Path) -> Result<Store, StoreError> {
        let path = dir.join(super::DB_FILE_NAME);
        super::check_header(&path)?;
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| super::open_error(&path, e))?;
        conn.busy_timeout(std::time::Duration::from_millis(
            super::BUSY_TIMEOUT_MS.unsigned_abs(),
        ))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found != super::SCHEMA_VERSION {
            return Err(StoreError::SchemaMismatch {
                path,
                found,
                expected: super::SCHEMA_VERSION,
            });
        }
        let here = super::install::Here::detect(Some(&path));
        Ok(Store {
            conn,
            path: Some(path),
            ids: std::sync::Arc::new(crate::clock::RandomIds),
            here,
            recovered_in_flight: 0,
            // Beside a running till: audit rows only, never a sale to sign.
            signer: None,
        })
    }

    /// The staff view of this store's connection for shop/till.
    pub fn staff<'a>(
        &'a self,
        shop_id: &'a str,
        till_id: &'a str,
        cost: HashCost,
    ) -> StaffConn<'a> {
        StaffConn {
            conn: &self.conn,
            shop_id,
            till_id,
            cost,
            signer: self.signer.as_ref(),
            per_operator: false,
        }
    }
}

impl<'a> StaffConn<'a> {
    /// Use other PIN hashing for what follows (the `--demo` training manager).
    #[must_use]
    pub fn with_hash_cost(mut self, cost: HashCost) -> StaffConn<'a> {
        self.cost = cost;
        self
    }

    /// Keep a drawer per operator (`[till] drawer_per_operator`).
    #[must_use]
    pub fn with_drawer_per_operator(mut self, on: bool) -> StaffConn<'a> {
        self.per_operator = on;
        self
    }

    pub fn shop_id(&self) -> &str {
        self.shop_id
    }

    pub fn till_id(&self) -> &str {
        self.till_id
    }

    pub(crate) fn cost(&self) -> HashCost {
        self.cost
    }

    pub(crate) fn lock(&self) -> Result<&'a Connection, StaffError> {
        Ok(self.conn)
    }
}

/// Store-format timestamp (RFC 3339 UTC, milliseconds).
pub(crate) fn ts(t: time::OffsetDateTime) -> String {
    crate::clock::rfc3339_millis(t)
}

/// Parse a store-format timestamp.
pub(crate) fn parse_ts(s: &str) -> Result<time::OffsetDateTime, StaffError> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|e| {
        StaffError::Internal(Text::new(
            format!("Uventet tid i databasen «{s}»: {e}"),
            format!("Unexpected time in the database \"{s}\": {e}"),
        ))
    })
}

impl StaffConn<'_> {
    /// A log in (13003) or log out (13004) in the fiscal journal of this till, on the
    /// caller's connection/transaction (beside the `staff_actions` row written with it).
    pub(crate) fn journal_session_event(
        &self,
        conn: &Connection,
        kind: crate::fiscal::saft::codes::EventKind,
        staff_id: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), StaffError> {
        self.fiscal_event_on(conn, kind, Some(staff_id), "", at)
    }

    /// One 13xxx event of this till in the fiscal journal (its own statement): a use of the
    /// till that moves no money (a line deleted before completion, …).
    pub fn journal_event(
        &self,
        kind: crate::fiscal::saft::codes::EventKind,
        staff_id: Option<&str>,
        detail: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), StaffError> {
        let conn = self.lock()?;
        self.fiscal_event_on(conn, kind, staff_id, detail, at)
    }

    /// Emergency mode (13026 on / 13027 off): the till sells without Vipps (cash only) while
    /// Vipps cannot be reached. Journals `on` only when it changes the till's last journaled
    /// mode (a restart while offline does not journal it twice; going online after a restart
    /// closes the mode the last run opened). Returns whether an event was written.
    pub fn journal_emergency(
        &self,
        on: bool,
        detail: &str,
        at: time::OffsetDateTime,
    ) -> Result<bool, StaffError> {
        use crate::fiscal::saft::codes::EventKind;
        let conn = self.lock()?;
        let (on_code, off_code) = (
            EventKind::EmergencyOn.code().predefined.unwrap_or("13026"),
            EventKind::EmergencyOff.code().predefined.unwrap_or("13027"),
        );
        let last: Option<String> = conn
            .prepare_cached(
                "SELECT code FROM fiscal_events
                 WHERE shop_id = ?1 AND till_id = ?2 AND code IN (?3, ?4)
                 ORDER BY id DESC LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(
                    rusqlite::params![self.shop_id, self.till_id, on_code, off_code],
                    |r| r.get(0),
                )
                .optional()
            })?;
        let is_on = last.as_deref() == Some(on_code);
        if is_on == on {
            return Ok(false);
        }
        let kind = if on {
            EventKind::EmergencyOn
        } else {
            EventKind::EmergencyOff
        };
        self.fiscal_event_on(conn, kind, None, detail, at)?;
        Ok(true)
    }

    fn fiscal_event_on(
        &self,
        conn: &Connection,
        kind: crate::fiscal::saft::codes::EventKind,
        staff_id: Option<&str>,
        detail: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), StaffError> {
        crate::store::fiscal::append_event(
            conn,
            &crate::store::fiscal::NewFiscalEvent {
                shop_id: self.shop_id,
                till_id: self.till_id,
                kind,
                at,
                staff_id,
                sale_id: None,
                detail: detail.to_owned(),
            },
        )
        .map_err(|e| StaffError::Internal(e.message()))?;
        Ok(())
    }
}

/// Record a staff action (allowed or refused) inside the caller's connection/transaction.
pub(crate) fn journal_action(
    conn: &Connection,
    at: time::OffsetDateTime,
    staff_id: Option<&str>,
    action: &str,
    allowed: bool,
    sale_id: Option<i64>,
    detail: Option<&str>,
) -> Result<i64, StaffError> {
    conn.execute(
        "INSERT INTO staff_actions (at, staff_id, action, allowed, sale_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![ts(at), staff_id, action, allowed, sale_id, detail],
    )?;
    Ok(conn.last_insert_rowid())
}
