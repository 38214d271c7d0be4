//! Payment references, idempotency keys and receipt numbers.
//!
//! A [`Reference`] is the ePayment `reference` / eCom `orderId` / PSP `merchantOrderId`:
//! `^[a-zA-Z0-9-]{8,50}$` (the strictest of the three specs), unique per MSN and never reused.
//! A new attempt for the same basket gets a new reference (`…-a2`).
//!
//! Idempotency keys are derived deterministically from the reference and the operation, so a
//! retry after a crash reuses the same key. They are at most 50 characters (ePayment
//! `Idempotency-Key`); when the readable form would be longer, a stable hash of the full form
//! replaces part of it (FNV-1a 64, written in base 36 — stable across Rust versions and
//! platforms, unlike `std::hash`).

use crate::lang::Text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest reference / key kasse produces or accepts.
pub const MAX_LEN: usize = 50;
/// Shortest reference ePayment accepts.
pub const MIN_REFERENCE_LEN: usize = 8;
/// The operation part of an idempotency key is at most this long.
const MAX_ID_PART: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("Reference: \"{0}\" must be 8 to 50 characters of a-z, A-Z, 0-9 and '-'")]
    Invalid(String),
}

impl ReferenceError {
    pub fn text(&self) -> Text {
        let nb = match self {
            ReferenceError::Invalid(s) => {
                format!("Referanse: «{s}» må være 8 til 50 tegn av a-z, A-Z, 0-9 og «-»")
            }
        };
        Text::new(nb, self.to_string())
    }
}

fn valid_chars(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A validated payment reference (`^[a-zA-Z0-9-]{8,50}$`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reference(String);

impl Reference {
    pub fn new(s: impl Into<String>) -> Result<Reference, ReferenceError> {
        let s = s.into();
        if (MIN_REFERENCE_LEN..=MAX_LEN).contains(&s.len()) && valid_chars(&s) {
            Ok(Reference(s))
        } else {
            Err(ReferenceError::Invalid(s))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Reference {
    type Error = ReferenceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Reference::new(s)
    }
}
impl From<Reference> for String {
    fn from(r: Reference) -> String {
        r.0
    }
}
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl AsRef<str> for Reference {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An idempotency key / request id: `^[a-zA-Z0-9-]{1,50}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(s: impl Into<String>) -> Result<IdempotencyKey, ReferenceError> {
        let s = s.into();
        if (1..=MAX_LEN).contains(&s.len()) && valid_chars(&s) {
            Ok(IdempotencyKey(s))
        } else {
            Err(ReferenceError::Invalid(s))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = ReferenceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IdempotencyKey::new(s)
    }
}
impl From<IdempotencyKey> for String {
    fn from(k: IdempotencyKey) -> String {
        k.0
    }
}
impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// FNV-1a 64-bit: a stable, platform-independent hash.
pub fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Base-36 lowercase, fixed width 13 (enough for any u64).
fn base36(mut v: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 13];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(v % 36) as usize];
        v /= 36;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// The idempotency key for operation `op` number `n` on a payment:
/// `{reference}-{op}-{n}`, e.g. `kasse-s1-t2-000123-a1-capture-1`. `op` is reduced to
/// `[a-z0-9]` (max 12 chars, `op` if empty). If the readable form exceeds 50 characters, the
/// key becomes `{first chars of reference}-{13-char hash of the full form}-{op}-{n}`; it is
/// deterministic, ≤ 50 characters, and distinct inputs give distinct keys up to a 64-bit hash.
pub fn op_key(reference: &Reference, op: &str, n: u32) -> IdempotencyKey {
    let mut op_clean: String = op
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .collect();
    if op_clean.is_empty() {
        op_clean.push_str("op");
    }
    let full = format!("{}-{op}-{n}", reference.as_str());
    let op_short: String = op_clean.chars().take(MAX_ID_PART).collect();
    let readable = format!("{}-{op_short}-{n}", reference.as_str());
    let s = if readable.len() <= MAX_LEN && op_short == op_clean && op_clean == op {
        readable
    } else {
        let suffix = format!("-{}-{op_short}-{n}", base36(stable_hash(&full)));
        // suffix ≤ 1 + 13 + 1 + 12 + 1 + 10 = 38, so at least 12 chars of the reference remain.
        let keep = MAX_LEN
            .saturating_sub(suffix.len())
            .min(reference.as_str().len());
        let prefix = reference.as_str()[..keep].trim_end_matches('-');
        format!("{prefix}{suffix}")
    };
    // Every branch above yields 1..=50 chars of [a-z0-9-]; fall back to the bare hash otherwise.
    IdempotencyKey::new(s).unwrap_or_else(|_| IdempotencyKey(base36(stable_hash(&full))))
}

/// A shop's running receipt number; displayed zero-padded to 8 digits (`00000042`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceiptNumber(pub u64);

impl ReceiptNumber {
    /// The following number, or `None` at `u64::MAX`.
    pub fn next(self) -> Option<ReceiptNumber> {
        self.0.checked_add(1).map(ReceiptNumber)
    }
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08}", self.0)
    }
}

/// A short deterministic key for follow-up rows (`om-1f2e…`): FNV-1a 64 of the seed, so a
/// re-enqueue after a restart hits the same row (enqueue is idempotent on the key).
pub fn derived_key(prefix: &str, seed: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{prefix}-{h:016x}")
}

/// PSP transaction id for a reference: lower-case, `[a-z0-9-]`, ≤ 36 characters.
pub fn psp_transaction_id(reference: &str) -> String {
    let lower = reference.to_ascii_lowercase();
    if lower.len() <= 36 {
        lower
    } else {
        derived_key("psp", &lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_key_is_readable_when_short() {
        let r = Reference::new("kasse-s1-t2-000123-a1").unwrap();
        assert_eq!(
            op_key(&r, "capture", 1).as_str(),
            "kasse-s1-t2-000123-a1-capture-1"
        );
        assert_eq!(op_key(&r, "capture", 1), op_key(&r, "capture", 1));
        assert_ne!(op_key(&r, "capture", 1), op_key(&r, "capture", 2));
    }

    #[test]
    fn op_key_hashes_long_references() {
        let r = Reference::new("a".repeat(50)).unwrap();
        let k = op_key(&r, "refund", 3);
        assert!(k.as_str().len() <= MAX_LEN, "{k}");
        assert!(k.as_str().ends_with("-refund-3"));
        let r2 = Reference::new(format!("{}b", "a".repeat(49))).unwrap();
        assert_ne!(op_key(&r2, "refund", 3), k);
    }

    #[test]
    fn reference_validation() {
        assert!(Reference::new("short").is_err());
        assert!(Reference::new("has space in it").is_err());
        assert!(Reference::new("a".repeat(51)).is_err());
        assert!(Reference::new("abc-DEF-123").is_ok());
        assert!(serde_json::from_str::<Reference>("\"bad ref!\"").is_err());
    }

    #[test]
    fn receipt_number_is_zero_padded() {
        assert_eq!(ReceiptNumber(42).to_string(), "00000042");
        assert_eq!(ReceiptNumber(123_456_789).to_string(), "123456789");
        assert_eq!(ReceiptNumber(u64::MAX).next(), None);
    }
}
