//! Norwegian cash-register rules (kassasystemlova / kassasystemforskrifta): the pure core.
//!
//! # What the rules want
//!
//! - **Digital signature** (forskrifta § 2-7-6, Skatteetaten's technical description): every cash
//!   transaction — sale, return, void; Vipps, cash and split alike, all are *kontantsalg* — is
//!   signed with SHA-1 with RSA (1024-bit key, public exponent 65537, PKCS#1 v1.5), base64, over
//!   `previousSignature;transDate;transTime;nr;transAmntIn;transAmntEx`. The chain runs per till
//!   (cash register); the first transaction's previous signature is `0`. Each transaction
//!   records the `keyVersion` of the key that signed it; rotating the key bumps the version and
//!   the chain simply continues (the next text starts with the previous signature, whatever key
//!   made it).
//! - **SAF-T Cash Register export** (forskrifta § 2-7-4): on request, the journal of a period is
//!   handed over as one XML file per Skatteetaten's XSD v1.00: header, company, VAT codes,
//!   employees, articles, basics (Skatteetaten's code lists mapped to the till's own codes),
//!   and per location / cash register its events and cash transactions with lines, payments,
//!   VAT and signatures. Exporting is itself an event (13020).
//!
//! # What this module does
//!
//! Plain data in, plain data out; no database, no clock, no terminal:
//!
//! - [`signature`]: key generation with an injected RNG, PEM import/export, the text to sign,
//!   signing, verification, the private-key file writer (0600 in a 0700 folder) and a streaming
//!   chain verifier over [`signature::ChainRecord`]s.
//! - [`saft`]: a streaming SAF-T Cash Register writer (constant memory: one transaction at a
//!   time), its data model, Skatteetaten's code lists as constants ([`saft::codes`]), the default
//!   file name and organisation-number validation.
//! - [`decimal2`]: amounts as Skatteetaten writes them (`1250.00`, `-16.40`) from integer minor
//!   units; shared by the signed text and the export so the two can never disagree.
//!
//! # Where it is wired
//!
//! - `store::fiscal` (migration 0011): the key made at the first start beside the database
//!   (`Store::open_in_dir`), the signed rows written by `store::fiscal::append_signed` inside the
//!   transaction that journals a sale's final state (and, through `Tx::append_signed`, a
//!   refund's), the 13xxx events, and `Store::verify_fiscal_chain` streaming each till's rows
//!   into [`signature::try_verify_chain`].
//! - `service::saft`: the SAF-T export streaming the journal through [`saft::SaftWriter`].
//! - `cli::fiscal`: `kasse journal public-key | verify | rotate-key` and `kasse saft` (which
//!   journals its 13020 event first, so the export is in the file).
//! - Still to come: the X/Z reports feed [`saft::EventReport`].

pub mod saft;
pub mod signature;

use std::fmt::Write as _;

/// An amount in minor units (øre) as Skatteetaten writes it: a dot and two decimals, a leading
/// `-` for negative amounts (`125000` → `1250.00`, `-1640` → `-16.40`). Never via floats.
pub fn decimal2(minor: i64) -> String {
    let mut s = String::with_capacity(24);
    push_decimal2(&mut s, minor);
    s
}

/// [`decimal2`] appended to `out` (no allocation when `out` has room).
pub fn push_decimal2(out: &mut String, minor: i64) {
    let abs = minor.unsigned_abs();
    if minor < 0 {
        out.push('-');
    }
    // Writing into a String cannot fail.
    let _ = write!(out, "{}.{:02}", abs / 100, abs % 100);
}

/// A date as `YYYY-MM-DD` (xsd:date, and the signed text's `transDate`).
pub fn push_date(out: &mut String, d: time::Date) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    );
}

/// A time of day as `HH:MM:SS` (xsd:time without fractions, and the signed text's `transTime`).
pub fn push_time(out: &mut String, t: time::Time) {
    let _ = write!(out, "{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal2_formats_minor_units_with_a_dot_and_two_decimals() {
        assert_eq!(decimal2(125_000), "1250.00");
        assert_eq!(decimal2(100_000), "1000.00");
        assert_eq!(decimal2(0), "0.00");
        assert_eq!(decimal2(5), "0.05");
        assert_eq!(decimal2(-1640), "-16.40");
        assert_eq!(decimal2(-5), "-0.05");
        assert_eq!(decimal2(i64::MIN), "-92233720368547758.08");
        assert_eq!(decimal2(i64::MAX), "92233720368547758.07");
    }

    #[test]
    fn dates_and_times_are_zero_padded() {
        let mut s = String::new();
        push_date(&mut s, time::macros::date!(2014 - 01 - 04));
        s.push(';');
        push_time(&mut s, time::macros::time!(03:09:07.5));
        assert_eq!(s, "2014-01-04;03:09:07");
    }
}
