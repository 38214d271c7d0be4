//! Where the catalogue lives between runs: the SQLite table `catalog_articles` (migration 0017).
//!
//! - At start the TOML catalogue (`ui.catalog`, else the demo) is synced into it (a price that
//!   differs from the last start is a price change, journaled as 13021), then the till sells
//!   from the table: the TOML articles with the imported ones laid over them (same PLU: the
//!   imported article wins).
//! - `kasse catalog import FILE.csv` checks the whole file first (every row, every code unique
//!   against the rest of the catalogue), then writes it in one transaction: an error anywhere
//!   imports nothing.

use std::path::Path;

use super::catalog::{Catalog, CatalogError};
use crate::domain::money::Currency;
use crate::lang::Text;
use crate::store::catalog::{CatalogActor, CatalogArticle, CatalogOutcome, CatalogSource};
use crate::store::{AsyncStore, Store};

/// The catalogue's articles as the table stores them.
pub fn to_articles(c: &Catalog) -> Vec<CatalogArticle> {
    c.products()
        .iter()
        .map(|p| CatalogArticle {
            plu: p.plu.clone(),
            ean: p.ean.clone(),
            name: p.name.clone(),
            price: p.price.minor(),
            currency: p.price.currency().code().to_string(),
            vat_rate: i64::from(p.vat_bps),
            unit: p.unit.code().to_string(),
            group: p.group.clone(),
        })
        .collect()
}

pub use crate::store::catalog::merged;

/// Sync the TOML catalogue into the table (journaling price changes) and answer the catalogue
/// the till sells from. On a journal error the TOML catalogue is used as it is, and the error
/// is logged (the till still opens; nothing is journaled that was not written). Err: the TOML
/// file and the imported articles together are not a valid catalogue (a code used twice); the
/// message names the code and both articles.
pub async fn sync_at_start(
    store: &AsyncStore,
    toml: Catalog,
    shop_id: &str,
    till_id: &str,
    at: time::OffsetDateTime,
) -> Result<Catalog, CatalogError> {
    let articles = to_articles(&toml);
    let currency = toml.currency().unwrap_or(Currency::Nok);
    let (shop, till) = (shop_id.to_string(), till_id.to_string());
    let r = store
        .run(move |s: &mut Store| {
            let actor = CatalogActor {
                shop_id: &shop,
                till_id: &till,
                staff_id: None,
                at,
                origin: "TOML catalogue at start",
            };
            let outcome = s.apply_catalog(&articles, CatalogSource::Toml, &actor)?;
            Ok((outcome, s.catalog_articles()?))
        })
        .await;
    match r {
        Ok((outcome, all)) => {
            if !outcome.price_changes.is_empty() || !outcome.added.is_empty() {
                tracing::info!(
                    added = outcome.added.len(),
                    price_changes = outcome.price_changes.len(),
                    "catalogue synced"
                );
            }
            merged(currency, &all, &[])
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot sync the catalogue; selling from the TOML catalogue");
            Ok(toml)
        }
    }
}

/// What `kasse catalog import` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Articles in the file.
    pub rows: usize,
    pub outcome: CatalogOutcome,
}

fn nothing_imported(e: &Text) -> Text {
    Text::new(
        format!("Varekatalogen: {}. Ingenting ble importert.", e.nb),
        format!("Catalog: {}. Nothing was imported.", e.en),
    )
}

/// Read and check a catalogue file as `kasse catalog import` does (the same parser and the same
/// messages, used by `kasse hq catalog import` too): its currency and its articles, each with the
/// place messages name it by.
pub fn read_import(path: &Path) -> Result<(Currency, Vec<(String, CatalogArticle)>), Text> {
    let file = super::catalog::load(path).map_err(|e| nothing_imported(&e.text()))?;
    let places: Vec<String> = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => file
            .products()
            .iter()
            .map(|p| format!("row with PLU {}", p.plu))
            .collect(),
        _ => file
            .products()
            .iter()
            .map(|p| format!("product \"{}\"", p.name))
            .collect(),
    };
    let articles = to_articles(&file);
    Ok((
        file.currency().unwrap_or(Currency::Nok),
        places.into_iter().zip(articles).collect(),
    ))
}

/// `kasse catalog import FILE`: read and check the whole file, check its codes against the
/// stored catalogue, then write it in one transaction with its events. Any error: nothing is
/// written, and the message names the line and the column.
pub fn import_file(
    store: &mut Store,
    path: &Path,
    shop_id: &str,
    till_id: &str,
    at: time::OffsetDateTime,
) -> Result<ImportReport, Text> {
    let (currency, over) = read_import(path)?;
    let articles: Vec<CatalogArticle> = over.iter().map(|(_, a)| a.clone()).collect();
    let existing = store.catalog_articles().map_err(|e| e.message())?;
    merged(currency, &existing, &over).map_err(|e| nothing_imported(&e.text()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let origin = format!("kasse catalog import {name}");
    let actor = CatalogActor {
        shop_id,
        till_id,
        staff_id: None,
        at,
        origin: &origin,
    };
    let outcome = store
        .apply_catalog(&articles, CatalogSource::Import, &actor)
        .map_err(|e| nothing_imported(&e.message()))?;
    Ok(ImportReport {
        rows: articles.len(),
        outcome,
    })
}
