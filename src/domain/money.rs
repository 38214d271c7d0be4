//! Money: integer minor units (øre, cents) with a currency. Never a float.
//!
//! All arithmetic is checked and returns [`MoneyError`] instead of overflowing.

use crate::lang::Text;
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

    /// The smallest cash step in minor units: cash is paid to the nearest step since
    /// there are no smaller coins (NOK: whole krone, DKK: 50 øre, EUR (Finland): 5 cent).
    pub const fn cash_step(self) -> i64 {
        match self {
            Currency::Nok => 100,
            Currency::Dkk => 50,
            Currency::Eur => 5,
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

    /// The amount to pay in cash: rounded to the nearest [`Currency::cash_step`], half away
    /// from zero (NOK 24,49 → 24,00; 24,50 → 25,00; -24,50 → -25,00). Never overflows:
    /// near the `i64` limits it rounds towards zero instead of away.
    pub fn round_cash(self) -> Money {
        let step = self.currency.cash_step();
        let rem = self.minor % step; // same sign as minor
        let down = self.minor - rem; // towards zero, cannot overflow
        let rounded = if rem.abs() * 2 >= step {
            let away = if self.minor < 0 { -step } else { step };
            down.checked_add(away).unwrap_or(down)
        } else {
            down
        };
        Money::new(rounded, self.currency)
    }

    /// `round_cash() - self`: the øreavrunding (e.g. +10 or -40 øre), |x| ≤ half a step.
    pub fn cash_rounding(self) -> Money {
        Money::new(self.round_cash().minor - self.minor, self.currency)
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

/// Why cashier input could not be read as an amount. [`ParseMoneyError::text`] gives the
/// bilingual message for the screen; it names the field ("Beløp" / "Amount") and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseMoneyError {
    #[error("Amount: nothing entered; type an amount such as 49,90")]
    Empty,
    #[error(
        "Amount: \"{input}\" contains '{ch}'; use only digits, a comma for øre and spaces for thousands"
    )]
    InvalidCharacter { input: String, ch: char },
    #[error(
        "Amount: \"{input}\" is negative; enter the amount without a minus (use a return line for refunds)"
    )]
    Negative { input: String },
    #[error("Amount: \"{input}\" has more than 2 decimals; enter at most 2 digits after the comma")]
    TooManyDecimals { input: String },
    #[error(
        "Amount: \"{input}\" is ambiguous; use a comma for øre (49,90) and a space for thousands (1 234)"
    )]
    Ambiguous { input: String },
    #[error("Amount: \"{input}\" is not a valid amount; write it like 49,90 or 1 234,50")]
    Malformed { input: String },
    #[error("Amount: \"{input}\" is too large; check the amount")]
    Overflow { input: String },
    #[error(
        "Amount: \"{input}\" is in {found}, but this till uses {expected}; enter the amount in {expected}"
    )]
    WrongCurrency {
        input: String,
        found: String,
        expected: Currency,
    },
}

impl ParseMoneyError {
    /// The message for the cashier, in Norwegian Bokmål and English.
    pub fn text(&self) -> Text {
        match self {
            ParseMoneyError::Empty => Text::new(
                "Beløp: ingenting er skrevet inn; skriv et beløp, f.eks. 49,90",
                "Amount: nothing entered; type an amount such as 49,90",
            ),
            ParseMoneyError::InvalidCharacter { input, ch } => Text::new(
                format!(
                    "Beløp: «{input}» inneholder «{ch}»; bruk bare siffer, komma for øre og mellomrom for tusen"
                ),
                format!(
                    "Amount: \"{input}\" contains '{ch}'; use only digits, a comma for øre and spaces for thousands"
                ),
            ),
            ParseMoneyError::Negative { input } => Text::new(
                format!(
                    "Beløp: «{input}» er negativt; skriv beløpet uten minus (bruk en returlinje for retur)"
                ),
                format!(
                    "Amount: \"{input}\" is negative; enter the amount without a minus (use a return line for refunds)"
                ),
            ),
            ParseMoneyError::TooManyDecimals { input } => Text::new(
                format!(
                    "Beløp: «{input}» har mer enn 2 desimaler; skriv høyst 2 siffer etter komma"
                ),
                format!(
                    "Amount: \"{input}\" has more than 2 decimals; enter at most 2 digits after the comma"
                ),
            ),
            ParseMoneyError::Ambiguous { input } => Text::new(
                format!(
                    "Beløp: «{input}» er tvetydig; bruk komma for øre (49,90) og mellomrom for tusen (1 234)"
                ),
                format!(
                    "Amount: \"{input}\" is ambiguous; use a comma for øre (49,90) and a space for thousands (1 234)"
                ),
            ),
            ParseMoneyError::Malformed { input } => Text::new(
                format!(
                    "Beløp: «{input}» er ikke et gyldig beløp; skriv det som 49,90 eller 1 234,50"
                ),
                format!(
                    "Amount: \"{input}\" is not a valid amount; write it like 49,90 or 1 234,50"
                ),
            ),
            ParseMoneyError::Overflow { input } => Text::new(
                format!("Beløp: «{input}» er for stort; kontroller beløpet"),
                format!("Amount: \"{input}\" is too large; check the amount"),
            ),
            ParseMoneyError::WrongCurrency {
                input,
                found,
                expected,
            } => Text::new(
                format!(
                    "Beløp: «{input}» er i {found}, men kassen bruker {expected}; skriv beløpet i {expected}"
                ),
                format!(
                    "Amount: \"{input}\" is in {found}, but this till uses {expected}; enter the amount in {expected}"
                ),
            ),
        }
    }
}

