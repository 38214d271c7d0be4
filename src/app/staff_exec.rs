//! The shell side of the staff screens (refunds, X/Z reports, batch corrections): every
//! staff [`Command`] runs here, off the UI task, and answers with `AppEvent::Staff*`.
//!
//! Thin shell code over `service`: money-moving commands log the manager in with the PIN
//! typed at the till (`service::auth`, the same check as the manager gate), run the one refund
//! flow (`service::refund::run_refund`: record, key and outbox row in one transaction; the
//! engine's worker sends it; the answer arrives as an engine event), and log out. The PIN is
//! never logged.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::{Paper, StaffAccess};
use crate::clock::{Clock, SystemClock};
use crate::domain::money::{Currency, Money};
use crate::domain::refund::{RefundRecord, RefundStatus};
use crate::domain::report::day_bounds;
use crate::domain::staff::{Session, StaffError};
use crate::engine::acquirer::BoxFuture;
use crate::engine::provider::{ProviderError, ReadResult};
use crate::engine::{ApiKind, Engine};
use crate::lang::Text;
use crate::service::StaffDb;
use crate::service::reconcile::PaymentReader;
use crate::service::refund::WaitLimits;
use crate::tui::msg::{OutboxCleared, ReceiptNote, StaffRefundProgress, ZRefusal};
use crate::tui::{AppEvent, Command, ManagerPin};

/// How long the till waits for Vipps to confirm a refund before showing it as queued.
pub const REFUND_WAIT: Duration = Duration::from_secs(20);
/// Offline: show a refund as queued after this long instead of waiting the full time.
const OFFLINE_GRACE: Duration = Duration::from_secs(2);

/// Reads payments back from Vipps through the running engine's providers.
#[derive(Clone)]
pub struct EngineReader(pub Engine);

impl PaymentReader for EngineReader {
    fn read<'a>(
        &'a self,
        api: ApiKind,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(async move { self.0.read_payment(api, id).await })
    }
}

fn db_of(staff: &StaffAccess) -> Result<&StaffDb, Text> {
    staff.as_ref().map_err(Text::clone)
}

fn headless_ctx(
    engine: &Engine,
    db: &StaffDb,
    currency: Currency,
) -> crate::service::context::HeadlessCtx {
    crate::service::context::HeadlessCtx {
        db: db.clone(),
        store: engine.store(),
        engine: Some(engine.clone()),
        reader: Some(Arc::new(EngineReader(engine.clone()))),
        clock: engine.clock(),
        lang: crate::lang::Lang::Nb,
        utc_offset: time::UtcOffset::UTC,
        currency,
        pin: None,
    }
}

/// Log the manager in with the PIN typed at the till and check the permission (journaled).
async fn manager_session(
    db: &StaffDb,
    pin: ManagerPin,
    permission: crate::domain::staff::Permission,
    now: time::OffsetDateTime,
) -> Result<Session, StaffError> {
    crate::service::auth::manager_session(db, pin.expose(), permission, now).await
}

async fn logout(db: &StaffDb, session: Session, now: time::OffsetDateTime) {
    if let Err(e) = db.run(move |db| db.logout(session, now)).await {
        tracing::warn!(error = %e, "staff logout not journaled");
    }
}

fn send(progress: Option<&UnboundedSender<AppEvent>>, ev: AppEvent) {
    if let Some(tx) = progress {
        let _ = tx.send(ev);
    }
}

