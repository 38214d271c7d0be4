//! The payment state machine: pure, provider-neutral, clock passed in on every call.
//!
//! The engine owns the IO. It creates the payment, feeds every outcome in as an [`Event`]
//! together with the current time, and carries out the returned [`Effect`]s. Nothing here
//! sleeps, reads a clock or talks to the network.
//!
//! ```text
//! Creating ──Created──▶ WaitingForCustomer ──opened / created+5 min──▶ WaitingForApproval
//!    │  └─CreateFailed{definite:false}─▶ CreateUncertain ──read: NotFound──▶ RetryCreate (same key)
//!    ▼                      │ read: AUTHORIZED                   │
//!  Failed                   ▼                                    ▼
//!                       Capturing ──CaptureDone(== amount)──▶ Paid
//!                           │ CaptureFailed{definite:false} ─▶ Authorized (read, then capture again)
//!  read: ABORTED ▶ Rejected · EXPIRED ▶ Expired · TERMINATED ▶ Cancelled · failure ▶ Failed
//!  cashier abort ▶ Cancelling ──read: AUTHORIZED──▶ AuthorizedAfterCancel ─▶ complete | void
//! ```
//!
//! Rules that keep money safe:
//! - A timeout is never a failure: an uncertain create, capture or cancel is followed by a read,
//!   and only a read decides. `RetryCreate` means "send the same create with the same
//!   idempotency key and reference", never a new reference.
//! - The full 10 minutes are honoured. At the final deadline the machine reads once more; if
//!   Vipps still says CREATED it asks for `Cancel { transaction_only: true }` and reads back.
//!   Nothing cancels locally before created + 10 min: the "opened" signal only moves the
//!   screen to "waiting for approval".
//! - A customer approval that races a cashier abort is never dropped: it becomes
//!   [`Phase::AuthorizedAfterCancel`] and waits for the cashier to complete or void it.

use crate::lang::Text;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Customer's time to open the payment (push / QR / landing page).
pub const OPEN_WINDOW: Duration = Duration::minutes(5);
/// Customer's time to approve after opening.
pub const APPROVE_WINDOW: Duration = Duration::minutes(5);
/// Whole window: open + approve.
pub const TOTAL_WINDOW: Duration = Duration::minutes(10);

/// What a read of the payment at the provider (ePayment / eCom / PSP) says, mapped by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderStatus {
    /// The provider does not know the reference.
    NotFound,
    /// Created, not yet approved. `opened` = when the customer opened it, if the provider says.
    Created { opened: Option<OffsetDateTime> },
    /// Approved; amounts (minor units) from the provider's aggregate.
    Authorized {
        authorized: i64,
        captured: i64,
        refunded: i64,
        cancelled: i64,
    },
    /// The customer rejected / cancelled in the app.
    Aborted,
    /// The customer did not act in time.
    Expired,
    /// The merchant cancelled before approval.
    Terminated,
    /// Anything else final (e.g. eCom `FAILED`, PSP `REJECTED` with a reason).
    Failed { reason: Text },
}

/// Something that happened, fed to [`Payment::handle`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The create call succeeded; `at` = when its 2xx arrived (a little after Vipps' own
    /// creation time, so the deadlines computed from it never cut the customer short).
    Created {
        at: OffsetDateTime,
    },
    /// The create call failed. `definite` = a 4xx or other answer that proves nothing was created;
    /// `false` = timeout / 5xx / dropped connection: the outcome is unknown.
    CreateFailed {
        definite: bool,
        reason: Text,
        /// The server's `Retry-After` (429 / 423): the next attempt waits at least this long.
        retry_after: Option<Duration>,
    },
    /// A read succeeded.
    Read(ProviderStatus),
    /// A read failed: 429 / 423 (with `Retry-After` if given) or a transport error (`offline`).
    ReadFailed {
        retry_after: Option<Duration>,
        offline: bool,
    },
    /// The capture answered; `captured` is the provider's total captured amount.
    CaptureDone {
        captured: i64,
    },
    CaptureFailed {
        definite: bool,
        reason: Text,
    },
    /// The cashier pressed abort.
    CancelRequested,
    /// The cancel call answered 2xx.
    CancelDone,
    /// The cancel call failed (e.g. 6060 already authorized, 6250 processing, timeout).
    CancelFailed {
        definite: bool,
        reason: Text,
    },
    /// In [`Phase::AuthorizedAfterCancel`]: the cashier chose to complete the sale (capture).
    CompleteRequested,
    /// In [`Phase::AuthorizedAfterCancel`]: the cashier chose to void (cancel the reservation).
    VoidRequested,
    /// Time passed (the engine ticks at [`Payment::next_wakeup`] or about once a second).
    Tick,
}

