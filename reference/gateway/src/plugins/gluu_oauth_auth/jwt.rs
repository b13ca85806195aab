//! Local verification of JWT access tokens (`docs/gluu-gateway.md#jwt-access-tokens`,
//! `docs/differences.md#jwt-failure-reason`) with GG's rules and messages on top of the
//! relying-party core: the keys are the core's [`KeySet`] fed by oxd's `get-jwks`
//! ([`crate::rp::jwks::OxdKeys`]: one rate-limited refresh for an unknown `kid`, expired keys
//! left out), the signature and the access-token shape are checked by [`crate::rp::jwt::verify`];
//! this module adds what GG asks for: RS256/384/512 only, `kid` required, `exp` required and
//! checked without leeway, `nbf`, the issuer being `op_url`, and `client_id` present.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::AuthError;
use crate::rp::jwks::KeySet;
use crate::rp::jwt::{self, JwtError, Rules};

/// At most one JWKS refresh per this many seconds for unknown `kid`s.
pub const REFRESH_INTERVAL: i64 = 10;

/// The JWT header, when `token` has the shape of a JWS (three parts, JSON header and payload).
pub fn header_of(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    (header.is_object() && payload.is_object()).then_some(header)
}

/// GG accepts RSA PKCS#1 v1.5 signatures only.
fn is_rsa_alg(name: &str) -> bool {
    matches!(name, "RS256" | "RS384" | "RS512")
}

/// What the core checks for GG: the signature with the OP's keys and that the token is an
/// access token (`typ` absent, `JWT` or `at+jwt`; `token_type`, if any, `bearer`: RFC 8725
/// §3.11). Time and issuer are checked here with GG's semantics instead (no `iat` check, `exp`
/// valid through its own second, as `jsonwebtoken` counts it).
fn rules() -> Rules {
    Rules {
        verify_signature: true,
        verify_claims: false,
        access_token: true,
        require_exp: false,
        ..Rules::default()
    }
}

fn not_verified(e: JwtError) -> AuthError {
    match e {
        JwtError::UnknownKey(_) => AuthError::Unauthorized("Unknown kid"),
        JwtError::Algorithm(alg) => {
            tracing::info!(alg, "JWT - alg mismatch");
            AuthError::Unauthorized("Bad JWT")
        }
        JwtError::Keys(reason) => AuthError::Upstream(reason),
        JwtError::Signature => AuthError::NotVerified("signature does not match".into()),
        other => AuthError::NotVerified(other.to_string()),
    }
}

/// Whether `iss` is the OP the plugin is configured for (`op_url`; a trailing slash on either
/// side does not matter, anything else does).
fn issued_by(claims: &Map<String, Value>, op: &str) -> bool {
    claims
        .get("iss")
        .and_then(Value::as_str)
        .is_some_and(|iss| iss.trim_end_matches('/') == op.trim_end_matches('/'))
}

/// Verifies `token` (whose header is `header`) against `keys`, the OP `op_url`'s, at Unix time
/// `now`, and returns its payload: RS256/384/512 with a `kid` (GG's "Bad JWT" / "JWT - missed
/// kid"), signed by that key, an access token, within `nbf` and `exp` (no leeway), issued by
/// `op_url`, and no `crit` extension (none is understood; RFC 7515 §4.1.11).
pub async fn verify(
    token: &str,
    header: &Value,
    keys: &KeySet,
    op_url: &str,
    now: i64,
) -> Result<Value, AuthError> {
    if !header
        .get("alg")
        .and_then(Value::as_str)
        .is_some_and(is_rsa_alg)
    {
        return Err(AuthError::Unauthorized("Bad JWT"));
    }
    if header.get("kid").and_then(Value::as_str).is_none() {
        return Err(AuthError::Unauthorized("JWT - missed kid"));
    }
    let claims = jwt::verify(token, keys, &rules(), now)
        .await
        .map_err(not_verified)?;
    let exp = match claims.get("exp") {
        None => return Err(AuthError::NotVerified("missing claim 'exp'".into())),
        Some(exp) => exp.as_i64(),
    };
    if exp.is_some_and(|exp| exp < now) {
        return Err(AuthError::NotVerified("token expired".into()));
    }
    match claims.get("nbf") {
        None => {}
        Some(nbf) => match nbf.as_i64() {
            Some(nbf) if nbf <= now => {}
            Some(_) => return Err(AuthError::NotVerified("token not yet valid".into())),
            // A time that is not a number cannot be compared: refused, not skipped.
            None => return Err(AuthError::NotVerified("invalid claim 'nbf'".into())),
        },
    }
    if !issued_by(&claims, op_url) {
        return Err(AuthError::NotVerified(
            "issuer is not the configured OP".into(),
        ));
    }
    if claims.get("client_id").and_then(Value::as_str).is_none() || exp.is_none() {
        return Err(AuthError::Unauthorized("JWT - malformed payload"));
    }
    Ok(Value::Object(claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_issuer_is_op_url_up_to_a_trailing_slash() {
        let claims = |v: Value| v.as_object().unwrap().clone();
        assert!(issued_by(
            &claims(json!({"iss": "https://op/"})),
            "https://op"
        ));
        assert!(!issued_by(
            &claims(json!({"iss": "https://op.evil"})),
            "https://op"
        ));
        assert!(!issued_by(&claims(json!({})), "https://op"));
    }

    #[test]
    fn only_rsa_pkcs1_algorithms() {
        for alg in ["RS256", "RS384", "RS512"] {
            assert!(is_rsa_alg(alg));
        }
        for alg in ["PS256", "ES256", "HS256", "none", "EdDSA"] {
            assert!(!is_rsa_alg(alg), "{alg}");
        }
    }

    #[test]
    fn jws_shape_detection() {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        let p = URL_SAFE_NO_PAD.encode(r#"{"a":1}"#);
        assert!(header_of(&format!("{h}.{p}.sig")).is_some());
        assert!(header_of(&format!("{h}.{p}.")).is_some());
        assert!(header_of("opaque-token").is_none());
        assert!(header_of(&format!("{h}.{p}")).is_none());
        assert!(header_of(&format!("{h}.notjson.x")).is_none());
    }
}
