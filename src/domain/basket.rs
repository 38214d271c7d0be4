//! The basket: order lines (pieces or weights, VAT-inclusive unit prices, discounts, returns),
//! totals with a per-rate VAT breakdown, and the product catalog types.
//!
//! Amounts on a line are always non-negative; a return line (`is_return`) counts negative in
//! the basket totals (the same convention as Order Management's `isReturn`). Every operation
//! uses checked arithmetic and reports a [`BasketError`] instead of panicking; a failed
//! mutation leaves the basket unchanged.

use crate::domain::money::{Currency, Money, MoneyError};
use crate::domain::vat::VatRate;
use crate::lang::Text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Unit of a quantity, matching Order Management `quantityUnit`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum QuantityUnit {
    #[default]
    Pcs,
    Kg,
    Km,
    Minute,
    Litre,
    Kwh,
}

impl QuantityUnit {
    /// Wire value (`PCS`, `KG`, …).
    pub const fn code(self) -> &'static str {
        match self {
            QuantityUnit::Pcs => "PCS",
            QuantityUnit::Kg => "KG",
            QuantityUnit::Km => "KM",
            QuantityUnit::Minute => "MINUTE",
            QuantityUnit::Litre => "LITRE",
            QuantityUnit::Kwh => "KWH",
        }
    }

    /// Short label for screens and paper receipts.
    pub const fn label(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            QuantityUnit::Pcs => lang.pick("stk", "pcs"),
            QuantityUnit::Kg => "kg",
            QuantityUnit::Km => "km",
            QuantityUnit::Minute => "min",
            QuantityUnit::Litre => "l",
            QuantityUnit::Kwh => "kWh",
        }
    }

    /// Whether only whole numbers make sense (pieces).
    pub const fn is_whole(self) -> bool {
        matches!(self, QuantityUnit::Pcs)
    }

    pub fn parse(s: &str) -> Option<QuantityUnit> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PCS" | "STK" => Some(QuantityUnit::Pcs),
            "KG" => Some(QuantityUnit::Kg),
            "KM" => Some(QuantityUnit::Km),
            "MINUTE" | "MIN" => Some(QuantityUnit::Minute),
            "LITRE" | "L" => Some(QuantityUnit::Litre),
            "KWH" => Some(QuantityUnit::Kwh),
            _ => None,
        }
    }
}

/// English short label (`pcs`, `kg`, …); see [`QuantityUnit::label`] for Norwegian.
impl fmt::Display for QuantityUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label(crate::lang::Lang::En))
    }
}

/// A positive quantity in thousandths of its unit (`1500` KG = 1,5 kg; `2000` PCS = 2 pieces).
/// At most [`Quantity::MAX_MILLI`] so the receipt's quantity string stays ≤ 10 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "QuantityRepr", into = "QuantityRepr")]
pub struct Quantity {
    milli: i64,
    unit: QuantityUnit,
}

#[derive(Serialize, Deserialize)]
struct QuantityRepr {
    milli: i64,
    unit: QuantityUnit,
}

impl TryFrom<QuantityRepr> for Quantity {
    type Error = BasketError;
    fn try_from(r: QuantityRepr) -> Result<Self, Self::Error> {
        Quantity::new(r.milli, r.unit)
    }
}

impl From<Quantity> for QuantityRepr {
    fn from(q: Quantity) -> Self {
        QuantityRepr {
            milli: q.milli,
            unit: q.unit,
        }
    }
}

impl Quantity {
    /// 99 999,999 units.
    pub const MAX_MILLI: i64 = 99_999_999;

    pub fn new(milli: i64, unit: QuantityUnit) -> Result<Quantity, BasketError> {
        if milli <= 0 {
            return Err(BasketError::QuantityNotPositive);
        }
        if milli > Self::MAX_MILLI {
            return Err(BasketError::QuantityTooLarge);
        }
        if unit.is_whole() && milli % 1000 != 0 {
            return Err(BasketError::QuantityNotWhole);
        }
        Ok(Quantity { milli, unit })
    }