/// Currency words a cashier may type around an amount, longest first.
const CURRENCY_TOKENS: [&str; 7] = ["kr.", "nok", "dkk", "eur", "kr", "€", "$"];

/// Whether the currency word `token` (as typed) is allowed with `currency`.
fn token_fits(token: &str, currency: Currency) -> bool {
    match token.to_ascii_lowercase().as_str() {
        "kr." | "kr" => matches!(currency, Currency::Nok | Currency::Dkk),
        "nok" => currency == Currency::Nok,
        "dkk" => currency == Currency::Dkk,
        "eur" | "€" => currency == Currency::Eur,
        _ => false,
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2009}'
}

fn trim_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || is_space(c))
}

/// Strip a leading currency token. Returns the rest, or an error for a foreign currency.
fn strip_currency_prefix<'a>(
    s: &'a str,
    input: &str,
    currency: Currency,
) -> Result<&'a str, ParseMoneyError> {
    for t in CURRENCY_TOKENS {
        if s.len() >= t.len() && s.is_char_boundary(t.len()) && s[..t.len()].eq_ignore_ascii_case(t)
        {
            let rest = &s[t.len()..];
            if rest.chars().next().is_some_and(char::is_alphabetic) {
                continue;
            }
            if !token_fits(t, currency) {
                return Err(ParseMoneyError::WrongCurrency {
                    input: input.to_string(),
                    found: s[..t.len()].to_string(),
                    expected: currency,
                });
            }
            return Ok(trim_spaces(rest));
        }
    }
    Ok(s)
}

/// Strip a trailing currency token.
fn strip_currency_suffix<'a>(
    s: &'a str,
    input: &str,
    currency: Currency,
) -> Result<&'a str, ParseMoneyError> {
    for t in CURRENCY_TOKENS {
        if s.len() >= t.len() && s.is_char_boundary(s.len() - t.len()) {
            let (head, tail) = s.split_at(s.len() - t.len());
            if !tail.eq_ignore_ascii_case(t) || head.chars().last().is_some_and(char::is_alphabetic)
            {
                continue;
            }
            if !token_fits(t, currency) {
                return Err(ParseMoneyError::WrongCurrency {
                    input: input.to_string(),
                    found: tail.to_string(),
                    expected: currency,
                });
            }
            return Ok(trim_spaces(head));
        }
    }
    Ok(s)
}

fn strip_minus(s: &str) -> Option<&str> {
    s.strip_prefix('-')
        .or_else(|| s.strip_prefix('\u{2212}'))
        .map(trim_spaces)
}

fn strip_dash_suffix(s: &str) -> &str {
    s.strip_suffix(",-")
        .or_else(|| s.strip_suffix(".-"))
        .map(trim_spaces)
        .unwrap_or(s)
}

