//! ID token signature verification with the OP's keys, fetched through oxd's `get-jwks`.
//!
//! oxd already verifies the token it returns; the plugin verifies again so that the claims it
//! decides on are the signed ones, not a copy an oxd (or anything impersonating it) reports.
//! Keys are cached by `kid`; an unknown `kid` refreshes the set (at most once per
//! [`REFRESH_INTERVAL`], so a stream of forged kids cannot turn into a stream of oxd calls).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::oxd::{OxdClient, OxdError};

/// Minimum time between two key set refreshes triggered by unknown kids.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(10);

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
    /// Not a JWS, or signed with an algorithm the plugin refuses.
    #[error("OP returns id_token with an unacceptable signature algorithm")]
    Algorithm,
    /// No key of the OP has the token's `kid`.
    #[error("OP returns id_token signed with an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("OP returns id_token with an invalid signature")]
    Invalid,
    /// The key set could not be fetched.
    #[error("{0}")]
    Oxd(#[from] OxdError),
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Jwk>,
    anonymous: Vec<Jwk>,
    refreshed: Option<Instant>,
}

/// The OP's verification keys.
#[derive(Default)]
pub struct KeySet {
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySet { .. }")
    }
}

impl KeySet {
    /// Verifies `token`'s signature and returns its claims.
    pub async fn verify(
        &self,
        oxd: &OxdClient,
        token: &str,
    ) -> Result<Map<String, Value>, SignatureError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| SignatureError::Algorithm)?;
        if !ALLOWED.contains(&header.alg) {
            return Err(SignatureError::Algorithm);
        }
        let jwk = self.key_for(oxd, header.kid.as_deref(), header.alg).await?;
        if let Some(alg) = jwk.common.key_algorithm {
            if alg.to_string() != format!("{:?}", header.alg) {
                return Err(SignatureError::Algorithm);
            }
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| SignatureError::UnknownKey)?;
        let mut validation = Validation::new(header.alg);
        // Times, audience and issuer are checked by `claims::check` with GG's messages.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|_| SignatureError::Invalid)
    }

    async fn key_for(
        &self,
        oxd: &OxdClient,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Jwk, SignatureError> {
        let mut cache = self.cache.lock().await;
        if let Some(jwk) = lookup(&cache, kid, alg) {
            return Ok(jwk);
        }
        let due = cache
            .refreshed
            .is_none_or(|at| at.elapsed() >= REFRESH_INTERVAL);
        if !due {
            return Err(SignatureError::UnknownKey);
        }
        let set = oxd.jwks().await?;
        cache.refreshed = Some(Instant::now());
        cache.keys.clear();
        cache.anonymous.clear();
        for value in set
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            // Keys of kinds this library cannot parse are skipped, not fatal.
            let Ok(jwk) = serde_json::from_value::<Jwk>(value.clone()) else {
                continue;
            };
            match jwk.common.key_id.clone() {
                Some(kid) => {
                    cache.keys.insert(kid, jwk);
                }
                None => cache.anonymous.push(jwk),
            }
        }
        lookup(&cache, kid, alg).ok_or(SignatureError::UnknownKey)
    }
}

/// The key with `kid`; without a kid, the only key that could have made an `alg` signature.
fn lookup(cache: &Cache, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
    match kid {
        Some(kid) => cache.keys.get(kid).cloned(),
        None => {
            let family = |j: &Jwk| {
                matches!(
                    (&j.algorithm, alg),
                    (
                        jsonwebtoken::jwk::AlgorithmParameters::RSA(_),
                        Algorithm::RS256
                            | Algorithm::RS384
                            | Algorithm::RS512
                            | Algorithm::PS256
                            | Algorithm::PS384
                            | Algorithm::PS512
                    ) | (
                        jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_),
                        Algorithm::ES256 | Algorithm::ES384
                    )
                )
            };
            let mut candidates = cache
                .keys
                .values()
                .chain(cache.anonymous.iter())
                .filter(|j| family(j));
            let first = candidates.next()?;
            candidates.next().is_none().then(|| first.clone())
        }
    }
}
