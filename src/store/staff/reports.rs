//! Report SQL: X/Z figures from the journal (live aggregates or the hourly totals), the Z
//! counter and stored Z reports.

use rusqlite::{Connection, OptionalExtension, params};
use time::{Date, OffsetDateTime, UtcOffset};

use super::{StaffConn, journal_action, ts};
use crate::domain::reconcile::Reconciliation;
use crate::domain::report::*;
use crate::domain::staff::{Permission, Session, StaffError};
use crate::lang::Text;

/// Sales of this shop/till in the period.
const SALES_WHERE: &str =
    "s.shop_id = ?1 AND s.till_id = ?2 AND s.created_at >= ?3 AND s.created_at < ?4";
const COMPLETED: &str = "s.status IN ('paid', 'partially_refunded', 'refunded')";

/// The three totals queries (sales per status and tender, captures per API, lines per VAT
/// rate), in the shape both sources answer them.
fn totals_sql(source: Source) -> [String; 3] {
    match source {
        Source::Live => [
            format!(
                "SELECT s.training, s.currency, s.status, s.tender, count(*),
                        coalesce(sum(s.gross_total), 0), coalesce(sum(s.net_total), 0),
                        coalesce(sum(s.vat_total), 0)
                 FROM sales s WHERE {SALES_WHERE}
                 GROUP BY s.training, s.currency, s.status, s.tender"
            ),
            format!(
                "SELECT s.training, s.currency, p.api, count(*), coalesce(sum(p.captured_amount), 0)
                 FROM sales s JOIN payments p ON p.sale_id = s.id
                 WHERE {SALES_WHERE} AND p.captured_amount > 0
                 GROUP BY s.training, s.currency, p.api ORDER BY p.api"
            ),
            format!(
                "SELECT s.training, s.currency, l.vat_rate,
                        coalesce(sum(CASE WHEN l.is_return = 1 THEN -l.gross ELSE l.gross END), 0),
                        coalesce(sum(CASE WHEN l.is_return = 1 THEN -l.net ELSE l.net END), 0),
                        coalesce(sum(CASE WHEN l.is_return = 1 THEN -l.vat ELSE l.vat END), 0)
                 FROM sales s JOIN sale_lines l ON l.sale_id = s.id
                 WHERE {SALES_WHERE} AND {COMPLETED}
                 GROUP BY s.training, s.currency, l.vat_rate ORDER BY l.vat_rate DESC"
            ),
        ],
        Source::Hourly => [
            format!(
                "SELECT training, currency, status, tender, sum(n), sum(gross), sum(net), sum(vat)
                 FROM report_sales_hourly WHERE {HOURS_WHERE}
                 GROUP BY training, currency, status, tender HAVING sum(n) <> 0"
            ),
            format!(
                "SELECT training, currency, api, sum(n), sum(captured)
                 FROM report_captures_hourly WHERE {HOURS_WHERE}
                 GROUP BY training, currency, api HAVING sum(n) <> 0 ORDER BY api"
            ),
            format!(
                "SELECT training, currency, vat_rate, sum(gross), sum(net), sum(vat)
                 FROM report_lines_hourly
                 WHERE {HOURS_WHERE} AND status IN ('paid', 'partially_refunded', 'refunded')
                 GROUP BY training, currency, vat_rate HAVING sum(n) <> 0
                 ORDER BY vat_rate DESC"
            ),
        ],
    }
}

/// Hourly totals of this shop/till in the period (`?3`/`?4` are `YYYY-MM-DDTHH`).
const HOURS_WHERE: &str = "shop_id = ?1 AND till_id = ?2 AND hour >= ?3 AND hour < ?4";

