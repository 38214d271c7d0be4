//! PIN hashing: argon2id (PHC string with its own salt and parameters). The PIN itself is a
//! [`Pin`] (domain), never stored, logged or shown.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::staff::{HashCost, Pin, StaffError};
use crate::lang::Text;

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
