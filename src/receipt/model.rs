//! The printable receipt: everything that goes on paper, computed once from a [`Sale`].
//!
//! Pure and integer-only. Amounts on [`PrintLine`] and [`VatRow`] are signed: a returned line
//! counts negative, exactly like [`Basket::totals`]. A receipt whose total is negative is a
//! refund receipt ([`ReceiptFlags::refund`]); use [`refund_basket`] to turn the lines of an
//! original sale into the lines of its refund.

use crate::domain::basket::{Basket, BasketError};
use crate::domain::money::{Currency, Money, MoneyError};
use crate::domain::vat::VatRate;
use crate::lang::{Lang, Text};
use crate::receipt::ShopInfo;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How (part of) a sale was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TenderKind {
    /// Paid in the Vipps app; `reference` is the ePayment reference / eCom orderId.
    Vipps {
        reference: String,
    },
    /// Cash. `tendered` is what the customer handed over (≥ the amount); the difference is change.
    Cash {
        tendered: Money,
    },
    Card,
    GiftCard,
    Voucher,
}

/// One tender: how much of the total was settled this way (always ≥ 0; for a refund, the
/// amount paid back this way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    pub kind: TenderKind,
    pub amount: Money,
}

impl Tender {
    pub fn vipps(reference: impl Into<String>, amount: Money) -> Tender {
        Tender {
            kind: TenderKind::Vipps {
                reference: reference.into(),
            },
            amount,
        }
    }
    pub fn cash(amount: Money, tendered: Money) -> Tender {
        Tender {
            kind: TenderKind::Cash { tendered },
            amount,
        }
    }
    pub fn card(amount: Money) -> Tender {
        Tender {
            kind: TenderKind::Card,
            amount,
        }
    }
    pub fn gift_card(amount: Money) -> Tender {
        Tender {
            kind: TenderKind::GiftCard,
            amount,
        }
    }
    pub fn voucher(amount: Money) -> Tender {
        Tender {
            kind: TenderKind::Voucher,
            amount,
        }
    }

    /// Change to hand back for a cash tender (0 otherwise).
    pub fn change(&self) -> Result<Money, MoneyError> {
        match &self.kind {
            TenderKind::Cash { tendered } => tendered.checked_sub(self.amount),
            _ => Ok(Money::zero(self.amount.currency())),
        }
    }

    pub fn is_cash(&self) -> bool {
        matches!(self.kind, TenderKind::Cash { .. })
    }
}

/// A finished sale (or refund) as the engine knows it: the input of every receipt builder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    /// The lines. Return lines (`is_return`) count negative.
    pub basket: Basket,
    /// How it was paid (or paid back). Σ amounts must equal |basket gross + tip|.
    pub tenders: Vec<Tender>,
    /// Tip on top of the basket (zero if none). Never negative.
    pub tip: Money,
    /// The sale's receipt number as the journal has it (`s1-t1-000123`); the same string goes
    /// to the Vipps app receipt, so paper and app agree. `ReceiptNumber(n).to_string()` gives
    /// the plain 8-digit form.
    pub receipt_number: String,
    /// When the sale completed, in the offset it should be printed in (pass local time).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The till (`posId`).
    pub till: String,
    pub cashier: String,
    /// Training mode: nothing real happened; printed as TRAINING.
    pub training: bool,
    /// Øreavrunding of a cash-only sale: the cash tender is `total + cash_rounding` (rounded
    /// to the currency's cash step). Zero for every other sale; |x| ≤ half a cash step.
    #[serde(default = "zero_rounding")]
    pub cash_rounding: Money,
}

/// Default for receipts stored before cash rounding existed (zero; its currency is not
/// checked while it is zero).
fn zero_rounding() -> Money {
    Money::nok(0)
}

/// Flags printed as big marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReceiptFlags {
    /// A reprint.
    pub copy: bool,
    /// Training mode.
    pub training: bool,
    /// Money was paid back (total < 0).
    pub refund: bool,
}

