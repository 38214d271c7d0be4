//! PINs: 4–8 digits, hashed with argon2id (PHC string with its own salt and parameters). A PIN
//! is never stored, logged or shown; [`Pin`] keeps it in a `SecretString` and its `Debug` is
//! redacted.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use super::StaffError;
use crate::lang::Text;

/// A staff PIN (validated: 4 to 8 digits). Never printed.
pub struct Pin(SecretString);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin([redacted])")
    }
}

impl Pin {
    /// Validate a typed PIN. The error names the field and says what to do, never echoing it.
    pub fn new(pin: &str) -> Result<Pin, StaffError> {
        let n = pin.chars().count();
        if !(4..=8).contains(&n) || !pin.chars().all(|c| c.is_ascii_digit()) {
            return Err(StaffError::Invalid(Text::new(
                "PIN: må være 4 til 8 sifre (0–9). Skriv en ny PIN.",
                "PIN: must be 4 to 8 digits (0–9). Type a new PIN.",
            )));
        }
        Ok(Pin(SecretString::from(pin.to_owned())))
    }

    fn bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

/// How expensive hashing is. `Standard` is argon2id with the crate's OWASP defaults
/// (19 MiB, 2 passes); `Fast` is for tests and the demo only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashCost {
    #[default]
    Standard,
    Fast,
}

fn argon(cost: HashCost) -> Result<Argon2<'static>, StaffError> {
    let params = match cost {
        HashCost::Standard => Params::default(),
        HashCost::Fast => Params::new(256, 1, 1, None).map_err(hash_error)?,
    };
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_error(e: impl std::fmt::Display) -> StaffError {
    StaffError::Internal(Text::new(
        format!("PIN-hashing feilet ({e}). Prøv igjen."),
        format!("PIN hashing failed ({e}). Try again."),
    ))
}

/// Hash a PIN (argon2id, random salt). The result is a PHC string (`$argon2id$v=19$…`).
pub fn hash_pin(pin: &Pin, cost: HashCost) -> Result<String, StaffError> {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(hash_error)?;
    Ok(argon(cost)?
        .hash_password(pin.bytes(), &salt)
        .map_err(hash_error)?
        .to_string())
}

/// Check a PIN against a stored PHC string (its own parameters are used). A malformed hash
/// never matches.
pub fn verify_pin(pin: &Pin, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(pin.bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_rules() {
        for bad in ["", "123", "123456789", "12a4", "12 34", "١٢٣٤"] {
            let e = Pin::new(bad).unwrap_err();
            assert!(e.message().en.contains("4 to 8 digits"), "{bad}");
            assert!(!e.message().en.contains(bad) || bad.is_empty());
        }
        for ok in ["1234", "00000000", "987654"] {
            assert!(Pin::new(ok).is_ok());
        }
        assert_eq!(
            format!("{:?}", Pin::new("4321").unwrap()),
            "Pin([redacted])"
        );
    }

    #[test]
    fn hash_is_not_the_pin_and_verifies() {
        let pin = Pin::new("4321").unwrap();
        let h = hash_pin(&pin, HashCost::Fast).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("4321"));
        assert!(verify_pin(&pin, &h));
        assert!(!verify_pin(&Pin::new("4322").unwrap(), &h));
        assert!(!verify_pin(&pin, "not a hash"));
        // Salted: the same PIN hashes differently each time.
        assert_ne!(h, hash_pin(&pin, HashCost::Fast).unwrap());
    }
}