/// What the engine must do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Read the payment at (not before) `at`, then feed `Read` / `ReadFailed`. A newer
    /// `ReadStatus` replaces any earlier one still pending ([`Payment::next_read`] is the truth).
    ReadStatus { at: OffsetDateTime },
    /// Capture `amount` minor units (same idempotency key on retries of the same amount).
    Capture { amount: i64 },
    /// Cancel. `transaction_only: true` = ePayment `cancelTransactionOnly` (cancel only if not
    /// yet authorized). Then feed `CancelDone` / `CancelFailed`.
    Cancel { transaction_only: bool },
    /// Send the create again with the SAME reference and idempotency key.
    RetryCreate,
    /// Tell the cashier (and write to the journal).
    Notify(Text),
}

/// Who started a cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancelOrigin {
    /// The cashier aborted the sale.
    Cashier,
    /// The 10-minute window ran out and the final read still said CREATED.
    Deadline,
}

/// Where the payment stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Creating,
    /// The create's outcome is unknown; a read decides before anything else.
    CreateUncertain,
    WaitingForCustomer,
    WaitingForApproval,
    /// Approved; a capture's outcome is unknown and is being verified by a read.
    Authorized,
    Capturing,
    Paid,
    Cancelling {
        origin: CancelOrigin,
    },
    /// The customer approved while the cashier aborted. The cashier must complete or void.
    AuthorizedAfterCancel {
        note: Option<Text>,
    },
    /// The cashier chose to void an approved payment; cancel in progress.
    Voiding,
    /// Approved, then voided on purpose (reservation released).
    Voided,
    Rejected,
    Expired,
    Cancelled,
    Failed {
        reason: Text,
    },
    /// Approved but the capture was refused; the reservation may still be held.
    CaptureFailed {
        reason: Text,
    },
    /// Amounts at the provider differ from the sale (authorized or captured ≠ expected).
    AmountMismatch {
        reason: Text,
    },
}

impl Phase {
    /// Stable machine code for JSON output and the journal.
    pub const fn code(&self) -> &'static str {
        match self {
            Phase::Creating => "creating",
            Phase::CreateUncertain => "create_uncertain",
            Phase::WaitingForCustomer => "waiting_for_customer",
            Phase::WaitingForApproval => "waiting_for_approval",
            Phase::Authorized => "authorized",
            Phase::Capturing => "capturing",
            Phase::Paid => "paid",
            Phase::Cancelling { .. } => "cancelling",
            Phase::AuthorizedAfterCancel { .. } => "authorized_after_cancel",
            Phase::Voiding => "voiding",
            Phase::Voided => "voided",
            Phase::Rejected => "rejected",
            Phase::Expired => "expired",
            Phase::Cancelled => "cancelled",
            Phase::Failed { .. } => "failed",
            Phase::CaptureFailed { .. } => "capture_failed",
            Phase::AmountMismatch { .. } => "amount_mismatch",
        }
    }

    pub const fn is_terminal(&self) -> bool {
        matches!(
            self,
            Phase::Paid
                | Phase::Voided
                | Phase::Rejected
                | Phase::Expired
                | Phase::Cancelled
                | Phase::Failed { .. }
                | Phase::CaptureFailed { .. }
                | Phase::AmountMismatch { .. }
        )
    }

    /// Waiting for the customer (either phase).
    pub const fn is_waiting(&self) -> bool {
        matches!(self, Phase::WaitingForCustomer | Phase::WaitingForApproval)
    }
}

/// Poll schedule and back-off, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollPolicy {
    /// First read after a successful create.
    pub first_delay: Duration,
    /// Normal gap between reads.
    pub interval: Duration,
    /// Hard cap on reads per rolling minute per payment (ePayment allows 120 GETs/min).
    pub max_per_minute: usize,
    /// First back-off after a failed read; doubles per consecutive failure.
    pub backoff_base: Duration,
    /// Largest computed back-off.
    pub backoff_cap: Duration,
    /// Largest `Retry-After` honoured (a bogus header must not stall a sale for hours).
    pub retry_after_cap: Duration,
    /// Least time between two cancel calls (ePayment allows 5 per minute).
    pub cancel_gap: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first_delay: Duration::seconds(1),
            interval: Duration::seconds(1),
            max_per_minute: 60,
            backoff_base: Duration::seconds(2),
            backoff_cap: Duration::seconds(30),
            retry_after_cap: Duration::minutes(2),
            cancel_gap: Duration::seconds(15),
        }
    }
}

