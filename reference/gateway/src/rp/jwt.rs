//! JWT validation for ID tokens and JWT access tokens, with `jsonwebtoken` doing the JOSE work:
//! the signature against the provider's [`KeySet`] (or a shared secret for HS*, only when
//! enabled), then the claims against [`Rules`] on the gateway's clock (`jsonwebtoken`'s own time
//! checks read the system clock, so they are off and done here).

use std::collections::HashSet;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::jwks::{KeyError, KeySet, Verified};

/// Asymmetric algorithms accepted by default (never `none`).
pub const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

const HMAC: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

/// A token's verified claims, shared rather than copied: the key set's verification cache,
/// the plugin that authenticated the request and the request's context (`RequestToken.data`)
/// hold the same JSON object. Always an object; reads go through `Deref` to its map.
///
/// The claims every use of a token checks (`exp`, `nbf`, `iat`, `iss`, `aud`, `token_type`)
/// and its scopes are read out of the map once, at the claims' first check (the verification
/// that then keeps them in the verification cache), so a cached token's per-request checks
/// are field reads rather than hashed map lookups. The map stays for what reads arbitrary claims
/// (claim rules, consumer mapping, headers).
#[derive(Debug, Clone)]
pub struct Claims(Arc<Parsed>);

#[derive(Debug)]
struct Parsed {
    value: Arc<Value>,
    /// Read at the first use and kept with the claims (a cached introspection or userinfo
    /// answer wrapped per request and never checked pays nothing for them).
    fields: std::sync::OnceLock<Fields>,
}

#[derive(Debug)]
struct Fields {
    exp: Option<i64>,
    /// `exp` only when an integer (what a bearer token's `expires_at` has always been).
    exp_integer: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    iss: Option<String>,
    /// The string audiences: `aud` as a string, or an array's string elements.
    aud: Vec<String>,
    token_type: TokenType,
    scopes: Arc<[String]>,
}

/// The `token_type` claim, as the access-token check reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenType {
    Absent,
    Bearer,
    Other,
}

impl Parsed {
    fn of(value: Arc<Value>) -> Self {
        Parsed {
            value,
            fields: std::sync::OnceLock::new(),
        }
    }
}

impl Fields {
    fn of(value: &Value) -> Self {
        let map = value.as_object();
        let get = |name: &str| map.and_then(|m| m.get(name));
        let aud = match get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let token_type = match get("token_type") {
            None => TokenType::Absent,
            Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => TokenType::Bearer,
            Some(_) => TokenType::Other,
        };
        Fields {
            exp: get("exp").and_then(number_value),
            exp_integer: get("exp").and_then(Value::as_i64),
            nbf: get("nbf").and_then(number_value),
            iat: get("iat").and_then(number_value),
            iss: get("iss").and_then(Value::as_str).map(str::to_owned),
            aud,
            token_type,
            scopes: crate::plugins::context::scopes_of(value),
        }
    }
}

impl Claims {
    /// The claims as the JSON object they are (what `RequestToken.data` carries).
    pub fn as_value(&self) -> &Arc<Value> {
        &self.0.value
    }

    /// Shares a JSON object (a cached introspection or userinfo answer) as claims; anything
    /// else is no claims.
    pub fn from_object(value: Arc<Value>) -> Self {
        if value.is_object() {
            Claims(Arc::new(Parsed::of(value)))
        } else {
            Self::default()
        }
    }

    /// An owned copy of the map, for a caller that adds claims of its own.
    pub fn to_map(&self) -> Map<String, Value> {
        Map::clone(self)
    }

    /// `exp` as a number of seconds (an integer, or a finite float truncated).
    pub fn exp(&self) -> Option<i64> {
        self.fields().exp
    }

    fn fields(&self) -> &Fields {
        self.0.fields.get_or_init(|| Fields::of(&self.0.value))
    }

    /// `exp` when it is an integer.
    pub fn exp_integer(&self) -> Option<i64> {
        self.fields().exp_integer
    }

    /// The `scope` claim's scopes, as [`crate::plugins::context::scopes_of`] reads them
    /// (shared: no copy per request).
    pub fn scopes(&self) -> &Arc<[String]> {
        &self.fields().scopes
    }

