//! Report SQL for the § 2-8-2 content beyond the per-currency sections (groups, operators,
//! copies, returns, discounts, the counted events) and the grand totals, and the Z period's
//! start. Everything is a live aggregate over `[from, to)` of this shop/till.

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::ts;
use crate::domain::report::*;
use crate::domain::staff::StaffError;
use crate::fiscal::saft::codes::EventKind;

/// Sales of this shop/till in the period.
const SALES_WHERE: &str =
    "s.shop_id = ?1 AND s.till_id = ?2 AND s.created_at >= ?3 AND s.created_at < ?4";
const COMPLETED: &str = "s.status IN ('paid', 'partially_refunded', 'refunded')";

/// Where the period that ends `now` starts: where the till's previous Z ended (for Z reports
/// stored before migration 0012, keyed by day, the moment they were taken when that is
/// earlier than their day's end), else when the till was taken into use (the earliest of its
/// install, sales, refunds, staff actions and events), else `now`. Never after `now`.
pub(super) fn period_start(
    conn: &Connection,
    shop: &str,
    till: &str,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, StaffError> {
    let last_z: Option<String> = conn.query_row(
        "SELECT max(min(period_to, created_at)) FROM z_reports
         WHERE shop_id = ?1 AND till_id = ?2",
        params![shop, till],
        |r| r.get(0),
    )?;
    let start = match last_z {
        Some(t) => Some(t),
        None => conn.query_row(
            "SELECT min(t) FROM (
                 SELECT min(created_at) AS t FROM sales WHERE shop_id = ?1 AND till_id = ?2
                 UNION ALL SELECT min(r.created_at) FROM refunds r
                     JOIN sales s ON s.id = r.sale_id WHERE s.shop_id = ?1 AND s.till_id = ?2
                 UNION ALL SELECT min(at) FROM staff_actions
                 UNION ALL SELECT min(at) FROM fiscal_events
                     WHERE shop_id = ?1 AND till_id = ?2
                 UNION ALL SELECT min(created_at) FROM installs)",
            params![shop, till],
            |r| r.get::<_, Option<String>>(0),
        )?,
    };
    let start = match start {
        Some(t) => super::parse_ts(&t)?,
        None => now,
    };
    Ok(start.min(now))
}

/// Receipt numbers of this till's sales in the period that are still open (a payment in
/// progress): a Z waits for them, or they would complete inside a closed period.
pub(super) fn open_sales(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<String>, StaffError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.receipt_number FROM sales s WHERE {SALES_WHERE} AND s.status = 'open'
         ORDER BY s.created_at LIMIT 5"
    ))?;
    let rows = stmt.query_map(params![shop, till, ts(from), ts(to)], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<String>, _>>()?)
}

/// Completed non-training sales per currency in `[from, to)`: sales before returns (lines not
/// returned, ≥ 0) and returns (return lines and refunds not refused), for the grand totals.
/// Also the return lines and the discounts, for letters p and q.
struct LineTotals {
    currency: String,
    sales: i64,
    return_lines: i64,
    returns: i64,
    discount_lines: i64,
    discounts: i64,
}

