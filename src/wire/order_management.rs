//! The Order Management wire types: request and response bodies exactly as the spec names them,
//! shared by the client (`api::order_management`) and the simulator (`sim`).

use crate::domain::money::Currency;
use crate::wire::wire_enum;
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
