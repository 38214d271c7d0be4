//! The boundary between the screen and the checkout engine.
//!
//! `update` returns [`Command`]s (effects the shell hands to the engine) and receives
//! [`AppEvent`]s (results the engine's background tasks send back). Nothing here does IO.

use crate::domain::basket::Basket;
use crate::domain::money::{Currency, Money};
use crate::domain::payment::{Payment, Phase};
use crate::lang::Text;
use ratatui::crossterm::event::KeyEvent;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use time::OffsetDateTime;

/// A parked basket as the screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedBasket {
    pub id: i64,
    pub name: String,
    pub parked_at: OffsetDateTime,
    pub lines: usize,
    pub total: Money,
}

/// How the customer pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayMethod {
    /// Push to the customer's phone: a Norwegian phone number (digits, with country code
    /// `47…`) or a scanned personal QR, passed unmodified (`customer.personalQr`).
    Push { phone_or_personal_qr: String },
    /// Show a QR on the screen for the customer to scan.
    Qr,
}

/// Demo only: the cashier acts as the customer's phone against the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimCustomerAction {
    Open,
    Approve,
    Reject,
}

/// Effects `update` asks the shell / engine to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start a Vipps payment for this basket (the engine mints the reference and keys).
    StartPayment {
        basket: Basket,
        method: PayMethod,
        /// The logged-in cashier (journaled as the sale's staff), `None` when nobody logs in.
        staff_id: Option<String>,
    },
    /// The cashier aborted the payment in progress.
    CancelPayment {
        reference: String,
    },
    /// Pay the same sale by QR after Vipps refused its push (a new attempt of that sale).
    PayByQr {
        reference: String,
    },
    /// The customer approved while the cashier aborted: complete the sale (capture).
    CompleteAfterCancel {
        reference: String,
    },
    /// The customer approved while the cashier aborted: void it on purpose (with a record).
    VoidAfterCancel {
        reference: String,
    },
    /// Demo only: act as the customer's phone on the payment in progress.
    Customer {
        reference: String,
        action: SimCustomerAction,
    },
    /// Print the paper receipt of this paid sale again, marked COPY.
    ReprintReceipt {
        reference: String,
    },
    /// Check a typed manager PIN against the staff journal (login + permission + journal
    /// entry), off the UI task. The answer comes back as [`AppEvent::ManagerPin`].
    VerifyManagerPin {
        request_id: u64,
        pin: ManagerPin,
        permission: ManagerPermission,
    },
    /// Staff: search the journal for sales to refund. Answer: [`AppEvent::StaffSales`].
    FindSales {
        request_id: u64,
        query: crate::domain::refund::SaleQuery,
    },
    /// Staff: load what was captured / refunded and the lines of one sale (by reference or
    /// receipt number). Answer: [`AppEvent::StaffRefundContext`].
    LoadRefund {
        request_id: u64,
        reference: String,
    },
    /// Staff: log the manager in with `pin`, record the refund (key written before any call),
    /// queue it through the outbox, wait for Vipps, print the refund receipt. Answers:
    /// [`AppEvent::StaffRefund`] (queued, then the result).
    Refund {
        request_id: u64,
        pin: ManagerPin,
        request: crate::domain::refund::RefundRequest,
    },
    /// Staff: the sale behind a scanned or typed receipt number, with what can still be
    /// returned. Answer: [`AppEvent::StaffReturnContext`].
    LoadReturn {
        request_id: u64,
        receipt: String,
    },
    /// Staff: log the manager in with `pin`, record the return (cash part signed, Vipps part
    /// queued, one transaction), print the return receipt (drawer kick), wait for the Vipps
    /// part. Answer: [`AppEvent::StaffReturn`].
    Return {
        request_id: u64,
        pin: ManagerPin,
        request: crate::domain::returns::ReturnRequest,
    },
    /// Staff: log the manager in with `pin`, record a return without receipt (cash only,
    /// signed), print its return receipt (drawer kick). Answer: [`AppEvent::StaffReturn`].
    ReturnWithoutReceipt {
        request_id: u64,
        pin: ManagerPin,
        request: crate::domain::returns::FreeReturnRequest,
    },
    /// Staff: the X report of `date` (business day at `utc_offset`), then the same report with
    /// the reconciliation against Vipps. Answers: [`AppEvent::StaffReport`].
    XReport {
        request_id: u64,
        date: time::Date,
        utc_offset: time::UtcOffset,
    },
    /// Staff: take the Z report of `date` (manager PIN), with the cash the cashier counted
    /// in the drawer (minor units; None: not counted). Answer: [`AppEvent::StaffZ`].
    CloseDay {
        request_id: u64,
        pin: ManagerPin,
        date: time::Date,
        utc_offset: time::UtcOffset,
        counted: Option<i64>,
    },
    /// Staff: record an opening float, withdrawal or deposit of `amount` (minor units, > 0)
    /// with the PIN typed at the till (a manager's for withdrawals and deposits); the cashier
    /// logged in at the till (`operator`) is whose drawer it is. Answer:
    /// [`AppEvent::CashRecorded`]; the drawer opens after it.
    RecordCash {
        request_id: u64,
        pin: ManagerPin,
        kind: crate::domain::cash::CashKind,
        amount: i64,
        reason: String,
        operator: Option<String>,
        /// The shop's currency (`shop.currency`).
        currency: String,
    },
    /// Staff: acknowledge every dead, unacknowledged outbox row (manager PIN) and wake the
    /// outbox worker for the rest. Answer: [`AppEvent::StaffAcknowledged`].
    AcknowledgeOutbox {
        request_id: u64,
        pin: ManagerPin,
    },
    /// Staff: the day's authorized-but-uncaptured Vipps payments. Answer:
    /// [`AppEvent::StaffBatchCandidates`].
    LoadBatch {
        request_id: u64,
        date: time::Date,
        utc_offset: time::UtcOffset,
    },
    /// Staff: capture what is still reserved on these payments (manager PIN), within Vipps'
    /// rate limits. Answers: [`AppEvent::StaffBatchProgress`] per payment, then
    /// [`AppEvent::StaffBatchDone`].
    RunBatch {
        request_id: u64,
        pin: ManagerPin,
        references: Vec<String>,
    },
    /// A cash-only sale: journal it as paid (tender cash, `received` ≥ the total, change
    /// journaled), print the receipt with the cash tender and kick the drawer. The answer
    /// comes back as [`AppEvent::CashSale`].
    CashSale {
        basket: Basket,
        received: Money,
        /// The logged-in cashier (journaled as the sale's staff), `None` when nobody logs in.
        staff_id: Option<String>,
    },
    /// A split tender: `cash` (less than the total) was taken in cash; journal the sale with
    /// both tenders, then ask Vipps for the remainder only (push or QR, as
    /// [`Command::StartPayment`]).
    StartSplitPayment {
        basket: Basket,
        method: PayMethod,
        cash: Money,
        /// The logged-in cashier (journaled as the sale's staff).
        staff_id: Option<String>,
    },
    /// Log a staff member in at the till with their PIN (lockout and journal in the staff
    /// module), off the UI task. Answer: [`AppEvent::LoggedIn`].
    Login {
        request_id: u64,
        pin: ManagerPin,
    },
    /// Journal that this staff member logged out at the till (the screen already shows the
    /// login screen). Answered only by an [`AppEvent::Error`] if the journal refused it.
    Logout {
        staff_id: String,
    },
    /// Send the cash drawer pulse to the printer (after a manager PIN, journaled by the PIN
    /// check as `open_drawer_no_sale`). Answered by [`AppEvent::DrawerOpened`] or an error.
    OpenDrawer,
    /// Staff: print the refund receipt of this (confirmed) refund again, marked COPY.
    /// Answer: [`AppEvent::RefundReprinted`].
    ReprintRefund {
        refund_number: String,
    },
    /// Staff: print this X or Z report on the receipt printer (TRAINING in demo). `copy`: a Z
    /// report printed again — the shell prints the stored snapshot, marked COPY. Answer:
    /// [`AppEvent::ReportPrinted`].
    PrintReport {
        report: Box<crate::domain::report::Report>,
        copy: bool,
    },
    /// Staff: print the stored Z report of `date` (a day already closed), marked COPY.
    /// Answer: [`AppEvent::ReportPrinted`].
    PrintStoredZ {
        date: time::Date,
    },
    /// Kiosk: save the PIN prompt's lockout (wrong PINs in a row, locked until) so a restart
    /// does not reset it. Sent by the shell whenever it changes. No answer.
    SaveKioskLockout {
        failures: u32,
        locked_until: Option<OffsetDateTime>,
    },
    /// Journal something done at the till that moves no money (kassasystemforskriften
    /// § 2-7-1: every use of the till). Answered only by an [`AppEvent::Error`] if the journal
    /// refused it.
    Journal {
        event: TillEvent,
        /// The logged-in cashier, `None` when nobody logs in.
        staff_id: Option<String>,
    },
    /// Leave the app (the shell restores the terminal).
    /// Park the basket under a name (stored, journaled 13010). Answer: [`AppEvent::Parked`].
    ParkBasket {
        name: String,
        basket: Basket,
        staff_id: Option<String>,
    },
    /// Take a parked basket back (journaled 13011). Answer: [`AppEvent::Resumed`].
    ResumeParked {
        id: i64,
        staff_id: Option<String>,
    },
    /// The whole basket is voided before payment (journaled 13028). Answer:
    /// [`AppEvent::Voided`].
    VoidBasket {
        basket: Basket,
        staff_id: Option<String>,
    },
    /// Read the parked baskets (at start). Answer: [`AppEvent::ParkedList`].
    ListParked,
    Quit,
}