/// One receipt line. Amounts are signed (returns negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintLine {
    pub id: String,
    pub name: String,
    /// Quantity as a decimal string with a comma (`2`, `0,45`).
    pub quantity: String,
    /// Unit label in the receipt's language (`stk`, `kg`).
    pub unit: String,
    /// Whole pieces (`2 stk`): unit price shown as `2 x 12,50`.
    pub whole_units: bool,
    /// Per unit, VAT-inclusive, before discount (always ≥ 0).
    pub unit_price: Money,
    /// Discount on the line, signed like the line (a sale line's discount is negative on paper).
    pub discount: Money,
    /// Line total incl. VAT after discount, signed.
    pub total: Money,
    pub vat_rate: VatRate,
    pub is_return: bool,
}

/// VAT for one rate, signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatRow {
    pub rate: VatRate,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
}

/// A tender as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintTender {
    pub kind: TenderKind,
    /// Amount settled (≥ 0).
    pub amount: Money,
    /// Cash handed over (cash only).
    pub tendered: Option<Money>,
    /// Change handed back (cash only).
    pub change: Option<Money>,
}

/// Everything that goes on a paper receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintableReceipt {
    pub shop: ShopInfo,
    pub lang: Lang,
    pub currency: Currency,
    pub lines: Vec<PrintLine>,
    pub vat: Vec<VatRow>,
    /// Σ line totals (signed).
    pub subtotal: Money,
    /// Σ VAT (signed).
    pub vat_total: Money,
    /// Σ discounts as printed (≤ 0 for a sale).
    pub discount_total: Money,
    pub tip: Money,
    /// subtotal + tip: what was paid (or, negative, paid back).
    pub total: Money,
    /// Øreavrunding (cash-only sales): Σ tenders = total + cash_rounding. Zero otherwise.
    #[serde(default = "zero_rounding")]
    pub cash_rounding: Money,
    pub tenders: Vec<PrintTender>,
    /// Σ change.
    pub change: Money,
    pub receipt_number: String,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub till: String,
    pub cashier: String,
    pub flags: ReceiptFlags,
}

impl PrintableReceipt {
    /// True when cash changed hands (the drawer must open).
    pub fn has_cash(&self) -> bool {
        self.tenders
            .iter()
            .any(|t| matches!(t.kind, TenderKind::Cash { .. }))
    }

    /// The Vipps references on this receipt.
    pub fn vipps_references(&self) -> impl Iterator<Item = &str> {
        self.tenders.iter().filter_map(|t| match &t.kind {
            TenderKind::Vipps { reference } => Some(reference.as_str()),
            _ => None,
        })
    }

    /// The same receipt marked COPY (for a reprint).
    pub fn as_copy(&self) -> PrintableReceipt {
        let mut r = self.clone();
        r.flags.copy = true;
        r
    }
}

/// Why a receipt could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("Basket: {0}")]
    Basket(#[from] BasketError),
    #[error("Amount: the total is too large; split the sale")]
    Overflow,
    #[error("Tender: {field} is in {found} but the sale is in {expected}; use the sale's currency")]
    Currency {
        field: String,
        expected: Currency,
        found: Currency,
    },
    #[error("Tender: {field} is negative ({amount}); enter 0 or more")]
    NegativeAmount { field: String, amount: Money },
    #[error(
        "Tender: cash handed over ({tendered}) is less than the cash amount ({amount}); enter what the customer gave"
    )]
    CashShort { tendered: Money, amount: Money },
    #[error(
        "Tender: the tenders add up to {paid} but the sale total is {total}; correct the split"
    )]
    TenderMismatch { paid: Money, total: Money },
    #[error("Tender: the Vipps reference is empty; pass the payment's reference")]
    EmptyReference,
    #[error("Lines: the sale has no lines; add at least one line")]
    NoLines,
    #[error(
        "Tender: cash rounding {rounding} is only allowed on a cash-only sale and within half a cash step; pass zero otherwise"
    )]
    BadRounding { rounding: Money },
}

