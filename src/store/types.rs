//! Plain store-level input and row types. The engine maps domain types onto these; the store
//! knows nothing of baskets or the payment state machine beyond the codes stored here.

use time::OffsetDateTime;

use super::error::StoreError;

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $column:literal { $($(#[$vm:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code stored in the database.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parse a stored code.
            pub fn parse(s: &str) -> Result<$name, StoreError> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err(StoreError::BadValue { column: $column, value: other.to_owned() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum!(
    /// Which Vipps API a payment goes through.
    Api, "payments.api" { Epayment = "epayment", Ecom = "ecom", Psp = "psp" }
);

code_enum!(
    /// How the customer is reached.
    Flow, "payments.flow" { Push = "push", Qr = "qr" }
);

code_enum!(
    /// Status of a sale (the basket), as opposed to one payment attempt.
    SaleStatus, "sales.status" {
        Open = "open",
        Paid = "paid",
        Failed = "failed",
        Cancelled = "cancelled",
        Voided = "voided",
        PartiallyRefunded = "partially_refunded",
        Refunded = "refunded",
    }
);

code_enum!(
    /// Where one payment attempt stands, as last known to kasse.
    PayState, "payments.state" {
        Creating = "creating",
        WaitingUser = "waiting_user",
        WaitingApproval = "waiting_approval",
        Authorized = "authorized",
        Capturing = "capturing",
        Captured = "captured",
        Cancelling = "cancelling",
        Cancelled = "cancelled",
        Rejected = "rejected",
        Expired = "expired",
        Failed = "failed",
    }
);

impl PayState {
    /// Terminal states need no recovery on start. Everything else is read back from Vipps.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            PayState::Captured
                | PayState::Cancelled
                | PayState::Rejected
                | PayState::Expired
                | PayState::Failed
        )
    }
}

code_enum!(
    /// What an outbox row asks the worker to do.
    OutboxKind, "outbox.kind" {
        Capture = "capture",
        Cancel = "cancel",
        Refund = "refund",
        Receipt = "receipt",
        Category = "category",
        Image = "image",
        PspStatus = "psp_status",
    }
);

code_enum!(
    /// Lifecycle of an outbox row.
    OutboxStatus, "outbox.status" {
        Pending = "pending",
        InFlight = "in_flight",
        Done = "done",
        Dead = "dead",
    }
);

code_enum!(
    /// Outcome of one journaled operation.
    OpOutcome, "operations.outcome" {
        /// The call succeeded.
        Ok = "ok",
        /// The server answered with an error status.
        HttpError = "http_error",
        /// No answer in time: not a failure until a read says so.
        Timeout = "timeout",
        /// Connection refused, DNS, TLS...
        Transport = "transport",
        /// A local state change (no call).
        StateChange = "state_change",
        /// A note or staff action.
        Info = "info",
    }
);

/// One line of a new sale. Amounts are minor units, VAT rate in hundredths of a percent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSaleLine {
    pub product_id: Option<String>,
    pub name: String,
    /// Quantity as shown to the cashier, e.g. "2" or "0,352".
    pub quantity: String,
    /// Quantity in thousandths (2 pcs = 2000, 0.352 kg = 352).
    pub quantity_milli: i64,
    /// Unit code, e.g. "pcs", "kg".
    pub unit: String,
    pub unit_price: i64,
    pub discount: i64,
    pub vat_rate: i64,
    pub gross: i64,
    pub net: i64,
    pub vat: i64,
    pub is_return: bool,
}

/// The payment attempt written with a sale (or by `new_attempt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub api: Api,
    pub msn: String,
    pub flow: Flow,
    /// Only the last four digits are stored (for finding a sale later).
    pub customer_phone: Option<String>,
}

/// A sale to write ahead of any network call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSale {
    /// Shop code, `[A-Za-z0-9]{1,12}` (part of the reference).
    pub shop_id: String,
    /// Till code, `[A-Za-z0-9]{1,12}` (part of the reference).
    pub till_id: String,
    pub staff_id: Option<String>,
    /// "NOK", "DKK" or "EUR".
    pub currency: String,
    pub gross_total: i64,
    pub vat_total: i64,
    pub net_total: i64,
    pub training: bool,
    /// Tender code, e.g. "vipps".
    pub tender: String,
    pub description: Option<String>,
    pub lines: Vec<NewSaleLine>,
    pub payment: NewPayment,
    pub created_at: OffsetDateTime,
}

/// The tender code of cash (`sales.tender`).
pub const CASH_TENDER: &str = "cash";

/// The tender code of a split sale (`sales.tender`): part cash, the rest by Vipps. The cash
/// part is `gross_total − payments.amount` (every attempt of the sale asks Vipps for the same
/// remainder); see [`SaleRecord::cash_part`].
pub const SPLIT_TENDER: &str = "cash+vipps";

/// What `record_cash_sale` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashSaleIds {
    pub sale_id: i64,
    pub sequence: i64,
    pub receipt_number: String,
    /// Cash handed over (minor units).
    pub cash_given: i64,
    /// Change due back (minor units): `cash_given − (gross_total + cash_rounding)`.
    pub change: i64,
    /// Øreavrunding journaled with the sale (minor units): the total rounded to the
    /// currency's cash step minus the exact total, e.g. +10 or -40.
    pub cash_rounding: i64,
}

