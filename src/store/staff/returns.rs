//! Return SQL (migration 0016): the return context of any completed sale (cash, Vipps,
//! split), a return with its cash part signed into the fiscal chain and the Vipps part of a
//! split sale queued as a refund — all in one transaction — and returns without receipt.

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::refunds::{insert_refund, load_context, next_return_n, refundable_lines};
use super::{StaffConn, journal_action, parse_ts, ts};
use crate::domain::refund::{PlannedLine, RefundContext, RefundPlan, RefundRecord, money};
use crate::domain::returns::*;
use crate::domain::staff::{Permission, Session, StaffError};
use crate::lang::Text;
use crate::store::fiscal::{NewSigned, SignedKind, append_signed};
use crate::store::{CASH_TENDER, NewOutbox, SPLIT_TENDER};

/// The sale of a receipt number or a Vipps reference.
fn find_sale(conn: &Connection, key: &str) -> Result<i64, StaffError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(StaffError::Invalid(Text::new(
            "Kvittering: skann eller skriv kvitteringsnummeret (eller Vipps-referansen).",
            "Receipt: scan or type the receipt number (or the Vipps reference).",
        )));
    }
    let by_receipt: Option<i64> = conn
        .query_row(
            "SELECT id FROM sales WHERE receipt_number = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?;
    let found = match by_receipt {
        Some(id) => Some(id),
        None => conn
            .query_row(
                "SELECT sale_id FROM payments WHERE reference = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?,
    };
    found.ok_or_else(|| crate::domain::refund::not_found(key))
}

/// The return context of a sale, and the refund context of its Vipps part (if any).
fn load_return_context(
    conn: &Connection,
    sale_id: i64,
) -> Result<(ReturnContext, Option<RefundContext>), StaffError> {
    let (receipt_number, training, currency, tender, gross, status, created_at): (
        String,
        bool,
        String,
        String,
        i64,
        String,
        String,
    ) = conn.query_row(
        "SELECT receipt_number, training, currency, tender, gross_total, status, created_at
         FROM sales WHERE id = ?1",
        [sale_id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        },
    )?;
    if !matches!(status.as_str(), "paid" | "partially_refunded" | "refunded") {
        return Err(StaffError::Refused(Text::new(
            format!(
                "Retur: salget {receipt_number} er ikke betalt (status {status}); det er ingenting å gi tilbake."
            ),
            format!(
                "Return: sale {receipt_number} is not paid (status {status}); there is nothing to give back."
            ),
        )));
    }
    let (kind, vipps) = match tender.as_str() {
        CASH_TENDER => (SaleTender::Cash, None),
        SPLIT_TENDER => (SaleTender::Split, Some(load_context(conn, sale_id)?)),
        _ => (SaleTender::Vipps, Some(load_context(conn, sale_id)?)),
    };
    let cash_paid = match kind {
        SaleTender::Cash => gross,
        SaleTender::Split => gross - vipps.as_ref().map_or(0, |v| v.captured),
        SaleTender::Vipps => 0,
    };
    let cash_returned: i64 = conn.query_row(
        "SELECT coalesce(sum(cash_amount), 0) FROM cash_returns WHERE sale_id = ?1",
        [sale_id],
        |r| r.get(0),
    )?;
    let lines = match &vipps {
        Some(v) => v.lines.clone(),
        None => refundable_lines(conn, sale_id)?,
    };
    let ctx = ReturnContext {
        sale_id,
        receipt_number,
        training,
        currency,
        sold_at: parse_ts(&created_at)?,
        tender: kind,
        cash_paid: cash_paid.max(0),
        cash_returned,
        vipps_refundable: vipps.as_ref().map_or(0, RefundContext::refundable),
        lines,
    };
    Ok((ctx, vipps))
}

/// Input of [`insert_cash_return`].
struct NewCashReturn<'a> {
    n: i64,
    number: String,
    sale_id: Option<i64>,
    refund_id: Option<i64>,
    currency: &'a str,
    plan: &'a ReturnPlan,
    reason: &'a str,
    staff_id: &'a str,
    approved_by: Option<&'a str>,
    training: bool,
}