impl PollPolicy {
    /// Delay before the next read after `failures` consecutive failed reads (0 = healthy),
    /// honouring `retry_after` (up to `retry_after_cap`).
    pub fn delay(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let computed = if failures == 0 {
            self.interval
        } else {
            let factor = 1i32
                .checked_shl(failures.saturating_sub(1).min(20))
                .unwrap_or(i32::MAX);
            self.backoff_base
                .checked_mul(factor)
                .unwrap_or(self.backoff_cap)
                .min(self.backoff_cap)
                .max(self.interval)
        };
        match retry_after {
            Some(ra) => computed.max(ra.min(self.retry_after_cap)),
            None => computed,
        }
    }

    /// The earliest time ≥ `wanted` at which one more read keeps at most `max_per_minute`
    /// reads in any rolling 60 s window, given the already scheduled `recent` reads (sorted).
    pub fn rate_limited(
        &self,
        wanted: OffsetDateTime,
        recent: &[OffsetDateTime],
    ) -> OffsetDateTime {
        let max = self.max_per_minute.max(1);
        if recent.len() < max {
            return wanted;
        }
        // The read `max` places back must be at least a minute before the new one.
        let idx = recent.len() - max;
        let earliest = recent[idx] + Duration::minutes(1);
        wanted.max(earliest)
    }
}

/// Time left in each countdown, for the UI gauges. `None` = that countdown does not apply now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Countdowns {
    /// Until the customer must have opened the payment (phase 1 only).
    pub open_left: Option<Duration>,
    /// Until the final deadline (the whole window; shown in both phases).
    pub approve_left: Option<Duration>,
    pub phase: &'static str,
}

impl Countdowns {
    /// Whole seconds left to open (rounded up, so the gauge shows 0 only when time is up).
    pub fn open_secs(&self) -> Option<i64> {
        self.open_left.map(ceil_secs)
    }
    /// Whole seconds left until the final deadline (rounded up).
    pub fn approve_secs(&self) -> Option<i64> {
        self.approve_left.map(ceil_secs)
    }
}

fn ceil_secs(d: Duration) -> i64 {
    let whole = d.whole_seconds();
    if d.subsec_nanoseconds() > 0 {
        whole + 1
    } else {
        whole
    }
}

/// `m:ss` for countdowns (`9:59`, `0:05`); negative durations show `0:00`.
pub fn format_mmss(d: Duration) -> String {
    let s = ceil_secs(d.max(Duration::ZERO));
    format!("{}:{:02}", s / 60, s % 60)
}

/// The two deadlines of a created payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// created + 5 min.
    pub open_by: OffsetDateTime,
    /// created + 10 min: the whole window, never cut short. The customer's "opened" signal
    /// only changes what the screen says (waiting for approval), never this deadline: Vipps
    /// may count its own approve window differently, and a local cancel before the full
    /// window is over could release a payment the customer is about to approve.
    pub final_at: OffsetDateTime,
}

/// One payment attempt (one reference) of `amount` minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    amount: i64,
    phase: Phase,
    policy: PollPolicy,
    started_at: OffsetDateTime,
    created_at: Option<OffsetDateTime>,
    opened_at: Option<OffsetDateTime>,
    /// Reads scheduled in the last minute (for the rate cap), ascending.
    reads: Vec<OffsetDateTime>,
    next_read: Option<OffsetDateTime>,
    read_failures: u32,
    /// Uncertain creates so far (backs off the read-then-retry loop; create is 5/min at Vipps).
    create_failures: u32,
    offline: bool,
    final_read_requested: bool,
    cancel_pending: bool,
    last_cancel_at: Option<OffsetDateTime>,
    last_reason: Option<Text>,
    /// The API tells when the customer opened the payment (eCom); ePayment and PSP do not.
    open_signal: bool,
    /// When a read showed the payment finished (for saying why it expired).
    ended_at: Option<OffsetDateTime>,
}

fn t(nb: &str, en: &str) -> Text {
    Text::new(nb, en)
}

/// Plain amount for messages: `49.90` (English) / `49,90` (Norwegian).
fn amt(minor: i64, sep: char) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let a = minor.unsigned_abs();
    format!("{sign}{}{sep}{:02}", a / 100, a % 100)
}

fn kr(minor: i64) -> String {
    amt(minor, '.')
}

fn kr_nb(minor: i64) -> String {
    amt(minor, ',')
}

impl Payment {
    /// A payment whose create call the engine is about to send.
    pub fn new(amount: i64, now: OffsetDateTime) -> Payment {
        Payment::with_policy(amount, now, PollPolicy::default())
    }

    pub fn with_policy(amount: i64, now: OffsetDateTime, policy: PollPolicy) -> Payment {
        Payment {
            amount,
            phase: Phase::Creating,
            policy,
            started_at: now,
            created_at: None,
            opened_at: None,
            reads: Vec::new(),
            next_read: None,
            read_failures: 0,
            create_failures: 0,
            offline: false,
            final_read_requested: false,
            cancel_pending: false,
            last_cancel_at: None,
            last_reason: None,
            open_signal: false,
            ended_at: None,
        }
    }