impl From<MoneyError> for ReceiptError {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::Overflow => ReceiptError::Overflow,
            MoneyError::CurrencyMismatch(expected, found) => ReceiptError::Currency {
                field: "amount".to_owned(),
                expected,
                found,
            },
        }
    }
}

impl ReceiptError {
    /// The message for the cashier in Norwegian Bokmål and English.
    pub fn text(&self) -> Text {
        let nb = match self {
            ReceiptError::Basket(e) => return e.text(),
            ReceiptError::Overflow => "Beløp: summen er for stor; del opp salget".to_owned(),
            ReceiptError::Currency {
                field,
                expected,
                found,
            } => format!(
                "Betaling: {field} er i {found}, men salget er i {expected}; bruk salgets valuta"
            ),
            ReceiptError::NegativeAmount { field, amount } => {
                format!("Betaling: {field} er negativt ({amount}); skriv 0 eller mer")
            }
            ReceiptError::CashShort { tendered, amount } => format!(
                "Betaling: mottatt kontant ({tendered}) er mindre enn kontantbeløpet ({amount}); skriv det kunden ga"
            ),
            ReceiptError::TenderMismatch { paid, total } => format!(
                "Betaling: betalingene blir {paid}, men salget er {total}; rett opp fordelingen"
            ),
            ReceiptError::EmptyReference => {
                "Betaling: Vipps-referansen er tom; oppgi betalingens referanse".to_owned()
            }
            ReceiptError::NoLines => {
                "Varelinjer: salget har ingen linjer; legg til minst én linje".to_owned()
            }
            ReceiptError::BadRounding { rounding } => format!(
                "Betaling: øreavrunding {rounding} er bare lov på rene kontantsalg og høyst et halvt kontanttrinn; bruk null ellers"
            ),
        };
        Text::new(nb, self.to_string())
    }
}

/// The lines of `original` as a refund: every line flagged as returned.
pub fn refund_basket(original: &Basket) -> Result<Basket, BasketError> {
    let mut b = Basket::new(original.currency());
    for line in original.lines() {
        let mut l = line.clone();
        l.is_return = true;
        b.add(l)?;
    }
    Ok(b)
}

fn check_currency(field: &str, m: Money, expected: Currency) -> Result<(), ReceiptError> {
    if m.currency() != expected {
        return Err(ReceiptError::Currency {
            field: field.to_owned(),
            expected,
            found: m.currency(),
        });
    }
    Ok(())
}

fn tender_field(kind: &TenderKind) -> &'static str {
    match kind {
        TenderKind::Vipps { .. } => "vipps",
        TenderKind::Cash { .. } => "cash",
        TenderKind::Card => "card",
        TenderKind::GiftCard => "giftCard",
        TenderKind::Voucher => "voucher",
    }
}