/// A use of the till the fiscal journal records without a sale of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TillEvent {
    /// A line removed from the basket before the sale was completed.
    LineDeleted {
        name: String,
        /// As shown, e.g. "2 stk" / "0,352 kg".
        quantity: String,
        /// The line's amount (VAT-inclusive, after discount).
        total: Money,
    },
    /// A line's quantity lowered before the sale was completed (a line correction, § 2-8-2 s,
    /// as a deletion is; raising a quantity is an ordinary registration).
    QuantityReduced {
        name: String,
        /// As shown before and after, e.g. "3 stk" → "1 stk".
        from: String,
        to: String,
        /// How much the line's amount went down (VAT-inclusive, after discount).
        amount: Money,
    },
    /// A price look-up on the sale screen (13022): the article shown, not added.
    PriceLookup {
        /// The code typed or scanned.
        code: String,
        name: String,
        price: Money,
    },
}

/// The staff member logged in at the till (no PIN, no hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cashier {
    pub staff_id: String,
    pub name: String,
    pub role: crate::domain::staff::Role,
}

/// A cash-only sale the journal recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashSaleDone {
    pub receipt_number: String,
    pub total: Money,
    pub received: Money,
    pub change: Money,
}

/// A PIN typed at the till. Never shown: `Debug` is redacted, equality is constant time.
#[derive(Clone)]
pub struct ManagerPin(SecretString);

