//! The till's article catalogue in SQLite (migration 0017): the TOML catalogue synced at start,
//! articles imported with `kasse catalog import` laid over it, and the fiscal events every
//! change makes (13021 price change with the old and new price, 13999 article added / changed /
//! removed). The catalogue table is master data; the history lives in the
//! append-only `fiscal_events`.

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::fiscal::{NewFiscalEvent, append_event};
use super::sql::Ts;
use super::{Store, StoreError};
use crate::domain::basket::QuantityUnit;
use crate::domain::catalog::{Catalog, CatalogError, Product};
use crate::domain::money::{Currency, Money};
use crate::fiscal::saft::codes::EventKind;

/// Where an article came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogSource {
    /// The TOML catalogue (`ui.catalog` or the demo), synced at every start.
    Toml,
    /// `kasse catalog import FILE.csv`; wins over a TOML article with the same PLU.
    Import,
}

impl CatalogSource {
    pub const fn as_str(self) -> &'static str {
        match self {
            CatalogSource::Toml => "toml",
            CatalogSource::Import => "import",
        }
    }
}

/// One article as the catalogue table stores it. `price` in minor units including VAT, VAT in
/// hundredths of a percent, `group` a code of Skatteetaten's list PredefinedBasicID-04.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CatalogArticle {
    pub plu: String,
    pub ean: Option<String>,
    pub name: String,
    pub price: i64,
    pub currency: String,
    pub vat_rate: i64,
    /// Quantity unit code (`PCS`, `KG`, …).
    pub unit: String,
    pub group: String,
}

/// A price that changed (journaled as 13021).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChange {
    pub plu: String,
    pub name: String,
    pub old_price: i64,
    pub new_price: i64,
    pub currency: String,
}

/// What [`Store::apply_catalog`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogOutcome {
    /// New articles (each journaled as 13999).
    pub added: Vec<String>,
    /// Price changes (each journaled as 13021).
    pub price_changes: Vec<PriceChange>,
    /// Articles whose name, code, VAT, unit or group changed but not the price (13999).
    pub changed: usize,
    /// Articles exactly as stored.
    pub unchanged: usize,
    /// TOML articles kept because an imported article with the same PLU wins.
    pub overridden: usize,
    /// TOML articles no longer in the TOML catalogue, removed (13999).
    pub removed: usize,
}

/// Who and where, for the events a catalogue change journals.
#[derive(Debug, Clone, Copy)]
pub struct CatalogActor<'a> {
    pub shop_id: &'a str,
    pub till_id: &'a str,
    pub staff_id: Option<&'a str>,
    pub at: OffsetDateTime,
    /// What made the change, e.g. "kasse catalog import prices.csv" (in every event's text).
    pub origin: &'a str,
}