fn line_totals(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: &str,
    to: &str,
) -> Result<Vec<LineTotals>, StaffError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.currency,
                coalesce(sum(CASE WHEN l.is_return = 0 AND l.gross >= 0 THEN l.gross END), 0),
                coalesce(sum(l.is_return = 1 OR l.gross < 0), 0),
                coalesce(sum(CASE WHEN l.is_return = 1 OR l.gross < 0 THEN abs(l.gross) END), 0),
                coalesce(sum(l.discount > 0), 0),
                coalesce(sum(CASE WHEN l.discount > 0 THEN l.discount END), 0)
         FROM sales s JOIN sale_lines l ON l.sale_id = s.id
         WHERE {SALES_WHERE} AND {COMPLETED} AND s.training = 0
         GROUP BY s.currency ORDER BY s.currency"
    ))?;
    let rows = stmt.query_map(params![shop, till, from, to], |r| {
        Ok(LineTotals {
            currency: r.get(0)?,
            sales: r.get(1)?,
            return_lines: r.get(2)?,
            returns: r.get(3)?,
            discount_lines: r.get(4)?,
            discounts: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// `(currency, count, amount)` of refunds.
type RefundTotal = (String, i64, i64);

/// What a period adds to the grand totals, with the line and refund figures behind it.
type PeriodFigures = (Vec<PeriodTotal>, Vec<LineTotals>, Vec<RefundTotal>);

/// Refunds made at this till in `[from, to)` that Vipps did not refuse for good, and cash
/// returns, per currency.
fn refund_totals(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: &str,
    to: &str,
) -> Result<Vec<RefundTotal>, StaffError> {
    let mut stmt = conn.prepare_cached(
        "SELECT currency, count(*), coalesce(sum(amount), 0) FROM (
             SELECT r.currency, r.amount
             FROM refunds r JOIN sales s ON s.id = r.sale_id
             LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
             WHERE s.shop_id = ?1 AND s.till_id = ?2 AND r.created_at >= ?3
               AND r.created_at < ?4
               AND r.training = 0 AND coalesce(o.status, 'pending') <> 'dead'
             UNION ALL
             -- Returns given back in cash (the cash part; a Vipps part is a refund above).
             SELECT c.currency, c.cash_amount FROM cash_returns c
             WHERE c.shop_id = ?1 AND c.till_id = ?2 AND c.created_at >= ?3
               AND c.created_at < ?4 AND c.training = 0)
         GROUP BY currency",
    )?;
    let rows = stmt.query_map(params![shop, till, from, to], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// What `[from, to)` adds to the grand totals, per currency.
fn period_totals_between(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: &str,
    to: &str,
) -> Result<PeriodFigures, StaffError> {
    let lines = line_totals(conn, shop, till, from, to)?;
    let refunds = refund_totals(conn, shop, till, from, to)?;
    let mut out: Vec<PeriodTotal> = lines
        .iter()
        .map(|l| PeriodTotal {
            currency: l.currency.clone(),
            sales: l.sales,
            returns: l.returns,
        })
        .collect();
    for (cur, _, amount) in &refunds {
        match out.iter_mut().find(|p| &p.currency == cur) {
            Some(p) => p.returns += amount,
            None => out.push(PeriodTotal {
                currency: cur.clone(),
                sales: 0,
                returns: *amount,
            }),
        }
    }
    out.sort_by(|a, b| a.currency.cmp(&b.currency));
    Ok((out, lines, refunds))
}

/// The grand totals stored with the till's last Z, if any Z since migration 0012 stored them.
pub(super) fn last_grand_totals(
    conn: &Connection,
    shop: &str,
    till: &str,
) -> Result<Option<Vec<GrandTotal>>, StaffError> {
    let last: Option<i64> = conn
        .query_row(
            "SELECT max(z_number) FROM z_grand_totals WHERE shop_id = ?1 AND till_id = ?2",
            params![shop, till],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let Some(n) = last else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT currency, sales, returns, net FROM z_grand_totals
         WHERE shop_id = ?1 AND till_id = ?2 AND z_number = ?3 ORDER BY currency",
    )?;
    let rows = stmt.query_map(params![shop, till, n], |r| {
        Ok(GrandTotal {
            currency: r.get(0)?,
            sales: r.get(1)?,
            returns: r.get(2)?,
            net: r.get(3)?,
        })
    })?;
    Ok(Some(rows.collect::<Result<Vec<_>, _>>()?))
}

/// Store the grand totals of Z `number` (inside the Z's transaction). The database refuses a
/// decrease (trigger of migration 0012).
pub(super) fn store_grand_totals(
    conn: &Connection,
    shop: &str,
    till: &str,
    number: i64,
    totals: &[GrandTotal],
) -> Result<(), StaffError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO z_grand_totals (shop_id, till_id, z_number, currency, sales, returns, net)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for g in totals {
        stmt.execute(params![
            shop, till, number, g.currency, g.sales, g.returns, g.net
        ])?;
    }
    Ok(())
}

/// f: completed non-training sale lines per main (article) group, in the report's currency.
/// The lines counted are those of the grand totals' sales (not returned, gross ≥ 0), so the
/// groups add up to them; a line without a catalogue article is "04999 Other".
fn group_totals(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: &str,
    to: &str,
    currency: &str,
) -> Result<Vec<GroupTotal>, StaffError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT coalesce(l.article_group, '{NO_GROUP}'), count(*), coalesce(sum(l.gross), 0)
         FROM sales s JOIN sale_lines l ON l.sale_id = s.id
         WHERE {SALES_WHERE} AND {COMPLETED} AND s.training = 0 AND s.currency = ?5
           AND l.is_return = 0 AND l.gross >= 0
         GROUP BY 1 ORDER BY 1"
    ))?;
    let rows = stmt.query_map(params![shop, till, from, to, currency], |r| {
        let group: String = r.get(0)?;
        let code = crate::fiscal::saft::codes::find(
            crate::fiscal::saft::codes::ARTICLE_GROUP_CODES,
            &group,
        );
        Ok(GroupTotal {
            name_nb: code.map(|c| c.nb.to_owned()).unwrap_or_default(),
            name_en: code.map(|c| c.en.to_owned()).unwrap_or_default(),
            group,
            count: r.get(1)?,
            gross: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Count (and the amount of their sales) of this till's events with `code` in the period.
fn events(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: &str,
    to: &str,
    kind: EventKind,
) -> Result<Counted, StaffError> {
    let code = kind.code().predefined.unwrap_or("13999");
    Ok(conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(s.gross_total), 0)
             FROM fiscal_events e LEFT JOIN sales s ON s.id = e.sale_id
             WHERE e.shop_id = ?1 AND e.till_id = ?2 AND e.code = ?3
               AND e.at >= ?4 AND e.at < ?5",
        )?
        .query_row(params![shop, till, code, from, to], |r| {
            Ok(Counted {
                count: r.get(0)?,
                amount: r.get(1)?,
            })
        })?)
}

/// Line corrections (§ 2-8-2 s) of this till in the period: lines deleted and quantities
/// lowered before completion (13999 events whose JSON text names a `correction`), counted and
/// with the amount they took off the sale.
fn line_corrections(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: &str,
    to: &str,
) -> Result<Counted, StaffError> {
    let code = EventKind::Other.code().predefined.unwrap_or("13999");
    Ok(conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(json_extract(e.detail, '$.amount_minor')), 0)
             FROM fiscal_events e
             WHERE e.shop_id = ?1 AND e.till_id = ?2 AND e.code = ?3
               AND e.at >= ?4 AND e.at < ?5
               AND json_valid(e.detail)
               AND json_extract(e.detail, '$.correction') IS NOT NULL",
        )?
        .query_row(params![shop, till, code, from, to], |r| {
            Ok(Counted {
                count: r.get(0)?,
                amount: r.get(1)?,
            })
        })?)
}

/// The § 2-8-2 content of `[from, to)` beyond `sections` (already computed for the same
/// period), with the grand totals as they stand at the end of the open period `open` (the
/// same bounds for a Z or a period X; the till's open period for an X of one calendar day).
#[allow(clippy::too_many_arguments)]
pub(super) fn fiscal_content(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    open: (OffsetDateTime, OffsetDateTime),
    sections: &[Section],
    company: &Company,
) -> Result<Fiscal, StaffError> {
    let (lo, hi) = (ts(from), ts(to));
    let currency = sections
        .iter()
        .find(|s| !s.training)
        .or_else(|| sections.first())
        .map_or_else(|| "NOK".to_owned(), |s| s.currency.clone());
    let main = sections
        .iter()
        .find(|s| !s.training && s.currency == currency);
    let mut f = Fiscal {
        company: company.clone(),
        currency: currency.clone(),
        ..Fiscal::default()
    };
    if let Some(s) = main {
        f.cash_sales = Counted {
            count: s.sales.count,
            amount: s.sales.gross,
        };
        f.receipts = s.sales.count;
        f.voids = Counted {
            count: s.cancellations.count,
            amount: s.cancellations.gross,
        };
    }
    for s in sections
        .iter()
        .filter(|s| s.training && s.currency == currency)
    {
        f.training.add(s.sales.count, s.sales.gross);
    }

    let (period, lines, refunds) = period_totals_between(conn, shop, till, &lo, &hi)?;
    f.groups = group_totals(conn, shop, till, &lo, &hi, &currency)?;
    if let Some(l) = lines.iter().find(|l| l.currency == currency) {
        f.returns.add(l.return_lines, l.returns);
        f.discounts.add(l.discount_lines, l.discounts);
    }
    if let Some((_, n, amount)) = refunds.iter().find(|r| r.0 == currency) {
        f.returns.add(*n, *amount);
    }

    // h: each operator's completed sales per payment method; a split sale counts once in each
    // of its two tenders (cash part, Vipps part), as in the section's tenders.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT coalesce(s.staff_id, ''), coalesce(st.name, ''), s.tender, count(*),
                coalesce(sum(s.gross_total + s.cash_rounding), 0)
         FROM sales s LEFT JOIN staff st ON st.id = s.staff_id
         WHERE {SALES_WHERE} AND {COMPLETED} AND s.training = 0 AND s.currency = ?5
           AND s.tender <> '{split}'
         GROUP BY 1, 2, 3
         UNION ALL
         SELECT coalesce(s.staff_id, ''), coalesce(st.name, ''), '{cash}', count(*),
                coalesce(sum(s.gross_total - p.amount), 0)
         FROM sales s JOIN payments p ON p.sale_id = s.id
         LEFT JOIN staff st ON st.id = s.staff_id
         WHERE {SALES_WHERE} AND {COMPLETED} AND s.training = 0 AND s.currency = ?5
           AND s.tender = '{split}' AND p.captured_amount > 0
         GROUP BY 1, 2
         UNION ALL
         SELECT coalesce(s.staff_id, ''), coalesce(st.name, ''), 'vipps', count(*),
                coalesce(sum(p.amount), 0)
         FROM sales s JOIN payments p ON p.sale_id = s.id
         LEFT JOIN staff st ON st.id = s.staff_id
         WHERE {SALES_WHERE} AND {COMPLETED} AND s.training = 0 AND s.currency = ?5
           AND s.tender = '{split}' AND p.captured_amount > 0
         GROUP BY 1, 2",
        split = crate::store::SPLIT_TENDER,
        cash = crate::store::CASH_TENDER,
    ))?;
    let mut rows = stmt.query(params![shop, till, lo, hi, currency])?;
    while let Some(r) = rows.next()? {
        let (staff_id, name, tender): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (count, gross): (i64, i64) = (r.get(3)?, r.get(4)?);
        match f
            .operators
            .iter_mut()
            .find(|o| o.staff_id == staff_id && o.tender == tender)
        {
            Some(o) => {
                o.count += count;
                o.gross += gross;
            }
            None => f.operators.push(OperatorTender {
                staff_id,
                name,
                tender,
                count,
                gross,
            }),
        }
    }
    drop(rows);
    f.operators
        .sort_by(|a, b| (&a.name, &a.staff_id, &a.tender).cmp(&(&b.name, &b.staff_id, &b.tender)));

    // n: copies printed in the period of this till's sales.
    f.copies = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(s.gross_total), 0)
             FROM print_jobs j JOIN sales s ON s.receipt_number = j.receipt_number
             WHERE j.kind = 'copy' AND j.created_at >= ?3 AND j.created_at < ?4
               AND s.shop_id = ?1 AND s.till_id = ?2",
        )?
        .query_row(params![shop, till, lo, hi], |r| {
            Ok(Counted {
                count: r.get(0)?,
                amount: r.get(1)?,
            })
        })?;
    // o, t, u, v: read from the journal's events by their code, so they fill in as soon as
    // kasse journals them.
    f.provisional = events(conn, shop, till, &lo, &hi, EventKind::ProvisionalReceipt)?;
    f.price_lookups = events(conn, shop, till, &lo, &hi, EventKind::PriceLookup)?.count;
    f.price_changes = events(conn, shop, till, &lo, &hi, EventKind::PriceChange)?.count;
    f.deliveries = events(conn, shop, till, &lo, &hi, EventKind::DeliveryReceipt)?;
    // s: lines deleted and quantities lowered before completion.
    f.line_corrections = line_corrections(conn, shop, till, &lo, &hi)?;

    // x: the last Z's grand totals plus the open period; before the first Z that stored
    // them, everything journaled before the period (the till's whole history) counts once.
    let period = if open == (from, to) {
        period
    } else {
        period_totals_between(conn, shop, till, &ts(open.0), &ts(open.1))?.0
    };
    let previous = match last_grand_totals(conn, shop, till)? {
        Some(g) => g,
        None => {
            let (before, _, _) = period_totals_between(conn, shop, till, "", &ts(open.0))?;
            accumulate(&[], &before)
        }
    };
    let mut grand = accumulate(&previous, &period);
    if grand.is_empty() {
        grand = accumulate(
            &[],
            &[PeriodTotal {
                currency: currency.clone(),
                sales: 0,
                returns: 0,
            }],
        );
    }
    f.grand_totals = grand;
    f.period_totals = period;

    // k and the drawer: the float, withdrawals and deposits of the period.
    f.cash = super::cash::drawer(conn, shop, till, &lo, &hi, cash_tender(sections, &currency))?;
    f.opening_float = f.cash.as_ref().map_or(0, |d| d.opening_float);
    Ok(f)
}

/// Cash taken in `currency` (non-training): the report's cash tender (cash sales after
/// øreavrunding, the cash part of split sales).
pub(super) fn cash_tender(sections: &[Section], currency: &str) -> i64 {
    sections
        .iter()
        .filter(|s| !s.training && s.currency == currency)
        .flat_map(|s| s.tenders.iter())
        .filter(|t| t.tender == crate::store::CASH_TENDER)
        .map(|t| t.gross)
        .sum()
}
