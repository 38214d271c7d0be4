//! Report SQL: X/Z figures from the journal (live aggregates or the hourly totals), the Z
//! counter, stored Z reports and the X/Z events. The § 2-8-2 content beyond the sections, the
//! grand totals and the Z period are in `reports_fiscal`.

use rusqlite::{Connection, OptionalExtension, params};
use time::{Date, OffsetDateTime, UtcOffset};

use super::{StaffConn, journal_action, reports_fiscal, ts};
use crate::domain::reconcile::Reconciliation;
use crate::domain::report::*;
use crate::domain::staff::{Permission, Session, StaffError};
use crate::fiscal::saft::codes::EventKind;
use crate::lang::Text;
use crate::store::fiscal::NewFiscalEvent;

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

    // Returns given back in cash in the period at this till (with or without the sale): the
    // cash part counts as a refund (its Vipps part is a refund row above) and leaves the
    // drawer (rounded).
    let mut stmt = conn.prepare_cached(
        "SELECT c.training, c.currency, count(*), coalesce(sum(c.cash_amount), 0),
                coalesce(sum(c.cash_net), 0), coalesce(sum(c.cash_amount + c.cash_rounding), 0)
         FROM cash_returns c
         WHERE c.shop_id = ?1 AND c.till_id = ?2 AND c.created_at >= ?3 AND c.created_at < ?4
         GROUP BY c.training, c.currency",
    )?;
    let mut rows = stmt.query(p)?;
    while let Some(r) = rows.next()? {
        let (training, cur): (bool, String) = (r.get(0)?, r.get(1)?);
        let (count, gross, net, out): (i64, i64, i64, i64) =
            (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        let s = section(&mut secs, training, &cur);
        s.refunds.count += count;
        s.refunds.gross += gross;
        s.refunds.net += net;
        s.refunds.vat += gross - net;
        s.cash_returns += out;
    }
    drop(rows);
    // Their VAT per rate: the returned lines less the Vipps part of a split return.
    let mut stmt = conn.prepare_cached(
        "SELECT training, currency, vat_rate, sum(gross), sum(net), sum(vat) FROM (
             SELECT c.training, c.currency, cl.vat_rate, cl.gross, cl.net, cl.vat
             FROM cash_returns c JOIN cash_return_lines cl ON cl.return_id = c.id
             WHERE c.shop_id = ?1 AND c.till_id = ?2 AND c.created_at >= ?3
               AND c.created_at < ?4
             UNION ALL
             SELECT c.training, c.currency, rl.vat_rate, -rl.gross, -rl.net, -rl.vat
             FROM cash_returns c JOIN refund_lines rl ON rl.refund_id = c.refund_id
             WHERE c.shop_id = ?1 AND c.till_id = ?2 AND c.created_at >= ?3
               AND c.created_at < ?4)
         GROUP BY training, currency, vat_rate HAVING sum(gross) <> 0
         ORDER BY vat_rate DESC",
    )?;
    let mut rows = stmt.query(p)?;
    while let Some(r) = rows.next()? {
        let (training, cur, rate): (bool, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (gross, net, vat): (i64, i64, i64) = (r.get(3)?, r.get(4)?, r.get(5)?);
        let s = section(&mut secs, training, &cur);
        match s.refund_vat_rates.iter_mut().find(|v| v.rate == rate) {
            Some(v) => {
                v.gross += gross;
                v.net += net;
                v.vat += vat;
            }
            None => s.refund_vat_rates.push(VatTotal {
                rate,
                gross,
                net,
                vat,
            }),
        }
        s.refund_vat_rates
            .sort_by_key(|v| std::cmp::Reverse(v.rate));
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

fn to_json(report: &Report) -> Result<String, StaffError> {
    serde_json::to_string(report).map_err(|e| {
        StaffError::Internal(Text::new(
            format!("Kunne ikke lagre rapporten: {e}"),
            format!("Could not store the report: {e}"),
        ))
    })
}

fn from_json(json: &str) -> Result<Report, StaffError> {
    serde_json::from_str(json).map_err(|e| {
        StaffError::Internal(Text::new(
            format!("Den lagrede Z-rapporten kan ikke leses: {e}"),
            format!("The stored Z report cannot be read: {e}"),
        ))
    })
}

/// Journal an X (13008) or Z (13009) report in full: its JSON is the event's text.
fn journal_report(
    conn: &Connection,
    report: &Report,
    json: &str,
    staff_id: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), StaffError> {
    let kind = match report.kind {
        ReportKind::X => EventKind::XReport,
        ReportKind::Z => EventKind::ZReport,
    };
    crate::store::fiscal::append_event(
        conn,
        &NewFiscalEvent {
            shop_id: &report.shop_id,
            till_id: &report.till_id,
            kind,
            at: now,
            staff_id,
            sale_id: None,
            detail: json.to_owned(),
        },
    )?;
    Ok(())
}

impl StaffConn<'_> {
    /// The open period of this till at `now`: from where its last Z ended (or from when the
    /// till was taken into use) to `now`. What an X shows and the next Z closes.
    pub fn open_period(
        &self,
        now: OffsetDateTime,
    ) -> Result<(OffsetDateTime, OffsetDateTime), StaffError> {
        let conn = self.lock()?;
        Ok((
            reports_fiscal::period_start(conn, self.shop_id(), self.till_id(), now)?,
            now,
        ))
    }

    /// X report: the open period (`day` None: everything since the last Z, the content the Z
    /// would have now) or one calendar day `day` (at `offset`). Any logged-in staff; journaled
    /// in full (13008).
    #[allow(clippy::too_many_arguments)]
    pub fn x_report(
        &self,
        session: Option<&Session>,
        day: Option<Date>,
        offset: UtcOffset,
        company: &Company,
        reconciliation: Option<Reconciliation>,
        now: OffsetDateTime,
    ) -> Result<Report, StaffError> {
        let business_date = date_string(day.unwrap_or_else(|| now.to_offset(offset).date()));
        if let Some(s) = session {
            self.authorize(s, Permission::XReport, None, Some(&business_date), now)?;
        }
        let open = self.open_period(now)?;
        let (from, to) = match day {
            Some(d) => day_bounds(d, offset),
            None => open,
        };
        let conn = self.lock()?;
        let (sections, drawer, unresolved) =
            compute(conn, self.shop_id(), self.till_id(), from, to)?;
        let mut fiscal = reports_fiscal::fiscal_content(
            conn,
            self.shop_id(),
            self.till_id(),
            from,
            to,
            open,
            &sections,
            company,
        )?;
        if self.per_operator {
            fiscal.cash_operators = super::cash::operator_drawers(
                conn,
                self.shop_id(),
                self.till_id(),
                &ts(from),
                &ts(to),
                &fiscal,
            )?;
        }
        if session.is_none() {
            journal_action(
                conn,
                now,
                None,
                "x_report",
                true,
                None,
                Some(&business_date),
            )?;
        }
        let report = Report {
            kind: ReportKind::X,
            number: None,
            shop_id: self.shop_id().to_owned(),
            till_id: self.till_id().to_owned(),
            business_date,
            period_from: ts(from),
            period_to: ts(to),
            generated_at: ts(now),
            generated_by: session.map(|s| s.staff_id().to_owned()),
            sections,
            drawer_opens_no_sale: drawer,
            outbox_unresolved: unresolved,
            reconciliation,
            fiscal,
        };
        journal_report(
            conn,
            &report,
            &to_json(&report)?,
            session.map(|s| s.staff_id()),
            now,
        )?;
        Ok(report)
    }

    /// Take the Z report: closes the open period (everything since this till's last Z) —
    /// manager only, outbox resolved, no payment of the period in progress. Numbered, stored
    /// immutably with its grand totals and journaled in full (13009), in one transaction. An
    /// empty period gives a zero Z (a Z is never refused for having nothing to close). The
    /// next period opens at once.
    pub fn close_period(
        &self,
        session: &Session,
        offset: UtcOffset,
        company: &Company,
        reconciliation: Option<Reconciliation>,
        now: OffsetDateTime,
    ) -> Result<Report, StaffError> {
        self.close_period_counted(
            session,
            offset,
            company,
            reconciliation,
            None,
            Vec::new(),
            now,
        )
    }

    /// [`StaffConn::close_period`] with the drawer counted: the Z carries expected cash,
    /// the count and the difference ([`Fiscal::cash`]); a non-zero difference is a signed
    /// 11008 cash transaction (and a `cash_movements` row) in the Z's transaction. With
    /// `[till] drawer_per_operator`, `operator_counts` counts each operator's drawer instead
    /// (an 11008 per operator whose count differs).
    #[allow(clippy::too_many_arguments)]
    pub fn close_period_counted(
        &self,
        session: &Session,
        offset: UtcOffset,
        company: &Company,
        reconciliation: Option<Reconciliation>,
        count: Option<crate::domain::cash::DrawerCount>,
        operator_counts: Vec<(String, crate::domain::cash::DrawerCount)>,
        now: OffsetDateTime,
    ) -> Result<Report, StaffError> {
        if !operator_counts.is_empty() && (count.is_some() || !self.per_operator) {
            return Err(StaffError::Invalid(Text::new(
                "Opptelling per operatør: krever [till] drawer_per_operator = true, og ikke samtidig en opptelling av hele kassen.",
                "Count per operator: needs [till] drawer_per_operator = true, and not a count of the whole till at the same time.",
            )));
        }
        let day = date_string(now.to_offset(offset).date());
        self.authorize(session, Permission::ZReport, None, Some(&day), now)?;
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let (shop, till) = (self.shop_id(), self.till_id());
        let from = reports_fiscal::period_start(&tx, shop, till, now)?;
        let to = now;
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
        let open = reports_fiscal::open_sales(&tx, shop, till, from, to)?;
        if !open.is_empty() {
            let list = open.join(", ");
            return Err(StaffError::Refused(Text::new(
                format!(
                    "Z-rapport: en betaling pågår fortsatt (kvittering {list}). Vent til den er betalt eller avbrutt, og ta Z-rapporten igjen."
                ),
                format!(
                    "Z report: a payment is still in progress (receipt {list}). Wait until it is paid or cancelled, then take the Z report again."
                ),
            )));
        }
        let (sections, drawer, unresolved) = compute(&tx, shop, till, from, to)?;
        let mut fiscal = reports_fiscal::fiscal_content(
            &tx,
            shop,
            till,
            from,
            to,
            (from, to),
            &sections,
            company,
        )?;
        let number: i64 = tx.query_row(
            "INSERT INTO counters (shop_id, till_id, name, value) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (shop_id, till_id, name) DO UPDATE SET value = value + 1
             RETURNING value",
            params![shop, till, Z_COUNTER],
            |r| r.get(0),
        )?;
        if self.per_operator {
            fiscal.cash_operators =
                super::cash::operator_drawers(&tx, shop, till, &ts(from), &ts(to), &fiscal)?;
        }
        for (staff, count) in operator_counts {
            let Some(o) = fiscal
                .cash_operators
                .iter_mut()
                .find(|o| o.staff_id == staff)
            else {
                return Err(StaffError::Invalid(Text::new(
                    format!(
                        "Opptelling: «{staff}» har ingen kasseskuff i perioden (ingen kontantsalg eller vekselbeholdning)."
                    ),
                    format!(
                        "Count: \"{staff}\" has no cash drawer in the period (no cash sales or float)."
                    ),
                )));
            };
            o.drawer.count(count);
            if let Some(diff) = o.drawer.difference.filter(|d| *d != 0) {
                self.insert_movement(
                    &tx,
                    &super::cash::NewMovement {
                        kind: crate::domain::cash::CashKind::Difference,
                        amount: diff,
                        currency: &fiscal.currency,
                        reason: &format!("Z {number} {staff}"),
                        staff_id: Some(&staff),
                        approved_by: Some(session.staff_id()),
                        z_number: Some(number),
                        at: now,
                    },
                )?;
            }
        }
        if let Some(count) = count {
            let cash_sales = reports_fiscal::cash_tender(&sections, &fiscal.currency);
            let d = fiscal.cash.get_or_insert_with(|| {
                crate::domain::cash::CashDrawer::new(0, cash_sales, (0, 0), (0, 0))
            });
            d.count(count);
            if let Some(diff) = d.difference.filter(|d| *d != 0) {
                self.insert_movement(
                    &tx,
                    &super::cash::NewMovement {
                        kind: crate::domain::cash::CashKind::Difference,
                        amount: diff,
                        currency: &fiscal.currency,
                        reason: &format!("Z {number}"),
                        staff_id: Some(session.staff_id()),
                        approved_by: Some(session.staff_id()),
                        z_number: Some(number),
                        at: now,
                    },
                )?;
            }
        }
        let report = Report {
            kind: ReportKind::Z,
            number: Some(number),
            shop_id: shop.to_owned(),
            till_id: till.to_owned(),
            business_date: day.clone(),
            period_from: ts(from),
            period_to: ts(to),
            generated_at: ts(now),
            generated_by: Some(session.staff_id().to_owned()),
            sections,
            drawer_opens_no_sale: drawer,
            outbox_unresolved: unresolved,
            reconciliation,
            fiscal,
        };
        let json = to_json(&report)?;
        tx.execute(
            "INSERT INTO z_reports (shop_id, till_id, number, business_date, period_from,
                 period_to, created_at, staff_id, report_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                shop,
                till,
                number,
                day,
                ts(from),
                ts(to),
                ts(now),
                session.staff_id(),
                json
            ],
        )?;
        reports_fiscal::store_grand_totals(&tx, shop, till, number, &report.fiscal.grand_totals)?;
        journal_report(&tx, &report, &json, Some(session.staff_id()), now)?;
        journal_action(
            &tx,
            now,
            Some(session.staff_id()),
            "z_report_closed",
            true,
            None,
            Some(&format!("Z {number} {} – {}", ts(from), ts(to))),
        )?;
        tx.commit()?;
        tracing::info!(number, day = %day, "Z report taken");
        Ok(report)
    }

    /// The stored Z report number `number` of this till, if there is one.
    pub fn stored_z_by_number(&self, number: i64) -> Result<Option<Report>, StaffError> {
        let conn = self.lock()?;
        let json: Option<String> = conn
            .query_row(
                "SELECT report_json FROM z_reports WHERE shop_id = ?1 AND till_id = ?2
                     AND number = ?3",
                params![self.shop_id(), self.till_id(), number],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| from_json(&j)).transpose()
    }

    /// The stored Z report taken on calendar day `date`, if there is exactly one; a day with
    /// several Z reports is refused with their numbers (address one by number instead).
    pub fn stored_z_report(&self, date: Date) -> Result<Option<Report>, StaffError> {
        let conn = self.lock()?;
        let day = date_string(date);
        let mut stmt = conn.prepare_cached(
            "SELECT number, report_json FROM z_reports WHERE shop_id = ?1 AND till_id = ?2
                 AND business_date = ?3 ORDER BY number",
        )?;
        let rows = stmt
            .query_map(params![self.shop_id(), self.till_id(), day], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        match rows.as_slice() {
            [] => Ok(None),
            [(_, json)] => from_json(json).map(Some),
            many => {
                let numbers = many
                    .iter()
                    .map(|(n, _)| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(StaffError::Invalid(Text::new(
                    format!(
                        "--date {day}: den dagen har flere Z-rapporter (nr. {numbers}). Velg én med --number N."
                    ),
                    format!(
                        "--date {day}: that day has several Z reports (no. {numbers}). Choose one with --number N."
                    ),
                )))
            }
        }
    }
}

#[cfg(test)]
#[path = "reports_tests.rs"]
mod tests;