    /// The API reports when the customer opened the payment (eCom "opened"), so the screen may
    /// show the two phases as they happen. Without it (ePayment, PSP) the till only knows the
    /// time to open (from creation) and the latest possible end.
    #[must_use]
    pub fn with_open_signal(mut self, open_signal: bool) -> Payment {
        self.open_signal = open_signal;
        self
    }

    /// See [`Payment::with_open_signal`].
    pub fn open_signal(&self) -> bool {
        self.open_signal
    }

    /// Resume an unfinished payment after a restart: its state is unknown until a read, so it
    /// starts in [`Phase::CreateUncertain`] and asks for a read now. `created_at` is the create
    /// time from the journal if the create's answer was recorded.
    pub fn resume(
        amount: i64,
        started_at: OffsetDateTime,
        created_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> (Payment, Vec<Effect>) {
        Payment::resume_with_policy(amount, started_at, created_at, now, PollPolicy::default())
    }

    /// [`Payment::resume`] with the till's own poll policy (the same one new payments use).
    pub fn resume_with_policy(
        amount: i64,
        started_at: OffsetDateTime,
        created_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
        policy: PollPolicy,
    ) -> (Payment, Vec<Effect>) {
        let mut p = Payment::with_policy(amount, started_at, policy);
        p.created_at = created_at;
        p.phase = Phase::CreateUncertain;
        let e = p.schedule_read(now, Duration::ZERO);
        (p, vec![e])
    }

    pub fn amount(&self) -> i64 {
        self.amount
    }
    pub fn phase(&self) -> &Phase {
        &self.phase
    }
    pub fn code(&self) -> &'static str {
        self.phase.code()
    }
    pub fn is_terminal(&self) -> bool {
        self.phase.is_terminal()
    }
    /// The cashier (or staff) must act or look: an approval that raced an abort, a refused
    /// capture, or amounts that do not match.
    pub fn needs_attention(&self) -> bool {
        matches!(
            self.phase,
            Phase::AuthorizedAfterCancel { .. }
                | Phase::CaptureFailed { .. }
                | Phase::AmountMismatch { .. }
        )
    }
    /// The last read failed on transport: Vipps is unreachable from here.
    pub fn is_offline(&self) -> bool {
        self.offline
    }
    pub fn created_at(&self) -> Option<OffsetDateTime> {
        self.created_at
    }
    pub fn opened_at(&self) -> Option<OffsetDateTime> {
        self.opened_at
    }
    /// When the next read is due (the engine may sleep until then, then read and/or Tick).
    pub fn next_read(&self) -> Option<OffsetDateTime> {
        self.next_read
    }
    /// Earliest moment something happens by time alone: the next read or a deadline.
    pub fn next_wakeup(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let mut candidates: Vec<OffsetDateTime> = self.next_read.into_iter().collect();
        if self.phase.is_waiting()
            && let Some(d) = self.deadlines()
        {
            candidates.extend([d.open_by, d.final_at].into_iter().filter(|x| *x > now));
        }
        candidates.into_iter().min()
    }

    /// The deadlines, once the create time is known.
    pub fn deadlines(&self) -> Option<Deadlines> {
        let created = self.created_at?;
        Some(Deadlines {
            open_by: created + OPEN_WINDOW,
            final_at: created + TOTAL_WINDOW,
        })
    }

    /// Why it expired, in the words the API's events support. eCom reports "opened", so it can
    /// say which of the two windows ran out; ePayment does not, so the till says when it
    /// expired and what the customer had, never a reason it cannot know.
    fn expired_reason(&self) -> Text {
        let again = (
            "Start en ny betaling om kunden vil betale.",
            "Start a new payment if they still want to pay.",
        );
        if self.opened_at.is_some() {
            return Text::new(
                format!(
                    "Kunden åpnet betalingen, men godkjente den ikke innen 5 minutter. {}",
                    again.0
                ),
                format!(
                    "The customer opened the payment but did not approve it within 5 minutes. {}",
                    again.1
                ),
            );
        }
        if self.open_signal {
            return Text::new(
                format!("Kunden åpnet ikke betalingen innen 5 minutter. {}", again.0),
                format!(
                    "The customer did not open the payment within 5 minutes. {}",
                    again.1
                ),
            );
        }
        let after = match (self.created_at, self.ended_at) {
            (Some(c), Some(e)) if e > c => {
                let s = (e - c).whole_seconds().max(0);
                Some(format!("{}:{:02}", s / 60, s % 60))
            }
            _ => None,
        };
        match after {
            Some(mmss) => Text::new(
                format!(
                    "Betalingen utløp etter {mmss} uten godkjenning (kunden har 5 minutter til å åpne den og 5 til å godkjenne). {}",
                    again.0
                ),
                format!(
                    "The payment expired after {mmss} without approval (the customer has 5 minutes to open it and 5 to approve). {}",
                    again.1
                ),
            ),
            None => Text::new(
                format!(
                    "Betalingen utløp uten godkjenning (kunden har 5 minutter til å åpne den og 5 til å godkjenne). {}",
                    again.0
                ),
                format!(
                    "The payment expired without approval (the customer has 5 minutes to open it and 5 to approve). {}",
                    again.1
                ),
            ),
        }
    }