    /// `n` pieces.
    pub fn pieces(n: u32) -> Result<Quantity, BasketError> {
        Quantity::new(i64::from(n) * 1000, QuantityUnit::Pcs)
    }

    pub const fn milli(self) -> i64 {
        self.milli
    }
    pub const fn unit(self) -> QuantityUnit {
        self.unit
    }

    /// Parse cashier input such as `2`, `0,450`, `1.5` (at most 3 decimals, positive).
    pub fn parse_input(s: &str, unit: QuantityUnit) -> Result<Quantity, BasketError> {
        let t = s.trim();
        let invalid = || BasketError::QuantityInvalid {
            input: s.to_string(),
        };
        if t.is_empty() {
            return Err(invalid());
        }
        if t.starts_with('-') {
            return Err(BasketError::QuantityNotPositive);
        }
        let (int_part, frac_part) = match t.split_once([',', '.']) {
            Some((i, f)) => (i, f),
            None => (t, ""),
        };
        let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if !digits(int_part) || !digits(frac_part) || (int_part.is_empty() && frac_part.is_empty())
        {
            return Err(invalid());
        }
        if frac_part.len() > 3 {
            return Err(BasketError::QuantityTooManyDecimals);
        }
        if int_part.len() > 9 {
            return Err(BasketError::QuantityTooLarge);
        }
        let whole: i64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut frac: i64 = 0;
        for (i, b) in frac_part.bytes().enumerate() {
            frac += i64::from(b - b'0') * [100, 10, 1][i];
        }
        Quantity::new(whole * 1000 + frac, unit)
    }

    /// The receipt form: `^\d+([\.]\d{1,8})?$`, trailing zeros dropped (`2`, `0.45`, `1.5`).
    pub fn to_receipt_string(self) -> String {
        let whole = self.milli / 1000;
        let frac = self.milli % 1000;
        if frac == 0 {
            whole.to_string()
        } else {
            let f = format!("{frac:03}");
            format!("{whole}.{}", f.trim_end_matches('0'))
        }
    }

    /// Screen form: `2 stk`, `0,45 kg`.
    pub fn display(self, lang: crate::lang::Lang) -> String {
        format!(
            "{} {}",
            self.to_receipt_string().replace('.', ","),
            self.unit.label(lang)
        )
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(crate::lang::Lang::Nb))
    }
}

/// Everything that can be wrong with a basket operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasketError {
    #[error(
        "Quantity: must be more than zero; enter a positive quantity (mark the line as a return instead)"
    )]
    QuantityNotPositive,
    #[error("Quantity: too large; at most 99 999,999")]
    QuantityTooLarge,
    #[error("Quantity: pieces must be a whole number; enter e.g. 2")]
    QuantityNotWhole,
    #[error("Quantity: at most 3 decimals; enter e.g. 0,450")]
    QuantityTooManyDecimals,
    #[error("Quantity: \"{input}\" is not a number; enter e.g. 2 or 0,450")]
    QuantityInvalid { input: String },
    #[error(
        "Unit: the product is sold per {expected}, not per {found}; enter the quantity in {expected}"
    )]
    UnitMismatch {
        expected: QuantityUnit,
        found: QuantityUnit,
    },
    #[error(
        "Price: {0} is negative; enter a price of 0 or more (mark the line as a return instead)"
    )]
    NegativePrice(Money),
    #[error("Discount: {0} is negative; enter a discount of 0 or more")]
    NegativeDiscount(Money),
    #[error("Discount: {discount} is more than the line amount {line}; enter a smaller discount")]
    DiscountExceedsLine { discount: Money, line: Money },
    #[error("Currency: the basket is in {expected} but the amount is in {found}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error("Name: the line has no name; give the product a name")]
    EmptyName,
    #[error("Product id: the line has no product id; give the product an id (EAN/PLU)")]
    EmptyId,
    #[error("Line {index}: no such line in the basket")]
    NoSuchLine { index: usize },
    #[error("Amount: the total is too large; split the sale")]
    Overflow,
}

