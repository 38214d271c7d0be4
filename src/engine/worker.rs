//! The outbox worker: drains due rows (capture, cancel, refund, receipts, PSP status) with
//! back-off. A row's key never changes; rows end `done` or `dead` (with the reason, visible to
//! staff). The worker is kicked at once when a row is enqueued, so capture follows approval
//! within one round trip.

use crate::domain::money::{Currency, Money};
use crate::engine::core::Inner;
use crate::engine::driver::DriverMsg;
use crate::engine::events::{ApiKind, EngineEvent};
use crate::engine::outbox_payload::{Payload, StoredReceipt, derived_key};
use crate::engine::provider::{ErrorClass, ProviderError, ReceiptSpec};
use crate::store::{NewOperation, NewOutbox, OpOutcome, OutboxKind, OutboxRow, PayState};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Rows claimed per round.
const BATCH: usize = 16;

pub(crate) fn spawn(inner: Arc<Inner>) {
    tokio::spawn(run(inner));
}

async fn run(inner: Arc<Inner>) {
    let mut shutdown = inner.shutdown.subscribe();
    loop {
        if *shutdown.borrow() {
            break;
        }
        let wait = drain_once(&inner).await;
        tokio::select! {
            _ = inner.worker_kick.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Claim and run every due row once. Returns how long to sleep before looking again.
pub(crate) async fn drain_once(inner: &Arc<Inner>) -> Duration {
    let idle = Duration::from_secs(1);
    if inner.is_offline() {
        // The probe flips us back online and kicks the worker.
        return inner.cfg.probe_interval;
    }
    if !inner.journal_writable() {
        // No call that moves money without a journal to record it; the journal watch kicks
        // us once writing works again.
        inner.outbox_reset.store(true, Ordering::SeqCst);
        return inner.cfg.probe_interval;
    }
    if inner.outbox_reset.swap(false, Ordering::SeqCst) {
        // Between batches nothing is in flight: rows a failed write left `in_flight` go back
        // to pending (same keys) and are sent again.
        match inner.store.run(|s| s.recover_in_flight()).await {
            Ok(n) if n > 0 => tracing::warn!(rows = n, "outbox rows put back to pending"),
            Ok(_) => {}
            Err(e) => {
                inner.outbox_reset.store(true, Ordering::SeqCst);
                tracing::error!(error = %e, "outbox: cannot put rows back to pending");
                return inner.cfg.probe_interval;
            }
        }
    }
    let now = inner.now();
    let rows = match inner.store.run(move |s| s.claim_due(now, BATCH)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "outbox: cannot claim rows");
            return idle;
        }
    };
    if !rows.is_empty() {
        let mut set = tokio::task::JoinSet::new();
        for row in rows {
            let inner = inner.clone();
            set.spawn(async move { handle(&inner, row).await });
        }
        while set.join_next().await.is_some() {}
        inner.publish_outbox_counts().await;
        return Duration::ZERO;
    }
    // Sleep until the next row is due (engine clock), at most `idle`.
    match inner.store.run(|s| s.next_due_at()).await {
        Ok(Some(t)) => {
            let d = t - inner.now();
            if d.is_negative() {
                Duration::from_millis(5)
            } else {
                Duration::try_from(d).unwrap_or(idle).min(idle)
            }
        }
        _ => idle,
    }
}

/// Run rows until none is due or `deadline` passes (headless `kasse queue --drain`).
/// Returns (done-or-dead rows handled, rows still open).
impl crate::engine::Engine {
    /// Send the outbox until it is idle or `deadline` passed (`kasse queue --drain`):
    /// answers the attempts handled and the rows still open.
    pub async fn drain_queue(&self, deadline: Duration) -> (usize, i64) {
        drain_until_idle(&self.inner, deadline).await
    }
}

pub(crate) async fn drain_until_idle(inner: &Arc<Inner>, deadline: Duration) -> (usize, i64) {
    let start = tokio::time::Instant::now();
    let mut handled = 0;
    loop {
        let now = inner.now();
        let rows = inner
            .store
            .run(move |s| s.claim_due(now, BATCH))
            .await
            .unwrap_or_default();
        if rows.is_empty() {
            let open = inner.store.run(|s| s.pending_count()).await.unwrap_or(0);
            if open == 0 || start.elapsed() >= deadline {
                return (handled, open);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        for row in rows {
            handled += 1;
            handle(inner, row).await;
        }
        if start.elapsed() >= deadline {
            let open = inner.store.run(|s| s.pending_count()).await.unwrap_or(0);
            return (handled, open);
        }
    }
}

fn outcome_of(e: &ProviderError) -> OpOutcome {
    match e.class {
        ErrorClass::Offline => OpOutcome::Transport,
        ErrorClass::OutcomeUnknown if e.http_status.is_none() => OpOutcome::Timeout,
        _ => OpOutcome::HttpError,
    }
}

/// The journal entry of one call of `row`.
fn operation(
    inner: &Inner,
    row: &OutboxRow,
    res: Result<(), &ProviderError>,
    detail: String,
) -> NewOperation {
    let now = inner.now();
    match res {
        Ok(()) => NewOperation {
            payment_id: row.payment_id,
            outbox_id: Some(row.id),
            idempotency_key: Some(row.idempotency_key.clone()),
            request_summary: Some(detail),
            ..NewOperation::new(row.kind.as_str(), OpOutcome::Ok, now)
        },
        Err(e) => NewOperation {
            payment_id: row.payment_id,
            outbox_id: Some(row.id),
            idempotency_key: Some(row.idempotency_key.clone()),
            request_summary: Some(detail),
            http_status: e.http_status.map(i64::from),
            error_code: e.code.clone(),
            detail: Some(e.detail.clone()),
            ..NewOperation::new(row.kind.as_str(), outcome_of(e), now)
        },
    }
}

async fn journal(inner: &Inner, row: &OutboxRow, res: Result<(), &ProviderError>, detail: String) {
    let op = operation(inner, row, res, detail);
    if let Err(e) = inner.store.run(move |s| s.record_operation(&op)).await {
        tracing::error!(error = %e, "outbox: cannot journal");
    }
}

fn money(amount: i64, currency: &str) -> Money {
    Money::new(amount, Currency::parse(currency).unwrap_or(Currency::Nok))
}

async fn handle(inner: &Arc<Inner>, row: OutboxRow) {
    let payload: Payload = match serde_json::from_str(&row.payload_json) {
        Ok(p) => p,
        Err(e) => {
            let reason = format!("unreadable payload: {e}");
            let id = row.id;
            let now = inner.now();
            let _ = inner
                .store
                .run(move |s| s.mark_dead(id, &reason, now))
                .await;
            return;
        }
    };
    let key = row.idempotency_key.clone();
    if !inner.journal_writable() {
        // The journal stopped writing after this row was claimed: do not send. The row stays
        // in flight and is put back to pending once writing works (see `drain_once`).
        inner.outbox_reset.store(true, Ordering::SeqCst);
        return;
    }
    let result: Result<Option<crate::engine::provider::Amounts>, ProviderError> = match &payload {
        Payload::Capture {
            api,
            id,
            amount,
            currency,
        } => {
            let m = money(*amount, currency);
            // The captured amount in the response goes to the state machine, which checks it
            // against the sale (a mismatch stops the sale with a reason).
            inner
                .backends
                .provider(*api)
                .capture(id, m, &key)
                .await
                .map(|r| r.amounts)
        }
        Payload::Cancel {
            api,
            id,
            amount,
            currency,
            transaction_only,
            ..
        } => inner
            .backends
            .provider(*api)
            .cancel(id, money(*amount, currency), *transaction_only, &key)
            .await
            .map(|r| r.amounts),
        Payload::Refund {
            api,
            id,
            amount,
            currency,
        } => inner
            .backends
            .provider(*api)
            .refund(id, money(*amount, currency), &key)
            .await
            .map(|r| r.amounts),
        Payload::Receipt {
            api,
            reference,
            currency,
            receipt,
        } => {
            let spec = ReceiptSpec::from(receipt);
            let cur = Currency::parse(currency).unwrap_or(Currency::Nok);
            inner
                .backends
                .receipts
                .send_receipt(*api, reference, cur, &spec)
                .await
                .map(|()| None)
        }
        Payload::Category {
            reference,
            category,
            order_details_url,
            image_id,
        } => {
            let spec = crate::engine::provider::CategorySpec {
                category: category.clone(),
                order_details_url: order_details_url.clone(),
                image_id: image_id.clone(),
            };
            inner
                .backends
                .receipts
                .send_category(reference, &spec)
                .await
                .map(|()| None)
        }
        Payload::PspStatus {
            psp_transaction_id,
            status,
            amount,
            currency,
        } => inner
            .backends
            .psp_status
            .report(psp_transaction_id, status, money(*amount, currency))
            .await
            .map(|()| None),
    };
    inner.observe(result.as_ref().map(|_| ()));
    let summary = format!("{} {}", row.kind, row.reference.clone().unwrap_or_default());
    if result.is_err() {
        journal(inner, &row, result.as_ref().map(|_| ()), summary.clone()).await;
    }
    let now = inner.now();
    match result {
        Ok(amounts) => {
            // The journal entry and `done` in one transaction: one commit per row, not two.
            let id = row.id;
            let op = operation(inner, &row, Ok(()), summary.clone());
            if let Err(e) = inner
                .store
                .run(move |s| s.complete_journaled(id, &op, now))
                .await
            {
                inner.outbox_reset.store(true, Ordering::SeqCst);
                tracing::error!(error = %e, "outbox: cannot complete row");
                // The call did succeed: journal it on its own (the row is sent again later
                // under the same key).
                journal(inner, &row, Ok(()), summary).await;
            }
            on_done(inner, &row, &payload, amounts).await;
        }
        Err(e) => {
            let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
            let dead = gives_up(&e, &payload, attempts, inner.cfg.retry.max_attempts);
            // A cancel Vipps refused for good (e.g. 6060: already authorized) is an answer, not
            // a stuck row: the row is done and the state machine reads back what happened.
            if dead && matches!(payload, Payload::Cancel { .. }) {
                let id = row.id;
                if let Err(se) = inner.store.run(move |s| s.complete(id, now)).await {
                    tracing::error!(error = %se, "outbox: cannot complete row");
                }
                on_dead(inner, &row, &payload, &e).await;
                return;
            }
            if dead {
                let reason = format!("{} — {}", e.message.en, e.detail);
                let id = row.id;
                if let Err(se) = inner
                    .store
                    .run(move |s| s.mark_dead(id, &reason, now))
                    .await
                {
                    tracing::error!(error = %se, "outbox: cannot mark row dead");
                }
                on_dead(inner, &row, &payload, &e).await;
            } else {
                let delay = inner.cfg.retry.delay(attempts, e.retry_after);
                let next = now + time::Duration::try_from(delay).unwrap_or(time::Duration::SECOND);
                let id = row.id;
                let err = format!("{}: {}", e.message.en, e.detail);
                if let Err(se) = inner
                    .store
                    .run(move |s| s.reschedule(id, next, &err, now))
                    .await
                {
                    inner.outbox_reset.store(true, Ordering::SeqCst);
                    tracing::error!(error = %se, "outbox: cannot reschedule row");
                }
            }
        }
    }
}

/// Whether a failed row is given up (dead; a cancel: done, its answer fed back). Only an
/// answer that proves Vipps refused *this* operation for good does that (a 4xx refusal of
/// the request). Everything else keeps the row pending with its key and back-off:
/// transport errors, timeouts, 5xx, 429/423, refused keys (401/403 — a person fixes the
/// config, then the row goes out), and "not found" for capture, cancel and refund (a wrong
/// merchant or keys, or a payment not visible yet: it proves nothing about the money). A
/// receipt or status report that is still not found after `max_attempts` is given up.
pub(crate) fn gives_up(e: &ProviderError, payload: &Payload, attempts: u32, max: u32) -> bool {
    let money = matches!(
        payload,
        Payload::Capture { .. } | Payload::Cancel { .. } | Payload::Refund { .. }
    );
    match e.class {
        ErrorClass::Offline
        | ErrorClass::OutcomeUnknown
        | ErrorClass::Throttled
        | ErrorClass::Config => false,
        ErrorClass::NotFound => !money && attempts >= max,
        ErrorClass::Rejected => !matches!(e.http_status, Some(401 | 403)),
    }
}

async fn on_done(
    inner: &Arc<Inner>,
    row: &OutboxRow,
    payload: &Payload,
    amounts: Option<crate::engine::provider::Amounts>,
) {
    let Some(pid) = row.payment_id else { return };
    match payload {
        Payload::Capture { .. } => {
            if !inner.send_driver(pid, DriverMsg::CaptureDone { amounts }) {
                // No live driver (recovery, headless drain): record the result ourselves.
                let now = inner.now();
                let r = inner
                    .store
                    .run(move |s| {
                        let Some(p) = s.payment(pid)? else {
                            return Ok(());
                        };
                        if p.state == PayState::Captured {
                            return Ok(());
                        }
                        let mut a = p.amounts;
                        a.captured = a.captured.max(p.amount);
                        s.transaction(|tx| tx.record_confirmed_capture(pid, a, now).map(|_| ()))
                    })
                    .await;
                if let Err(e) = r {
                    tracing::error!(error = %e, "cannot record capture");
                }
                enqueue_after_capture(inner, pid).await;
            }
        }
        Payload::Cancel { api, .. } => {
            if *api == ApiKind::Psp {
                enqueue_psp_status(inner, pid, "CANCELLED").await;
            }
            inner.send_driver(
                pid,
                DriverMsg::CancelDone {
                    key: row.idempotency_key.clone(),
                },
            );
        }
        Payload::Refund { api, amount, .. } => {
            if *api == ApiKind::Psp {
                enqueue_psp_status_amount(inner, pid, "REFUNDED", *amount, &row.idempotency_key)
                    .await;
            }
            // After the row is done in the journal: a listener that reads it sees `done`.
            inner.publish(EngineEvent::RefundConfirmed {
                payment_id: pid,
                idempotency_key: row.idempotency_key.clone(),
            });
        }
        Payload::Receipt { .. } | Payload::Category { .. } | Payload::PspStatus { .. } => {}
    }
}

async fn on_dead(inner: &Arc<Inner>, row: &OutboxRow, payload: &Payload, e: &ProviderError) {
    let Some(pid) = row.payment_id else { return };
    match payload {
        Payload::Capture { .. } => {
            inner.send_driver(
                pid,
                DriverMsg::CaptureFailed {
                    reason: e.message.clone(),
                },
            );
        }
        Payload::Cancel { .. } => {
            inner.send_driver(
                pid,
                DriverMsg::CancelFailed {
                    key: row.idempotency_key.clone(),
                    reason: e.message.clone(),
                },
            );
        }
        Payload::Refund { .. } => {
            inner.publish(EngineEvent::RefundFailed {
                payment_id: pid,
                idempotency_key: row.idempotency_key.clone(),
                reason: e.message.clone(),
            });
        }
        _ => {}
    }
}

/// Follow-ups once a payment is captured: Order Management receipt for eCom, `updatestatus`
/// CAPTURED for PSP. Idempotent (derived keys), so calling it twice is harmless.
pub(crate) async fn enqueue_after_capture(inner: &Arc<Inner>, payment_id: i64) {
    let rec = inner
        .store
        .run(move |s| {
            let Some(p) = s.payment(payment_id)? else {
                return Ok(None);
            };
            let sale = s.sale(p.sale_id)?;
            Ok(Some((p, sale)))
        })
        .await;
    let Ok(Some((p, Some(sale)))) = rec else {
        return;
    };
    let api = crate::engine::core::api_kind(p.api);
    let now = inner.now();
    match api {
        ApiKind::Ecom => {
            let lines: Vec<crate::store::NewSaleLine> =
                sale.lines.iter().map(|l| l.line.clone()).collect();
            let receipt = crate::engine::core::receipt_spec(
                &inner.cfg,
                &lines,
                &sale.sale.receipt_number,
                &sale.sale.shop_id,
                &sale.sale.till_id,
                Money::new(
                    sale.cash_part(),
                    Currency::parse(&p.currency).unwrap_or(Currency::Nok),
                ),
            );
            let payload = Payload::Receipt {
                api,
                reference: p.reference.clone(),
                currency: p.currency.clone(),
                receipt: StoredReceipt::from(&receipt),
            };
            let row = NewOutbox {
                kind: OutboxKind::Receipt,
                payment_id: Some(payment_id),
                reference: Some(p.reference.clone()),
                idempotency_key: derived_key("om", &p.reference),
                payload_json: payload.to_json(),
            };
            if let Err(e) = inner.store.run(move |s| s.enqueue(&row, now)).await {
                tracing::error!(error = %e, "cannot enqueue OM receipt");
            }
        }
        ApiKind::Psp => {
            enqueue_psp_status(inner, payment_id, "CAPTURED").await;
        }
        ApiKind::Epayment => {}
    }
    if let Some(c) = &inner.cfg.order_category {
        let payload = Payload::Category {
            reference: p.reference.clone(),
            category: c.category.clone(),
            order_details_url: c.order_details_url.clone(),
            image_id: c.image_id.clone(),
        };
        let row = NewOutbox {
            kind: OutboxKind::Category,
            payment_id: Some(payment_id),
            reference: Some(p.reference.clone()),
            idempotency_key: derived_key("omc", &p.reference),
            payload_json: payload.to_json(),
        };
        if let Err(e) = inner.store.run(move |s| s.enqueue(&row, now)).await {
            tracing::error!(error = %e, "cannot enqueue OM category");
        }
    }
    inner.worker_kick.notify_one();
    inner.publish_outbox_counts().await;
}

async fn enqueue_psp_status(inner: &Arc<Inner>, payment_id: i64, status: &'static str) {
    let p = inner.store.run(move |s| s.payment(payment_id)).await;
    let Ok(Some(p)) = p else { return };
    enqueue_psp_status_amount(inner, payment_id, status, p.amount, &p.reference).await;
}

async fn enqueue_psp_status_amount(
    inner: &Arc<Inner>,
    payment_id: i64,
    status: &'static str,
    amount: i64,
    seed: &str,
) {
    let p = inner.store.run(move |s| s.payment(payment_id)).await;
    let Ok(Some(p)) = p else { return };
    let psp_id = p
        .psp_transaction_id
        .clone()
        .unwrap_or_else(|| crate::engine::core::psp_transaction_id(&p.reference));
    let payload = Payload::PspStatus {
        psp_transaction_id: psp_id,
        status: status.to_owned(),
        amount,
        currency: p.currency.clone(),
    };
    let row = NewOutbox {
        kind: OutboxKind::PspStatus,
        payment_id: Some(payment_id),
        reference: Some(p.reference.clone()),
        idempotency_key: derived_key(&format!("psp{}", &status[..3].to_ascii_lowercase()), seed),
        payload_json: payload.to_json(),
    };
    let now = inner.now();
    if let Err(e) = inner.store.run(move |s| s.enqueue(&row, now)).await {
        tracing::error!(error = %e, "cannot enqueue PSP status");
    }
    inner.worker_kick.notify_one();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Text;

    fn err(class: ErrorClass, status: Option<u16>) -> ProviderError {
        let mut e = ProviderError::new(class, Text::new("x", "x"), "x");
        e.http_status = status;
        e
    }

    #[test]
    fn only_a_refusal_of_the_operation_itself_gives_a_row_up() {
        let capture = Payload::Capture {
            api: ApiKind::Epayment,
            id: "r".into(),
            amount: 100,
            currency: "NOK".into(),
        };
        let refund = Payload::Refund {
            api: ApiKind::Epayment,
            id: "r".into(),
            amount: 100,
            currency: "NOK".into(),
        };
        let receipt = Payload::Category {
            reference: "r".into(),
            category: "RECEIPT".into(),
            order_details_url: "https://x".into(),
            image_id: None,
        };
        use ErrorClass::*;
        for p in [&capture, &refund, &receipt] {
            for (class, status) in [
                (Offline, None),
                (OutcomeUnknown, None),
                (OutcomeUnknown, Some(503)),
                (Throttled, Some(429)),
                (Config, Some(401)),
                (Config, Some(403)),
                (Rejected, Some(401)),
            ] {
                assert!(
                    !gives_up(&err(class, status), p, 99, 3),
                    "{class:?} {status:?} {p:?}"
                );
            }
            assert!(gives_up(&err(Rejected, Some(400)), p, 1, 3), "{p:?}");
        }
        // Not found: money rows wait (keys / merchant may be wrong), receipts give up in time.
        for p in [&capture, &refund] {
            assert!(!gives_up(&err(NotFound, Some(404)), p, 99, 3));
        }
        assert!(!gives_up(&err(NotFound, Some(404)), &receipt, 2, 3));
        assert!(gives_up(&err(NotFound, Some(404)), &receipt, 3, 3));
    }
}
