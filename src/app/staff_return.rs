//! The shell side of the return screen: log the manager in with the PIN typed at the till,
//! run the one return flow (`service::returns::run_return`: cash part signed and Vipps part
//! queued in one transaction), print the return receipt at once (the cash tender kicks the
//! drawer), wait for the Vipps part, log out. The PIN is never logged.

use std::time::Duration;

use super::Paper;
use crate::domain::money::{Currency, Money};
use crate::domain::returns::{FreeReturnRequest, ReturnRequest};
use crate::engine::Engine;
use crate::lang::Text;
use crate::service::StaffDb;
use crate::service::refund::WaitLimits;
use crate::tui::ManagerPin;
use crate::tui::msg::{ReceiptNote, ReturnDone};

/// How long the return screen waits for Vipps to confirm a Vipps part.
const VIPPS_WAIT: Duration = Duration::from_secs(20);
/// Offline: show the Vipps part as queued after this long.
const OFFLINE_GRACE: Duration = Duration::from_secs(2);

/// Record and carry out a return from the till (see the module).
pub(super) async fn run(
    engine: &Engine,
    paper: Option<&Paper>,
    db: Result<&StaffDb, Text>,
    pin: ManagerPin,
    request: ReturnRequest,
    now: time::OffsetDateTime,
) -> Result<ReturnDone, Text> {
    let db = db?;
    let session = crate::service::auth::manager_session(
        db,
        pin.expose(),
        crate::domain::staff::Permission::Refund,
        now,
    )
    .await
    .map_err(|e| e.message())?;
    let limits = WaitLimits {
        timeout: VIPPS_WAIT,
        offline_grace: Some(OFFLINE_GRACE),
    };
    // Record first (cash part signed, Vipps part queued: one transaction) …
    let recorded = crate::service::returns::record(db, &session, &request, now).await;
    if let Err(e) = db.run(move |db| db.logout(session, now)).await {
        tracing::warn!(error = %e, "staff logout not journaled");
    }
    let out = recorded.map_err(|e| e.message())?;
    let currency = out
        .cash
        .as_ref()
        .map(|c| c.currency.clone())
        .or_else(|| out.vipps.as_ref().map(|v| v.currency.clone()))
        .and_then(|c| Currency::parse(&c))
        .unwrap_or(Currency::Nok);
    // … then the return receipt of the cash part at once (drawer kick), before any wait for
    // Vipps: it carries the return's number, so the refund receipt printer does not print
    // the Vipps part of a split return a second time when Vipps confirms it. A Vipps-only
    // return prints its refund receipt when Vipps confirms it (as a refund does).
    let receipt = match (&out.cash, paper) {
        (Some(c), Some(p)) => Some(match p.print_cash_return(db, c.id).await {
            Ok(_) => ReceiptNote::Printed,
            Err(t) => ReceiptNote::Problem(t),
        }),
        (Some(_), None) => Some(ReceiptNote::NoPrinter),
        (None, _) => None,
    };
    // The Vipps part: the engine's worker sends it; its answer comes as an engine event.
    let status = match &out.vipps {
        Some(rec) => {
            engine.kick_worker();
            let status =
                crate::service::refund::wait_for(db, engine, &rec.idempotency_key, limits).await;
            if let Ok(crate::domain::refund::RefundStatus::Done) = &status
                && let Err(e) =
                    crate::service::refund::settle_sale_status(db, rec, engine.now()).await
            {
                tracing::warn!(error = %e, "refund done but the sale status was not updated");
            }
            status.ok()
        }
        None => None,
    };
    let number = match (&out.cash, &out.vipps) {
        (Some(c), _) => c.number.clone(),
        (None, Some(v)) => v.reference.clone(),
        (None, None) => String::new(),
    };
    Ok(ReturnDone {
        number,
        cash_out: Money::new(out.cash.as_ref().map_or(0, |c| c.cash_paid_out()), currency),
        vipps: Money::new(out.vipps.as_ref().map_or(0, |v| v.amount), currency),
        vipps_status: status,
        receipt,
        without_receipt: false,
    })
}

/// Record a return without receipt from the till (cash only; the manager's PIN) and print its
/// return receipt ("Retur uten kvittering", drawer kick).
pub(super) async fn run_without_receipt(
    paper: Option<&Paper>,
    db: Result<&StaffDb, Text>,
    pin: ManagerPin,
    request: FreeReturnRequest,
    now: time::OffsetDateTime,
) -> Result<ReturnDone, Text> {
    let db = db?;
    let session = crate::service::auth::manager_session(
        db,
        pin.expose(),
        crate::domain::staff::Permission::Refund,
        now,
    )
    .await
    .map_err(|e| e.message())?;
    let recorded = crate::service::returns::without_receipt(db, &session, &request, now).await;
    if let Err(e) = db.run(move |db| db.logout(session, now)).await {
        tracing::warn!(error = %e, "staff logout not journaled");
    }
    let r = recorded.map_err(|e| e.message())?;
    let currency = Currency::parse(&r.currency).unwrap_or(Currency::Nok);
    let receipt = match paper {
        Some(p) => match p.print_cash_return(db, r.id).await {
            Ok(_) => ReceiptNote::Printed,
            Err(t) => ReceiptNote::Problem(t),
        },
        None => ReceiptNote::NoPrinter,
    };
    Ok(ReturnDone {
        number: r.number.clone(),
        cash_out: Money::new(r.cash_paid_out(), currency),
        vipps: Money::zero(currency),
        vipps_status: None,
        receipt: Some(receipt),
        without_receipt: true,
    })
}