impl BasketError {
    /// The message for the cashier, in Norwegian Bokmål and English.
    pub fn text(&self) -> Text {
        let nb = match self {
            BasketError::QuantityNotPositive => "Antall: må være mer enn null; skriv et positivt antall (merk linjen som retur i stedet)".to_string(),
            BasketError::QuantityTooLarge => "Antall: for stort; høyst 99 999,999".to_string(),
            BasketError::QuantityNotWhole => "Antall: stykk må være et helt tall; skriv f.eks. 2".to_string(),
            BasketError::QuantityTooManyDecimals => "Antall: høyst 3 desimaler; skriv f.eks. 0,450".to_string(),
            BasketError::QuantityInvalid { input } => format!("Antall: «{input}» er ikke et tall; skriv f.eks. 2 eller 0,450"),
            BasketError::UnitMismatch { expected, found } => format!(
                "Enhet: varen selges per {}, ikke per {}; skriv antallet i {}",
                expected.label(crate::lang::Lang::Nb),
                found.label(crate::lang::Lang::Nb),
                expected.label(crate::lang::Lang::Nb)
            ),
            BasketError::NegativePrice(m) => format!("Pris: {m} er negativ; skriv en pris på 0 eller mer (merk linjen som retur i stedet)"),
            BasketError::NegativeDiscount(m) => format!("Rabatt: {m} er negativ; skriv en rabatt på 0 eller mer"),
            BasketError::DiscountExceedsLine { discount, line } => format!("Rabatt: {discount} er mer enn linjebeløpet {line}; skriv en mindre rabatt"),
            BasketError::CurrencyMismatch { expected, found } => format!("Valuta: kurven er i {expected}, men beløpet er i {found}"),
            BasketError::EmptyName => "Navn: linjen har ikke noe navn; gi varen et navn".to_string(),
            BasketError::EmptyId => "Varenummer: linjen har ikke noe varenummer; gi varen et nummer (EAN/PLU)".to_string(),
            BasketError::NoSuchLine { index } => format!("Linje {index}: finnes ikke i kurven"),
            BasketError::Overflow => "Beløp: summen er for stor; del opp salget".to_string(),
        };
        Text::new(nb, self.to_string())
    }
}

impl From<MoneyError> for BasketError {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::Overflow => BasketError::Overflow,
            MoneyError::CurrencyMismatch(expected, found) => {
                BasketError::CurrencyMismatch { expected, found }
            }
        }
    }
}

/// One line of a sale. Amounts are VAT-inclusive and non-negative; `is_return` makes the line
/// count negative. Open-price items are ordinary lines with a cashier-entered `unit_price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// EAN/PLU or any product id (receipt `id`).
    pub product_id: String,
    pub name: String,
    pub quantity: Quantity,
    /// Price per unit including VAT, before discount.
    pub unit_price: Money,
    /// Discount on the whole line (not per unit), including VAT.
    pub discount: Money,
    pub vat: VatRate,
    pub is_return: bool,
}

/// The amounts of one line, all non-negative (sign is given by `is_return`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAmounts {
    /// round(unit_price × quantity), before discount.
    pub before_discount: Money,
    pub discount: Money,
    /// before_discount − discount (≥ 0), VAT-inclusive.
    pub gross: Money,
    pub vat: Money,
    /// gross − vat.
    pub net: Money,
}

impl OrderLine {
    /// A line of `quantity` of `product` at its catalog price.
    pub fn from_product(product: &Product, quantity: Quantity) -> Result<OrderLine, BasketError> {
        if quantity.unit() != product.unit {
            return Err(BasketError::UnitMismatch {
                expected: product.unit,
                found: quantity.unit(),
            });
        }
        Ok(OrderLine {
            product_id: product.id.clone(),
            name: product.name.clone(),
            quantity,
            unit_price: product.price,
            discount: Money::zero(product.price.currency()),
            vat: product.vat,
            is_return: false,
        })
    }

