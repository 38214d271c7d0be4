//! Catalogue versions from headquarters, applied at the till (migration 0018): the articles go
//! through the till's own catalogue path ([`super::catalog`]: an imported article wins over the
//! TOML one, every price change journaled as 13021 with the old and new price, every new or
//! changed article as 13999), and the version is marked applied in the SAME transaction, so it
//! is applied once, also across restarts.

use rusqlite::params;

use super::catalog::{CatalogActor, CatalogArticle, CatalogOutcome, CatalogSource, apply};
use super::fiscal::{NewFiscalEvent, append_event};
use super::sql::Ts;
use super::{Store, StoreError};
use crate::fiscal::saft::codes::EventKind;

fn applied(tx: &rusqlite::Connection, version: i64) -> Result<bool, StoreError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM hq_catalog_applied WHERE version = ?1)",
        [version],
        |r| r.get(0),
    )?)
}

impl Store {
    /// The newest HQ catalogue version this till has applied (0: none).
    pub fn hq_catalog_last_applied(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(version), 0) FROM hq_catalog_applied",
            [],
            |r| r.get(0),
        )?)
    }

    /// Apply HQ catalogue `version` (`scope`: the shop or "chain") in one transaction with its
    /// events and the applied mark. `None`: the version was applied before (nothing written).
    pub fn apply_hq_catalog(
        &mut self,
        version: i64,
        scope: &str,
        articles: &[CatalogArticle],
        actor: &CatalogActor<'_>,
    ) -> Result<Option<CatalogOutcome>, StoreError> {
        self.transaction(|tx| {
            if applied(tx.tx, version)? {
                return Ok(None);
            }
            let out = apply(tx.tx, articles, CatalogSource::Import, actor)?;
            tx.tx.execute(
                "INSERT INTO hq_catalog_applied
                     (version, scope, outcome, articles, price_changes, applied_at)
                 VALUES (?1, ?2, 'applied', ?3, ?4, ?5)",
                params![
                    version,
                    scope,
                    i64::try_from(articles.len()).unwrap_or(i64::MAX),
                    i64::try_from(out.price_changes.len()).unwrap_or(i64::MAX),
                    Ts(actor.at),
                ],
            )?;
            Ok(Some(out))
        })
    }

    /// Mark HQ catalogue `version` refused (its codes clash with this till's catalogue): nothing
    /// of it is applied, a 13999 event names the problem, later versions still apply. False: it
    /// was applied or refused before.
    pub fn refuse_hq_catalog(
        &mut self,
        version: i64,
        scope: &str,
        problem: &str,
        actor: &CatalogActor<'_>,
    ) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            if applied(tx.tx, version)? {
                return Ok(false);
            }
            append_event(
                tx.tx,
                &NewFiscalEvent {
                    shop_id: actor.shop_id,
                    till_id: actor.till_id,
                    kind: EventKind::Other,
                    at: actor.at,
                    staff_id: actor.staff_id,
                    sale_id: None,
                    detail: format!(
                        "{} ({scope}) not applied, the till keeps its catalogue: {problem}",
                        actor.origin
                    ),
                },
            )?;
            tx.tx.execute(
                "INSERT INTO hq_catalog_applied
                     (version, scope, outcome, articles, price_changes, applied_at)
                 VALUES (?1, ?2, 'refused', 0, 0, ?3)",
                params![version, scope, Ts(actor.at)],
            )?;
            Ok(true)
        })
    }
}
