//! Order Management API (v1 images, v2 categories/receipts): wire types and the client.

pub use crate::wire::order_management::*;

use crate::api::error::{Api, ApiError};
use crate::api::http::{Call, Core, body, seg};
use crate::api::validate;
use reqwest::Method;

/// `vipps.order_management()`.
pub struct OrderManagementClient<'a> {
    pub(crate) core: &'a Core,
}

fn v(e: validate::ValidationError) -> ApiError {
    ApiError::validation(Api::OrderManagement, e)
}

fn call(method: Method, path: String, body: Option<Vec<u8>>) -> Call<'static> {
    // Receipts and images are write-once (409 = already there) and categories are PUT:
    // every OM call is safe to resend.
    Call {
        api: Api::OrderManagement,
        method,
        path,
        body,
        idempotency_key: None,
        request_id: None,
        money_moving: false,
        repeatable: true,
    }
}

fn already_exists<T>(r: Result<T, ApiError>) -> Result<Stored<T>, ApiError> {
    match r {
        Ok(t) => Ok(Stored::Created(t)),
        Err(e) if e.status == Some(409) => {
            tracing::info!(error = %e, "Order Management 409: already stored, treated as success");
            Ok(Stored::AlreadyExists)
        }
        Err(e) => Err(e),
    }
}

impl OrderManagementClient<'_> {
    /// `POST /order-management/v1/images`; 409 ⇒ `Stored::AlreadyExists`.
    pub async fn upload_image(&self, image: &Image) -> Result<Stored<ImageResponse>, ApiError> {
        validate::om_image(image).map_err(v)?;
        let b = body(Api::OrderManagement, image)?;
        already_exists(
            self.core
                .json(call(
                    Method::POST,
                    "/order-management/v1/images".to_owned(),
                    Some(b),
                ))
                .await,
        )
    }

    /// `PUT /order-management/v2/{paymentType}/categories/{orderId}`.
    pub async fn put_category(
        &self,
        payment_type: &PaymentType,
        order_id: &str,
        order: &Order,
    ) -> Result<(), ApiError> {
        validate::om_id("orderId", order_id, 256).map_err(v)?;
        validate::om_category(order).map_err(v)?;
        let b = body(Api::OrderManagement, order)?;
        self.core
            .execute(call(
                Method::PUT,
                format!(
                    "/order-management/v2/{}/categories/{}",
                    seg(payment_type.as_str()),
                    seg(order_id)
                ),
                Some(b),
            ))
            .await
            .map(|_| ())
    }

    /// `POST /order-management/v2/{paymentType}/receipts/{orderId}`; 409 ⇒ `Stored::AlreadyExists`.
    pub async fn add_receipt(
        &self,
        payment_type: &PaymentType,
        order_id: &str,
        receipt: &Receipt,
    ) -> Result<Stored<()>, ApiError> {
        validate::om_id("orderId", order_id, 256).map_err(v)?;
        validate::receipt("receipt", receipt).map_err(v)?;
        let b = body(Api::OrderManagement, receipt)?;
        already_exists(
            self.core
                .execute(call(
                    Method::POST,
                    format!(
                        "/order-management/v2/{}/receipts/{}",
                        seg(payment_type.as_str()),
                        seg(order_id)
                    ),
                    Some(b),
                ))
                .await
                .map(|_| ()),
        )
    }

    /// `GET /order-management/v2/{paymentType}/{orderId}`.
    pub async fn get(
        &self,
        payment_type: &PaymentType,
        order_id: &str,
    ) -> Result<OrderV2Response, ApiError> {
        validate::om_id("orderId", order_id, 256).map_err(v)?;
        self.core
            .json(call(
                Method::GET,
                format!(
                    "/order-management/v2/{}/{}",
                    seg(payment_type.as_str()),
                    seg(order_id)
                ),
                None,
            ))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use serde_json::json;

    #[test]
    fn receipt_wire_shape() {
        let mut bl = BottomLine::new(Currency::Nok);
        bl.pos_id = Some("t1".into());
        bl.receipt_number = Some("000123".into());
        bl.barcode = Some(Barcode {
            format: BarcodeFormat::Code128,
            data: "000123".into(),
        });
        let r = Receipt {
            order_lines: vec![OrderLine::new("sku-1", "Kaffe", 12500, 10000, 2500)],
            bottom_line: bl,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            json!({
                "orderLines": [{"name": "Kaffe", "id": "sku-1", "totalAmount": 12500,
                    "totalAmountExcludingTax": 10000, "totalTaxAmount": 2500, "taxRate": 2500}],
                "bottomLine": {"currency": "NOK", "posId": "t1", "receiptNumber": "000123",
                    "barcode": {"format": "CODE 128", "data": "000123"}}
            })
        );
        assert_eq!(serde_json::from_value::<Receipt>(v).unwrap(), r);
        assert!(r.order_lines[0].identity_holds());
    }

    #[test]
    fn image_type_is_lowercase_base64() {
        let i = Image {
            image_id: "logo-1".into(),
            src: "aGVsbG8=".into(),
            kind: ImageType::Base64,
        };
        assert_eq!(
            serde_json::to_value(&i).unwrap(),
            json!({"imageId": "logo-1", "src": "aGVsbG8=", "type": "base64"})
        );
    }
}
