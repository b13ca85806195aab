//! Small helpers shared by several modules: base64url, random identifiers, constant-time equality.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random token with `bytes` bytes of entropy, base64url encoded.
pub fn random_token(bytes: usize) -> String {
    // Every token, code and id the OP issues is at most 32 bytes: drawn on the stack.
    let mut small = [0u8; 32];
    let mut large = Vec::new();
    let buf = if bytes <= small.len() {
        &mut small[..bytes]
    } else {
        large.resize(bytes, 0);
        &mut large[..]
    };
    rand::rngs::OsRng.fill_bytes(buf);
    b64(buf)
}

/// Constant-time string equality (secrets, CSRF tokens, registration tokens).
pub fn secure_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// OIDC `at_hash` / `c_hash`: base64url of the left half of the SHA-256 digest (RS256, ES256).
pub fn half_hash(value: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(value.as_bytes());
    b64(&digest[..digest.len() / 2])
}

/// `sha256-<base64>` of an inline script, the CSP Level 2 hash source that allows exactly it
/// (<https://www.w3.org/TR/CSP2/#script-src-hash-usage>).
pub fn script_hash(script: &str) -> String {
    use base64::engine::general_purpose::STANDARD;
    use sha2::Digest;
    format!(
        "sha256-{}",
        STANDARD.encode(sha2::Sha256::digest(script.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_differ_and_have_the_requested_entropy() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
        assert_eq!(random_token(16).len(), 22);
        assert_eq!(random_token(48).len(), 64, "larger than the stack buffer");
    }

    #[test]
    fn half_hash_matches_oidc_example() {
        // OIDC Core A.4 example: this code has c_hash "LDktKdoQak3Pk0cnXxCltA" (RS256).
        assert_eq!(
            half_hash("Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"),
            "LDktKdoQak3Pk0cnXxCltA"
        );
    }

    #[test]
    fn secure_eq_compares_whole_strings() {
        assert!(secure_eq("abc", "abc"));
        assert!(!secure_eq("abc", "abd"));
        assert!(!secure_eq("abc", "abcd"));
    }
}
