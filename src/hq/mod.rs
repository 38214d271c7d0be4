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
//! - [`tls`]: rustls for the connection (`sslmode` in the URL; certificates always verified,
//!   against the system's roots or `[hq] ca_file`).
//! - [`verify`]: each till's signature chain re-checked from HQ's copy (`fiscal`'s verifier).
//! - [`saft`]: one SAF-T Cash Register file per shop with all its tills, from HQ's copy.

pub mod catalog;
pub mod migrate;
pub mod push;
pub mod report;
pub mod saft;
pub mod staff;
pub mod tls;
pub mod verify;
pub mod worker;

use std::path::{Path, PathBuf};
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
    /// The URL's `sslmode` is none of disable, prefer, require.
    #[error("sslmode in hq.database_url must be disable, prefer or require")]
    BadSslMode,
    /// `[hq] ca_file` cannot be used.
    #[error("hq.ca_file {}: {problem}", path.display())]
    CaFile {
        path: PathBuf,
        problem: tls::CaProblem,
    },
    /// The TLS handshake failed: HQ's certificate was refused, or HQ offers no TLS under
    /// `sslmode=require`.
    #[error("TLS to the HQ database failed: {0}")]
    Tls(String),
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

/// tokio-postgres' text for a failed TLS negotiation; its cause says why.
const TLS_FAILED: &str = "error performing TLS handshake";

/// `e` and its causes, `: `-joined (tokio-postgres shows only the kind, not the cause). Neither
/// tokio-postgres nor the server ever puts the connection URL in them.
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.ends_with(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}

impl From<tokio_postgres::Error> for HqError {
    fn from(e: tokio_postgres::Error) -> HqError {
        let text = with_causes(&e);
        if e.to_string() == TLS_FAILED {
            HqError::Tls(text)
        } else if e.is_closed() || e.as_db_error().is_none() {
            HqError::Unreachable(text)
        } else {
            HqError::Db(text)
        }
    }
}

impl From<deadpool_postgres::PoolError> for HqError {
    fn from(e: deadpool_postgres::PoolError) -> HqError {
        match e {
            // Connecting failed: why (refused, TLS, a wrong password) is in the cause.
            deadpool_postgres::PoolError::Backend(e) => HqError::from(e),
            e => HqError::Unreachable(e.to_string()),
        }
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
            HqError::BadSslMode => Text::new(
                "sslmode i hq.database_url må være disable, prefer eller require. Sertifikatet sjekkes alltid når TLS brukes (require her tilsvarer verify-full i libpq).",
                "sslmode in hq.database_url must be disable, prefer or require. The certificate is always checked when TLS is used (require here means what verify-full means in libpq).",
            ),
            HqError::CaFile { path, problem } => {
                let path = path.display();
                let nb = match problem {
                    tls::CaProblem::Unreadable(e) => format!("kan ikke leses: {e}"),
                    tls::CaProblem::NotPem(e) => {
                        format!("er ikke en PEM-fil med sertifikater: {e}")
                    }
                    tls::CaProblem::NoCertificate => {
                        "inneholder ikke noe sertifikat (-----BEGIN CERTIFICATE-----)".to_owned()
                    }
                    tls::CaProblem::BadCertificate(e) => {
                        format!("har et sertifikat som ikke kan brukes: {e}")
                    }
                };
                Text::new(
                    format!(
                        "hq.ca_file ({path}) {nb}. Kassen sender ikke til HK før dette er rettet (filen eller KASSE_HQ_CA_FILE)."
                    ),
                    format!(
                        "hq.ca_file ({path}) {problem}. The till sends nothing to HQ until this is fixed (the file or KASSE_HQ_CA_FILE)."
                    ),
                )
            }
            HqError::Tls(e) => Text::new(
                format!(
                    "Sikker forbindelse (TLS) til HK-databasen feilet ({e}). Sjekk hq.ca_file (HK-serverens CA) og sslmode i hq.database_url. Kassen selger videre og sender senere."
                ),
                format!(
                    "The secure connection (TLS) to the HQ database failed ({e}). Check hq.ca_file (the HQ server's CA) and sslmode in hq.database_url. The till keeps selling and sends later."
                ),
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

/// A connection pool for the URL, certificates checked against the system's roots when TLS is
/// used ([`pool_with`]).
pub fn pool(url: &SecretString) -> Result<Pool, HqError> {
    pool_with(url, None)
}

/// The pool for `[hq]` (`database_url`, `ca_file`); [`HqError::NotConfigured`] without a URL.
pub fn pool_for(hq: &crate::config::HqConfig) -> Result<Pool, HqError> {
    match &hq.database_url {
        Some(url) => pool_with(url, hq.ca_file.as_deref()),
        None => Err(HqError::NotConfigured),
    }
}

/// A connection pool for the URL (nothing connects until first use). The URL is a secret: it is
/// parsed here and never logged. Its `sslmode` decides about TLS: `disable` plain, `prefer` (the
/// default) TLS when the server offers it, `require` TLS or nothing. With TLS, HQ's certificate
/// is always verified (name included): against `ca_file`'s certificates only when given (a
/// private CA), else against the system's roots.
pub fn pool_with(url: &SecretString, ca_file: Option<&Path>) -> Result<Pool, HqError> {
    let mut cfg = tokio_postgres::Config::from_str(url.expose_secret()).map_err(|e| {
        // The cause names the option, never its value or the URL.
        if with_causes(&e).contains("`sslmode`") {
            HqError::BadSslMode
        } else {
            HqError::BadUrl
        }
    })?;
    cfg.connect_timeout(Duration::from_secs(5));
    cfg.application_name("kasse");
    let manager = deadpool_postgres::ManagerConfig {
        recycling_method: deadpool_postgres::RecyclingMethod::Fast,
    };
    let mgr = if cfg.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        if ca_file.is_some() {
            tracing::warn!(
                "hq.ca_file is set but hq.database_url says sslmode=disable: the HQ connection is NOT encrypted"
            );
        }
        deadpool_postgres::Manager::from_config(cfg, tokio_postgres::NoTls, manager)
    } else {
        deadpool_postgres::Manager::from_config(cfg, tls::connector(ca_file)?, manager)
    };
    Pool::builder(mgr)
        .max_size(4)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(6)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| HqError::Unreachable(e.to_string()))
}
