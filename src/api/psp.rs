//! PSP API v3 (legacy): wire types (field names exactly as in `psp-v3.yaml`), including the
//! `makePaymentUrl` request the PSP receives and its response, and the client.

pub use crate::wire::psp::*;

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
