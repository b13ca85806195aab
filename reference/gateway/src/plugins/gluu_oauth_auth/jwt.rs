//! Local verification of JWT access tokens (`docs/gluu-gateway.md#jwt-access-tokens`,
//! `docs/differences.md#jwt-failure-reason`) with the OP's keys fetched
//! through oxd `/get-jwks`: RS256/384/512 only, `kid` required, one rate-limited JWKS refresh for
//! an unknown `kid`, only `exp` checked (no leeway), `client_id` and `exp` required.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::AuthError;
use crate::plugins::oxd::OxdClient;

/// At most one JWKS refresh per this interval for unknown `kid`s.
const REFRESH_INTERVAL: Duration = Duration::from_secs(10);

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

fn rsa_alg(name: &str) -> Option<Algorithm> {
    match name {
        "RS256" => Some(Algorithm::RS256),
        "RS384" => Some(Algorithm::RS384),
        "RS512" => Some(Algorithm::RS512),
        _ => None,
    }
}

#[derive(Clone)]
struct Key {
    alg: Option<Algorithm>,
    key: DecodingKey,
}

/// The OP's signing keys by `kid`, per plugin instance.
#[derive(Default)]
pub struct Jwks {
    keys: RwLock<Arc<HashMap<String, Key>>>,
    refresh: tokio::sync::Mutex<RefreshState>,
}

/// The first load is not a refresh; refreshes (unknown `kid` after a load) are rate limited.
#[derive(Debug, Default)]
struct RefreshState {
    loaded: bool,
    last_refresh: Option<Instant>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks").finish_non_exhaustive()
    }
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn parse_keys(jwks: &Value) -> Option<HashMap<String, Key>> {
    let keys = jwks.get("keys")?.as_array()?;
    let now = now_secs();
    let mut out = HashMap::new();
    for k in keys {
        let Some(kid) = k.get("kid").and_then(Value::as_str) else {
            continue;
        };
        if k.get("kty").and_then(Value::as_str) != Some("RSA") {
            continue;
        }
        let alg = match k.get("alg").and_then(Value::as_str) {
            Some(a) => match rsa_alg(a) {
                Some(a) => Some(a),
                None => continue,
            },
            None => None,
        };
        if let Some(exp) = k.get("exp").and_then(Value::as_i64) {
            // oxd's swagger shows milliseconds, GG read seconds: accept both
            // (docs/differences.md#jwk-expiry-units).
            let exp = if exp > 100_000_000_000 {
                exp / 1000
            } else {
                exp
            };
            if exp <= now {
                continue;
            }
        }
        let (Some(n), Some(e)) = (
            k.get("n").and_then(Value::as_str),
            k.get("e").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Ok(key) = DecodingKey::from_rsa_components(n, e) else {
            continue;
        };
        out.insert(kid.to_owned(), Key { alg, key });
    }
    Some(out)
}

impl Jwks {
    fn lookup(&self, kid: &str) -> Option<Key> {
        let keys = match self.keys.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        keys.get(kid).cloned()
    }

    async fn key(&self, kid: &str, oxd: &OxdClient) -> Result<Option<Key>, AuthError> {
        if let Some(k) = self.lookup(kid) {
            return Ok(Some(k));
        }
        let mut state = self.refresh.lock().await;
        if let Some(k) = self.lookup(kid) {
            return Ok(Some(k));
        }
        if state
            .last_refresh
            .is_some_and(|t| t.elapsed() < REFRESH_INTERVAL)
        {
            return Ok(None);
        }
        let jwks = oxd
            .jwks()
            .await
            .map_err(|e| AuthError::Upstream(e.to_string()))?;
        let keys = parse_keys(&jwks)
            .ok_or_else(|| AuthError::Upstream("get-jwks answered without keys".into()))?;
        if state.loaded {
            state.last_refresh = Some(Instant::now());
        }
        state.loaded = true;
        let found = keys.get(kid).cloned();
        let keys = Arc::new(keys);
        match self.keys.write() {
            Ok(mut g) => *g = keys,
            Err(p) => *p.into_inner() = keys,
        }
        Ok(found)
    }
}

fn reason(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "token expired".into(),
        ErrorKind::InvalidSignature => "signature does not match".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("missing claim '{c}'"),
        ErrorKind::ImmatureSignature => "token not yet valid".into(),
        other => format!("{other:?}"),
    }
}

/// Whether the header's `typ` allows an access token: absent, `JWT` (what Gluu's OP sends) or
/// RFC 9068's `at+jwt` (any case, `application/` optional). An ID token, logout token, DPoP
/// proof or security event (`id_token+jwt`, `logout+jwt`, ...) is not one (RFC 8725 §3.11).
fn typ_is_access_token(header: &Value) -> bool {
    match header.get("typ") {
        None => true,
        Some(Value::String(typ)) => {
            let typ = typ.to_ascii_lowercase();
            let typ = typ.strip_prefix("application/").unwrap_or(&typ);
            typ == "jwt" || typ == "at+jwt"
        }
        Some(_) => false,
    }
}

