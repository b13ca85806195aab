//! Client secrets: argon2 hashes for `hash_secret` credentials (Kong 3.x `oauth2/secret.lua`
//! hashes with argon2 too), constant-time comparison for plain ones.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use subtle::ConstantTimeEq;

/// Whether `stored` is an argon2 PHC string (so it is not hashed again).
pub fn is_hash(stored: &str) -> bool {
    stored.starts_with("$argon2") && PasswordHash::new(stored).is_ok()
}

/// The argon2id hash of `secret` (argon2's default parameters, a random salt).
pub fn hash(secret: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the secret: {e}"))
}

/// Whether `presented` is the secret `stored` keeps (hashed when `hashed`).
pub fn verify(presented: &str, stored: &str, hashed: bool) -> bool {
    if hashed {
        match PasswordHash::new(stored) {
            // The parameters come from the hash itself, so any argon2 variant verifies.
            Ok(h) => Argon2::default()
                .verify_password(presented.as_bytes(), &h)
                .is_ok(),
            Err(_) => false,
        }
    } else {
        presented.as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_secrets_verify_and_are_recognised() {
        let h = hash("secret").unwrap();
        assert!(is_hash(&h));
        assert!(!is_hash("secret"));
        assert!(!is_hash("$argon2 but not a hash"));
        assert!(verify("secret", &h, true));
        assert!(!verify("Secret", &h, true));
        assert!(!verify("secret", "not a hash", true));
    }

    #[test]
    fn plain_secrets_compare_exactly() {
        assert!(verify("secret", "secret", false));
        assert!(!verify("secret", "secret2", false));
        assert!(!verify("", "secret", false));
    }
}
