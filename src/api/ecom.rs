//! eCom API v2 (legacy): wire types (field names exactly as in `ecom-v2.yaml`) and the client.

use crate::api::wire::{WireSecret, wire_enum};
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

use crate::api::error::{Api, ApiError};
use crate::api::http::{Call, Core, body, seg};
use crate::api::{RequestId, validate};
use reqwest::Method;

/// `vipps.ecom()`.
pub struct EcomClient<'a> {
    pub(crate) core: &'a Core,
}

fn v(e: validate::ValidationError) -> ApiError {
    ApiError::validation(Api::Ecom, e)
}

fn call(
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    request_id: Option<&str>,
    money: bool,
    repeatable: bool,
) -> Call<'_> {
    Call {
        api: Api::Ecom,
        method,
        path,
        body,
        idempotency_key: None,
        request_id,
        money_moving: money,
        repeatable,
    }
}

impl EcomClient<'_> {
    /// `POST /ecomm/v2/payments`. Not idempotent: the orderId is the duplicate guard, so a
    /// transport failure is not retried and is reported as outcome unknown.
    pub async fn initiate(
        &self,
        req: &InitiatePaymentRequest,
    ) -> Result<InitiatePaymentResponse, ApiError> {
        validate::ecom_initiate(req).map_err(v)?;
        let b = body(Api::Ecom, req)?;
        self.core
            .json(call(
                Method::POST,
                "/ecomm/v2/payments".to_owned(),
                Some(b),
                None,
                true,
                false,
            ))
            .await
    }

    /// `GET /ecomm/v2/payments/{orderId}/details`.
    pub async fn details(&self, order_id: &str) -> Result<TransactionDetails, ApiError> {
        validate::order_id("orderId", order_id).map_err(v)?;
        self.core
            .json(call(
                Method::GET,
                format!("/ecomm/v2/payments/{}/details", seg(order_id)),
                None,
                None,
                false,
                true,
            ))
            .await
    }

    /// `POST /ecomm/v2/payments/{orderId}/capture` with `X-Request-Id`.
    pub async fn capture(
        &self,
        order_id: &str,
        req: &PaymentActionsRequest,
        x_request_id: &RequestId,
    ) -> Result<TransactionResponse, ApiError> {
        validate::order_id("orderId", order_id).map_err(v)?;
        validate::ecom_actions(req).map_err(v)?;
        let b = body(Api::Ecom, req)?;
        self.core
            .json(call(
                Method::POST,
                format!("/ecomm/v2/payments/{}/capture", seg(order_id)),
                Some(b),
                Some(x_request_id.as_str()),
                true,
                false,
            ))
            .await
    }

    /// `PUT /ecomm/v2/payments/{orderId}/cancel`.
    pub async fn cancel(
        &self,
        order_id: &str,
        req: &CancelPaymentActionRequest,
    ) -> Result<CancelTransactionResponse, ApiError> {
        validate::order_id("orderId", order_id).map_err(v)?;
        validate::ecom_cancel(req).map_err(v)?;
        let b = body(Api::Ecom, req)?;
        self.core
            .json(call(
                Method::PUT,
                format!("/ecomm/v2/payments/{}/cancel", seg(order_id)),
                Some(b),
                None,
                true,
                false,
            ))
            .await
    }

    /// `POST /ecomm/v2/payments/{orderId}/refund` with `X-Request-Id`.
    pub async fn refund(
        &self,
        order_id: &str,
        req: &PaymentActionsRequest,
        x_request_id: &RequestId,
    ) -> Result<RefundTransactionResponse, ApiError> {
        validate::order_id("orderId", order_id).map_err(v)?;
        validate::ecom_actions(req).map_err(v)?;
        if req.transaction.amount.is_none_or(|a| a == 0) {
            return Err(v(validate::ValidationError {
                field: "transaction.amount".to_owned(),
                text: crate::lang::Text::new(
                    "Oppgi beløpet som skal refunderes.",
                    "Give the amount to refund.",
                ),
            }));
        }
        let b = body(Api::Ecom, req)?;
        self.core
            .json(call(
                Method::POST,
                format!("/ecomm/v2/payments/{}/refund", seg(order_id)),
                Some(b),
                Some(x_request_id.as_str()),
                true,
                false,
            ))
            .await
    }

    /// Test only: `POST /ecomm/v2/integration-test/payments/{orderId}/approve`.
    pub async fn force_approve(
        &self,
        order_id: &str,
        req: &ForceApproveRequest,
    ) -> Result<(), ApiError> {
        validate::order_id("orderId", order_id).map_err(v)?;
        let b = body(Api::Ecom, req)?;
        self.core
            .execute(call(
                Method::POST,
                format!(
                    "/ecomm/v2/integration-test/payments/{}/approve",
                    seg(order_id)
                ),
                Some(b),
                None,
                false,
                false,
            ))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn initiate_wire_shape() {
        let r = InitiatePaymentRequest {
            customer_info: CustomerInfo {
                mobile_number: Some("91234567".into()),
            },
            merchant_info: MerchantInfo {
                merchant_serial_number: "123456".into(),
                callback_prefix: "https://example.com/cb".into(),
                fall_back: "https://example.com/fb".into(),
                auth_token: None,
                is_app: Some(false),
                payment_type: None,
                consent_removal_prefix: None,
                shipping_details_prefix: None,
                static_shipping_details: None,
            },
            transaction: TransactionInitiate {
                amount: 1000,
                order_id: "order-1".into(),
                transaction_text: "Kjøp".into(),
                skip_landing_page: Some(true),
                scope: None,
                use_explicit_checkout_flow: None,
                additional_data: None,
            },
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            json!({
                "customerInfo": {"mobileNumber": "91234567"},
                "merchantInfo": {"merchantSerialNumber": "123456",
                    "callbackPrefix": "https://example.com/cb",
                    "fallBack": "https://example.com/fb", "isApp": false},
                "transaction": {"amount": 1000, "orderId": "order-1",
                    "transactionText": "Kjøp", "skipLandingPage": true}
            })
        );
        assert_eq!(
            serde_json::from_value::<InitiatePaymentRequest>(v).unwrap(),
            r
        );
    }

    #[test]
    fn details_reduction() {
        let e = |op: Operation, ok: bool| TransactionLogEntry {
            amount: 100,
            operation: op,
            operation_success: ok,
            request_id: None,
            time_stamp: None,
            transaction_id: None,
            transaction_text: String::new(),
        };
        let mut d = TransactionDetails {
            order_id: Some("o".into()),
            shipping_details: None,
            transaction_log_history: vec![e(Operation::Initiate, true)],
            transaction_summary: None,
            user_details: None,
            sub: None,
        };
        assert_eq!(d.outcome(), DetailsOutcome::Initiated);
        d.transaction_log_history
            .insert(0, e(Operation::Reserve, false));
        assert_eq!(d.outcome(), DetailsOutcome::Initiated);
        d.transaction_log_history
            .insert(0, e(Operation::Reserve, true));
        assert_eq!(d.outcome(), DetailsOutcome::Authorized);
        d.transaction_log_history
            .insert(0, e(Operation::Void, true));
        assert_eq!(d.outcome(), DetailsOutcome::Cancelled);
        d.transaction_log_history = vec![e(Operation::Initiate, false)];
        assert_eq!(d.outcome(), DetailsOutcome::Failed);
    }
}
