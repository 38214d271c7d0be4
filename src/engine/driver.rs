//! The per-payment driver task: create (same key on every retry), read on the polling
//! schedule, capture through the outbox right after authorization, cancel on abort, expire only
//! after the full 10 minutes and a final read. Every state change is journaled and published.

use crate::domain::money::Money;
use crate::engine::core::{Inner, Resolution};
use crate::engine::events::{ApiKind, EngineEvent, PaymentSnapshot, PaymentState};
use crate::engine::outbox_payload::Payload;
use crate::engine::provider::{
    Amounts, CreateSpec, ErrorClass, FlowSpec, Provider, ProviderError, ReadResult, ReadState,
    ReceiptSpec,
};
use crate::lang::Text;
use crate::store::{NewOperation, NewOutbox, OpOutcome, OutboxKind, PayState, PaymentKeys};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

/// Messages to a running driver (from the engine handle and the outbox worker).
#[derive(Debug)]
pub(crate) enum DriverMsg {
    Cancel,
    Resolve {
        resolution: Resolution,
        staff_id: String,
        why: String,
    },
    CaptureDone {
        amounts: Option<Amounts>,
    },
    CaptureFailed {
        reason: Text,
    },
    CancelDone {
        void: bool,
    },
    CancelFailed {
        reason: Text,
        code: Option<String>,
        void: bool,
    },
}

/// Everything a driver needs to start or resume a payment.
#[derive(Debug)]
pub(crate) struct Resume {
    pub payment_id: i64,
    pub sale_id: i64,
    pub reference: String,
    pub api: ApiKind,
    pub amount: Money,
    pub keys: PaymentKeys,
    pub receipt_number: String,
    pub receipt: ReceiptSpec,
    /// `None` when resuming a payment whose create already reached Vipps (not needed again).
    pub flow: Option<FlowSpec>,
    pub description: String,
    pub open_deadline: OffsetDateTime,
    pub total_deadline: OffsetDateTime,
    pub state: PaymentState,
    pub need_create: bool,
    /// Recovery: receives the snapshot after the first read was applied.
    pub recovered: Option<oneshot::Sender<PaymentSnapshot>>,
}

/// Map the cashier-facing state to the journal's state code.
pub(crate) fn pay_state(s: PaymentState) -> PayState {
    match s {
        PaymentState::Creating => PayState::Creating,
        PaymentState::WaitingForCustomer => PayState::WaitingUser,
        PaymentState::WaitingForApproval => PayState::WaitingApproval,
        PaymentState::Authorized => PayState::Authorized,
        PaymentState::Capturing => PayState::Capturing,
        PaymentState::Paid => PayState::Captured,
        // A pending decision is kept as "cancelling": on restart it is read back and, if the
        // customer approved, offered to the cashier again (never captured silently).
        PaymentState::Cancelling | PaymentState::NeedsDecision => PayState::Cancelling,
        PaymentState::Voided | PaymentState::Cancelled => PayState::Cancelled,
        PaymentState::Rejected => PayState::Rejected,
        PaymentState::Expired => PayState::Expired,
        PaymentState::Failed => PayState::Failed,
    }
}

pub(crate) fn from_pay_state(s: PayState) -> PaymentState {
    match s {
        PayState::Creating => PaymentState::Creating,
        PayState::WaitingUser => PaymentState::WaitingForCustomer,
        PayState::WaitingApproval => PaymentState::WaitingForApproval,
        PayState::Authorized => PaymentState::Authorized,
        PayState::Capturing => PaymentState::Capturing,
        PayState::Captured => PaymentState::Paid,
        PayState::Cancelling => PaymentState::Cancelling,
        PayState::Cancelled => PaymentState::Cancelled,
        PayState::Rejected => PaymentState::Rejected,
        PayState::Expired => PaymentState::Expired,
        PayState::Failed => PaymentState::Failed,
    }
}