/// Whether a `token_type` claim, if any, names a bearer access token (the OP's JWT access
/// tokens carry `"token_type": "bearer"`).
fn claims_are_access_token(claims: &Value) -> bool {
    match claims.get("token_type") {
        None => true,
        Some(Value::String(t)) => t.eq_ignore_ascii_case("bearer"),
        Some(_) => false,
    }
}

/// Whether `iss` is the OP the plugin is configured for (`op_url`; a trailing slash on either
/// side does not matter, anything else does).
fn issued_by(claims: &Value, op: &str) -> bool {
    claims
        .get("iss")
        .and_then(Value::as_str)
        .is_some_and(|iss| iss.trim_end_matches('/') == op.trim_end_matches('/'))
}

/// Verifies `token` (whose header is `header`) and returns its payload: signed by one of the
/// OP's keys, an access token (`typ`, `token_type`), issued by the plugin's OP, within `nbf`
/// and `exp` (no leeway), and no `crit` extension (none is understood; RFC 7515 §4.1.11).
pub async fn verify(
    token: &str,
    header: &Value,
    jwks: &Jwks,
    oxd: &OxdClient,
) -> Result<Value, AuthError> {
    if header.get("crit").is_some() {
        return Err(AuthError::NotVerified(
            "unsupported critical header parameters".into(),
        ));
    }
    if !typ_is_access_token(header) {
        return Err(AuthError::NotVerified("not an access token (typ)".into()));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(rsa_alg)
        .ok_or(AuthError::Unauthorized("Bad JWT"))?;
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(AuthError::Unauthorized("JWT - missed kid"))?;
    let key = jwks
        .key(kid, oxd)
        .await?
        .ok_or(AuthError::Unauthorized("Unknown kid"))?;
    if key.alg.is_some_and(|a| a != alg) {
        tracing::info!(kid, "JWT - alg mismatch");
        return Err(AuthError::Unauthorized("Bad JWT"));
    }
    let mut validation = Validation::new(alg);
    validation.leeway = 0;
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp"]);
    let data = jsonwebtoken::decode::<Value>(token, &key.key, &validation)
        .map_err(|e| AuthError::NotVerified(reason(&e)))?
        .claims;
    if !issued_by(&data, oxd.op_host()) {
        return Err(AuthError::NotVerified(
            "issuer is not the configured OP".into(),
        ));
    }
    if !claims_are_access_token(&data) {
        return Err(AuthError::NotVerified(
            "not an access token (token_type)".into(),
        ));
    }
    if data.get("client_id").and_then(Value::as_str).is_none()
        || data.get("exp").and_then(Value::as_i64).is_none()
    {
        return Err(AuthError::Unauthorized("JWT - malformed payload"));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_an_access_token() {
        use serde_json::json;
        for typ in ["JWT", "jwt", "at+jwt", "application/at+JWT"] {
            assert!(typ_is_access_token(&json!({"typ": typ})), "{typ}");
        }
        assert!(typ_is_access_token(&json!({})));
        for typ in [
            json!("id_token+jwt"),
            json!("JOSE"),
            json!("dpop+jwt"),
            json!(1),
        ] {
            assert!(!typ_is_access_token(&json!({"typ": typ})), "{typ}");
        }
        assert!(claims_are_access_token(&json!({"token_type": "Bearer"})));
        assert!(claims_are_access_token(&json!({})));
        assert!(!claims_are_access_token(
            &json!({"token_type": "refresh_token"})
        ));
        assert!(issued_by(&json!({"iss": "https://op/"}), "https://op"));
        assert!(!issued_by(&json!({"iss": "https://op.evil"}), "https://op"));
        assert!(!issued_by(&json!({}), "https://op"));
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

    #[test]
    fn jwks_keep_only_usable_rsa_keys() {
        let jwks = serde_json::json!({"keys": [
            {"kid": "ok", "kty": "RSA", "alg": "RS256", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"},
            {"kid": "ec", "kty": "EC", "alg": "ES256"},
            {"kid": "hs", "kty": "RSA", "alg": "HS256", "n": "x", "e": "AQAB"},
            {"kid": "old", "kty": "RSA", "alg": "RS256", "exp": 1, "n": "x", "e": "AQAB"},
        ]});
        let keys = parse_keys(&jwks).unwrap();
        assert!(keys.contains_key("ok"));
        assert_eq!(keys.len(), 1);
        assert!(parse_keys(&serde_json::json!({})).is_none());
    }
}
