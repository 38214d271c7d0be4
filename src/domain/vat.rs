//! VAT rates in hundredths of a percent (2500 = 25 %) and the one rounding rule used
//! everywhere in kasse to extract VAT from a VAT-inclusive amount.
//!
//! # The rounding rule
//!
//! Prices at the till include VAT. For a VAT-inclusive gross `g` (minor units) and a rate `r`
//! (hundredths of a percent):
//!
//! ```text
//! vat = round_half_up(g × r / (10000 + r))      computed exactly in i128
//! net = g − vat                                  exact, so g == net + vat always
//! ```
//!
//! "Half up" means half away from zero, so a return line (negative gross) gets exactly the
//! negated VAT of the same sale line. VAT is rounded **per line**; totals and per-rate
//! breakdowns are sums of the rounded line values, never re-rounded, so the receipt lines always
//! add up to the bottom line.

use crate::domain::money::Money;
use crate::lang::Text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A VAT rate in hundredths of a percent, `0..=10000` (Order Management `taxRate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct VatRate(u32);

/// A VAT rate outside `0..=10000` hundredths of a percent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("VAT rate: {0} hundredths of a percent is out of range; use 0 to 10000 (2500 = 25 %)")]
pub struct VatRateError(pub u32);

impl VatRateError {
    pub fn text(&self) -> Text {
        Text::new(
            format!(
                "MVA-sats: {} hundredeler prosent er utenfor området; bruk 0 til 10000 (2500 = 25 %)",
                self.0
            ),
            self.to_string(),
        )
    }
}

impl VatRate {
    /// Norway's standard rate, 25 % (also Denmark's only rate).
    pub const STANDARD: VatRate = VatRate(2500);
    /// Norway's food rate, 15 %.
    pub const FOOD: VatRate = VatRate(1500);
    /// Norway's low rate (transport, cinema, …), 12 %.
    pub const LOW: VatRate = VatRate(1200);
    /// Exempt / zero-rated.
    pub const ZERO: VatRate = VatRate(0);
    pub const MAX_HUNDREDTHS: u32 = 10_000;

    pub const fn new(hundredths: u32) -> Result<VatRate, VatRateError> {
        if hundredths <= Self::MAX_HUNDREDTHS {
            Ok(VatRate(hundredths))
        } else {
            Err(VatRateError(hundredths))
        }
    }

    /// The rate in hundredths of a percent (the wire value of `taxRate`).
    pub const fn hundredths(self) -> u32 {
        self.0
    }

    /// VAT contained in the VAT-inclusive `gross` (minor units), by the module's rounding rule.
    /// Never overflows: `|vat| ≤ |gross|`.
    pub fn vat_of_gross(self, gross: i64) -> i64 {
        vat_of_gross(gross, i64::from(self.0))
    }

    /// Split a VAT-inclusive amount into net and VAT; `net + vat == gross` exactly.
    pub fn split_gross(self, gross: Money) -> VatSplit {
        let vat = self.vat_of_gross(gross.minor());
        VatSplit {
            gross,
            vat: Money::new(vat, gross.currency()),
            // gross and vat have the same sign and |vat| ≤ |gross|: no overflow.
            net: Money::new(gross.minor() - vat, gross.currency()),
        }
    }
}

/// VAT contained in the VAT-inclusive `gross` (minor units) at `rate` (hundredths of a
/// percent), rounded half away from zero. The one VAT arithmetic of kasse: receipts, refunds
/// and reports all use it. Exact in `i128`, so it never overflows; for a rate in
/// `0..=10_000`, `|vat| ≤ |gross|`.
pub fn vat_of_gross(gross: i64, rate: i64) -> i64 {
    let rate = i128::from(rate);
    let den = 10_000 + rate;
    if den <= 0 {
        return 0;
    }
    let num = i128::from(gross) * rate;
    let mag = (2 * num.abs() + den) / (2 * den);
    let vat = if num < 0 { -mag } else { mag };
    // |vat| ≤ |gross| because rate / (10000 + rate) < 1, so this conversion cannot fail.
    i64::try_from(vat).unwrap_or(gross)
}

/// A VAT-inclusive amount split by [`VatRate::split_gross`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatSplit {
    pub gross: Money,
    pub net: Money,
    pub vat: Money,
}

impl TryFrom<u32> for VatRate {
    type Error = VatRateError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        VatRate::new(v)
    }
}

impl From<VatRate> for u32 {
    fn from(r: VatRate) -> u32 {
        r.0
    }
}

/// `25 %`, `12,5 %`, `11,11 %` (Norwegian decimal comma).
impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 100;
        let frac = self.0 % 100;
        if frac == 0 {
            write!(f, "{whole} %")
        } else if frac.is_multiple_of(10) {
            write!(f, "{whole},{} %", frac / 10)
        } else {
            write!(f, "{whole},{frac:02} %")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_percent_with_comma() {
        assert_eq!(VatRate::STANDARD.to_string(), "25 %");
        assert_eq!(VatRate::FOOD.to_string(), "15 %");
        assert_eq!(VatRate::ZERO.to_string(), "0 %");
        assert_eq!(VatRate::new(1250).unwrap().to_string(), "12,5 %");
        assert_eq!(VatRate::new(1111).unwrap().to_string(), "11,11 %");
        assert_eq!(VatRate::new(1205).unwrap().to_string(), "12,05 %");
    }

    #[test]
    fn rejects_rates_over_100_percent() {
        assert_eq!(VatRate::new(10_001), Err(VatRateError(10_001)));
        assert!(VatRate::new(10_000).is_ok());
        assert!(serde_json::from_str::<VatRate>("20000").is_err());
        assert_eq!(
            serde_json::from_str::<VatRate>("2500").unwrap(),
            VatRate::STANDARD
        );
    }

    #[test]
    fn vat_extraction_table() {
        // (gross, rate, vat): 125.00 at 25 % = 25.00 VAT.
        let cases = [
            (12_500, 2500, 2_500),
            (100, 2500, 20),
            (4_990, 2500, 998),
            (4_990, 1500, 651), // 4990*15/115 = 650.87
            (4_990, 1200, 535), // 4990*12/112 = 534.64
            (4_990, 0, 0),
            (1, 2500, 0), // 0.2
            (3, 2500, 1), // 0.6
            (5, 2500, 1), // exactly 1.0
            (-4_990, 2500, -998),
            (-3, 2500, -1),
            (2, 2500, 0),  // 0.4
            (23, 1500, 3), // 23*15/115 = 3.0 exactly
            // exact half: 115 * 1500/11500 = 15 ... find a true .5: g*r/(10000+r) with r=10000 -> g/2
            (1, 10_000, 1),   // 0.5 rounds up
            (-1, 10_000, -1), // -0.5 rounds away from zero
            (3, 10_000, 2),   // 1.5 -> 2
        ];
        for (gross, rate, vat) in cases {
            let r = VatRate::new(rate).unwrap();
            assert_eq!(r.vat_of_gross(gross), vat, "gross {gross} rate {rate}");
        }
    }

    #[test]
    fn extreme_amounts_do_not_overflow() {
        for r in [0, 1200, 1500, 2500, 10_000] {
            let r = VatRate::new(r).unwrap();
            for g in [i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1] {
                let s = r.split_gross(Money::nok(g));
                assert_eq!(s.net.minor() as i128 + s.vat.minor() as i128, g as i128);
            }
        }
    }
}
