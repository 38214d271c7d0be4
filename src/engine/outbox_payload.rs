//! The JSON stored in an outbox row's `payload_json`. The row's idempotency key is the key sent
//! to Vipps, so a retry after a crash sends the same body with the same key.

use crate::engine::events::ApiKind;
use crate::engine::provider::{ReceiptLineSpec, ReceiptSpec};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Payload {
    /// Capture `amount` on the payment. `id` = reference, or pspTransactionId for PSP.
    Capture {
        api: ApiKind,
        id: String,
        amount: i64,
        currency: String,
    },
    /// Cancel; `transaction_only` = ePayment `cancelTransactionOnly`. `void` = a deliberate
    /// release after the customer approved during an abort.
    Cancel {
        api: ApiKind,
        id: String,
        amount: i64,
        currency: String,
        transaction_only: bool,
        void: bool,
    },
    Refund {
        api: ApiKind,
        id: String,
        amount: i64,
        currency: String,
    },
    /// Order Management receipt (eCom sales; ePayment sends it inside create).
    Receipt {
        api: ApiKind,
        reference: String,
        currency: String,
        receipt: StoredReceipt,
    },
    /// Order Management category (+ image) for a paid sale.
    Category {
        reference: String,
        category: String,
        order_details_url: String,
        image_id: Option<String>,
    },
    /// PSP `updatestatus` report.
    PspStatus {
        psp_transaction_id: String,
        /// `CAPTURED` | `CANCELLED` | `REFUNDED`.
        status: String,
        amount: i64,
        currency: String,
    },
}

impl Payload {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceiptLine {
    pub name: String,
    pub id: String,
    pub total_amount: i64,
    pub total_amount_excluding_tax: i64,
    pub total_tax_amount: i64,
    pub tax_rate: i64,
    pub quantity: String,
    pub unit: String,
    pub unit_price: i64,
    pub discount: i64,
    pub is_return: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipt {
    pub lines: Vec<StoredReceiptLine>,
    pub receipt_number: String,
    pub pos_id: String,
    /// Rows written before these fields existed read as: no tip, Vipps only, no barcode.
    #[serde(default)]
    pub tip_amount: i64,
    #[serde(default)]
    pub other_tenders: Vec<crate::receipt::model::Tender>,
    #[serde(default)]
    pub barcode: bool,
}

impl From<&ReceiptSpec> for StoredReceipt {
    fn from(r: &ReceiptSpec) -> StoredReceipt {
        StoredReceipt {
            lines: r
                .lines
                .iter()
                .map(|l| StoredReceiptLine {
                    name: l.name.clone(),
                    id: l.id.clone(),
                    total_amount: l.total_amount,
                    total_amount_excluding_tax: l.total_amount_excluding_tax,
                    total_tax_amount: l.total_tax_amount,
                    tax_rate: l.tax_rate,
                    quantity: l.quantity.clone(),
                    unit: l.unit.clone(),
                    unit_price: l.unit_price,
                    discount: l.discount,
                    is_return: l.is_return,
                })
                .collect(),
            receipt_number: r.receipt_number.clone(),
            pos_id: r.pos_id.clone(),
            tip_amount: r.tip_amount,
            other_tenders: r.other_tenders.clone(),
            barcode: r.barcode,
        }
    }
}

impl From<&StoredReceipt> for ReceiptSpec {
    fn from(r: &StoredReceipt) -> ReceiptSpec {
        ReceiptSpec {
            lines: r
                .lines
                .iter()
                .map(|l| ReceiptLineSpec {
                    name: l.name.clone(),
                    id: l.id.clone(),
                    total_amount: l.total_amount,
                    total_amount_excluding_tax: l.total_amount_excluding_tax,
                    total_tax_amount: l.total_tax_amount,
                    tax_rate: l.tax_rate,
                    quantity: l.quantity.clone(),
                    unit: l.unit.clone(),
                    unit_price: l.unit_price,
                    discount: l.discount,
                    is_return: l.is_return,
                })
                .collect(),
            receipt_number: r.receipt_number.clone(),
            pos_id: r.pos_id.clone(),
            tip_amount: r.tip_amount,
            other_tenders: r.other_tenders.clone(),
            barcode: r.barcode,
        }
    }
}

pub use crate::domain::reference::derived_key;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_roundtrip() {
        let p = Payload::Cancel {
            api: ApiKind::Epayment,
            id: "kasse-s1-t1-000001-a1".into(),
            amount: 4990,
            currency: "NOK".into(),
            transaction_only: true,
            void: false,
        };
        let back: Payload = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(back, p);
        assert!(p.to_json().contains("\"op\":\"cancel\""));
    }

    #[test]
    fn derived_keys_are_stable_and_short() {
        let a = derived_key("om", "kasse-s1-t1-000001-a1");
        assert_eq!(a, derived_key("om", "kasse-s1-t1-000001-a1"));
        assert_ne!(a, derived_key("om", "kasse-s1-t1-000002-a1"));
        assert_eq!(a.len(), 19);
    }
}