impl ManagerPin {
    pub fn new(pin: impl Into<String>) -> ManagerPin {
        ManagerPin(SecretString::from(pin.into()))
    }

    /// The PIN, for the staff login (`service::auth`) only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for ManagerPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManagerPin([redacted])")
    }
}

impl PartialEq for ManagerPin {
    fn eq(&self, other: &ManagerPin) -> bool {
        ct_eq(self.expose().as_bytes(), other.expose().as_bytes())
    }
}

impl Eq for ManagerPin {}

/// Compare without stopping at the first difference (the length is not secret: 4–8 digits).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Manager-only actions the cashier's screen asks for (mirrors
/// [`crate::domain::staff::Permission`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerPermission {
    PriceOverride,
    VoidAfterAuthorization,
    LeaveKiosk,
    Refund,
    ZReport,
    BatchCorrections,
    AcknowledgeOutbox,
    /// Open the cash drawer without a sale.
    OpenDrawer,
}

impl ManagerPermission {
    pub const fn staff(self) -> crate::domain::staff::Permission {
        match self {
            ManagerPermission::PriceOverride => crate::domain::staff::Permission::PriceOverride,
            ManagerPermission::VoidAfterAuthorization => {
                crate::domain::staff::Permission::VoidAfterAuthorization
            }
            ManagerPermission::LeaveKiosk => crate::domain::staff::Permission::LeaveKiosk,
            ManagerPermission::Refund => crate::domain::staff::Permission::Refund,
            ManagerPermission::ZReport => crate::domain::staff::Permission::ZReport,
            ManagerPermission::BatchCorrections => {
                crate::domain::staff::Permission::BatchCorrections
            }
            ManagerPermission::AcknowledgeOutbox => {
                crate::domain::staff::Permission::AcknowledgeOutbox
            }
            ManagerPermission::OpenDrawer => crate::domain::staff::Permission::OpenDrawerNoSale,
        }
    }
}

