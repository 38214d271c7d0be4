//! `kasse hq saft --shop S --from D --to D`: one SAF-T Cash Register file for a shop with all
//! its tills, written from HQ's replicated copy through the same writer and the same mapping
//! as a till's own `kasse saft` (`service::saft`): one `<cashregister>` per till, its events and
//! its signed transactions in chain order (a restored till's installs one after the other), so
//! each till's chain verifies from the file with the till's public keys.
//!
//! Staff ids are per till (`st001` on every till), so the file qualifies a till's own staff
//! as `till/st001`; staff created at HQ (`hq7`) are the same person on every till and keep
//! their id. Report ids are qualified the same way (`t1/Z-4`): each till numbers its own Z. Memory stays bounded by the master data: events and transactions are streamed
//! from PostgreSQL one row at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::pin::pin;

use futures_util::TryStreamExt;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_postgres::types::ToSql;

use super::{HqError, Pool};
use crate::fiscal::saft::{CashRegister, SaftWriter};
use crate::lang::Text;
use crate::service::saft::{
    ExportError, ExportRequest, ExportSummary, SaleFacts, begin_export, finish_export,
    period_instants, saft_event, saft_transaction, shop_location,
};
use crate::store::fiscal::{FiscalEventRow, SaftMasterData, SignedKind, SignedTransaction};
use crate::store::{NewSaleLine, SaleLineRow, cash_part_of};

/// Why HQ could not write the file.
#[derive(Debug)]
pub enum HqSaftError {
    Hq(HqError),
    Export(ExportError),
    /// HQ has nothing of this shop (no signed transaction, no event).
    UnknownShop(String),
    /// A replicated row HQ cannot read back (named).
    BadRow(String),
}

impl HqSaftError {
    pub fn text(&self) -> Text {
        match self {
            HqSaftError::Hq(e) => e.text(),
            HqSaftError::Export(e) => e.text(),
            HqSaftError::UnknownShop(shop) => Text::new(
                format!(
                    "--shop: HK har ingen kasse i butikk «{shop}». Se «kasse hq status» for butikkene HK kjenner."
                ),
                format!(
                    "--shop: HQ has no till of shop \"{shop}\". See `kasse hq status` for the shops HQ knows."
                ),
            ),
            HqSaftError::BadRow(what) => Text::new(
                format!("HK-kopien har en rad som ikke kan leses: {what}"),
                format!("HQ's copy has a row that cannot be read: {what}"),
            ),
        }
    }
}

impl From<HqError> for HqSaftError {
    fn from(e: HqError) -> Self {
        HqSaftError::Hq(e)
    }
}

impl From<tokio_postgres::Error> for HqSaftError {
    fn from(e: tokio_postgres::Error) -> Self {
        HqSaftError::Hq(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for HqSaftError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        HqSaftError::Hq(e.into())
    }
}

impl From<ExportError> for HqSaftError {
    fn from(e: ExportError) -> Self {
        HqSaftError::Export(e)
    }
}

impl From<crate::fiscal::saft::SaftError> for HqSaftError {
    fn from(e: crate::fiscal::saft::SaftError) -> Self {
        HqSaftError::Export(e.into())
    }
}

/// The staff id a till's staff member has in a file of several tills.
pub fn emp_id(till: &str, staff_id: &str) -> String {
    if crate::domain::staff::is_hq_staff_id(staff_id) {
        staff_id.to_owned()
    } else {
        format!("{till}/{staff_id}")
    }
}

fn parse_at(s: &str) -> Result<OffsetDateTime, HqSaftError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| HqSaftError::BadRow(format!("time {s}")))
}