/// Run one staff command. `progress` receives the intermediate events (refund queued, X
/// report before the reconciliation, batch progress); the final answer is returned.
/// `None` for commands that are not staff commands.
pub async fn execute_staff(
    engine: &Engine,
    paper: Option<&Paper>,
    staff: &StaffAccess,
    cmd: Command,
    progress: Option<&UnboundedSender<AppEvent>>,
) -> Option<AppEvent> {
    let now = engine.now();
    match cmd {
        Command::FindSales { request_id, query } => {
            let result = match db_of(staff) {
                Ok(db) => db
                    .run(move |db| db.find_sales(&query))
                    .await
                    .map_err(|e| e.message()),
                Err(t) => Err(t),
            };
            Some(AppEvent::StaffSales { request_id, result })
        }
        Command::LoadRefund {
            request_id,
            reference,
        } => {
            let result = match db_of(staff) {
                Ok(db) => {
                    // Vipps' own figures count (a refund made in the portal): best effort.
                    let hctx = headless_ctx(engine, db, Currency::Nok);
                    crate::service::context::refresh(&hctx, &reference).await;
                    db.run(move |db| db.refund_context(&reference))
                        .await
                        .map(Box::new)
                        .map_err(|e| e.message())
                }
                Err(t) => Err(t),
            };
            Some(AppEvent::StaffRefundContext { request_id, result })
        }
        Command::Refund {
            request_id,
            pin,
            request,
        } => {
            let progress_out = refund(
                engine, paper, staff, pin, request, progress, request_id, now,
            )
            .await;
            Some(AppEvent::StaffRefund {
                request_id,
                progress: progress_out,
            })
        }
        Command::LoadReturn {
            request_id,
            receipt,
        } => {
            let result = match db_of(staff) {
                Ok(db) => crate::service::returns::context(db, &receipt)
                    .await
                    .map(Box::new)
                    .map_err(|e| e.message()),
                Err(t) => Err(t),
            };
            Some(AppEvent::StaffReturnContext { request_id, result })
        }
        Command::Return {
            request_id,
            pin,
            request,
        } => Some(AppEvent::StaffReturn {
            request_id,
            result: super::staff_return::run(engine, paper, db_of(staff), pin, request, now).await,
        }),
        Command::ReturnWithoutReceipt {
            request_id,
            pin,
            request,
        } => Some(AppEvent::StaffReturn {
            request_id,
            result: super::staff_return::run_without_receipt(
                paper,
                db_of(staff),
                pin,
                request,
                now,
            )
            .await,
        }),
        Command::XReport {
            request_id,
            date,
            utc_offset,
        } => Some(x_report(engine, staff, request_id, date, utc_offset, progress, now).await),
        Command::CloseDay {
            request_id,
            pin,
            date: _,
            utc_offset,
            counted,
        } => Some(AppEvent::StaffZ {
            request_id,
            result: close_day(engine, staff, pin, utc_offset, counted, now).await,
        }),
        Command::RecordCash {
            request_id,
            pin,
            kind,
            amount,
            reason,
            operator,
            currency,
        } => Some(AppEvent::CashRecorded {
            request_id,
            result: record_cash(
                engine,
                staff,
                pin,
                (kind, amount, &reason, &currency),
                operator,
                now,
            )
            .await,
        }),
        Command::AcknowledgeOutbox { request_id, pin } => Some(AppEvent::StaffAcknowledged {
            request_id,
            result: acknowledge(engine, staff, pin, now).await,
        }),
        Command::LoadBatch {
            request_id,
            date,
            utc_offset,
        } => {
            let result = match db_of(staff) {
                Ok(db) => {
                    let (from, to) = day_bounds(date, utc_offset);
                    db.run(move |db| db.uncaptured_between(from, to))
                        .await
                        .map_err(|e| e.message())
                }
                Err(t) => Err(t),
            };
            Some(AppEvent::StaffBatchCandidates { request_id, result })
        }
        Command::RunBatch {
            request_id,
            pin,
            references,
        } => Some(AppEvent::StaffBatchDone {
            request_id,
            result: batch(engine, staff, pin, references, progress, request_id, now).await,
        }),
        Command::ReprintRefund { refund_number } => Some(AppEvent::RefundReprinted(
            reprint_refund(paper, staff, &refund_number).await,
        )),
        Command::PrintReport { report, copy } => Some(AppEvent::ReportPrinted(
            print_report(paper, staff, *report, copy).await,
        )),
        Command::PrintStoredZ { date } => Some(AppEvent::ReportPrinted(
            print_stored_z(paper, staff, date).await,
        )),
        _ => None,
    }
}

/// F4 when the Z report was refused: the Z taken earlier that day (if exactly one), as a COPY.
async fn print_stored_z(
    paper: Option<&Paper>,
    staff: &StaffAccess,
    date: time::Date,
) -> Result<String, Text> {
    let paper = paper.ok_or_else(no_printer)?;
    let db = db_of(staff)?;
    let report = db
        .run(move |db| db.stored_z_report(date))
        .await
        .map_err(|e| e.message())?
        .ok_or_else(|| {
            Text::new(
                format!("Ingen lagret Z-rapport for {date}."),
                format!("No stored Z report for {date}."),
            )
        })?;
    paper.print_report(&report, true).await
}

