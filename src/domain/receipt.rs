//! Receipt lines for ePayment `receipt` / Order Management, produced from a [`Basket`].
//!
//! Guarantees (property-tested in `tests/domain_basket.rs`):
//! - on every line `total_amount − total_amount_excluding_tax == total_tax_amount`;
//! - every amount is ≥ 0 (returns are flagged with `is_return`, as Order Management requires);
//! - Σ total_amount (returns negative) == basket gross == the amount charged.

use crate::domain::basket::{Basket, BasketError, QuantityUnit};
use crate::domain::money::Currency;
use serde::{Deserialize, Serialize};

/// One receipt line, flat; the API layer maps it onto the wire `OrderLine` + `unitInfo`.
/// All amounts are minor units and non-negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptLine {
    /// Product id (EAN/PLU).
    pub id: String,
    pub name: String,
    /// Line total incl. VAT, after discount.
    pub total_amount: i64,
    pub total_amount_excluding_tax: i64,
    pub total_tax_amount: i64,
    /// Hundredths of a percent (2500 = 25 %).
    pub tax_rate: u32,
    /// Per unit incl. VAT, before discount.
    pub unit_price: i64,
    /// `^\d+([\.]\d{1,8})?$`, at most 10 characters.
    pub quantity: String,
    pub quantity_unit: QuantityUnit,
    /// Total discount on the line incl. VAT.
    pub discount: i64,
    pub is_return: bool,
}

impl ReceiptLine {
    /// `total_amount` with the return sign applied.
    pub fn signed_total(&self) -> i64 {
        if self.is_return {
            -self.total_amount
        } else {
            self.total_amount
        }
    }
}

/// Σ total_amount with returns negative (checked).
pub fn receipt_total(lines: &[ReceiptLine]) -> Result<i64, BasketError> {
    lines.iter().try_fold(0i64, |acc, l| {
        acc.checked_add(l.signed_total())
            .ok_or(BasketError::Overflow)
    })
}

/// The receipt's bottom-line currency (for the API layer's `BottomLine`).
pub fn receipt_currency(basket: &Basket) -> Currency {
    basket.currency()
}

impl Basket {
    /// One receipt line per basket line, in basket order.
    pub fn receipt_lines(&self) -> Result<Vec<ReceiptLine>, BasketError> {
        // Validate the whole basket (including the summed totals) first.
        self.totals()?;
        self.lines()
            .iter()
            .map(|line| {
                let a = line.amounts()?;
                Ok(ReceiptLine {
                    id: line.product_id.trim().to_string(),
                    name: line.name.trim().to_string(),
                    total_amount: a.gross.minor(),
                    total_amount_excluding_tax: a.net.minor(),
                    total_tax_amount: a.vat.minor(),
                    tax_rate: line.vat.hundredths(),
                    unit_price: line.unit_price.minor(),
                    quantity: line.quantity.to_receipt_string(),
                    quantity_unit: line.quantity.unit(),
                    discount: a.discount.minor(),
                    is_return: line.is_return,
                })
            })
            .collect()
    }
}
