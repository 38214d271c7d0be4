//! EAN-13 check digits and in-store codes with an embedded price or weight (prefixes 20–29).
//!
//! # The convention
//!
//! GS1 leaves the EAN-13 prefixes 20–29 to each national GS1 organisation for
//! "restricted circulation" numbers: codes that only mean something inside one country (or
//! one shop), printed by the shop's or the supplier's scale on variable-measure goods
//! (meat, cheese, fish, pick-and-mix). The Nordic GS1 organisations publish the same layout
//! for these "vektvarenummer" (Sweden: GS1 Sweden, "Viktvarunummer",
//! <https://www.gs1.se/vara-standarder/identifiera/viktvarunummer/> and
//! <https://gs1.se/support/hur-skapar-jag-mina-viktvarunummer/>; Iceland: GS1 Iceland,
//! "Vigtarvörur með EAN-13 strikamerkjum",
//! <https://www.gs1.is/leidbeiningar/vigtarvorur-med-ean-13-strikamerkjum>). GS1 Norway's own
//! guide (gs1.no, "vektvarer") was not available to us; kasse follows this shared Nordic layout:
//!
//! ```text
//!  2 X  A A A A A A  V V V V  C
//!  │ │  └─ article ─┘ └value┘  └ check digit (GS1 modulo 10 over the first 12 digits)
//!  │ └ what the value is (below)
//!  └ "2": restricted circulation, in-store
//! ```
//!
//! | X | value field `VVVV` means            | kasse reads it as            |
//! |---|-------------------------------------|------------------------------|
//! | 0 | price, kroner with two decimals     | øre = `VVVV` (max 99,99 kr)  |
//! | 1 | price, kroner with one decimal      | øre = `VVVV` × 10            |
//! | 2 | price, whole kroner                 | øre = `VVVV` × 100           |
//! | 3 | weight, kg with three decimals      | grams = `VVVV` (max 9,999 kg)|
//! | 4 | weight, kg with two decimals        | grams = `VVVV` × 10          |
//! | 5 | weight, kg with one decimal         | grams = `VVVV` × 100         |
//! | 6–9 | no embedded value                 | an ordinary in-store code    |
//!
//! The article is the catalogue entry whose `ean` is the same code with the value field set
//! to `0000` and the check digit recomputed (what the scale is set up with): the label
//! `23 000456 0455 2` (0,455 kg) finds the catalogue entry `ean = "2300045600004"`
//! (see [`VariableMeasure::lookup_code`]). A code that is in the catalogue exactly always wins,
//! so shops that list their own 2x codes one by one keep working.
//!
//! # Money
//!
//! A price label's price is the line's price, in whole øre (no rounding). A weight label
//! sells `grams` of a per-kg article: the line is `grams / 1000 kg × price per kg`, rounded
//! half up to whole øre by the basket (`OrderLine::amounts`), e.g. 0,455 kg × 199,90 kr/kg =
//! 90,9545 kr → 90,95 kr.

use crate::lang::Text;

/// What an in-store code carries besides the article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedded {
    /// The line's price in minor units (øre).
    Price(i64),
    /// The weight in grams (the article is priced per kg).
    Weight(i64),
}

/// A decoded price- or weight-embedded EAN-13.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableMeasure {
    /// The code with the value field zeroed and a fresh check digit: the catalogue key.
    pub lookup_code: String,
    pub value: Embedded,
}

/// Why a scanned code cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EanError {
    #[error(
        "Barcode \"{code}\": the check digit is {found}, it should be {expected}. The code was misread or mistyped; scan it again or type it carefully"
    )]
    BadCheckDigit {
        code: String,
        found: u8,
        expected: u8,
    },
    #[error(
        "Barcode \"{code}\": the label's {what} is zero. Weigh or price the item again and print a new label"
    )]
    ZeroValue { code: String, what: &'static str },
    #[error(
        "Barcode \"{code}\": the label carries a weight, but \"{name}\" is sold per piece. Fix the article's unit in the catalogue (unit = \"kg\") or scan its own barcode"
    )]
    WeightForPieceArticle { code: String, name: String },
}