fn no_printer() -> Text {
    crate::receipt::printer::PrintError::NoPrinter.text()
}

/// F4 on the refund result: the refund receipt again, marked COPY.
async fn reprint_refund(
    paper: Option<&Paper>,
    staff: &StaffAccess,
    refund_number: &str,
) -> Result<String, Text> {
    let paper = paper.ok_or_else(no_printer)?;
    let db = db_of(staff)?;
    let number = refund_number.to_owned();
    let id = db
        .run(move |db| db.refund_id_by_number(&number))
        .await
        .map_err(|e| e.message())?
        .ok_or_else(|| {
            Text::new(
                format!("Fant ikke refusjon {refund_number}."),
                format!("Refund {refund_number} not found."),
            )
        })?;
    paper.reprint_refund(db, id).await
}

/// F4 on the report screen: the report on paper. A Z copy is the stored snapshot of its
/// number (what was closed), not what the screen holds.
async fn print_report(
    paper: Option<&Paper>,
    staff: &StaffAccess,
    report: crate::domain::report::Report,
    copy: bool,
) -> Result<String, Text> {
    let paper = paper.ok_or_else(no_printer)?;
    let report = match (copy, report.kind, report.number) {
        (true, crate::domain::report::ReportKind::Z, Some(number)) => {
            let db = db_of(staff)?;
            db.stored_z_by_number(number)
                .await
                .map_err(|e| e.message())?
                .ok_or_else(|| {
                    Text::new(
                        format!("Ingen lagret Z-rapport nr. {number}."),
                        format!("No stored Z report no. {number}."),
                    )
                })?
        }
        _ => report,
    };
    paper.print_report(&report, copy).await
}

#[allow(clippy::too_many_arguments)]
async fn refund(
    engine: &Engine,
    paper: Option<&Paper>,
    staff: &StaffAccess,
    pin: ManagerPin,
    request: crate::domain::refund::RefundRequest,
    progress: Option<&UnboundedSender<AppEvent>>,
    request_id: u64,
    now: time::OffsetDateTime,
) -> StaffRefundProgress {
    let refused = |t: Text| StaffRefundProgress::Refused { reason: t };
    let db = match db_of(staff) {
        Ok(db) => db,
        Err(t) => return refused(t),
    };
    let session =
        match manager_session(db, pin, crate::domain::staff::Permission::Refund, now).await {
            Ok(s) => s,
            Err(e) => return refused(e.message()),
        };
    // Count a refund made elsewhere before deciding (best effort, as `kasse refund`).
    let hctx = headless_ctx(engine, db, Currency::Nok);
    crate::service::context::refresh(&hctx, &request.reference).await;
    // One flow (as `kasse refund`): the record, its key and its outbox row are committed in
    // one transaction before anything is sent; the answer arrives as an engine event.
    let limits = WaitLimits {
        timeout: REFUND_WAIT,
        offline_grace: Some(OFFLINE_GRACE),
    };
    let ran = crate::service::refund::run_refund(
        db,
        engine,
        &SystemClock,
        &session,
        &request,
        limits,
        |rec| {
            tracing::info!(reference = %rec.reference, n = rec.n, amount = rec.amount, "refund queued from the till");
            send(
                progress,
                AppEvent::StaffRefund {
                    request_id,
                    progress: StaffRefundProgress::Queued {
                        amount: money_of(rec),
                        key: rec.idempotency_key.clone(),
                    },
                },
            );
        },
    )
    .await;
    logout(db, session, engine.now()).await;
    let (rec, status) = match ran {
        Ok(r) => r,
        Err(e) => return refused(e.message()),
    };
    match status {
        Ok(RefundStatus::Done) => {
            let (number, receipt) = match paper {
                Some(p) => match p.print_refund(db, rec.id).await {
                    Ok(n) => (n, ReceiptNote::Printed),
                    Err(t) => (refund_number(db, &rec).await, ReceiptNote::Problem(t)),
                },
                None => (refund_number(db, &rec).await, ReceiptNote::NoPrinter),
            };
            StaffRefundProgress::Refunded {
                amount: money_of(&rec),
                refund_number: number,
                receipt,
            }
        }
        Ok(RefundStatus::Failed(why)) => StaffRefundProgress::Failed {
            reason: Text::new(
                format!("Vipps avviste refusjonen: {why}"),
                format!("Vipps refused the refund: {why}"),
            ),
        },
        Ok(RefundStatus::Pending | RefundStatus::Recorded) => StaffRefundProgress::Pending {
            amount: money_of(&rec),
            refund_number: refund_number(db, &rec).await,
        },
        Err(e) => StaffRefundProgress::Failed {
            reason: e.message(),
        },
    }
}