/// Parse the digits-and-separators part into minor units (2 decimals), non-negative.
fn parse_number(s: &str, input: &str) -> Result<i64, ParseMoneyError> {
    let malformed = || ParseMoneyError::Malformed {
        input: input.to_string(),
    };
    if let Some(ch) = s
        .chars()
        .find(|c| !(c.is_ascii_digit() || *c == ',' || *c == '.' || is_space(*c)))
    {
        return Err(if ch == '-' || ch == '\u{2212}' {
            ParseMoneyError::Negative {
                input: input.to_string(),
            }
        } else {
            ParseMoneyError::InvalidCharacter {
                input: input.to_string(),
                ch,
            }
        });
    }
    let commas = s.matches(',').count();
    let dots = s.matches('.').count();
    // Choose the decimal separator (if any); the other punctuation is grouping.
    let decimal: Option<char> = match (commas, dots) {
        (0, 0) => None,
        (c, d) if c > 0 && d > 0 => {
            let last_comma = s.rfind(',').unwrap_or(0);
            let last_dot = s.rfind('.').unwrap_or(0);
            let (sep, count) = if last_comma > last_dot {
                (',', c)
            } else {
                ('.', d)
            };
            if count > 1 {
                return Err(malformed());
            }
            Some(sep)
        }
        (1, 0) => Some(','),
        (_, 0) => return Err(malformed()),
        (0, 1) => {
            let (head, tail) = s.split_once('.').unwrap_or((s, ""));
            let head_digits = head.chars().filter(char::is_ascii_digit).count();
            if tail.len() == 3 && head_digits > 0 && tail.chars().all(|c| c.is_ascii_digit()) {
                return Err(ParseMoneyError::Ambiguous {
                    input: input.to_string(),
                });
            }
            Some('.')
        }
        (0, _) => None,
        _ => return Err(malformed()),
    };
    let (int_part, frac_part) = match decimal {
        Some(sep) => match s.rsplit_once(sep) {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        },
        None => (s, None),
    };
    let mut frac_value: i64 = 0;
    if let Some(f) = frac_part {
        if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) {
            return Err(malformed());
        }
        if f.len() > 2 {
            return Err(ParseMoneyError::TooManyDecimals {
                input: input.to_string(),
            });
        }
        let digits: i64 = f.bytes().fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
        frac_value = if f.len() == 1 { digits * 10 } else { digits };
    }
    let int_part = trim_spaces(int_part);
    if int_part.is_empty() && frac_part.is_none() {
        return Err(ParseMoneyError::Empty);
    }
    // Grouping: first group 1–3 digits, every later group exactly 3.
    let groups: Vec<&str> = int_part
        .split(|c: char| c == ',' || c == '.' || is_space(c))
        .collect();
    if groups.len() > 1 {
        let first_ok = (1..=3).contains(&groups[0].len());
        let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
        if !first_ok || !rest_ok {
            return Err(malformed());
        }
    }
    let overflow = || ParseMoneyError::Overflow {
        input: input.to_string(),
    };
    let mut whole: i64 = 0;
    for b in groups.iter().flat_map(|g| g.bytes()) {
        whole = whole
            .checked_mul(10)
            .and_then(|w| w.checked_add(i64::from(b - b'0')))
            .ok_or_else(overflow)?;
    }
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac_value))
        .ok_or_else(overflow)
}

fn parse_amount(
    input: &str,
    currency: Currency,
    allow_negative: bool,
) -> Result<Money, ParseMoneyError> {
    let mut s = trim_spaces(input);
    if s.is_empty() {
        return Err(ParseMoneyError::Empty);
    }
    let mut negative = false;
    if let Some(rest) = strip_minus(s) {
        negative = true;
        s = rest;
    }
    s = strip_currency_prefix(s, input, currency)?;
    if !negative && let Some(rest) = strip_minus(s) {
        negative = true;
        s = rest;
    }
    s = strip_dash_suffix(s);
    s = strip_currency_suffix(s, input, currency)?;
    s = strip_dash_suffix(s);
    if s.is_empty() {
        return Err(ParseMoneyError::Empty);
    }
    if negative && !allow_negative {
        return Err(ParseMoneyError::Negative {
            input: input.to_string(),
        });
    }
    let minor = parse_number(s, input)?;
    let minor = if negative {
        minor.checked_neg().ok_or(ParseMoneyError::Overflow {
            input: input.to_string(),
        })?
    } else {
        minor
    };
    Ok(Money::new(minor, currency))
}

