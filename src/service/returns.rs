//! The return flow at the counter (issue #16): a return of lines of a sale found by its
//! receipt number gives the cash part back at once (recorded, signed and journaled in one
//! store transaction — no network, so it works offline) and queues the Vipps part as an
//! ordinary refund that the engine's outbox worker sends; a return without the receipt is
//! cash only and needs a manager. The caller prints the return receipt
//! (`app::Paper::print_cash_return`), which opens the drawer.

use time::OffsetDateTime;

use super::StaffDb;
use super::refund::{WaitLimits, outbox_row, settle_sale_status, wait_for};
use crate::clock::Clock;
use crate::domain::refund::RefundStatus;
use crate::domain::returns::{
    CashReturnRecord, FreeReturnRequest, ReturnContext, ReturnOutcome, ReturnRequest,
};
use crate::domain::staff::{Session, StaffError};
use crate::engine::Engine;

/// The sale behind a receipt number (or Vipps reference) with what can still be returned.
pub async fn context(db: &StaffDb, receipt: &str) -> Result<ReturnContext, StaffError> {
    let receipt = receipt.to_owned();
    db.run(move |db| db.return_context(&receipt)).await
}

/// Record a return (manager session): the cash part and the queued Vipps part in one
/// transaction. Nothing is sent here; see [`run_return`].
pub async fn record(
    db: &StaffDb,
    session: &Session,
    req: &ReturnRequest,
    now: OffsetDateTime,
) -> Result<ReturnOutcome, StaffError> {
    let (session, req) = (session.clone(), req.clone());
    let out = db
        .run(move |db| db.record_return(&session, &req, now, &outbox_row))
        .await?;
    tracing::info!(
        cash = out.cash.as_ref().map_or(0, |c| c.cash),
        vipps = out.vipps.as_ref().map_or(0, |r| r.amount),
        "return recorded"
    );
    Ok(out)
}

/// The one return runner of the till and the CLI: record ([`record`]); tell the caller at
/// once (`on_recorded`: print the return receipt, open the drawer); then, when there is a
/// Vipps part and an engine, kick the worker and wait for Vipps' answer as an engine event.
/// Without a Vipps part the engine is never touched (a cash return needs no network).
pub async fn run_return(
    db: &StaffDb,
    engine: Option<&Engine>,
    clock: &dyn Clock,
    session: &Session,
    req: &ReturnRequest,
    limits: WaitLimits,
    on_recorded: impl FnOnce(&ReturnOutcome),
) -> Result<(ReturnOutcome, Option<Result<RefundStatus, StaffError>>), StaffError> {
    let out = record(db, session, req, clock.now()).await?;
    on_recorded(&out);
    let Some(rec) = out.vipps.clone() else {
        return Ok((out, None));
    };
    let status = match engine {
        Some(engine) => {
            engine.kick_worker();
            wait_for(db, engine, &rec.idempotency_key, limits).await
        }
        None => db.refund_status(&rec.idempotency_key).await,
    };
    if let Ok(RefundStatus::Done) = &status
        && let Err(e) = settle_sale_status(db, &rec, clock.now()).await
    {
        tracing::warn!(error = %e, "refund done but the sale status was not updated");
    }
    Ok((out, Some(status)))
}

/// A return without the original sale: cash only, `session` must be a manager (the PIN was
/// typed for it). Journaled and signed in one transaction.
pub async fn without_receipt(
    db: &StaffDb,
    session: &Session,
    req: &FreeReturnRequest,
    now: OffsetDateTime,
) -> Result<CashReturnRecord, StaffError> {
    let (session, req) = (session.clone(), req.clone());
    let training = db.training();
    db.run(move |db| db.record_return_without_receipt(&session, &req, training, now))
        .await
}

/// A recorded cash return.
pub async fn cash_return(db: &StaffDb, id: i64) -> Result<CashReturnRecord, StaffError> {
    db.run(move |db| db.cash_return(id)).await
}