impl EanError {
    /// The message for the cashier, in Norwegian Bokmål and English.
    pub fn text(&self) -> Text {
        let nb = match self {
            EanError::BadCheckDigit {
                code,
                found,
                expected,
            } => format!(
                "Strekkode «{code}»: kontrollsifferet er {found}, men skal være {expected}. Koden ble feillest eller feilskrevet; skann den igjen eller skriv den nøye"
            ),
            EanError::ZeroValue { code, what } => {
                let hva = if *what == "price" { "pris" } else { "vekt" };
                format!(
                    "Strekkode «{code}»: etikettens {hva} er null. Vei eller prismerk varen på nytt og skriv ut en ny etikett"
                )
            }
            EanError::WeightForPieceArticle { code, name } => format!(
                "Strekkode «{code}»: etiketten har en vekt, men «{name}» selges per stykk. Rett enheten i varekatalogen (unit = \"kg\") eller skann varens egen strekkode"
            ),
        };
        Text::new(nb, self.to_string())
    }
}

fn digits(code: &str) -> Option<Vec<u8>> {
    code.bytes()
        .map(|b| b.is_ascii_digit().then(|| b - b'0'))
        .collect()
}

/// The GS1 modulo-10 check digit for `body` (all digits but the check digit): weights 3 and 1
/// alternate from the right, starting with 3 next to the check digit. Works for EAN-8,
/// UPC-A, EAN-13 and GTIN-14.
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    // `sum % 10` is below 10, so this fits a u8.
    ((10 - sum % 10) % 10) as u8
}

/// `code` with its GS1 check digit appended (`body` must be digits only).
pub fn with_check_digit(body: &str) -> Option<String> {
    let d = digits(body)?;
    Some(format!("{body}{}", check_digit(&d)))
}

/// Check a 13-digit code's check digit. `Ok(())` also for codes that are not 13 digits (this
/// only judges EAN-13s; PLUs of any length are not barcodes).
pub fn verify_ean13(code: &str) -> Result<(), EanError> {
    let Some(d) = digits(code).filter(|d| d.len() == 13) else {
        return Ok(());
    };
    let expected = check_digit(&d[..12]);
    if d[12] == expected {
        Ok(())
    } else {
        Err(EanError::BadCheckDigit {
            code: code.to_string(),
            found: d[12],
            expected,
        })
    }
}

/// Decode an in-store EAN-13 with an embedded price or weight (layout in the module docs).
/// `Ok(None)` for codes that are not 13 digits or not `20`–`25`; a bad check digit or a zero
/// value is an error.
pub fn decode_variable_measure(code: &str) -> Result<Option<VariableMeasure>, EanError> {
    let Some(d) = digits(code).filter(|d| d.len() == 13) else {
        return Ok(None);
    };
    if d[0] != 2 || d[1] > 5 {
        return Ok(None);
    }
    verify_ean13(code)?;
    let raw = d[8..12]
        .iter()
        .fold(0i64, |acc, x| acc * 10 + i64::from(*x));
    let value = match d[1] {
        0 => Embedded::Price(raw),
        1 => Embedded::Price(raw * 10),
        2 => Embedded::Price(raw * 100),
        3 => Embedded::Weight(raw),
        4 => Embedded::Weight(raw * 10),
        _ => Embedded::Weight(raw * 100),
    };
    if raw == 0 {
        let what = match value {
            Embedded::Price(_) => "price",
            Embedded::Weight(_) => "weight",
        };
        return Err(EanError::ZeroValue {
            code: code.to_string(),
            what,
        });
    }
    let lookup_code = with_check_digit(&format!("{}0000", &code[..8])).unwrap_or_default();
    Ok(Some(VariableMeasure { lookup_code, value }))
}

