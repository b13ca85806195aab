//! ID token signature verification with the OP's keys, fetched through oxd's `get-jwks`: the
//! relying-party core's [`KeySet`] over [`crate::rp::jwks::OxdKeys`] (one rate-limited refresh
//! for an unknown `kid`) and [`crate::rp::jwt::verify`], with GG-style messages.
//!
//! oxd already verifies the token it returns; the plugin verifies again so that the claims it
//! decides on are the signed ones, not a copy an oxd (or anything impersonating it) reports.
//! Times, audience, issuer and nonce are checked afterwards by `claims::check` with GG's
//! messages, so the core checks the signature only.

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::rp::jwks::KeySet;
use crate::rp::jwt::{self, JwtError, Rules};

/// Minimum seconds between two key set refreshes triggered by unknown kids.
pub const REFRESH_INTERVAL: i64 = 10;

/// Signature algorithms accepted for ID tokens (never `none` or a shared-secret HMAC).
const ALLOWED: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Why a token's signature was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// Not a JWS, or signed with an algorithm the plugin refuses (or that the named key is not
    /// for).
    #[error("OP returns id_token with an unacceptable signature algorithm")]
    Algorithm,
    /// No key of the OP has the token's `kid`.
    #[error("OP returns id_token signed with an unknown key")]
    UnknownKey,
    /// The signature does not verify (or the header asks for an extension: `crit`).
    #[error("OP returns id_token with an invalid signature")]
    Invalid,
    /// The key set could not be fetched.
    #[error("{0}")]
    Keys(String),
}

/// Verifies `token`'s signature with the OP's `keys` and returns its claims.
pub async fn verify(keys: &KeySet, token: &str) -> Result<Map<String, Value>, SignatureError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| SignatureError::Algorithm)?;
    if !ALLOWED.contains(&header.alg) {
        return Err(SignatureError::Algorithm);
    }
    let rules = Rules {
        verify_claims: false,
        ..Rules::default()
    };
    // `now` is unused: claims are not checked here.
    jwt::verify(token, keys, &rules, 0)
        .await
        .map_err(|e| match e {
            JwtError::UnknownKey(_) => SignatureError::UnknownKey,
            JwtError::Keys(reason) => SignatureError::Keys(reason),
            JwtError::Malformed(_) | JwtError::Algorithm(_) => SignatureError::Algorithm,
            _ => SignatureError::Invalid,
        })
}