impl Money {
    /// Parse what a cashier types for a (non-negative) amount: `49,90`, `49.90`, `1 234,50`,
    /// `1.234,50`, `kr 49`, `49,-`, `NOK 49`, `49 kr`, `€ 3,10`, and the [`Display`]/
    /// [`Money::to_plain`] forms. Comma is the normal decimal mark; a single dot followed by
    /// exactly three digits (`1.234`) is rejected as ambiguous. At most 2 decimals. A currency
    /// word that does not match `currency` is an error, not silently ignored.
    pub fn parse_input(s: &str, currency: Currency) -> Result<Money, ParseMoneyError> {
        parse_amount(s, currency, false)
    }

    /// Like [`Money::parse_input`] but also accepts a leading minus (`-49,90`, `-kr 5,00`),
    /// for corrections and back-office input. Returns at the till use return lines instead.
    pub fn parse_signed_input(s: &str, currency: Currency) -> Result<Money, ParseMoneyError> {
        parse_amount(s, currency, true)
    }
}

/// The Vipps API a payment goes through, as far as amounts and currencies differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VippsApi {
    Epayment,
    Ecom,
    Psp,
}

/// Why Vipps would refuse an amount, found before any sale is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountRefusal {
    /// Below the smallest amount (ePayment 6010; eCom/PSP `minimum: 100`).
    BelowMinimum { min: Money },
    /// Above the largest amount one payment may have (ePayment `maximum: 65000000`).
    AboveMaximum { max: Money },
    /// This API does not take this currency at all (eCom and PSP: NOK only).
    CurrencyNotTaken { api: VippsApi, currency: Currency },
}

impl AmountRefusal {
    /// The cashier's message, naming what to do.
    pub fn text(&self) -> Text {
        match self {
            AmountRefusal::BelowMinimum { min } => Text::new(
                format!("Beløpet er under minstebeløpet for Vipps ({min})."),
                format!("The amount is below the Vipps minimum ({min})."),
            ),
            AmountRefusal::AboveMaximum { max } => Text::new(
                format!(
                    "Beløpet er over det største Vipps tar i én betaling ({max}). Del opp salget eller ta resten kontant."
                ),
                format!(
                    "The amount is above the most Vipps takes in one payment ({max}). Split the sale or take the rest in cash."
                ),
            ),
            AmountRefusal::CurrencyNotTaken { api, currency } => {
                let api = match api {
                    VippsApi::Epayment => "ePayment",
                    VippsApi::Ecom => "eCom",
                    VippsApi::Psp => "PSP",
                };
                Text::new(
                    format!(
                        "{api} tar bare NOK, men shop.currency er {}. Sett vipps.api = \"epayment\" for {} eller shop.currency = \"NOK\".",
                        currency.code(),
                        currency.code()
                    ),
                    format!(
                        "{api} takes NOK only, but shop.currency is {}. Set vipps.api = \"epayment\" for {} or shop.currency = \"NOK\".",
                        currency.code(),
                        currency.code()
                    ),
                )
            }
        }
    }
}

/// Largest amount of one ePayment payment (`Amount.value` `maximum: 65000000`).
pub const EPAYMENT_MAXIMUM: i64 = 65_000_000;
/// eCom and PSP amounts are `int32` on the wire.
pub const ECOM_PSP_MAXIMUM: i64 = i32::MAX as i64;