/// Check the tenders against the sale: currencies, signs, cash handed over, and
/// Σ tenders == |gross + tip|. Returns (gross + tip) and the total change.
pub fn check_tenders(sale: &Sale) -> Result<(Money, Money), ReceiptError> {
    let currency = sale.basket.currency();
    if sale.basket.is_empty() {
        return Err(ReceiptError::NoLines);
    }
    check_currency("tip", sale.tip, currency)?;
    if sale.tip.is_negative() {
        return Err(ReceiptError::NegativeAmount {
            field: "tip".to_owned(),
            amount: sale.tip,
        });
    }
    let totals = sale.basket.totals()?;
    let total = totals.gross.checked_add(sale.tip)?;
    let mut paid = Money::zero(currency);
    let mut change = Money::zero(currency);
    for t in &sale.tenders {
        let field = tender_field(&t.kind);
        check_currency(field, t.amount, currency)?;
        if t.amount.is_negative() {
            return Err(ReceiptError::NegativeAmount {
                field: field.to_owned(),
                amount: t.amount,
            });
        }
        match &t.kind {
            TenderKind::Cash { tendered } => {
                check_currency("cash.tendered", *tendered, currency)?;
                if tendered.minor() < t.amount.minor() {
                    return Err(ReceiptError::CashShort {
                        tendered: *tendered,
                        amount: t.amount,
                    });
                }
                change = change.checked_add(t.change()?)?;
            }
            TenderKind::Vipps { reference } if reference.trim().is_empty() => {
                return Err(ReceiptError::EmptyReference);
            }
            _ => {}
        }
        paid = paid.checked_add(t.amount)?;
    }
    let expected = if total.is_negative() {
        total.checked_neg()?
    } else {
        total
    };
    // Øreavrunding: only a cash tender may differ from the total, by at most half a cash step.
    let rounding = if sale.cash_rounding.is_zero() {
        Money::zero(currency)
    } else {
        check_currency("cash_rounding", sale.cash_rounding, currency)?;
        let only_cash = !sale.tenders.is_empty()
            && sale
                .tenders
                .iter()
                .all(|t| matches!(t.kind, TenderKind::Cash { .. }));
        let half = currency.cash_step() / 2;
        if !only_cash || sale.cash_rounding.minor().abs() > half {
            return Err(ReceiptError::BadRounding {
                rounding: sale.cash_rounding,
            });
        }
        sale.cash_rounding
    };
    // A paid-back total is compared by its size, so its rounding flips sign with it.
    let rounding = if total.is_negative() {
        rounding.checked_neg()?
    } else {
        rounding
    };
    let expected = expected.checked_add(rounding)?;
    if paid != expected {
        return Err(ReceiptError::TenderMismatch {
            paid,
            total: expected,
        });
    }
    Ok((total, change))
}

/// Build the printable receipt for `sale`.
pub fn build(sale: &Sale, shop: &ShopInfo, lang: Lang) -> Result<PrintableReceipt, ReceiptError> {
    let (total, change) = check_tenders(sale)?;
    let currency = sale.basket.currency();
    let totals = sale.basket.totals()?;
    let mut lines = Vec::with_capacity(sale.basket.len());
    for l in sale.basket.lines() {
        let a = l.amounts()?;
        let sign = l.sign();
        lines.push(PrintLine {
            id: l.product_id.trim().to_owned(),
            name: l.name.trim().to_owned(),
            quantity: l.quantity.to_receipt_string().replace('.', ","),
            unit: l.quantity.unit().label(lang).to_owned(),
            whole_units: l.quantity.unit().is_whole(),
            unit_price: l.unit_price,
            // A discount lowers a sale line and raises (towards zero) a return line.
            discount: a.discount.checked_mul(-sign)?,
            total: a.gross.checked_mul(sign)?,
            vat_rate: l.vat,
            is_return: l.is_return,
        });
    }
    let vat = totals
        .per_rate
        .iter()
        .map(|b| VatRow {
            rate: b.rate,
            net: b.net,
            vat: b.vat,
            gross: b.gross,
        })
        .collect();
    let tenders = sale
        .tenders
        .iter()
        .map(|t| {
            Ok(match &t.kind {
                TenderKind::Cash { tendered } => PrintTender {
                    kind: t.kind.clone(),
                    amount: t.amount,
                    tendered: Some(*tendered),
                    change: Some(t.change()?),
                },
                _ => PrintTender {
                    kind: t.kind.clone(),
                    amount: t.amount,
                    tendered: None,
                    change: None,
                },
            })
        })
        .collect::<Result<Vec<_>, ReceiptError>>()?;
    Ok(PrintableReceipt {
        shop: shop.clone(),
        lang,
        currency,
        lines,
        vat,
        subtotal: totals.gross,
        vat_total: totals.vat,
        discount_total: totals.discount.checked_neg()?,
        tip: sale.tip,
        total,
        cash_rounding: if sale.cash_rounding.is_zero() {
            Money::zero(currency)
        } else {
            sale.cash_rounding
        },
        tenders,
        change,
        receipt_number: sale.receipt_number.clone(),
        time: sale.time,
        till: sale.till.clone(),
        cashier: sale.cashier.clone(),
        flags: ReceiptFlags {
            copy: false,
            training: sale.training,
            refund: total.is_negative(),
        },
    })
}