    /// Cashier-readable explanation for a finished (or stuck) payment.
    pub fn reason(&self) -> Option<Text> {
        match &self.phase {
            Phase::Failed { reason }
            | Phase::CaptureFailed { reason }
            | Phase::AmountMismatch { reason } => Some(reason.clone()),
            Phase::Rejected => Some(t(
                "Kunden avviste betalingen i appen. Spør om en annen betalingsmåte.",
                "The customer rejected the payment in the app. Ask for another way to pay.",
            )),
            Phase::Expired => Some(self.expired_reason()),
            Phase::Cancelled => Some(self.last_reason.clone().unwrap_or_else(|| {
                t(
                    "Betalingen ble avbrutt. Ingen penger er trukket.",
                    "The payment was cancelled. No money was taken.",
                )
            })),
            Phase::Voided => Some(t(
                "Betalingen var godkjent, men ble annullert etter valg fra kassen. Reservasjonen er frigitt.",
                "The payment was approved but voided by the cashier. The reservation is released.",
            )),
            Phase::AuthorizedAfterCancel { note } => Some(note.clone().unwrap_or_else(|| {
                t(
                    "Kunden godkjente betalingen mens du avbrøt. Velg: fullfør salget eller annuller betalingen.",
                    "The customer approved while you were aborting. Choose: complete the sale or void the payment.",
                )
            })),
            _ => None,
        }
    }

    /// Countdowns for the UI gauges.
    pub fn countdowns(&self, now: OffsetDateTime) -> Countdowns {
        let left = |until: OffsetDateTime| Some((until - now).max(Duration::ZERO));
        // Once the customer opened it, the screen counts the approve window Vipps shows the
        // customer (opened + 5 min); the till itself keeps waiting until created + 10 min.
        let shown_final = |d: Deadlines| match self.opened_at {
            Some(o) => d.final_at.min(o + APPROVE_WINDOW),
            None => d.final_at,
        };
        let (open_left, approve_left) = match (&self.phase, self.deadlines()) {
            (Phase::WaitingForCustomer, Some(d)) => (left(d.open_by), left(shown_final(d))),
            (Phase::WaitingForApproval, Some(d)) => (None, left(shown_final(d))),
            _ => (None, None),
        };
        Countdowns {
            open_left,
            approve_left,
            phase: self.phase.code(),
        }
    }

    fn schedule_read(&mut self, now: OffsetDateTime, delay: Duration) -> Effect {
        let wanted = now + delay;
        self.reads.retain(|r| *r > wanted - Duration::minutes(1));
        let at = self.policy.rate_limited(wanted, &self.reads);
        self.reads.push(at);
        self.reads.sort();
        self.next_read = Some(at);
        Effect::ReadStatus { at }
    }

    fn next_poll(&mut self, now: OffsetDateTime) -> Effect {
        let d = self.policy.delay(self.read_failures, None);
        self.schedule_read(now, d)
    }

    fn enter(&mut self, phase: Phase) {
        if phase.is_terminal() {
            self.next_read = None;
        }
        self.phase = phase;
    }

    /// Vipps created it (the journal says when) less than the whole window ago.
    fn within_created_window(&self, now: OffsetDateTime) -> bool {
        self.deadlines().is_some_and(|d| now < d.final_at)
    }

    fn past_final(&self, now: OffsetDateTime) -> bool {
        self.deadlines().is_some_and(|d| now >= d.final_at)
    }

    /// Ask for a cancel unless one went out less than `cancel_gap` ago; otherwise read again.
    fn cancel_or_wait(&mut self, now: OffsetDateTime, transaction_only: bool) -> Vec<Effect> {
        let allowed = self
            .last_cancel_at
            .is_none_or(|last| now - last >= self.policy.cancel_gap);
        if allowed {
            self.last_cancel_at = Some(now);
            self.next_read = None;
            vec![Effect::Cancel { transaction_only }]
        } else {
            vec![self.next_poll(now)]
        }
    }