/// Network reachability of Vipps as the engine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkState {
    Online,
    /// Calls reach Vipps but get no answer in time (see the engine's `NetworkState`).
    NotAnswering,
    Offline,
    #[default]
    Unknown,
}

/// Where a payment stands, as the cashier needs to see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatusView {
    Creating,
    /// Phase 1: the customer has up to 5 minutes to open the request.
    WaitingForCustomer,
    /// Phase 2: the customer opened it and has up to 5 more minutes to approve.
    WaitingForApproval,
    Authorized,
    Capturing,
    Paid,
    Rejected,
    Expired,
    Cancelled,
    Failed,
    /// The cashier aborted (or voided); the cancel is on its way.
    Cancelling,
    /// The cashier aborted, but the customer approved in the meantime: decide.
    AuthorizedAfterCancel,
}

impl PaymentStatusView {
    /// True when the payment is over (the result screen shows).
    pub const fn is_final(self) -> bool {
        match self {
            PaymentStatusView::Paid
            | PaymentStatusView::Rejected
            | PaymentStatusView::Expired
            | PaymentStatusView::Cancelled
            | PaymentStatusView::Failed => true,
            PaymentStatusView::Creating
            | PaymentStatusView::WaitingForCustomer
            | PaymentStatusView::WaitingForApproval
            | PaymentStatusView::Authorized
            | PaymentStatusView::Capturing
            | PaymentStatusView::Cancelling
            | PaymentStatusView::AuthorizedAfterCancel => false,
        }
    }
}

/// A snapshot of the payment in progress, sent by the engine whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub reference: String,
    pub amount: Money,
    pub status: PaymentStatusView,
    /// Time left in phase 1 (to open the request), if running.
    pub open_left: Option<Duration>,
    /// Time left in phase 2 (to approve), if running.
    pub approve_left: Option<Duration>,
    /// What to draw as a QR (QR payments), e.g. the `TEXT/TARGETURL` URL.
    pub qr_payload: Option<String>,
    /// Why it failed / was rejected, in both languages (from the error catalogue).
    pub reason: Option<Text>,
    /// Receipt number once paid.
    pub receipt_number: Option<String>,
    /// Vipps refused the push for a reason a QR code avoids (not a Vipps user, push not enabled
    /// for the shop): the result screen offers a QR for the same sale.
    pub qr_fallback: bool,
    /// The API reports when the customer opened the payment (eCom): two phases on screen.
    /// Without it (ePayment, PSP): the time to open and the latest possible end, never an
    /// "approve" countdown from a moment the till cannot see.
    pub open_signal: bool,
}

impl From<&Phase> for PaymentStatusView {
    fn from(phase: &Phase) -> PaymentStatusView {
        match phase {
            Phase::Creating | Phase::CreateUncertain => PaymentStatusView::Creating,
            Phase::WaitingForCustomer => PaymentStatusView::WaitingForCustomer,
            Phase::WaitingForApproval => PaymentStatusView::WaitingForApproval,
            Phase::Authorized => PaymentStatusView::Authorized,
            Phase::Capturing => PaymentStatusView::Capturing,
            Phase::Paid => PaymentStatusView::Paid,
            Phase::Cancelling { .. } | Phase::Voiding => PaymentStatusView::Cancelling,
            Phase::AuthorizedAfterCancel { .. } => PaymentStatusView::AuthorizedAfterCancel,
            Phase::Voided | Phase::Cancelled => PaymentStatusView::Cancelled,
            Phase::Rejected => PaymentStatusView::Rejected,
            Phase::Expired => PaymentStatusView::Expired,
            Phase::Failed { .. } | Phase::CaptureFailed { .. } | Phase::AmountMismatch { .. } => {
                PaymentStatusView::Failed
            }
        }
    }
}

impl PaymentView {
    /// The view of a domain [`Payment`] at `now` (status, countdowns and reason from the state
    /// machine). The engine adds what only it knows: the QR payload and the receipt number.
    pub fn from_payment(
        reference: impl Into<String>,
        payment: &Payment,
        currency: Currency,
        now: OffsetDateTime,
        qr_payload: Option<String>,
        receipt_number: Option<String>,
    ) -> PaymentView {
        let c = payment.countdowns(now);
        let std = |d: Option<time::Duration>| d.and_then(|d| Duration::try_from(d).ok());
        PaymentView {
            reference: reference.into(),
            amount: Money::new(payment.amount(), currency),
            status: PaymentStatusView::from(payment.phase()),
            open_left: std(c.open_left),
            approve_left: std(c.approve_left),
            qr_payload,
            reason: payment.reason(),
            receipt_number,
            qr_fallback: false,
            open_signal: payment.open_signal(),
        }
    }
}