    /// [`check_claims`] from the fields read when the claims were built.
    fn check(&self, rules: &Rules, now: i64) -> Result<(), JwtError> {
        let p = self.fields();
        check_times(p.exp, p.nbf, p.iat, rules, now)?;
        if !rules.issuers.is_empty()
            && !p
                .iss
                .as_deref()
                .is_some_and(|iss| rules.issuers.iter().any(|i| i == iss))
        {
            return Err(JwtError::Issuer);
        }
        if !rules.audiences.is_empty() && !p.aud.iter().any(|a| rules.audiences.contains(a)) {
            return Err(JwtError::Audience);
        }
        Ok(())
    }
}

impl Default for Claims {
    fn default() -> Self {
        Map::new().into()
    }
}

impl From<Map<String, Value>> for Claims {
    fn from(map: Map<String, Value>) -> Self {
        Claims(Arc::new(Parsed::of(Arc::new(Value::Object(map)))))
    }
}

impl std::ops::Deref for Claims {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        // Only `From<Map>` and `from_object` (objects only) build a `Claims`, so the value is
        // always an object.
        self.0
            .value
            .as_object()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }
}

/// What a token must satisfy.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Check the signature (Kong's `verify_signature`; off only for debugging).
    pub verify_signature: bool,
    /// Check `iss`, `aud`, `exp`, `nbf`, `iat` (Kong's `verify_claims`).
    pub verify_claims: bool,
    /// Accepted `iss` values (empty: any).
    pub issuers: Vec<String>,
    /// Accepted audiences: at least one must be in `aud` (empty: not checked).
    pub audiences: Vec<String>,
    /// Seconds of clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway: i64,
    /// Secrets HS256/384/512 tokens are checked with; empty = HS* refused.
    pub hs_secrets: Vec<Vec<u8>>,
    /// The token must be an access token: `typ` absent, `JWT` or RFC 9068's `at+jwt`, and a
    /// `token_type` claim, if any, `bearer` — so an ID token or logout token is not accepted as
    /// one (RFC 8725 §3.11).
    pub access_token: bool,
    /// `exp` must be present.
    pub require_exp: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            verify_signature: true,
            verify_claims: true,
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: 0,
            hs_secrets: Vec::new(),
            access_token: false,
            require_exp: true,
        }
    }
}

/// Why a token was refused; the message is what `display_errors` shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not a compact JWS.
    #[error("invalid jwt: {0}")]
    Malformed(String),
    /// `none`, or an algorithm not allowed.
    #[error("algorithm {0} is not allowed")]
    Algorithm(String),
    /// No key for the token.
    #[error("no suitable key found for kid {0:?}")]
    UnknownKey(Option<String>),
    /// The keys could not be fetched.
    #[error("jwks unavailable: {0}")]
    Keys(String),
    /// The signature does not verify.
    #[error("invalid signature")]
    Signature,
    /// Not an access token (`typ` header or `token_type` claim).
    #[error("not an access token")]
    NotAccessToken,
    /// A `crit` header: no extension is understood (RFC 7515 §4.1.11).
    #[error("unsupported critical header parameters")]
    Critical,
    /// `exp` passed (or missing when required).
    #[error("token expired")]
    Expired,
    /// `nbf` in the future.
    #[error("token not valid yet")]
    NotYetValid,
    /// `iat` in the future.
    #[error("token issued in the future")]
    IssuedInFuture,
    /// `iss` not accepted.
    #[error("invalid issuer")]
    Issuer,
    /// No accepted audience.
    #[error("invalid audience")]
    Audience,
}

impl JwtError {
    /// Whether the provider, not the token, is at fault (keys unreachable).
    pub fn is_provider_failure(&self) -> bool {
        matches!(self, JwtError::Keys(_))
    }
}