    fn start_capture(&mut self, captured: i64) -> Vec<Effect> {
        self.next_read = None;
        let remaining = self.amount - captured;
        self.enter(Phase::Capturing);
        vec![Effect::Capture { amount: remaining }]
    }

    /// The provider says AUTHORIZED. Decide between capture, paid, void and mismatch.
    fn on_authorized(
        &mut self,
        now: OffsetDateTime,
        authorized: i64,
        captured: i64,
        refunded: i64,
        cancelled: i64,
    ) -> Vec<Effect> {
        if authorized != self.amount {
            let reason = Text::new(
                format!(
                    "Vipps har godkjent {} kr, men salget er på {} kr. Ikke lever varene før beløpet er kontrollert; annuller eller refunder i Vipps-portalen.",
                    kr_nb(authorized),
                    kr_nb(self.amount)
                ),
                format!(
                    "Vipps authorized {} but the sale is {}. Do not hand over the goods until the amount is checked; cancel or refund in the Vipps portal.",
                    kr(authorized),
                    kr(self.amount)
                ),
            );
            self.enter(Phase::AmountMismatch { reason });
            return vec![];
        }
        if captured == self.amount && refunded == 0 {
            self.enter(Phase::Paid);
            return vec![];
        }
        if cancelled > 0 || refunded > 0 || captured > self.amount {
            let reason = Text::new(
                format!(
                    "Vipps viser trukket {} kr, refundert {} kr, annullert {} kr for et salg på {} kr. Kontroller i Vipps-portalen.",
                    kr_nb(captured),
                    kr_nb(refunded),
                    kr_nb(cancelled),
                    kr_nb(self.amount)
                ),
                format!(
                    "Vipps shows captured {}, refunded {}, cancelled {} for a sale of {}. Check in the Vipps portal.",
                    kr(captured),
                    kr(refunded),
                    kr(cancelled),
                    kr(self.amount)
                ),
            );
            if captured == 0 && refunded == 0 && cancelled == authorized {
                // The whole reservation was released (our void, or a void recorded before a
                // restart): no money moved.
                self.enter(Phase::Voided);
                return vec![];
            }
            self.enter(Phase::AmountMismatch { reason });
            return vec![];
        }
        // Approved, not (fully) captured.
        let cashier_cancel =
            self.cancel_pending && matches!(self.phase, Phase::Creating | Phase::CreateUncertain);
        match self.phase {
            _ if cashier_cancel => self.raced_cancel(),
            Phase::Cancelling {
                origin: CancelOrigin::Cashier,
            } => self.raced_cancel(),
            Phase::AuthorizedAfterCancel { .. } | Phase::Capturing => vec![],
            Phase::Voiding => self.cancel_or_wait(now, false),
            _ => self.start_capture(captured),
        }
    }

    /// The customer approved while the cashier was aborting: stop and ask the cashier.
    fn raced_cancel(&mut self) -> Vec<Effect> {
        self.next_read = None;
        self.cancel_pending = false;
        self.enter(Phase::AuthorizedAfterCancel { note: None });
        vec![Effect::Notify(t(
            "Kunden godkjente betalingen mens du avbrøt. Velg: fullfør salget eller annuller betalingen.",
            "The customer approved while you were aborting. Choose: complete the sale or void the payment.",
        ))]
    }

    fn on_final_status(&mut self, status: &ProviderStatus) -> bool {
        let phase = match status {
            ProviderStatus::Aborted => Phase::Rejected,
            ProviderStatus::Expired => Phase::Expired,
            ProviderStatus::Terminated => Phase::Cancelled,
            ProviderStatus::Failed { reason } => Phase::Failed {
                reason: reason.clone(),
            },
            _ => return false,
        };
        self.enter(phase);
        true
    }

    fn on_read(&mut self, now: OffsetDateTime, status: ProviderStatus) -> Vec<Effect> {
        if self.phase == Phase::Creating {
            // The create is in flight; a stray read result decides nothing.
            return vec![];
        }
        self.read_failures = 0;
        self.offline = false;
        if self.on_final_status(&status) {
            self.ended_at = Some(now);
            return vec![];
        }
        match status {
            ProviderStatus::Authorized {
                authorized,
                captured,
                refunded,
                cancelled,
            } => self.on_authorized(now, authorized, captured, refunded, cancelled),
            ProviderStatus::NotFound => self.on_not_found(now),
            ProviderStatus::Created { opened } => self.on_created_status(now, opened),
            // Handled by on_final_status.
            _ => vec![],
        }
    }

