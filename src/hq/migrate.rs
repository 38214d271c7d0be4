//! Versioned PostgreSQL migrations, embedded in the binary. `hq_schema_version` holds one row
//! per applied version; each migration runs in its own transaction together with its row, under
//! an advisory lock so two `kasse hq migrate` at once apply each version once.

use super::{HqError, Pool};

/// The migrations, in order (version = position + 1). Never edit a shipped one; add a new one.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_feed", include_str!("migrations/0001_feed.sql")),
    (
        "0002_catalog_staff",
        include_str!("migrations/0002_catalog_staff.sql"),
    ),
    ("0003_saft", include_str!("migrations/0003_saft.sql")),
    (
        "0004_staff_changes",
        include_str!("migrations/0004_staff_changes.sql"),
    ),
];

/// The schema version this kasse expects.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Advisory lock key for migrations ("kasse-hq").
const LOCK: i64 = 0x6b61_7373_652d_6871;

/// Apply every migration HQ does not have yet. Returns (version before, version after).
pub async fn migrate(pool: &Pool) -> Result<(i64, i64), HqError> {
    let mut client = pool.get().await?;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS hq_schema_version (
                 version    bigint PRIMARY KEY,
                 name       text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK])
        .await?;
    let result = async {
        let before = version_of(&client).await?;
        if before > SCHEMA_VERSION {
            return Err(HqError::SchemaTooNew {
                found: before,
                known: SCHEMA_VERSION,
            });
        }
        for (i, (name, sql)) in MIGRATIONS.iter().enumerate() {
            let version = i64::try_from(i).unwrap_or(i64::MAX) + 1;
            if version <= before {
                continue;
            }
            let tx = client.transaction().await?;
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO hq_schema_version (version, name) VALUES ($1, $2)",
                &[&version, name],
            )
            .await?;
            tx.commit().await?;
            tracing::info!(version, name, "HQ schema migrated");
        }
        Ok((before, version_of(&client).await?))
    }
    .await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK])
        .await;
    result
}

async fn version_of(client: &tokio_postgres::Client) -> Result<i64, HqError> {
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0)::bigint FROM hq_schema_version",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// HQ's schema version (0 when `kasse hq migrate` never ran).
pub async fn current_version(pool: &Pool) -> Result<i64, HqError> {
    let client = pool.get().await?;
    let exists: bool = client
        .query_one("SELECT to_regclass('hq_schema_version') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    version_of(&client).await
}

/// Refuse to work on a schema this kasse does not know.
pub async fn check(pool: &Pool) -> Result<(), HqError> {
    let found = current_version(pool).await?;
    match found.cmp(&SCHEMA_VERSION) {
        std::cmp::Ordering::Less => Err(HqError::SchemaTooOld {
            found,
            known: SCHEMA_VERSION,
        }),
        std::cmp::Ordering::Greater => Err(HqError::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        }),
        std::cmp::Ordering::Equal => Ok(()),
    }
}