/// Check what Vipps would be asked for against the API's limits, before any sale is started:
/// ePayment takes NOK/DKK/EUR from its per-currency minimum (6010) up to 650 000,00; eCom and PSP
/// take NOK only, from 1,00 (`minimum: 100`).
pub fn check_vipps_amount(api: VippsApi, amount: Money) -> Result<(), AmountRefusal> {
    let currency = amount.currency();
    let (min, max) = match api {
        VippsApi::Epayment => (currency.epayment_minimum(), EPAYMENT_MAXIMUM),
        VippsApi::Ecom | VippsApi::Psp => {
            if currency != Currency::Nok {
                return Err(AmountRefusal::CurrencyNotTaken { api, currency });
            }
            (100, ECOM_PSP_MAXIMUM)
        }
    };
    if amount.minor() < min {
        return Err(AmountRefusal::BelowMinimum {
            min: Money::new(min, currency),
        });
    }
    if amount.minor() > max {
        return Err(AmountRefusal::AboveMaximum {
            max: Money::new(max, currency),
        });
    }
    Ok(())
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
    fn cash_rounding_rule() {
        let nok = |m| Money::nok(m).round_cash().minor();
        assert_eq!(nok(2449), 2400);
        assert_eq!(nok(2450), 2500);
        assert_eq!(nok(2490), 2500);
        assert_eq!(nok(2440), 2400);
        assert_eq!(nok(2400), 2400);
        assert_eq!(nok(-2449), -2400);
        assert_eq!(nok(-2450), -2500);
        assert_eq!(nok(0), 0);
        let dkk = |m| Money::new(m, Currency::Dkk).round_cash().minor();
        assert_eq!(dkk(2424), 2400);
        assert_eq!(dkk(2425), 2450);
        assert_eq!(dkk(2474), 2450);
        assert_eq!(dkk(2475), 2500);
        let eur = |m| Money::new(m, Currency::Eur).round_cash().minor();
        assert_eq!(eur(3), 5);
        assert_eq!(eur(2), 0);
        assert_eq!(eur(-3), -5);
        assert_eq!(Money::nok(2490).cash_rounding(), Money::nok(10));
        assert_eq!(Money::nok(2440).cash_rounding(), Money::nok(-40));
        assert_eq!(Money::nok(i64::MAX).round_cash().minor() % 100, 0);
        assert_eq!(Money::nok(i64::MIN).round_cash().minor() % 100, 0);
        assert_eq!(Currency::Nok.cash_step(), 100);
        assert_eq!(Currency::Dkk.cash_step(), 50);
        assert_eq!(Currency::Eur.cash_step(), 5);
    }

    proptest::proptest! {
        #[test]
        fn round_cash_is_nearest_step_and_symmetric(
            m in -1_000_000_000i64..1_000_000_000,
            c in proptest::sample::select(vec![Currency::Nok, Currency::Dkk, Currency::Eur]),
        ) {
            let step = c.cash_step();
            let r = Money::new(m, c).round_cash();
            proptest::prop_assert_eq!(r.currency(), c);
            proptest::prop_assert_eq!(r.minor() % step, 0);
            let d = r.minor() - m;
            // Within half a step; exactly half only rounds away from zero.
            proptest::prop_assert!(2 * d.abs() <= step);
            if 2 * d.abs() == step {
                proptest::prop_assert_eq!(d.signum(), m.signum());
            }
            // Symmetric for negative totals.
            proptest::prop_assert_eq!(Money::new(-m, c).round_cash().minor(), -r.minor());
            // Idempotent.
            proptest::prop_assert_eq!(r.round_cash(), r);
            proptest::prop_assert_eq!(Money::new(m, c).cash_rounding().minor(), d);
        }
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
    #[test]
    fn vipps_amount_limits_per_api_and_currency() {
        use super::{AmountRefusal, VippsApi, check_vipps_amount};
        assert!(check_vipps_amount(VippsApi::Epayment, Money::nok(100)).is_ok());
        assert_eq!(
            check_vipps_amount(VippsApi::Epayment, Money::nok(99)),
            Err(AmountRefusal::BelowMinimum {
                min: Money::nok(100)
            })
        );
        assert!(check_vipps_amount(VippsApi::Epayment, Money::new(1, Currency::Dkk)).is_ok());
        assert!(check_vipps_amount(VippsApi::Epayment, Money::nok(65_000_000)).is_ok());
        assert_eq!(
            check_vipps_amount(VippsApi::Epayment, Money::nok(65_000_001)),
            Err(AmountRefusal::AboveMaximum {
                max: Money::nok(65_000_000)
            })
        );
        assert_eq!(
            check_vipps_amount(VippsApi::Ecom, Money::new(5000, Currency::Dkk)),
            Err(AmountRefusal::CurrencyNotTaken {
                api: VippsApi::Ecom,
                currency: Currency::Dkk
            })
        );
        assert!(check_vipps_amount(VippsApi::Psp, Money::nok(100)).is_ok());
        let t = check_vipps_amount(VippsApi::Psp, Money::new(100, Currency::Eur))
            .unwrap_err()
            .text();
        assert!(t.en.contains("shop.currency is EUR"), "{}", t.en);
        assert!(t.nb.contains("shop.currency er EUR"), "{}", t.nb);
    }
}