fn plain(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The text of a 13021 event: `price change PLU 1001 "Kvikk Lunsj": 24.90 -> 26.90 NOK (…)`.
pub fn price_change_text(c: &PriceChange, origin: &str) -> String {
    format!(
        "price change PLU {} \"{}\": old price {} {cur}, new price {} {cur} ({origin})",
        c.plu,
        c.name,
        plain(c.old_price),
        plain(c.new_price),
        cur = c.currency
    )
}

const COLS: &str = "plu, ean, name, price, currency, vat_rate, unit, article_group";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(CatalogArticle, String)> {
    Ok((
        CatalogArticle {
            plu: r.get(0)?,
            ean: r.get(1)?,
            name: r.get(2)?,
            price: r.get(3)?,
            currency: r.get(4)?,
            vat_rate: r.get(5)?,
            unit: r.get(6)?,
            group: r.get(7)?,
        },
        r.get(8)?,
    ))
}

fn event(
    conn: &Connection,
    a: &CatalogActor<'_>,
    kind: EventKind,
    detail: String,
) -> Result<i64, StoreError> {
    append_event(
        conn,
        &NewFiscalEvent {
            shop_id: a.shop_id,
            till_id: a.till_id,
            kind,
            at: a.at,
            staff_id: a.staff_id,
            sale_id: None,
            detail,
        },
    )
}

fn describe(a: &CatalogArticle) -> String {
    format!(
        "PLU {}{} \"{}\", price {} {}, VAT {}.{:02} %, group {}",
        a.plu,
        a.ean
            .as_deref()
            .map(|e| format!(" EAN {e}"))
            .unwrap_or_default(),
        a.name,
        plain(a.price),
        a.currency,
        a.vat_rate / 100,
        a.vat_rate % 100,
        a.group
    )
}

pub(super) fn apply(
    conn: &Connection,
    articles: &[CatalogArticle],
    source: CatalogSource,
    actor: &CatalogActor<'_>,
) -> Result<CatalogOutcome, StoreError> {
    let mut out = CatalogOutcome::default();
    let mut find = conn.prepare_cached(&format!(
        "SELECT {COLS}, source FROM catalog_articles WHERE plu = ?1"
    ))?;
    let mut upsert = conn.prepare_cached(
        "INSERT INTO catalog_articles
             (plu, ean, name, price, currency, vat_rate, unit, article_group, source, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (plu) DO UPDATE SET ean = excluded.ean, name = excluded.name,
             price = excluded.price, currency = excluded.currency, vat_rate = excluded.vat_rate,
             unit = excluded.unit, article_group = excluded.article_group,
             source = excluded.source, updated_at = excluded.updated_at",
    )?;
    for a in articles {
        let old = find.query_row([&a.plu], row).optional()?;
        if let Some((_, old_source)) = &old
            && source == CatalogSource::Toml
            && old_source == CatalogSource::Import.as_str()
        {
            out.overridden += 1;
            continue;
        }
        match &old {
            Some((o, _)) if o == a => {
                out.unchanged += 1;
                continue;
            }
            Some((o, _)) if o.price != a.price || o.currency != a.currency => {
                let change = PriceChange {
                    plu: a.plu.clone(),
                    name: a.name.clone(),
                    old_price: o.price,
                    new_price: a.price,
                    currency: a.currency.clone(),
                };
                event(
                    conn,
                    actor,
                    EventKind::PriceChange,
                    price_change_text(&change, actor.origin),
                )?;
                out.price_changes.push(change);
            }
            Some(_) => {
                event(
                    conn,
                    actor,
                    EventKind::Other,
                    format!("article changed: {} ({})", describe(a), actor.origin),
                )?;
                out.changed += 1;
            }
            None => {
                event(
                    conn,
                    actor,
                    EventKind::Other,
                    format!("article added: {} ({})", describe(a), actor.origin),
                )?;
                out.added.push(a.plu.clone());
            }
        }
        upsert.execute(params![
            a.plu,
            a.ean,
            a.name,
            a.price,
            a.currency,
            a.vat_rate,
            a.unit,
            a.group,
            source.as_str(),
            Ts(actor.at),
        ])?;
    }
    if source == CatalogSource::Toml {
        // TOML articles no longer in the file leave the catalogue (imported ones stay).
        let keep: std::collections::HashSet<&str> =
            articles.iter().map(|a| a.plu.as_str()).collect();
        let stale: Vec<(CatalogArticle, String)> = {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLS}, source FROM catalog_articles WHERE source = 'toml' ORDER BY rowid"
            ))?;
            let rows = stmt.query_map([], row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for (a, _) in stale.iter().filter(|(a, _)| !keep.contains(a.plu.as_str())) {
            conn.execute("DELETE FROM catalog_articles WHERE plu = ?1", [&a.plu])?;
            event(
                conn,
                actor,
                EventKind::Other,
                format!("article removed: {} ({})", describe(a), actor.origin),
            )?;
            out.removed += 1;
        }
    }
    Ok(out)
}

impl Store {
    /// Write `articles` into the catalogue in one transaction, journaling every price change
    /// (13021, old and new price) and every added, changed or removed article (13999). An error
    /// writes nothing. [`CatalogSource::Toml`] keeps imported articles with the same PLU and
    /// removes TOML articles that are no longer in the file.
    pub fn apply_catalog(
        &mut self,
        articles: &[CatalogArticle],
        source: CatalogSource,
        actor: &CatalogActor<'_>,
    ) -> Result<CatalogOutcome, StoreError> {
        self.transaction(|tx| apply(tx.tx, articles, source, actor))
    }

    /// Every article of the catalogue, in the order they were first stored.
    pub fn catalog_articles(&self) -> Result<Vec<CatalogArticle>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLS}, source FROM catalog_articles ORDER BY rowid"
        ))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows
            .map(|r| r.map(|(a, _)| a))
            .collect::<Result<Vec<_>, _>>()?)
    }
}

/// The article group a new sale line is sold under: the catalogue article whose EAN, else PLU,
/// is the line's product id (`None`: no such article; reported as 04999).
pub(super) const LINE_GROUP_SQL: &str = "(SELECT article_group FROM catalog_articles
     WHERE ean = ?3 OR plu = ?3 ORDER BY ean = ?3 DESC LIMIT 1)";

fn product(a: &CatalogArticle) -> Product {
    let currency = Currency::parse(&a.currency).unwrap_or(Currency::Nok);
    Product {
        plu: a.plu.clone(),
        ean: a.ean.clone(),
        name: a.name.clone(),
        price: Money::new(a.price, currency),
        vat_bps: u32::try_from(a.vat_rate).unwrap_or(0),
        unit: QuantityUnit::parse(&a.unit).unwrap_or_default(),
        group: a.group.clone(),
    }
}

/// `base` with `over` laid on it (same PLU: `over` wins, in `base`'s place; new PLUs at the
/// end), checked like any catalogue: every PLU and EAN unique. `place` names `over`'s rows.
pub fn merged(
    currency: Currency,
    base: &[CatalogArticle],
    over: &[(String, CatalogArticle)],
) -> Result<Catalog, CatalogError> {
    let mut rows: Vec<(String, Product)> = base
        .iter()
        .filter(|b| !over.iter().any(|(_, o)| o.plu == b.plu))
        .map(|b| (format!("catalogue article PLU {}", b.plu), product(b)))
        .collect();
    rows.extend(over.iter().map(|(place, a)| (place.clone(), product(a))));
    Catalog::build(currency, rows)
}