impl StaffConn<'_> {
    /// The return context of the sale with this receipt number (or Vipps reference).
    pub fn return_context(&self, receipt: &str) -> Result<ReturnContext, StaffError> {
        let conn = self.lock()?;
        let sale_id = find_sale(conn, receipt)?;
        Ok(load_return_context(conn, sale_id)?.0)
    }

    /// Record a return of lines of a sale (manager only, journaled): the cash part given back
    /// in cash (signed as a return in the fiscal chain) and the Vipps part queued as a refund
    /// (its outbox row, built by `outbox`), in ONE transaction; the rules are checked again
    /// inside it. A Vipps-only sale's return is a Vipps refund of those lines.
    pub fn record_return(
        &self,
        session: &Session,
        req: &ReturnRequest,
        now: OffsetDateTime,
        outbox: &dyn Fn(&RefundRecord) -> NewOutbox,
    ) -> Result<ReturnOutcome, StaffError> {
        let reason = check_reason(&req.reason)?;
        let probe = {
            let conn = self.lock()?;
            find_sale(conn, &req.receipt)?
        };
        self.authorize(
            session,
            Permission::Refund,
            Some(probe),
            Some(&format!("return {} {reason}", req.receipt.trim())),
            now,
        )?;
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let (ctx, vipps_ctx) = load_return_context(&tx, probe)?;
        let plan = plan_return(&ctx, &req.lines, now)?;
        let staff_id = session.staff_id();
        let refund_plan = |lines: Vec<PlannedLine>| {
            let amount: i64 = lines.iter().map(|l| l.gross).sum();
            let net: i64 = lines.iter().map(|l| l.net).sum();
            RefundPlan {
                amount,
                net,
                vat: amount - net,
                lines,
            }
        };
        let vipps = match (&vipps_ctx, plan.vipps > 0) {
            (Some(v), true) => {
                // Only Vipps: the refund carries the lines; with a cash part, the VAT shares.
                let lines = if plan.cash == 0 {
                    plan.lines.clone()
                } else {
                    plan.vipps_lines.clone()
                };
                Some(insert_refund(
                    &tx,
                    v,
                    &refund_plan(lines),
                    reason,
                    staff_id,
                    now,
                    outbox,
                )?)
            }
            _ => None,
        };
        let cash = if plan.cash > 0 {
            let n = match &vipps {
                Some(r) => r.n,
                None => next_return_n(
                    &tx,
                    ctx.sale_id,
                    vipps_ctx.as_ref().map_or(-1, |v| v.payment_id),
                )?,
            };
            let id = self.insert_cash_return(
                &tx,
                &NewCashReturn {
                    n,
                    number: format!("R-{}-{n}", ctx.receipt_number),
                    sale_id: Some(ctx.sale_id),
                    refund_id: vipps.as_ref().map(|r| r.id),
                    currency: &ctx.currency,
                    plan: &plan,
                    reason,
                    staff_id,
                    approved_by: None,
                    training: ctx.training,
                },
                now,
            )?;
            // The sale is (partially) refunded now: every line given back, or some.
            let lines = refundable_lines(&tx, ctx.sale_id)?;
            let all = lines
                .iter()
                .filter(|l| !l.is_return)
                .all(|l| l.refunded_gross >= l.gross);
            let status = if all {
                crate::store::SaleStatus::Refunded
            } else {
                crate::store::SaleStatus::PartiallyRefunded
            };
            crate::store::journal::set_sale_status(
                &tx,
                self.signer,
                ctx.sale_id,
                status,
                Some(staff_id),
                now,
            )?;
            Some(id)
        } else {
            None
        };
        tx.commit()?;
        let cash = match cash {
            Some(id) => Some(self.cash_return(id)?),
            None => None,
        };
        Ok(ReturnOutcome { cash, vipps })
    }

    /// Record a return without the original sale (no receipt): only in cash and only by a
    /// manager (`session` is the manager who typed the PIN), journaled and signed in one
    /// transaction. `training` marks a training till's return.
    pub fn record_return_without_receipt(
        &self,
        session: &Session,
        req: &FreeReturnRequest,
        training: bool,
        now: OffsetDateTime,
    ) -> Result<CashReturnRecord, StaffError> {
        let reason = check_reason(&req.reason)?;
        let currency = req.currency.as_str();
        let plan = plan_free_return(&req.lines, req.tender, currency)?;
        self.authorize(
            session,
            Permission::Refund,
            None,
            Some(&format!(
                "return without receipt {} {reason}",
                money(plan.amount, currency).to_plain()
            )),
            now,
        )?;
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let n: i64 = tx.query_row(
            "SELECT count(*) + 1 FROM cash_returns
             WHERE sale_id IS NULL AND shop_id = ?1 AND till_id = ?2",
            params![self.shop_id, self.till_id],
            |r| r.get(0),
        )?;
        let id = self.insert_cash_return(
            &tx,
            &NewCashReturn {
                n,
                number: format!("RU-{}-{}-{n:06}", self.shop_id, self.till_id),
                sale_id: None,
                refund_id: None,
                currency,
                plan: &plan,
                reason,
                staff_id: session.staff_id(),
                approved_by: Some(session.staff_id()),
                training,
            },
            now,
        )?;
        tx.commit()?;
        self.cash_return(id)
    }

    /// Write one cash return with its lines, its staff action and its signed row (kind
    /// return, the cash part negative) on the caller's open transaction.
    fn insert_cash_return(
        &self,
        tx: &Connection,
        r: &NewCashReturn<'_>,
        now: OffsetDateTime,
    ) -> Result<i64, StaffError> {
        let p = r.plan;
        tx.execute(
            "INSERT INTO cash_returns (created_at, shop_id, till_id, number, n, sale_id,
                 refund_id, currency, amount, net, vat, cash_amount, cash_net, cash_rounding,
                 reason, staff_id, approved_by, training)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18)",
            params![
                ts(now),
                self.shop_id,
                self.till_id,
                r.number,
                r.n,
                r.sale_id,
                r.refund_id,
                r.currency,
                p.amount,
                p.net,
                p.vat,
                p.cash,
                p.cash_net,
                p.cash_rounding,
                r.reason,
                r.staff_id,
                r.approved_by,
                r.training
            ],
        )?;
        let id = tx.last_insert_rowid();
        for l in &p.lines {
            tx.execute(
                "INSERT INTO cash_return_lines (return_id, line_no, name, quantity_milli,
                     vat_rate, gross, net, vat)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    id,
                    l.line_no,
                    l.name,
                    l.quantity_milli,
                    l.vat_rate,
                    l.gross,
                    l.net,
                    l.vat
                ],
            )?;
        }
        let action = if r.sale_id.is_some() {
            "cash_return"
        } else {
            "return_without_receipt"
        };
        journal_action(
            tx,
            now,
            Some(r.staff_id),
            action,
            true,
            r.sale_id,
            Some(&format!(
                "{}: {} in cash, drawer opened ({})",
                r.number,
                money(p.cash_paid_out(), r.currency).to_plain(),
                r.reason
            )),
        )?;
        if let Some(signer) = self.signer {
            append_signed(
                tx,
                signer,
                &NewSigned {
                    shop_id: self.shop_id,
                    till_id: self.till_id,
                    kind: SignedKind::Return,
                    at: now,
                    amount_in: -p.cash,
                    amount_ex: -p.cash_net,
                    sale_id: r.sale_id,
                    refund_id: None,
                    receipt_number: Some(&r.number),
                    staff_id: Some(r.staff_id),
                    training: r.training,
                },
            )
            .map_err(StaffError::from)?;
        }
        Ok(id)
    }

    /// The cash return with this number (`R-…` / `RU-…`), if any.
    pub fn cash_return_id_by_number(&self, number: &str) -> Result<Option<i64>, StaffError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT id FROM cash_returns WHERE number = ?1",
                [number.trim()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// A recorded cash return, with the names a receipt needs.
    pub fn cash_return(&self, id: i64) -> Result<CashReturnRecord, StaffError> {
        let conn = self.lock()?;
        type Row = (
            (i64, String, Option<i64>, Option<i64>, String, String),
            (String, i64, i64, i64, i64, i64),
            (i64, String, String, Option<String>, bool, String),
        );
        let row: Option<Row> = conn
            .query_row(
                "SELECT n, number, sale_id, refund_id, shop_id, till_id,
                        currency, amount, net, vat, cash_amount, cash_net,
                        cash_rounding, reason, staff_id, approved_by, training, created_at
                 FROM cash_returns WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        (
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ),
                        (
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                            r.get(9)?,
                            r.get(10)?,
                            r.get(11)?,
                        ),
                        (
                            r.get(12)?,
                            r.get(13)?,
                            r.get(14)?,
                            r.get(15)?,
                            r.get(16)?,
                            r.get(17)?,
                        ),
                    ))
                },
            )
            .optional()?;
        let Some((
            (n, number, sale_id, refund_id, shop_id, till_id),
            (currency, amount, net, vat, cash, cash_net),
            (cash_rounding, reason, staff_id, approved_by, training, created_at),
        )) = row
        else {
            return Err(StaffError::NotFound(Text::new(
                format!("Retur {id} finnes ikke."),
                format!("Return {id} does not exist."),
            )));
        };
        let lines = {
            let mut stmt = conn.prepare_cached(
                "SELECT line_no, name, quantity_milli, vat_rate, gross, net, vat
                 FROM cash_return_lines WHERE return_id = ?1 ORDER BY id",
            )?;
            stmt.query_map([id], |r| {
                Ok(PlannedLine {
                    line_no: r.get(0)?,
                    name: r.get(1)?,
                    quantity_milli: r.get(2)?,
                    vat_rate: r.get(3)?,
                    gross: r.get(4)?,
                    net: r.get(5)?,
                    vat: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?
        };
        let original_receipt_number: Option<String> = match sale_id {
            Some(s) => conn
                .query_row("SELECT receipt_number FROM sales WHERE id = ?1", [s], |r| {
                    r.get(0)
                })
                .optional()?,
            None => None,
        };
        let (vipps, vipps_reference): (i64, Option<String>) = match refund_id {
            Some(rid) => conn
                .query_row(
                    "SELECT amount, reference FROM refunds WHERE id = ?1",
                    [rid],
                    |r| Ok((r.get(0)?, Some(r.get(1)?))),
                )
                .optional()?
                .unwrap_or((0, None)),
            None => (0, None),
        };
        let staff_name = self.staff_name(&staff_id)?;
        Ok(CashReturnRecord {
            id,
            n,
            number,
            sale_id,
            original_receipt_number,
            shop_id,
            till_id,
            currency,
            amount,
            net,
            vat,
            cash,
            cash_net,
            cash_rounding,
            refund_id,
            vipps,
            vipps_reference,
            reason,
            staff_id,
            staff_name,
            approved_by,
            training,
            created_at: parse_ts(&created_at)?,
            lines,
        })
    }
}