    /// Validate the line and compute its amounts (checked; never panics).
    pub fn amounts(&self) -> Result<LineAmounts, BasketError> {
        if self.product_id.trim().is_empty() {
            return Err(BasketError::EmptyId);
        }
        if self.name.trim().is_empty() {
            return Err(BasketError::EmptyName);
        }
        let currency = self.unit_price.currency();
        if self.discount.currency() != currency {
            return Err(BasketError::CurrencyMismatch {
                expected: currency,
                found: self.discount.currency(),
            });
        }
        if self.unit_price.is_negative() {
            return Err(BasketError::NegativePrice(self.unit_price));
        }
        if self.discount.is_negative() {
            return Err(BasketError::NegativeDiscount(self.discount));
        }
        // Revalidate the quantity (fields are public and may come from deserialisation).
        let quantity = Quantity::new(self.quantity.milli(), self.quantity.unit())?;
        let product = i128::from(self.unit_price.minor()) * i128::from(quantity.milli());
        // Round half up to whole minor units (both factors are non-negative).
        let rounded = (product + 500) / 1000;
        let before = i64::try_from(rounded).map_err(|_| BasketError::Overflow)?;
        let before_discount = Money::new(before, currency);
        if self.discount.minor() > before {
            return Err(BasketError::DiscountExceedsLine {
                discount: self.discount,
                line: before_discount,
            });
        }
        let gross = before_discount.checked_sub(self.discount)?;
        let split = self.vat.split_gross(gross);
        Ok(LineAmounts {
            before_discount,
            discount: self.discount,
            gross,
            vat: split.vat,
            net: split.net,
        })
    }

    /// +1 for a sale line, −1 for a return line.
    pub const fn sign(&self) -> i64 {
        if self.is_return { -1 } else { 1 }
    }
}

/// Totals for one VAT rate (signed: returns count negative). `gross == net + vat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    pub rate: VatRate,
    pub gross: Money,
    pub vat: Money,
    pub net: Money,
}

/// Basket totals (signed: returns count negative). `gross` is the amount to charge (or, if
/// negative, to pay back). `per_rate` is ordered by rate, highest first, one entry per rate in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketTotals {
    pub gross: Money,
    pub vat: Money,
    pub net: Money,
    /// Sum of line discounts (signed like the lines).
    pub discount: Money,
    pub per_rate: Vec<VatBreakdown>,
}

/// The lines of one sale in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    lines: Vec<OrderLine>,
    currency: Currency,
}

impl Basket {
    pub fn new(currency: Currency) -> Basket {
        Basket {
            lines: Vec::new(),
            currency,
        }
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }
    pub fn lines(&self) -> &[OrderLine] {
        &self.lines
    }
    pub fn line(&self, index: usize) -> Option<&OrderLine> {
        self.lines.get(index)
    }
    pub fn len(&self) -> usize {
        self.lines.len()
    }
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
    pub fn clear(&mut self) {
        self.lines.clear();
    }

    fn check_line(&self, line: &OrderLine) -> Result<LineAmounts, BasketError> {
        if line.unit_price.currency() != self.currency {
            return Err(BasketError::CurrencyMismatch {
                expected: self.currency,
                found: line.unit_price.currency(),
            });
        }
        line.amounts()
    }

    /// Replace line `index` with the result of `f`, only if the result is valid and the basket
    /// totals still compute.
    fn modify(&mut self, index: usize, f: impl FnOnce(&mut OrderLine)) -> Result<(), BasketError> {
        let mut line = self
            .lines
            .get(index)
            .cloned()
            .ok_or(BasketError::NoSuchLine { index })?;
        f(&mut line);
        self.check_line(&line)?;
        let old = std::mem::replace(&mut self.lines[index], line);
        if let Err(e) = self.totals() {
            self.lines[index] = old;
            return Err(e);
        }
        Ok(())
    }

    /// Append a line; returns its index. The basket is unchanged on error.
    pub fn add(&mut self, line: OrderLine) -> Result<usize, BasketError> {
        self.check_line(&line)?;
        self.lines.push(line);
        if let Err(e) = self.totals() {
            self.lines.pop();
            return Err(e);
        }
        Ok(self.lines.len() - 1)
    }

