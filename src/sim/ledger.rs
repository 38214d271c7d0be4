//! `GET /sim/v1/ledger`: everything the simulator did, to prove "exactly once".

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::state::{Api, Inner};
use crate::clock::rfc3339_millis;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub payments: Vec<LedgerPayment>,
    /// Order Management data for orderIds with no payment (no existence check).
    pub orders: Vec<LedgerOrder>,
    /// Creates Vipps refused because of the customer or the sales unit (ePayment 7010, 5080,
    /// 5040; eCom 81, 38): no payment was made, in the order they came.
    #[serde(default)]
    pub refused: Vec<LedgerRefusal>,
}

/// One refused create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRefusal {
    pub api: Api,
    pub msn: String,
    /// ePayment reference / eCom orderId.
    pub reference: String,
    /// The error code Vipps answered with.
    pub code: String,
    pub at: String,
}

/// Error codes of a refused create that the ledger records (see [`Ledger::refused`]).
pub const RECORDED_REFUSALS: &[&str] = &["7010", "5080", "5040", "81", "38"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerPayment {
    pub api: Api,
    pub msn: String,
    /// ePayment reference / eCom orderId / PSP merchantOrderId.
    pub reference: String,
    pub psp_transaction_id: Option<String>,
    /// State as the payment's API names it (ePayment state, eCom last operation, PSP status).
    pub state: String,
    pub currency: String,
    pub amount: i64,
    pub captured: i64,
    pub refunded: i64,
    pub cancelled: i64,
    pub receipt: Option<Value>,
    /// Order Management receipt POSTs for this reference (a second one gets 409).
    #[serde(default)]
    pub receipt_posts: u32,
    pub category: Option<Value>,
    pub operations: Vec<LedgerOperation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerOperation {
    /// Name in the payment's API (CREATED/CAPTURED..., INITIATE/RESERVE/CAPTURE..., RESERVED...).
    pub name: String,
    pub amount: i64,
    /// Idempotency-Key (ePayment) or X-Request-Id (eCom), if the call had one.
    pub idempotency_key: Option<String>,
    pub success: bool,
    /// RFC 3339 with milliseconds, UTC.
    pub time: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerOrder {
    pub order_id: String,
    pub payment_type: String,
    pub receipt: Option<Value>,
    pub category: Option<Value>,
}

pub fn build(inner: &Inner) -> Ledger {
    let payments = inner
        .payments
        .iter()
        .map(|p| {
            let om = inner.om.get(&p.reference);
            let state = match p.api {
                Api::Epayment => p.state.epayment_name().to_string(),
                _ => p
                    .ops
                    .iter()
                    .rev()
                    .find(|o| o.success)
                    .map(|o| o.name(p.api).to_string())
                    .unwrap_or_default(),
            };
            LedgerPayment {
                api: p.api,
                msn: p.msn.clone(),
                reference: p.reference.clone(),
                psp_transaction_id: p.psp.as_ref().map(|i| i.psp_transaction_id.clone()),
                state,
                currency: p.currency.clone(),
                amount: p.amount,
                captured: p.captured,
                refunded: p.refunded,
                cancelled: p.cancelled,
                receipt: om
                    .and_then(|o| o.receipt.clone())
                    .or_else(|| p.receipt.clone()),
                receipt_posts: om.map_or(0, |o| o.receipt_posts),
                category: om.and_then(|o| o.category.clone()),
                operations: p
                    .ops
                    .iter()
                    .map(|o| LedgerOperation {
                        name: o.name(p.api).to_string(),
                        amount: o.amount,
                        idempotency_key: o.key.clone(),
                        success: o.success,
                        time: rfc3339_millis(o.time),
                    })
                    .collect(),
            }
        })
        .collect();
    let mut orders: Vec<LedgerOrder> = inner
        .om
        .iter()
        .filter(|(id, _)| !inner.payments.iter().any(|p| &p.reference == *id))
        .map(|(id, o)| LedgerOrder {
            order_id: id.clone(),
            payment_type: o.payment_type.clone(),
            receipt: o.receipt.clone(),
            category: o.category.clone(),
        })
        .collect();
    orders.sort_by(|a, b| a.order_id.cmp(&b.order_id));
    Ledger {
        payments,
        orders,
        refused: inner.refused.clone(),
    }
}

impl Ledger {
    /// The payment with this reference (any API), if any.
    pub fn payment(&self, reference: &str) -> Option<&LedgerPayment> {
        self.payments.iter().find(|p| {
            p.reference == reference || p.psp_transaction_id.as_deref() == Some(reference)
        })
    }
}

impl LedgerPayment {
    /// Successful operations with this name.
    pub fn count(&self, name: &str) -> usize {
        self.operations
            .iter()
            .filter(|o| o.success && o.name == name)
            .count()
    }
}
