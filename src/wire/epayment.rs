//! The ePayment v1 wire types: request and response bodies exactly as the spec names them,
//! shared by the client (`api::epayment`) and the simulator (`sim`).

use crate::domain::money::{Currency, Money};
use crate::wire::order_management::Receipt;
use crate::wire::wire_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// ePayment `Amount`: minor units plus currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub currency: Currency,
    pub value: i64,
}

impl Amount {
    pub const fn new(value: i64, currency: Currency) -> Amount {
        Amount { currency, value }
    }
    pub const fn nok(value: i64) -> Amount {
        Amount::new(value, Currency::Nok)
    }
    pub const fn zero(currency: Currency) -> Amount {
        Amount::new(0, currency)
    }
    pub const fn to_money(self) -> Money {
        Money::new(self.value, self.currency)
    }
}

impl From<Money> for Amount {
    fn from(m: Money) -> Amount {
        Amount::new(m.minor(), m.currency())
    }
}

impl From<Amount> for Money {
    fn from(a: Amount) -> Money {
        a.to_money()
    }
}

/// `Customer`: exactly one of the three fields must be set (the spec's `oneOf`). Kept as a
/// struct so a server can see (and reject) requests that set more than one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// MSISDN, digits only, `^\d{10,15}$`, e.g. `4791234567`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Full, unmodified content of the scanned personal QR (5..255 chars).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_qr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_token: Option<String>,
}

impl Customer {
    pub fn phone(msisdn: impl Into<String>) -> Customer {
        Customer {
            phone_number: Some(msisdn.into()),
            ..Customer::default()
        }
    }
    pub fn personal_qr(qr: impl Into<String>) -> Customer {
        Customer {
            personal_qr: Some(qr.into()),
            ..Customer::default()
        }
    }
    pub fn token(token: impl Into<String>) -> Customer {
        Customer {
            customer_token: Some(token.into()),
            ..Customer::default()
        }
    }
    /// How many of the three identity fields are set (valid requests have exactly 1).
    pub fn identities(&self) -> usize {
        [
            self.phone_number.is_some(),
            self.personal_qr.is_some(),
            self.customer_token.is_some(),
        ]
        .into_iter()
        .filter(|b| *b)
        .count()
    }
}

wire_enum! {
    /// `customerInteraction`.
    pub enum CustomerInteraction {
        CustomerPresent = "CUSTOMER_PRESENT",
        CustomerNotPresent = "CUSTOMER_NOT_PRESENT",
    }
}

wire_enum! {
    /// `userFlow`.
    pub enum UserFlow {
        PushMessage = "PUSH_MESSAGE",
        NativeRedirect = "NATIVE_REDIRECT",
        WebRedirect = "WEB_REDIRECT",
        Qr = "QR",
    }
}

wire_enum! {
    /// `PaymentMethodType` (`CARD_PASSTHROUGH` is the newer ePayment-PSP type).
    pub enum PaymentMethodType {
        Wallet = "WALLET",
        Card = "CARD",
        CardPassthrough = "CARD_PASSTHROUGH",
    }
}

wire_enum! {
    /// `State` of a payment.
    pub enum PaymentState {
        Created = "CREATED",
        Aborted = "ABORTED",
        Expired = "EXPIRED",
        Authorized = "AUTHORIZED",
        Terminated = "TERMINATED",
    }
}

impl PaymentState {
    /// Every state but `CREATED` is final in ePayment.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            PaymentState::Aborted
                | PaymentState::Expired
                | PaymentState::Authorized
                | PaymentState::Terminated
        )
    }
}

wire_enum! {
    /// `PaymentEventName`.
    pub enum PaymentEventName {
        Created = "CREATED",
        Aborted = "ABORTED",
        Expired = "EXPIRED",
        Cancelled = "CANCELLED",
        Captured = "CAPTURED",
        Refunded = "REFUNDED",
        Authorized = "AUTHORIZED",
        Terminated = "TERMINATED",
    }
}

wire_enum! {
    /// `qrFormat.format`.
    pub enum QrFormatKind {
        TextTargetUrl = "TEXT/TARGETURL",
        ImageSvg = "IMAGE/SVG+XML",
        ImagePng = "IMAGE/PNG",
    }
}

