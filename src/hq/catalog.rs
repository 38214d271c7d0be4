//! Catalogue versions from headquarters (PostgreSQL migration 0002).
//!
//! - [`publish`]: `kasse hq catalog import FILE.csv [--shop S]` stores the checked articles as
//!   a new version, for one shop or (no `--shop`) the whole chain. Append-only.
//! - [`pull`]: a till (the background HQ worker, `kasse hq sync`) applies every version for its
//!   shop or the chain newer than the last it applied, in order, each through the till's own
//!   catalogue path in ONE SQLite transaction together with the mark that it was applied
//!   (`Store::apply_hq_catalog`): price changes are journaled (13021, old and new price) at the
//!   till, where they take effect. A version whose codes clash with the till's own catalogue is
//!   refused (nothing of it applied, a 13999 event and the log say why); later ones still apply.

use super::{HqError, Pool};
use crate::clock::Clock;
use crate::domain::money::Currency;
use crate::lang::Text;
use crate::store::AsyncStore;
use crate::store::catalog::{CatalogActor, CatalogArticle, merged};

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub version: i64,
    /// `None`: chain-wide.
    pub shop_id: Option<String>,
    pub file_name: String,
    pub articles: Vec<CatalogArticle>,
}

impl Version {
    /// "shop S1" or "chain".
    pub fn scope(&self) -> String {
        self.shop_id
            .as_deref()
            .map_or_else(|| "chain".to_string(), |s| format!("shop {s}"))
    }
}

/// Store `articles` (checked by the caller with the till's import checks) as a new version.
/// Publishers take turns (a table lock), so version numbers follow commit order.
pub async fn publish(
    pool: &Pool,
    shop_id: Option<&str>,
    file_name: &str,
    articles: &[CatalogArticle],
) -> Result<i64, HqError> {
    let json = serde_json::to_string(articles).map_err(|e| HqError::Db(e.to_string()))?;
    let rows = i64::try_from(articles.len()).unwrap_or(i64::MAX);
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.batch_execute("LOCK TABLE hq_catalog_versions IN EXCLUSIVE MODE")
        .await?;
    let version: i64 = tx
        .query_one(
            "INSERT INTO hq_catalog_versions (shop_id, file_name, articles, rows)
             VALUES ($1, $2, $3::text::jsonb, $4) RETURNING version",
            &[&shop_id, &file_name, &json, &rows],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(version)
}

/// The versions for `shop_id` (its own and the chain's) newer than `after`, oldest first.
pub async fn newer(pool: &Pool, shop_id: &str, after: i64) -> Result<Vec<Version>, HqError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT version, shop_id, file_name, articles::text FROM hq_catalog_versions
             WHERE version > $1 AND (shop_id IS NULL OR shop_id = $2) ORDER BY version",
            &[&after, &shop_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let text: String = r.get(3);
            Ok(Version {
                version: r.get(0),
                shop_id: r.get(1),
                file_name: r.get(2),
                articles: serde_json::from_str(&text).map_err(|e| HqError::Db(e.to_string()))?,
            })
        })
        .collect()
}

/// What one version did at the till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub articles: usize,
    pub added: usize,
    pub price_changes: usize,
    /// Not applied: its codes clash with the till's catalogue (the problem, both languages).
    pub refused: Option<Text>,
}

/// Apply, in order, every version for this till's shop that it has not applied yet, each in
/// one SQLite transaction. A version that does not fit the till's catalogue (a code used
/// twice) is refused, journaled (13999) and skipped for good; later versions still apply.
pub async fn pull(
    pool: &Pool,
    store: &AsyncStore,
    clock: &dyn Clock,
    shop_id: &str,
    till_id: &str,
) -> Result<Vec<Applied>, HqError> {
    let after = store.run(|s| s.hq_catalog_last_applied()).await?;
    let versions = newer(pool, shop_id, after).await?;
    let mut done = Vec::new();
    for v in versions {
        let (shop, till, at) = (shop_id.to_string(), till_id.to_string(), clock.now());
        let r = store
            .run(move |s| {
                let origin = format!("HQ catalogue version {} {}", v.version, v.file_name);
                let actor = CatalogActor {
                    shop_id: &shop,
                    till_id: &till,
                    staff_id: None,
                    at,
                    origin: &origin,
                };
                let existing = s.catalog_articles()?;
                let over: Vec<(String, CatalogArticle)> = v
                    .articles
                    .iter()
                    .map(|a| (format!("row with PLU {}", a.plu), a.clone()))
                    .collect();
                let mut out = Applied {
                    version: v.version,
                    articles: v.articles.len(),
                    added: 0,
                    price_changes: 0,
                    refused: None,
                };
                if let Err(e) = merged(Currency::Nok, &existing, &over) {
                    let problem = e.text();
                    let fresh = s.refuse_hq_catalog(v.version, &v.scope(), &problem.en, &actor)?;
                    out.refused = Some(problem);
                    return Ok(fresh.then_some(out));
                }
                let o = s.apply_hq_catalog(v.version, &v.scope(), &v.articles, &actor)?;
                Ok(o.map(|o| Applied {
                    added: o.added.len(),
                    price_changes: o.price_changes.len(),
                    ..out
                }))
            })
            .await?;
        if let Some(a) = r {
            match &a.refused {
                None => tracing::info!(
                    version = a.version,
                    price_changes = a.price_changes,
                    "HQ catalogue applied"
                ),
                Some(p) => tracing::warn!(
                    version = a.version,
                    problem = %p.en,
                    "HQ catalogue version refused; the till keeps its catalogue"
                ),
            }
            done.push(a);
        }
    }
    Ok(done)
}
