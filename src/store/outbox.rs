//! The durable outbox: every capture, cancel, refund, receipt, category, image and PSP status
//! call leaves through a row here. A row's idempotency key never changes; rows end `done` or
//! `dead`, and dead rows stay visible until staff acknowledge them.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::error::StoreError;
use super::journal::record_operation;
use super::sql::*;
use super::types::*;
use super::{Store, Tx};

/// Longest accepted idempotency key (ePayment: 50; eCom X-Request-Id: 40 — UUIDs are 36).
pub const MAX_KEY_LEN: usize = 50;

pub(crate) fn enqueue(
    conn: &Connection,
    row: &NewOutbox,
    now: OffsetDateTime,
) -> Result<i64, StoreError> {
    let key = &row.idempotency_key;
    if key.is_empty()
        || key.len() > MAX_KEY_LEN
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(StoreError::Invalid {
            field: "idempotency_key",
            value: key.clone(),
            reason: "must be 1 to 50 letters, digits, '-' or '_'",
        });
    }
    if serde_json::from_str::<serde_json::Value>(&row.payload_json).is_err() {
        return Err(StoreError::Invalid {
            field: "payload_json",
            value: row.payload_json.chars().take(80).collect(),
            reason: "must be valid JSON",
        });
    }
    let inserted = conn.execute(
        "INSERT INTO outbox (kind, payment_id, reference, idempotency_key, payload_json, status,
             attempts, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6, ?6)
         ON CONFLICT (idempotency_key) DO NOTHING",
        params![
            row.kind,
            row.payment_id,
            row.reference,
            key,
            row.payload_json,
            Ts(now)
        ],
    )?;
    let existing: (i64, OutboxKind, Option<String>, String) = conn.query_row(
        "SELECT id, kind, reference, payload_json FROM outbox WHERE idempotency_key = ?1",
        [key],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    if inserted == 0 {
        if existing.1 != row.kind || existing.2 != row.reference {
            return Err(StoreError::Duplicate {
                what: "idempotency key (used by another outbox request)",
                value: key.clone(),
            });
        }
        if existing.3 != row.payload_json {
            // The key owns its first body: Vipps answers 409 to the same key with another body.
            tracing::warn!(
                outbox_id = existing.0,
                kind = %row.kind,
                "enqueue with an existing key and a different payload; keeping the original"
            );
        }
    }
    Ok(existing.0)
}

// The statements the outbox worker runs for every row are prepared once per connection
// (`prepare_cached`): preparing an `UPDATE outbox` compiles the HQ feed trigger on it
// (`hq_refund_status_au`, migration 0014) into the statement each time, which made a fresh
// prepare per row a visible part of the drain (README, Performance).
fn outbox_by_id(conn: &Connection, id: i64) -> Result<Option<OutboxRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {OUTBOX_COLS} FROM outbox WHERE id = ?1"))?
        .query_row([id], outbox_row)
        .optional()?)
}

fn require(conn: &Connection, id: i64) -> Result<OutboxRow, StoreError> {
    outbox_by_id(conn, id)?.ok_or_else(|| StoreError::NotFound {
        what: "outbox row",
        id: id.to_string(),
    })
}

fn wrong_status(row: &OutboxRow, wanted: &'static str) -> StoreError {
    StoreError::Invalid {
        field: "outbox status",
        value: format!("row {} is {}", row.id, row.status),
        reason: wanted,
    }
}

impl Store {
    /// Add an outbox row (idempotent: the same key returns the existing row's id and keeps its
    /// original payload). A key already used for another kind or reference is an error.
    pub fn enqueue(&mut self, row: &NewOutbox, now: OffsetDateTime) -> Result<i64, StoreError> {
        self.transaction(|tx| tx.enqueue(row, now))
    }