/// Whether `token` looks like a compact JWS (three non-empty base64url parts), i.e. worth
/// verifying as a JWT rather than sending to introspection.
///
/// Every bearer request asks this of a token of about a kilobyte, so it is one branch-free pass
/// over the bytes (which the compiler vectorises) and a count of the dots, not a split and a
/// check per part.
pub fn looks_like_jwt(token: &str) -> bool {
    let bytes = token.as_bytes();
    let alphabet = bytes.iter().fold(true, |ok, &b| {
        ok & (b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_') | (b == b'.'))
    });
    if !alphabet || bytes.iter().filter(|&&b| b == b'.').count() != 2 {
        return false;
    }
    // Two dots: the parts are non-empty when neither is at an end and they are not adjacent.
    match (
        bytes.iter().position(|&b| b == b'.'),
        bytes.iter().rposition(|&b| b == b'.'),
    ) {
        (Some(first), Some(last)) => first > 0 && last > first + 1 && last + 1 < bytes.len(),
        _ => false,
    }
}

/// The payload of `token` without any verification (for tokens whose validity was established
/// otherwise, e.g. a JWT the provider just issued over TLS and that `ignore_signature` names).
pub fn unverified_claims(token: &str) -> Result<Map<String, Value>, JwtError> {
    jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token)
        .map(|d| d.claims)
        .map_err(|e| JwtError::Malformed(e.to_string()))
}

fn relax(validation: &mut Validation) {
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
}

/// Verifies `token` against `keys` and `rules` at Unix time `now`; returns its claims.
pub async fn verify(
    token: &str,
    keys: &KeySet,
    rules: &Rules,
    now: i64,
) -> Result<Map<String, Value>, JwtError> {
    verify_shared(token, keys, rules, now)
        .await
        .map(|c| c.to_map())
}

/// [`verify`], returning the claims the key set's verification cache shares (no copy of the
/// token's payload per request: the bearer hot path).
pub async fn verify_shared(
    token: &str,
    keys: &KeySet,
    rules: &Rules,
    now: i64,
) -> Result<Claims, JwtError> {
    // A token this key set verified before, with its key still current: the header was
    // checked then (a `crit` one is never remembered), only the claims are checked again.
    if rules.verify_signature {
        if let Some(hit) = keys.verified(token).await {
            if !rules.access_token || hit.access_token_typ {
                return checked(hit.claims, rules, now);
            }
        }
    }
    if raw_header(token).is_some_and(|h| h.get("crit").is_some()) {
        return Err(JwtError::Critical);
    }
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| JwtError::Malformed(e.to_string()))?;
    let access_token_typ = header.typ.as_deref().is_none_or(|typ| {
        let typ = typ.to_ascii_lowercase();
        let typ = typ.strip_prefix("application/").unwrap_or(&typ);
        typ == "jwt" || typ == "at+jwt"
    });
    if rules.access_token && !access_token_typ {
        return Err(JwtError::NotAccessToken);
    }
    let claims: Claims = if !rules.verify_signature {
        unverified_claims(token)?.into()
    } else if HMAC.contains(&header.alg) {
        if rules.hs_secrets.is_empty() {
            return Err(JwtError::Algorithm(format!("{:?}", header.alg)));
        }
        let mut validation = Validation::new(header.alg);
        relax(&mut validation);
        rules
            .hs_secrets
            .iter()
            .find_map(|secret| {
                jsonwebtoken::decode::<Map<String, Value>>(
                    token,
                    &DecodingKey::from_secret(secret),
                    &validation,
                )
                .ok()
            })
            .map(|d| Claims::from(d.claims))
            .ok_or(JwtError::Signature)?
    } else if ASYMMETRIC.contains(&header.alg) {
        let key = keys
            .key(header.kid.as_deref(), header.alg)
            .await
            .map_err(|e| match e {
                KeyError::Unknown => JwtError::UnknownKey(header.kid.clone()),
                KeyError::Mismatch => JwtError::Algorithm(format!("{:?}", header.alg)),
                KeyError::Fetch(e) => JwtError::Keys(e.to_string()),
            })?;
        match keys.verified_claims(token, &key).await {
            Some(claims) => claims,
            None => {
                let mut validation = Validation::new(header.alg);
                relax(&mut validation);
                let claims: Claims =
                    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
                        .map(|d| d.claims.into())
                        .map_err(|_| JwtError::Signature)?;
                let verified = Verified {
                    key: key.clone(),
                    claims: claims.clone(),
                    kid: header.kid.as_deref().map(Arc::from),
                    alg: header.alg,
                    access_token_typ,
                };
                keys.remember_verified(token, verified).await;
                claims
            }
        }
    } else {
        return Err(JwtError::Algorithm(format!("{:?}", header.alg)));
    };
    checked(claims, rules, now)
}

