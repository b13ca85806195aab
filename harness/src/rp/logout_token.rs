//! The checks the certification suite runs on a back-channel logout token
//! (`ValidateLogoutTokenClaims` and its neighbours; OpenID Connect Back-Channel Logout 1.0
//! §2.4 and §2.6): signature by the OP key its `kid` names, `iss` = issuer, `aud` contains the
//! client, `iat` present (not more than 5 minutes ahead, not more than a day old), `jti`
//! present, `events` an object with exactly the back-channel logout member whose value is `{}`,
//! `sub`/`sid` equal to the ID token's when present and at least one of them, and no `nonce`.
//! The request must be an `application/x-www-form-urlencoded` POST carrying `logout_token`.

use anyhow::Context;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value};

use super::callback::Received;
use super::id_token::SKEW;

/// The `events` member of a logout token.
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What the logout token must say.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The OP's issuer.
    pub issuer: &'a str,
    /// The client it is for.
    pub client_id: &'a str,
    /// The `sub` of the client's ID token.
    pub sub: Option<&'a str>,
    /// The `sid` of the client's ID token.
    pub sid: Option<&'a str>,
    /// Now (Unix seconds) by the OP's clock.
    pub now: i64,
}

/// The logout token of a back-channel POST: the request's shape, then the token's.
/// Extra form parameters are the suite's WARNING, returned as notes.
pub fn check_request(
    request: &Received,
    jwks: &JwkSet,
    expected: &Expected<'_>,
) -> anyhow::Result<(Map<String, Value>, Vec<String>)> {
    anyhow::ensure!(
        request.method == "POST",
        "the back-channel logout request is a {}, not a POST",
        request.method
    );
    let ct = request.content_type.clone().unwrap_or_default();
    anyhow::ensure!(
        ct.starts_with("application/x-www-form-urlencoded"),
        "the back-channel logout request's content type is {ct:?}, not application/x-www-form-urlencoded"
    );
    let form = request.form();
    let token = form
        .iter()
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.clone())
        .context("the back-channel logout request has no logout_token")?;
    let notes = form
        .iter()
        .filter(|(k, _)| k != "logout_token")
        .map(|(k, _)| format!("the back-channel logout request also carries {k:?}"))
        .collect();
    Ok((check(&token, jwks, expected)?, notes))
}