/// A sale the engine brought to its true state on start, shown when the screen opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredSale {
    pub reference: String,
    pub amount: Money,
    pub outcome: PaymentStatusView,
    pub note: Option<Text>,
}

/// An alert a person must fix: a short label for the status bar and the full text for the
/// message line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertView {
    pub short: Text,
    pub text: Text,
}

/// A whole catalogue handed to the screen; compared by identity (it is only ever replaced
/// whole, and a large one is not compared article by article).
#[derive(Clone)]
pub struct NewCatalog(pub std::sync::Arc<crate::domain::catalog::Catalog>);

impl PartialEq for NewCatalog {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for NewCatalog {}

impl std::fmt::Debug for NewCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewCatalog({} articles)", self.0.len())
    }
}

/// Results coming in from background tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEvent {
    Payment(PaymentView),
    Network(NetworkState),
    Outbox {
        pending: usize,
        dead: usize,
    },
    Recovered(Vec<RecoveredSale>),
    /// Journal rows headquarters has not received yet (only sent when HQ is configured).
    Hq {
        behind: u64,
    },
    /// HQ's catalogue versions were applied to the journal (13021 written): sell from this
    /// catalogue from now on. Lines already in the basket keep the price they were registered at.
    CatalogChanged {
        catalog: NewCatalog,
        versions: Vec<i64>,
    },
    /// An engine alert raised (`Some`) or cleared (`None`), by its code.
    Alert {
        code: &'static str,
        alert: Option<AlertView>,
    },
    Error(Text),
    Tick(OffsetDateTime),
    /// The answer to [`Command::VerifyManagerPin`]: `reason` says why not (wrong PIN, locked
    /// out, not a manager) in both languages.
    ManagerPin {
        request_id: u64,
        ok: bool,
        reason: Option<Text>,
    },
    /// The answer to [`Command::Login`]: who logged in, or why not (wrong PIN with the tries
    /// left, locked for N seconds, journal unreadable) in both languages.
    LoggedIn {
        request_id: u64,
        result: Result<Cashier, Text>,
    },
    /// The answer to [`Command::CashSale`]: journaled (and sent to the printer), or why not.
    CashSale(Result<CashSaleDone, Text>),
    /// The drawer pulse went to the printer queue.
    DrawerOpened,
    /// The parked baskets now waiting (oldest first).
    ParkedList(Vec<ParkedBasket>),
    /// The basket was parked (the list now), or why not (the basket comes back).
    Parked(Result<Vec<ParkedBasket>, (Basket, Text)>),
    /// A parked basket was taken back (with the list now), or why not.
    Resumed(Result<(Basket, Vec<ParkedBasket>), Text>),
    /// The voided basket was journaled, or why not.
    Voided(Result<(), Text>),
    /// Paper jobs waiting for the printer (0 when everything is printed).
    PrintQueue {
        queued: usize,
    },
    /// The answer to [`Command::FindSales`].
    StaffSales {
        request_id: u64,
        result: Result<Vec<crate::domain::refund::SaleHit>, Text>,
    },
    /// The answer to [`Command::LoadRefund`].
    StaffRefundContext {
        request_id: u64,
        result: Result<Box<crate::domain::refund::RefundContext>, Text>,
    },
    /// The answer to [`Command::LoadReturn`].
    StaffReturnContext {
        request_id: u64,
        result: Result<Box<crate::domain::returns::ReturnContext>, Text>,
    },
    /// The result of [`Command::Return`].
    StaffReturn {
        request_id: u64,
        result: Result<ReturnDone, Text>,
    },
    /// Progress and result of [`Command::Refund`].
    StaffRefund {
        request_id: u64,
        progress: StaffRefundProgress,
    },
    /// An X report; `checking` while the reconciliation against Vipps still runs (a second
    /// event follows with it).
    StaffReport {
        request_id: u64,
        result: Result<Box<crate::domain::report::Report>, Text>,
        checking: bool,
    },
    /// The answer to [`Command::RecordCash`]: the amount as it moved the drawer (a withdrawal
    /// < 0) and its number in the signed journal.
    CashRecorded {
        request_id: u64,
        result: Result<CashDone, Text>,
    },
    /// The answer to [`Command::CloseDay`].
    StaffZ {
        request_id: u64,
        result: Result<Box<crate::domain::report::Report>, ZRefusal>,
    },
    /// The answer to [`Command::AcknowledgeOutbox`]: rows acknowledged, and what still blocks.
    StaffAcknowledged {
        request_id: u64,
        result: Result<OutboxCleared, Text>,
    },
    /// The answer to [`Command::LoadBatch`].
    StaffBatchCandidates {
        request_id: u64,
        result: Result<Vec<crate::domain::batch::Uncaptured>, Text>,
    },
    /// One batch operation finished (drives the gauge).
    StaffBatchProgress {
        request_id: u64,
        progress: crate::domain::batch::BatchProgress,
    },
    /// The batch is over: every outcome, or why it did not run.
    StaffBatchDone {
        request_id: u64,
        result: Result<Vec<crate::domain::batch::BatchOutcome>, Text>,
    },
    /// The answer to [`Command::ReprintRefund`]: the refund number sent to the printer as a
    /// COPY, or why not.
    RefundReprinted(Result<String, Text>),
    /// Vipps confirmed a queued refund later (the outbox worker got it through) and its
    /// refund receipt went to the printer (`receipt`). A refund screen still showing it as
    /// queued turns to REFUNDED.
    RefundConfirmed {
        refund_number: String,
        receipt: ReceiptNote,
    },
    /// The answer to [`Command::PrintReport`]: the document sent to the printer (`X-…`,
    /// `Z-…`), or why not.
    ReportPrinted(Result<String, Text>),
    /// Kiosk: the PIN prompt's lockout as saved by an earlier run (sent once at start).
    KioskLockout {
        failures: u32,
        locked_until: Option<OffsetDateTime>,
    },
}

