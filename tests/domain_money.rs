#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cashier amount input and VAT extraction.

use kasse::domain::money::{Currency, Money, ParseMoneyError};
use kasse::domain::vat::VatRate;
use proptest::prelude::*;

fn nok(s: &str) -> Result<Money, ParseMoneyError> {
    Money::parse_input(s, Currency::Nok)
}

#[test]
fn accepts_the_forms_cashiers_type() {
    let cases = [
        ("49,90", 4990),
        ("49.90", 4990),
        ("1 234,50", 123_450),
        ("1.234,50", 123_450),
        ("1,234.50", 123_450),
        ("kr 49", 4900),
        ("kr49", 4900),
        ("Kr. 49,50", 4950),
        ("49,-", 4900),
        ("49.-", 4900),
        ("NOK 49", 4900),
        ("nok49,9", 4990),
        ("49 kr", 4900),
        ("49,- kr", 4900),
        ("49 NOK", 4900),
        ("  12  ", 1200),
        ("0,05", 5),
        (",50", 50),
        ("1 000 000", 100_000_000),
        ("1.000.000", 100_000_000),
        ("1\u{a0}234,50", 123_450),
        ("kr 1 234,50", 123_450),
        ("0", 0),
        ("1234.50", 123_450),
        ("007", 700),
    ];
    for (input, minor) in cases {
        assert_eq!(nok(input), Ok(Money::nok(minor)), "input {input:?}");
    }
}

#[test]
fn euro_and_danish_symbols() {
    assert_eq!(
        Money::parse_input("€ 3,10", Currency::Eur),
        Ok(Money::new(310, Currency::Eur))
    );
    assert_eq!(
        Money::parse_input("3,10 EUR", Currency::Eur),
        Ok(Money::new(310, Currency::Eur))
    );
    assert_eq!(
        Money::parse_input("kr 3,10", Currency::Dkk),
        Ok(Money::new(310, Currency::Dkk))
    );
    assert!(matches!(
        Money::parse_input("kr 3", Currency::Eur),
        Err(ParseMoneyError::WrongCurrency { .. })
    ));
    assert!(matches!(
        nok("EUR 3"),
        Err(ParseMoneyError::WrongCurrency { .. })
    ));
    assert!(matches!(
        nok("3 DKK"),
        Err(ParseMoneyError::WrongCurrency { .. })
    ));
}

#[test]
fn rejects_bad_input_with_a_reason() {
    assert_eq!(nok(""), Err(ParseMoneyError::Empty));
    assert_eq!(nok("   "), Err(ParseMoneyError::Empty));
    assert_eq!(nok("kr"), Err(ParseMoneyError::Empty));
    assert!(matches!(
        nok("abc"),
        Err(ParseMoneyError::InvalidCharacter { ch: 'a', .. })
    ));
    assert!(matches!(
        nok("49x"),
        Err(ParseMoneyError::InvalidCharacter { ch: 'x', .. })
    ));
    assert!(matches!(nok("-49"), Err(ParseMoneyError::Negative { .. })));
    assert!(matches!(
        nok("kr -49"),
        Err(ParseMoneyError::Negative { .. })
    ));
    assert!(matches!(nok("−49"), Err(ParseMoneyError::Negative { .. })));
    assert!(matches!(
        nok("49,999"),
        Err(ParseMoneyError::TooManyDecimals { .. })
    ));
    assert!(matches!(
        nok("1 234,567"),
        Err(ParseMoneyError::TooManyDecimals { .. })
    ));
    assert!(matches!(
        nok("1.234"),
        Err(ParseMoneyError::Ambiguous { .. })
    ));
    assert!(matches!(
        nok("1,2,3"),
        Err(ParseMoneyError::Malformed { .. })
    ));
    assert!(matches!(
        nok("12 34"),
        Err(ParseMoneyError::Malformed { .. })
    ));
    assert!(matches!(nok("49,"), Err(ParseMoneyError::Malformed { .. })));
    assert!(matches!(
        nok("1.2.3,5"),
        Err(ParseMoneyError::Malformed { .. })
    ));
    assert!(matches!(
        nok("49-50"),
        Err(ParseMoneyError::Negative { .. })
    ));
    assert!(matches!(
        nok("99999999999999999999"),
        Err(ParseMoneyError::Overflow { .. })
    ));
    assert!(matches!(
        nok("92233720368547758,08"),
        Err(ParseMoneyError::Overflow { .. })
    ));
    assert_eq!(nok("92233720368547758,07"), Ok(Money::nok(i64::MAX)));
}

