//! Reconciliation SQL: the day's Vipps payments as the journal has them.

use rusqlite::params;

use super::{StaffConn, ts};
use crate::domain::api::ApiKind;
use crate::domain::staff::StaffError;

/// A payment of the day as the journal has it.
#[derive(Debug, Clone)]
pub struct DayPayment {
    pub api: ApiKind,
    pub reference: String,
    pub vipps_id: String,
    pub receipt_number: String,
    pub currency: String,
    pub captured: i64,
    pub refunded_done: i64,
    pub refunded_pending: i64,
}

impl StaffConn<'_> {
    pub fn day_payments(
        &self,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
        training: bool,
    ) -> Result<Vec<DayPayment>, StaffError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT p.api, p.reference, p.psp_transaction_id, s.receipt_number, s.currency,
                    p.captured_amount,
                    coalesce((SELECT sum(r.amount) FROM refunds r JOIN outbox o
                              ON o.idempotency_key = r.idempotency_key
                              WHERE r.payment_id = p.id AND o.status = 'done'), 0),
                    coalesce((SELECT sum(r.amount) FROM refunds r LEFT JOIN outbox o
                              ON o.idempotency_key = r.idempotency_key
                              WHERE r.payment_id = p.id
                                AND coalesce(o.status, 'pending') IN ('pending', 'in_flight')), 0)
             FROM payments p JOIN sales s ON s.id = p.sale_id
             WHERE s.shop_id = ?1 AND s.till_id = ?2 AND s.created_at >= ?3 AND s.created_at < ?4
               AND s.training = ?5
               AND p.state NOT IN ('rejected', 'expired')
               -- A failed payment counts if money was reserved (e.g. its capture failed).
               AND (p.state <> 'failed' OR p.authorized_amount > 0 OR p.captured_amount > 0)
             ORDER BY p.id",
        )?;
        let rows = stmt.query_map(
            params![
                self.shop_id(),
                self.till_id(),
                ts(from),
                ts(to),
                i64::from(training)
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (api, reference, psp_id, receipt_number, currency, captured, done, pending) = row?;
            let api = ApiKind::parse(&api).unwrap_or(ApiKind::Epayment);
            let vipps_id = if api == ApiKind::Psp {
                psp_id.unwrap_or_else(|| crate::domain::reference::psp_transaction_id(&reference))
            } else {
                reference.clone()
            };
            out.push(DayPayment {
                api,
                reference,
                vipps_id,
                receipt_number,
                currency,
                captured,
                refunded_done: done,
                refunded_pending: pending,
            });
        }
        Ok(out)
    }
}