    fn on_not_found(&mut self, now: OffsetDateTime) -> Vec<Effect> {
        match self.phase {
            Phase::CreateUncertain | Phase::Creating => {
                if self.cancel_pending {
                    self.last_reason = Some(t(
                        "Betalingen ble avbrutt før den kom fram til Vipps. Ingen penger er trukket.",
                        "The payment was aborted before it reached Vipps. No money was taken.",
                    ));
                    self.enter(Phase::Cancelled);
                    vec![]
                } else if now - self.started_at >= TOTAL_WINDOW && !self.within_created_window(now)
                {
                    self.enter(Phase::Failed {
                        reason: t(
                            "Betalingen kom aldri fram til Vipps. Ingen penger er trukket; start en ny betaling.",
                            "The payment never reached Vipps. No money was taken; start a new payment.",
                        ),
                    });
                    vec![]
                } else {
                    self.next_read = None;
                    self.enter(Phase::Creating);
                    vec![Effect::RetryCreate]
                }
            }
            Phase::Cancelling { .. } => {
                self.enter(Phase::Cancelled);
                vec![]
            }
            _ => {
                // A read right after create can miss (eventual consistency); keep reading until
                // the window is over, then give up with a reason.
                if self.past_final(now) {
                    self.enter(Phase::Failed {
                        reason: t(
                            "Vipps finner ikke betalingen. Ingen penger er trukket; start en ny betaling.",
                            "Vipps cannot find the payment. No money was taken; start a new payment.",
                        ),
                    });
                    vec![]
                } else {
                    vec![self.next_poll(now)]
                }
            }
        }
    }

    fn on_created_status(
        &mut self,
        now: OffsetDateTime,
        opened: Option<OffsetDateTime>,
    ) -> Vec<Effect> {
        if opened.is_some() && self.opened_at.is_none() {
            self.opened_at = opened;
        }
        match self.phase {
            Phase::CreateUncertain | Phase::Creating => {
                if self.created_at.is_none() {
                    // Created somewhere between start and now; count from now so the customer
                    // is never cut short.
                    self.created_at = Some(now);
                }
                if self.cancel_pending {
                    self.enter(Phase::Cancelling {
                        origin: CancelOrigin::Cashier,
                    });
                    return self.cancel_or_wait(now, true);
                }
                self.enter(Phase::WaitingForCustomer);
                self.after_created_read(now)
            }
            Phase::WaitingForCustomer | Phase::WaitingForApproval => self.after_created_read(now),
            Phase::Cancelling { .. } => self.cancel_or_wait(now, true),
            // Reads while capturing/voiding cannot say CREATED for an approved payment; ignore.
            _ => vec![],
        }
    }

    /// In a waiting phase after a read said CREATED: advance the phase, enforce the deadline.
    fn after_created_read(&mut self, now: OffsetDateTime) -> Vec<Effect> {
        self.advance_by_time(now);
        if self.past_final(now) {
            self.enter(Phase::Cancelling {
                origin: CancelOrigin::Deadline,
            });
            return self.cancel_or_wait(now, true);
        }
        vec![self.next_poll(now)]
    }

    fn advance_by_time(&mut self, now: OffsetDateTime) {
        if self.phase == Phase::WaitingForCustomer {
            let opened = self.opened_at.is_some();
            let open_over = self.deadlines().is_some_and(|d| now >= d.open_by);
            if opened || open_over {
                self.enter(Phase::WaitingForApproval);
            }
        }
    }

    fn on_read_failed(
        &mut self,
        now: OffsetDateTime,
        retry_after: Option<Duration>,
        offline: bool,
    ) -> Vec<Effect> {
        if self.phase.is_terminal()
            || matches!(self.phase, Phase::Creating | Phase::Capturing)
            || matches!(self.phase, Phase::AuthorizedAfterCancel { .. })
        {
            return vec![];
        }
        self.read_failures = self.read_failures.saturating_add(1);
        self.offline = offline;
        let d = self.policy.delay(self.read_failures, retry_after);
        vec![self.schedule_read(now, d)]
    }