/// Where a refund started at the till stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffRefundProgress {
    /// Recorded with its key and queued in the outbox; waiting for Vipps.
    Queued { amount: Money, key: String },
    /// Vipps confirmed it. `receipt` says whether the refund receipt went to the printer.
    Refunded {
        amount: Money,
        refund_number: String,
        receipt: ReceiptNote,
    },
    /// Still queued (offline or Vipps slow): it is sent with the same key when Vipps answers.
    Pending {
        amount: Money,
        refund_number: String,
    },
    /// Vipps refused it for good.
    Failed { reason: Text },
    /// Refused before anything was queued (PIN, rules, over-refund, missing reason...).
    Refused { reason: Text },
}

/// What a return did, for its result screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnDone {
    /// The return number (`R-{receipt}-{n}`), or the Vipps reference for a Vipps-only return.
    pub number: String,
    /// Cash out of the drawer (rounded); zero when all went back through Vipps.
    pub cash_out: crate::domain::money::Money,
    /// The Vipps part; zero without one.
    pub vipps: crate::domain::money::Money,
    /// Where the Vipps part stands (`None` without one).
    pub vipps_status: Option<crate::domain::refund::RefundStatus>,
    /// The return receipt (with the drawer kick) for the cash part.
    pub receipt: Option<ReceiptNote>,
    /// A return without the original sale (cash only, manager).
    pub without_receipt: bool,
}

/// What happened to a paper receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptNote {
    Printed,
    NoPrinter,
    Problem(Text),
}

/// Why a Z report was refused, and how many outbox rows block it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZRefusal {
    pub reason: Text,
    /// Rows still to send plus dead rows nobody acknowledged.
    pub outbox_unresolved: i64,
    /// Of which dead and unacknowledged (a manager may acknowledge these).
    pub dead_unacknowledged: i64,
}

/// After acknowledging: how many were acknowledged, and what still blocks the Z report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxCleared {
    pub acknowledged: usize,
    pub still_unresolved: i64,
}

/// Everything `update` reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Key(KeyEvent),
    /// Bracketed paste (some scanners and terminals deliver a whole scan at once).
    Paste(String),
    /// The terminal was resized to (width, height).
    Resize(u16, u16),
    App(AppEvent),
}

impl From<AppEvent> for Msg {
    fn from(ev: AppEvent) -> Msg {
        Msg::App(ev)
    }
}

/// A recorded cash movement, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashDone {
    pub kind: crate::domain::cash::CashKind,
    /// What it did to the drawer, minor units (a withdrawal < 0).
    pub amount: i64,
    /// Its nr in the signed journal (None without a signing key).
    pub nr: Option<i64>,
}
