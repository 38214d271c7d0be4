//! eCom API v2 (legacy): wire types (field names exactly as in `ecom-v2.yaml`) and the client.

pub use crate::wire::ecom::*;

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
