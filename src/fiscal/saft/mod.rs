//! SAF-T Cash Register export (Skatteetaten's XSD v1.00), streaming.
//!
//! [`SaftWriter`] writes straight to any `io::Write` with `quick-xml`, one element at a time:
//! the master data (VAT codes, employees, articles, basics) come from iterators, and each
//! cash register's events and transactions are handed over one by one, so a year of a busy
//! till goes through in constant memory. The writer enforces the XSD's element order (its
//! sequences: header, company, VAT codes, employees, articles, basics, locations; per register
//! all events before all transactions) and its keys (every `eventType` / `lineType` /
//! `transType` / `paymentType` is a written `basicID`, every `empID` a written employee, every
//! `artID` a written article, report IDs unique), and the lengths of its string types, so an
//! export that would not validate fails with an error naming the element instead of producing
//! a file Skatteetaten rejects.
//!
//! Usage, as the `kasse saft` command will drive it:
//!
//! ```text
//! let mut w = SaftWriter::new(BufWriter::new(file), &header, &company)?;
//! w.vat_codes(vat_codes)?; w.employees(staff)?; w.articles(products)?;
//! w.basics(codes::kasse_basics().chain(article_groups))?;
//! w.begin_location(&location)?;
//! w.begin_register(&register)?;
//! for e in events_of_register { w.event(&e)?; }          // includes the 13020 export event
//! for t in transactions_of_register { w.transaction(&t)?; }
//! w.end_register()?; w.end_location()?;
//! w.finish()?.flush()?;
//! ```

pub mod codes;
pub mod model;
pub mod report;
mod writer;

pub use model::*;
pub use writer::SaftWriter;

use std::fmt;

use crate::lang::Text;

/// A validated Norwegian organisation number: 9 digits, MOD11 check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgNumber(String);

/// Why `shop.org_number` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgNumberError {
    /// Not set (SAF-T requires it).
    Missing,
    /// Not nine digits (after removing spaces).
    NotNineDigits(String),
    /// Nine digits, but the check digit is wrong (a typo).
    CheckDigit(String),
}

impl OrgNumberError {
    pub fn text(&self) -> Text {
        match self {
            OrgNumberError::Missing => Text::new(
                "shop.org_number mangler: SAF-T-eksporten krever organisasjonsnummeret. \
                 Sett org_number = \"123456789\" under [shop] i config.toml.",
                "shop.org_number is missing: the SAF-T export needs the organisation number. \
                 Set org_number = \"123456789\" under [shop] in config.toml.",
            ),
            OrgNumberError::NotNineDigits(v) => Text::new(
                format!(
                    "shop.org_number «{v}» er ikke et organisasjonsnummer: det skal være 9 siffer. \
                     Rett det under [shop] i config.toml."
                ),
                format!(
                    "shop.org_number '{v}' is not an organisation number: it must be 9 digits. \
                     Fix it under [shop] in config.toml."
                ),
            ),
            OrgNumberError::CheckDigit(v) => Text::new(
                format!(
                    "shop.org_number «{v}» har feil kontrollsiffer (skrivefeil?). Sjekk nummeret \
                     i Brønnøysundregistrene og rett det under [shop] i config.toml."
                ),
                format!(
                    "shop.org_number '{v}' has a wrong check digit (a typo?). Check the number \
                     in the Brønnøysund Register and fix it under [shop] in config.toml."
                ),
            ),
        }
    }
}

impl fmt::Display for OrgNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().en)
    }
}

impl std::error::Error for OrgNumberError {}

impl OrgNumber {
    /// Parse `shop.org_number` as configured (`None` or blank is [`OrgNumberError::Missing`]);
    /// spaces are ignored (`987 654 321`), as are a `NO` prefix and an `MVA` suffix.
    pub fn parse(raw: Option<&str>) -> Result<OrgNumber, OrgNumberError> {
        let raw = raw.map(str::trim).unwrap_or_default();
        if raw.is_empty() {
            return Err(OrgNumberError::Missing);
        }
        let mut s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let upper = s.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix("NO") {
            s = rest.to_string();
        }
        if s.to_ascii_uppercase().ends_with("MVA") {
            s.truncate(s.len() - 3);
        }
        let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != 9 || s.len() != 9 {
            return Err(OrgNumberError::NotNineDigits(raw.to_string()));
        }
        const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
        let sum: u32 = WEIGHTS.iter().zip(&digits).map(|(w, d)| w * d).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => return Err(OrgNumberError::CheckDigit(raw.to_string())),
            c => c,
        };
        if digits[8] != check {
            return Err(OrgNumberError::CheckDigit(raw.to_string()));
        }
        Ok(OrgNumber(s))
    }

    /// The nine digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Skatteetaten's file name: `SAF-T Cash Register_<orgnr>_<yyyyMMddHHmmss>.xml`.
pub fn default_file_name(org: &OrgNumber, created: time::PrimitiveDateTime) -> String {
    format!(
        "SAF-T Cash Register_{}_{:04}{:02}{:02}{:02}{:02}{:02}.xml",
        org.as_str(),
        created.year(),
        u8::from(created.month()),
        created.day(),
        created.hour(),
        created.minute(),
        created.second()
    )
}

