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

/// The JWS `typ` of a request object (RFC 9101 §10.8).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

fn keys() -> anyhow::Result<&'static KeySet> {
    static KEYS: OnceLock<Result<KeySet, String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        SigningKey::generate(SigningAlg::RS256, Some(KID.into()))
            .and_then(|k| KeySet::from_keys(vec![k]))
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| anyhow::anyhow!("the RP's signing key: {e}"))
}

/// The RP's public JWK set, for the `jwks` registration metadata.
pub fn jwks() -> anyhow::Result<Value> {
    Ok(keys()?.jwks())
}

/// `claims` as a request object signed RS256 by the RP's key (header `kid` = [`KID`]).
pub fn sign_request_object(claims: &Value) -> anyhow::Result<String> {
    keys()?
        .sign(SigningAlg::RS256, REQUEST_OBJECT_TYP, claims)
        .context("signing the request object")
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
}
