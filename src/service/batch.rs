//! Batch corrections: captures and refunds of many payments, rate limited per reference and
//! run a few at a time through the engine's outbox worker.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::StaffDb;
use crate::clock::Clock;
use crate::domain::batch::*;
use crate::domain::refund::{RefundRecord, RefundRequest, RefundStatus};
use crate::domain::staff::Permission;
use crate::domain::staff::{Session, StaffError, require};
use crate::engine::Engine;
use crate::engine::outbox_payload::Payload;
use crate::store::staff::StaffActionEntry;
use crate::store::{NewOperation, NewOutbox, OpOutcome, OutboxKind};

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

/// Runs batches. Needs the engine's outbox worker running to send the rows.
#[derive(Clone)]
pub struct BatchRunner {
    pub db: StaffDb,
    /// The engine whose outbox worker sends the rows and reports their outcome.
    pub engine: Engine,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<RateLimiter>,
    /// Operations in flight at once (across references).
    pub concurrency: usize,
    /// How long to wait for each row to be done before reporting it pending.
    pub wait: Duration,
    /// Called after each enqueue, besides `Engine::kick_worker`.
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
    pub fn new(db: StaffDb, engine: Engine, clock: Arc<dyn Clock>) -> BatchRunner {
        BatchRunner {
            db,
            engine,
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
        self.db
            .authorize(
                session,
                Permission::BatchCorrections,
                None,
                Some(&format!("{} operations", ops.len())),
                self.clock.now(),
            )
            .await?;
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
                self.engine.kick_worker();
                if let Some(k) = &self.kick {
                    k();
                }
                let status = match super::refund::wait_for(
                    &self.db,
                    &self.engine,
                    &key,
                    super::refund::WaitLimits::timeout(self.wait),
                )
                .await
                {
                    Ok(s) => s,
                    Err(e) => RefundStatus::Failed(e.message().en),
                };
                if let (RefundStatus::Done, Some(rec)) = (&status, &rec)
                    && let Err(e) =
                        super::refund::settle_sale_status(&self.db, rec, self.clock.now()).await
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
        let rec = super::refund::refund(&self.db, session, req, self.clock.now()).await?;
        Ok((rec.amount, rec.idempotency_key.clone(), Some(rec)))
    }

    async fn capture(
        &self,
        session: &Session,
        reference: &str,
    ) -> Result<(i64, String), StaffError> {
        require(session, Permission::BatchCorrections)?;
        let now = self.clock.now();
        let reference = reference.to_owned();
        let t = self.db.run(move |db| db.capture_target(&reference)).await?;
        let payload = Payload::Capture {
            api: t.api,
            id: t.vipps_id.clone(),
            amount: t.amount,
            currency: t.currency.clone(),
        };
        let row = NewOutbox {
            kind: OutboxKind::Capture,
            payment_id: Some(t.payment_id),
            reference: Some(t.reference.clone()),
            idempotency_key: t.key.clone(),
            payload_json: payload.to_json(),
        };
        let (amount, key) = (t.amount, t.key.clone());
        let staff = session.staff_id().to_owned();
        self.db
            .run(move |db| {
                db.queue_with_journal(
                    &row,
                    &NewOperation {
                        sale_id: Some(t.sale_id),
                        payment_id: Some(t.payment_id),
                        idempotency_key: Some(t.key.clone()),
                        staff_id: Some(staff.clone()),
                        detail: Some(format!("correction capture {} queued by staff", t.amount)),
                        ..NewOperation::new("capture_requested", OpOutcome::Info, now)
                    },
                    Some(StaffActionEntry {
                        staff_id: &staff,
                        action: "capture_correction",
                        sale_id: Some(t.sale_id),
                        detail: &format!("{} {}", t.reference, t.amount),
                    }),
                    now,
                )
            })
            .await?;
        Ok((amount, key))
    }
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
