//! Batch refunds and captures for end-of-day corrections, with progress (done / total).
//!
//! Vipps allows 5 capture/cancel/refund calls per minute per payment (reference); different
//! references may go in parallel. Each operation waits for a slot in a per-reference sliding
//! window ([`RateLimiter`]) and for one of [`BatchRunner::concurrency`] global slots, then
//! enqueues its outbox row (deterministic key) and waits for the engine's worker to finish it.
//! Pacing the enqueue paces the calls: the worker sends a row as soon as it is queued.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use tokio::time::Instant;

use super::auth::Permission;
use super::refund::{RefundRecord, RefundRequest, RefundStatus};
use super::{Session, StaffDb, StaffError, require};
use crate::clock::Clock;
use crate::domain::reference::{Reference, op_key};
use crate::engine::events::ApiKind;
use crate::engine::outbox_payload::Payload;
use crate::lang::Text;
use crate::store::{AsyncStore, NewOperation, NewOutbox, OpOutcome, OutboxKind};

/// Vipps: modifications per payment per minute.
pub const PER_REFERENCE_PER_MINUTE: usize = 5;
/// Default number of operations in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// A sliding-window limiter: at most `limit` acquisitions per key per `window`.
#[derive(Debug)]
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration) -> RateLimiter {
        RateLimiter {
            limit: limit.max(1),
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Vipps' limit for capture/cancel/refund: 5 per minute per reference.
    pub fn vipps() -> RateLimiter {
        RateLimiter::new(PER_REFERENCE_PER_MINUTE, Duration::from_secs(60))
    }

    /// Wait until `key` may make another call, and count it.
    pub async fn acquire(&self, key: &str) {
        loop {
            let wait = {
                let now = Instant::now();
                let Ok(mut map) = self.seen.lock() else {
                    return;
                };
                let q = map.entry(key.to_owned()).or_default();
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    q.pop_front();
                }
                if q.len() < self.limit {
                    q.push_back(now);
                    return;
                }
                q.front()
                    .map(|t| self.window.saturating_sub(now.duration_since(*t)))
                    .unwrap_or(Duration::ZERO)
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

/// One correction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    Refund(RefundRequest),
    /// Capture what is still reserved on an authorized payment (goods were handed over).
    Capture {
        reference: String,
    },
}

impl BatchOp {
    fn reference(&self) -> &str {
        match self {
            BatchOp::Refund(r) => &r.reference,
            BatchOp::Capture { reference } => reference,
        }
    }
}

/// Progress after each finished operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchProgress {
    pub done: usize,
    pub total: usize,
    pub reference: String,
    pub ok: bool,
}

/// The result of one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    pub index: usize,
    pub reference: String,
    pub op: &'static str,
    pub amount: i64,
    /// Done / Failed / Pending (still queued when the wait ran out).
    pub status: RefundStatus,
    /// Why it was refused before anything was queued.
    pub refused: Option<Text>,
}

/// Runs batches. Needs the engine's outbox worker running to send the rows.
#[derive(Clone)]
pub struct BatchRunner {
    pub db: StaffDb,
    pub store: AsyncStore,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<RateLimiter>,
    /// Operations in flight at once (across references).
    pub concurrency: usize,
    /// How long to wait for each row to be done before reporting it pending.
    pub wait: Duration,
    /// Called after each enqueue (e.g. `Engine::kick_worker`).
    pub kick: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for BatchRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchRunner")
            .field("concurrency", &self.concurrency)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl BatchRunner {
    pub fn new(db: StaffDb, store: AsyncStore, clock: Arc<dyn Clock>) -> BatchRunner {
        BatchRunner {
            db,
            store,
            clock,
            limiter: Arc::new(RateLimiter::vipps()),
            concurrency: DEFAULT_CONCURRENCY,
            wait: Duration::from_secs(60),
            kick: None,
        }
    }

    /// Run every operation (manager only). `progress` is called with done / total after each.
    pub async fn run(
        &self,
        session: &Session,
        ops: Vec<BatchOp>,
        mut progress: impl FnMut(BatchProgress),
    ) -> Result<Vec<BatchOutcome>, StaffError> {
        self.db.authorize(
            session,
            Permission::BatchCorrections,
            None,
            Some(&format!("{} operations", ops.len())),
            self.clock.now(),
        )?;
        let total = ops.len();
        let sem = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<BatchOutcome>();
        let mut set = tokio::task::JoinSet::new();
        for (index, op) in ops.into_iter().enumerate() {
            let me = self.clone();
            let sem = sem.clone();
            let tx = tx.clone();
            let session = session.clone();
            set.spawn(async move {
                me.limiter.acquire(op.reference()).await;
                let _permit = sem.acquire_owned().await;
                let out = me.one(&session, index, op).await;
                let _ = tx.send(out);
            });
        }
        drop(tx);
        let mut outcomes = Vec::with_capacity(total);
        while let Some(o) = rx.recv().await {
            progress(BatchProgress {
                done: outcomes.len() + 1,
                total,
                reference: o.reference.clone(),
                ok: o.status == RefundStatus::Done,
            });
            outcomes.push(o);
        }
        while set.join_next().await.is_some() {}
        outcomes.sort_by_key(|o| o.index);
        Ok(outcomes)
    }

    async fn one(&self, session: &Session, index: usize, op: BatchOp) -> BatchOutcome {
        let reference = op.reference().to_owned();
        let (kind, res) = match &op {
            BatchOp::Refund(req) => ("refund", self.refund(session, req).await),
            BatchOp::Capture { reference } => (
                "capture",
                self.capture(session, reference)
                    .await
                    .map(|(amount, key)| (amount, key, None)),
            ),
        };
        match res {
            Ok((amount, key, rec)) => {
                if let Some(k) = &self.kick {
                    k();
                }
                let status = match wait_row(&self.db, &key, self.wait).await {
                    Ok(s) => s,
                    Err(e) => RefundStatus::Failed(e.message().en),
                };
                if let (RefundStatus::Done, Some(rec)) = (&status, &rec)
                    && let Err(e) = super::refund::settle_sale_status(
                        &self.db,
                        &self.store,
                        rec,
                        self.clock.now(),
                    )
                    .await
                {
                    tracing::warn!(error = %e, "refund done but the sale status was not updated");
                }
                BatchOutcome {
                    index,
                    reference,
                    op: kind,
                    amount,
                    status,
                    refused: None,
                }
            }
            Err(e) => BatchOutcome {
                index,
                reference,
                op: kind,
                amount: 0,
                status: RefundStatus::Failed(e.message().en),
                refused: Some(e.message()),
            },
        }
    }

    async fn refund(
        &self,
        session: &Session,
        req: &RefundRequest,
    ) -> Result<(i64, String, Option<RefundRecord>), StaffError> {
        let rec =
            super::refund::refund(&self.db, &self.store, session, req, self.clock.now()).await?;
        Ok((rec.amount, rec.idempotency_key.clone(), Some(rec)))
    }

    async fn capture(
        &self,
        session: &Session,
        reference: &str,
    ) -> Result<(i64, String), StaffError> {
        require(session, Permission::BatchCorrections)?;
        let now = self.clock.now();
        let (row, amount, sale_id) = self.db.capture_row(reference)?;
        let key = row.idempotency_key.clone();
        let (payment_id, staff) = (row.payment_id, session.staff_id().to_owned());
        let k2 = key.clone();
        self.store
            .run(move |s| {
                s.transaction(|tx| {
                    let id = tx.enqueue(&row, now)?;
                    tx.record_operation(&NewOperation {
                        sale_id: Some(sale_id),
                        payment_id,
                        outbox_id: Some(id),
                        idempotency_key: Some(k2),
                        staff_id: Some(staff),
                        detail: Some(format!("correction capture {amount} queued by staff")),
                        ..NewOperation::new("capture_requested", OpOutcome::Info, now)
                    })?;
                    Ok(id)
                })
            })
            .await?;
        {
            let conn = self.db.lock()?;
            super::journal_action(
                &conn,
                now,
                Some(session.staff_id()),
                "capture_correction",
                true,
                Some(sale_id),
                Some(&format!("{reference} {amount}")),
            )?;
        }
        Ok((amount, key))
    }
}

/// A Vipps payment whose reservation is not (fully) captured: a correction capture candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncaptured {
    pub reference: String,
    pub receipt_number: String,
    pub api: ApiKind,
    pub currency: String,
    /// Reserved (authorized) amount.
    pub amount: i64,
    pub captured: i64,
    /// Journal state of the payment (`authorized`, `capturing`, `failed`).
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

impl Uncaptured {
    /// What a correction capture would take.
    pub fn remaining(&self) -> i64 {
        (self.amount - self.captured).max(0)
    }
}

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

impl StaffDb {
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
    fn capture_row(&self, reference: &str) -> Result<(NewOutbox, i64, i64), StaffError> {
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
            psp_id.unwrap_or_else(|| crate::engine::psp_transaction_id(reference))
        } else {
            reference.to_owned()
        };
        let payload = Payload::Capture {
            api,
            id,
            amount: remaining,
            currency,
        };
        Ok((
            NewOutbox {
                kind: OutboxKind::Capture,
                payment_id: Some(pid),
                reference: Some(reference.to_owned()),
                idempotency_key: key,
                payload_json: payload.to_json(),
            },
            remaining,
            sale_id,
        ))
    }
}

/// Wait until the outbox row with this key is done or dead, or `timeout` passes.
async fn wait_row(db: &StaffDb, key: &str, timeout: Duration) -> Result<RefundStatus, StaffError> {
    super::refund::wait_for(db, key, timeout).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn five_per_minute_per_reference_others_in_parallel() {
        let rl = RateLimiter::vipps();
        let start = Instant::now();
        for _ in 0..5 {
            rl.acquire("a").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        rl.acquire("b").await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        rl.acquire("a").await;
        assert!(start.elapsed() >= Duration::from_secs(60));
    }
}