    /// Claim up to `limit` due pending rows (`next_attempt_at <= now`), oldest due first: marks
    /// them in flight and counts the attempt.
    pub fn claim_due(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id FROM outbox
                 WHERE status IN ('pending', 'in_flight') AND status = 'pending'
                   AND next_attempt_at <= ?1
                 ORDER BY next_attempt_at, id LIMIT ?2",
            )?;
            stmt.query_map(params![Ts(now), limit], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?
        };
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            tx.prepare_cached(
                "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1, updated_at = ?2
                 WHERE id = ?1",
            )?
            .execute(params![id, Ts(now)])?;
            rows.push(require(&tx, id)?);
        }
        tx.commit()?;
        Ok(rows)
    }

    /// The call succeeded: the row is done. When the row is a staff refund, the return is
    /// signed into the fiscal journal in the same transaction (a return is a cash
    /// transaction: negative amounts, kind `Return`, once per refund).
    pub fn complete(&mut self, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        self.transaction(|tx| complete_in(tx, id, now))
    }

    /// [`Store::complete`] with the call's journal entry written in the same transaction: one
    /// commit (one fsync of the WAL) instead of two, and never a journaled success whose row is
    /// not done. The outbox worker's path for every successful call.
    pub fn complete_journaled(
        &mut self,
        id: i64,
        op: &NewOperation,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            record_operation(tx.tx, op)?;
            complete_in(tx, id, now)
        })
    }

    /// A transient failure: back to pending, due again at `next_attempt_at`, same key.
    pub fn reschedule(
        &mut self,
        id: i64,
        next_attempt_at: OffsetDateTime,
        error: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let row = require(&self.conn, id)?;
        match row.status {
            OutboxStatus::Pending | OutboxStatus::InFlight => {
                self.conn
                    .prepare_cached(
                        "UPDATE outbox SET status = 'pending', next_attempt_at = ?2,
                             last_error = ?3, updated_at = ?4
                         WHERE id = ?1",
                    )?
                    .execute(params![id, Ts(next_attempt_at), error, Ts(now)])?;
                Ok(())
            }
            OutboxStatus::Done | OutboxStatus::Dead => Err(wrong_status(
                &row,
                "only pending or in-flight rows can be rescheduled",
            )),
        }
    }

    /// A permanent failure: the row is dead, stays visible with `reason`, and is journaled.
    pub fn mark_dead(
        &mut self,
        id: i64,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let row = require(tx.tx, id)?;
            match row.status {
                OutboxStatus::Pending | OutboxStatus::InFlight => {}
                OutboxStatus::Done | OutboxStatus::Dead => {
                    return Err(wrong_status(
                        &row,
                        "only pending or in-flight rows can be marked dead",
                    ));
                }
            }
            tx.tx.execute(
                "UPDATE outbox SET status = 'dead', last_error = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, reason, Ts(now)],
            )?;
            record_operation(
                tx.tx,
                &NewOperation {
                    payment_id: row.payment_id,
                    outbox_id: Some(id),
                    idempotency_key: Some(row.idempotency_key.clone()),
                    detail: Some(format!(
                        "{} {}: {reason}",
                        row.kind,
                        row.reference.unwrap_or_default()
                    )),
                    ..NewOperation::new("outbox_dead", OpOutcome::Info, now)
                },
            )?;
            Ok(())
        })
    }

    /// Staff have seen a dead row and taken responsibility for it (journaled with who).
    pub fn acknowledge_dead(
        &mut self,
        id: i64,
        staff_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let row = require(tx.tx, id)?;
            if row.status != OutboxStatus::Dead {
                return Err(wrong_status(&row, "only dead rows can be acknowledged"));
            }
            tx.tx.execute(
                "UPDATE outbox SET acknowledged_by = ?2, acknowledged_at = ?3, updated_at = ?3
                 WHERE id = ?1",
                params![id, staff_id, Ts(now)],
            )?;
            record_operation(
                tx.tx,
                &NewOperation {
                    payment_id: row.payment_id,
                    outbox_id: Some(id),
                    staff_id: Some(staff_id.to_owned()),
                    detail: Some(format!(
                        "acknowledged dead {} row: {}",
                        row.kind,
                        row.last_error.unwrap_or_default()
                    )),
                    ..NewOperation::new("outbox_acknowledged", OpOutcome::Info, now)
                },
            )?;
            Ok(())
        })
    }

    /// One outbox row.
    pub fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>, StoreError> {
        outbox_by_id(&self.conn, id)
    }

    /// Outbox rows matching `filter`, by id.
    pub fn list(&self, filter: OutboxFilter) -> Result<Vec<OutboxRow>, StoreError> {
        let cond = match filter {
            OutboxFilter::All => "1 = 1".to_owned(),
            OutboxFilter::Open => "status IN ('pending', 'in_flight')".to_owned(),
            OutboxFilter::Status(s) => format!("status = '{}'", s.as_str()),
            OutboxFilter::DeadUnacknowledged => {
                "status = 'dead' AND acknowledged_at IS NULL".to_owned()
            }
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE {cond} ORDER BY id"
        ))?;
        let rows = stmt.query_map([], outbox_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Rows still to send (pending or in flight) — the "N actions pending sync" number.
    pub fn pending_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM outbox WHERE status IN ('pending', 'in_flight')")?
            .query_row([], |r| r.get(0))?)
    }

    /// Dead rows nobody acknowledged yet — the staff alert's number. Counted over the partial
    /// index `outbox_dead_unacknowledged` (migration 0021), so it costs the dead rows, not the
    /// whole outbox (which keeps every row it ever sent).
    pub fn dead_unacknowledged_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM outbox WHERE status = 'dead' AND acknowledged_at IS NULL",
            )?
            .query_row([], |r| r.get(0))?)
    }

    /// Rows that block a Z report: still to send, or dead and not acknowledged.
    pub fn unresolved_count(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'in_flight')
                 OR (status = 'dead' AND acknowledged_at IS NULL)",
            [],
            |r| r.get(0),
        )?)
    }

    /// The earliest `next_attempt_at` of a pending row (for the worker's sleep).
    pub fn next_due_at(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        let t: Option<Ts> = self
            .conn
            .prepare_cached(
                "SELECT min(next_attempt_at) FROM outbox WHERE status IN ('pending', 'in_flight')
                     AND status = 'pending'",
            )?
            .query_row([], |r| r.get(0))?;
        Ok(t.map(|t| t.0))
    }

    /// Reset rows left in flight by a crash to pending (keys unchanged, so a resend is safe).
    /// Run by `open`; returns how many rows were reset.
    pub fn recover_in_flight(&mut self) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE outbox SET status = 'pending' WHERE status = 'in_flight'",
            [],
        )?)
    }
}

