//! Order Management API (v1 images, v2 categories/receipts): wire types and the client.

use crate::api::wire::wire_enum;
use crate::domain::money::Currency;
use serde::{Deserialize, Serialize};

wire_enum! {
    /// `{paymentType}` path segment (`ECOM` also covers ePayment payments).
    pub enum PaymentType {
        Ecom = "ECOM",
        Recurring = "RECURRING",
    }
}

wire_enum! {
    /// `CategoryEnum`.
    pub enum Category {
        General = "GENERAL",
        Receipt = "RECEIPT",
        OrderConfirmation = "ORDER_CONFIRMATION",
        Delivery = "DELIVERY",
        Ticket = "TICKET",
        Booking = "BOOKING",
    }
}

wire_enum! {
    /// `QuantityUnitEnum`.
    pub enum QuantityUnit {
        Pcs = "PCS",
        Kg = "KG",
        Km = "KM",
        Minute = "MINUTE",
        Litre = "LITRE",
        Kwh = "KWH",
    }
}

wire_enum! {
    /// `BarcodeFormatEnum`.
    pub enum BarcodeFormat {
        Ean13 = "EAN-13",
        Code39 = "CODE 39",
        Code128 = "CODE 128",
    }
}

wire_enum! {
    /// `Image.type` (only `base64`).
    pub enum ImageType {
        Base64 = "base64",
    }
}

/// `Image` (`POST /order-management/v1/images`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// `^[0-9A-Za-z-_\.]+$`, ≤128.
    pub image_id: String,
    /// Base64 PNG/JPEG data (not a URL), ≤ 2 MB.
    pub src: String,
    #[serde(rename = "type")]
    pub kind: ImageType,
}

/// `ImageResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
}

/// `Order` (the v2 category body of `PUT …/categories/{orderId}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub category: Category,
    pub order_details_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
}

/// `UnitInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitInfo {
    /// Per unit incl. tax, excl. discount (nullable but required).
    pub unit_price: Option<i64>,
    /// `^\d+([\.]\d{1,8})?$`, ≤10 chars.
    pub quantity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_unit: Option<QuantityUnit>,
}

/// `OrderLine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub name: String,
    pub id: String,
    pub total_amount: i64,
    pub total_amount_excluding_tax: i64,
    pub total_tax_amount: i64,
    /// Deprecated; use `tax_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_percentage: Option<i64>,
    /// Hundredths of a percent: 2500 = 25 %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_info: Option<UnitInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_return: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_shipping: Option<bool>,
}

impl OrderLine {
    /// A line with the required fields; optional ones unset.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        total_amount: i64,
        total_amount_excluding_tax: i64,
        tax_rate: i64,
    ) -> OrderLine {
        OrderLine {
            name: name.into(),
            id: id.into(),
            total_amount,
            total_amount_excluding_tax,
            total_tax_amount: total_amount - total_amount_excluding_tax,
            tax_percentage: None,
            tax_rate: Some(tax_rate),
            unit_info: None,
            discount: None,
            product_url: None,
            is_return: None,
            is_shipping: None,
        }
    }

    /// `totalAmount − totalAmountExcludingTax == totalTaxAmount`.
    pub fn identity_holds(&self) -> bool {
        self.total_amount
            .checked_sub(self.total_amount_excluding_tax)
            == Some(self.total_tax_amount)
    }
}

/// `PaymentSources` (split tender).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentSources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_card: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash: Option<i64>,
}

/// `Barcode`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Barcode {
    pub format: BarcodeFormat,
    pub data: String,
}

/// Deprecated `ShippingInfo` (kept so old receipts parse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingInfo {
    pub amount: Option<i64>,
    pub amount_excluding_tax: Option<i64>,
    pub tax_amount: Option<i64>,
    pub tax_percentage: Option<i64>,
}

/// `BottomLine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BottomLine {
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_amount: Option<i64>,
    /// Deprecated; use `payment_sources.gift_card`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_card_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos_id: Option<String>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<i64>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<i64>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_discount: Option<i64>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_amount: Option<i64>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_info: Option<ShippingInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_sources: Option<PaymentSources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<Barcode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_number: Option<String>,
    /// Deprecated; use `pos_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
}

impl BottomLine {
    pub fn new(currency: Currency) -> BottomLine {
        BottomLine {
            currency,
            tip_amount: None,
            gift_card_amount: None,
            pos_id: None,
            total_amount: None,
            total_tax: None,
            total_discount: None,
            shipping_amount: None,
            shipping_info: None,
            payment_sources: None,
            barcode: None,
            receipt_number: None,
            terminal_id: None,
        }
    }
}

/// `Receipt` (also embedded in ePayment create).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub order_lines: Vec<OrderLine>,
    pub bottom_line: BottomLine,
}

/// `OrderV2Response` (`GET /order-management/v2/{paymentType}/{orderId}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderV2Response {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Order>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
}

/// Outcome of a write-once Order Management call (receipt, image): a 409 means the same
/// thing is already stored, which for a retry after a lost response is success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored<T> {
    Created(T),
    AlreadyExists,
}

impl<T> Stored<T> {
    pub fn is_already_exists(&self) -> bool {
        matches!(self, Stored::AlreadyExists)
    }
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

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
