//! Batch SQL: this till's uncaptured payments and the correction capture rows.

use rusqlite::{OptionalExtension, params};

use time::OffsetDateTime;

use super::{StaffConn, journal_action};
use crate::domain::api::ApiKind;
use crate::domain::batch::*;
use crate::domain::reference::{Reference, op_key};
use crate::domain::staff::StaffError;
use crate::lang::Text;
use crate::store::{NewOperation, NewOutbox};

/// (payment id, sale id, api, currency, capture key, amount, captured, state, psp id)
type CaptureSource = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
);

impl StaffConn<'_> {
    /// This till's authorized-but-uncaptured Vipps payments of `[from, to)` (not training):
    /// the candidates for a batch correction capture, oldest first.
    pub fn uncaptured_between(
        &self,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<Vec<Uncaptured>, StaffError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT p.reference, s.receipt_number, p.api, p.currency, p.amount,
                    p.captured_amount, p.state, p.created_at
             FROM payments p JOIN sales s ON s.id = p.sale_id
             WHERE s.shop_id = ?1 AND s.till_id = ?2 AND p.created_at >= ?3
               AND p.created_at < ?4 AND s.training = 0
               AND p.state IN ('authorized', 'capturing', 'failed')
               AND p.authorized_amount > p.captured_amount
             ORDER BY p.created_at, p.id",
        )?;
        let rows = stmt.query_map(
            params![
                self.shop_id(),
                self.till_id(),
                super::ts(from),
                super::ts(to)
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (reference, receipt_number, api, currency, amount, captured, state, at) = row?;
            out.push(Uncaptured {
                reference,
                receipt_number,
                api: ApiKind::parse(&api).unwrap_or(ApiKind::Epayment),
                currency,
                amount,
                captured,
                state,
                created_at: super::parse_ts(&at)?,
            });
        }
        Ok(out)
    }

    /// The outbox row for a correction capture of what is still reserved. Uses the payment's
    /// own capture key unless a row with it already failed for good; then
    /// `{reference}-capture-{k}` for the next k. Refused while a capture is queued or done.
    pub fn capture_target(&self, reference: &str) -> Result<CaptureTarget, StaffError> {
        let conn = self.lock()?;
        let row: Option<CaptureSource> = conn
            .query_row(
                "SELECT id, sale_id, api, currency, capture_key, amount, captured_amount, state,
                        psp_transaction_id
                 FROM payments WHERE reference = ?1 ORDER BY id DESC LIMIT 1",
                [reference],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ))
                },
            )
            .optional()?;
        let Some((pid, sale_id, api, currency, capture_key, amount, captured, state, psp_id)) = row
        else {
            return Err(StaffError::NotFound(Text::new(
                format!("Fant ingen betaling med referanse «{reference}»."),
                format!("No payment with reference \"{reference}\" was found."),
            )));
        };
        let remaining = amount - captured;
        // `failed` covers a capture that failed for good after authorization; Vipps refuses
        // the correction (row dead, visible) if nothing is reserved any more.
        if remaining <= 0
            || !matches!(
                state.as_str(),
                "authorized" | "capturing" | "captured" | "failed"
            )
        {
            return Err(StaffError::Refused(Text::new(
                format!(
                    "Trekk: {reference} har ingenting reservert å trekke (status {state}, trukket {captured} av {amount})."
                ),
                format!(
                    "Capture: {reference} has nothing reserved to capture (state {state}, captured {captured} of {amount})."
                ),
            )));
        }
        // A payment Vipps holds under our reference that was shown not to be ours (another
        // till's or an older install's) is never captured from here.
        let not_ours: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM operations WHERE payment_id = ?1 AND kind = 'not_ours')",
            params![pid],
            |r| r.get(0),
        )?;
        if not_ours {
            return Err(StaffError::Refused(Text::new(
                format!(
                    "Trekk: betalingen hos Vipps med referanse {reference} er ikke dette salgets (en annen kasse eller en eldre installasjon). Den trekkes aldri herfra."
                ),
                format!(
                    "Capture: the payment Vipps holds under {reference} is not this sale's (another till or an older install). It is never captured from here."
                ),
            )));
        }
        let mut stmt = conn.prepare(
            "SELECT idempotency_key, status FROM outbox WHERE payment_id = ?1 AND kind = 'capture'",
        )?;
        let rows: Vec<(String, String)> = stmt
            .query_map(params![pid], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        if rows.iter().any(|(_, s)| s != "dead") {
            return Err(StaffError::Refused(Text::new(
                format!(
                    "Trekk: {reference} har allerede et trekk i køen eller sendt. Vent på det."
                ),
                format!("Capture: {reference} already has a capture queued or sent. Wait for it."),
            )));
        }
        let key = if rows.iter().any(|(k, _)| *k == capture_key) {
            let r = Reference::new(reference).map_err(|e| StaffError::Invalid(e.text()))?;
            let k = u32::try_from(rows.len() + 1).unwrap_or(u32::MAX);
            op_key(&r, "capture", k).as_str().to_owned()
        } else {
            capture_key
        };
        let api = ApiKind::parse(&api).unwrap_or(ApiKind::Epayment);
        let id = if api == ApiKind::Psp {
            psp_id.unwrap_or_else(|| crate::domain::reference::psp_transaction_id(reference))
        } else {
            reference.to_owned()
        };
        Ok(CaptureTarget {
            payment_id: pid,
            sale_id,
            reference: reference.to_owned(),
            api,
            vipps_id: id,
            currency,
            key,
            amount: remaining,
        })
    }

    /// Queue an outbox row, journal it in the operations log and (when given) as a staff
    /// action, all in one transaction.
    pub fn queue_with_journal(
        &self,
        row: &NewOutbox,
        op: &NewOperation,
        action: Option<StaffActionEntry<'_>>,
        now: OffsetDateTime,
    ) -> Result<i64, StaffError> {
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let id = crate::store::outbox::enqueue(&tx, row, now)?;
        crate::store::journal::record_operation(
            &tx,
            &NewOperation {
                outbox_id: Some(id),
                ..op.clone()
            },
        )?;
        if let Some(a) = action {
            journal_action(
                &tx,
                now,
                Some(a.staff_id),
                a.action,
                true,
                a.sale_id,
                Some(a.detail),
            )?;
        }
        tx.commit()?;
        Ok(id)
    }
}

/// A staff action to journal with a queued row.
#[derive(Debug, Clone, Copy)]
pub struct StaffActionEntry<'a> {
    pub staff_id: &'a str,
    pub action: &'a str,
    pub sale_id: Option<i64>,
    pub detail: &'a str,
}

/// What a correction capture takes: the payment, its key and what is still reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureTarget {
    pub payment_id: i64,
    pub sale_id: i64,
    pub reference: String,
    pub api: ApiKind,
    /// The id Vipps knows the payment by.
    pub vipps_id: String,
    pub currency: String,
    pub key: String,
    /// Still reserved: the amount to capture.
    pub amount: i64,
}