#[test]
fn error_text_names_the_field_in_both_languages() {
    for input in [
        "",
        "abc",
        "-4",
        "4,999",
        "1.234",
        "1,2,3",
        "99999999999999999999",
        "EUR 4",
    ] {
        let e = nok(input).unwrap_err();
        let t = e.text();
        assert!(t.nb.starts_with("Beløp:"), "{t:?}");
        assert!(t.en.starts_with("Amount:"), "{t:?}");
        assert_eq!(t.en, e.to_string());
    }
}

#[test]
fn signed_input_allows_minus() {
    assert_eq!(
        Money::parse_signed_input("-49,90", Currency::Nok),
        Ok(Money::nok(-4990))
    );
    assert_eq!(
        Money::parse_signed_input("-kr 5,00", Currency::Nok),
        Ok(Money::nok(-500))
    );
    assert_eq!(
        Money::parse_signed_input("kr -5", Currency::Nok),
        Ok(Money::nok(-500))
    );
    assert_eq!(
        Money::parse_signed_input("-92233720368547758,08", Currency::Nok),
        Err(ParseMoneyError::Overflow {
            input: "-92233720368547758,08".into()
        })
    );
}

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just(Currency::Nok),
        Just(Currency::Dkk),
        Just(Currency::Eur)
    ]
}

proptest! {
    #[test]
    fn parse_of_plain_form_round_trips(minor in 0i64..=i64::MAX, c in currency()) {
        let m = Money::new(minor, c);
        prop_assert_eq!(Money::parse_input(&m.to_plain(), c), Ok(m));
    }

    #[test]
    fn parse_of_display_form_round_trips(minor in 0i64..=i64::MAX, c in currency()) {
        let m = Money::new(minor, c);
        prop_assert_eq!(Money::parse_input(&m.to_string(), c), Ok(m));
    }

    #[test]
    fn small_amounts_round_trip(minor in 0i64..10_000_000, c in currency()) {
        let m = Money::new(minor, c);
        prop_assert_eq!(Money::parse_input(&m.to_plain(), c), Ok(m));
        prop_assert_eq!(Money::parse_input(&m.to_string(), c), Ok(m));
    }

    #[test]
    fn signed_parse_round_trips_negative(minor in (i64::MIN + 1)..=i64::MAX, c in currency()) {
        let m = Money::new(minor, c);
        prop_assert_eq!(Money::parse_signed_input(&m.to_string(), c), Ok(m));
        prop_assert_eq!(Money::parse_signed_input(&m.to_plain(), c), Ok(m));
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,30}") {
        let _ = Money::parse_input(&s, Currency::Nok);
        let _ = Money::parse_signed_input(&s, Currency::Eur);
    }

    #[test]
    fn parse_never_panics_on_amount_like_text(s in "[-−kKrRnNoO€ .,0-9]{0,25}") {
        if let Ok(m) = Money::parse_input(&s, Currency::Nok) {
            prop_assert!(!m.is_negative());
        }
    }

    #[test]
    fn vat_split_is_exact_and_bounded(gross in any::<i64>(), rate in 0u32..=10_000) {
        let r = VatRate::new(rate).unwrap();
        let s = r.split_gross(Money::nok(gross));
        prop_assert_eq!(i128::from(s.net.minor()) + i128::from(s.vat.minor()), i128::from(gross));
        prop_assert!(s.vat.minor().unsigned_abs() <= gross.unsigned_abs());
        // Same sign as gross (or zero).
        prop_assert!(s.vat.minor() == 0 || (s.vat.minor() < 0) == (gross < 0));
        // Returns get exactly the negated VAT.
        if gross != i64::MIN {
            prop_assert_eq!(r.vat_of_gross(-gross), -r.vat_of_gross(gross));
        }
        // Within half a minor unit of the exact value.
        let exact_num = i128::from(gross) * i128::from(rate);
        let den = 10_000 + i128::from(rate);
        let diff = (i128::from(s.vat.minor()) * den - exact_num).abs();
        prop_assert!(2 * diff <= den);
    }
}