pub(crate) fn spawn(inner: Arc<Inner>, r: Resume) {
    spawn_recovered(inner, r, false);
}

/// Spawn a driver; `cancel_requested` when the journal shows the cashier had aborted.
pub(crate) fn spawn_recovered(inner: Arc<Inner>, r: Resume, cancel_requested: bool) {
    let (tx, rx) = mpsc::unbounded_channel();
    if let Ok(mut m) = inner.drivers.lock() {
        m.insert(r.payment_id, tx);
    }
    let provider = inner.backends.provider(r.api);
    let id = if r.api == ApiKind::Psp {
        crate::engine::core::psp_transaction_id(&r.reference)
    } else {
        r.reference.clone()
    };
    let d = Driver {
        inner,
        provider,
        id,
        state: r.state,
        reason: None,
        qr: None,
        amounts: Amounts::default(),
        cancel_requested,
        expiring: false,
        created_ok: r.state != PaymentState::Creating,
        voiding: false,
        last_publish: None,
        rx,
        r,
    };
    tokio::spawn(d.run());
}

struct Driver {
    inner: Arc<Inner>,
    provider: Arc<dyn Provider>,
    /// Id at the provider (reference, or pspTransactionId).
    id: String,
    r: Resume,
    state: PaymentState,
    reason: Option<Text>,
    qr: Option<String>,
    amounts: Amounts,
    cancel_requested: bool,
    expiring: bool,
    /// The payment is known to exist at Vipps.
    created_ok: bool,
    voiding: bool,
    last_publish: Option<(PaymentState, tokio::time::Instant)>,
    rx: mpsc::UnboundedReceiver<DriverMsg>,
}

fn class_outcome(e: &ProviderError) -> OpOutcome {
    match e.class {
        ErrorClass::Offline => OpOutcome::Transport,
        ErrorClass::OutcomeUnknown if e.http_status.is_none() => OpOutcome::Timeout,
        _ => OpOutcome::HttpError,
    }
}

impl Driver {
    fn now(&self) -> OffsetDateTime {
        self.inner.now()
    }

    fn snapshot(&self) -> PaymentSnapshot {
        let now = self.now();
        let secs_to = |t: OffsetDateTime| -> u64 {
            let d = t - now;
            if d.is_negative() {
                0
            } else {
                u64::try_from(d.whole_seconds()).unwrap_or(0)
            }
        };
        let waiting = matches!(
            self.state,
            PaymentState::Creating
                | PaymentState::WaitingForCustomer
                | PaymentState::WaitingForApproval
        );
        PaymentSnapshot {
            id: self.r.payment_id,
            sale_id: self.r.sale_id,
            reference: self.r.reference.clone(),
            api: self.r.api,
            amount: self.r.amount,
            captured: Money::new(self.amounts.captured, self.r.amount.currency()),
            state: self.state,
            reason: self.reason.clone(),
            open_left: (waiting && self.state != PaymentState::WaitingForApproval)
                .then(|| secs_to(self.r.open_deadline)),
            approve_left: waiting.then(|| secs_to(self.r.total_deadline)),
            qr_payload: self.qr.clone(),
            receipt_number: self.r.receipt_number.clone(),
            at: now,
        }
    }

    fn publish(&mut self, force: bool) {
        let now = tokio::time::Instant::now();
        let due = match self.last_publish {
            None => true,
            Some((s, at)) => s != self.state || now.duration_since(at) >= Duration::from_secs(1),
        };
        if force || due {
            self.last_publish = Some((self.state, now));
            self.inner
                .publish(EngineEvent::Payment(self.snapshot()));
        }
    }

    async fn journal(&self, op: NewOperation) {
        let op = NewOperation {
            sale_id: Some(self.r.sale_id),
            payment_id: Some(self.r.payment_id),
            ..op
        };
        if let Err(e) = self.inner.store.run(move |s| s.record_operation(&op)).await {
            tracing::error!(error = %e, "cannot journal operation");
        }
    }

