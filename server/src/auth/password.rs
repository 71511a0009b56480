//! Password hashing with Argon2id (memory-hard), in PHC string form so the
//! parameters travel with each hash.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::Config;
use crate::error::{AppError, Result};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in characters (hashing cost grows with
/// length; 1,024 characters are at most 4 KiB).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// The Argon2id hasher the configuration asks for.
pub fn hasher(config: &Config) -> Result<Argon2<'static>> {
    let params = Params::new(config.argon2_memory_kib, config.argon2_iterations, 1, None)
        .map_err(|e| AppError::Config(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with a fresh random salt. Slow on purpose: call it
/// off the async runtime.
pub fn hash(config: &Config, password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Internal(format!("salt encoding: {e}")))?;
    let phc = hasher(config)?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))?;
    Ok(phc.to_string())
}

/// Whether `password` matches the stored hash. Slow on purpose.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a new password's length.
pub fn check_new(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::bad_request(
            "weak_password",
            format!("the password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::bad_request(
            "invalid_password",
            format!("the password may have at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password_and_hides_it() {
        let config = Config {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..Config::default()
        };
        let stored = hash(&config, "correct horse").expect("hash");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("correct horse"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct hors", &stored));
        assert!(!verify("correct horse", "not a hash"));
        // Same password, new salt: a different hash.
        assert_ne!(hash(&config, "correct horse").expect("hash"), stored);
    }

    #[test]
    fn new_passwords_need_a_sensible_length() {
        assert!(check_new("short").is_err());
        assert!(check_new("long enough").is_ok());
        assert!(check_new(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
    }
}