/// `paymentMethod` in a create request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMethod {
    #[serde(rename = "type")]
    pub kind: PaymentMethodType,
}

impl PaymentMethod {
    pub fn wallet() -> PaymentMethod {
        PaymentMethod {
            kind: PaymentMethodType::Wallet,
        }
    }
}

/// `paymentMethod` in responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodResponse {
    #[serde(rename = "type")]
    pub kind: PaymentMethodType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_bin: Option<String>,
}

/// `qrFormat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrFormat {
    pub format: QrFormatKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
}

/// `profile` in a create request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProfileRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `profile` in responses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProfileResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

/// `POST /epayment/v1/payments` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentRequest {
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_interaction: Option<CustomerInteraction>,
    /// Airline data; not used by a till, passed through verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry_data: Option<serde_json::Value>,
    pub payment_method: PaymentMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRequest>,
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    pub user_flow: UserFlow,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_format: Option<QrFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_url: Option<String>,
}

impl CreatePaymentRequest {
    /// A minimal request: WALLET, given flow, everything optional unset.
    pub fn new(reference: impl Into<String>, amount: Amount, user_flow: UserFlow) -> Self {
        CreatePaymentRequest {
            amount,
            customer: None,
            customer_interaction: None,
            industry_data: None,
            payment_method: PaymentMethod::wallet(),
            profile: None,
            reference: reference.into(),
            return_url: None,
            user_flow,
            expires_at: None,
            qr_format: None,
            payment_description: None,
            receipt: None,
            metadata: None,
            receipt_url: None,
        }
    }
}

/// 201 response to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    pub reference: String,
}

/// `Aggregate`: what actually moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Aggregate {
    pub authorized_amount: Amount,
    pub cancelled_amount: Amount,
    pub captured_amount: Amount,
    pub refunded_amount: Amount,
}

impl Aggregate {
    pub const fn zero(currency: Currency) -> Aggregate {
        Aggregate {
            authorized_amount: Amount::zero(currency),
            cancelled_amount: Amount::zero(currency),
            captured_amount: Amount::zero(currency),
            refunded_amount: Amount::zero(currency),
        }
    }
    /// Authorized − cancelled − captured (what may still be captured).
    /// Saturating: a nonsensical answer from the wire never panics or wraps.
    pub fn capturable(&self) -> i64 {
        self.authorized_amount
            .value
            .saturating_sub(self.cancelled_amount.value)
            .saturating_sub(self.captured_amount.value)
    }
    /// Captured − refunded (what may still be refunded).
    pub fn refundable(&self) -> i64 {
        self.captured_amount
            .value
            .saturating_sub(self.refunded_amount.value)
    }
}

/// `GET /epayment/v1/payments/{reference}` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPaymentResponse {
    pub aggregate: Aggregate,
    pub amount: Amount,
    pub state: PaymentState,
    pub payment_method: PaymentMethodResponse,
    #[serde(default)]
    pub profile: ProfileResponse,
    pub psp_reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// One entry of `GET …/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentEvent {
    pub reference: String,
    pub psp_reference: String,
    pub name: PaymentEventName,
    pub amount: Amount,
    /// RFC 3339 (see [`PaymentEvent::timestamp_parsed`]).
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub success: bool,
}

impl PaymentEvent {
    pub fn timestamp_parsed(&self) -> Option<time::OffsetDateTime> {
        time::OffsetDateTime::parse(
            &self.timestamp,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
    }
}

/// Webhook payload (`epayments.payment.*.v1`), for a relay or the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    pub msn: String,
    pub reference: String,
    pub psp_reference: String,
    pub name: PaymentEventName,
    pub amount: Amount,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub success: bool,
}

/// Capture / refund body (`CaptureModificationRequest` / `RefundModificationRequest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModificationRequest {
    pub modification_amount: Amount,
}

/// Cancel body (newer API: `{cancelTransactionOnly}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelModificationRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_transaction_only: Option<bool>,
}

/// 200 response to capture / refund / cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModificationResponse {
    pub amount: Amount,
    pub state: PaymentState,
    pub aggregate: Aggregate,
    pub psp_reference: String,
    pub reference: String,
}

/// Test-only force approve body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ForceApproveRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------