/// The journal event an export is (13020), to journal before writing so it is in the file.
pub fn export_event(
    event_id: impl Into<String>,
    emp_id: Option<String>,
    at: time::PrimitiveDateTime,
    file_name: &str,
) -> Event {
    Event {
        event_id: event_id.into(),
        event_type: codes::EventKind::Export.id().to_string(),
        trans_id: None,
        emp_id,
        date: at.date(),
        time: at.time(),
        text: Some(format!("SAF-T Cash Register: {file_name}")),
        report: None,
    }
}

/// Why an export could not be written.
#[derive(Debug)]
pub enum SaftError {
    /// Writing failed (disk full, closed pipe …).
    Io(std::io::Error),
    /// A call out of the XSD's order (e.g. an event after a transaction of the same register).
    Order {
        call: &'static str,
        after: &'static str,
    },
    /// A value longer than its XSD type allows.
    TooLong {
        element: &'static str,
        max: usize,
        value: String,
    },
    /// A value out of its XSD range (receipt counts 0–999, VAT percent …).
    OutOfRange { element: &'static str, value: i64 },
    /// A reference to something not written before (an `eventType` that is no `basicID`, an
    /// `empID` that is no employee, an `artID` that is no article).
    UnknownReference { element: &'static str, id: String },
    /// An ID written twice where the XSD wants it unique (`basicID`, `empID`, `artID`,
    /// `reportID`).
    Duplicate { element: &'static str, id: String },
}

impl SaftError {
    pub fn text(&self) -> Text {
        match self {
            SaftError::Io(e) => Text::new(
                format!("Kunne ikke skrive SAF-T-filen: {e}"),
                format!("Could not write the SAF-T file: {e}"),
            ),
            SaftError::Order { call, after } => Text::new(
                format!("SAF-T: {call} kan ikke komme etter {after} (XSD-rekkefølge)."),
                format!("SAF-T: {call} cannot come after {after} (XSD order)."),
            ),
            SaftError::TooLong {
                element,
                max,
                value,
            } => Text::new(
                format!("SAF-T: <{element}> er lengre enn {max} tegn: «{value}». Forkort det."),
                format!(
                    "SAF-T: <{element}> is longer than {max} characters: '{value}'. Shorten it."
                ),
            ),
            SaftError::OutOfRange { element, value } => Text::new(
                format!("SAF-T: <{element}> = {value} er utenfor det XSD-en tillater."),
                format!("SAF-T: <{element}> = {value} is outside what the XSD allows."),
            ),
            SaftError::UnknownReference { element, id } => Text::new(
                format!("SAF-T: <{element}> «{id}» er ikke definert tidligere i filen."),
                format!("SAF-T: <{element}> '{id}' is not defined earlier in the file."),
            ),
            SaftError::Duplicate { element, id } => Text::new(
                format!("SAF-T: <{element}> «{id}» finnes allerede."),
                format!("SAF-T: <{element}> '{id}' appears twice."),
            ),
        }
    }
}

impl fmt::Display for SaftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().en)
    }
}

impl std::error::Error for SaftError {}

impl From<std::io::Error> for SaftError {
    fn from(e: std::io::Error) -> Self {
        SaftError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn org_numbers_are_checked_with_mod11() {
        assert_eq!(
            OrgNumber::parse(Some("999999999")).unwrap().as_str(),
            "999999999"
        );
        // Spaces, NO prefix and MVA suffix as people write them.
        assert_eq!(
            OrgNumber::parse(Some(" NO 923 609 016 MVA "))
                .unwrap()
                .as_str(),
            "923609016"
        );
        assert_eq!(OrgNumber::parse(None), Err(OrgNumberError::Missing));
        assert_eq!(OrgNumber::parse(Some("  ")), Err(OrgNumberError::Missing));
        assert!(matches!(
            OrgNumber::parse(Some("12345678")),
            Err(OrgNumberError::NotNineDigits(_))
        ));
        assert!(matches!(
            OrgNumber::parse(Some("92360901x")),
            Err(OrgNumberError::NotNineDigits(_))
        ));
        assert!(matches!(
            OrgNumber::parse(Some("923609017")),
            Err(OrgNumberError::CheckDigit(_))
        ));
        for e in [
            OrgNumberError::Missing,
            OrgNumberError::NotNineDigits("1".into()),
            OrgNumberError::CheckDigit("923609017".into()),
        ] {
            assert!(e.text().nb.contains("shop.org_number"));
            assert!(e.text().en.contains("shop.org_number"));
        }
    }

    #[test]
    fn default_file_name_follows_skatteetatens_convention() {
        let org = OrgNumber::parse(Some("999999999")).unwrap();
        assert_eq!(
            default_file_name(&org, datetime!(2021-03-30 10:40:00)),
            "SAF-T Cash Register_999999999_20210330104000.xml"
        );
    }
}