fn money_of(rec: &RefundRecord) -> Money {
    Money::new(
        rec.amount,
        Currency::parse(&rec.currency).unwrap_or(Currency::Nok),
    )
}

async fn refund_number(db: &StaffDb, rec: &RefundRecord) -> String {
    let id = rec.id;
    match db.run(move |db| db.refund_receipt(id)).await {
        Ok(r) => r.refund_number,
        Err(_) => format!("{}-refund-{}", rec.reference, rec.n),
    }
}

async fn x_report(
    engine: &Engine,
    staff: &StaffAccess,
    request_id: u64,
    date: time::Date,
    utc_offset: time::UtcOffset,
    progress: Option<&UnboundedSender<AppEvent>>,
    now: time::OffsetDateTime,
) -> AppEvent {
    let fail = |t: Text| AppEvent::StaffReport {
        request_id,
        result: Err(t),
        checking: false,
    };
    let db = match db_of(staff) {
        Ok(db) => db,
        Err(t) => return fail(t),
    };
    // The journal's figures first (fast, journaled once), then the same report with Vipps'
    // answer added. The X shows the open period (since the last Z), labelled with `date`.
    let _ = date;
    let first = db.x_report(None, None, utc_offset, None, now).await;
    let mut report = match first {
        Ok(r) => r,
        Err(e) => return fail(e.message()),
    };
    send(
        progress,
        AppEvent::StaffReport {
            request_id,
            result: Ok(Box::new(report.clone())),
            checking: true,
        },
    );
    let reader: Arc<dyn PaymentReader> = Arc::new(EngineReader(engine.clone()));
    let period = parse_period(&report);
    match crate::service::reconcile::reconcile(db, reader, period.0, period.1).await {
        Ok(r) => report.reconciliation = Some(r),
        Err(e) => tracing::warn!(error = %e, "X report: reconciliation failed"),
    }
    AppEvent::StaffReport {
        request_id,
        result: Ok(Box::new(report)),
        checking: false,
    }
}

async fn unresolved(engine: &Engine) -> (i64, i64) {
    engine
        .store()
        .run(|s| {
            let all = s.unresolved_count()?;
            let dead = s
                .list(crate::store::OutboxFilter::DeadUnacknowledged)?
                .len();
            Ok((all, i64::try_from(dead).unwrap_or(i64::MAX)))
        })
        .await
        .unwrap_or((0, 0))
}

/// The report's period as times (it was written by the store, so it parses).
fn parse_period(r: &crate::domain::report::Report) -> (time::OffsetDateTime, time::OffsetDateTime) {
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    match (parse(&r.period_from), parse(&r.period_to)) {
        (Some(f), Some(t)) => (f, t),
        _ => (
            time::OffsetDateTime::UNIX_EPOCH,
            time::OffsetDateTime::UNIX_EPOCH,
        ),
    }
}

/// The Z report: closes the open period (`CloseDay`'s date is only the screen's label).
async fn close_day(
    engine: &Engine,
    staff: &StaffAccess,
    pin: ManagerPin,
    utc_offset: time::UtcOffset,
    counted: Option<i64>,
    now: time::OffsetDateTime,
) -> Result<Box<crate::domain::report::Report>, ZRefusal> {
    let plain = |t: Text| ZRefusal {
        reason: t,
        outbox_unresolved: 0,
        dead_unacknowledged: 0,
    };
    let db = db_of(staff).map_err(plain)?;
    let session = manager_session(db, pin, crate::domain::staff::Permission::ZReport, now)
        .await
        .map_err(|e| plain(e.message()))?;
    let reader: Arc<dyn PaymentReader> = Arc::new(EngineReader(engine.clone()));
    let reconciliation = match db.open_period(now).await {
        Ok((from, to)) => crate::service::reconcile::reconcile(db, reader, from, to)
            .await
            .ok(),
        Err(_) => None,
    };
    let count = counted.map(crate::domain::cash::DrawerCount::total);
    let result = db
        .close_period_counted(&session, utc_offset, reconciliation, count, Vec::new(), now)
        .await;
    logout(db, session, engine.now()).await;
    match result {
        Ok(r) => Ok(Box::new(r)),
        Err(e) => {
            let (all, dead) = unresolved(engine).await;
            Err(ZRefusal {
                reason: e.message(),
                outbox_unresolved: all,
                dead_unacknowledged: dead,
            })
        }
    }
}

