//! The per-payment driver task. It runs the pure state machine [`domain::payment::Payment`]:
//! feeds it every outcome (create, reads, capture, cancel, cashier actions, time) with the
//! engine clock, and carries out its effects: reads on the machine's schedule, create retries
//! with the same key, capture and cancel through durable outbox rows. Every state change is
//! journaled and published as a [`PaymentSnapshot`].
//!
//! [`domain::payment::Payment`]: crate::domain::payment::Payment

use crate::domain::money::Money;
use crate::domain::payment::{CancelOrigin, Effect, Event, Payment, Phase, ProviderStatus};
use crate::engine::core::{Inner, Resolution};
use crate::engine::events::{ApiKind, EngineEvent, PaymentSnapshot, PaymentState};
use crate::engine::outbox_payload::Payload;
use crate::engine::provider::{
    Amounts, CreateSpec, ErrorClass, FlowSpec, Provider, ProviderError, ReadResult, ReadState,
    ReceiptSpec,
};
use crate::lang::Text;
use crate::store::{
    NewOperation, NewOutbox, OpOutcome, OutboxKind, OutboxStatus, PayState, PaymentKeys,
};
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
    /// `key` = the cancel row's idempotency key (stale answers to an earlier cancel are
    /// ignored: only the latest cancel the machine asked for is fed back).
    CancelDone {
        key: String,
    },
    CancelFailed {
        key: String,
        reason: Text,
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
    /// `None` when the create body cannot be rebuilt (recovered push payment).
    pub flow: Option<FlowSpec>,
    pub description: String,
    /// When the sale was written (start of the attempt).
    pub started_at: OffsetDateTime,
    /// `Some` = recovering a payment whose create answered before the restart.
    pub created_at: Option<OffsetDateTime>,
    /// Recovering (read first) rather than creating.
    pub recovering: bool,
    /// The journal shows the cashier had aborted.
    pub cancel_requested: bool,
    /// Recovery: receives the snapshot after the first read was applied.
    pub recovered: Option<oneshot::Sender<PaymentSnapshot>>,
}

/// The cashier-facing state for a machine phase.
pub(crate) fn state_of(p: &Phase) -> PaymentState {
    match p {
        Phase::Creating | Phase::CreateUncertain => PaymentState::Creating,
        Phase::WaitingForCustomer => PaymentState::WaitingForCustomer,
        Phase::WaitingForApproval => PaymentState::WaitingForApproval,
        Phase::Authorized => PaymentState::Authorized,
        Phase::Capturing => PaymentState::Capturing,
        Phase::Paid => PaymentState::Paid,
        Phase::Cancelling { .. } | Phase::Voiding => PaymentState::Cancelling,
        Phase::AuthorizedAfterCancel { .. } => PaymentState::NeedsDecision,
        Phase::Voided => PaymentState::Voided,
        Phase::Rejected => PaymentState::Rejected,
        Phase::Expired => PaymentState::Expired,
        Phase::Cancelled => PaymentState::Cancelled,
        Phase::Failed { .. } | Phase::CaptureFailed { .. } | Phase::AmountMismatch { .. } => {
            PaymentState::Failed
        }
    }
}

