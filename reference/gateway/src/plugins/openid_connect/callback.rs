//! The callback of the authorization code flow: its parameters (in the query, or the body of
//! a `form_post`), and the ID-token checks beyond signature, `iss`, `aud` and time that the
//! code flow adds (OpenID Connect Core 1.0 §3.1.3.7): `azp`, `nonce`, `at_hash`, `c_hash`,
//! `auth_time` against `max_age`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::CONTENT_TYPE;
use http::Method;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use sha2::Digest;
use subtle::ConstantTimeEq;

use super::credentials::MAX_BODY;
use crate::plugins::AccessRequest;

/// What the OP sent back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackArgs {
    /// `code`.
    pub code: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `error` (e.g. `access_denied`).
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
    /// `iss` (RFC 9207).
    pub iss: Option<String>,
    /// Whether they came in a `form_post` body.
    pub form_post: bool,
}

impl CallbackArgs {
    /// The callback parameters of `req`, if it carries any (`code`, `state` or `error`): from
    /// the query of a GET, or from the form body of a POST.
    pub async fn read(req: &mut AccessRequest) -> Option<CallbackArgs> {
        let (pairs, form_post): (Vec<(String, String)>, bool) = if req.method() == Method::POST
            && req
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|c| {
                    c.to_ascii_lowercase()
                        .starts_with("application/x-www-form-urlencoded")
                }) {
            let body = req.body_bytes(MAX_BODY).await.ok()?;
            (
                url::form_urlencoded::parse(&body).into_owned().collect(),
                true,
            )
        } else {
            (
                url::form_urlencoded::parse(req.query().unwrap_or("").as_bytes())
                    .into_owned()
                    .collect(),
                false,
            )
        };
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let args = CallbackArgs {
            code: get("code"),
            state: get("state"),
            error: get("error"),
            error_description: get("error_description"),
            iss: get("iss"),
            form_post,
        };
        (args.code.is_some() || args.state.is_some() || args.error.is_some()).then_some(args)
    }
}

/// Constant-time equality of two secrets (state, nonce).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The left half of the hash of `value` with the hash of the ID token's `alg`, base64url:
/// `at_hash` / `c_hash` (OpenID Connect Core 1.0 §3.1.3.6, §3.3.2.11; Ed25519 uses SHA-512).
pub fn half_hash(alg: Algorithm, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        Algorithm::HS384 | Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => {
            sha2::Sha384::digest(value.as_bytes()).to_vec()
        }
        Algorithm::HS512 | Algorithm::RS512 | Algorithm::PS512 | Algorithm::EdDSA => {
            sha2::Sha512::digest(value.as_bytes()).to_vec()
        }
        _ => sha2::Sha256::digest(value.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// What the ID token of this callback must show.
#[derive(Debug)]
pub struct Expected<'a> {
    /// The client that asked (`azp` when `aud` has several values).
    pub client_id: &'a str,
    /// The nonce sent, when `verify_nonce`.
    pub nonce: Option<&'a str>,
    /// The access token issued with it.
    pub access_token: &'a str,
    /// The code exchanged.
    pub code: &'a str,
    /// `max_age`.
    pub max_age: Option<i64>,
    /// `leeway`.
    pub leeway: i64,
    /// Now.
    pub now: i64,
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
    })
}

/// The code flow's checks of a (signature-, issuer-, audience- and time-checked) ID token.
pub fn check_id_token(
    claims: &Map<String, Value>,
    alg: Algorithm,
    expected: &Expected<'_>,
) -> Result<(), String> {
    let several_audiences = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1);
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != expected.client_id => {
            return Err(format!("id token azp {azp:?} is not this client"))
        }
        None if several_audiences => return Err("id token has several audiences but no azp".into()),
        _ => {}
    }
    if let Some(nonce) = expected.nonce {
        match claims.get("nonce").and_then(Value::as_str) {
            Some(n) if same_secret(n, nonce) => {}
            Some(_) => return Err("id token nonce mismatch".into()),
            None => return Err("id token has no nonce".into()),
        }
    }
    for (claim, value) in [
        ("at_hash", expected.access_token),
        ("c_hash", expected.code),
    ] {
        if let Some(h) = claims.get(claim) {
            if h.as_str() != Some(half_hash(alg, value).as_str()) {
                return Err(format!("id token {claim} does not match"));
            }
        }
    }
    if let Some(max_age) = expected.max_age {
        let Some(auth_time) = number(claims, "auth_time") else {
            return Err("id token has no auth_time although max_age was requested".into());
        };
        if expected.now
            > auth_time
                .saturating_add(max_age)
                .saturating_add(expected.leeway)
        {
            return Err("the authentication is older than max_age".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn expected<'a>() -> Expected<'a> {
        Expected {
            client_id: "kong",
            nonce: Some("n-1"),
            access_token: "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
            code: "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk",
            max_age: Some(300),
            leeway: 0,
            now: 1000,
        }
    }

    #[test]
    fn hashes_are_the_specs_examples() {
        // OpenID Connect Core 1.0 Appendix A.3 (at_hash) and A.4 (c_hash).
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
            ),
            "LDktKdoQak3Pk0cnXxCltA"
        );
        assert_eq!(half_hash(Algorithm::RS512, "x").len(), 43);
    }

    #[test]
    fn a_good_id_token_passes_and_each_defect_is_named() {
        let good = json!({"aud": "kong", "nonce": "n-1", "auth_time": 900,
            "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "c_hash": "LDktKdoQak3Pk0cnXxCltA"});
        assert_eq!(
            check_id_token(&claims(good.clone()), Algorithm::RS256, &expected()),
            Ok(())
        );
        let with = |k: &str, v: Value| {
            let mut c = claims(good.clone());
            c.insert(k.into(), v);
            check_id_token(&c, Algorithm::RS256, &expected()).unwrap_err()
        };
        assert!(with("nonce", json!("n-2")).contains("nonce mismatch"));
        assert!(with("at_hash", json!("AAAA")).contains("at_hash"));
        assert!(with("c_hash", json!("AAAA")).contains("c_hash"));
        assert!(with("auth_time", json!(699)).contains("max_age"));
        assert!(with("azp", json!("other")).contains("azp"));
        assert!(with("aud", json!(["kong", "api"])).contains("no azp"));
        let mut no_nonce = claims(good.clone());
        no_nonce.remove("nonce");
        assert!(check_id_token(&no_nonce, Algorithm::RS256, &expected())
            .unwrap_err()
            .contains("no nonce"));
        let mut no_auth_time = claims(good.clone());
        no_auth_time.remove("auth_time");
        assert!(check_id_token(&no_auth_time, Algorithm::RS256, &expected())
            .unwrap_err()
            .contains("auth_time"));
        // Without max_age or verify_nonce those claims are not needed; absent hashes are fine.
        let relaxed = Expected {
            nonce: None,
            max_age: None,
            ..expected()
        };
        assert_eq!(
            check_id_token(&claims(json!({"aud": "kong"})), Algorithm::RS256, &relaxed),
            Ok(())
        );
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