/// What `begin_sale` / `new_attempt` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleIds {
    pub sale_id: i64,
    pub payment_id: i64,
    pub sequence: i64,
    pub receipt_number: String,
    pub reference: String,
    pub attempt: i64,
    pub keys: PaymentKeys,
}

/// Idempotency keys of one payment attempt, minted once and stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentKeys {
    pub create: String,
    pub capture: String,
    pub cancel: String,
}

/// Amounts as last read from Vipps (minor units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaymentAmounts {
    pub authorized: i64,
    pub captured: i64,
    pub refunded: i64,
    pub cancelled: i64,
}

/// A sale header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRow {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub shop_id: String,
    pub till_id: String,
    pub sequence: i64,
    pub receipt_number: String,
    pub staff_id: Option<String>,
    pub currency: String,
    pub gross_total: i64,
    pub vat_total: i64,
    pub net_total: i64,
    pub status: SaleStatus,
    pub training: bool,
    pub tender: String,
    pub description: Option<String>,
    /// Øreavrunding of a cash-only sale (minor units, rounded − exact); 0 otherwise.
    pub cash_rounding: i64,
}

/// A stored sale line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLineRow {
    pub id: i64,
    pub sale_id: i64,
    pub line_no: i64,
    pub line: NewSaleLine,
    /// The article group the line was sold under (catalogue, migration 0017); `None` for a
    /// line without a catalogue article (reported as 04999).
    pub article_group: Option<String>,
}

/// A stored payment attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: i64,
    pub sale_id: i64,
    pub api: Api,
    pub msn: String,
    pub reference: String,
    pub attempt: i64,
    pub flow: Flow,
    pub currency: String,
    pub amount: i64,
    pub state: PayState,
    pub reason: Option<String>,
    pub phone_last_digits: Option<String>,
    pub keys: PaymentKeys,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub user_deadline_at: Option<OffsetDateTime>,
    pub approval_deadline_at: Option<OffsetDateTime>,
    pub amounts: PaymentAmounts,
    pub psp_transaction_id: Option<String>,
    pub last_read_at: Option<OffsetDateTime>,
}

/// A sale with its lines and every payment attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRecord {
    pub sale: SaleRow,
    pub lines: Vec<SaleLineRow>,
    pub payments: Vec<PaymentRow>,
}

impl SaleRecord {
    /// The part of a split sale taken in cash (minor units): the total minus what Vipps was
    /// asked for. 0 for a Vipps-only sale; the whole total for a cash-only sale.
    pub fn cash_part(&self) -> i64 {
        self.sale.cash_part(self.payments.first().map(|p| p.amount))
    }
}

impl SaleRow {
    /// See [`SaleRecord::cash_part`]; `vipps_amount` is the amount of (any) payment attempt.
    pub fn cash_part(&self, vipps_amount: Option<i64>) -> i64 {
        cash_part_of(&self.tender, self.gross_total, vipps_amount)
    }
}

/// [`SaleRow::cash_part`] from its parts (for a sale read from a copy of the journal).
pub fn cash_part_of(tender: &str, gross_total: i64, vipps_amount: Option<i64>) -> i64 {
    match (tender, vipps_amount) {
        (CASH_TENDER, _) => gross_total,
        (SPLIT_TENDER, Some(v)) => gross_total.saturating_sub(v).max(0),
        _ => 0,
    }
}

/// One journal entry to write. Never put secrets (tokens, keys of the merchant) in any field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOperation {
    pub at: OffsetDateTime,
    pub sale_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub outbox_id: Option<i64>,
    /// e.g. "create", "get", "capture", "cancel", "refund", "receipt", "state", "note".
    pub kind: String,
    pub idempotency_key: Option<String>,
    pub request_summary: Option<String>,
    pub outcome: OpOutcome,
    pub http_status: Option<i64>,
    pub error_code: Option<String>,
    pub detail: Option<String>,
    pub staff_id: Option<String>,
}

impl NewOperation {
    /// A minimal entry; fill the optional fields with struct update syntax.
    pub fn new(kind: impl Into<String>, outcome: OpOutcome, at: OffsetDateTime) -> NewOperation {
        NewOperation {
            at,
            sale_id: None,
            payment_id: None,
            outbox_id: None,
            kind: kind.into(),
            idempotency_key: None,
            request_summary: None,
            outcome,
            http_status: None,
            error_code: None,
            detail: None,
            staff_id: None,
        }
    }
}

/// A stored journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRow {
    pub id: i64,
    pub op: NewOperation,
}

/// A stored outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: OutboxKind,
    pub payment_id: Option<i64>,
    pub reference: Option<String>,
    pub idempotency_key: String,
    pub payload_json: String,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<OffsetDateTime>,
}

/// A new outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbox {
    pub kind: OutboxKind,
    pub payment_id: Option<i64>,
    pub reference: Option<String>,
    pub idempotency_key: String,
    pub payload_json: String,
}

/// Which outbox rows `list` returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutboxFilter {
    /// Every row.
    #[default]
    All,
    /// Rows not yet done or dead (pending + in flight).
    Open,
    /// Rows with exactly this status.
    Status(OutboxStatus),
    /// Dead rows nobody has acknowledged yet.
    DeadUnacknowledged,
}

pub use crate::domain::refund::SaleQuery;