/// An opening float, withdrawal or deposit with the PIN typed at the till: a manager's for a
/// withdrawal or deposit (any staff PIN for the float). Signed in the journal; the screen
/// opens the drawer when it is recorded.
async fn record_cash(
    engine: &Engine,
    staff: &StaffAccess,
    pin: ManagerPin,
    (kind, amount, reason, currency): (crate::domain::cash::CashKind, i64, &str, &str),
    operator: Option<String>,
    now: time::OffsetDateTime,
) -> Result<crate::tui::msg::CashDone, Text> {
    let db = db_of(staff)?;
    let permission = match kind {
        crate::domain::cash::CashKind::Float => crate::domain::staff::Permission::Sell,
        _ => crate::domain::staff::Permission::OpenDrawerNoSale,
    };
    let session = manager_session(db, pin, permission, now)
        .await
        .map_err(|e| e.message())?;
    let result = db
        .record_cash(
            &session,
            operator.as_deref(),
            kind,
            amount,
            reason,
            currency,
            now,
        )
        .await;
    logout(db, session, engine.now()).await;
    let m = result.map_err(|e| e.message())?;
    Ok(crate::tui::msg::CashDone {
        kind: m.kind,
        amount: m.amount,
        nr: m.fiscal_nr,
    })
}

async fn acknowledge(
    engine: &Engine,
    staff: &StaffAccess,
    pin: ManagerPin,
    now: time::OffsetDateTime,
) -> Result<OutboxCleared, Text> {
    let db = db_of(staff)?;
    let session = manager_session(
        db,
        pin,
        crate::domain::staff::Permission::AcknowledgeOutbox,
        now,
    )
    .await
    .map_err(|e| e.message())?;
    let staff_id = session.staff_id().to_owned();
    let acknowledged = engine
        .store()
        .run(move |s| {
            let dead = s.list(crate::store::OutboxFilter::DeadUnacknowledged)?;
            for row in &dead {
                s.acknowledge_dead(row.id, &staff_id, now)?;
            }
            Ok(dead.len())
        })
        .await
        .map_err(|e| e.message());
    logout(db, session, engine.now()).await;
    let acknowledged = acknowledged?;
    // Rows still to send: wake the worker so they go now if Vipps answers.
    engine.kick_worker();
    let (all, _) = unresolved(engine).await;
    Ok(OutboxCleared {
        acknowledged,
        still_unresolved: all,
    })
}

#[allow(clippy::too_many_arguments)]
async fn batch(
    engine: &Engine,
    staff: &StaffAccess,
    pin: ManagerPin,
    references: Vec<String>,
    progress: Option<&UnboundedSender<AppEvent>>,
    request_id: u64,
    now: time::OffsetDateTime,
) -> Result<Vec<crate::domain::batch::BatchOutcome>, Text> {
    let db = db_of(staff)?;
    let session = manager_session(
        db,
        pin,
        crate::domain::staff::Permission::BatchCorrections,
        now,
    )
    .await
    .map_err(|e| e.message())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut runner = crate::service::batch::BatchRunner::new(db.clone(), engine.clone(), clock);
    runner.wait = REFUND_WAIT;
    let ops = references
        .into_iter()
        .map(|reference| crate::domain::batch::BatchOp::Capture { reference })
        .collect();
    let tx = progress.cloned();
    let result = runner
        .run(&session, ops, move |p| {
            if let Some(tx) = &tx {
                let _ = tx.send(AppEvent::StaffBatchProgress {
                    request_id,
                    progress: p,
                });
            }
        })
        .await
        .map_err(|e| e.message());
    logout(db, session, engine.now()).await;
    result
}
