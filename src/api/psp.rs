//! PSP API v3 (legacy): wire types (field names exactly as in `psp-v3.yaml`), including the
//! `makePaymentUrl` request the PSP receives and its response, and the client.

use crate::api::wire::{WireSecret, int_or_string, int_plain, wire_enum};
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

use crate::api::error::{Api, ApiError};
use crate::api::http::{Call, Core, body, seg};
use crate::api::validate;
use reqwest::Method;

/// `vipps.psp()`. Every call carries `PSP-ID` (settings `psp_id`).
pub struct PspClient<'a> {
    pub(crate) core: &'a Core,
}

fn v(e: validate::ValidationError) -> ApiError {
    ApiError::validation(Api::Psp, e)
}

fn call(
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    money: bool,
    repeatable: bool,
) -> Call<'static> {
    Call {
        api: Api::Psp,
        method,
        path,
        body,
        idempotency_key: None,
        request_id: None,
        money_moving: money,
        repeatable,
    }
}

impl PspClient<'_> {
    /// `POST /psp/v3/psppayments/init` (pspTransactionId is the duplicate guard, error 44).
    pub async fn init(
        &self,
        req: &InitiatePaymentRequest,
    ) -> Result<InitiatePaymentResponse, ApiError> {
        validate::psp_init(req).map_err(v)?;
        let b = body(Api::Psp, req)?;
        self.core
            .json(call(
                Method::POST,
                "/psp/v3/psppayments/init".to_owned(),
                Some(b),
                true,
                false,
            ))
            .await
    }

    /// `POST /psp/v3/psppayments/updatestatus`: report captures, cancels, refunds.
    pub async fn update_status(
        &self,
        req: &UpdateStatusRequest,
    ) -> Result<UpdateStatusResponse, ApiError> {
        for t in &req.transactions {
            validate::psp_transaction_id(&t.psp_transaction_id).map_err(v)?;
        }
        let b = body(Api::Psp, req)?;
        // Reporting the same status twice is harmless: safe to resend.
        self.core
            .json(call(
                Method::POST,
                "/psp/v3/psppayments/updatestatus".to_owned(),
                Some(b),
                false,
                true,
            ))
            .await
    }

    /// `GET /psp/v3/psppayments/{pspTransactionId}/details`.
    pub async fn details(&self, psp_transaction_id: &str) -> Result<PaymentDetails, ApiError> {
        validate::psp_transaction_id(psp_transaction_id).map_err(v)?;
        self.core
            .json(call(
                Method::GET,
                format!("/psp/v3/psppayments/{}/details", seg(psp_transaction_id)),
                None,
                false,
                true,
            ))
            .await
    }

    /// Test only: `POST /psp/v3/integration-test/psppayments/{pspTransactionId}/approve`.
    pub async fn force_approve(
        &self,
        psp_transaction_id: &str,
        req: &ForceApproveRequest,
    ) -> Result<(), ApiError> {
        validate::psp_transaction_id(psp_transaction_id).map_err(v)?;
        let b = body(Api::Psp, req)?;
        self.core
            .execute(call(
                Method::POST,
                format!(
                    "/psp/v3/integration-test/psppayments/{}/approve",
                    seg(psp_transaction_id)
                ),
                Some(b),
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
    fn init_accepts_string_amount_and_sends_number() {
        let v = json!({"pspTransactionId": "abc123", "merchantOrderId": "order-1",
            "amount": "1500", "currency": "NOK", "pspRedirectUrl": "https://psp/r",
            "makePaymentUrl": "https://psp/m", "makePaymentToken": "tok"});
        let r: InitiatePaymentRequest = serde_json::from_value(v).unwrap();
        assert_eq!(r.amount, 1500);
        assert!(!format!("{r:?}").contains("\"tok\""));
        let out = serde_json::to_value(&r).unwrap();
        assert_eq!(out["amount"], json!(1500));
        assert_eq!(out["makePaymentToken"], json!("tok"));
    }

    #[test]
    fn make_payment_round_trip_and_url3d_secure_name() {
        let req = MakePaymentRequest {
            psp_transaction_id: "abc".into(),
            merchant_serial_number: "123456".into(),
            payment_state: MakePaymentState::Accepted,
            user_token: None,
            bin_number: "540185".into(),
            operations: vec![Operation3DSecure {
                url: "https://x".into(),
                operation: ThreeDsOperation::Success,
            }],
            payment_instrument: PaymentInstrument::Token,
            network_token: NetworkToken {
                number: "4111111111111111".into(),
                cryptogram: "crypt".into(),
                expiry_month: "12".into(),
                expiry_year: "2030".into(),
                token_type: TokenType::Visa,
                eci: "07".into(),
            },
        };
        let dbg = format!("{req:?}");
        assert!(!dbg.contains("4111111111111111") && !dbg.contains("crypt\""));
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v["operations"][0]["operation"], json!("3dssuccess"));
        assert_eq!(
            serde_json::from_value::<MakePaymentRequest>(v).unwrap(),
            req
        );
        let resp = MakePaymentResponse {
            error_message: None,
            payment_info: Some(PaymentInfo {
                psp_transaction_id: "abc".into(),
                status: MakePaymentStatus::SoftDecline,
                url3d_secure: Some("https://3ds".into()),
            }),
        };
        assert_eq!(
            serde_json::to_value(&resp).unwrap(),
            json!({"paymentInfo": {"pspTransactionId": "abc", "status": "SOFT_DECLINE",
                "url3dSecure": "https://3ds"}})
        );
    }
}