/// Build an in-store code: `article` is the 8 digits `2X AAAAAA`, `value` the 4-digit field.
/// For tests, benches and label printing.
pub fn encode_variable_measure(article: &str, value: u16) -> Option<String> {
    if article.len() != 8 || !article.bytes().all(|b| b.is_ascii_digit()) || value > 9999 {
        return None;
    }
    with_check_digit(&format!("{article}{value:04}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn check_digits_of_known_codes() {
        // Demo catalogue and a real Norwegian product code (TINE ½ l milk).
        assert_eq!(verify_ean13("7038010001000"), Ok(()));
        assert_eq!(verify_ean13("7038010001659"), Ok(()));
        assert_eq!(
            with_check_digit("703801000165").as_deref(),
            Some("7038010001659")
        );
        // EAN-8 uses the same rule.
        assert_eq!(with_check_digit("9638507").as_deref(), Some("96385074"));
        assert!(matches!(
            verify_ean13("7038010001651"),
            Err(EanError::BadCheckDigit {
                found: 1,
                expected: 9,
                ..
            })
        ));
        // Not an EAN-13: not judged here.
        assert_eq!(verify_ean13("1001"), Ok(()));
    }

    #[test]
    fn price_and_weight_labels_decode() {
        let price = encode_variable_measure("20001234", 4990).unwrap();
        let vm = decode_variable_measure(&price).unwrap().unwrap();
        assert_eq!(vm.value, Embedded::Price(4990));
        assert_eq!(vm.lookup_code, with_check_digit("200012340000").unwrap());
        let one_decimal = encode_variable_measure("21001234", 1234).unwrap();
        assert_eq!(
            decode_variable_measure(&one_decimal)
                .unwrap()
                .unwrap()
                .value,
            Embedded::Price(12340)
        );
        let whole = encode_variable_measure("22001234", 1234).unwrap();
        assert_eq!(
            decode_variable_measure(&whole).unwrap().unwrap().value,
            Embedded::Price(123400)
        );
        let grams = encode_variable_measure("23000456", 455).unwrap();
        let vm = decode_variable_measure(&grams).unwrap().unwrap();
        assert_eq!(vm.value, Embedded::Weight(455));
        assert_eq!(vm.lookup_code, with_check_digit("230004560000").unwrap());
        let ten_g = encode_variable_measure("24000456", 1234).unwrap();
        assert_eq!(
            decode_variable_measure(&ten_g).unwrap().unwrap().value,
            Embedded::Weight(12340)
        );
        let hg = encode_variable_measure("25000456", 12).unwrap();
        assert_eq!(
            decode_variable_measure(&hg).unwrap().unwrap().value,
            Embedded::Weight(1200)
        );
    }

    #[test]
    fn other_codes_are_not_variable_measure() {
        assert_eq!(decode_variable_measure("7038010001000"), Ok(None));
        assert_eq!(decode_variable_measure("1001"), Ok(None));
        let own = encode_variable_measure("27001234", 0).unwrap();
        assert_eq!(decode_variable_measure(&own), Ok(None));
    }

    #[test]
    fn bad_check_digit_and_zero_value_are_clear_errors() {
        let good = encode_variable_measure("23000456", 455).unwrap();
        let last = good.as_bytes()[12] - b'0';
        let bad = format!("{}{}", &good[..12], (last + 1) % 10);
        let err = decode_variable_measure(&bad).unwrap_err();
        assert!(matches!(err, EanError::BadCheckDigit { .. }));
        let t = err.text();
        assert!(
            t.en.contains(&bad) && t.en.contains("check digit"),
            "{}",
            t.en
        );
        assert!(t.nb.contains("kontrollsifferet"), "{}", t.nb);
        let zero = encode_variable_measure("23000456", 0).unwrap();
        let err = decode_variable_measure(&zero).unwrap_err();
        assert!(
            err.text().en.contains("weight is zero"),
            "{}",
            err.text().en
        );
    }

    proptest! {
        #[test]
        fn any_single_digit_error_is_caught(body in "[0-9]{12}", pos in 0usize..13, delta in 1u8..10) {
            let code = with_check_digit(&body).unwrap();
            prop_assert_eq!(verify_ean13(&code), Ok(()));
            let mut bytes = code.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(verify_ean13(&changed).is_err());
        }

        #[test]
        fn encode_then_decode_round_trips(x in 0u8..6, article in "[0-9]{6}", value in 1u16..10000) {
            let code = encode_variable_measure(&format!("2{x}{article}"), value).unwrap();
            let vm = decode_variable_measure(&code).unwrap().unwrap();
            let v = i64::from(value);
            let expected = match x {
                0 => Embedded::Price(v),
                1 => Embedded::Price(v * 10),
                2 => Embedded::Price(v * 100),
                3 => Embedded::Weight(v),
                4 => Embedded::Weight(v * 10),
                _ => Embedded::Weight(v * 100),
            };
            prop_assert_eq!(vm.value, expected);
            prop_assert_eq!(&vm.lookup_code[..8], &code[..8]);
            prop_assert_eq!(&vm.lookup_code[8..12], "0000");
            prop_assert_eq!(verify_ean13(&vm.lookup_code), Ok(()));
        }
    }
}
