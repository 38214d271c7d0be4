//! One provider interface over ePayment (default), eCom and PSP.
//!
//! The engine only speaks [`Provider`]; each API maps its own wire format onto the same create /
//! read / capture / cancel / refund calls. Idempotency keys are always minted by the caller
//! (written to the journal before the call) and passed in unchanged on every retry.

use crate::domain::money::Money;
use crate::engine::acquirer::BoxFuture;
use crate::engine::events::ApiKind;
use crate::lang::Text;
use std::time::Duration;

/// How the customer is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerId {
    /// MSISDN with country code, digits only (`4791234567`).
    Phone(String),
    /// The scanned personal QR text, unmodified (ePayment `customer.personalQr`).
    PersonalQr(String),
}

/// Push to a customer, or show a QR on the customer-facing screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowSpec {
    Push(CustomerId),
    Qr,
}

/// One receipt line for ePayment `receipt` / Order Management (minor units, VAT in 1/100 %).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLineSpec {
    pub name: String,
    pub id: String,
    /// Gross, incl. VAT; always ≥ 0. Order Management rejects negative amounts: a returned
    /// line keeps its positive amounts and sets [`ReceiptLineSpec::is_return`].
    pub total_amount: i64,
    pub total_amount_excluding_tax: i64,
    pub total_tax_amount: i64,
    /// Hundredths of a percent (2500 = 25 %).
    pub tax_rate: i64,
    /// Quantity as shown (`"2"`, `"0.352"`).
    pub quantity: String,
    /// `PCS` | `KG` | ... (Order Management unit codes).
    pub unit: String,
    pub unit_price: i64,
    pub discount: i64,
    pub is_return: bool,
}

/// The receipt sent with create (ePayment) or to Order Management (eCom).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptSpec {
    pub lines: Vec<ReceiptLineSpec>,
    /// The sale's receipt number (`bottomLine.receiptNumber`).
    pub receipt_number: String,
    /// The till (`bottomLine.posId`).
    pub pos_id: String,
    /// Tip on top of the lines, minor units (`bottomLine.tipAmount`; 0 = no tip).
    pub tip_amount: i64,
    /// The non-Vipps parts of a split tender (cash, card, …) → `bottomLine.paymentSources`.
    /// Empty when everything went through Vipps.
    pub other_tenders: Vec<crate::receipt::model::Tender>,
    /// Put a CODE 128 `barcode` of the receipt number on the receipt (`receipt.barcode`).
    pub barcode: bool,
}

impl ReceiptSpec {
    /// A Vipps-only receipt without tip: lines, receipt number, till, barcode on/off.
    pub fn new(
        lines: Vec<ReceiptLineSpec>,
        receipt_number: impl Into<String>,
        pos_id: impl Into<String>,
        barcode: bool,
    ) -> ReceiptSpec {
        ReceiptSpec {
            lines,
            receipt_number: receipt_number.into(),
            pos_id: pos_id.into(),
            tip_amount: 0,
            other_tenders: Vec::new(),
            barcode,
        }
    }
}

/// Everything a create needs. Built from the journal row, so a retry sends the same body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSpec {
    pub reference: String,
    pub amount: Money,
    pub flow: FlowSpec,
    pub description: String,
    pub receipt: Option<ReceiptSpec>,
    /// ePayment `Idempotency-Key` (eCom/PSP initiate is guarded by orderId uniqueness).
    pub key: String,
    /// PSP only.
    pub psp_transaction_id: Option<String>,
}

/// What create returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Created {
    /// What the UI should draw as a QR (QR flow), if any.
    pub qr_payload: Option<String>,
}

/// The provider's view of a payment, reduced to what the state machine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadState {
    /// Created; the customer has not opened it yet.
    Created,
    /// The customer opened it (eCom/PSP: landing page / app opened) but has not approved.
    Opened,
    /// Approved; money reserved.
    Authorized,
    /// The customer said no.
    Rejected,
    /// Timed out at Vipps.
    Expired,
    /// Cancelled by the merchant (before or after authorization).
    Cancelled,
    /// The payment failed at Vipps (eCom failed initiate, PSP makePayment FAIL).
    Failed,
}

/// Amounts as last read (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amounts {
    pub authorized: i64,
    pub captured: i64,
    pub refunded: i64,
    pub cancelled: i64,
}

/// One read of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadResult {
    pub state: ReadState,
    pub amounts: Amounts,
    /// What the read says about the payment itself, to tell ours from someone else's.
    pub facts: PaymentFacts,
}

/// The payment's own amount, currency and creation time as Vipps reports them (None = the
/// API does not say). Used to prove that a payment answering to our reference is ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaymentFacts {
    /// The amount asked for at create, in minor units.
    pub amount: Option<i64>,
    pub currency: Option<crate::domain::money::Currency>,
    pub created_at: Option<time::OffsetDateTime>,
}