/// The shop's master data from HQ's copy: its tills, the VAT rates, articles and groups its
/// tills sold, and every staff member of its tills (qualified, see [`emp_id`]).
pub async fn shop_master(
    client: &tokio_postgres::Client,
    shop: &str,
) -> Result<SaftMasterData, HqSaftError> {
    let tills: Vec<String> = client
        .query(
            "SELECT till_id FROM hq_fiscal_transactions WHERE shop_id = $1
             UNION SELECT till_id FROM hq_fiscal_events WHERE shop_id = $1 ORDER BY 1",
            &[&shop],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if tills.is_empty() {
        return Err(HqSaftError::UnknownShop(shop.to_owned()));
    }
    let vat_rates: Vec<i64> = client
        .query(
            "SELECT DISTINCT (f.payload ->> 'vat_rate')::bigint FROM hq_feed f
             JOIN hq_streams s ON s.install_id = f.install_id
             WHERE s.shop_id = $1 AND f.tbl = 'sale_lines' ORDER BY 1",
            &[&shop],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    // The latest name and group of every article the shop's tills sold.
    let articles: Vec<(String, String, String)> = client
        .query(
            "SELECT DISTINCT ON (f.payload ->> 'product_id') f.payload ->> 'product_id',
                    f.payload ->> 'name', coalesce(f.payload ->> 'article_group', '04999')
             FROM hq_feed f JOIN hq_streams s ON s.install_id = f.install_id
             WHERE s.shop_id = $1 AND f.tbl = 'sale_lines'
               AND coalesce(f.payload ->> 'product_id', '') <> ''
             ORDER BY f.payload ->> 'product_id', s.first_seen_at DESC, f.row_id DESC",
            &[&shop],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut groups: BTreeSet<String> = client
        .query(
            "SELECT DISTINCT f.payload ->> 'article_group' FROM hq_feed f
             JOIN hq_streams s ON s.install_id = f.install_id
             WHERE s.shop_id = $1 AND f.tbl = 'sale_lines'
               AND f.payload ->> 'article_group' IS NOT NULL",
            &[&shop],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    groups.insert(crate::domain::report::NO_GROUP.to_owned());
    groups.extend(articles.iter().map(|a| a.2.clone()));
    // Staff: each till's register, HQ's own staff of the shop, then any id the journal names.
    type Staff = (String, String, Option<OffsetDateTime>);
    let mut staff: BTreeMap<String, Staff> = BTreeMap::new();
    for r in client
        .query(
            "SELECT till_id, staff_id, name, role, created_at FROM hq_till_staff
             WHERE shop_id = $1 ORDER BY till_id, staff_id",
            &[&shop],
        )
        .await?
    {
        let (till, id): (String, String) = (r.get(0), r.get(1));
        let created: Option<String> = r.get(4);
        let created = created.as_deref().map(parse_at).transpose()?;
        staff
            .entry(emp_id(&till, &id))
            .or_insert((r.get(2), r.get(3), created));
    }
    for r in client
        .query(
            "SELECT 'hq' || id, name, role, created_at FROM hq_staff WHERE shop_id = $1",
            &[&shop],
        )
        .await?
    {
        let created: std::time::SystemTime = r.get(3);
        staff
            .entry(r.get(0))
            .or_insert((r.get(1), r.get(2), Some(OffsetDateTime::from(created))));
    }
    for r in client
        .query(
            "SELECT till_id, staff_id FROM hq_fiscal_transactions
             WHERE shop_id = $1 AND staff_id IS NOT NULL
             UNION SELECT till_id, staff_id FROM hq_sales
             WHERE shop_id = $1 AND staff_id IS NOT NULL
             UNION SELECT till_id, payload ->> 'staff_id' FROM hq_fiscal_events
             WHERE shop_id = $1 AND payload ->> 'staff_id' IS NOT NULL",
            &[&shop],
        )
        .await?
    {
        let (till, id): (String, String) = (r.get(0), r.get(1));
        let id = emp_id(&till, &id);
        staff.entry(id.clone()).or_insert((id, String::new(), None));
    }
    Ok(SaftMasterData {
        vat_rates,
        articles,
        article_groups: groups.into_iter().collect(),
        employees: staff
            .into_iter()
            .map(|(id, (name, role, created))| (id, name, role, created))
            .collect(),
        tills: tills.into_iter().map(|t| (shop.to_owned(), t)).collect(),
    })
}

/// Write the SAF-T file of shop `shop` for `req.from..=req.to` to `out`, from HQ's copy.
pub async fn write_shop_saft<W: Write>(
    pool: &Pool,
    shop: &str,
    req: &ExportRequest,
    out: W,
) -> Result<(W, ExportSummary), HqSaftError> {
    let client = pool.get().await?;
    let master = shop_master(&client, shop).await?;
    let employees: BTreeSet<&str> = master
        .employees
        .iter()
        .map(|(id, ..)| id.as_str())
        .collect();
    let mut w = begin_export(req, &master, out)?;
    w.begin_location(&shop_location(&req.company, shop))?;
    for (_, till) in &master.tills {
        w.begin_register(&CashRegister {
            register_id: till.clone(),
            desc: None,
        })?;
        write_events(&client, &mut w, shop, till, req, &employees).await?;
        write_transactions(&client, &mut w, shop, till, req).await?;
        w.end_register()?;
    }
    w.end_location()?;
    Ok(finish_export(w)?)
}

/// Why HQ's copy of a shop may not hold the whole period yet: a till that had rows still to
/// send at its last contact, or that has not talked to HQ since the period ended. Empty when
/// every till of the shop is known to be complete.
pub async fn completeness(
    pool: &Pool,
    shop: &str,
    req: &ExportRequest,
) -> Result<Vec<Text>, HqError> {
    let (_, period_end) = period_instants(req);
    let end = crate::clock::rfc3339_millis(period_end);
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT till_id, install_id, till_lag,
                    to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    last_seen_at < $2::text::timestamptz
             FROM hq_streams s
             WHERE shop_id = $1 AND NOT EXISTS (
                 SELECT 1 FROM hq_streams n WHERE n.shop_id = s.shop_id AND n.till_id = s.till_id
                   AND n.first_seen_at > s.first_seen_at)
             ORDER BY till_id",
            &[&shop, &end],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let (till, lag, seen, before_end): (String, i64, String, bool) =
            (r.get(0), r.get(2), r.get(3), r.get(4));
        if lag > 0 {
            out.push(Text::new(
                format!(
                    "Kasse {till} hadde {lag} rader igjen å sende til HK da den sist tok kontakt ({seen}): filen kan mangle noe. Kjør «kasse hq sync» på kassen og eksporter på nytt."
                ),
                format!(
                    "Till {till} still had {lag} rows to send to HQ at its last contact ({seen}): the file may be missing some. Run `kasse hq sync` on the till and export again."
                ),
            ));
        } else if before_end {
            out.push(Text::new(
                format!(
                    "Kasse {till} har ikke tatt kontakt med HK siden perioden sluttet (sist {seen}): filen kan mangle det siste."
                ),
                format!(
                    "Till {till} has not talked to HQ since the period ended (last {seen}): the file may be missing the latest."
                ),
            ));
        }
    }
    Ok(out)
}

/// HQ's list of the files it wrote (`hq_saft_exports`).
pub async fn record_export(
    pool: &Pool,
    shop: &str,
    req: &ExportRequest,
    file_name: &str,
    summary: ExportSummary,
) -> Result<i64, HqError> {
    let client = pool.get().await?;
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let row = client
        .query_one(
            "INSERT INTO hq_saft_exports (shop_id, period_from, period_to, file_name,
                 transactions, events)
             VALUES ($1, $2::text::date, $3::text::date, $4, $5, $6) RETURNING id",
            &[
                &shop,
                &req.from.to_string(),
                &req.to.to_string(),
                &file_name,
                &n(summary.transactions),
                &n(summary.events),
            ],
        )
        .await?;
    Ok(row.get(0))
}

fn params<'a>(p: &'a [&'a (dyn ToSql + Sync)]) -> impl ExactSizeIterator<Item = &'a dyn ToSql> {
    p.iter().map(|v| *v as &dyn ToSql)
}

async fn write_events<W: Write>(
    client: &tokio_postgres::Client,
    w: &mut SaftWriter<W>,
    shop: &str,
    till: &str,
    req: &ExportRequest,
    employees: &BTreeSet<&str>,
) -> Result<(), HqSaftError> {
    let (from_at, to_at) = period_instants(req);
    let (from_at, to_at) = (
        crate::clock::rfc3339_millis(from_at),
        crate::clock::rfc3339_millis(to_at),
    );
    let rows = client
        .query_raw(
            "SELECT e.id, e.code, e.at, e.payload ->> 'staff_id',
                    (e.payload ->> 'sale_id')::bigint, e.payload ->> 'detail'
             FROM hq_fiscal_events e LEFT JOIN hq_streams o ON o.install_id = e.origin
             WHERE e.shop_id = $1 AND e.till_id = $2 AND e.at >= $3 AND e.at < $4
             ORDER BY o.first_seen_at, e.origin, e.id",
            params(&[&shop, &till, &from_at, &to_at]),
        )
        .await?;
    let mut rows = pin!(rows);
    let qualify = |id: &str| emp_id(till, id);
    while let Some(r) = rows.try_next().await? {
        let at: String = r.get(2);
        let e = FiscalEventRow {
            id: r.get(0),
            shop_id: shop.to_owned(),
            till_id: till.to_owned(),
            code: r.get(1),
            at: parse_at(&at)?,
            staff_id: r.get(3),
            sale_id: r.get(4),
            detail: r.get::<_, Option<String>>(5).unwrap_or_default(),
        };
        let mut ev = saft_event(&e, req.offset, &req.company, |id| {
            employees.contains(qualify(id).as_str())
        });
        ev.map_emp_ids(&qualify);
        // Every till numbers its own Z reports: `Z-1` is the till's, `t1/Z-1` the file's.
        if let Some(r) = &mut ev.report {
            r.report_id = format!("{till}/{}", r.report_id);
        }
        w.event(&ev)?;
    }
    Ok(())
}

/// The signed rows of one till with what their `<cashtransaction>` needs: the sale (its own
/// install's copy first: a restored till's later refund of an earlier sale finds it in the
/// install that sold it), its lines and payment attempts, the receipt's prints, and a cash
/// movement's reason.
const TRANSACTIONS: &str = "
SELECT t.id, t.nr, t.kind, t.trans_date, t.trans_time, t.amount_in, t.amount_ex, t.signature,
       t.key_version, t.sale_id, t.refund_id, t.receipt_number, t.staff_id, t.training,
       s.tender, s.gross_total, s.cash_rounding, s.currency,
       (SELECT jsonb_agg(l.payload ORDER BY (l.payload ->> 'line_no')::bigint)
        FROM hq_feed l WHERE l.tbl = 'sale_lines' AND l.origin = s.origin
          AND (l.payload ->> 'sale_id')::bigint = s.id)::text AS lines,
       (SELECT jsonb_agg(p.payload ORDER BY p.row_id) FROM (
            SELECT DISTINCT ON (row_id) row_id, payload FROM hq_feed
            WHERE tbl = 'payments' AND origin = s.origin
              AND (payload ->> 'sale_id')::bigint = s.id
            ORDER BY row_id, received_at DESC, seq DESC) p)::text AS payments,
       pr.receipts, pr.copies,
       (SELECT c.payload ->> 'reason' FROM hq_feed c
        WHERE c.tbl = 'cash_movements' AND c.origin = t.origin
          AND (c.payload ->> 'fiscal_id')::bigint = t.id LIMIT 1) AS reason
FROM hq_fiscal_transactions t
LEFT JOIN hq_streams o ON o.install_id = t.origin
LEFT JOIN LATERAL (
    (SELECT * FROM hq_sales s WHERE s.origin = t.origin AND s.id = t.sale_id)
    UNION ALL
    (SELECT s.* FROM hq_streams i JOIN hq_sales s ON s.origin = i.install_id AND s.id = t.sale_id
     WHERE i.shop_id = t.shop_id AND i.till_id = t.till_id AND i.install_id <> t.origin
     ORDER BY i.first_seen_at)
    LIMIT 1) s ON t.sale_id IS NOT NULL
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE j.payload ->> 'kind' = 'receipt') AS receipts,
           count(*) FILTER (WHERE j.payload ->> 'kind' = 'copy') AS copies
    FROM hq_feed j JOIN hq_streams js ON js.install_id = j.install_id
    WHERE j.tbl = 'print_jobs' AND j.payload ->> 'receipt_number' = t.receipt_number
      AND js.shop_id = t.shop_id AND js.till_id = t.till_id) pr ON true
WHERE t.shop_id = $1 AND t.till_id = $2 AND t.trans_date >= $3 AND t.trans_date <= $4
ORDER BY o.first_seen_at, t.origin, t.nr";

async fn write_transactions<W: Write>(
    client: &tokio_postgres::Client,
    w: &mut SaftWriter<W>,
    shop: &str,
    till: &str,
    req: &ExportRequest,
) -> Result<(), HqSaftError> {
    let (from, to) = (req.from.to_string(), req.to.to_string());
    let rows = client
        .query_raw(TRANSACTIONS, params(&[&shop, &till, &from, &to]))
        .await?;
    let mut rows = pin!(rows);
    let qualify = |id: &str| emp_id(till, id);
    while let Some(r) = rows.try_next().await? {
        let kind: String = r.get(2);
        let t = SignedTransaction {
            id: r.get(0),
            shop_id: shop.to_owned(),
            till_id: till.to_owned(),
            nr: r.get(1),
            kind: SignedKind::parse(&kind)
                .ok_or_else(|| HqSaftError::BadRow(format!("{till} kind {kind}")))?,
            trans_date: r.get(3),
            trans_time: r.get(4),
            amount_in: r.get(5),
            amount_ex: r.get(6),
            signature: r.get(7),
            key_version: r.get(8),
            sale_id: r.get(9),
            refund_id: r.get(10),
            receipt_number: r.get(11),
            staff_id: r.get(12),
            training: r.get(13),
        };
        let tender: Option<String> = r.get(14);
        let sale = match tender {
            Some(tender) => Some(sale_facts(
                tender,
                r.get(15),
                r.get(16),
                r.get(17),
                r.get::<_, Option<String>>(18).as_deref(),
                r.get::<_, Option<String>>(19).as_deref(),
            )?),
            None => None,
        };
        let cap = |n: i64| u16::try_from(n.clamp(0, 999)).unwrap_or(999);
        let prints = t
            .receipt_number
            .as_ref()
            .map(|_| (cap(r.get(20)), cap(r.get(21))));
        let mut ct = saft_transaction(&t, sale.as_ref(), prints)?;
        let reason: Option<String> = r.get(22);
        if reason.is_some() {
            ct.desc = reason;
        }
        ct.map_emp_ids(&qualify);
        w.transaction(&ct)?;
    }
    Ok(())
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, HqSaftError> {
    v.get(key)
        .ok_or_else(|| HqSaftError::BadRow(format!("{key} missing")))
}

fn int(v: &Value, key: &str) -> Result<i64, HqSaftError> {
    field(v, key)?
        .as_i64()
        .ok_or_else(|| HqSaftError::BadRow(format!("{key} = {}", v[key])))
}

fn text(v: &Value, key: &str) -> Result<String, HqSaftError> {
    field(v, key)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| HqSaftError::BadRow(format!("{key} = {}", v[key])))
}

fn opt_text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn json_list(s: Option<&str>) -> Result<Vec<Value>, HqSaftError> {
    match s {
        None => Ok(Vec::new()),
        Some(s) => serde_json::from_str(s).map_err(|e| HqSaftError::BadRow(e.to_string())),
    }
}

/// A sale as HQ holds it: the row's totals, its lines and payment attempts (feed payloads).
fn sale_facts(
    tender: String,
    gross_total: i64,
    cash_rounding: i64,
    currency: String,
    lines: Option<&str>,
    payments: Option<&str>,
) -> Result<SaleFacts, HqSaftError> {
    let lines = json_list(lines)?
        .iter()
        .map(|l| {
            Ok(SaleLineRow {
                id: int(l, "id")?,
                sale_id: int(l, "sale_id")?,
                line_no: int(l, "line_no")?,
                line: NewSaleLine {
                    product_id: opt_text(l, "product_id"),
                    name: text(l, "name")?,
                    quantity: text(l, "quantity")?,
                    quantity_milli: int(l, "quantity_milli")?,
                    unit: text(l, "unit")?,
                    unit_price: int(l, "unit_price")?,
                    discount: int(l, "discount")?,
                    vat_rate: int(l, "vat_rate")?,
                    gross: int(l, "gross")?,
                    net: int(l, "net")?,
                    vat: int(l, "vat")?,
                    is_return: int(l, "is_return")? != 0,
                },
                article_group: opt_text(l, "article_group"),
            })
        })
        .collect::<Result<Vec<_>, HqSaftError>>()?;
    let payments = json_list(payments)?;
    let captured = payments
        .iter()
        .find(|p| p.get("state").and_then(Value::as_str) == Some("captured"))
        .map(|p| -> Result<_, HqSaftError> {
            Ok((
                text(p, "reference")?,
                int(p, "amount")?,
                text(p, "currency")?,
            ))
        })
        .transpose()?;
    let refundable = payments
        .iter()
        .find(|p| p.get("captured_amount").and_then(Value::as_i64) > Some(0))
        .map(|p| text(p, "reference"))
        .transpose()?;
    let first_amount = payments.first().map(|p| int(p, "amount")).transpose()?;
    Ok(SaleFacts {
        cash_part: cash_part_of(&tender, gross_total, first_amount),
        currency,
        tender,
        gross_total,
        cash_rounding,
        lines,
        captured,
        refundable,
    })
}
