//! JWTs a client signs and the OP verifies: request objects (OIDC Core §6) and client
//! assertions (RFC 7523, OIDC Core §9). The key is the client's own — its secret for `HS256`,
//! its registered `jwks` or the set at its `jwks_uri` for `RS256`/`ES256` — and never one a
//! token's header names (`jku`, `x5u` and embedded `jwk` headers are ignored). Signatures are
//! checked by jsonwebtoken; only the unsigned `alg: none` form, which jsonwebtoken does not
//! model, is split here, and it is accepted only where the caller allows `none`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::clients::Client;
use crate::fetch;
use crate::protocol::ClientAlg;
use crate::server::AppState;

/// Clock skew tolerated on `exp`, `nbf` and `iat` of a client's JWT (its clock is not ours).
pub const LEEWAY: i64 = 60;

/// A verified JWT: the algorithm it used and its claims.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The header's algorithm (one the caller allowed).
    pub alg: ClientAlg,
    /// The payload.
    pub claims: Map<String, Value>,
}

/// Checks the key metadata of a client (registration or configuration): at most one of `jwks`
/// and `jwks_uri` (RFC 7591 §2), an http(s) `jwks_uri`, and keys or a secret for every
/// algorithm it registered (`field` names the metadata, e.g. `request_object_signing_alg`).
pub fn check_metadata(
    jwks: Option<&JwkSet>,
    jwks_uri: Option<&str>,
    has_secret: bool,
    algs: &[(&str, Option<ClientAlg>)],
) -> Result<(), String> {
    if jwks.is_some() && jwks_uri.is_some() {
        return Err("jwks and jwks_uri cannot both be registered (RFC 7591 §2)".into());
    }
    if let Some(uri) = jwks_uri {
        let ok = url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(format!("jwks_uri `{uri}` is not an http(s) URL"));
        }
    }
    let has_keys = jwks.is_some() || jwks_uri.is_some();
    for (field, alg) in algs {
        match alg {
            Some(a) if a.uses_client_keys() && !has_keys => {
                return Err(format!(
                    "{field} `{}` needs the client's keys (jwks or jwks_uri)",
                    a.as_str()
                ))
            }
            Some(ClientAlg::HS256) if !has_secret => {
                return Err(format!(
                    "{field} `HS256` needs a client secret, which this client has not"
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The client's JWK set: its registered `jwks`, or fetched from its `jwks_uri` (every time, so a
/// key the client rotated in is used at once).
pub async fn key_set(state: &AppState, client: &Client) -> Result<JwkSet, String> {
    if let Some(set) = &client.jwks {
        return Ok(set.clone());
    }
    let uri = client
        .jwks_uri
        .as_deref()
        .ok_or("the client has registered no keys (jwks or jwks_uri)")?;
    let body = fetch::get(&state.http, uri, fetch::MAX_DOCUMENT_BYTES)
        .await
        .map_err(|e| format!("jwks_uri: {e}"))?;
    serde_json::from_slice(&body).map_err(|e| format!("jwks_uri: not a JWK set: {e}"))
}

fn segment(part: &str, what: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| format!("the JWT's {what} is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| format!("the JWT's {what} is not JSON"))
}

/// Whether `key` could verify `alg`: the family and curve fit, it is not an encryption key, and
/// its own `alg` (if it names one) is `alg`.
fn fits(key: &Jwk, alg: ClientAlg) -> bool {
    if matches!(key.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return false;
    }
    if let Some(own) = key.common.key_algorithm {
        if own.to_string() != alg.as_str() {
            return false;
        }
    }
    match (&key.algorithm, alg) {
        (AlgorithmParameters::RSA(_), ClientAlg::RS256) => true,
        (AlgorithmParameters::EllipticCurve(ec), ClientAlg::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        _ => false,
    }
}

fn validation(alg: jsonwebtoken::Algorithm) -> Validation {
    // Times are checked against the OP's clock ([`check_times`]), audience and issuer by the
    // caller, who knows what they must be.
    let mut v = Validation::new(alg);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v
}

/// Verifies `jwt` as signed by `client` with one of `allowed`, and returns its claims. The
/// error is a sentence for `error_description`.
pub async fn verify(
    state: &AppState,
    client: &Client,
    jwt: &str,
    allowed: &[ClientAlg],
) -> Result<Verified, String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err("not a JWS in compact serialization (three dot-separated parts)".into());
    };
    let header = segment(header, "header")?;
    let name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or("the JWT header has no alg")?;
    let alg = ClientAlg::parse(name)
        .filter(|a| allowed.contains(a))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
            format!(
                "alg `{name}` is not accepted here (accepted: {})",
                names.join(", ")
            )
        })?;
    let Some(jwt_alg) = alg.jwt_alg() else {
        if !signature.is_empty() {
            return Err("an alg none JWT must have an empty signature".into());
        }
        let Value::Object(claims) = segment(payload, "payload")? else {
            return Err("the JWT payload is not a JSON object".into());
        };
        return Ok(Verified { alg, claims });
    };
    let keys: Vec<DecodingKey> = match alg {
        ClientAlg::HS256 => {
            let secret = client
                .client_secret
                .as_deref()
                .ok_or("HS256 needs a client secret, which this client has not")?;
            vec![DecodingKey::from_secret(secret.as_bytes())]
        }
        _ => {
            let kid = header.get("kid").and_then(Value::as_str);
            let set = key_set(state, client).await?;
            let keys: Vec<DecodingKey> = set
                .keys
                .iter()
                .filter(|k| kid.is_none_or(|kid| k.common.key_id.as_deref() == Some(kid)))
                .filter(|k| fits(k, alg))
                .filter_map(|k| DecodingKey::from_jwk(k).ok())
                .collect();
            if keys.is_empty() {
                return Err(match kid {
                    Some(kid) => format!("the client's keys have no {name} key with kid `{kid}`"),
                    None => format!("the client's keys have no {name} key"),
                });
            }
            keys
        }
    };
    let validation = validation(jwt_alg);
    for key in &keys {
        if let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(jwt, key, &validation) {
            return Ok(Verified {
                alg,
                claims: data.claims,
            });
        }
    }
    Err(format!(
        "the {name} signature does not verify with the client's key"
    ))
}

fn number(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| format!("{name} is not a number")),
    }
}

/// Checks `exp` (required when `require_exp`), `nbf` and `iat` against `now`, with [`LEEWAY`].
pub fn check_times(claims: &Map<String, Value>, now: i64, require_exp: bool) -> Result<(), String> {
    match number(claims, "exp")? {
        Some(exp) if exp.saturating_add(LEEWAY) <= now => return Err("the JWT has expired".into()),
        None if require_exp => return Err("the JWT has no exp".into()),
        _ => {}
    }
    if number(claims, "nbf")?.is_some_and(|nbf| nbf > now.saturating_add(LEEWAY)) {
        return Err("the JWT is not valid yet (nbf)".into());
    }
    if number(claims, "iat")?.is_some_and(|iat| iat > now.saturating_add(LEEWAY)) {
        return Err("the JWT was issued in the future (iat)".into());
    }
    Ok(())
}

/// Whether the `aud` claim (a string or an array of strings) names one of `accepted`.
pub fn audience_is(claims: &Map<String, Value>, accepted: &[&str]) -> bool {
    let names = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    };
    claims.get("aud").is_some_and(|aud| {
        names(aud).iter().any(|a| {
            accepted
                .iter()
                .any(|x| a.trim_end_matches('/') == x.trim_end_matches('/'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn times_are_checked_with_leeway() {
        let now = 1_000_000;
        assert!(check_times(&claims(json!({"exp": now + 10})), now, true).is_ok());
        assert!(check_times(&claims(json!({"exp": now - 30})), now, true).is_ok());
        assert!(check_times(&claims(json!({"exp": now - 61})), now, true).is_err());
        assert!(check_times(&claims(json!({})), now, true).is_err());
        assert!(check_times(&claims(json!({})), now, false).is_ok());
        assert!(check_times(&claims(json!({"nbf": now + 120})), now, false).is_err());
        assert!(check_times(&claims(json!({"iat": now + 120})), now, false).is_err());
        assert!(check_times(&claims(json!({"exp": "soon"})), now, true).is_err());
    }

    #[test]
    fn audience_is_a_string_or_a_list() {
        let op = "https://op.example";
        assert!(audience_is(&claims(json!({"aud": op})), &[op]));
        assert!(audience_is(
            &claims(json!({"aud": ["x", "https://op.example/"]})),
            &[op]
        ));
        assert!(!audience_is(&claims(json!({"aud": "https://evil"})), &[op]));
        assert!(!audience_is(&claims(json!({})), &[op]));
    }

    #[test]
    fn key_metadata_rules() {
        let set: JwkSet = serde_json::from_value(json!({"keys": []})).unwrap();
        assert!(check_metadata(Some(&set), Some("https://rp/jwks"), true, &[]).is_err());
        assert!(check_metadata(None, Some("ftp://rp/jwks"), true, &[]).is_err());
        let rs = [("request_object_signing_alg", Some(ClientAlg::RS256))];
        assert!(check_metadata(None, None, true, &rs).is_err());
        assert!(check_metadata(None, Some("https://rp/jwks"), true, &rs).is_ok());
        let hs = [("request_object_signing_alg", Some(ClientAlg::HS256))];
        assert!(check_metadata(None, None, false, &hs).is_err());
        assert!(check_metadata(None, None, true, &hs).is_ok());
        let none = [("request_object_signing_alg", Some(ClientAlg::None))];
        assert!(check_metadata(None, None, false, &none).is_ok());
    }
}
