//! The eCom v2 wire types: request and response bodies exactly as the spec names them,
//! shared by the client (`api::ecom`) and the simulator (`sim`).

use crate::wire::{WireSecret, wire_enum};
use serde::{Deserialize, Serialize};

wire_enum! {
    /// `merchantInfo.paymentType`.
    pub enum EcomPaymentType {
        Regular = "eComm Regular Payment",
        Express = "eComm Express Payment",
    }
}

wire_enum! {
    /// `TransactionLogHistory.operation`.
    pub enum Operation {
        Initiate = "INITIATE",
        Reserve = "RESERVE",
        Sale = "SALE",
        Capture = "CAPTURE",
        Refund = "REFUND",
        Cancel = "CANCEL",
        Void = "VOID",
    }
}

wire_enum! {
    /// `TransactionInfo.status` in capture/cancel/refund responses.
    pub enum TransactionStatus {
        Cancelled = "Cancelled",
        Captured = "Captured",
        Refund = "Refund",
    }
}

wire_enum! {
    /// Deprecated `/status` enum.
    pub enum LegacyStatus {
        Initiate = "INITIATE",
        Register = "REGISTER",
        Reserve = "RESERVE",
        Sale = "SALE",
        Capture = "CAPTURE",
        Refund = "REFUND",
        Cancel = "CANCEL",
        Void = "VOID",
        Failed = "FAILED",
        Rejected = "REJECTED",
    }
}

/// `CustomerInfo` (required object, may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInfo {
    /// 8 digits, no country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_number: Option<String>,
}

/// `MerchantInfo` (initiate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantInfo {
    pub merchant_serial_number: String,
    pub callback_prefix: String,
    #[serde(rename = "fallBack")]
    pub fall_back: String,
    /// Sent back as `Authorization` on callbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<WireSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_app: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<EcomPaymentType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_removal_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_details_prefix: Option<String>,
    /// Express only; passed through verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_shipping_details: Option<Vec<serde_json::Value>>,
}

/// `TransactionInfoInitiate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionInitiate {
    pub amount: i64,
    pub order_id: String,
    pub transaction_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_landing_page: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_explicit_checkout_flow: Option<bool>,
    /// Airline data; passed through verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<serde_json::Value>,
}

/// `InitiatePaymentCommand` (`POST /ecomm/v2/payments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiatePaymentRequest {
    pub customer_info: CustomerInfo,
    pub merchant_info: MerchantInfo,
    pub transaction: TransactionInitiate,
}

/// `PaymentInitiationResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiatePaymentResponse {
    pub order_id: String,
    pub url: String,
}

/// `MerchantInfoPayment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantInfoPayment {
    pub merchant_serial_number: String,
}

/// `Transaction` (capture / refund).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// Omit for a full capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    pub transaction_text: String,
}

/// `PaymentActionsRequest` (capture / refund).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentActionsRequest {
    pub merchant_info: MerchantInfoPayment,
    pub transaction: Transaction,
}

/// `CancelTransaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelTransaction {
    pub transaction_text: String,
}

/// `CancelPaymentActionRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelPaymentActionRequest {
    pub merchant_info: MerchantInfoPayment,
    pub transaction: CancelTransaction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_release_remaining_funds: Option<bool>,
}

/// `TransactionInfo` / `TransactionInfoCancel` (`transactionId` is required in the former,
/// optional in the latter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionInfo {
    pub amount: i64,
    pub status: TransactionStatus,
    pub time_stamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    pub transaction_text: String,
}

/// `TransactionSummary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionSummary {
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub remaining_amount_to_capture: i64,
    pub remaining_amount_to_refund: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_identification_number: Option<i64>,
}

/// `TransactionResponse` (capture).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_instrument: Option<String>,
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_info: Option<TransactionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_summary: Option<TransactionSummary>,
}

/// `CancelTransactionResponse` (same shape as capture's).
pub type CancelTransactionResponse = TransactionResponse;

/// `RefundTransactionResponse` (note `transaction`, not `transactionInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundTransactionResponse {
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<TransactionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_summary: Option<TransactionSummary>,
}

/// `TransactionLogHistory` entry (newest first in `details`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionLogEntry {
    pub amount: i64,
    pub operation: Operation,
    pub operation_success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub transaction_text: String,
}

/// `TransactionDetails` (`GET /ecomm/v2/payments/{orderId}/details`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_details: Option<serde_json::Value>,
    #[serde(default)]
    pub transaction_log_history: Vec<TransactionLogEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_summary: Option<TransactionSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_details: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

/// What the history says, reduced the way the official WooCommerce plugin does it
/// (vipps-woocommerce#54). History is newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailsOutcome {
    /// No successful INITIATE: the initiate failed.
    Failed,
    Initiated,
    Authorized,
    /// Direct capture (SALE).
    Complete,
    Cancelled,
}

impl TransactionDetails {
    pub fn outcome(&self) -> DetailsOutcome {
        let ok = |op: Operation| {
            self.transaction_log_history
                .iter()
                .any(|e| e.operation == op && e.operation_success)
        };
        if !ok(Operation::Initiate) {
            return DetailsOutcome::Failed;
        }
        if ok(Operation::Cancel) || ok(Operation::Void) {
            return DetailsOutcome::Cancelled;
        }
        if ok(Operation::Sale) {
            return DetailsOutcome::Complete;
        }
        if ok(Operation::Reserve) {
            return DetailsOutcome::Authorized;
        }
        DetailsOutcome::Initiated
    }
}

/// Test-only force approve body (`/ecomm/v2/integration-test/payments/{orderId}/approve`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceApproveRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------
