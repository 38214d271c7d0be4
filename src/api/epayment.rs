//! ePayment API v1: wire types (field names exactly as in `epayment-v1.yaml`) and the client.

pub use crate::wire::epayment::*;

use crate::api::error::{Api, ApiError};
use crate::api::http::{Call, Core, body, seg};
use crate::api::{IdempotencyKey, validate};
use reqwest::Method;

/// `vipps.epayment()`.
pub struct EpaymentClient<'a> {
    pub(crate) core: &'a Core,
}

fn v(e: validate::ValidationError) -> ApiError {
    ApiError::validation(Api::Epayment, e)
}

impl EpaymentClient<'_> {
    /// `POST /epayment/v1/payments` (201).
    pub async fn create(
        &self,
        req: &CreatePaymentRequest,
        key: &IdempotencyKey,
    ) -> Result<CreatePaymentResponse, ApiError> {
        validate::epayment_create(req).map_err(v)?;
        self.core
            .json(Call {
                api: Api::Epayment,
                method: Method::POST,
                path: "/epayment/v1/payments".to_owned(),
                body: Some(body(Api::Epayment, req)?),
                idempotency_key: Some(key.as_str()),
                request_id: None,
                money_moving: true,
                repeatable: false,
            })
            .await
    }

    /// `GET /epayment/v1/payments/{reference}`.
    pub async fn get(&self, reference: &str) -> Result<GetPaymentResponse, ApiError> {
        validate::epayment_reference("reference", reference).map_err(v)?;
        self.core
            .json(read(format!("/epayment/v1/payments/{}", seg(reference))))
            .await
    }

    /// `GET /epayment/v1/payments/{reference}/events`.
    pub async fn events(&self, reference: &str) -> Result<Vec<PaymentEvent>, ApiError> {
        validate::epayment_reference("reference", reference).map_err(v)?;
        self.core
            .json(read(format!(
                "/epayment/v1/payments/{}/events",
                seg(reference)
            )))
            .await
    }

    /// `POST /epayment/v1/payments/{reference}/capture`.
    pub async fn capture(
        &self,
        reference: &str,
        req: &ModificationRequest,
        key: &IdempotencyKey,
    ) -> Result<ModificationResponse, ApiError> {
        validate::epayment_reference("reference", reference).map_err(v)?;
        validate::modification_amount("modificationAmount.value", req.modification_amount)
            .map_err(v)?;
        self.modify(reference, "capture", body(Api::Epayment, req)?, key)
            .await
    }

    /// `POST /epayment/v1/payments/{reference}/refund`.
    pub async fn refund(
        &self,
        reference: &str,
        req: &ModificationRequest,
        key: &IdempotencyKey,
    ) -> Result<ModificationResponse, ApiError> {
        validate::epayment_reference("reference", reference).map_err(v)?;
        validate::modification_amount("modificationAmount.value", req.modification_amount)
            .map_err(v)?;
        self.modify(reference, "refund", body(Api::Epayment, req)?, key)
            .await
    }

    /// `POST /epayment/v1/payments/{reference}/cancel` with `{"cancelTransactionOnly": …}`.
    /// `cancel_transaction_only = true` cancels only if the customer has not approved yet
    /// (else 6060) — use it from the till's "abort" button.
    pub async fn cancel(
        &self,
        reference: &str,
        cancel_transaction_only: bool,
        key: &IdempotencyKey,
    ) -> Result<ModificationResponse, ApiError> {
        validate::epayment_reference("reference", reference).map_err(v)?;
        let req = CancelModificationRequest {
            cancel_transaction_only: Some(cancel_transaction_only),
        };
        self.modify(reference, "cancel", body(Api::Epayment, &req)?, key)
            .await
    }

    async fn modify(
        &self,
        reference: &str,
        op: &str,
        bytes: Vec<u8>,
        key: &IdempotencyKey,
    ) -> Result<ModificationResponse, ApiError> {
        self.core
            .json(Call {
                api: Api::Epayment,
                method: Method::POST,
                path: format!("/epayment/v1/payments/{}/{op}", seg(reference)),
                body: Some(bytes),
                idempotency_key: Some(key.as_str()),
                request_id: None,
                money_moving: true,
                repeatable: false,
            })
            .await
    }

    /// Test only: `POST /epayment/v1/test/payments/{reference}/approve`.
    pub async fn force_approve(
        &self,
        reference: &str,
        req: &ForceApproveRequest,
    ) -> Result<(), ApiError> {
        validate::epayment_reference("reference", reference).map_err(v)?;
        self.core
            .execute(Call {
                api: Api::Epayment,
                method: Method::POST,
                path: format!("/epayment/v1/test/payments/{}/approve", seg(reference)),
                body: Some(body(Api::Epayment, req)?),
                idempotency_key: None,
                request_id: None,
                money_moving: false,
                repeatable: false,
            })
            .await
            .map(|_| ())
    }
}

fn read(path: String) -> Call<'static> {
    Call {
        api: Api::Epayment,
        method: Method::GET,
        path,
        body: None,
        idempotency_key: None,
        request_id: None,
        money_moving: false,
        repeatable: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::{Currency, Money};
    use serde_json::json;

    #[test]
    fn create_request_uses_spec_field_names_and_skips_none() {
        let mut r =
            CreatePaymentRequest::new("shop1-t1-0001-1", Amount::nok(49800), UserFlow::PushMessage);
        r.customer = Some(Customer::phone("4791234567"));
        r.customer_interaction = Some(CustomerInteraction::CustomerPresent);
        r.payment_description = Some("Kjøp".into());
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            json!({
                "amount": {"currency": "NOK", "value": 49800},
                "customer": {"phoneNumber": "4791234567"},
                "customerInteraction": "CUSTOMER_PRESENT",
                "paymentMethod": {"type": "WALLET"},
                "reference": "shop1-t1-0001-1",
                "userFlow": "PUSH_MESSAGE",
                "paymentDescription": "Kjøp"
            })
        );
        let back: CreatePaymentRequest = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn get_response_tolerates_unknown_state_and_extra_fields() {
        let v = json!({
            "aggregate": {
                "authorizedAmount": {"currency": "NOK", "value": 100},
                "cancelledAmount": {"currency": "NOK", "value": 0},
                "capturedAmount": {"currency": "NOK", "value": 0},
                "refundedAmount": {"currency": "NOK", "value": 0}
            },
            "amount": {"currency": "NOK", "value": 100},
            "state": "SOMETHING_NEW",
            "paymentMethod": {"type": "WALLET"},
            "profile": {},
            "pspReference": "psp-1",
            "reference": "ref-00001",
            "captureGuaranteedUntil": "2026-12-01T00:00:00Z"
        });
        let r: GetPaymentResponse = serde_json::from_value(v).unwrap();
        assert_eq!(r.state, PaymentState::Unknown("SOMETHING_NEW".into()));
        assert_eq!(r.aggregate.capturable(), 100);
    }

    #[test]
    fn amount_money_conversion() {
        let m = Money::new(1234, Currency::Dkk);
        let a: Amount = m.into();
        assert_eq!(a, Amount::new(1234, Currency::Dkk));
        assert_eq!(Money::from(a), m);
    }

    #[test]
    fn customer_counts_identities() {
        assert_eq!(Customer::phone("4791234567").identities(), 1);
        let mut c = Customer::phone("4791234567");
        c.personal_qr = Some("https://qr".into());
        assert_eq!(c.identities(), 2);
    }
}