/// Result of capture / cancel / refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModificationResult {
    /// Amounts after the operation, when the API tells us (ePayment aggregate, eCom summary).
    pub amounts: Option<Amounts>,
}

/// How to treat a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// No connection to Vipps (DNS, connect refused, TLS): nothing reached the server.
    Offline,
    /// Sent, but no answer (timeout, dropped connection, 5xx): the outcome is unknown until a
    /// read says so. Retry with the same key.
    OutcomeUnknown,
    /// 429 / 423 / "order processing": retry later with the same key.
    Throttled,
    /// The payment does not exist at Vipps (404, 5090).
    NotFound,
    /// Credentials or configuration (401/403, 5080 push not allowed, …): a person must act.
    Config,
    /// The request was refused for good (4xx): do not retry with this key.
    Rejected,
}

/// A provider error: class, cashier message and technical detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct ProviderError {
    pub class: ErrorClass,
    pub message: Text,
    /// Technical detail for logs and the journal (never secrets).
    pub detail: String,
    pub http_status: Option<u16>,
    /// Vipps error code (ePayment `extraDetails` code, eCom `errorCode`, PSP `errorCode`).
    pub code: Option<String>,
    pub retry_after: Option<Duration>,
    /// No attempt of this call can have reached Vipps (every attempt failed to connect), so
    /// it certainly had no effect.
    pub never_sent: bool,
}

impl ProviderError {
    pub fn new(class: ErrorClass, message: Text, detail: impl Into<String>) -> ProviderError {
        ProviderError {
            class,
            message,
            detail: detail.into(),
            http_status: None,
            code: None,
            retry_after: None,
            never_sent: false,
        }
    }

    /// True when retrying with the same key later is right.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.class,
            ErrorClass::Offline | ErrorClass::OutcomeUnknown | ErrorClass::Throttled
        )
    }
}

/// One interface over ePayment, eCom and PSP.
pub trait Provider: Send + Sync + 'static {
    fn kind(&self) -> ApiKind;
    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>>;
    /// `id` is the reference (ePayment/eCom) or the pspTransactionId (PSP).
    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>>;
    /// A read for telling our payment from someone else's ("already exists"): the read's
    /// facts, completed where the API needs a second call (ePayment's creation time is in its
    /// events). The default is the plain read.
    fn identify<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        self.read(id)
    }
    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>>;
    /// `transaction_only`: ePayment `cancelTransactionOnly` (cancel only if not yet authorized).
    fn cancel<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        transaction_only: bool,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>>;
    fn refund<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>>;
}

/// Order Management receipts (for eCom sales; ePayment sends the receipt inside create).
pub trait ReceiptSender: Send + Sync + 'static {
    /// Send the receipt for `reference`. A 409 (receipt already exists) is success: it means a
    /// previous attempt whose answer was lost went through.
    fn send_receipt<'a>(
        &'a self,
        api: ApiKind,
        reference: &'a str,
        currency: crate::domain::money::Currency,
        receipt: &'a ReceiptSpec,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Put the category (uploading its image first when one is set).
    fn send_category<'a>(
        &'a self,
        reference: &'a str,
        category: &'a CategorySpec,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
}

/// Order Management category for a paid sale: the link the customer sees in the app, and an
/// optional image (uploaded once; 409 = already there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySpec {
    /// Wire code: `RECEIPT`, `GENERAL`, `ORDER_CONFIRMATION`, ….
    pub category: String,
    pub order_details_url: String,
    pub image_id: Option<String>,
}

/// PSP `updatestatus` reports (CAPTURED / CANCELLED / REFUNDED).
pub trait PspStatusSender: Send + Sync + 'static {
    fn report<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        status: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
}

