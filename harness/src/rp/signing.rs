//! The certification RP's own signing key: an RS256 key made once per run, whose public half the
//! RP registers as its `jwks` and with which it signs request objects (OIDC Core §6.1), as the
//! suite's RP does with the key of its configuration. Signing goes through the same
//! jsonwebtoken-backed key set the reference OP uses for its own tokens; the OP under test only
//! ever sees the public JWK.

use std::sync::OnceLock;

use anyhow::Context;
use gatecheck_op::keys::{KeySet, SigningKey};
use gatecheck_op::protocol::SigningAlg;
use serde_json::Value;

/// The `kid` of the RP's key in its JWK set.
pub const KID: &str = "gatecheck-rp-1";

/// The `kid` of the key the RP rotates to (`oidcc-refresh-token-rp-key-rotation`).
pub const ROTATED_KID: &str = "gatecheck-rp-2";

/// The JWS `typ` of a request object (RFC 9101 §10.8).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// The RP's key named `kid` ([`KID`] or [`ROTATED_KID`]), each made once per run.
fn keys(kid: &str) -> anyhow::Result<&'static KeySet> {
    static KEYS: OnceLock<Result<Vec<KeySet>, String>> = OnceLock::new();
    let sets = KEYS
        .get_or_init(|| {
            [KID, ROTATED_KID]
                .into_iter()
                .map(|kid| {
                    SigningKey::generate(SigningAlg::RS256, Some(kid.into()))
                        .and_then(|k| KeySet::from_keys(vec![k]))
                        .map_err(|e| e.to_string())
                })
                .collect()
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("the RP's signing key: {e}"))?;
    let index = [KID, ROTATED_KID]
        .iter()
        .position(|k| *k == kid)
        .with_context(|| format!("the RP has no key {kid}"))?;
    Ok(&sets[index])
}

/// The RP's public JWK set, for the `jwks` registration metadata.
pub fn jwks() -> anyhow::Result<Value> {
    jwks_of(KID)
}

/// The public JWK set holding only the key `kid`.
pub fn jwks_of(kid: &str) -> anyhow::Result<Value> {
    Ok(keys(kid)?.jwks())
}

/// `claims` as a request object signed RS256 by the RP's key (header `kid` = [`KID`]).
pub fn sign_request_object(claims: &Value) -> anyhow::Result<String> {
    keys(KID)?
        .sign(SigningAlg::RS256, REQUEST_OBJECT_TYP, claims)
        .context("signing the request object")
}

/// A `private_key_jwt` client assertion (RFC 7523 §3, OIDC Core §9) signed RS256 with the key
/// `kid`: `iss` = `sub` = `client_id`, `aud`, a fresh `jti`, `iat` = `now`, `exp` a minute on.
pub fn client_assertion(kid: &str, client_id: &str, aud: &str, now: i64) -> anyhow::Result<String> {
    let jti: String = (0..16)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let claims = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": aud, "jti": jti,
        "iat": now, "exp": now + 60,
    });
    keys(kid)?
        .sign(SigningAlg::RS256, "JWT", &claims)
        .context("signing the client assertion")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_object_names_the_registered_key_and_verifies_with_it() {
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks().unwrap()).unwrap();
        let jwt = sign_request_object(&serde_json::json!({"iss": "rp", "state": "s"})).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.kid.as_deref(), Some(KID));
        assert_eq!(header.typ.as_deref(), Some(REQUEST_OBJECT_TYP));
        let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(KID).unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Value>(&jwt, &key, &validation).unwrap();
        assert_eq!(data.claims["state"], "s");
        assert!(jwks.keys[0].common.key_id.is_some());
    }

    #[test]
    fn assertions_are_signed_by_the_named_key_only() {
        let jwt = client_assertion(ROTATED_KID, "c", "https://op/token", 1_000).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&jwt).unwrap().kid.as_deref(),
            Some(ROTATED_KID)
        );
        let first: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks().unwrap()).unwrap();
        assert!(first.find(ROTATED_KID).is_none(), "a set names one key");
        let rotated: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(jwks_of(ROTATED_KID).unwrap()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(rotated.find(ROTATED_KID).unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&["https://op/token"]);
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Value>(&jwt, &key, &validation).unwrap();
        assert_eq!(data.claims["iss"], "c");
        assert_eq!(data.claims["sub"], "c");
        assert!(data.claims["jti"].as_str().unwrap().len() >= 32);
        assert!(jwks_of("other").is_err());
    }
}