    /// Feed one event at time `now`; returns what the engine must do.
    pub fn handle(&mut self, now: OffsetDateTime, event: Event) -> Vec<Effect> {
        if self.phase.is_terminal() {
            return vec![];
        }
        match event {
            Event::Created { at } => match self.phase {
                Phase::Creating | Phase::CreateUncertain => {
                    if self.created_at.is_none() {
                        self.created_at = Some(at);
                    }
                    if self.cancel_pending {
                        self.enter(Phase::Cancelling {
                            origin: CancelOrigin::Cashier,
                        });
                        return self.cancel_or_wait(now, true);
                    }
                    self.enter(Phase::WaitingForCustomer);
                    let wanted = (at + self.policy.first_delay).max(now);
                    vec![self.schedule_read(wanted, Duration::ZERO)]
                }
                _ => vec![],
            },
            Event::CreateFailed {
                definite,
                reason,
                retry_after,
            } => match self.phase {
                Phase::Creating | Phase::CreateUncertain => {
                    if definite {
                        self.enter(Phase::Failed { reason });
                        vec![]
                    } else {
                        self.last_reason = Some(reason);
                        self.enter(Phase::CreateUncertain);
                        self.create_failures = self.create_failures.saturating_add(1);
                        let d = self.policy.delay(self.create_failures, retry_after);
                        vec![self.schedule_read(now, d)]
                    }
                }
                _ => vec![],
            },
            Event::Read(status) => self.on_read(now, status),
            Event::ReadFailed {
                retry_after,
                offline,
            } => self.on_read_failed(now, retry_after, offline),
            Event::CaptureDone { captured } => match self.phase {
                Phase::Capturing | Phase::Authorized => {
                    if captured == self.amount {
                        self.enter(Phase::Paid);
                    } else {
                        let reason = Text::new(
                            format!(
                                "Vipps trakk {} kr, men salget er på {} kr. Kontroller i Vipps-portalen før kunden går.",
                                kr_nb(captured),
                                kr_nb(self.amount)
                            ),
                            format!(
                                "Vipps captured {} but the sale is {}. Check in the Vipps portal before the customer leaves.",
                                kr(captured),
                                kr(self.amount)
                            ),
                        );
                        self.enter(Phase::AmountMismatch { reason });
                    }
                    vec![]
                }
                _ => vec![],
            },
            Event::CaptureFailed { definite, reason } => match self.phase {
                Phase::Capturing | Phase::Authorized => {
                    if definite {
                        self.enter(Phase::CaptureFailed { reason });
                        vec![]
                    } else {
                        self.last_reason = Some(reason);
                        self.enter(Phase::Authorized);
                        self.read_failures = self.read_failures.saturating_add(1);
                        let d = self.policy.delay(self.read_failures, None);
                        vec![self.schedule_read(now, d)]
                    }
                }
                _ => vec![],
            },
            Event::CancelRequested => match self.phase {
                Phase::Creating | Phase::CreateUncertain => {
                    self.cancel_pending = true;
                    vec![]
                }
                Phase::WaitingForCustomer | Phase::WaitingForApproval => {
                    self.enter(Phase::Cancelling {
                        origin: CancelOrigin::Cashier,
                    });
                    self.cancel_or_wait(now, true)
                }
                Phase::Cancelling {
                    origin: CancelOrigin::Deadline,
                } => {
                    // Already cancelling; remember that the cashier wants out too.
                    self.phase = Phase::Cancelling {
                        origin: CancelOrigin::Cashier,
                    };
                    vec![]
                }
                Phase::Authorized | Phase::Capturing => vec![Effect::Notify(t(
                    "Kunden har allerede godkjent; betalingen fullføres. Bruk retur for å betale tilbake.",
                    "The customer has already approved; the payment is being completed. Use a return to pay back.",
                ))],
                _ => vec![],
            },
            Event::CancelDone | Event::CancelFailed { .. } => {
                if let Event::CancelFailed { reason, .. } = &event {
                    self.last_reason = Some(reason.clone());
                }
                match self.phase {
                    // Only a read decides what the cancel did.
                    Phase::Cancelling { .. } | Phase::Voiding => {
                        if let (
                            Phase::Voiding,
                            Event::CancelFailed {
                                definite: true,
                                reason,
                            },
                        ) = (&self.phase, &event)
                        {
                            let note = Some(reason.clone());
                            self.enter(Phase::AuthorizedAfterCancel { note });
                            self.next_read = None;
                            return vec![Effect::Notify(reason.clone())];
                        }
                        vec![self.schedule_read(now, Duration::ZERO)]
                    }
                    _ => vec![],
                }
            }
            Event::CompleteRequested => match self.phase {
                Phase::AuthorizedAfterCancel { .. } => self.start_capture(0),
                _ => vec![],
            },
            Event::VoidRequested => match self.phase {
                Phase::AuthorizedAfterCancel { .. } => {
                    self.enter(Phase::Voiding);
                    self.last_cancel_at = None;
                    self.cancel_or_wait(now, false)
                }
                _ => vec![],
            },
            Event::Tick => self.on_tick(now),
        }
    }

    fn on_tick(&mut self, now: OffsetDateTime) -> Vec<Effect> {
        if !self.phase.is_waiting() {
            return vec![];
        }
        self.advance_by_time(now);
        if self.past_final(now) && !self.final_read_requested {
            // Read once more before deciding anything at the deadline.
            self.final_read_requested = true;
            return vec![self.schedule_read(now, Duration::ZERO)];
        }
        vec![]
    }
}
