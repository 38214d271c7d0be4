//! `StoreError`: everything that can go wrong in the journal, with an operator message in both
//! languages.

use std::path::PathBuf;

use crate::lang::Text;

/// Errors from the SQLite journal and outbox.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file is not a SQLite database or is damaged. The file is left untouched.
    #[error(
        "the database file \"{path}\" is damaged or not a kasse database ({detail}); it has not been changed or deleted — stop the till, keep a copy of the file and contact support",
        path = path.display()
    )]
    Corrupt { path: PathBuf, detail: String },

    /// A required pragma did not take effect (read back differs from what was asked).
    #[error("database setting \"{name}\" is \"{actual}\" but must be \"{expected}\"")]
    Pragma {
        name: &'static str,
        expected: String,
        actual: String,
    },

    /// The database was written by a newer kasse, or its schema version is not ours.
    #[error(
        "the database schema is newer than this version of kasse understands ({detail}); install the newer kasse again"
    )]
    TooNew { detail: String },

    /// Applying the schema migrations failed.
    #[error("could not update the database schema: {0}")]
    Migration(String),

    /// Creating the data directory or reading the file failed.
    #[error("cannot use \"{path}\": {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The database file can only be opened read-only.
    #[error("the database file \"{path}\" is read-only; kasse must be able to write it", path = path.display())]
    ReadOnly { path: PathBuf },

    /// Caller passed a value the store refuses.
    #[error("invalid {field} \"{value}\": {reason}")]
    Invalid {
        field: &'static str,
        value: String,
        reason: &'static str,
    },

    /// A unique value already exists (reference, receipt number, key).
    #[error("{what} \"{value}\" already exists")]
    Duplicate { what: &'static str, value: String },

    /// A row that should exist does not.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },

    /// A new attempt was asked for while an earlier attempt is not finished.
    #[error(
        "payment \"{reference}\" for this sale is not finished yet; wait for it or cancel it before starting a new attempt"
    )]
    AttemptInProgress { reference: String },

    /// The sale cannot take another payment attempt (already paid, cancelled...).
    #[error("sale {sale_id} is {status} and cannot take a new payment attempt")]
    SaleClosed { sale_id: i64, status: String },

    /// A payment or sale is in a final state and cannot change to another (a late writer).
    #[error("{what} {id} is already {from} (final) and cannot become {to}")]
    FinalState {
        what: &'static str,
        id: i64,
        from: String,
        to: String,
    },

    /// A value read from the database could not be understood.
    #[error("unexpected value in column {column}: \"{value}\"")]
    BadValue { column: &'static str, value: String },

    /// The background store thread is gone.
    #[error("the database worker thread has stopped")]
    Closed,

    /// A closure sent to the store thread panicked (a bug); its writes were rolled back.
    #[error("an internal error stopped a database task; its changes were rolled back")]
    JobPanicked,

    /// A read-only command found no journal in the data directory.
    #[error("no kasse database in \"{path}\"", path = path.display())]
    NoJournal { path: PathBuf },

    /// A read-only open found a schema this binary does not have exactly (read-only commands
    /// never migrate).
    #[error("the database \"{path}\" has schema version {found}, this kasse has {expected}", path = path.display())]
    SchemaMismatch {
        path: PathBuf,
        found: i64,
        expected: i64,
    },

    /// The fiscal signing key or a signature (kassasystemforskriften).
    #[error("{0}")]
    Fiscal(crate::fiscal::signature::SignatureError),

    /// Any other SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// The journal could not write: disk full, read-only file or file system, I/O error. Not a
    /// refused value or a bug: it clears by itself once the disk works again.
    pub fn is_write_failure(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            StoreError::ReadOnly { .. } | StoreError::Io { .. } => true,
            StoreError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(C::DiskFull | C::ReadOnly | C::SystemIoFailure | C::CannotOpen)
            ),
            _ => false,
        }
    }

    /// A message for the cashier or operator, in Norwegian Bokmål and English.
    pub fn message(&self) -> Text {
        match self {
            StoreError::Corrupt { path, detail } => Text::new(
                format!(
                    "Databasefilen «{}» er skadet eller ikke en kasse-database ({detail}). Filen er ikke endret eller slettet. Stopp kassen, ta en kopi av filen og kontakt support.",
                    path.display()
                ),
                format!(
                    "The database file \"{}\" is damaged or not a kasse database ({detail}). The file has not been changed or deleted. Stop the till, keep a copy of the file and contact support.",
                    path.display()
                ),
            ),
            StoreError::Pragma {
                name,
                expected,
                actual,
            } => Text::new(
                format!(
                    "Databaseinnstillingen «{name}» er «{actual}», men må være «{expected}». Sjekk at datamappen ligger på en lokal disk, og start kassen på nytt."
                ),
                format!(
                    "Database setting \"{name}\" is \"{actual}\" but must be \"{expected}\". Check that the data directory is on a local disk and restart the till."
                ),
            ),
            StoreError::FinalState { what, id, from, to } => Text::new(
                format!(
                    "{} {id} er allerede {from} (endelig) og kan ikke bli {to}. Ingenting er endret.",
                    if *what == "sale" { "Salg" } else { "Betaling" }
                ),
                format!(
                    "{} {id} is already {from} (final) and cannot become {to}. Nothing was changed.",
                    if *what == "sale" { "Sale" } else { "Payment" }
                ),
            ),
            StoreError::TooNew { detail } => Text::new(
                format!(
                    "Databasen er laget av en nyere versjon av kasse ({detail}). Installer den nyere versjonen igjen."
                ),
                format!(
                    "The database was written by a newer version of kasse ({detail}). Install the newer version again."
                ),
            ),
            StoreError::Migration(detail) => Text::new(
                format!(
                    "Kunne ikke oppdatere databasen ({detail}). Databasen er ikke endret. Kontakt support."
                ),
                format!(
                    "Could not update the database ({detail}). The database was not changed. Contact support."
                ),
            ),
            StoreError::Io { path, source } => Text::new(
                format!(
                    "Kan ikke bruke «{}»: {source}. Sjekk at mappen finnes og at kassen har skrivetilgang, eller velg en annen med --data-dir.",
                    path.display()
                ),
                format!(
                    "Cannot use \"{}\": {source}. Check that the directory exists and is writable, or choose another with --data-dir.",
                    path.display()
                ),
            ),
            StoreError::ReadOnly { path } => Text::new(
                format!(
                    "Databasefilen «{}» er skrivebeskyttet. Gi kassen skrivetilgang til filen og mappen, eller velg en annen mappe med --data-dir.",
                    path.display()
                ),
                format!(
                    "The database file \"{}\" is read-only. Give the till write access to the file and its directory, or choose another with --data-dir.",
                    path.display()
                ),
            ),
            StoreError::Invalid {
                field,
                value,
                reason,
            } => Text::new(
                format!("Ugyldig {field} «{value}»: {reason}. Rett verdien og prøv igjen."),
                format!("Invalid {field} \"{value}\": {reason}. Correct the value and try again."),
            ),
            StoreError::Duplicate { what, value } => Text::new(
                format!("{what} «{value}» finnes allerede. Bruk en ny verdi."),
                format!("{what} \"{value}\" already exists. Use a new value."),
            ),
            StoreError::NotFound { what, id } => Text::new(
                format!("Fant ikke {what} {id}."),
                format!("{what} {id} was not found."),
            ),
            StoreError::AttemptInProgress { reference } => Text::new(
                format!(
                    "Betalingen «{reference}» er ikke ferdig. Vent på den eller avbryt den før et nytt forsøk."
                ),
                format!(
                    "Payment \"{reference}\" is not finished. Wait for it or cancel it before a new attempt."
                ),
            ),
            StoreError::SaleClosed { sale_id, status } => Text::new(
                format!("Salg {sale_id} er {status} og kan ikke betales på nytt."),
                format!("Sale {sale_id} is {status} and cannot take a new payment."),
            ),
            StoreError::BadValue { column, value } => Text::new(
                format!(
                    "Uventet verdi i databasen ({column} = «{value}»). Kontakt support; ikke endre filen."
                ),
                format!(
                    "Unexpected value in the database ({column} = \"{value}\"). Contact support; do not edit the file."
                ),
            ),
            StoreError::Closed => Text::new(
                "Databasetråden har stoppet. Start kassen på nytt.",
                "The database thread has stopped. Restart the till.",
            ),
            StoreError::JobPanicked => Text::new(
                "En intern feil stoppet en databaseoppgave; endringene ble rullet tilbake. Prøv igjen, og meld feilen til support.",
                "An internal error stopped a database task; its changes were rolled back. Try again, and report the fault to support.",
            ),
            StoreError::NoJournal { path } => Text::new(
                format!(
                    "Fant ingen kasse-database i «{}». Start kassen én gang (eller gi riktig mappe med --data-dir).",
                    path.display()
                ),
                format!(
                    "No kasse database in \"{}\". Start the till once (or give the right directory with --data-dir).",
                    path.display()
                ),
            ),
            StoreError::SchemaMismatch {
                path,
                found,
                expected,
            } => {
                let (nb, en) = if found > expected {
                    (
                        "databasen er fra en nyere kasse; bruk den nyere versjonen",
                        "the database is from a newer kasse; use that newer version",
                    )
                } else {
                    (
                        "databasen må oppgraderes: stopp kassen og start den igjen med denne versjonen (oppgraderingen skjer ved start)",
                        "the database needs an upgrade: stop the till and start it again with this version (the upgrade runs at start)",
                    )
                };
                Text::new(
                    format!(
                        "«{}» har skjemaversjon {found}, denne kasse-versjonen har {expected}: {nb}. Lesekommandoer endrer aldri databasen.",
                        path.display()
                    ),
                    format!(
                        "\"{}\" has schema version {found}, this kasse has {expected}: {en}. Read-only commands never change the database.",
                        path.display()
                    ),
                )
            }
            StoreError::Fiscal(e) => e.text(),
            StoreError::Sqlite(e) => Text::new(
                format!(
                    "Databasefeil: {e}. Prøv igjen; hvis det gjentar seg, start kassen på nytt."
                ),
                format!("Database error: {e}. Try again; if it keeps happening, restart the till."),
            ),
        }
    }
}

/// Map a unique-constraint violation to `Duplicate`, anything else to `Sqlite`.
pub(crate) fn map_unique(e: rusqlite::Error, what: &'static str, value: &str) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
        && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    {
        return StoreError::Duplicate {
            what,
            value: value.to_owned(),
        };
    }
    StoreError::Sqlite(e)
}