/// Compute the figures for `[from, to)` with SQL aggregates, from the hourly totals when the
/// bounds allow it.
fn compute(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<(Vec<Section>, i64, i64), StaffError> {
    compute_from(conn, shop, till, from, to, source_for(from, to))
}

/// [`compute`] from a chosen source (the property test compares both).
pub fn compute_from(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    source: Source,
) -> Result<(Vec<Section>, i64, i64), StaffError> {
    let hour = |t: OffsetDateTime| {
        let mut s = ts(t);
        s.truncate(13);
        s
    };
    let (lo, hi) = match source {
        Source::Live => (ts(from), ts(to)),
        Source::Hourly => (hour(from), hour(to)),
    };
    let totals = params![shop, till, lo, hi];
    let p = params![shop, till, ts(from), ts(to)];
    let [sales_sql, captures_sql, lines_sql] = totals_sql(source);
    let mut secs: Vec<Section> = Vec::new();

    // One pass: status and tender together.
    let mut stmt = conn.prepare_cached(&sales_sql)?;
    let mut rows = stmt.query(totals)?;
    while let Some(r) = rows.next()? {
        let (training, cur, status, tender): (bool, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let a = Amounts {
            count: r.get(4)?,
            gross: r.get(5)?,
            net: r.get(6)?,
            vat: r.get(7)?,
        };
        let s = section(&mut secs, training, &cur);
        let target = match status.as_str() {
            "paid" | "partially_refunded" | "refunded" => {
                // Split sales are counted per tender below (cash part and Vipps part).
                if tender != crate::store::SPLIT_TENDER {
                    add_tender(s, &tender, a.count, a.gross);
                }
                &mut s.sales
            }
            "cancelled" | "voided" => &mut s.cancellations,
            "failed" => {
                s.failed += a.count;
                continue;
            }
            _ => {
                s.open += a.count;
                continue;
            }
        };
        target.count += a.count;
        target.gross += a.gross;
        target.net += a.net;
        target.vat += a.vat;
    }
    drop(rows);

    // Split tender (cash part + Vipps remainder): the cash part is the sale total minus what
    // Vipps was asked for; only completed sales count, so the cash of a split sale whose Vipps
    // part failed (the cashier gave it back) is never in the drawer figures. The tender is a
    // literal so the partial index `sales_split` (migration 0005) serves it: only split sales
    // are read, whichever source the other totals come from.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.training, s.currency, count(*), coalesce(sum(s.gross_total - p.amount), 0),
                coalesce(sum(p.amount), 0)
         FROM sales s INDEXED BY sales_split JOIN payments p ON p.sale_id = s.id
         WHERE {SALES_WHERE} AND {COMPLETED} AND s.tender = '{split}'
           AND p.captured_amount > 0
         GROUP BY s.training, s.currency",
        split = crate::store::SPLIT_TENDER
    ))?;
    let mut rows = stmt.query(p)?;
    while let Some(r) = rows.next()? {
        let (training, cur, count, cash, vipps): (bool, String, i64, i64, i64) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        let s = section(&mut secs, training, &cur);
        add_tender(s, crate::store::CASH_TENDER, count, cash);
        add_tender(s, "vipps", count, vipps);
    }
    drop(rows);

    // Øreavrunding of cash-only sales: read live over the partial index `sales_rounded`
    // (migration 0008), which holds only rounded sales, so the hourly and live sources give
    // the same figures. The cash tender is what went into the drawer: gross + rounding.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.training, s.currency, coalesce(sum(s.cash_rounding), 0)
         FROM sales s INDEXED BY sales_rounded
         WHERE {SALES_WHERE} AND {COMPLETED} AND s.cash_rounding <> 0
           AND s.tender = '{cash}'
         GROUP BY s.training, s.currency",
        cash = crate::store::CASH_TENDER
    ))?;
    let mut rows = stmt.query(p)?;
    while let Some(r) = rows.next()? {
        let (training, cur, rounding): (bool, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let s = section(&mut secs, training, &cur);
        s.cash_rounding += rounding;
        add_tender(s, crate::store::CASH_TENDER, 0, rounding);
    }
    drop(rows);

    let mut stmt = conn.prepare_cached(&captures_sql)?;
    let mut rows = stmt.query(totals)?;
    while let Some(r) = rows.next()? {
        let (training, cur): (bool, String) = (r.get(0)?, r.get(1)?);
        section(&mut secs, training, &cur).vipps.push(ApiTotal {
            api: r.get(2)?,
            count: r.get(3)?,
            captured: r.get(4)?,
        });
    }
    drop(rows);

    let mut stmt = conn.prepare_cached(&lines_sql)?;
    let mut rows = stmt.query(totals)?;
    while let Some(r) = rows.next()? {
        let (training, cur): (bool, String) = (r.get(0)?, r.get(1)?);
        section(&mut secs, training, &cur).vat_rates.push(VatTotal {
            rate: r.get(2)?,
            gross: r.get(3)?,
            net: r.get(4)?,
            vat: r.get(5)?,
        });
    }
    drop(rows);

    // Refunds made in the period at this till (of any day's sale).
    let refund_where = "s.shop_id = ?1 AND s.till_id = ?2 AND r.created_at >= ?3
                        AND r.created_at < ?4";
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.training, r.currency, coalesce(o.status, 'pending'), count(*),
                coalesce(sum(r.amount), 0), coalesce(sum(r.net), 0), coalesce(sum(r.vat), 0)
         FROM refunds r JOIN sales s ON s.id = r.sale_id
         LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
         WHERE {refund_where}
         GROUP BY r.training, r.currency, coalesce(o.status, 'pending')"
    ))?;
    let mut rows = stmt.query(p)?;
    while let Some(r) = rows.next()? {
        let (training, cur, status): (bool, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let count: i64 = r.get(3)?;
        let s = section(&mut secs, training, &cur);
        if status == "dead" {
            s.refunds_failed += count;
            continue;
        }
        if status != "done" {
            s.refunds_pending += count;
        }
        s.refunds.count += count;
        s.refunds.gross += r.get::<_, i64>(4)?;
        s.refunds.net += r.get::<_, i64>(5)?;
        s.refunds.vat += r.get::<_, i64>(6)?;
    }
    drop(rows);

    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.training, r.currency, rl.vat_rate, coalesce(sum(rl.gross), 0),
                coalesce(sum(rl.net), 0), coalesce(sum(rl.vat), 0)
         FROM refunds r JOIN sales s ON s.id = r.sale_id
         JOIN refund_lines rl ON rl.refund_id = r.id
         LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
         WHERE {refund_where} AND coalesce(o.status, 'pending') <> 'dead'
         GROUP BY r.training, r.currency, rl.vat_rate ORDER BY rl.vat_rate DESC"
    ))?;
    let mut rows = stmt.query(p)?;
    while let Some(r) = rows.next()? {
        let (training, cur): (bool, String) = (r.get(0)?, r.get(1)?);
        section(&mut secs, training, &cur)
            .refund_vat_rates
            .push(VatTotal {
                rate: r.get(2)?,
                gross: r.get(3)?,
                net: r.get(4)?,
                vat: r.get(5)?,
            });
    }
    drop(rows);

    for s in &mut secs {
        s.net_turnover = s.sales.gross - s.refunds.gross;
        s.tenders.sort_by(|a, b| a.tender.cmp(&b.tender));
    }
    secs.sort_by(|a, b| (a.training, &a.currency).cmp(&(b.training, &b.currency)));

    let drawer: i64 = conn.query_row(
        "SELECT count(*) FROM staff_actions WHERE action = ?1 AND allowed = 1
             AND at >= ?2 AND at < ?3",
        params![Permission::OpenDrawerNoSale.code(), ts(from), ts(to)],
        |r| r.get(0),
    )?;
    let unresolved = outbox_unresolved(conn)?;
    Ok((secs, drawer, unresolved))
}