/// The journal's state code for a machine phase.
pub(crate) fn pay_state(p: &Phase) -> PayState {
    match p {
        Phase::Creating | Phase::CreateUncertain => PayState::Creating,
        Phase::WaitingForCustomer => PayState::WaitingUser,
        Phase::WaitingForApproval => PayState::WaitingApproval,
        Phase::Authorized => PayState::Authorized,
        Phase::Capturing => PayState::Capturing,
        Phase::Paid => PayState::Captured,
        // A pending decision is kept as "cancelling": on restart it is read back and, if the
        // customer approved, offered to the cashier again (never captured silently).
        Phase::Cancelling { .. } | Phase::Voiding | Phase::AuthorizedAfterCancel { .. } => {
            PayState::Cancelling
        }
        Phase::Voided | Phase::Cancelled => PayState::Cancelled,
        Phase::Rejected => PayState::Rejected,
        Phase::Expired => PayState::Expired,
        Phase::Failed { .. } | Phase::CaptureFailed { .. } | Phase::AmountMismatch { .. } => {
            PayState::Failed
        }
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
    let now = inner.now();
    let (fsm, effects) = if r.recovering {
        let (mut p, mut e) = Payment::resume_with_policy(
            r.amount.minor(),
            r.started_at,
            r.created_at,
            now,
            inner.cfg.poll,
        );
        if r.cancel_requested {
            e.extend(p.handle(now, Event::CancelRequested));
        }
        (p, e)
    } else {
        (
            Payment::with_policy(r.amount.minor(), now, inner.cfg.poll),
            Vec::new(),
        )
    };
    // Only eCom tells the till when the customer opened the payment.
    let fsm = fsm.with_open_signal(r.api == ApiKind::Ecom);
    let d = Driver {
        inner,
        provider,
        id,
        fsm,
        pending: effects,
        last_code: None,
        last_reason: None,
        notice: None,
        qr: None,
        qr_fallback: false,
        amounts: Amounts::default(),
        next_read: None,
        cancels: 0,
        cancel_key: None,
        last_publish: None,
        unsaved: false,
        creates: 0,
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
    fsm: Payment,
    /// Effects not yet carried out.
    pending: Vec<Effect>,
    last_code: Option<&'static str>,
    last_reason: Option<Text>,
    /// Latest `Effect::Notify` text (shown until the next state change).
    notice: Option<Text>,
    qr: Option<String>,
    /// The create was refused for a reason a QR code avoids (see `PaymentSnapshot::qr_fallback`).
    qr_fallback: bool,
    amounts: Amounts,
    next_read: Option<OffsetDateTime>,
    cancels: u32,
    /// Key of the latest cancel row; answers for other keys are stale.
    cancel_key: Option<String>,
    last_publish: Option<tokio::time::Instant>,
    /// The last state change could not be journaled (the journal cannot write): it is
    /// written again on every step until it is, and the driver does not stop before.
    unsaved: bool,
    /// Create calls sent by this driver.
    creates: u32,
    rx: mpsc::UnboundedReceiver<DriverMsg>,
}

/// Vipps refused a push for a reason the customer's own scan of a QR code avoids: ePayment
/// 7010 (the number cannot pay businesses) and 5080 (push not enabled for the sales unit); eCom
/// 81 (not a Vipps user) and 38 (not allowed to skip the landing page, i.e. no push).
pub(crate) fn push_refused(api: ApiKind, code: Option<&str>) -> bool {
    match api {
        ApiKind::Epayment => matches!(code, Some("7010" | "5080")),
        ApiKind::Ecom => matches!(code, Some("81" | "38")),
        ApiKind::Psp => false,
    }
}

fn class_outcome(e: &ProviderError) -> OpOutcome {
    match e.class {
        ErrorClass::Offline => OpOutcome::Transport,
        ErrorClass::OutcomeUnknown if e.http_status.is_none() => OpOutcome::Timeout,
        _ => OpOutcome::HttpError,
    }
}

/// How far Vipps' clock may be from ours when comparing creation times.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// eCom 34 (orderId used), ePayment 409 / 4150 (reference exists), PSP 44 / 99.
fn is_already_exists(e: &ProviderError) -> bool {
    match e.code.as_deref() {
        Some("34" | "44" | "99") => true,
        Some("4150") => e.http_status == Some(409),
        _ => false,
    }
}

/// The payment Vipps holds under our reference matches this attempt: same amount and currency,
/// created no earlier than the attempt started and no later than now (± [`CLOCK_SKEW`]).
/// Anything unknown is not a match.
fn facts_match(
    facts: &crate::engine::provider::PaymentFacts,
    amount: Money,
    started_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), String> {
    match facts.amount {
        Some(a) if a == amount.minor() => {}
        Some(a) => return Err(format!("amount {a} is not ours ({})", amount.minor())),
        None => return Err("Vipps does not say its amount".into()),
    }
    match facts.currency {
        Some(c) if c == amount.currency() => {}
        Some(c) => {
            return Err(format!(
                "currency {} is not ours ({})",
                c.code(),
                amount.currency().code()
            ));
        }
        None => return Err("Vipps does not say its currency".into()),
    }
    match facts.created_at {
        Some(t) if t >= started_at - CLOCK_SKEW && t <= now + CLOCK_SKEW => Ok(()),
        Some(t) => Err(format!(
            "created {} is outside this attempt ({} .. {})",
            crate::clock::rfc3339_millis(t),
            crate::clock::rfc3339_millis(started_at),
            crate::clock::rfc3339_millis(now)
        )),
        None => Err("Vipps does not say when it was created".into()),
    }
}

/// The read names an amount or currency that is not this attempt's (unknown facts do not
/// contradict).
fn facts_contradict(facts: &crate::engine::provider::PaymentFacts, amount: Money) -> bool {
    facts.amount.is_some_and(|a| a != amount.minor())
        || facts.currency.is_some_and(|c| c != amount.currency())
}

fn not_ours_text(reference: &str) -> Text {
    Text::new(
        format!(
            "Vipps har allerede en annen betaling med referansen {reference}, og den er ikke dette salgets. Salget er ikke betalt, og ingen penger er trukket for det. Start betalingen på nytt – den får en ny referanse."
        ),
        format!(
            "Vipps already holds another payment with reference {reference}, and it is not this sale's. The sale is not paid and no money was taken for it. Start the payment again – it gets a new reference."
        ),
    )
}

fn to_std(d: time::Duration) -> Duration {
    if d.is_negative() {
        Duration::ZERO
    } else {
        Duration::try_from(d).unwrap_or(Duration::ZERO)
    }
}

impl Driver {
    fn now(&self) -> OffsetDateTime {
        self.inner.now()
    }

    fn snapshot(&self) -> PaymentSnapshot {
        let now = self.now();
        let c = self.fsm.countdowns(now);
        let secs = |s: Option<i64>| s.map(|v| u64::try_from(v.max(0)).unwrap_or(0));
        PaymentSnapshot {
            id: self.r.payment_id,
            sale_id: self.r.sale_id,
            reference: self.r.reference.clone(),
            api: self.r.api,
            amount: self.r.amount,
            captured: Money::new(self.amounts.captured, self.r.amount.currency()),
            state: state_of(self.fsm.phase()),
            phase: self.fsm.code(),
            reason: self.fsm.reason().or_else(|| self.notice.clone()),
            open_left: secs(c.open_secs()),
            approve_left: secs(c.approve_secs()),
            qr_payload: self.qr.clone(),
            qr_fallback: self.qr_fallback,
            open_signal: self.fsm.open_signal(),
            receipt_number: self.r.receipt_number.clone(),
            at: now,
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

    /// Journal a phase change (store) and publish a snapshot on change (or once a second for
    /// the countdowns).
    async fn sync(&mut self) {
        let code = self.fsm.code();
        let reason = self.fsm.reason();
        let changed = self.last_code != Some(code) || self.last_reason != reason;
        if changed {
            if self.last_code != Some(code) {
                self.notice = None;
            }
            self.last_code = Some(code);
            self.last_reason = reason.clone();
            let phase = self.fsm.phase().clone();
            if matches!(phase, Phase::Paid) {
                // Follow-ups (OM receipt / PSP status) are queued before "paid" is published.
                crate::engine::worker::enqueue_after_capture(&self.inner, self.r.payment_id).await;
                self.amounts.captured = self.amounts.captured.max(self.r.amount.minor());
            }
            self.unsaved = !self.persist(&phase, reason).await;
            tracing::info!(reference = %self.r.reference, phase = code, "payment state");
            self.publish(true);
        } else {
            if self.unsaved {
                let phase = self.fsm.phase().clone();
                self.unsaved = !self.persist(&phase, reason).await;
            }
            self.publish(false);
        }
    }

    fn publish(&mut self, force: bool) {
        let now = tokio::time::Instant::now();
        let due = self
            .last_publish
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1));
        if force || due {
            self.last_publish = Some(now);
            self.inner.publish(EngineEvent::Payment(self.snapshot()));
        }
    }

    /// Journal the phase; false when the journal could not write it.
    async fn persist(&self, phase: &Phase, reason: Option<Text>) -> bool {
        let pid = self.r.payment_id;
        let sid = self.r.sale_id;
        let ps = pay_state(phase);
        let reason_en = reason.map(|t| t.en);
        let a = self.amounts;
        let amounts = crate::store::PaymentAmounts {
            authorized: a.authorized,
            captured: a.captured,
            refunded: a.refunded,
            cancelled: a.cancelled,
        };
        let at = self.now();
        let sale_status = match phase {
            Phase::Paid => Some(crate::store::SaleStatus::Paid),
            Phase::Voided => Some(crate::store::SaleStatus::Voided),
            Phase::Cancelled => Some(crate::store::SaleStatus::Cancelled),
            p if p.is_terminal() => Some(crate::store::SaleStatus::Failed),
            _ => None,
        };
        let deadlines = self.fsm.deadlines();
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
                })?;
                if let Some(d) = deadlines {
                    s.set_payment_deadlines(pid, Some(d.open_by), Some(d.final_at))?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, payment_id = pid, "cannot journal state change");
            return false;
        }
        true
    }

    async fn run(mut self) {
        let mut shutdown = self.inner.shutdown.subscribe();
        self.sync().await;
        self.publish(true);
        if !self.r.recovering {
            self.create().await;
        }
        loop {
            // Carry out what the machine asked for.
            while !self.pending.is_empty() {
                let effects = std::mem::take(&mut self.pending);
                for e in effects {
                    self.effect(e).await;
                }
                self.sync().await;
            }
            // Journal any change (e.g. a create that failed for good) before stopping.
            self.sync().await;
            // A final state is only left behind once the journal holds it.
            if (self.fsm.is_terminal() && !self.unsaved) || *shutdown.borrow() {
                break;
            }
            let now = self.now();
            // Sleep until the next read (machine schedule) or one second for the countdowns
            // and deadlines. The read is taken when the sleep ends (real time), which also
            // works with a clock that only moves when a test says so.
            let read_in = self.next_read.map(|at| to_std(at - now));
            let wait = read_in
                .unwrap_or(Duration::from_secs(1))
                .min(Duration::from_secs(1));
            let read_due = read_in.is_some_and(|d| d <= Duration::from_secs(1));
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(m) => self.on_msg(m).await,
                    None => break,
                },
                _ = tokio::time::sleep(wait) => {
                    if read_due {
                        self.next_read = None;
                        self.read().await;
                    }
                    let now = self.now();
                    let e = self.fsm.handle(now, Event::Tick);
                    self.pending.extend(e);
                    self.sync().await;
                }
                _ = shutdown.changed() => {}
            }
        }
        self.finish_recovery();
        if let Ok(mut m) = self.inner.drivers.lock() {
            m.remove(&self.r.payment_id);
        }
        if self.fsm.is_terminal() {
            self.publish(true);
        }
    }

    fn finish_recovery(&mut self) {
        if let Some(tx) = self.r.recovered.take() {
            let _ = tx.send(self.snapshot());
        }
    }

    fn feed(&mut self, ev: Event) {
        let now = self.now();
        let e = self.fsm.handle(now, ev);
        self.pending.extend(e);
    }

    async fn effect(&mut self, e: Effect) {
        match e {
            Effect::ReadStatus { at } => self.next_read = Some(at),
            Effect::RetryCreate => self.create().await,
            Effect::Capture { amount } => self.enqueue_capture(amount).await,
            Effect::Cancel { transaction_only } => self.enqueue_cancel(transaction_only).await,
            Effect::Notify(text) => {
                self.journal(NewOperation {
                    detail: Some(text.en.clone()),
                    ..NewOperation::new("notice", OpOutcome::Info, self.now())
                })
                .await;
                // A phase change is journaled before anyone hears of it (a listener may act
                // on the published state at once, e.g. `kasse pay` exiting).
                self.sync().await;
                self.notice = Some(text);
                self.publish(true);
            }
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

    /// Send the create (the same body and key every time) and feed the outcome.
    async fn create(&mut self) {
        let Some(spec) = self.create_spec() else {
            // The body cannot be rebuilt (a personal QR, a row from before the phone was
            // kept): never a new create, but a create sent before the stop may still show up
            // at Vipps, so keep reading until the window from the journal is over.
            self.feed(Event::CreateFailed {
                definite: false,
                reason: Text::new(
                    "Betalingen er ikke funnet hos Vipps ennå; kassen sjekker til tiden er ute. Ikke ta betalt på nytt.",
                    "Vipps does not show the payment yet; the till keeps checking until the time is up. Do not charge again.",
                ),
                retry_after: None,
            });
            return;
        };
        if !self.inner.journal_writable() {
            // No create while the journal cannot record what happens next; a read decides
            // later and the same create goes out once writing works again.
            self.feed(Event::CreateFailed {
                definite: false,
                reason: crate::engine::events::AlertKind::JournalUnwritable.text(),
                retry_after: None,
            });
            return;
        }
        let started = self.now();
        self.creates += 1;
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
                if c.qr_payload.is_some() {
                    self.qr = c.qr_payload;
                }
                let at = self.now();
                self.feed(Event::Created { at });
            }
            Err(e) => {
                // "Already exists" (eCom 34 orderId used, ePayment 409 reference exists, PSP
                // 44/99) is our own earlier create only when proven; see `prove_ours`. The
                // journal is read before this answer is added to it.
                let exists = is_already_exists(&e);
                // Without an idempotency key (eCom initiate) the client marks "already exists"
                // after an attempt of this very call that may have gone through as outcome
                // unknown; that attempt is journaled here before the proof is tried.
                let in_call = exists && e.class == ErrorClass::OutcomeUnknown;
                if in_call {
                    self.journal(NewOperation {
                        idempotency_key: Some(spec.key.clone()),
                        detail: Some(
                            "an earlier attempt of this create may have reached Vipps".into(),
                        ),
                        ..NewOperation::new("create", OpOutcome::Timeout, started)
                    })
                    .await;
                }
                let earlier = if exists {
                    self.earlier_create_may_have_reached().await
                } else {
                    false
                };
                self.journal(NewOperation {
                    idempotency_key: Some(spec.key.clone()),
                    http_status: e.http_status.map(i64::from),
                    error_code: e.code.clone(),
                    detail: Some(e.detail.clone()),
                    ..NewOperation::new("create", class_outcome(&e), started)
                })
                .await;
                // Not a Vipps user / push not enabled: a QR for the same sale avoids both.
                self.qr_fallback = matches!(self.r.flow, Some(FlowSpec::Push(_)))
                    && push_refused(self.r.api, e.code.as_deref());
                if e.code.as_deref() == Some("5040") {
                    // The sales unit does not take this currency: say so, and refuse the next
                    // sale in it before anything is journaled.
                    let currency = self.r.amount.currency();
                    self.inner.note_currency_refused(currency);
                    self.feed(Event::CreateFailed {
                        definite: true,
                        reason: crate::engine::core::currency_refused_text(
                            &self.inner.cfg.msn,
                            currency,
                        ),
                        retry_after: None,
                    });
                    return;
                }
                if exists {
                    match self.prove_ours(earlier).await {
                        Ok(()) => {
                            // Ours: a read decides where it stands.
                            self.feed(Event::CreateFailed {
                                definite: false,
                                reason: e.message.clone(),
                                retry_after: e
                                    .retry_after
                                    .and_then(|d| time::Duration::try_from(d).ok()),
                            });
                        }
                        Err(why) => {
                            self.journal(NewOperation {
                                detail: Some(format!("reference exists, not ours: {why}")),
                                ..NewOperation::new("not_ours", OpOutcome::Info, self.now())
                            })
                            .await;
                            self.renew_install_after_collision().await;
                            self.feed(Event::CreateFailed {
                                definite: true,
                                reason: not_ours_text(&self.r.reference),
                                retry_after: None,
                            });
                        }
                    }
                    return;
                }
                if e.never_sent
                    && e.class == ErrorClass::Offline
                    && matches!(self.fsm.phase(), Phase::Creating)
                {
                    // First create and nothing reached Vipps: no payment exists, no money can move. Say so
                    // at once instead of waiting out the 10 minutes.
                    self.feed(Event::CreateFailed {
                        definite: true,
                        reason: Text::new(
                            "Vipps kan ikke nås, så betalingen ble ikke startet. Ingen penger er trukket. Ta imot kontant eller kort, eller prøv igjen når nettet er tilbake.",
                            "Vipps cannot be reached, so the payment was not started. No money was taken. Take cash or card, or try again when the network is back.",
                        ),
                        retry_after: None,
                    });
                    return;
                }
                // Refused keys (the gateway's own 401/403, no Vipps error code) prove nothing was
                // created by *this* call, but a create sent before (an earlier attempt, or before
                // a restart) may still show up: only the very first create of a payment fails on
                // them.
                let first = self.creates == 1 && !self.r.recovering;
                let keys = matches!(e.http_status, Some(401 | 403)) && e.code.is_none();
                let definite = !(e.is_transient() || (keys && !first));
                self.feed(Event::CreateFailed {
                    definite,
                    reason: e.message.clone(),
                    retry_after: e.retry_after.and_then(|d| time::Duration::try_from(d).ok()),
                });
            }
        }
    }

    /// A reference we minted is taken by someone else's payment: this database's install id is
    /// shared (a copy or a backup restored by hand). A new one (journaled, reason "collision")
    /// makes the next attempt and every later sale unique again.
    async fn renew_install_after_collision(&self) {
        let at = self.now();
        match self
            .inner
            .store
            .run(move |s| s.renew_install_id("collision", at))
            .await
        {
            Ok(id) => tracing::warn!(
                install_id = %id,
                "a reference was taken by another payment; new install id for later references"
            ),
            Err(e) => tracing::error!(error = %e, "cannot renew the install id"),
        }
    }

    /// The journal shows an earlier create of this very payment that may have reached Vipps:
    /// sent with no definite answer (timeout, dropped connection, 5xx), or the till stopped
    /// while the create was out (recovered in state "creating").
    async fn earlier_create_may_have_reached(&self) -> bool {
        let pid = self.r.payment_id;
        let ops = match self
            .inner
            .store
            .run(move |s| s.operations_for_payment(pid))
            .await
        {
            Ok(ops) => ops,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the journal; the payment is not proven ours");
                return false;
            }
        };
        let uncertain = ops.iter().any(|o| {
            o.op.kind == "create"
                && match o.op.outcome {
                    OpOutcome::Timeout | OpOutcome::Transport => true,
                    OpOutcome::HttpError => o.op.http_status.is_none_or(|s| s >= 500),
                    _ => false,
                }
        });
        let stopped_while_creating = self.r.recovering && self.r.created_at.is_none();
        uncertain || stopped_while_creating
    }

    /// "Already exists" is ours only when the journal shows an earlier attempt that may have
    /// reached Vipps (`earlier`) AND the payment read back has our amount and currency and was
    /// created after this attempt started (within [`CLOCK_SKEW`]). Err = why not (journaled).
    async fn prove_ours(&mut self, earlier: bool) -> Result<(), String> {
        if !earlier {
            return Err("no earlier create of this payment can have reached Vipps".into());
        }
        let read = self.provider.identify(&self.id).await;
        self.inner.observe(read.as_ref().map(|_| ()));
        let r = read.map_err(|e| format!("cannot read it back: {e}"))?;
        facts_match(&r.facts, self.r.amount, self.r.started_at, self.now())
    }

    fn create_unconfirmed(&self) -> bool {
        matches!(self.fsm.phase(), Phase::Creating | Phase::CreateUncertain)
    }

    fn status_of(&self, r: ReadResult) -> ProviderStatus {
        let a = r.amounts;
        match r.state {
            ReadState::Created => ProviderStatus::Created { opened: None },
            ReadState::Opened => ProviderStatus::Created {
                opened: Some(self.fsm.opened_at().unwrap_or_else(|| self.now())),
            },
            ReadState::Authorized => ProviderStatus::Authorized {
                authorized: a.authorized,
                captured: a.captured,
                refunded: a.refunded,
                cancelled: a.cancelled,
            },
            ReadState::Rejected => ProviderStatus::Aborted,
            ReadState::Expired => ProviderStatus::Expired,
            // Our own cancel after the 10 minutes ran out: for the cashier it expired.
            ReadState::Cancelled
                if matches!(
                    self.fsm.phase(),
                    Phase::Cancelling {
                        origin: CancelOrigin::Deadline
                    }
                ) =>
            {
                ProviderStatus::Expired
            }
            ReadState::Cancelled => {
                // eCom and PSP show one CANCEL for "customer said no", "timed out" and
                // "merchant cancelled": decide from what we know.
                if self.r.api == ApiKind::Epayment
                    || matches!(self.fsm.phase(), Phase::Cancelling { .. } | Phase::Voiding)
                {
                    ProviderStatus::Terminated
                } else if self
                    .fsm
                    .deadlines()
                    .is_some_and(|d| self.now() >= d.final_at)
                {
                    ProviderStatus::Expired
                } else {
                    ProviderStatus::Aborted
                }
            }
            ReadState::Failed => ProviderStatus::Failed {
                reason: Text::new(
                    "Betalingen feilet hos Vipps eller kortutstederen. Ingen penger er trukket.",
                    "The payment failed at Vipps or the card issuer. No money was taken.",
                ),
            },
        }
    }

    async fn read(&mut self) {
        let res = self.provider.read(&self.id).await;
        self.inner.observe(match &res {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        });
        let ev = match res {
            // Before a create is confirmed, a payment under our reference with another amount
            // or currency is someone else's: never adopt (capture, cancel) it.
            Ok(r) if self.create_unconfirmed() && facts_contradict(&r.facts, self.r.amount) => {
                self.journal(NewOperation {
                    detail: Some(format!(
                        "reference exists with amount {:?} {:?}, not ours",
                        r.facts.amount,
                        r.facts.currency.map(|c| c.code())
                    )),
                    ..NewOperation::new("not_ours", OpOutcome::Info, self.now())
                })
                .await;
                Event::CreateFailed {
                    definite: true,
                    reason: not_ours_text(&self.r.reference),
                    retry_after: None,
                }
            }
            Ok(r) => {
                self.amounts = r.amounts;
                Event::Read(self.status_of(r))
            }
            Err(e) if e.class == ErrorClass::NotFound => Event::Read(ProviderStatus::NotFound),
            Err(e) => {
                tracing::debug!(reference = %self.r.reference, error = %e, "read failed");
                Event::ReadFailed {
                    retry_after: e.retry_after.and_then(|d| time::Duration::try_from(d).ok()),
                    offline: e.class == ErrorClass::Offline,
                }
            }
        };
        self.feed(ev);
        self.sync().await;
        self.finish_recovery();
    }

    /// Enqueue an outbox row and return its status (an existing row keeps its first status).
    async fn enqueue(&self, row: NewOutbox) -> Option<(OutboxStatus, Option<String>)> {
        let now = self.now();
        let r = self
            .inner
            .store
            .run(move |s| {
                let id = s.enqueue(&row, now)?;
                Ok(s.outbox_row(id)?.map(|r| (r.status, r.last_error)))
            })
            .await;
        self.inner.worker_kick.notify_one();
        match r {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "cannot enqueue outbox row");
                None
            }
        }
    }

    async fn enqueue_capture(&mut self, amount: i64) {
        let payload = Payload::Capture {
            api: self.r.api,
            id: self.id.clone(),
            amount,
            currency: self.r.amount.currency().code().to_owned(),
        };
        let row = NewOutbox {
            kind: OutboxKind::Capture,
            payment_id: Some(self.r.payment_id),
            reference: Some(self.r.reference.clone()),
            idempotency_key: self.r.keys.capture.clone(),
            payload_json: payload.to_json(),
        };
        match self.enqueue(row).await {
            // The journal could not write the row: no capture was sent. Read again and ask
            // for the capture once more (same key) when writing works.
            None => self.feed(Event::CaptureFailed {
                definite: false,
                reason: crate::engine::events::AlertKind::JournalUnwritable.text(),
            }),
            // The row already ran (recovery after a capture whose state change was lost).
            Some((OutboxStatus::Done, _)) => self.feed(Event::CaptureDone {
                captured: self.amounts.captured.max(amount),
            }),
            Some((OutboxStatus::Dead, err)) => self.feed(Event::CaptureFailed {
                definite: true,
                reason: Text::new(
                    format!("Trekket feilet: {}", err.clone().unwrap_or_default()),
                    format!("Capture failed: {}", err.unwrap_or_default()),
                ),
            }),
            _ => {}
        }
    }

    async fn enqueue_cancel(&mut self, transaction_only: bool) {
        self.cancels += 1;
        // One key per cancel attempt: the first is the journaled cancel key; a void (full
        // release) and later attempts get derived keys, all stored in their outbox rows.
        let key = if !transaction_only {
            format!("{}-v{}", self.r.keys.cancel, self.cancels)
        } else if self.cancels == 1 {
            self.r.keys.cancel.clone()
        } else {
            format!("{}-{}", self.r.keys.cancel, self.cancels)
        };
        let payload = Payload::Cancel {
            api: self.r.api,
            id: self.id.clone(),
            amount: self.r.amount.minor(),
            currency: self.r.amount.currency().code().to_owned(),
            transaction_only: transaction_only && self.r.api == ApiKind::Epayment,
            void: !transaction_only,
        };
        self.cancel_key = Some(key.clone());
        let row = NewOutbox {
            kind: OutboxKind::Cancel,
            payment_id: Some(self.r.payment_id),
            reference: Some(self.r.reference.clone()),
            idempotency_key: key,
            payload_json: payload.to_json(),
        };
        match self.enqueue(row).await {
            // Not written, not sent: a read decides and the cancel is asked for again.
            None => self.feed(Event::CancelFailed {
                definite: false,
                reason: crate::engine::events::AlertKind::JournalUnwritable.text(),
            }),
            Some((OutboxStatus::Done, _)) => self.feed(Event::CancelDone),
            Some((OutboxStatus::Dead, err)) => self.feed(Event::CancelFailed {
                definite: true,
                reason: Text::new(
                    format!("Avbrudd feilet: {}", err.clone().unwrap_or_default()),
                    format!("Cancel failed: {}", err.unwrap_or_default()),
                ),
            }),
            _ => {}
        }
    }

    async fn on_msg(&mut self, m: DriverMsg) {
        match m {
            DriverMsg::Cancel => {
                self.journal(NewOperation {
                    staff_id: self.inner.cfg.staff_id.clone(),
                    detail: Some(format!("cashier abort in state {}", self.fsm.code())),
                    ..NewOperation::new("abort", OpOutcome::Info, self.now())
                })
                .await;
                self.feed(Event::CancelRequested);
            }
            DriverMsg::Resolve {
                resolution,
                staff_id,
                why,
            } => {
                if !matches!(self.fsm.phase(), Phase::AuthorizedAfterCancel { .. }) {
                    return;
                }
                self.journal(NewOperation {
                    staff_id: Some(staff_id),
                    detail: Some(format!("after abort: {resolution:?}: {why}")),
                    ..NewOperation::new("resolve", OpOutcome::Info, self.now())
                })
                .await;
                self.feed(match resolution {
                    Resolution::Complete => Event::CompleteRequested,
                    Resolution::Void => Event::VoidRequested,
                });
            }
            DriverMsg::CaptureDone { amounts } => {
                if let Some(a) = amounts {
                    self.amounts = a;
                }
                let captured = amounts.map_or(self.r.amount.minor(), |a| a.captured);
                self.feed(Event::CaptureDone { captured });
            }
            DriverMsg::CaptureFailed { reason } => {
                self.feed(Event::CaptureFailed {
                    definite: true,
                    reason,
                });
            }
            DriverMsg::CancelDone { key } if self.cancel_key.as_deref() == Some(&key) => {
                self.feed(Event::CancelDone);
            }
            DriverMsg::CancelFailed { key, reason } if self.cancel_key.as_deref() == Some(&key) => {
                self.feed(Event::CancelFailed {
                    definite: true,
                    reason,
                });
            }
            DriverMsg::CancelDone { key } | DriverMsg::CancelFailed { key, .. } => {
                tracing::info!(reference = %self.r.reference, %key, "answer to an earlier cancel; the latest decides");
            }
        }
        self.sync().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payment::CancelOrigin;

    #[test]
    fn already_exists_is_recognised_per_api() {
        let err = |status: u16, code: &str| ProviderError {
            http_status: Some(status),
            code: Some(code.into()),
            ..ProviderError::new(ErrorClass::Rejected, Text::new("x", "x"), "x")
        };
        assert!(is_already_exists(&err(402, "34")));
        assert!(is_already_exists(&err(409, "4150")));
        assert!(is_already_exists(&err(400, "99")));
        // 4150 is also the refund idempotency conflict; only a 409 on create counts.
        assert!(!is_already_exists(&err(400, "4150")));
        assert!(!is_already_exists(&err(400, "35")));
    }

    #[test]
    fn only_matching_amount_currency_and_time_prove_a_payment_ours() {
        use crate::domain::money::Currency;
        use crate::engine::provider::PaymentFacts;
        let t0 = time::macros::datetime!(2026-11-21 12:00:00 UTC);
        let now = t0 + time::Duration::seconds(40);
        let amount = Money::nok(4990);
        let ours = PaymentFacts {
            amount: Some(4990),
            currency: Some(Currency::Nok),
            created_at: Some(t0 + time::Duration::seconds(1)),
        };
        assert_eq!(facts_match(&ours, amount, t0, now), Ok(()));
        let bad = [
            PaymentFacts {
                amount: Some(4991),
                ..ours
            },
            PaymentFacts {
                currency: Some(Currency::Dkk),
                ..ours
            },
            // Created long before this attempt began: an older payment under the same reference.
            PaymentFacts {
                created_at: Some(t0 - time::Duration::hours(3)),
                ..ours
            },
            PaymentFacts {
                created_at: Some(now + time::Duration::hours(1)),
                ..ours
            },
            // Unknown is not proof.
            PaymentFacts {
                amount: None,
                ..ours
            },
            PaymentFacts {
                currency: None,
                ..ours
            },
            PaymentFacts {
                created_at: None,
                ..ours
            },
        ];
        for f in bad {
            assert!(facts_match(&f, amount, t0, now).is_err(), "{f:?}");
        }
        assert!(!facts_contradict(&ours, amount));
        assert!(!facts_contradict(&PaymentFacts::default(), amount));
        assert!(facts_contradict(
            &PaymentFacts {
                amount: Some(1),
                ..ours
            },
            amount
        ));
    }

    #[test]
    fn phase_maps_to_screen_and_journal_states() {
        let t = Text::new("x", "x");
        let table = [
            (Phase::Creating, PaymentState::Creating, PayState::Creating),
            (
                Phase::CreateUncertain,
                PaymentState::Creating,
                PayState::Creating,
            ),
            (
                Phase::WaitingForCustomer,
                PaymentState::WaitingForCustomer,
                PayState::WaitingUser,
            ),
            (
                Phase::WaitingForApproval,
                PaymentState::WaitingForApproval,
                PayState::WaitingApproval,
            ),
            (
                Phase::Authorized,
                PaymentState::Authorized,
                PayState::Authorized,
            ),
            (
                Phase::Capturing,
                PaymentState::Capturing,
                PayState::Capturing,
            ),
            (Phase::Paid, PaymentState::Paid, PayState::Captured),
            (
                Phase::Cancelling {
                    origin: CancelOrigin::Cashier,
                },
                PaymentState::Cancelling,
                PayState::Cancelling,
            ),
            (
                Phase::AuthorizedAfterCancel { note: None },
                PaymentState::NeedsDecision,
                PayState::Cancelling,
            ),
            (
                Phase::Voiding,
                PaymentState::Cancelling,
                PayState::Cancelling,
            ),
            (Phase::Voided, PaymentState::Voided, PayState::Cancelled),
            (Phase::Rejected, PaymentState::Rejected, PayState::Rejected),
            (Phase::Expired, PaymentState::Expired, PayState::Expired),
            (
                Phase::Cancelled,
                PaymentState::Cancelled,
                PayState::Cancelled,
            ),
            (
                Phase::Failed { reason: t.clone() },
                PaymentState::Failed,
                PayState::Failed,
            ),
            (
                Phase::CaptureFailed { reason: t.clone() },
                PaymentState::Failed,
                PayState::Failed,
            ),
            (
                Phase::AmountMismatch { reason: t },
                PaymentState::Failed,
                PayState::Failed,
            ),
        ];
        for (phase, screen, journal) in table {
            assert_eq!(state_of(&phase), screen, "{phase:?}");
            assert_eq!(pay_state(&phase), journal, "{phase:?}");
            // Terminal phases are final on screen and in the journal (no recovery needed).
            assert_eq!(phase.is_terminal(), screen.is_final(), "{phase:?}");
            assert_eq!(phase.is_terminal(), journal.is_terminal(), "{phase:?}");
        }
    }
}