/// The per-use checks of verified claims: time and identity on the clock, and that an access
/// token is one.
fn checked(claims: Claims, rules: &Rules, now: i64) -> Result<Claims, JwtError> {
    if rules.verify_claims {
        claims.check(rules, now)?;
    }
    if rules.access_token && claims.fields().token_type == TokenType::Other {
        return Err(JwtError::NotAccessToken);
    }
    Ok(claims)
}

/// The JOSE header as JSON (for parameters `jsonwebtoken` does not model, such as `crit`).
fn raw_header(token: &str) -> Option<Value> {
    use base64::Engine;
    let first = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(first.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(number_value)
}

fn number_value(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// The time claims against the clock, with `rules.leeway` of skew.
fn check_times(
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    rules: &Rules,
    now: i64,
) -> Result<(), JwtError> {
    match exp {
        Some(exp) if exp.saturating_add(rules.leeway) <= now => return Err(JwtError::Expired),
        None if rules.require_exp => return Err(JwtError::Expired),
        _ => {}
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(rules.leeway)) {
        return Err(JwtError::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > now.saturating_add(rules.leeway)) {
        return Err(JwtError::IssuedInFuture);
    }
    Ok(())
}

/// The time and identity claims of a token, checked on the gateway's clock.
pub fn check_claims(claims: &Map<String, Value>, rules: &Rules, now: i64) -> Result<(), JwtError> {
    check_times(
        number(claims, "exp"),
        number(claims, "nbf"),
        number(claims, "iat"),
        rules,
        now,
    )?;
    if !rules.issuers.is_empty() {
        let iss = claims.get("iss").and_then(Value::as_str);
        if !iss.is_some_and(|iss| rules.issuers.iter().any(|i| i == iss)) {
            return Err(JwtError::Issuer);
        }
    }
    if !rules.audiences.is_empty() {
        let ok = match claims.get("aud") {
            Some(Value::String(a)) => rules.audiences.contains(a),
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .any(|a| rules.audiences.iter().any(|r| r == a)),
            _ => false,
        };
        if !ok {
            return Err(JwtError::Audience);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::rp::jwks::KeySource;
    use crate::rp::RpError;
    use futures::future::BoxFuture;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;
    use std::sync::Arc;

    const PEM: &str = include_str!("../../../../fixtures/op/keys/rs256.pem");

    #[derive(Debug)]
    struct Fixed(Vec<Jwk>);
    impl KeySource for Fixed {
        fn fetch(&self, _: bool) -> BoxFuture<'_, Result<Vec<Jwk>, RpError>> {
            let keys = self.0.clone();
            Box::pin(async move { Ok(keys) })
        }
    }

    fn public_jwk() -> Jwk {
        use base64::Engine;
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(PEM).unwrap();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        serde_json::from_value(json!({
            "kty": "RSA", "kid": "k1", "alg": "RS256",
            "n": b64.encode(key.n().to_bytes_be()),
            "e": b64.encode(key.e().to_bytes_be()),
        }))
        .unwrap()
    }

    fn sign(claims: Value, kid: &str) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(PEM.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    fn keys(clock: &ManualClock) -> KeySet {
        KeySet::new(
            Arc::new(Fixed(vec![public_jwk()])),
            Arc::new(clock.clone()),
            30,
        )
    }

    fn rules() -> Rules {
        Rules {
            issuers: vec!["http://op".into()],
            audiences: vec!["kong".into()],
            ..Rules::default()
        }
    }

    #[tokio::test]
    async fn a_valid_token_verifies_and_each_claim_is_checked() {
        let clock = ManualClock::default();
        let now = clock.now();
        let keys = keys(&clock);
        let good = json!({"iss": "http://op", "aud": ["x", "kong"], "exp": now + 60, "iat": now, "sub": "alex"});
        let claims = verify(&sign(good.clone(), "k1"), &keys, &rules(), now)
            .await
            .unwrap();
        assert_eq!(claims["sub"], "alex");

        let with = |k: &str, v: Value| {
            let mut c = good.clone();
            c[k] = v;
            sign(c, "k1")
        };
        let r = rules();
        assert_eq!(
            verify(&with("iss", json!("http://evil")), &keys, &r, now).await,
            Err(JwtError::Issuer)
        );
        assert_eq!(
            verify(&with("aud", json!("other")), &keys, &r, now).await,
            Err(JwtError::Audience)
        );
        assert_eq!(
            verify(&with("exp", json!(now)), &keys, &r, now).await,
            Err(JwtError::Expired)
        );
        assert_eq!(
            verify(&with("nbf", json!(now + 5)), &keys, &r, now).await,
            Err(JwtError::NotYetValid)
        );
        assert_eq!(
            verify(&with("iat", json!(now + 5)), &keys, &r, now).await,
            Err(JwtError::IssuedInFuture)
        );
        let lenient = Rules {
            leeway: 10,
            ..rules()
        };
        assert!(verify(&with("exp", json!(now - 5)), &keys, &lenient, now)
            .await
            .is_ok());
        assert!(verify(&with("nbf", json!(now + 5)), &keys, &lenient, now)
            .await
            .is_ok());
        let mut no_exp = good.clone();
        no_exp.as_object_mut().unwrap().remove("exp");
        assert_eq!(
            verify(&sign(no_exp, "k1"), &keys, &r, now).await,
            Err(JwtError::Expired)
        );
        clock.advance(60);
        assert_eq!(
            verify(&sign(good, "k1"), &keys, &r, clock.now()).await,
            Err(JwtError::Expired)
        );
    }

    #[tokio::test]
    async fn tampering_unknown_keys_none_and_hs_are_refused() {
        let clock = ManualClock::default();
        let now = clock.now();
        let keys = keys(&clock);
        let claims = json!({"iss": "http://op", "aud": "kong", "exp": now + 60});
        let token = sign(claims.clone(), "k1");
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            json!({"iss": "http://op", "aud": "kong", "exp": now + 600, "admin": true}).to_string(),
        );
        parts[1] = &forged;
        assert_eq!(
            verify(&parts.join("."), &keys, &rules(), now).await,
            Err(JwtError::Signature)
        );
        assert_eq!(
            verify(&sign(claims.clone(), "other"), &keys, &rules(), now).await,
            Err(JwtError::UnknownKey(Some("other".into())))
        );
        let none = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"alg":"none"}"#
            ),
            parts[1]
        );
        assert!(verify(&none, &keys, &rules(), now).await.is_err());
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"s3cret"),
        )
        .unwrap();
        assert!(matches!(
            verify(&hs, &keys, &rules(), now).await,
            Err(JwtError::Algorithm(_))
        ));
        let with_hs = Rules {
            hs_secrets: vec![b"s3cret".to_vec()],
            ..rules()
        };
        assert!(verify(&hs, &keys, &with_hs, now).await.is_ok());
        let wrong_hs = Rules {
            hs_secrets: vec![b"other".to_vec()],
            ..rules()
        };
        assert_eq!(
            verify(&hs, &keys, &wrong_hs, now).await,
            Err(JwtError::Signature)
        );
    }

    #[tokio::test]
    async fn only_access_tokens_pass_as_access_tokens() {
        let clock = ManualClock::default();
        let now = clock.now();
        let keys = keys(&clock);
        let claims = json!({"iss": "http://op", "aud": "kong", "exp": now + 60});
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("k1".into());
        header.typ = Some("application/at+jwt".into());
        let at = jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(PEM.as_bytes()).unwrap(),
        )
        .unwrap();
        let r = Rules {
            access_token: true,
            ..rules()
        };
        assert!(verify(&at, &keys, &r, now).await.is_ok());
        assert!(verify(&sign(claims.clone(), "k1"), &keys, &r, now)
            .await
            .is_ok());
        header.typ = Some("id_token+jwt".into());
        let id = jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(PEM.as_bytes()).unwrap(),
        )
        .unwrap();
        assert_eq!(
            verify(&id, &keys, &r, now).await,
            Err(JwtError::NotAccessToken)
        );
        assert!(
            verify(&id, &keys, &rules(), now).await.is_ok(),
            "not checked unless asked"
        );
        // Remembered now (as an ID token): still not an access token.
        assert!(keys.verified(&id).await.is_some());
        assert_eq!(
            verify(&id, &keys, &r, now).await,
            Err(JwtError::NotAccessToken)
        );
        let mut refresh = claims.clone();
        refresh["token_type"] = json!("refresh_token");
        assert_eq!(
            verify(&sign(refresh, "k1"), &keys, &r, now).await,
            Err(JwtError::NotAccessToken)
        );
    }

    #[tokio::test]
    async fn a_verified_signature_is_remembered_per_key_object_and_claims_still_checked() {
        let clock = ManualClock::default();
        let now = clock.now();
        let keys = keys(&clock);
        let token = sign(
            json!({"iss": "http://op", "aud": "kong", "exp": now + 60, "sub": "alex"}),
            "k1",
        );
        let key = || async { keys.key(Some("k1"), Algorithm::RS256).await.unwrap() };
        assert!(verify(&token, &keys, &rules(), now).await.is_ok());
        assert!(keys.verified_claims(&token, &key().await).await.is_some());
        // A remembered signature does not skip the claims: expiry is checked on each use.
        clock.advance(61);
        assert_eq!(
            verify(&token, &keys, &rules(), clock.now()).await,
            Err(JwtError::Expired)
        );
        // A reloaded set has new key objects: nothing it did not verify itself is trusted.
        let token = sign(
            json!({"iss": "http://op", "aud": "kong", "exp": clock.now() + 60}),
            "k1",
        );
        assert!(verify(&token, &keys, &rules(), clock.now()).await.is_ok());
        let before = key().await;
        keys.forget().await;
        assert!(keys.verified_claims(&token, &key().await).await.is_none());
        assert!(keys.verified_claims(&token, &before).await.is_some());
        // A forged signature is never remembered.
        let last = if token.ends_with('A') { "B" } else { "A" };
        let forged = format!("{}{last}", &token[..token.len() - 1]);
        assert!(verify(&forged, &keys, &rules(), clock.now()).await.is_err());
        assert!(keys.verified_claims(&forged, &key().await).await.is_none());
    }

    /// The claims a cached token is checked against are read once, when verified: every hit
    /// still applies the rules of that use (another issuer, audience or access-token rule, the
    /// clock) exactly as the map did.
    #[tokio::test]
    async fn a_cache_hit_applies_each_rule_of_its_use() {
        let clock = ManualClock::default();
        let now = clock.now();
        let keys = keys(&clock);
        let token = sign(
            json!({"iss": "http://op", "aud": ["x", "kong"], "exp": (now + 60) as f64 + 0.5,
                   "nbf": now - 1, "iat": now, "token_type": "refresh_token",
                   "scope": "openid  email"}),
            "k1",
        );
        let first = verify_shared(&token, &keys, &rules(), now).await.unwrap();
        assert!(keys.verified(&token).await.is_some());
        let hit = verify_shared(&token, &keys, &rules(), now).await.unwrap();
        assert!(Arc::ptr_eq(first.as_value(), hit.as_value()));
        // A float exp counts truncated for expiry, and is no integer expires_at.
        assert_eq!(hit.exp(), Some(now + 60));
        assert_eq!(hit.exp_integer(), None);
        assert_eq!(&**hit.scopes(), ["openid", "email"]);
        let with = |f: fn(&mut Rules)| {
            let mut r = rules();
            f(&mut r);
            r
        };
        for (r, err) in [
            (
                with(|r| r.issuers = vec!["http://other".into()]),
                JwtError::Issuer,
            ),
            (with(|r| r.audiences = vec!["y".into()]), JwtError::Audience),
            (with(|r| r.access_token = true), JwtError::NotAccessToken),
        ] {
            assert_eq!(
                verify_shared(&token, &keys, &r, now).await.unwrap_err(),
                err
            );
        }
        assert!(verify_shared(
            &token,
            &keys,
            &with(|r| r.audiences = vec!["x".into()]),
            now
        )
        .await
        .is_ok());
        assert!(
            verify_shared(&token, &keys, &with(|r| r.verify_claims = false), now + 100)
                .await
                .is_ok()
        );
        assert_eq!(
            verify_shared(&token, &keys, &rules(), now + 60)
                .await
                .unwrap_err(),
            JwtError::Expired
        );
        assert!(
            verify_shared(&token, &keys, &with(|r| r.leeway = 1), now + 60)
                .await
                .is_ok()
        );
        // A remembered token from the future: nbf and iat checked on the clock of each use.
        let early = sign(
            json!({"iss": "http://op", "aud": "kong", "exp": now + 60, "nbf": now + 10}),
            "k1",
        );
        assert_eq!(
            verify_shared(&early, &keys, &rules(), now)
                .await
                .unwrap_err(),
            JwtError::NotYetValid
        );
        assert!(keys.verified(&early).await.is_some());
        assert!(verify_shared(&early, &keys, &rules(), now + 10)
            .await
            .is_ok());
        let ahead = sign(
            json!({"iss": "http://op", "aud": "kong", "exp": now + 60, "iat": now + 10}),
            "k1",
        );
        assert!(verify_shared(&ahead, &keys, &rules(), now + 10)
            .await
            .is_ok());
        assert_eq!(
            verify_shared(&ahead, &keys, &rules(), now)
                .await
                .unwrap_err(),
            JwtError::IssuedInFuture
        );
    }

    /// A source whose keys are replaced by the test (rotation at the OP).
    #[derive(Debug)]
    struct Rotating(std::sync::Mutex<Vec<Jwk>>);
    impl KeySource for Rotating {
        fn fetch(&self, _: bool) -> BoxFuture<'_, Result<Vec<Jwk>, RpError>> {
            let keys = self.0.lock().unwrap().clone();
            Box::pin(async move { Ok(keys) })
        }
    }

    #[tokio::test]
    async fn a_remembered_token_is_refused_once_its_key_is_rotated_out() {
        let clock = ManualClock::default();
        let source = Arc::new(Rotating(std::sync::Mutex::new(vec![public_jwk()])));
        let keys = KeySet::new(source.clone(), Arc::new(clock.clone()), 30);
        let token = sign(
            json!({"iss": "http://op", "aud": "kong", "exp": clock.now() + 600}),
            "k1",
        );
        let r = Rules {
            access_token: true,
            ..rules()
        };
        assert!(verify_shared(&token, &keys, &r, clock.now()).await.is_ok());
        let remembered = keys.verified(&token).await.expect("remembered");
        // The second use shares the remembered claims instead of decoding them again.
        let again = verify_shared(&token, &keys, &r, clock.now()).await.unwrap();
        assert!(Arc::ptr_eq(again.as_value(), remembered.claims.as_value()));
        // The OP drops k1; once the set reloads, the remembered verification is stale.
        source.0.lock().unwrap().clear();
        keys.forget().await;
        assert!(keys.verified(&token).await.is_none());
        assert!(matches!(
            verify_shared(&token, &keys, &r, clock.now()).await,
            Err(JwtError::UnknownKey(_))
        ));
    }

    #[tokio::test]
    async fn a_crit_header_is_refused() {
        use base64::Engine;
        let clock = ManualClock::default();
        let now = clock.now();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let h = b64.encode(r#"{"alg":"RS256","kid":"k1","crit":["exp"]}"#);
        let p = b64.encode(json!({"iss": "http://op", "aud": "kong", "exp": now + 60}).to_string());
        let key = EncodingKey::from_rsa_pem(PEM.as_bytes()).unwrap();
        let sig = jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), &key, Algorithm::RS256)
            .unwrap();
        let token = format!("{h}.{p}.{sig}");
        assert_eq!(
            verify(&token, &keys(&clock), &rules(), now).await,
            Err(JwtError::Critical)
        );
    }

    #[test]
    fn jwt_shape() {
        assert!(looks_like_jwt("a.b.c"));
        assert!(!looks_like_jwt("a.b"));
        assert!(!looks_like_jwt("a.b.c.d"));
        assert!(!looks_like_jwt("opaque-token"));
        assert!(!looks_like_jwt("a.b+.c"));
        for empty_part in ["..", ".b.c", "a..c", "a.b.", "", "a.b.c."] {
            assert!(!looks_like_jwt(empty_part), "{empty_part}");
        }
        for foreign in ["a.b.c d", "a.b.c=", "a.b/.c", "é.b.c", "a.b.c\n"] {
            assert!(!looks_like_jwt(foreign), "{foreign}");
        }
        assert!(looks_like_jwt(
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_0"
        ));
    }

    /// The definition `looks_like_jwt`'s single pass stands for.
    fn three_base64url_parts(token: &str) -> bool {
        let parts: Vec<&str> = token.split('.').collect();
        parts.len() == 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    }

    proptest::proptest! {
        #[test]
        fn jwt_shape_is_three_base64url_parts(token in "[a-zA-Z0-9._+/= -]{0,40}") {
            proptest::prop_assert_eq!(looks_like_jwt(&token), three_base64url_parts(&token));
        }
    }
}
