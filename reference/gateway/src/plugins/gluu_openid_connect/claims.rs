//! What the relying party checks in the ID token oxd hands back from `get-tokens-by-code`.
//!
//! oxd exchanges the code, verifies the token's signature against the OP's keys and checks the
//! `state` it issued. The plugin checks the rest itself rather than trusting that every oxd does:
//! the issuer, that it is the audience, the nonce of *this browser's* login (oxd cannot know which
//! browser a state belongs to), and GG's three age checks with GG's messages (step 1 of
//! `docs/gluu-gateway.md#openid-connect-per-request`).

use serde_json::{Map, Value};

use super::tokens::{Ages, TokenSummary};

/// Why an ID token was refused; `message` is the 500 body text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// `exp < now`.
    #[error("OP returns expired id_token")]
    Expired,
    /// `iat + max_id_token_age < now`.
    #[error("OP returns id_token with too old iat")]
    TooOldIat,
    /// `auth_time + max_id_token_auth_age < now`.
    #[error("OP returns id_token with too old auth_time")]
    TooOldAuthTime,
    /// A required claim is missing or has the wrong type.
    #[error("OP returns id_token without a valid {0} claim")]
    Missing(&'static str),
    /// `iss` is not the configured OP.
    #[error("OP returns id_token issued by another issuer")]
    WrongIssuer,
    /// The gateway's client is not the (authorized) audience.
    #[error("OP returns id_token for another audience")]
    WrongAudience,
    /// `nonce` differs from the one sent with this browser's authorization request.
    #[error("OP returns id_token with a nonce that does not match the login")]
    WrongNonce,
}

/// What the claims must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The configured `op_url`.
    pub issuer: &'a str,
    /// The configured `client_id`.
    pub client_id: &'a str,
    /// The nonce of the pending login, if its authorization URL had one.
    pub nonce: Option<&'a str>,
}

/// Checks `claims` and returns the token's summary (its `key` left empty for the caller).
pub fn check(
    claims: &Map<String, Value>,
    expected: Expected<'_>,
    requested_acrs: &[String],
    ages: Ages,
    now: i64,
) -> Result<TokenSummary, ClaimsError> {
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or(ClaimsError::Missing("iss"))?;
    if iss.trim_end_matches('/') != expected.issuer.trim_end_matches('/') {
        return Err(ClaimsError::WrongIssuer);
    }
    check_audience(claims, expected.client_id)?;
    if let Some(nonce) = expected.nonce {
        let got = claims.get("nonce").and_then(Value::as_str);
        let same = got
            .is_some_and(|g| subtle::ConstantTimeEq::ct_eq(g.as_bytes(), nonce.as_bytes()).into());
        if !same {
            return Err(ClaimsError::WrongNonce);
        }
    }
    let exp = number(claims, "exp")?.ok_or(ClaimsError::Missing("exp"))?;
    let iat = number(claims, "iat")?.ok_or(ClaimsError::Missing("iat"))?;
    let auth_time = number(claims, "auth_time")?;
    if exp < now {
        return Err(ClaimsError::Expired);
    }
    if iat.saturating_add(ages.max_id_token_age) < now {
        return Err(ClaimsError::TooOldIat);
    }
    if auth_time.is_some_and(|t| t.saturating_add(ages.max_id_token_auth_age) < now) {
        return Err(ClaimsError::TooOldAuthTime);
    }
    let acr = match claims.get("acr") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ClaimsError::Missing("acr")),
    };
    Ok(TokenSummary {
        key: String::new(),
        acr,
        iat,
        exp,
        auth_time,
        requested_acrs: requested_acrs.to_vec(),
    })
}

fn check_audience(claims: &Map<String, Value>, client_id: &str) -> Result<(), ClaimsError> {
    match claims.get("aud") {
        Some(Value::String(aud)) if aud == client_id => Ok(()),
        Some(Value::Array(auds)) => {
            if !auds.iter().any(|a| a.as_str() == Some(client_id)) {
                return Err(ClaimsError::WrongAudience);
            }
            // OIDC Core 3.1.3.7: with several audiences the authorized party must be us.
            let azp = claims.get("azp").and_then(Value::as_str);
            if auds.len() > 1 && azp != Some(client_id) {
                return Err(ClaimsError::WrongAudience);
            }
            Ok(())
        }
        Some(Value::String(_)) => Err(ClaimsError::WrongAudience),
        _ => Err(ClaimsError::Missing("aud")),
    }
}

