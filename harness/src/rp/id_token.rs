//! The checks the certification suite runs on every ID token (its `PerformStandardIdTokenChecks`,
//! OIDC Core §3.1.3.7): signature by a key of the OP's JWKS (found by `kid`), `iss`, `aud`,
//! `exp`, `iat`, `auth_time`, `acr`, `nbf`, `nonce`, `sub`; and the left-half hashes `at_hash`,
//! `c_hash`, `s_hash` (OIDC Core §3.3.2.11).

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::Digest;

/// Clock skew the suite tolerates (5 minutes).
pub const SKEW: i64 = 300;

/// What an ID token must say.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The OP's issuer.
    pub issuer: &'a str,
    /// The client it was issued to.
    pub client_id: &'a str,
    /// The `nonce` the request sent.
    pub nonce: Option<&'a str>,
    /// Now, in Unix seconds, as the RP's clock says.
    pub now: i64,
}

/// A checked ID token.
#[derive(Debug, Clone)]
pub struct IdToken {
    /// Its compact serialization.
    pub raw: String,
    /// `alg` of its header.
    pub alg: String,
    /// `kid` of its header.
    pub kid: Option<String>,
    /// Its claims.
    pub claims: Map<String, Value>,
}

impl IdToken {
    /// A string claim.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A numeric claim.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }
}

/// Checks the OP's JWKS as the suite does: every key has a `kid` and no two share one.
pub fn check_jwks(jwks: &JwkSet) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for key in &jwks.keys {
        let kid = key
            .common
            .key_id
            .as_deref()
            .context("a key of the OP's JWKS has no kid (OIDC Core §10.1)")?;
        anyhow::ensure!(
            seen.insert(kid),
            "two keys of the OP's JWKS share kid {kid:?}"
        );
    }
    Ok(())
}

/// The header and claims of a JWT without checking its signature (for `alg: none` tokens and
/// for messages).
pub fn decode_unverified(raw: &str) -> anyhow::Result<(Map<String, Value>, Map<String, Value>)> {
    let mut parts = raw.split('.');
    let (Some(h), Some(c), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        anyhow::bail!("not a compact JWS (three dot-separated parts): {raw:?}");
    };
    let part = |p: &str, what: &str| -> anyhow::Result<Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD
            .decode(p)
            .with_context(|| format!("the JWT's {what} is not base64url"))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("the JWT's {what} is not a JSON object"))
    };
    Ok((part(h, "header")?, part(c, "claims")?))
}

/// Verifies `raw`'s signature with the OP's key named by its `kid` and runs the standard checks.
pub fn check(raw: &str, jwks: &JwkSet, expected: &Expected<'_>) -> anyhow::Result<IdToken> {
    let header = jsonwebtoken::decode_header(raw).context("the ID token's header")?;
    let kid = header
        .kid
        .clone()
        .context("the ID token's header has no kid")?;
    let jwk = jwks
        .find(&kid)
        .with_context(|| format!("the OP's JWKS has no key {kid:?} (the ID token's kid)"))?;
    let key = DecodingKey::from_jwk(jwk).with_context(|| format!("JWKS key {kid:?}"))?;
    let mut validation = Validation::new(header.alg);
    validation.validate_aud = false;
    validation.leeway = SKEW as u64;
    validation.set_required_spec_claims(&["exp"]);
    let data = jsonwebtoken::decode::<Map<String, Value>>(raw, &key, &validation)
        .with_context(|| format!("the ID token does not verify with key {kid:?}"))?;
    let token = IdToken {
        raw: raw.to_owned(),
        alg: format!("{:?}", header.alg),
        kid: Some(kid),
        claims: data.claims,
    };
    check_claims(&token, expected)?;
    Ok(token)
}

/// The claim checks of an ID token whose signature was handled by the caller.
pub fn check_claims(token: &IdToken, e: &Expected<'_>) -> anyhow::Result<()> {
    let iss = token.str("iss").context("the ID token has no iss")?;
    anyhow::ensure!(
        iss == e.issuer,
        "the ID token's iss is {iss:?}, not the issuer {:?}",
        e.issuer
    );
    let aud_ok = match token.claims.get("aud") {
        Some(Value::String(a)) => a == e.client_id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(e.client_id)),
        _ => false,
    };
    anyhow::ensure!(
        aud_ok,
        "the ID token's aud {:?} does not contain {:?}",
        token.claims.get("aud"),
        e.client_id
    );
    let exp = token
        .int("exp")
        .context("the ID token has no numeric exp")?;
    anyhow::ensure!(
        exp > e.now - SKEW,
        "the ID token expired at {exp} (now {})",
        e.now
    );
    anyhow::ensure!(
        exp < e.now + 50 * 365 * 86_400,
        "the ID token's exp {exp} is more than 50 years away"
    );
    let iat = token
        .int("iat")
        .context("the ID token has no numeric iat")?;
    anyhow::ensure!(
        iat <= e.now + SKEW,
        "the ID token's iat {iat} is in the future (now {})",
        e.now
    );
    anyhow::ensure!(
        iat >= e.now - SKEW,
        "the ID token's iat {iat} is more than 5 minutes old (now {})",
        e.now
    );
    if let Some(auth_time) = token.claims.get("auth_time") {
        let t = auth_time
            .as_i64()
            .context("the ID token's auth_time is not a number")?;
        anyhow::ensure!(t <= e.now + SKEW, "auth_time {t} is in the future");
        anyhow::ensure!(
            t > e.now - 365 * 86_400,
            "auth_time {t} is more than a year ago"
        );
    }
    if let Some(nbf) = token.claims.get("nbf") {
        let t = nbf.as_i64().context("the ID token's nbf is not a number")?;
        anyhow::ensure!(t <= e.now + SKEW, "nbf {t} is in the future");
    }
    if let Some(acr) = token.claims.get("acr") {
        anyhow::ensure!(
            acr.as_str().is_some_and(|a| !a.is_empty()),
            "the ID token's acr {acr} is not a non-empty string"
        );
    }
    let sub = token.str("sub").context("the ID token has no sub")?;
    anyhow::ensure!(!sub.is_empty(), "the ID token's sub is empty");
    if let Some(nonce) = e.nonce {
        let got = token.str("nonce");
        anyhow::ensure!(
            got == Some(nonce),
            "the ID token's nonce is {got:?}, the request's {nonce:?}"
        );
    }
    Ok(())
}