/// The wire `Receipt` (ePayment `receipt` / Order Management) for a receipt spec.
///
/// The order lines are mapped here; the `bottomLine` (currency, `posId`, `receiptNumber`,
/// `paymentSources`, `tipAmount`, CODE 128 `barcode`) and the final checks (VAT identity and
/// signs on every line, the API layer's receipt rules) come from [`crate::receipt::om`], so
/// ePayment create and Order Management send the same receipt as the paper side describes.
pub fn wire_receipt(
    spec: &ReceiptSpec,
    currency: crate::domain::money::Currency,
) -> Result<crate::api::order_management::Receipt, crate::receipt::om::OmError> {
    use crate::api::order_management::{OrderLine, QuantityUnit, UnitInfo};
    let order_lines = spec
        .lines
        .iter()
        .map(|l| {
            let mut ol = OrderLine::new(
                l.id.clone(),
                l.name.clone(),
                l.total_amount,
                l.total_amount_excluding_tax,
                l.tax_rate,
            );
            ol.total_tax_amount = l.total_tax_amount;
            ol.unit_info = Some(UnitInfo {
                unit_price: Some(l.unit_price),
                quantity: l.quantity.clone(),
                quantity_unit: Some(match l.unit.to_ascii_uppercase().as_str() {
                    "KG" => QuantityUnit::Kg,
                    "KM" => QuantityUnit::Km,
                    "MINUTE" => QuantityUnit::Minute,
                    "LITRE" => QuantityUnit::Litre,
                    "KWH" => QuantityUnit::Kwh,
                    _ => QuantityUnit::Pcs,
                }),
            });
            ol.discount = (l.discount != 0).then_some(l.discount);
            ol.is_return = l.is_return.then_some(true);
            ol
        })
        .collect();
    let bottom = crate::receipt::om::bottom_line(
        currency,
        &spec.pos_id,
        &spec.receipt_number,
        &spec.other_tenders,
        Money::new(spec.tip_amount, currency),
        spec.barcode,
    )?;
    crate::receipt::om::assemble(order_lines, bottom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    #[test]
    fn wire_receipt_keeps_identity_and_flags_returns() {
        let spec = ReceiptSpec {
            lines: vec![
                ReceiptLineSpec {
                    name: "Kaffe".into(),
                    id: "7040".into(),
                    total_amount: 4990,
                    total_amount_excluding_tax: 3992,
                    total_tax_amount: 998,
                    tax_rate: 2500,
                    quantity: "1".into(),
                    unit: "pcs".into(),
                    unit_price: 4990,
                    discount: 0,
                    is_return: false,
                },
                ReceiptLineSpec {
                    name: "Pant".into(),
                    id: "pant".into(),
                    total_amount: 200,
                    total_amount_excluding_tax: 200,
                    total_tax_amount: 0,
                    tax_rate: 0,
                    quantity: "0.352".into(),
                    unit: "kg".into(),
                    unit_price: 200,
                    discount: 0,
                    is_return: true,
                },
            ],
            receipt_number: "s1-t1-000001".into(),
            pos_id: "s1-t1".into(),
            tip_amount: 0,
            other_tenders: Vec::new(),
            barcode: false,
        };
        let r = wire_receipt(&spec, Currency::Nok).unwrap();
        assert!(r.order_lines.iter().all(|l| l.identity_holds()));
        assert_eq!(r.order_lines[1].is_return, Some(true));
        assert_eq!(
            r.bottom_line.receipt_number.as_deref(),
            Some("s1-t1-000001")
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["orderLines"][1]["unitInfo"]["quantityUnit"], "KG");
        assert_eq!(v["bottomLine"]["posId"], "s1-t1");
        assert!(v["bottomLine"].get("barcode").is_none(), "{v}");
        assert!(v["bottomLine"].get("tipAmount").is_none(), "{v}");
        assert!(v["bottomLine"].get("paymentSources").is_none(), "{v}");
    }

    fn coffee() -> ReceiptLineSpec {
        ReceiptLineSpec {
            name: "Kaffe".into(),
            id: "7040".into(),
            total_amount: 4990,
            total_amount_excluding_tax: 3992,
            total_tax_amount: 998,
            tax_rate: 2500,
            quantity: "1".into(),
            unit: "pcs".into(),
            unit_price: 4990,
            discount: 0,
            is_return: false,
        }
    }

    #[test]
    fn wire_receipt_bottom_line_has_till_number_tip_sources_and_barcode() {
        let mut spec = ReceiptSpec::new(vec![coffee()], "00000042", "s1-t1", true);
        spec.tip_amount = 1000;
        spec.other_tenders = vec![crate::receipt::model::Tender::cash(
            Money::nok(2000),
            Money::nok(2000),
        )];
        let v = serde_json::to_value(wire_receipt(&spec, Currency::Nok).unwrap()).unwrap();
        let bl = &v["bottomLine"];
        assert_eq!(bl["currency"], "NOK");
        assert_eq!(bl["posId"], "s1-t1");
        assert_eq!(bl["receiptNumber"], "00000042");
        assert_eq!(bl["tipAmount"], 1000);
        assert_eq!(bl["paymentSources"]["cash"], 2000);
        assert_eq!(bl["barcode"]["format"], "CODE 128");
        assert_eq!(bl["barcode"]["data"], "00000042");
    }

    #[test]
    fn wire_receipt_refuses_negative_lines() {
        let mut bad = coffee();
        bad.total_amount = -4990;
        bad.total_amount_excluding_tax = -3992;
        bad.total_tax_amount = -998;
        let spec = ReceiptSpec::new(vec![bad], "00000042", "s1-t1", false);
        let e = wire_receipt(&spec, Currency::Nok).unwrap_err();
        assert!(e.to_string().contains("isReturn"), "{e}");
    }
}