    /// Change state: journal it (store) and publish.
    async fn set_state(&mut self, state: PaymentState, reason: Option<Text>) {
        let changed = state != self.state || reason != self.reason;
        self.state = state;
        if reason.is_some() {
            self.reason = reason;
        }
        if !changed {
            self.publish(false);
            return;
        }
        let pid = self.r.payment_id;
        let sid = self.r.sale_id;
        let ps = pay_state(state);
        let reason_en = self.reason.as_ref().map(|t| t.en.clone());
        let a = self.amounts;
        let amounts = crate::store::PaymentAmounts {
            authorized: a.authorized,
            captured: a.captured,
            refunded: a.refunded,
            cancelled: a.cancelled,
        };
        let at = self.now();
        let sale_status = match state {
            PaymentState::Paid => Some(crate::store::SaleStatus::Paid),
            PaymentState::Voided => Some(crate::store::SaleStatus::Voided),
            PaymentState::Cancelled => Some(crate::store::SaleStatus::Cancelled),
            PaymentState::Rejected | PaymentState::Expired | PaymentState::Failed => {
                Some(crate::store::SaleStatus::Failed)
            }
            _ => None,
        };
        let staff = self.inner.cfg.staff_id.clone();
        let r = self
            .inner
            .store
            .run(move |s| {
                s.transaction(|tx| {
                    tx.update_payment_state(pid, ps, reason_en.as_deref(), Some(amounts), at)?;
                    if let Some(st) = sale_status {
                        tx.set_sale_status(sid, st, staff.as_deref(), at)?;
                    }
                    Ok(())
                })
            })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, payment_id = pid, "cannot journal state change");
        }
        tracing::info!(reference = %self.r.reference, state = state.code(), "payment state");
        self.publish(true);
    }

    async fn run(mut self) {
        let mut shutdown = self.inner.shutdown.subscribe();
        self.publish(true);
        let mut next = if self.r.need_create {
            match self.create().await {
                true => self.inner.cfg.poll.interval,
                false => Duration::ZERO,
            }
        } else {
            Duration::ZERO
        };
        loop {
            if self.state.is_final() {
                break;
            }
            if *shutdown.borrow() {
                break;
            }
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(m) => { if let Some(d) = self.on_msg(m).await { next = d; } }
                    None => break,
                },
                _ = tokio::time::sleep(next) => { next = self.tick().await; }
                _ = shutdown.changed() => {}
            }
        }
        self.finish_recovery();
        if let Ok(mut m) = self.inner.drivers.lock() {
            m.remove(&self.r.payment_id);
        }
        // Final states always publish one last time (UI closes the payment view on it).
        if self.state.is_final() {
            self.publish(true);
        }
    }

    fn finish_recovery(&mut self) {
        if let Some(tx) = self.r.recovered.take() {
            let _ = tx.send(self.snapshot());
        }
    }

    fn create_spec(&self) -> Option<CreateSpec> {
        let flow = self.r.flow.clone()?;
        Some(CreateSpec {
            reference: self.r.reference.clone(),
            amount: self.r.amount,
            flow,
            description: self.r.description.clone(),
            receipt: Some(self.r.receipt.clone()),
            key: self.r.keys.create.clone(),
            psp_transaction_id: (self.r.api == ApiKind::Psp).then(|| self.id.clone()),
        })
    }

    /// Create with the stored key. Returns true once the payment exists at Vipps.
    async fn create(&mut self) -> bool {
        let Some(spec) = self.create_spec() else {
            // No flow recorded (recovery of a create whose body we cannot rebuild): read.
            return false;
        };
        let attempts = self.inner.cfg.create_attempts.max(1);
        for attempt in 1..=attempts {
            let started = self.now();
            let res = self.provider.create(&spec).await;
            self.inner.observe(res.as_ref().map(|_| ()));
            match res {
                Ok(c) => {
                    self.journal(NewOperation {
                        idempotency_key: Some(spec.key.clone()),
                        request_summary: Some(format!(
                            "create {} {} {}",
                            self.r.api.code(),
                            self.r.amount.to_plain(),
                            self.r.reference
                        )),
                        ..NewOperation::new("create", OpOutcome::Ok, started)
                    })
                    .await;
                    self.qr = c.qr_payload;
                    self.created_ok = true;
                    self.set_state(PaymentState::WaitingForCustomer, None).await;
                    if self.cancel_requested {
                        self.start_cancel(false).await;
                    }
                    return true;
                }
                Err(e) => {
                    self.journal(NewOperation {
                        idempotency_key: Some(spec.key.clone()),
                        http_status: e.http_status.map(i64::from),
                        error_code: e.code.clone(),
                        detail: Some(e.detail.clone()),
                        ..NewOperation::new("create", class_outcome(&e), started)
                    })
                    .await;
                    let exists_code = matches!(e.code.as_deref(), Some("34" | "44" | "99"));
                    if e.is_transient() || exists_code || e.class == ErrorClass::Rejected && e.http_status == Some(409) {
                        // The create may have gone through. ePayment: retrying the same key
                        // returns the original answer. eCom/PSP: read first.
                        if self.r.api != ApiKind::Epayment || exists_code {
                            match self.read_once().await {
                                Ok(()) => return true,
                                Err(re) if re.class == ErrorClass::NotFound => {}
                                Err(_) => {}
                            }
                        }
                        if attempt < attempts && !exists_code {
                            let d = self.inner.cfg.retry.delay(attempt, e.retry_after);
                            tokio::time::sleep(d).await;
                            continue;
                        }
                        if exists_code {
                            // It exists but cannot be read right now: keep polling.
                            self.set_state(PaymentState::WaitingForCustomer, None).await;
                            return true;
                        }
                        // Out of attempts: decide by a read.
                        match self.read_once().await {
                            Ok(()) => return true,
                            Err(re) if re.class == ErrorClass::NotFound => {
                                self.set_state(
                                    PaymentState::Failed,
                                    Some(Text::new(
                                        format!("Fikk ikke startet betalingen hos Vipps ({}). Ingen penger er trukket. Prøv igjen.", e.message.nb),
                                        format!("Could not start the payment at Vipps ({}). No money was taken. Try again.", e.message.en),
                                    )),
                                )
                                .await;
                                return false;
                            }
                            Err(_) => {
                                // Unknown: keep reading on the normal schedule; the 10 minute
                                // window and the final read decide.
                                self.set_state(PaymentState::WaitingForCustomer, None).await;
                                return true;
                            }
                        }
                    }
                    self.set_state(PaymentState::Failed, Some(e.message.clone()))
                        .await;
                    return false;
                }
            }
        }
        false
    }

    /// Read once and apply. `Err` carries the provider error (not applied).
    async fn read_once(&mut self) -> Result<(), ProviderError> {
        let res = self.provider.read(&self.id).await;
        self.inner.observe(match &res {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        });
        match res {
            Ok(r) => {
                self.created_ok = true;
                self.on_read(r).await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// One polling step; returns the delay until the next.
    async fn tick(&mut self) -> Duration {
        let poll = self.inner.cfg.poll;
        match self.state {
            PaymentState::NeedsDecision => return Duration::from_secs(3600),
            PaymentState::Capturing => {
                // The worker owns the capture; read now and then in case its answer was lost.
                let _ = self.read_once().await;
                self.finish_recovery();
                return poll.interval * 5;
            }
            _ => {}
        }
        match self.read_once().await {
            Ok(()) => {}
            Err(e) => {
                self.finish_recovery();
                match e.class {
                    ErrorClass::Throttled => return poll.after_throttle(e.retry_after),
                    ErrorClass::NotFound if !self.created_ok => {
                        // A create that never arrived: create again with the same key, or,
                        // when the body cannot be rebuilt, fail cleanly (nothing was taken).
                        if self.r.flow.is_some() {
                            if self.create().await {
                                return poll.interval;
                            }
                        } else {
                            self.set_state(
                                PaymentState::Failed,
                                Some(Text::new(
                                    "Betalingen nådde aldri Vipps før kassen stoppet. Ingen penger er trukket. Start betalingen på nytt.",
                                    "The payment never reached Vipps before the till stopped. No money was taken. Start the payment again.",
                                )),
                            )
                            .await;
                            return Duration::ZERO;
                        }
                    }
                    _ => {
                        tracing::debug!(reference = %self.r.reference, error = %e, "read failed");
                    }
                }
                self.check_deadline().await;
                return poll.interval.max(
                    self.inner
                        .cfg
                        .retry
                        .delay(1, e.retry_after)
                        .min(Duration::from_secs(5)),
                );
            }
        }
        self.finish_recovery();
        self.check_deadline().await;
        poll.interval
    }

    async fn check_deadline(&mut self) {
        let waiting = matches!(
            self.state,
            PaymentState::Creating
                | PaymentState::WaitingForCustomer
                | PaymentState::WaitingForApproval
        );
        if !waiting || self.expiring {
            return;
        }
        let grace = time::Duration::try_from(self.inner.cfg.expiry_grace)
            .unwrap_or(time::Duration::seconds(30));
        if self.now() > self.r.total_deadline + grace {
            // The full 10 minutes plus grace are over and the last read still says pending:
            // cancel (transaction only, so an approval in the last second is kept) and read
            // back before calling it expired.
            self.expiring = true;
            self.journal(NewOperation {
                detail: Some("10 minutes over and still pending: cancelling, then reading back".into()),
                ..NewOperation::new("note", OpOutcome::Info, self.now())
            })
            .await;
            self.start_cancel(false).await;
        } else if self.state == PaymentState::WaitingForCustomer && self.now() >= self.r.open_deadline {
            // Vipps would have expired an unopened payment after 5 minutes; still pending
            // means the customer opened it.
            self.set_state(PaymentState::WaitingForApproval, None).await;
        }
    }

    async fn on_read(&mut self, r: ReadResult) {
        self.amounts = r.amounts;
        let amount = self.r.amount.minor();
        match self.state {
            PaymentState::Creating
            | PaymentState::WaitingForCustomer
            | PaymentState::WaitingForApproval => match r.state {
                ReadState::Created => {
                    let s = if self.now() < self.r.open_deadline {
                        PaymentState::WaitingForCustomer
                    } else {
                        PaymentState::WaitingForApproval
                    };
                    self.set_state(s, None).await;
                }
                ReadState::Opened => {
                    self.set_state(PaymentState::WaitingForApproval, None).await;
                }
                ReadState::Authorized => self.on_authorized().await,
                ReadState::Rejected => {
                    self.set_state(
                        PaymentState::Rejected,
                        Some(Text::new(
                            "Kunden avviste betalingen i appen.",
                            "The customer rejected the payment in the app.",
                        )),
                    )
                    .await
                }
                ReadState::Expired => {
                    self.set_state(
                        PaymentState::Expired,
                        Some(Text::new(
                            "Kunden svarte ikke i tide (10 minutter). Ingen penger er trukket.",
                            "The customer did not respond in time (10 minutes). No money was taken.",
                        )),
                    )
                    .await
                }
                ReadState::Cancelled => {
                    self.set_state(
                        PaymentState::Cancelled,
                        Some(Text::new(
                            "Betalingen ble avbrutt hos Vipps.",
                            "The payment was cancelled at Vipps.",
                        )),
                    )
                    .await
                }
                ReadState::Failed => {
                    self.set_state(
                        PaymentState::Failed,
                        Some(Text::new(
                            "Betalingen feilet hos Vipps eller kortutsteder. Ingen penger er trukket.",
                            "The payment failed at Vipps or the card issuer. No money was taken.",
                        )),
                    )
                    .await
                }
            },
            PaymentState::Capturing | PaymentState::Authorized => {
                if r.amounts.captured >= amount {
                    self.mark_paid().await;
                } else if matches!(r.state, ReadState::Cancelled) {
                    self.set_state(
                        PaymentState::Failed,
                        Some(Text::new(
                            "Reservasjonen ble kansellert før beløpet ble trukket. Ta betalt på nytt.",
                            "The reservation was cancelled before capture. Take payment again.",
                        )),
                    )
                    .await;
                }
            }
            PaymentState::Cancelling => match r.state {
                ReadState::Authorized if self.voiding => {
                    if r.amounts.cancelled > 0 || r.amounts.refunded >= r.amounts.captured && r.amounts.captured > 0 {
                        self.voided().await;
                    }
                }
                ReadState::Authorized => {
                    if r.amounts.captured >= amount {
                        self.mark_paid().await;
                    } else if self.cancel_requested {
                        self.set_state(
                            PaymentState::NeedsDecision,
                            Some(Text::new(
                                "Kunden godkjente betalingen mens salget ble avbrutt. Velg: fullfør salget (trekk beløpet) eller annuller (frigi pengene).",
                                "The customer approved while the sale was being aborted. Choose: complete the sale (capture) or void (release the money).",
                            )),
                        )
                        .await;
                    } else {
                        // Approved in the last second of the window: the sale goes through.
                        self.expiring = false;
                        self.on_authorized().await;
                    }
                }
                ReadState::Cancelled | ReadState::Expired | ReadState::Rejected | ReadState::Failed => {
                    if self.voiding {
                        self.voided().await;
                    } else if self.cancel_requested {
                        self.set_state(
                            PaymentState::Cancelled,
                            Some(Text::new(
                                "Betalingen ble avbrutt av kassen. Ingen penger er trukket.",
                                "The payment was cancelled at the till. No money was taken.",
                            )),
                        )
                        .await;
                    } else {
                        self.set_state(
                            PaymentState::Expired,
                            Some(Text::new(
                                "Kunden svarte ikke innen 10 minutter. Ingen penger er trukket.",
                                "The customer did not respond within 10 minutes. No money was taken.",
                            )),
                        )
                        .await;
                    }
                }
                ReadState::Created | ReadState::Opened => {}
            },
            _ => {}
        }
    }

    async fn on_authorized(&mut self) {
        if self.amounts.captured >= self.r.amount.minor() {
            self.mark_paid().await;
            return;
        }
        if self.cancel_requested {
            self.set_state(PaymentState::NeedsDecision, None).await;
            return;
        }
        self.enqueue_capture().await;
    }

    async fn enqueue_capture(&mut self) {
        let payload = Payload::Capture {
            api: self.r.api,
            id: self.id.clone(),
            amount: self.r.amount.minor(),
            currency: self.r.amount.currency().code().to_owned(),
        };
        let row = NewOutbox {
            kind: OutboxKind::Capture,
            payment_id: Some(self.r.payment_id),
            reference: Some(self.r.reference.clone()),
            idempotency_key: self.r.keys.capture.clone(),
            payload_json: payload.to_json(),
        };
        let now = self.now();
        let pid = self.r.payment_id;
        let a = self.amounts;
        let res = self
            .inner
            .store
            .run(move |s| {
                s.transaction(|tx| {
                    tx.enqueue(&row, now)?;
                    tx.update_payment_state(
                        pid,
                        PayState::Capturing,
                        None,
                        Some(crate::store::PaymentAmounts {
                            authorized: a.authorized,
                            captured: a.captured,
                            refunded: a.refunded,
                            cancelled: a.cancelled,
                        }),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await;
        if let Err(e) = res {
            tracing::error!(error = %e, "cannot enqueue capture");
        }
        self.inner.worker_kick.notify_one();
        self.state = PaymentState::Capturing;
        self.publish(true);
    }

    async fn mark_paid(&mut self) {
        if self.state == PaymentState::Paid {
            return;
        }
        self.amounts.captured = self.amounts.captured.max(self.r.amount.minor());
        self.set_state(PaymentState::Paid, None).await;
        crate::engine::worker::enqueue_after_capture(&self.inner, self.r.payment_id).await;
    }

    async fn voided(&mut self) {
        self.set_state(
            PaymentState::Voided,
            Some(Text::new(
                "Salget er annullert og pengene frigitt til kunden.",
                "The sale was voided and the money released to the customer.",
            )),
        )
        .await;
    }

    async fn start_cancel(&mut self, void: bool) {
        let transaction_only = !void && self.r.api == ApiKind::Epayment;
        let key = if void {
            format!("{}-v", self.r.keys.cancel)
        } else {
            self.r.keys.cancel.clone()
        };
        let payload = Payload::Cancel {
            api: self.r.api,
            id: self.id.clone(),
            amount: self.r.amount.minor(),
            currency: self.r.amount.currency().code().to_owned(),
            transaction_only,
            void,
        };
        let row = NewOutbox {
            kind: OutboxKind::Cancel,
            payment_id: Some(self.r.payment_id),
            reference: Some(self.r.reference.clone()),
            idempotency_key: key,
            payload_json: payload.to_json(),
        };
        let now = self.now();
        if let Err(e) = self.inner.store.run(move |s| s.enqueue(&row, now)).await {
            tracing::error!(error = %e, "cannot enqueue cancel");
        }
        self.inner.worker_kick.notify_one();
        self.set_state(PaymentState::Cancelling, None).await;
    }

    async fn on_msg(&mut self, m: DriverMsg) -> Option<Duration> {
        match m {
            DriverMsg::Cancel => {
                self.journal(NewOperation {
                    staff_id: self.inner.cfg.staff_id.clone(),
                    detail: Some(format!("cashier abort in state {}", self.state.code())),
                    ..NewOperation::new("abort", OpOutcome::Info, self.now())
                })
                .await;
                match self.state {
                    PaymentState::Creating => {
                        self.cancel_requested = true;
                        None
                    }
                    PaymentState::WaitingForCustomer | PaymentState::WaitingForApproval => {
                        self.cancel_requested = true;
                        self.start_cancel(false).await;
                        None
                    }
                    PaymentState::Cancelling if self.expiring => {
                        self.cancel_requested = true;
                        None
                    }
                    _ => None,
                }
            }
            DriverMsg::Resolve {
                resolution,
                staff_id,
                why,
            } => {
                if self.state != PaymentState::NeedsDecision {
                    return None;
                }
                self.journal(NewOperation {
                    staff_id: Some(staff_id),
                    detail: Some(format!("after abort: {resolution:?}: {why}")),
                    ..NewOperation::new("resolve", OpOutcome::Info, self.now())
                })
                .await;
                match resolution {
                    Resolution::Complete => {
                        self.cancel_requested = false;
                        self.reason = None;
                        self.enqueue_capture().await;
                    }
                    Resolution::Void => {
                        self.voiding = true;
                        self.start_cancel(true).await;
                    }
                }
                None
            }
            DriverMsg::CaptureDone { amounts } => {
                if let Some(a) = amounts {
                    self.amounts = a;
                }
                self.mark_paid().await;
                None
            }
            DriverMsg::CaptureFailed { reason } => {
                self.set_state(PaymentState::Failed, Some(reason)).await;
                None
            }
            DriverMsg::CancelDone { void } => {
                if void {
                    self.voided().await;
                    None
                } else {
                    Some(Duration::ZERO)
                }
            }
            DriverMsg::CancelFailed { reason, code, void } => {
                tracing::info!(reference = %self.r.reference, ?code, "cancel refused; reading back");
                if void {
                    self.set_state(PaymentState::NeedsDecision, Some(reason)).await;
                }
                Some(Duration::ZERO)
            }
        }
    }
}
