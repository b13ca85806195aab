//! Client secrets: argon2 hashes for `hash_secret` credentials, constant-time comparison for
//! plain ones. The argon2 parameters are the ones Kong's own `oauth2/secret.lua` sets for its
//! argon2 hasher (argon2id, 4 MiB, one pass, one lane, 32-byte hash:
//! <https://github.com/Kong/kong/blob/master/kong/plugins/oauth2/secret.lua>; Kong itself may
//! be built with PBKDF2-SHA512 enabled instead, and gatecheck keeps argon2), not argon2's
//! interactive-login defaults: a client secret is a long random string, not a password a person
//! chose, and it is checked on every token request.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use subtle::ConstantTimeEq;

/// Whether `stored` is an argon2 PHC string (so it is not hashed again).
pub fn is_hash(stored: &str) -> bool {
    stored.starts_with("$argon2") && PasswordHash::new(stored).is_ok()
}

/// Kong's argon2 settings for client secrets (`ARGON2_M_COST`, `ARGON2_T_COST`,
/// `ARGON2_PARALLELISM`, `ARGON2_HASH_LEN`).
const M_COST_KIB: u32 = 4096;
const T_COST: u32 = 1;
const PARALLELISM: u32 = 1;
const HASH_LEN: usize = 32;

/// The argon2id hash of `secret` with Kong's parameters and a random salt.
pub fn hash(secret: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::new(M_COST_KIB, T_COST, PARALLELISM, Some(HASH_LEN))
        .map_err(|e| format!("argon2 parameters: {e}"))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
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
        assert!(
            h.starts_with("$argon2id$v=19$m=4096,t=1,p=1$"),
            "Kong's parameters: {h}"
        );
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
