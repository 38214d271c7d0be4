//! The PSP v3 wire types: request and response bodies exactly as the spec names them,
//! shared by the client (`api::psp`) and the simulator (`sim`).

use crate::wire::{WireSecret, int_or_string, int_plain, wire_enum};
use serde::{Deserialize, Serialize};

wire_enum! {
    /// `TransactionInfo.status` / details `operation`.
    pub enum PspStatus {
        Reserved = "RESERVED",
        Captured = "CAPTURED",
        Cancelled = "CANCELLED",
        Refunded = "REFUNDED",
    }
}

wire_enum! {
    /// `TransactionInfo.operationStatus`.
    pub enum OperationStatus {
        Failed = "FAILED",
        Success = "SUCCESS",
    }
}

wire_enum! {
    /// `MakePaymentRequest.paymentState`.
    pub enum MakePaymentState {
        Accepted = "ACCEPTED",
        Timeout = "TIMEOUT",
        UserCancel = "USER_CANCEL",
    }
}

wire_enum! {
    /// `PaymentInstrument` (only `TOKEN`).
    pub enum PaymentInstrument {
        Token = "TOKEN",
    }
}

wire_enum! {
    /// `TokenType`.
    pub enum TokenType {
        Visa = "VISA",
        Mastercard = "MASTERCARD",
    }
}

wire_enum! {
    /// `Operation3DSecure.operation`.
    pub enum ThreeDsOperation {
        Success = "3dssuccess",
        Cancel = "3dscancel",
        Failure = "3dsfailure",
    }
}

wire_enum! {
    /// `PaymentInfo.status` in the PSP's makePayment answer.
    pub enum MakePaymentStatus {
        Ok = "OK",
        Fail = "FAIL",
        SoftDecline = "SOFT_DECLINE",
    }
}

/// `InitiatePaymentRequest` (`POST /psp/v3/psppayments/init`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiatePaymentRequest {
    /// ≤36, globally unique per PSP.
    pub psp_transaction_id: String,
    /// `^[a-zA-Z0-9-]{1,50}$`.
    pub merchant_order_id: String,
    /// 8 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_mobile_number: Option<String>,
    /// Øre (int32 in the spec; Postman sends it as a string, which is accepted on input).
    #[serde(deserialize_with = "int_or_string", serialize_with = "int_plain")]
    pub amount: i64,
    pub currency: String,
    pub psp_redirect_url: String,
    pub make_payment_url: String,
    /// Echoed as `Authorization` to makePaymentUrl.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make_payment_token: Option<WireSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_app: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_landing_page: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_agreement_url: Option<String>,
}

/// `PaymentInitiationRepresentation` (init response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiatePaymentResponse {
    #[serde(default)]
    pub psp_transaction_id: String,
    #[serde(default)]
    pub merchant_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vipps_redirect_url: Option<String>,
}

/// `TransactionInfo` (one status update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionInfo {
    pub psp_transaction_id: String,
    pub status: PspStatus,
    #[serde(deserialize_with = "int_or_string", serialize_with = "int_plain")]
    pub amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_status: Option<OperationStatus>,
}

/// `PaymentStatus` (`POST /psp/v3/psppayments/updatestatus` body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateStatusRequest {
    pub transactions: Vec<TransactionInfo>,
}

/// `Response.responseInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseInfo {
    #[serde(default)]
    pub response_code: String,
    #[serde(default)]
    pub response_message: String,
}

/// `Response` (updatestatus answer: `{"responseInfo":{"responseCode":"9000",...}}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStatusResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_info: Option<ResponseInfo>,
}

/// PSP `TransactionSummary` (all optional in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PspTransactionSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_amount_to_capture: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_amount_to_refund: Option<i64>,
}

/// `PaymentTransactionDetails` (history entry).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentTransactionDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<PspStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_success: Option<bool>,
}

/// `PaymentDetailsRepresentation` (`GET /psp/v3/psppayments/{id}/details`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDetails {
    #[serde(default)]
    pub psp_transaction_id: String,
    #[serde(default)]
    pub merchant_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_summary: Option<PspTransactionSummary>,
    #[serde(default)]
    pub transaction_log_history: Vec<PaymentTransactionDetails>,
}

/// Test-only force approve body (both fields required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceApproveRequest {
    pub customer_phone_number: String,
    pub token: String,
}

/// `Operation3DSecure`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation3DSecure {
    pub url: String,
    pub operation: ThreeDsOperation,
}

/// `NetworkToken`: card data. `number` and `cryptogram` never appear in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkToken {
    pub number: WireSecret,
    pub cryptogram: WireSecret,
    pub expiry_month: String,
    pub expiry_year: String,
    pub token_type: TokenType,
    pub eci: String,
}

/// `MakePaymentRequest`: what Vipps POSTs to the PSP's `makePaymentUrl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MakePaymentRequest {
    pub psp_transaction_id: String,
    pub merchant_serial_number: String,
    pub payment_state: MakePaymentState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_token: Option<String>,
    pub bin_number: String,
    pub operations: Vec<Operation3DSecure>,
    pub payment_instrument: PaymentInstrument,
    pub network_token: NetworkToken,
}

/// `ErrorMessage` in a makePayment answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MakePaymentErrorMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_text: Option<String>,
}

/// `PaymentInfo` in a makePayment answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInfo {
    pub psp_transaction_id: String,
    pub status: MakePaymentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url3d_secure: Option<String>,
}

/// `MakePaymentResponse`: what the PSP answers Vipps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MakePaymentResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<MakePaymentErrorMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_info: Option<PaymentInfo>,
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------
