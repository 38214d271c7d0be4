//! What the staff screens do with the answers of their commands.

use super::*;

// ---------------------------------------------------------------- events

/// Answers from the shell for the staff screens. Answers to an older request are ignored.
pub fn on_event(app: &mut App, ev: AppEvent) -> Vec<Command> {
    match ev {
        AppEvent::CashRecorded { request_id, result } => {
            return super::cash::on_recorded(app, request_id, result);
        }
        ev @ (AppEvent::StaffReturnContext { .. } | AppEvent::StaffReturn { .. }) => {
            return super::returns::on_event(app, ev);
        }
        AppEvent::RefundReprinted(Ok(number)) => toast(
            app,
            ToastKind::Info,
            Text::new(
                format!("Kopi av refusjonskvittering {number} sendt til skriveren."),
                format!("Copy of refund receipt {number} sent to the printer."),
            ),
        ),
        AppEvent::ReportPrinted(Ok(id)) => toast(
            app,
            ToastKind::Info,
            Text::new(
                format!("Rapport {id} sendt til skriveren."),
                format!("Report {id} sent to the printer."),
            ),
        ),
        AppEvent::RefundReprinted(Err(t)) | AppEvent::ReportPrinted(Err(t)) => error(app, t),
        AppEvent::RefundConfirmed {
            refund_number,
            receipt,
        } => {
            let r = &mut app.staff.refund;
            let pending = match &r.progress {
                Some(StaffRefundProgress::Pending {
                    amount,
                    refund_number: n,
                }) if *n == refund_number => Some(*amount),
                _ => None,
            };
            let already = matches!(
                &r.progress,
                Some(StaffRefundProgress::Refunded { refund_number: n, .. }) if *n == refund_number
            );
            if let Some(amount) = pending {
                r.progress = Some(StaffRefundProgress::Refunded {
                    amount,
                    refund_number: refund_number.clone(),
                    receipt: receipt.clone(),
                });
            }
            if !already {
                let text = match &receipt {
                    ReceiptNote::Problem(t) => Text::new(
                        format!(
                            "Vipps bekreftet refusjon {refund_number}. Kvitteringen: {}",
                            t.nb
                        ),
                        format!(
                            "Vipps confirmed refund {refund_number}. Its receipt: {}",
                            t.en
                        ),
                    ),
                    _ => Text::new(
                        format!(
                            "Vipps bekreftet refusjon {refund_number}; refusjonskvitteringen er skrevet ut."
                        ),
                        format!(
                            "Vipps confirmed refund {refund_number}; the refund receipt is printed."
                        ),
                    ),
                };
                let kind = if matches!(receipt, ReceiptNote::Problem(_)) {
                    ToastKind::Error
                } else {
                    ToastKind::Info
                };
                toast(app, kind, text);
            }
        }
        AppEvent::StaffSales { request_id, result } => {
            let r = &mut app.staff.refund;
            if r.waiting != Some(request_id) {
                return Vec::new();
            }
            r.waiting = None;
            match result {
                Ok(hits) => {
                    r.hits = hits;
                    r.selected = 0;
                    if r.hits.is_empty() {
                        fixed(app, St::search_none);
                    }
                }
                Err(t) => error(app, t),
            }
        }
        AppEvent::StaffRefundContext { request_id, result } => {
            let r = &mut app.staff.refund;
            if r.waiting != Some(request_id) {
                return Vec::new();
            }
            r.waiting = None;
            match result {
                Ok(ctx) => {
                    r.line_qty = vec![String::new(); ctx.lines.len()];
                    r.line = 0;
                    r.kind = RefundKind::Full;
                    r.amount.clear();
                    r.reason.clear();
                    r.plan = None;
                    r.request = None;
                    r.ctx = Some(ctx);
                    r.step = RefundStep::Form;
                    focus(app, RefundField::Reason);
                }
                Err(t) => {
                    r.step = RefundStep::Search;
                    error(app, t);
                }
            }
        }
        AppEvent::StaffRefund {
            request_id,
            progress,
        } => {
            let r = &mut app.staff.refund;
            if r.waiting != Some(request_id) {
                return Vec::new();
            }
            match progress {
                StaffRefundProgress::Queued { .. } => r.progress = Some(progress),
                StaffRefundProgress::Refused { reason } => {
                    // Nothing was queued (wrong PIN, rules): back to the summary to retry
                    // or change it.
                    r.waiting = None;
                    r.progress = None;
                    r.step = RefundStep::Confirm;
                    error(app, reason);
                }
                other => {
                    r.waiting = None;
                    r.step = RefundStep::Done;
                    if app.screen != Screen::Refund {
                        let (kind, text) = ss::refund_note(&other);
                        r.progress = Some(other);
                        toast(app, kind, text);
                    } else {
                        r.progress = Some(other);
                    }
                }
            }
        }
        AppEvent::StaffReport {
            request_id,
            result,
            checking,
        } => {
            let rep = &mut app.staff.report;
            if rep.waiting != Some(request_id) {
                return Vec::new();
            }
            if !checking {
                rep.waiting = None;
            }
            rep.checking = checking;
            match result {
                Ok(report) => rep.report = Some(report),
                Err(t) => rep.error = Some(t),
            }
        }
        AppEvent::StaffZ { request_id, result } => {
            let rep = &mut app.staff.report;
            if rep.waiting != Some(request_id) {
                return Vec::new();
            }
            rep.waiting = None;
            rep.acknowledged = None;
            match result {
                Ok(report) => {
                    rep.refusal = None;
                    rep.report = Some(report);
                }
                Err(z) => rep.refusal = Some(z),
            }
        }
        AppEvent::StaffAcknowledged { request_id, result } => {
            let rep = &mut app.staff.report;
            if rep.waiting != Some(request_id) {
                return Vec::new();
            }
            rep.waiting = None;
            match result {
                Ok(c) => {
                    if let Some(z) = rep.refusal.as_mut() {
                        z.outbox_unresolved = c.still_unresolved;
                        z.dead_unacknowledged = 0;
                    }
                    let t = ss::acknowledged(c.acknowledged, c.still_unresolved);
                    rep.acknowledged = Some(c);
                    toast(app, ToastKind::Info, t);
                }
                Err(t) => error(app, t),
            }
        }
        AppEvent::StaffBatchCandidates { request_id, result } => {
            let b = &mut app.staff.batch;
            if b.waiting != Some(request_id) {
                return Vec::new();
            }
            b.waiting = None;
            b.loading = false;
            match result {
                Ok(c) => b.candidates = c,
                Err(t) => b.error = Some(t),
            }
        }
        AppEvent::StaffBatchProgress {
            request_id,
            progress,
        } => {
            let b = &mut app.staff.batch;
            if b.waiting != Some(request_id) {
                return Vec::new();
            }
            b.done = progress.done;
            b.total = progress.total;
            b.last = Some(progress);
        }
        AppEvent::StaffBatchDone { request_id, result } => {
            let b = &mut app.staff.batch;
            if b.waiting != Some(request_id) {
                return Vec::new();
            }
            b.waiting = None;
            b.running = false;
            match result {
                Ok(o) => {
                    b.done = o.len();
                    b.total = b.total.max(o.len());
                    b.outcomes = Some(o);
                }
                Err(t) => b.error = Some(t),
            }
        }
        _ => {}
    }
    Vec::new()
}
