//! Refund SQL: sale search, refund context, the refund record with its outbox row (one
//! transaction), statuses and receipts.

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::{StaffConn, journal_action, parse_ts, ts};
use crate::domain::api::ApiKind;
use crate::domain::refund::*;
use crate::domain::staff::{Permission, Session, StaffError};
use crate::lang::Text;
use crate::store::{NewOperation, NewOutbox, OpOutcome, SaleQuery};

/// Refunds not failed for a payment (the outbox row is not dead).
fn refunded_locally(conn: &Connection, payment_id: i64) -> Result<i64, StaffError> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(r.amount), 0) FROM refunds r
         LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
         WHERE r.payment_id = ?1 AND coalesce(o.status, 'pending') <> 'dead'",
        [payment_id],
        |r| r.get(0),
    )?)
}

/// The lines of a sale with what has been given back of each (Vipps refunds not refused for
/// good, and cash returns).
pub(super) fn refundable_lines(
    conn: &Connection,
    sale_id: i64,
) -> Result<Vec<RefundableLine>, StaffError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.line_no, l.name, l.quantity, l.quantity_milli, l.unit, l.vat_rate, l.gross,
                l.net, l.vat, l.is_return,
                coalesce((SELECT sum(rl.quantity_milli) FROM refund_lines rl
                          JOIN refunds r ON r.id = rl.refund_id
                          LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
                          WHERE r.sale_id = l.sale_id AND rl.line_no = l.line_no
                            AND coalesce(o.status, 'pending') <> 'dead'), 0)
                + coalesce((SELECT sum(cl.quantity_milli) FROM cash_return_lines cl
                            JOIN cash_returns c ON c.id = cl.return_id
                            WHERE c.sale_id = l.sale_id AND cl.line_no = l.line_no), 0),
                coalesce((SELECT sum(rl.gross) FROM refund_lines rl
                          JOIN refunds r ON r.id = rl.refund_id
                          LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
                          WHERE r.sale_id = l.sale_id AND rl.line_no = l.line_no
                            AND coalesce(o.status, 'pending') <> 'dead'), 0)
                + coalesce((SELECT sum(cl.gross) FROM cash_return_lines cl
                            JOIN cash_returns c ON c.id = cl.return_id
                            WHERE c.sale_id = l.sale_id AND cl.line_no = l.line_no), 0)
         FROM sale_lines l WHERE l.sale_id = ?1 ORDER BY l.line_no",
    )?;
    let lines: Vec<RefundableLine> = stmt
        .query_map([sale_id], |r| {
            Ok(RefundableLine {
                line_no: r.get(0)?,
                name: r.get(1)?,
                quantity: r.get(2)?,
                quantity_milli: r.get(3)?,
                unit: r.get(4)?,
                vat_rate: r.get(5)?,
                gross: r.get(6)?,
                net: r.get(7)?,
                vat: r.get(8)?,
                is_return: r.get(9)?,
                refunded_milli: r.get(10)?,
                refunded_gross: r.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines)
}

pub(super) fn load_context(conn: &Connection, sale_id: i64) -> Result<RefundContext, StaffError> {
    let sale = conn
        .query_row(
            "SELECT receipt_number, shop_id, till_id, training, currency FROM sales WHERE id = ?1",
            [sale_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((receipt_number, shop_id, till_id, training, currency)) = sale else {
        return Err(not_found(&sale_id.to_string()));
    };
    // The attempt that took the money: captured, newest first.
    let pay = conn
        .query_row(
            "SELECT id, api, reference, psp_transaction_id, created_at, captured_amount,
                    refunded_amount, state
             FROM payments WHERE sale_id = ?1
             ORDER BY (captured_amount > 0 OR state = 'captured') DESC, attempt DESC LIMIT 1",
            [sale_id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((payment_id, api, reference, psp_id, created_at, captured, vipps_refunded, _state)) =
        pay
    else {
        return Err(StaffError::NotFound(Text::new(
            format!(
                "Salg {receipt_number} har ingen Vipps-betaling å refundere. Kontant gis tilbake som retur: F10 → 5 (Varer i retur) eller `kasse return {receipt_number} --line N`."
            ),
            format!(
                "Sale {receipt_number} has no Vipps payment to refund. Cash goes back as a return: F10 → 5 (Goods returned) or `kasse return {receipt_number} --line N`."
            ),
        )));
    };
    let local = refunded_locally(conn, payment_id)?;
    let lines = refundable_lines(conn, sale_id)?;
    Ok(RefundContext {
        sale_id,
        receipt_number,
        shop_id,
        till_id,
        training,
        currency,
        payment_id,
        api: api_of(&api)?,
        reference,
        psp_transaction_id: psp_id,
        paid_at: parse_ts(&created_at)?,
        captured,
        refunded: local.max(vipps_refunded),
        lines,
    })
}

impl StaffConn<'_> {
    /// Search sales (newest first) by reference (or part of it), receipt number, amount, time,
    /// or the last 1–4 digits of the customer's phone number. All given criteria must match.
    pub fn find_sales(&self, q: &SaleQuery) -> Result<Vec<SaleHit>, StaffError> {
        use crate::store::sale_query::{SaleQueryError, sale_filter};
        let f = sale_filter(q).map_err(|e| match e {
            SaleQueryError::EmptyReference(_) => StaffError::Invalid(Text::new(
                "Referanse: skriv referansen eller en del av den.",
                "Reference: type the reference or a part of it.",
            )),
            SaleQueryError::BadPhoneDigits(d) => StaffError::Invalid(Text::new(
                format!("Telefon: «{d}» — skriv 1 til 4 siffer (slutten av nummeret)."),
                format!("Phone: \"{d}\" — type 1 to 4 digits (the end of the number)."),
            )),
        })?;
        let (where_sql, limit) = (f.where_sql, f.limit);
        let conn = self.lock()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT s.id, s.receipt_number, s.created_at, s.currency, s.gross_total, s.status,
                    s.training,
                    (SELECT group_concat(reference, ' ') FROM
                        (SELECT reference FROM payments WHERE sale_id = s.id ORDER BY attempt)),
                    (SELECT phone_last_digits FROM payments WHERE sale_id = s.id
                        AND phone_last_digits IS NOT NULL ORDER BY attempt DESC LIMIT 1)
             FROM sales s {where_sql} ORDER BY s.created_at DESC, s.id DESC LIMIT {limit}"
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(f.args), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, bool>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, rn, at, cur, gross, status, training, refs, phone) = row?;
            out.push(SaleHit {
                sale_id: id,
                receipt_number: rn,
                created_at: parse_ts(&at)?,
                currency: cur,
                gross_total: gross,
                status,
                training,
                references: refs
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                phone_last_digits: phone,
            });
        }
        Ok(out)
    }

    /// The refund context for a sale given by exact reference or receipt number.
    pub fn refund_context(&self, reference_or_receipt: &str) -> Result<RefundContext, StaffError> {
        let key = reference_or_receipt.trim();
        let conn = self.lock()?;
        let sale_id: Option<i64> = conn
            .query_row(
                "SELECT sale_id FROM payments WHERE reference = ?1 ORDER BY id DESC LIMIT 1",
                [key],
                |r| r.get(0),
            )
            .optional()?;
        let sale_id = match sale_id {
            Some(id) => Some(id),
            None => conn
                .query_row(
                    "SELECT id FROM sales WHERE receipt_number = ?1",
                    [key],
                    |r| r.get(0),
                )
                .optional()?,
        };
        let Some(sale_id) = sale_id else {
            return Err(not_found(key));
        };
        load_context(conn, sale_id)
    }

    /// Write a refund record (manager only; the rules are checked again inside the
    /// transaction) and, in the same transaction, its outbox row (`outbox` builds it from the
    /// record: the engine's payload format) and its `refund_requested` operation. The
    /// engine's worker sends it; see `service::refund` for the whole flow.
    pub fn record_refund(
        &self,
        session: &Session,
        req: &RefundRequest,
        now: OffsetDateTime,
        outbox: &dyn Fn(&RefundRecord) -> NewOutbox,
    ) -> Result<RefundRecord, StaffError> {
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(StaffError::Invalid(Text::new(
                "Årsak: skriv hvorfor det refunderes (1–200 tegn), f.eks. «varen var skadet».",
                "Reason: say why you refund (1–200 characters), e.g. \"item was damaged\".",
            )));
        }
        let ctx_probe = self.refund_context(&req.reference)?;
        self.authorize(
            session,
            Permission::Refund,
            Some(ctx_probe.sale_id),
            Some(&format!("{} {reason}", ctx_probe.reference)),
            now,
        )?;
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let ctx = load_context(&tx, ctx_probe.sale_id)?;
        let plan = plan_refund(&ctx, &req.mode, now)?;
        let rec = insert_refund(&tx, &ctx, &plan, reason, session.staff_id(), now, outbox)?;
        tx.commit()?;
        Ok(rec)
    }

    /// Captured amount of a payment and the sum of its refunds Vipps confirmed.
    pub fn refund_totals(&self, payment_id: i64) -> Result<(i64, i64), StaffError> {
        let conn = self.lock()?;
        Ok(conn.query_row(
            "SELECT p.captured_amount,
                    coalesce((SELECT sum(r.amount) FROM refunds r JOIN outbox o
                              ON o.idempotency_key = r.idempotency_key
                              WHERE r.payment_id = p.id AND o.status = 'done'), 0)
             FROM payments p WHERE p.id = ?1",
            [payment_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Queue a recorded refund whose outbox row is missing (a record from before the record
    /// and its row were one transaction): the row and its operation, in one transaction.
    /// Idempotent on the record's key.
    pub fn queue_refund(
        &self,
        rec: &RefundRecord,
        row: &NewOutbox,
        now: OffsetDateTime,
    ) -> Result<i64, StaffError> {
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let outbox_id = crate::store::outbox::enqueue(&tx, row, now)?;
        crate::store::journal::record_operation(&tx, &refund_operation(rec, outbox_id, now))?;
        tx.commit()?;
        Ok(outbox_id)
    }

    /// A refund record by id.
    pub fn refund_record(&self, id: i64) -> Result<RefundRecord, StaffError> {
        let conn = self.lock()?;
        load_record(conn, id)
    }

    /// Where a refund stands (from its outbox row).
    pub fn refund_status(&self, idempotency_key: &str) -> Result<RefundStatus, StaffError> {
        let conn = self.lock()?;
        status_of(conn, idempotency_key)
    }

    /// Refund records whose outbox row is missing (a crash between record and enqueue).
    pub fn unsent_refunds(&self) -> Result<Vec<RefundRecord>, StaffError> {
        let conn = self.lock()?;
        let ids: Vec<i64> = {
            let mut stmt = conn.prepare(
                "SELECT r.id FROM refunds r WHERE NOT EXISTS
                     (SELECT 1 FROM outbox o WHERE o.idempotency_key = r.idempotency_key)
                 ORDER BY r.id",
            )?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?
        };
        ids.into_iter().map(|id| load_record(conn, id)).collect()
    }

    /// The refund with this idempotency key (its outbox row's key), if any.
    pub fn refund_id_by_key(&self, idempotency_key: &str) -> Result<Option<i64>, StaffError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT id FROM refunds WHERE idempotency_key = ?1",
                [idempotency_key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Refunds Vipps confirmed (outbox row done) that never had a refund receipt queued
    /// (`print_jobs` has no receipt job `R-{receipt}-{n}`), oldest first. Only refunds made
    /// since the durable print queue exists (`meta.print_jobs_since`), so an upgrade does not
    /// print a stack of old refunds. The start-up catch-up prints these.
    pub fn unprinted_confirmed_refunds(&self) -> Result<Vec<i64>, StaffError> {
        let conn = self.lock()?;
        let since: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'print_jobs_since'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default();
        let mut stmt = conn.prepare(
            "SELECT r.id FROM refunds r
             JOIN outbox o ON o.idempotency_key = r.idempotency_key AND o.status = 'done'
             JOIN sales s ON s.id = r.sale_id
             WHERE r.created_at >= ?1
               AND NOT EXISTS (SELECT 1 FROM print_jobs p
                               WHERE p.kind = 'receipt'
                                 AND p.receipt_number = 'R-' || s.receipt_number || '-' || r.n)
             ORDER BY r.id",
        )?;
        let ids = stmt
            .query_map([since], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(ids)
    }

    /// The refund whose refund number (`R-{receipt}-{n}`) is `number`, if any.
    pub fn refund_id_by_number(&self, number: &str) -> Result<Option<i64>, StaffError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT r.id FROM refunds r JOIN sales s ON s.id = r.sale_id
                 WHERE 'R-' || s.receipt_number || '-' || r.n = ?1",
                [number.trim()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The data for a refund receipt.
    pub fn refund_receipt(&self, refund_id: i64) -> Result<RefundReceipt, StaffError> {
        let rec = self.refund_record(refund_id)?;
        let status = self.refund_status(&rec.idempotency_key)?;
        let staff_name = self.staff_name(&rec.staff_id)?;
        let conn = self.lock()?;
        let (rn, shop, till): (String, String, String) = conn.query_row(
            "SELECT receipt_number, shop_id, till_id FROM sales WHERE id = ?1",
            [rec.sale_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let mut breakdown: Vec<(i64, i64, i64, i64)> = Vec::new();
        for l in &rec.lines {
            match breakdown.iter_mut().find(|b| b.0 == l.vat_rate) {
                Some(b) => {
                    b.1 += l.gross;
                    b.2 += l.net;
                    b.3 += l.vat;
                }
                None => breakdown.push((l.vat_rate, l.gross, l.net, l.vat)),
            }
        }
        breakdown.sort_by_key(|b| std::cmp::Reverse(b.0));
        Ok(RefundReceipt {
            shop_id: shop,
            till_id: till,
            refund_number: format!("R-{rn}-{}", rec.n),
            original_receipt_number: rn,
            reference: rec.reference.clone(),
            api: rec.api,
            at: rec.created_at,
            staff_id: rec.staff_id.clone(),
            staff_name,
            reason: rec.reason.clone(),
            currency: rec.currency.clone(),
            lines: rec.lines.clone(),
            vat_breakdown: breakdown,
            total: rec.amount,
            total_net: rec.net,
            total_vat: rec.vat,
            status,
            training: rec.training,
        })
    }
}

/// The next return number `n` of a sale (`R-{receipt}-{n}`): after every refund of its
/// payment and every cash return of the sale, so a Vipps refund and a cash return never
/// share a number by accident.
pub(super) fn next_return_n(
    conn: &Connection,
    sale_id: i64,
    payment_id: i64,
) -> Result<i64, StaffError> {
    Ok(conn.query_row(
        "SELECT max(coalesce((SELECT max(n) FROM refunds WHERE payment_id = ?1), 0),
                    coalesce((SELECT max(n) FROM cash_returns WHERE sale_id = ?2), 0)) + 1",
        params![payment_id, sale_id],
        |r| r.get(0),
    )?)
}

/// Write a refund record of `plan` with its lines, its journal entries and its outbox row on
/// the caller's open transaction `tx` (number `n` from [`next_return_n`]).
pub(super) fn insert_refund(
    tx: &Connection,
    ctx: &RefundContext,
    plan: &RefundPlan,
    reason: &str,
    staff_id: &str,
    now: OffsetDateTime,
    outbox: &dyn Fn(&RefundRecord) -> NewOutbox,
) -> Result<RefundRecord, StaffError> {
    let n = next_return_n(tx, ctx.sale_id, ctx.payment_id)?;
    let key = refund_key(&ctx.reference, ctx.api, n)?;
    tx.execute(
        "INSERT INTO refunds (created_at, sale_id, payment_id, reference, n, currency, amount,
                 net, vat, reason, staff_id, training, idempotency_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            ts(now),
            ctx.sale_id,
            ctx.payment_id,
            ctx.reference,
            n,
            ctx.currency,
            plan.amount,
            plan.net,
            plan.vat,
            reason,
            staff_id,
            ctx.training,
            key
        ],
    )?;
    let id = tx.last_insert_rowid();
    for l in &plan.lines {
        tx.execute(
            "INSERT INTO refund_lines (refund_id, line_no, quantity_milli, vat_rate, gross,
                     net, vat)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                l.line_no,
                l.quantity_milli,
                l.vat_rate,
                l.gross,
                l.net,
                l.vat
            ],
        )?;
    }
    journal_action(
        tx,
        now,
        Some(staff_id),
        "refund_recorded",
        true,
        Some(ctx.sale_id),
        Some(&format!(
            "{} refund {n}: {} ({reason})",
            ctx.reference,
            money(plan.amount, &ctx.currency).to_plain()
        )),
    )?;
    let vipps_id = vipps_id(ctx);
    let rec = RefundRecord {
        id,
        n,
        sale_id: ctx.sale_id,
        payment_id: ctx.payment_id,
        reference: ctx.reference.clone(),
        api: ctx.api,
        currency: ctx.currency.clone(),
        amount: plan.amount,
        net: plan.net,
        vat: plan.vat,
        reason: reason.to_owned(),
        staff_id: staff_id.to_owned(),
        idempotency_key: key,
        training: ctx.training,
        created_at: now,
        lines: plan.lines.clone(),
        vipps_id,
    };
    let row = outbox(&rec);
    let outbox_id = crate::store::outbox::enqueue(tx, &row, now)?;
    crate::store::journal::record_operation(tx, &refund_operation(&rec, outbox_id, now))?;
    Ok(rec)
}

fn status_of(conn: &Connection, key: &str) -> Result<RefundStatus, StaffError> {
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT status, last_error FROM outbox WHERE idempotency_key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        None => RefundStatus::Recorded,
        Some((s, e)) => match s.as_str() {
            "done" => RefundStatus::Done,
            "dead" => RefundStatus::Failed(e.unwrap_or_default()),
            _ => RefundStatus::Pending,
        },
    })
}

fn load_record(conn: &Connection, id: i64) -> Result<RefundRecord, StaffError> {
    let row = conn
        .query_row(
            "SELECT r.n, r.sale_id, r.payment_id, r.reference, p.api, r.currency, r.amount, r.net,
                    r.vat, r.reason, r.staff_id, r.idempotency_key, r.training, r.created_at,
                    p.psp_transaction_id
             FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = ?1",
            [id],
            |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ),
                    (
                        r.get::<_, String>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, String>(9)?,
                    ),
                    (
                        r.get::<_, String>(10)?,
                        r.get::<_, String>(11)?,
                        r.get::<_, bool>(12)?,
                        r.get::<_, String>(13)?,
                        r.get::<_, Option<String>>(14)?,
                    ),
                ))
            },
        )
        .optional()?;
    let Some((
        (n, sale_id, payment_id, reference, api),
        (currency, amount, net, vat, reason),
        (staff_id, key, training, created_at, psp_id),
    )) = row
    else {
        return Err(StaffError::NotFound(Text::new(
            format!("Refusjon {id} finnes ikke."),
            format!("Refund {id} does not exist."),
        )));
    };
    let names: Vec<(i64, String)> = {
        let mut stmt =
            conn.prepare_cached("SELECT line_no, name FROM sale_lines WHERE sale_id = ?1")?;
        stmt.query_map([sale_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?
    };
    let lines = {
        let mut stmt = conn.prepare_cached(
            "SELECT line_no, quantity_milli, vat_rate, gross, net, vat FROM refund_lines
             WHERE refund_id = ?1 ORDER BY id",
        )?;
        stmt.query_map([id], |r| {
            Ok((
                r.get::<_, Option<i64>>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|(line_no, q, rate, gross, net, vat)| PlannedLine {
            name: line_no
                .and_then(|n| names.iter().find(|(l, _)| *l == n).map(|(_, s)| s.clone()))
                .unwrap_or_else(|| format!("Refusjon MVA {}", format_rate(rate))),
            line_no,
            quantity_milli: q,
            vat_rate: rate,
            gross,
            net,
            vat,
        })
        .collect()
    };
    let api = api_of(&api)?;
    let vipps_id = if api == ApiKind::Psp {
        psp_id.unwrap_or_else(|| crate::domain::reference::psp_transaction_id(&reference))
    } else {
        reference.clone()
    };
    Ok(RefundRecord {
        id,
        n,
        sale_id,
        payment_id,
        reference,
        api,
        currency,
        amount,
        net,
        vat,
        reason,
        staff_id,
        idempotency_key: key,
        training,
        created_at: parse_ts(&created_at)?,
        lines,
        vipps_id,
    })
}

/// The operations-journal entry of a queued refund (with the staff member).
fn refund_operation(rec: &RefundRecord, outbox_id: i64, now: OffsetDateTime) -> NewOperation {
    NewOperation {
        sale_id: Some(rec.sale_id),
        payment_id: Some(rec.payment_id),
        outbox_id: Some(outbox_id),
        idempotency_key: Some(rec.idempotency_key.clone()),
        staff_id: Some(rec.staff_id.clone()),
        detail: Some(format!(
            "refund {} {} queued by staff: {}",
            rec.n,
            money(rec.amount, &rec.currency).to_plain(),
            rec.reason
        )),
        ..NewOperation::new("refund_requested", OpOutcome::Info, now)
    }
}
