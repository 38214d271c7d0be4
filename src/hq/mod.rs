//! Headquarters: the till's journal replicated to PostgreSQL, and what HQ reads from it.
//!
//! A deliberate second database room: `store` holds ALL SQLite SQL (including the feed that
//! triggers fill in the journal's own transactions, `store::hq_feed`); this room holds ALL
//! PostgreSQL SQL (`tokio-postgres` with a `deadpool-postgres` pool), and nothing else touches
//! PostgreSQL.
//!
//! - [`catalog`]: catalogue versions published at HQ, pulled and applied by the tills.
//! - [`staff`]: staff created at HQ (PIN hash only), pulled by every till of the shop.
//! - [`migrate`]: versioned PostgreSQL migrations embedded in the binary (`kasse hq migrate`).
//! - [`push`]: one batch of one till's feed in one PostgreSQL transaction, idempotent by
//!   (install id, sequence), refusing gaps.
//! - [`worker`]: the till's background replicator (never in the way of a sale) and `hq sync`.
//! - [`report`]: figures per till, shop and chain from the pre-aggregated hourly totals;
//!   `hq status`.
//! - [`verify`]: each till's signature chain re-checked from HQ's copy (`fiscal`'s verifier).
//! - [`saft`]: one SAF-T Cash Register file per shop with all its tills, from HQ's copy.

pub mod catalog;
pub mod migrate;
pub mod push;
pub mod report;
pub mod saft;
pub mod staff;
pub mod verify;
pub mod worker;

use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::lang::Text;

pub use deadpool_postgres::Pool;

/// What can go wrong talking to HQ. Messages never carry the database URL.
#[derive(Debug, thiserror::Error)]
pub enum HqError {
    /// `[hq] database_url` is not set.
    #[error("[hq] database_url is not set")]
    NotConfigured,
    /// The URL does not parse (its text is never shown).
    #[error("hq.database_url is not a valid PostgreSQL URL")]
    BadUrl,
    /// PostgreSQL cannot be reached or refused us.
    #[error("HQ database unreachable: {0}")]
    Unreachable(String),
    /// A statement failed.
    #[error("HQ database error: {0}")]
    Db(String),
    /// HQ's copy of this install's stream ends before the batch starts: send from `next`.
    #[error("HQ is missing install {stream} from seq {next}")]
    Gap { stream: String, next: i64 },
    /// HQ holds different rows under the same (install id, seq): two journals claim one install.
    #[error("HQ holds {rows} different row(s) for install {stream}")]
    Clash { stream: String, rows: i64 },
    /// The HQ database has a newer schema than this kasse knows.
    #[error("HQ schema version {found} is newer than this kasse ({known})")]
    SchemaTooNew { found: i64, known: i64 },
    /// HQ's schema is missing or older: run `kasse hq migrate`.
    #[error("HQ schema version {found}, need {known}: run kasse hq migrate")]
    SchemaTooOld { found: i64, known: i64 },
    /// The till's journal.
    #[error("journal: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl From<tokio_postgres::Error> for HqError {
    fn from(e: tokio_postgres::Error) -> HqError {
        if e.is_closed() || e.as_db_error().is_none() {
            HqError::Unreachable(e.to_string())
        } else {
            HqError::Db(e.to_string())
        }
    }
}

impl From<deadpool_postgres::PoolError> for HqError {
    fn from(e: deadpool_postgres::PoolError) -> HqError {
        HqError::Unreachable(e.to_string())
    }
}

impl HqError {
    /// The message for a person, in both languages.
    pub fn text(&self) -> Text {
        match self {
            HqError::NotConfigured => Text::new(
                "hq.database_url er ikke satt. Sett den i [hq] i konfigurasjonsfilen eller i KASSE_HQ_DATABASE_URL.",
                "hq.database_url is not set. Set it under [hq] in the config file or in KASSE_HQ_DATABASE_URL.",
            ),
            HqError::BadUrl => Text::new(
                "hq.database_url er ikke en gyldig PostgreSQL-adresse (postgres://bruker:passord@vert:5432/db).",
                "hq.database_url is not a valid PostgreSQL URL (postgres://user:password@host:5432/db).",
            ),
            HqError::Unreachable(e) => Text::new(
                format!(
                    "Får ikke kontakt med HK-databasen ({e}). Kassen selger videre og sender senere."
                ),
                format!(
                    "Cannot reach the HQ database ({e}). The till keeps selling and sends later."
                ),
            ),
            HqError::Db(e) => Text::new(
                format!("HK-databasen svarte med feil: {e}"),
                format!("The HQ database answered with an error: {e}"),
            ),
            HqError::Gap { stream, next } => Text::new(
                format!(
                    "HK mangler installasjon {stream} fra nr {next}; kassen sender på nytt derfra."
                ),
                format!(
                    "HQ is missing install {stream} from seq {next}; the till sends again from there."
                ),
            ),
            HqError::Clash { stream, rows } => Text::new(
                format!(
                    "HK har {rows} andre rader for installasjon {stream}: to journaler bruker samme installasjons-id (kopiert database?). Kassen sender ikke mer før dette er rettet."
                ),
                format!(
                    "HQ holds {rows} different row(s) for install {stream}: two journals use the same install id (a copied database?). The till sends nothing more until this is fixed."
                ),
            ),
            HqError::SchemaTooNew { found, known } => Text::new(
                format!(
                    "HK-databasen har skjema {found}, denne kasse-versjonen kjenner {known}. Oppdater kasse."
                ),
                format!(
                    "The HQ database has schema {found}; this kasse knows {known}. Update kasse."
                ),
            ),
            HqError::SchemaTooOld { found, known } => Text::new(
                format!(
                    "HK-databasen har skjema {found}, trenger {known}. Kjør «kasse hq migrate»."
                ),
                format!(
                    "The HQ database has schema {found}, needs {known}. Run `kasse hq migrate`."
                ),
            ),
            HqError::Store(e) => Text::new(format!("Journalen: {e}"), format!("The journal: {e}")),
        }
    }
}

/// A connection pool for the URL (nothing connects until first use). The URL is a secret: it is
/// parsed here and never logged.
pub fn pool(url: &SecretString) -> Result<Pool, HqError> {
    let mut cfg =
        tokio_postgres::Config::from_str(url.expose_secret()).map_err(|_| HqError::BadUrl)?;
    cfg.connect_timeout(Duration::from_secs(5));
    cfg.application_name("kasse");
    let mgr = deadpool_postgres::Manager::from_config(
        cfg,
        tokio_postgres::NoTls,
        deadpool_postgres::ManagerConfig {
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    Pool::builder(mgr)
        .max_size(4)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(6)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| HqError::Unreachable(e.to_string()))
}