/// Verifies a logout token and returns its claims.
pub fn check(raw: &str, jwks: &JwkSet, e: &Expected<'_>) -> anyhow::Result<Map<String, Value>> {
    let header = jsonwebtoken::decode_header(raw).context("the logout token's header")?;
    let kid = header
        .kid
        .clone()
        .context("the logout token's header has no kid")?;
    let jwk = jwks
        .find(&kid)
        .with_context(|| format!("the OP's JWKS has no key {kid:?} (the logout token's kid)"))?;
    let key = DecodingKey::from_jwk(jwk).with_context(|| format!("JWKS key {kid:?}"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[e.client_id]);
    validation.set_issuer(&[e.issuer]);
    validation.leeway = SKEW as u64;
    // exp is optional in a logout token (§2.4 lists it as RECOMMENDED only by profiles).
    validation.set_required_spec_claims(&["iss", "aud"]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(raw, &key, &validation)
        .with_context(|| {
            format!(
                "the logout token does not verify with key {kid:?} for iss {:?} and aud {:?}",
                e.issuer, e.client_id
            )
        })?
        .claims;
    check_claims(&claims, e)?;
    Ok(claims)
}

/// The claim checks, the signature handled by the caller.
pub fn check_claims(claims: &Map<String, Value>, e: &Expected<'_>) -> anyhow::Result<()> {
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .context("the logout token has no numeric iat")?;
    anyhow::ensure!(
        iat <= e.now + SKEW,
        "the logout token's iat {iat} is more than 5 minutes in the future (now {})",
        e.now
    );
    anyhow::ensure!(
        iat >= e.now - 86_400,
        "the logout token's iat {iat} is more than a day old (now {})",
        e.now
    );
    anyhow::ensure!(
        claims
            .get("jti")
            .and_then(Value::as_str)
            .is_some_and(|j| !j.is_empty()),
        "the logout token has no jti"
    );
    let events = claims
        .get("events")
        .and_then(Value::as_object)
        .context("the logout token's events is not an object")?;
    anyhow::ensure!(
        events.len() == 1 && events.get(EVENT) == Some(&Value::Object(Map::new())),
        "the logout token's events must be exactly {{{EVENT:?}: {{}}}}, got {events:?}"
    );
    anyhow::ensure!(
        !claims.contains_key("nonce"),
        "the logout token carries a nonce (Back-Channel Logout 1.0 §2.4 forbids it)"
    );
    let sub = claims.get("sub").and_then(Value::as_str);
    let sid = claims.get("sid").and_then(Value::as_str);
    anyhow::ensure!(
        sub.is_some() || sid.is_some(),
        "the logout token has neither sub nor sid"
    );
    if let (Some(got), Some(want)) = (sub, e.sub) {
        anyhow::ensure!(
            got == want,
            "the logout token's sub {got:?} is not the ID token's {want:?}"
        );
    }
    if let Some(got) = sid {
        anyhow::ensure!(
            Some(got) == e.sid,
            "the logout token's sid {got:?} is not the ID token's {:?}",
            e.sid
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://op",
            client_id: "rp",
            sub: Some("u"),
            sid: Some("s"),
            now: 1_000_000,
        }
    }

    fn good() -> Map<String, Value> {
        json!({"iss": "https://op", "aud": "rp", "iat": 1_000_000, "jti": "j",
               "events": {EVENT: {}}, "sub": "u", "sid": "s"})
        .as_object()
        .cloned()
        .unwrap()
    }

    #[test]
    fn a_good_token_passes_and_each_broken_claim_fails() {
        check_claims(&good(), &expected()).unwrap();
        let broken: Vec<(&str, Value)> = vec![
            ("iat", json!(1_000_000 + 301)),
            ("iat", json!(1_000_000 - 86_401)),
            ("jti", json!("")),
            ("events", json!({EVENT: {}, "other": {}})),
            ("events", json!({EVENT: {"x": 1}})),
            (
                "events",
                json!({"http://schemas.openid.net/event/other": {}}),
            ),
            ("nonce", json!("n")),
            ("sub", json!("someone else")),
            ("sid", json!("another session")),
        ];
        for (claim, value) in broken {
            let mut c = good();
            c.insert(claim.into(), value.clone());
            assert!(check_claims(&c, &expected()).is_err(), "{claim} = {value}");
        }
        for missing in ["iat", "jti", "events"] {
            let mut c = good();
            c.remove(missing);
            assert!(check_claims(&c, &expected()).is_err(), "without {missing}");
        }
        let mut neither = good();
        neither.remove("sub");
        neither.remove("sid");
        assert!(check_claims(&neither, &expected()).is_err());
        let mut only_sid = good();
        only_sid.remove("sub");
        check_claims(&only_sid, &expected()).unwrap();
    }

    #[test]
    fn the_request_must_be_a_form_post_with_a_logout_token() {
        let jwks = JwkSet { keys: vec![] };
        let req = |method: &str, ct: Option<&str>, body: &str| Received {
            method: method.into(),
            uri: "/backchannel_logout".into(),
            content_type: ct.map(str::to_owned),
            body: body.into(),
        };
        let form = Some("application/x-www-form-urlencoded");
        for (r, why) in [
            (req("GET", form, "logout_token=x"), "POST"),
            (
                req("POST", Some("application/json"), "logout_token=x"),
                "content type",
            ),
            (req("POST", form, "other=x"), "no logout_token"),
            (req("POST", form, "logout_token=not.a.jwt"), "header"),
        ] {
            let err = check_request(&r, &jwks, &expected()).unwrap_err();
            assert!(format!("{err:#}").contains(why), "{why}: {err:#}");
        }
    }
}
