//! Money: integer minor units (øre, cents) with a currency. Never a float.
//!
//! All arithmetic is checked and returns [`MoneyError`] instead of overflowing.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Currencies Vipps MobilePay accepts (ePayment `Amount.currency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Nok,
    Dkk,
    Eur,
}

impl Currency {
    /// ISO 4217 code as sent on the wire.
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Nok => "NOK",
            Currency::Dkk => "DKK",
            Currency::Eur => "EUR",
        }
    }

    /// Symbol used on screens and receipts.
    pub const fn symbol(self) -> &'static str {
        match self {
            Currency::Nok | Currency::Dkk => "kr",
            Currency::Eur => "€",
        }
    }

    /// Smallest amount ePayment accepts for this currency (error 6010 below it).
    pub const fn epayment_minimum(self) -> i64 {
        match self {
            Currency::Nok => 100,
            Currency::Dkk | Currency::Eur => 1,
        }
    }

    pub fn parse(s: &str) -> Option<Currency> {
        match s.trim().to_ascii_uppercase().as_str() {
            "NOK" => Some(Currency::Nok),
            "DKK" => Some(Currency::Dkk),
            "EUR" => Some(Currency::Eur),
            _ => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Arithmetic or currency errors on money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is too large")]
    Overflow,
    #[error("cannot mix {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// An amount in minor units (1 NOK = 100 øre).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }
    pub const fn nok(minor: i64) -> Money {
        Money::new(minor, Currency::Nok)
    }
    pub const fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }
    pub const fn minor(self) -> i64 {
        self.minor
    }
    pub const fn currency(self) -> Currency {
        self.currency
    }
    pub const fn is_zero(self) -> bool {
        self.minor == 0
    }
    pub const fn is_negative(self) -> bool {
        self.minor < 0
    }

    fn same(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        self.minor
            .checked_mul(factor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.minor
            .checked_neg()
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Plain decimal form without symbol or grouping, e.g. `1234.50` (for CLI output and CSV).
    pub fn to_plain(self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Norwegian display: `kr 1 234,50`, `-kr 5,00`, `€ 3,10`. Grouping uses a normal space.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(' ');
            }
            grouped.push(ch);
        }
        write!(
            f,
            "{sign}{} {grouped},{:02}",
            self.currency.symbol(),
            abs % 100
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_groups_thousands_with_comma_decimals() {
        assert_eq!(Money::nok(123450).to_string(), "kr 1 234,50");
        assert_eq!(Money::nok(5).to_string(), "kr 0,05");
        assert_eq!(Money::nok(-500).to_string(), "-kr 5,00");
        assert_eq!(Money::nok(100_000_000).to_string(), "kr 1 000 000,00");
        assert_eq!(Money::new(310, Currency::Eur).to_string(), "€ 3,10");
    }

    #[test]
    fn plain_form() {
        assert_eq!(Money::nok(123450).to_plain(), "1234.50");
        assert_eq!(Money::nok(-7).to_plain(), "-0.07");
    }

    #[test]
    fn checked_arithmetic() {
        assert_eq!(Money::nok(1).checked_add(Money::nok(2)), Ok(Money::nok(3)));
        assert_eq!(
            Money::nok(i64::MAX).checked_add(Money::nok(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::nok(1).checked_add(Money::new(1, Currency::Eur)),
            Err(MoneyError::CurrencyMismatch(Currency::Nok, Currency::Eur))
        );
        assert_eq!(
            Money::nok(i64::MAX).checked_mul(2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::nok(i64::MIN).checked_neg(),
            Err(MoneyError::Overflow)
        );
    }
}
