//! Staff functions: PIN login and roles, refunds, batch corrections, X/Z reports with
//! reconciliation against Vipps, and the headless `kasse refund` / `kasse report` commands.
//!
//! - [`StaffDb`] is this module's own connection to the journal file (schema v2 tables:
//!   `staff`, `staff_login_guard`, `staff_actions`, `refunds`, `refund_lines`, `z_reports`).
//!   It writes only those tables (and the `z_report` counter row); everything in the v1 journal
//!   is read only. Outbox rows are written through the store ([`crate::store::AsyncStore`]).
//! - Money-moving requests (refunds, correction captures) go through outbox rows with
//!   deterministic keys; the engine's outbox worker sends them.
//! - Every action is journaled in `staff_actions` with who and when; a PIN never is.

pub mod auth;
pub mod batch;
pub mod headless;
pub mod pin;
pub mod reconcile;
pub mod refund;
pub mod report;
pub mod till;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

use crate::lang::Text;
use crate::store::StoreError;

pub use auth::{Permission, Role, Session, StaffMember, require};
pub use pin::{HashCost, Pin};

/// Schema version this module needs (migration 0002).
pub const SCHEMA_VERSION: i64 = 2;

/// Errors of the staff functions, each with a message in Bokmål and English.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// Bad input: the message names the field and says what to do.
    #[error("{}", .0.en)]
    Invalid(Text),
    /// The PIN matched nobody.
    #[error("wrong PIN")]
    WrongPin { attempts_left: u32 },
    /// Too many wrong PINs.
    #[error("locked for {seconds} s after repeated wrong PINs")]
    LockedOut { seconds: i64 },
    /// The session's role may not do this.
    #[error("{}", .0.en)]
    Forbidden(Text),
    /// Something asked for does not exist.
    #[error("{}", .0.en)]
    NotFound(Text),
    /// A refund or Z report refused by the rules (over-refund, 365 days, outbox not empty...).
    #[error("{}", .0.en)]
    Refused(Text),
    /// Vipps could not be reached or answered with an error.
    #[error("{}", .0.en)]
    Vipps(Text),
    /// A bug or an unexpected state.
    #[error("{}", .0.en)]
    Internal(Text),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StaffError {
    /// The message for the screen / CLI.
    pub fn message(&self) -> Text {
        match self {
            StaffError::Invalid(t)
            | StaffError::Forbidden(t)
            | StaffError::NotFound(t)
            | StaffError::Refused(t)
            | StaffError::Vipps(t)
            | StaffError::Internal(t) => t.clone(),
            StaffError::WrongPin { attempts_left } => Text::new(
                format!("PIN: feil PIN. {attempts_left} forsøk igjen før kassen låses en stund."),
                format!(
                    "PIN: wrong PIN. {attempts_left} attempts left before the till locks for a while."
                ),
            ),
            StaffError::LockedOut { seconds } => Text::new(
                format!(
                    "PIN: for mange feil forsøk. Vent {seconds} sekunder og prøv igjen, eller be en leder om hjelp."
                ),
                format!(
                    "PIN: too many wrong attempts. Wait {seconds} seconds and try again, or ask a manager."
                ),
            ),
            StaffError::Store(e) => e.message(),
            StaffError::Sqlite(e) => Text::new(
                format!(
                    "Databasefeil: {e}. Prøv igjen; hvis det gjentar seg, start kassen på nytt."
                ),
                format!("Database error: {e}. Try again; if it keeps happening, restart the till."),
            ),
        }
    }
}

/// The staff module's connection to the journal file. Cheap to clone (shared connection).
///
/// Open it after [`crate::store::Store::open`] has migrated the file to schema v2. An
/// in-memory store cannot be shared; staff functions need the database on disk.
#[derive(Clone)]
pub struct StaffDb {
    conn: Arc<Mutex<Connection>>,
    shop_id: String,
    till_id: String,
    cost: HashCost,
}

impl std::fmt::Debug for StaffDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffDb")
            .field("shop_id", &self.shop_id)
            .field("till_id", &self.till_id)
            .finish_non_exhaustive()
    }
}

impl StaffDb {
    /// Open the journal at `path` for shop/till. Refuses a file below schema v2.
    pub fn open(path: &Path, shop_id: &str, till_id: &str) -> Result<StaffDb, StaffError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_millis(
            crate::store::BUSY_TIMEOUT_MS.unsigned_abs(),
        ))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version < SCHEMA_VERSION {
            return Err(StaffError::Internal(Text::new(
                format!(
                    "Databasen har skjemaversjon {version}; staff-funksjonene trenger {SCHEMA_VERSION}. Åpne kassen (Store::open) først så databasen oppgraderes."
                ),
                format!(
                    "The database is at schema version {version}; staff functions need {SCHEMA_VERSION}. Open the till (Store::open) first so the database is upgraded."
                ),
            )));
        }
        for (field, v) in [("shop_id", shop_id), ("till_id", till_id)] {
            if v.is_empty() || v.len() > 12 || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(StaffError::Invalid(Text::new(
                    format!("{field} «{v}»: må være 1 til 12 bokstaver eller sifre."),
                    format!("{field} \"{v}\": must be 1 to 12 letters or digits."),
                )));
            }
        }
        Ok(StaffDb {
            conn: Arc::new(Mutex::new(conn)),
            shop_id: shop_id.to_owned(),
            till_id: till_id.to_owned(),
            cost: HashCost::Standard,
        })
    }

    /// Use cheaper PIN hashing (tests and the demo only).
    #[must_use]
    pub fn with_hash_cost(mut self, cost: HashCost) -> StaffDb {
        self.cost = cost;
        self
    }

    pub fn shop_id(&self) -> &str {
        &self.shop_id
    }

    pub fn till_id(&self) -> &str {
        &self.till_id
    }

    /// Run `f` on the blocking pool so the UI never waits on disk or PIN hashing:
    /// `db.run(move |db| db.login(&pin, now)).await`.
    pub async fn run<R, F>(&self, f: F) -> Result<R, StaffError>
    where
        R: Send + 'static,
        F: FnOnce(&StaffDb) -> Result<R, StaffError> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| {
                StaffError::Internal(Text::new(
                    format!("En intern feil stoppet en oppgave ({e}). Prøv igjen."),
                    format!("An internal error stopped a task ({e}). Try again."),
                ))
            })?
    }

    pub(crate) fn cost(&self) -> HashCost {
        self.cost
    }

    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Connection>, StaffError> {
        self.conn.lock().map_err(|_| {
            StaffError::Internal(Text::new(
                "En intern feil stoppet en databaseoppgave. Start kassen på nytt.",
                "An internal error stopped a database task. Restart the till.",
            ))
        })
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