impl Tx<'_> {
    /// Look up an outbox row inside the transaction.
    pub fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>, StoreError> {
        outbox_by_id(self.tx, id)
    }
}

fn complete_in(tx: &Tx<'_>, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
    let row = require(tx.tx, id)?;
    match row.status {
        OutboxStatus::Done => Ok(()),
        OutboxStatus::Dead => Err(wrong_status(&row, "a dead row cannot be completed")),
        OutboxStatus::Pending | OutboxStatus::InFlight => {
            tx.tx
                .prepare_cached("UPDATE outbox SET status = 'done', updated_at = ?2 WHERE id = ?1")?
                .execute(params![id, Ts(now)])?;
            sign_completed_refund(tx, &row.idempotency_key, now)
        }
    }
}

/// The return of a staff refund whose outbox row just completed, signed in the caller's
/// transaction. Nothing for rows that are not staff refunds (captures, cancels, receipts) or
/// when the store has no fiscal key.
fn sign_completed_refund(
    tx: &super::Tx<'_>,
    idempotency_key: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    use rusqlite::OptionalExtension;
    type RefundRow = (i64, i64, i64, i64, i64, String, i64, String, String, String);
    let found: Option<RefundRow> = tx
        .tx
        .prepare_cached(
            "SELECT r.id, r.sale_id, r.n, r.amount, r.net, r.staff_id, r.training,
                    s.shop_id, s.till_id, s.receipt_number
             FROM refunds r JOIN sales s ON s.id = r.sale_id
             WHERE r.idempotency_key = ?1",
        )?
        .query_row(params![idempotency_key], |r| {
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
                r.get::<_, Option<String>>(9)?.unwrap_or_default(),
            ))
        })
        .optional()?;
    let Some((refund_id, sale_id, n, amount, net, staff_id, training, shop, till, receipt)) = found
    else {
        return Ok(());
    };
    let number = format!("R-{receipt}-{n}");
    tx.append_signed(&super::fiscal::NewSigned {
        shop_id: &shop,
        till_id: &till,
        kind: super::fiscal::SignedKind::Return,
        at,
        amount_in: -amount,
        amount_ex: -net,
        sale_id: Some(sale_id),
        refund_id: Some(refund_id),
        receipt_number: Some(&number),
        staff_id: Some(&staff_id),
        training: training != 0,
    })?;
    Ok(())
}