/// `base64url(left half of hash(value))` for the hash of the token's `alg` (OIDC Core §3.3.2.11).
pub fn half_hash(alg: &str, value: &str) -> anyhow::Result<String> {
    let digest: Vec<u8> = match alg.get(2..) {
        Some("256") => sha2::Sha256::digest(value.as_bytes()).to_vec(),
        Some("384") => sha2::Sha384::digest(value.as_bytes()).to_vec(),
        Some("512") => sha2::Sha512::digest(value.as_bytes()).to_vec(),
        _ => anyhow::bail!("no hash is defined for alg {alg:?}"),
    };
    Ok(URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

/// Checks `claim` (`at_hash`, `c_hash`, `s_hash`) against `value`; `required` fails when absent.
pub fn check_hash(token: &IdToken, claim: &str, value: &str, required: bool) -> anyhow::Result<()> {
    match token.str(claim) {
        Some(got) => {
            let want = half_hash(&token.alg, value)?;
            anyhow::ensure!(
                got == want,
                "the ID token's {claim} is {got:?}, expected {want:?}"
            );
            Ok(())
        }
        None if required => {
            anyhow::bail!("the ID token has no {claim} (required for this response type)")
        }
        None => Ok(()),
    }
}

/// The signing algorithm named `alg`, if jsonwebtoken knows it.
pub fn algorithm(alg: &str) -> Option<Algorithm> {
    alg.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: Value) -> IdToken {
        IdToken {
            raw: String::new(),
            alg: "RS256".into(),
            kid: Some("k".into()),
            claims: claims.as_object().cloned().unwrap(),
        }
    }

    fn expected(nonce: Option<&str>) -> Expected<'_> {
        Expected {
            issuer: "http://op",
            client_id: "rp",
            nonce,
            now: 1_000_000,
        }
    }

    #[test]
    fn a_good_token_passes_and_each_bad_claim_is_named() {
        let good = serde_json::json!({"iss": "http://op", "aud": ["rp", "x"], "exp": 1_000_300,
            "iat": 1_000_000, "sub": "u", "nonce": "n", "auth_time": 999_000, "acr": "basic"});
        check_claims(&token(good.clone()), &expected(Some("n"))).unwrap();
        for (field, bad, says) in [
            ("iss", serde_json::json!("http://other"), "iss"),
            ("aud", serde_json::json!("other"), "aud"),
            ("exp", serde_json::json!(999_000), "expired"),
            ("iat", serde_json::json!(1_000_400), "future"),
            ("iat", serde_json::json!(999_000), "5 minutes old"),
            ("nonce", serde_json::json!("other"), "nonce"),
            ("acr", serde_json::json!(""), "acr"),
            ("sub", serde_json::json!(""), "sub"),
            ("auth_time", serde_json::json!(1_000_400), "auth_time"),
        ] {
            let mut claims = good.clone();
            claims[field] = bad;
            let err = check_claims(&token(claims), &expected(Some("n")))
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{field}: {err}");
        }
    }

    #[test]
    fn hashes_are_the_left_half_of_the_alg_s_digest() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b003...: its left half, base64url.
        assert_eq!(half_hash("RS256", "abc").unwrap(), "ungWv48Bz-pBQUDeXa4iIw");
        assert_eq!(half_hash("ES256", "abc").unwrap(), "ungWv48Bz-pBQUDeXa4iIw");
        assert!(half_hash("none", "x").is_err());
        let t = token(serde_json::json!({"at_hash": "ungWv48Bz-pBQUDeXa4iIw"}));
        check_hash(&t, "at_hash", "abc", true).unwrap();
        assert!(check_hash(&t, "at_hash", "other", true).is_err());
        assert!(check_hash(&t, "c_hash", "code", true).is_err());
        check_hash(&t, "c_hash", "code", false).unwrap();
    }
}