/// An integer-valued (NumericDate) claim; fractional values are truncated.
fn number(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, ClaimsError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or(ClaimsError::Missing(name)),
        Some(_) => Err(ClaimsError::Missing(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AGES: Ages = Ages {
        max_id_token_age: 60,
        max_id_token_auth_age: 600,
    };
    const NOW: i64 = 10_000;

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://op.example",
            client_id: "gw",
            nonce: Some("n-1"),
        }
    }

    fn claims(patch: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://op.example/", "aud": "gw", "sub": "alice", "nonce": "n-1",
            "iat": NOW - 5, "exp": NOW + 3600, "auth_time": NOW - 5, "acr": "otp"
        });
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        base.as_object().unwrap().clone()
    }

    fn run(patch: Value) -> Result<TokenSummary, ClaimsError> {
        check(&claims(patch), expected(), &["otp".into()], AGES, NOW)
    }

    #[test]
    fn good_token_yields_summary() {
        let s = run(json!({})).unwrap();
        assert_eq!(s.acr.as_deref(), Some("otp"));
        assert_eq!(s.iat, NOW - 5);
        assert_eq!(s.auth_time, Some(NOW - 5));
        assert_eq!(s.requested_acrs, ["otp"]);
    }

    #[test]
    fn gg_age_messages() {
        assert_eq!(
            run(json!({"exp": NOW - 1})).unwrap_err().to_string(),
            "OP returns expired id_token"
        );
        assert_eq!(
            run(json!({"iat": NOW - 61})).unwrap_err().to_string(),
            "OP returns id_token with too old iat"
        );
        assert_eq!(
            run(json!({"auth_time": NOW - 601}))
                .unwrap_err()
                .to_string(),
            "OP returns id_token with too old auth_time"
        );
        // Boundaries are still accepted (GG compares with <).
        assert!(run(json!({"exp": NOW, "iat": NOW - 60, "auth_time": NOW - 600})).is_ok());
        // auth_time is optional.
        assert!(run(json!({"auth_time": null})).is_ok());
    }

    #[test]
    fn expiry_checked_before_iat() {
        assert_eq!(
            run(json!({"exp": NOW - 1, "iat": NOW - 1000})),
            Err(ClaimsError::Expired)
        );
    }

    #[test]
    fn issuer_audience_nonce() {
        assert_eq!(
            run(json!({"iss": "https://evil"})),
            Err(ClaimsError::WrongIssuer)
        );
        assert_eq!(run(json!({"iss": null})), Err(ClaimsError::Missing("iss")));
        assert_eq!(
            run(json!({"aud": "other"})),
            Err(ClaimsError::WrongAudience)
        );
        assert_eq!(run(json!({"aud": null})), Err(ClaimsError::Missing("aud")));
        assert!(run(json!({"aud": ["gw"]})).is_ok());
        assert_eq!(
            run(json!({"aud": ["gw", "x"]})),
            Err(ClaimsError::WrongAudience)
        );
        assert!(run(json!({"aud": ["gw", "x"], "azp": "gw"})).is_ok());
        assert_eq!(run(json!({"nonce": "n-2"})), Err(ClaimsError::WrongNonce));
        assert_eq!(run(json!({"nonce": null})), Err(ClaimsError::WrongNonce));
    }

    #[test]
    fn malformed_numbers() {
        assert_eq!(
            run(json!({"exp": "soon"})),
            Err(ClaimsError::Missing("exp"))
        );
        assert_eq!(run(json!({"iat": null})), Err(ClaimsError::Missing("iat")));
        assert_eq!(run(json!({"acr": 5})), Err(ClaimsError::Missing("acr")));
    }
}