    /// Append `quantity` of a catalog product at its price.
    pub fn add_product(
        &mut self,
        product: &Product,
        quantity: Quantity,
    ) -> Result<usize, BasketError> {
        self.add(OrderLine::from_product(product, quantity)?)
    }

    /// Remove and return line `index`.
    pub fn remove(&mut self, index: usize) -> Result<OrderLine, BasketError> {
        if index >= self.lines.len() {
            return Err(BasketError::NoSuchLine { index });
        }
        Ok(self.lines.remove(index))
    }

    pub fn set_quantity(&mut self, index: usize, quantity: Quantity) -> Result<(), BasketError> {
        self.modify(index, |l| l.quantity = quantity)
    }

    /// Set the VAT-inclusive unit price (open price / price override).
    pub fn set_price(&mut self, index: usize, unit_price: Money) -> Result<(), BasketError> {
        self.modify(index, |l| l.unit_price = unit_price)
    }

    /// Set the discount on the whole line (VAT-inclusive).
    pub fn set_discount(&mut self, index: usize, discount: Money) -> Result<(), BasketError> {
        self.modify(index, |l| l.discount = discount)
    }

    pub fn set_return(&mut self, index: usize, is_return: bool) -> Result<(), BasketError> {
        self.modify(index, |l| l.is_return = is_return)
    }

    /// Totals and the per-rate VAT breakdown; sums of the per-line rounded values.
    pub fn totals(&self) -> Result<BasketTotals, BasketError> {
        let zero = Money::zero(self.currency);
        let mut gross = zero;
        let mut vat = zero;
        let mut net = zero;
        let mut discount = zero;
        let mut per_rate: Vec<VatBreakdown> = Vec::new();
        for line in &self.lines {
            let a = self.check_line(line)?;
            let s = line.sign();
            let (lg, lv, ln, ld) = (
                a.gross.checked_mul(s)?,
                a.vat.checked_mul(s)?,
                a.net.checked_mul(s)?,
                a.discount.checked_mul(s)?,
            );
            gross = gross.checked_add(lg)?;
            vat = vat.checked_add(lv)?;
            net = net.checked_add(ln)?;
            discount = discount.checked_add(ld)?;
            match per_rate.iter_mut().find(|b| b.rate == line.vat) {
                Some(b) => {
                    b.gross = b.gross.checked_add(lg)?;
                    b.vat = b.vat.checked_add(lv)?;
                    b.net = b.net.checked_add(ln)?;
                }
                None => per_rate.push(VatBreakdown {
                    rate: line.vat,
                    gross: lg,
                    vat: lv,
                    net: ln,
                }),
            }
        }
        per_rate.sort_by_key(|b| std::cmp::Reverse(b.rate));
        Ok(BasketTotals {
            gross,
            vat,
            net,
            discount,
            per_rate,
        })
    }
}

/// A product in the catalog. `id` is the EAN or PLU the scanner / cashier types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    /// Price per unit, VAT-inclusive.
    pub price: Money,
    pub vat: VatRate,
    #[serde(default)]
    pub unit: QuantityUnit,
}

/// The product catalog (loaded elsewhere; plain data here).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Catalog {
    pub products: Vec<Product>,
}

impl Catalog {
    pub fn new(products: Vec<Product>) -> Catalog {
        Catalog { products }
    }

    /// Exact match on the product id (EAN/PLU), ignoring surrounding whitespace.
    pub fn find_by_code(&self, code: &str) -> Option<&Product> {
        let code = code.trim();
        if code.is_empty() {
            return None;
        }
        self.products.iter().find(|p| p.id == code)
    }

    /// Case-insensitive substring search in name and id, in catalog order. An empty query
    /// matches everything.
    pub fn search(&self, query: &str) -> Vec<&Product> {
        let q = query.trim().to_lowercase();
        self.products
            .iter()
            .filter(|p| {
                q.is_empty()
                    || p.name.to_lowercase().contains(&q)
                    || p.id.to_lowercase().contains(&q)
            })
            .collect()
    }
}
