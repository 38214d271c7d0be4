//! The refund flow: record (with its outbox row, in one transaction), let the engine's worker
//! send it, follow it, settle the sale's status.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;

use super::StaffDb;
use crate::clock::Clock;
use crate::domain::refund::*;
use crate::domain::staff::{Session, StaffError};
use crate::engine::outbox_payload::Payload;
use crate::engine::{Engine, EngineEvent, NetworkState};
use crate::store::{NewOutbox, OutboxKind};

/// The outbox row for a recorded refund (engine payload format, the record's key).
pub fn outbox_row(rec: &RefundRecord) -> NewOutbox {
    let payload = Payload::Refund {
        api: rec.api,
        id: rec.vipps_id.clone(),
        amount: rec.amount,
        currency: rec.currency.clone(),
    };
    NewOutbox {
        kind: OutboxKind::Refund,
        payment_id: Some(rec.payment_id),
        reference: Some(rec.reference.clone()),
        idempotency_key: rec.idempotency_key.clone(),
        payload_json: payload.to_json(),
    }
}

/// Queue a recorded refund whose outbox row is missing (idempotent on its key; the row and
/// its operations-journal entry in one transaction).
pub async fn enqueue(
    db: &StaffDb,
    rec: &RefundRecord,
    now: OffsetDateTime,
) -> Result<i64, StaffError> {
    let row = outbox_row(rec);
    let rec = rec.clone();
    db.run(move |db| db.queue_refund(&rec, &row, now)).await
}

/// Re-enqueue refund records whose outbox row is missing (run at start; records written before
/// the record and its row were one transaction). Returns how many.
pub async fn requeue_unsent(db: &StaffDb, now: OffsetDateTime) -> Result<usize, StaffError> {
    let recs = db.unsent_refunds().await?;
    for rec in &recs {
        enqueue(db, rec, now).await?;
    }
    Ok(recs.len())
}

/// The one refund flow (TUI and CLI): check the manager session and the rules, then record the
/// refund and queue its outbox row in one transaction. The engine's outbox worker sends it
/// (kick it with `Engine::kick_worker`); follow it with [`StaffDb::refund_status`].
pub async fn refund(
    db: &StaffDb,
    session: &Session,
    req: &RefundRequest,
    now: OffsetDateTime,
) -> Result<RefundRecord, StaffError> {
    let (session, req) = (session.clone(), req.clone());
    let rec = db
        .run(move |db| db.record_refund(&session, &req, now, &outbox_row))
        .await?;
    tracing::info!(
        reference = %rec.reference,
        n = rec.n,
        amount = rec.amount,
        staff_id = %rec.staff_id,
        "refund queued"
    );
    Ok(rec)
}

/// The one refund runner of the till and the CLI: record and queue ([`refund`]), kick the
/// engine's worker, tell the caller it is queued, wait for Vipps' answer as an engine event
/// ([`wait_for`]), and settle the sale's status when it is done. `clock` gives the times.
pub async fn run_refund(
    db: &StaffDb,
    engine: &Engine,
    clock: &dyn Clock,
    session: &Session,
    req: &RefundRequest,
    limits: WaitLimits,
    on_queued: impl FnOnce(&RefundRecord),
) -> Result<(RefundRecord, Result<RefundStatus, StaffError>), StaffError> {
    let rec = refund(db, session, req, clock.now()).await?;
    engine.kick_worker();
    on_queued(&rec);
    let status = wait_for(db, engine, &rec.idempotency_key, limits).await;
    if let Ok(RefundStatus::Done) = &status
        && let Err(e) = settle_sale_status(db, &rec, clock.now()).await
    {
        tracing::warn!(error = %e, "refund done but the sale status was not updated");
    }
    Ok((rec, status))
}

/// After Vipps confirmed a refund: mark the sale partially refunded or refunded (journaled by
/// the store with the staff member). Returns the new status, or None if nothing changed.
pub async fn settle_sale_status(
    db: &StaffDb,
    rec: &RefundRecord,
    now: OffsetDateTime,
) -> Result<Option<crate::store::SaleStatus>, StaffError> {
    use crate::store::SaleStatus;
    let payment_id = rec.payment_id;
    let (captured, done) = db.run(move |db| db.refund_totals(payment_id)).await?;
    if done <= 0 {
        return Ok(None);
    }
    let status = if done >= captured {
        SaleStatus::Refunded
    } else {
        SaleStatus::PartiallyRefunded
    };
    let (sale_id, staff) = (rec.sale_id, rec.staff_id.clone());
    let changed = db
        .store()
        .run(move |s| {
            let Some(sale) = s.sale(sale_id)? else {
                return Ok(false);
            };
            if sale.sale.status == status {
                return Ok(false);
            }
            s.set_sale_status(sale_id, status, Some(&staff), now)?;
            Ok(true)
        })
        .await?;
    Ok(changed.then_some(status))
}

/// How long to wait for Vipps' answer to a queued refund.
#[derive(Debug, Clone, Copy)]
pub struct WaitLimits {
    /// Give up (the refund stays queued: `Pending`) after this.
    pub timeout: Duration,
    /// While the engine is offline, give up after this instead (`None`: wait the full timeout).
    pub offline_grace: Option<Duration>,
}

impl WaitLimits {
    pub const fn timeout(timeout: Duration) -> WaitLimits {
        WaitLimits {
            timeout,
            offline_grace: None,
        }
    }
}

/// Wait until the refund (or correction) with this key is done or failed, or the limits pass
/// (then `Pending`: it stays queued and is sent when Vipps answers). The answer comes from the
/// engine's outbox worker as [`EngineEvent::RefundConfirmed`] / [`EngineEvent::RefundFailed`]
/// (or an outbox count change); the journal is read once at the start and once per event, never
/// on a timer.
pub async fn wait_for(
    db: &StaffDb,
    engine: &Engine,
    idempotency_key: &str,
    limits: WaitLimits,
) -> Result<RefundStatus, StaffError> {
    // Subscribe before the first read: an answer after it arrives as an event.
    let mut events = engine.subscribe();
    let start = tokio::time::Instant::now();
    let deadline = start + limits.timeout;
    let mut offline = engine.network() == NetworkState::Offline;
    loop {
        let status = db.refund_status(idempotency_key).await?;
        if matches!(status, RefundStatus::Done | RefundStatus::Failed(_)) {
            return Ok(status);
        }
        let until = match (offline, limits.offline_grace) {
            (true, Some(grace)) => deadline.min(start + grace),
            _ => deadline,
        };
        // Wait for an event that may concern this row; re-read the journal after it.
        loop {
            let ev = match tokio::time::timeout_at(until, events.recv()).await {
                Err(_) => return Ok(status),
                Ok(ev) => ev,
            };
            match ev {
                Ok(EngineEvent::RefundConfirmed {
                    idempotency_key: k, ..
                })
                | Ok(EngineEvent::RefundFailed {
                    idempotency_key: k, ..
                }) if k == idempotency_key => break,
                // Corrections (captures) and rows finished before a lag: their counts change.
                Ok(EngineEvent::Outbox { .. } | EngineEvent::Payment(_))
                | Err(RecvError::Lagged(_)) => break,
                Ok(EngineEvent::Network(n)) => {
                    let now_offline = n == NetworkState::Offline;
                    if now_offline != offline {
                        offline = now_offline;
                        break;
                    }
                }
                Ok(_) => {}
                // The engine is gone: nothing more will change in this process.
                Err(RecvError::Closed) => return db.refund_status(idempotency_key).await,
            }
        }
    }
}