/// Same rule as `Store::unresolved_count`: unsent rows, or dead rows nobody acknowledged.
fn outbox_unresolved(conn: &Connection) -> Result<i64, StaffError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'in_flight')
             OR (status = 'dead' AND acknowledged_at IS NULL)",
        [],
        |r| r.get(0),
    )?)
}

impl StaffConn<'_> {
    /// X report for the business day `date` (at `offset`). Any logged-in staff; journaled.
    pub fn x_report(
        &self,
        session: Option<&Session>,
        date: Date,
        offset: UtcOffset,
        reconciliation: Option<Reconciliation>,
        now: OffsetDateTime,
    ) -> Result<Report, StaffError> {
        if let Some(s) = session {
            self.authorize(s, Permission::XReport, None, Some(&date_string(date)), now)?;
        }
        let (from, to) = day_bounds(date, offset);
        let conn = self.lock()?;
        let (sections, drawer, unresolved) =
            compute(conn, self.shop_id(), self.till_id(), from, to)?;
        if session.is_none() {
            journal_action(
                conn,
                now,
                None,
                "x_report",
                true,
                None,
                Some(&date_string(date)),
            )?;
        }
        Ok(Report {
            kind: ReportKind::X,
            number: None,
            shop_id: self.shop_id().to_owned(),
            till_id: self.till_id().to_owned(),
            business_date: date_string(date),
            period_from: ts(from),
            period_to: ts(to),
            generated_at: ts(now),
            generated_by: session.map(|s| s.staff_id().to_owned()),
            sections,
            drawer_opens_no_sale: drawer,
            outbox_unresolved: unresolved,
            reconciliation,
        })
    }

    /// Take the Z report for `date`: manager only, outbox resolved, one per day and till.
    /// Numbered and stored immutably in one transaction.
    pub fn close_day(
        &self,
        session: &Session,
        date: Date,
        offset: UtcOffset,
        reconciliation: Option<Reconciliation>,
        now: OffsetDateTime,
    ) -> Result<Report, StaffError> {
        let day = date_string(date);
        self.authorize(session, Permission::ZReport, None, Some(&day), now)?;
        let (from, to) = day_bounds(date, offset);
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT number FROM z_reports WHERE shop_id = ?1 AND till_id = ?2
                     AND business_date = ?3",
                params![self.shop_id(), self.till_id(), day],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(n) = existing {
            return Err(StaffError::Refused(Text::new(
                format!(
                    "Z-rapport: dagen {day} er allerede avsluttet med Z nr. {n}. En Z-rapport kan ikke tas to ganger; skriv ut den lagrede kopien, eller ta en X-rapport."
                ),
                format!(
                    "Z report: the day {day} is already closed with Z no. {n}. A Z report cannot be taken twice; print the stored copy, or take an X report."
                ),
            )));
        }
        let unresolved = outbox_unresolved(&tx)?;
        if unresolved > 0 {
            return Err(StaffError::Refused(Text::new(
                format!(
                    "Z-rapport: {unresolved} oppdrag i køen er ikke sendt til Vipps eller har feilet uten å være kvittert ut. Send dem (`kasse queue --drain`) eller la en leder kvittere ut de feilede, og prøv igjen."
                ),
                format!(
                    "Z report: {unresolved} queued Vipps actions are unsent, or failed and not acknowledged. Send them (`kasse queue --drain`) or have a manager acknowledge the failed ones, then try again."
                ),
            )));
        }
        let (sections, drawer, unresolved) =
            compute(&tx, self.shop_id(), self.till_id(), from, to)?;
        let number: i64 = tx.query_row(
            "INSERT INTO counters (shop_id, till_id, name, value) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (shop_id, till_id, name) DO UPDATE SET value = value + 1
             RETURNING value",
            params![self.shop_id(), self.till_id(), Z_COUNTER],
            |r| r.get(0),
        )?;
        let report = Report {
            kind: ReportKind::Z,
            number: Some(number),
            shop_id: self.shop_id().to_owned(),
            till_id: self.till_id().to_owned(),
            business_date: day.clone(),
            period_from: ts(from),
            period_to: ts(to),
            generated_at: ts(now),
            generated_by: Some(session.staff_id().to_owned()),
            sections,
            drawer_opens_no_sale: drawer,
            outbox_unresolved: unresolved,
            reconciliation,
        };
        let json = serde_json::to_string(&report).map_err(|e| {
            StaffError::Internal(Text::new(
                format!("Kunne ikke lagre Z-rapporten: {e}"),
                format!("Could not store the Z report: {e}"),
            ))
        })?;
        tx.execute(
            "INSERT INTO z_reports (shop_id, till_id, number, business_date, period_from,
                 period_to, created_at, staff_id, report_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                self.shop_id(),
                self.till_id(),
                number,
                day,
                ts(from),
                ts(to),
                ts(now),
                session.staff_id(),
                json
            ],
        )?;
        journal_action(
            &tx,
            now,
            Some(session.staff_id()),
            "z_report_closed",
            true,
            None,
            Some(&format!("Z {number} for {day}")),
        )?;
        tx.commit()?;
        tracing::info!(number, day = %day, "Z report taken");
        Ok(report)
    }

    /// The stored Z report for a day, if the day was closed.
    pub fn stored_z_report(&self, date: Date) -> Result<Option<Report>, StaffError> {
        let conn = self.lock()?;
        let json: Option<String> = conn
            .query_row(
                "SELECT report_json FROM z_reports WHERE shop_id = ?1 AND till_id = ?2
                     AND business_date = ?3",
                params![self.shop_id(), self.till_id(), date_string(date)],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| {
                StaffError::Internal(Text::new(
                    format!("Den lagrede Z-rapporten kan ikke leses: {e}"),
                    format!("The stored Z report cannot be read: {e}"),
                ))
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    /// The hourly totals kept by the triggers of migration 0005 give the same figures as the
    /// live aggregates, for data written before the migration (backfill) and after it
    /// (triggers), through inserts and every kind of update the journal makes.
    mod hourly_totals {
        use super::super::*;
        use crate::store::MIGRATIONS;
        use proptest::prelude::*;
        use rusqlite::Connection;
        use time::macros::{date, datetime};

        #[derive(Debug, Clone)]
        enum Op {
            Sale {
                till: u8,
                hour: i64,
                minute: i64,
                training: bool,
                eur: bool,
                status: usize,
                tender: usize,
                lines: Vec<(usize, i64, bool)>,
            },
            Status {
                sale: usize,
                status: usize,
            },
            Tender {
                sale: usize,
                tender: usize,
            },
            Pay {
                sale: usize,
                api: usize,
                captured: i64,
            },
            Capture {
                payment: usize,
                captured: i64,
            },
            LineReturn {
                line: usize,
            },
            DeleteLine {
                line: usize,
            },
            /// A cash-only sale paid rounded to the cash step (øreavrunding), one line.
            RoundedCash {
                till: u8,
                hour: i64,
                minute: i64,
                training: bool,
                eur: bool,
                status: usize,
                gross: i64,
            },
        }

        const STATUSES: [&str; 7] = [
            "open",
            "paid",
            "failed",
            "cancelled",
            "voided",
            "partially_refunded",
            "refunded",
        ];
        const TENDERS: [&str; 3] = ["vipps", "cash", "cash+vipps"];
        const RATES: [i64; 4] = [2500, 1500, 1200, 0];
        const APIS: [&str; 3] = ["epayment", "ecom", "psp"];

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (0u8..3, 0i64..50, 0i64..60, any::<bool>(), any::<bool>(), 0usize..7,
                      0usize..3, proptest::collection::vec((0usize..4, 0i64..20_000, any::<bool>()), 0..4))
                    .prop_map(|(till, hour, minute, training, eur, status, tender, lines)| Op::Sale {
                        till, hour, minute, training, eur, status, tender, lines,
                    }),
                3 => (any::<usize>(), 0usize..7).prop_map(|(sale, status)| Op::Status { sale, status }),
                1 => (any::<usize>(), 0usize..3).prop_map(|(sale, tender)| Op::Tender { sale, tender }),
                2 => (any::<usize>(), 0usize..3, 0i64..20_000)
                    .prop_map(|(sale, api, captured)| Op::Pay { sale, api, captured }),
                2 => (any::<usize>(), 0i64..20_000)
                    .prop_map(|(payment, captured)| Op::Capture { payment, captured }),
                1 => any::<usize>().prop_map(|line| Op::LineReturn { line }),
                1 => any::<usize>().prop_map(|line| Op::DeleteLine { line }),
                2 => (0u8..3, 0i64..50, 0i64..60, any::<bool>(), any::<bool>(), 0usize..7, -5_000i64..20_000)
                    .prop_map(|(till, hour, minute, training, eur, status, gross)| Op::RoundedCash {
                        till, hour, minute, training, eur, status, gross,
                    }),
            ]
        }

        /// `rounding_column`: migration 0008 ran (before it, a rounded sale is journaled
        /// without its rounding, as an older kasse would have).
        fn apply(conn: &Connection, ops: &[Op], seq: &mut i64, rounding_column: bool) {
            let day = datetime!(2026-11-20 00:00 UTC);
            for o in ops {
                let ids = |table: &str| -> Vec<i64> {
                    let mut st = conn
                        .prepare(&format!("SELECT id FROM {table} ORDER BY id"))
                        .unwrap();
                    st.query_map([], |r| r.get(0))
                        .unwrap()
                        .map(|r| r.unwrap())
                        .collect()
                };
                let pick = |table: &str, i: usize| -> Option<i64> {
                    let v = ids(table);
                    (!v.is_empty()).then(|| v[i % v.len()])
                };
                match o {
                    Op::Sale {
                        till,
                        hour,
                        minute,
                        training,
                        eur,
                        status,
                        tender,
                        lines,
                    } => {
                        *seq += 1;
                        let at = ts(day + time::Duration::minutes(hour * 60 + minute));
                        let lines: Vec<(i64, i64, i64, bool)> = lines
                            .iter()
                            .map(|&(r, gross, ret)| {
                                let vat = crate::domain::refund::vat_of_gross(gross, RATES[r]);
                                (RATES[r], gross, vat, ret)
                            })
                            .collect();
                        let gross: i64 = lines.iter().map(|l| if l.3 { -l.1 } else { l.1 }).sum();
                        let vat: i64 = lines.iter().map(|l| if l.3 { -l.2 } else { l.2 }).sum();
                        conn.execute(
                            "INSERT INTO sales (created_at, updated_at, shop_id, till_id, sequence,
                                 receipt_number, currency, gross_total, vat_total, net_total,
                                 status, training, tender)
                             VALUES (?1, ?1, 's1', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                            params![
                                at,
                                format!("t{till}"),
                                *seq,
                                format!("r{seq}"),
                                if *eur { "EUR" } else { "NOK" },
                                gross,
                                vat,
                                gross - vat,
                                STATUSES[*status],
                                *training,
                                TENDERS[*tender]
                            ],
                        )
                        .unwrap();
                        let sale = conn.last_insert_rowid();
                        for (n, (rate, g, v, ret)) in lines.iter().enumerate() {
                            conn.execute(
                                "INSERT INTO sale_lines (sale_id, line_no, name, quantity,
                                     quantity_milli, unit, unit_price, vat_rate, gross, net, vat,
                                     is_return)
                                 VALUES (?1, ?2, 'x', '1', 1000, 'pcs', ?3, ?4, ?3, ?5, ?6, ?7)",
                                params![sale, n as i64 + 1, g, rate, g - v, v, ret],
                            )
                            .unwrap();
                        }
                    }
                    Op::Status { sale, status } => {
                        if let Some(id) = pick("sales", *sale) {
                            conn.execute(
                                "UPDATE sales SET status = ?1, updated_at = 'x' WHERE id = ?2",
                                params![STATUSES[*status], id],
                            )
                            .unwrap();
                        }
                    }
                    Op::Tender { sale, tender } => {
                        if let Some(id) = pick("sales", *sale) {
                            conn.execute(
                                "UPDATE sales SET tender = ?1 WHERE id = ?2",
                                params![TENDERS[*tender], id],
                            )
                            .unwrap();
                        }
                    }
                    Op::Pay {
                        sale,
                        api,
                        captured,
                    } => {
                        if let Some(id) = pick("sales", *sale) {
                            *seq += 1;
                            conn.execute(
                                "INSERT INTO payments (sale_id, api, msn, reference, attempt, flow,
                                     currency, amount, state, create_key, capture_key, cancel_key,
                                     created_at, updated_at, captured_amount)
                                 VALUES (?1, ?2, '123456', ?3, ?4, 'push', 'NOK', 20000, 'x',
                                     ?5, ?6, ?7, 'x', 'x', ?8)",
                                params![
                                    id,
                                    APIS[*api],
                                    format!("ref{seq}"),
                                    *seq,
                                    format!("c{seq}"),
                                    format!("k{seq}"),
                                    format!("x{seq}"),
                                    captured
                                ],
                            )
                            .unwrap();
                        }
                    }
                    Op::Capture { payment, captured } => {
                        if let Some(id) = pick("payments", *payment) {
                            conn.execute(
                                "UPDATE payments SET captured_amount = ?1 WHERE id = ?2",
                                params![captured, id],
                            )
                            .unwrap();
                        }
                    }
                    Op::LineReturn { line } => {
                        if let Some(id) = pick("sale_lines", *line) {
                            conn.execute(
                                "UPDATE sale_lines SET is_return = 1 - is_return WHERE id = ?1",
                                params![id],
                            )
                            .unwrap();
                        }
                    }
                    Op::DeleteLine { line } => {
                        if let Some(id) = pick("sale_lines", *line) {
                            conn.execute("DELETE FROM sale_lines WHERE id = ?1", params![id])
                                .unwrap();
                        }
                    }
                    Op::RoundedCash {
                        till,
                        hour,
                        minute,
                        training,
                        eur,
                        status,
                        gross,
                    } => {
                        *seq += 1;
                        let at = ts(day + time::Duration::minutes(hour * 60 + minute));
                        let currency = if *eur {
                            crate::domain::money::Currency::Eur
                        } else {
                            crate::domain::money::Currency::Nok
                        };
                        let rounding = crate::domain::money::Money::new(*gross, currency)
                            .cash_rounding()
                            .minor();
                        let vat = crate::domain::refund::vat_of_gross(*gross, 1500);
                        let cols = if rounding_column {
                            ", cash_rounding"
                        } else {
                            ""
                        };
                        let val = if rounding_column { ", ?11" } else { "" };
                        let sql = format!(
                            "INSERT INTO sales (created_at, updated_at, shop_id, till_id, sequence,
                                 receipt_number, currency, gross_total, vat_total, net_total,
                                 status, training, tender{cols})
                             VALUES (?1, ?1, 's1', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'cash'{val})"
                        );
                        let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![
                            Box::new(at),
                            Box::new(format!("t{till}")),
                            Box::new(*seq),
                            Box::new(format!("r{seq}")),
                            Box::new(currency.code()),
                            Box::new(*gross),
                            Box::new(vat),
                            Box::new(gross - vat),
                            Box::new(STATUSES[*status]),
                            Box::new(*training),
                        ];
                        if rounding_column {
                            args.push(Box::new(rounding));
                        }
                        conn.execute(&sql, rusqlite::params_from_iter(args.iter()))
                            .unwrap();
                        let sale = conn.last_insert_rowid();
                        conn.execute(
                            "INSERT INTO sale_lines (sale_id, line_no, name, quantity,
                                 quantity_milli, unit, unit_price, vat_rate, gross, net, vat,
                                 is_return)
                             VALUES (?1, 1, 'x', '1', 1000, 'pcs', ?2, 1500, ?2, ?3, ?4, 0)",
                            params![sale, gross, gross - vat, vat],
                        )
                        .unwrap();
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
            #[test]
            fn hourly_totals_equal_live_aggregates(
                before in proptest::collection::vec(op(), 0..25),
                after in proptest::collection::vec(op(), 0..40),
            ) {
                let mut conn = Connection::open_in_memory().unwrap();
                MIGRATIONS.to_version(&mut conn, 2).unwrap();
                let mut seq = 0;
                apply(&conn, &before, &mut seq, false);
                MIGRATIONS.to_latest(&mut conn).unwrap();
                apply(&conn, &after, &mut seq, true);
                let offset = UtcOffset::from_hms(1, 0, 0).unwrap();
                let mut periods = vec![
                    day_bounds(date!(2026-11-20), offset),
                    day_bounds(date!(2026-11-21), offset),
                    day_bounds(date!(2026-11-21), UtcOffset::UTC),
                    (datetime!(2026-11-20 05:00 UTC), datetime!(2026-11-21 17:00 UTC)),
                ];
                periods.push((datetime!(2026-11-19 00:00 UTC), datetime!(2026-11-23 00:00 UTC)));
                for (from, to) in periods {
                    prop_assert_eq!(source_for(from, to), Source::Hourly);
                    for till in ["t0", "t1"] {
                        let live = compute_from(&conn, "s1", till, from, to, Source::Live).unwrap();
                        let hourly = compute_from(&conn, "s1", till, from, to, Source::Hourly).unwrap();
                        // The rounding sums agree with a plain scan (no index, no hourly rows),
                        // and the cash tender holds them.
                        for sec in &live.0 {
                            let scan: i64 = conn
                                .query_row(
                                    "SELECT coalesce(sum(cash_rounding), 0) FROM sales NOT INDEXED
                                     WHERE shop_id = 's1' AND till_id = ?1 AND created_at >= ?2
                                       AND created_at < ?3 AND training = ?4 AND currency = ?5
                                       AND tender = 'cash'
                                       AND status IN ('paid', 'partially_refunded', 'refunded')",
                                    params![till, ts(from), ts(to), sec.training, sec.currency],
                                    |r| r.get(0),
                                )
                                .unwrap();
                            prop_assert_eq!(sec.cash_rounding, scan);
                            let cash_sales: i64 = conn
                                .query_row(
                                    "SELECT coalesce(sum(gross_total + cash_rounding), 0)
                                     FROM sales NOT INDEXED
                                     WHERE shop_id = 's1' AND till_id = ?1 AND created_at >= ?2
                                       AND created_at < ?3 AND training = ?4 AND currency = ?5
                                       AND tender = 'cash'
                                       AND status IN ('paid', 'partially_refunded', 'refunded')",
                                    params![till, ts(from), ts(to), sec.training, sec.currency],
                                    |r| r.get(0),
                                )
                                .unwrap();
                            let cash_tender = sec
                                .tenders
                                .iter()
                                .filter(|t| t.tender == "cash")
                                .map(|t| t.gross)
                                .sum::<i64>();
                            let split_cash: i64 = conn
                                .query_row(
                                    "SELECT coalesce(sum(s.gross_total - p.amount), 0)
                                     FROM sales s JOIN payments p ON p.sale_id = s.id
                                     WHERE s.shop_id = 's1' AND s.till_id = ?1
                                       AND s.created_at >= ?2 AND s.created_at < ?3
                                       AND s.training = ?4 AND s.currency = ?5
                                       AND s.tender = 'cash+vipps' AND p.captured_amount > 0
                                       AND s.status IN ('paid', 'partially_refunded', 'refunded')",
                                    params![till, ts(from), ts(to), sec.training, sec.currency],
                                    |r| r.get(0),
                                )
                                .unwrap();
                            prop_assert_eq!(cash_tender, cash_sales + split_cash);
                        }
                        prop_assert_eq!(live, hourly);
                    }
                }
            }
        }

        #[test]
        fn bounds_off_the_hour_use_the_live_aggregates() {
            let from = datetime!(2026-11-20 23:30 UTC);
            assert_eq!(source_for(from, from + time::Duration::DAY), Source::Live);
            let at_offset = day_bounds(
                date!(2026 - 11 - 21),
                UtcOffset::from_hms(5, 30, 0).unwrap(),
            );
            assert_eq!(source_for(at_offset.0, at_offset.1), Source::Live);
            let whole = day_bounds(date!(2026 - 11 - 21), UtcOffset::from_hms(2, 0, 0).unwrap());
            assert_eq!(source_for(whole.0, whole.1), Source::Hourly);
        }
    }
}
