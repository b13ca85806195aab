//! A gatecheck extension, not a Kong field: acr step-up (`required_acr_values`). A route can
//! demand that the user authenticated with one of a list of `acr` values (OpenID Connect Core
//! 1.0 §2, the ID token's `acr`). A request whose authentication is too weak is stepped up:
//!
//! - a browser with a session is sent back to the OP with `acr_values` (OpenID Connect Core 1.0
//!   §3.1.2.1); the OP re-authenticates the user with a stronger method, and the new session
//!   carries the new `acr`;
//! - an API (a request that cannot follow a redirect, or a bearer token) gets RFC 9470's 401
//!   `WWW-Authenticate: Bearer error="insufficient_user_authentication",
//!   error_description="...", acr_values="..."` (<https://www.rfc-editor.org/rfc/rfc9470#section-3>),
//!   so that its client can run the login again with those values.
//!
//! Where the `acr` is read: the ID token of a session or of a login that just finished (the
//! session's was verified when the session was sealed), else the `acr` claim of the access
//! token (a JWT's, or the introspection answer: RFC 9068 §2.2.1, RFC 7662 extensions). A token
//! without one is too weak for a route that requires one.
//!
//! `prompt=login` is not sent: `acr_values` is what asks an OP for a method (gatecheck's OP,
//! Gluu and Keycloak re-authenticate when the session's method does not satisfy it), and
//! forcing a login would also re-ask a user whose OP session is already strong enough. An OP
//! that ignores `acr_values` answers with the old `acr`; that callback gets the 401 challenge
//! instead of a new redirect, so a login can never loop.

use http::header::{HeaderValue, WWW_AUTHENTICATE};
use serde_json::{Map, Value};

use super::authenticate::{cookie_value, Authenticated};
use super::authorization::{self, Pending};
use super::code_flow::CodeFlow;
use super::config::Config;
use super::reply::{self, Failure};
use super::OpenIdConnect;
use crate::plugins::{AccessRequest, Flow, PluginResponse};
use crate::rp::jwt;

/// The config field.
pub const FIELD: &str = "required_acr_values";

/// RFC 9470 §3's error code.
pub const ERROR: &str = "insufficient_user_authentication";

/// RFC 9470 §3's example description, which says what the client has to do.
pub const DESCRIPTION: &str = "A different authentication level is required";

/// A `required_acr_values` element: an `acr` value travels space-separated in `acr_values`
/// and quoted in the challenge, so it can hold neither spaces nor quotes nor backslashes.
pub fn valid_acr_value(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or_default();
    if s.is_empty() {
        return Err("length must be at least 1".into());
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\')
    {
        return Err(
            "an acr value cannot contain spaces, quotes, backslashes or control characters".into(),
        );
    }
    Ok(())
}

/// The config check over several fields: `acr_values` among the fixed authorization
/// arguments would contradict `required_acr_values`, which sends its own.
pub fn no_fixed_acr_values(r: &Map<String, Value>) -> Result<(), String> {
    let required = r
        .get(FIELD)
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let fixed = r
        .get("authorization_query_args_names")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|n| n == "acr_values"));
    if required && fixed {
        Err(
            "acr_values cannot be a fixed argument when required_acr_values is set (it sends them)"
                .into(),
        )
    } else {
        Ok(())
    }
}

/// The `acr` the authentication was made with, if known.
pub fn acr_of(auth: &Authenticated) -> Option<String> {
    let from_id_token = auth
        .tokens
        .id_token
        .as_deref()
        .filter(|t| jwt::looks_like_jwt(t))
        .and_then(|t| jwt::unverified_claims(t).ok())
        .and_then(|c| c.get("acr").and_then(Value::as_str).map(str::to_owned));
    from_id_token.or_else(|| {
        auth.claims
            .get("acr")
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// Whether `acr` is one of `required` (exact matching; nothing required: always).
pub fn satisfies(required: &[String], acr: Option<&str>) -> bool {
    required.is_empty() || acr.is_some_and(|a| required.iter().any(|r| r == a))
}

/// The authorization request's `acr_values` (space-separated, in the configured order).
pub fn acr_values(required: &[String]) -> String {
    required.join(" ")
}

/// RFC 9470 §3's 401: Kong's 401 body, with the challenge naming the acr values to ask for.
pub fn challenge(config: &Config, acr: Option<&str>) -> PluginResponse {
    let reason = match acr {
        Some(a) => format!("the authentication's acr {a:?} is not one of {FIELD}"),
        None => format!("the authentication has no acr and the route has {FIELD}"),
    };
    let mut response = reply::failure(config, &Failure::Unauthorized { reason, code: None });
    let value = format!(
        "Bearer realm=\"{}\", error=\"{ERROR}\", error_description=\"{DESCRIPTION}\", acr_values=\"{}\"",
        config.realm().replace(['"', '\\'], ""),
        acr_values(&config.browser.required_acr_values)
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers.insert(WWW_AUTHENTICATE, v);
    }
    response
}

impl OpenIdConnect {
    /// The step-up check of an authenticated request: `Ok` with the authentication to go on
    /// with (a step-up login that just finished replaces the weaker session's), or the answer.
    pub(super) async fn step_up(
        &self,
        req: &mut AccessRequest,
        auth: Authenticated,
        pending: Option<Pending>,
    ) -> Result<(Authenticated, Option<Pending>), Flow> {
        let required = &self.config.browser.required_acr_values;
        let acr = acr_of(&auth);
        if satisfies(required, acr.as_deref()) {
            return Ok((auth, pending));
        }
        let browser = authorization::follows_redirects(req.headers());
        let login_under_way = cookie_value(req, self.authorizations.name()).is_some();
        if auth.method == "session"
            && self.config.allows("authorization_code")
            && (browser || login_under_way)
        {
            // A too-weak session: the browser logs in again (the authorization request carries
            // acr_values). The callback of that login comes with the weak session's cookie,
            // which the search found first; the code flow finishes the login here.
            match self.code_flow(req).await {
                CodeFlow::LoggedIn(stronger, p) => {
                    let acr = acr_of(&stronger);
                    if satisfies(required, acr.as_deref()) {
                        return Ok((*stronger, Some(*p)));
                    }
                    return Err(self.refused(browser, acr.as_deref()));
                }
                CodeFlow::Respond(redirect) => return Err(Flow::Respond(redirect)),
                CodeFlow::Failed(f) if f.is_no_credentials() => {}
                CodeFlow::Failed(f) => return Err(Flow::Respond(self.failure_response(&f))),
            }
        }
        // An API, a bearer token, or a login that just finished without the acr asked for
        // (an OP that ignored acr_values): no new redirect, so a login cannot loop.
        Err(self.refused(browser, acr.as_deref()))
    }

    /// RFC 9470's challenge, or for a browser the `unauthorized_redirect_uri` when configured.
    fn refused(&self, browser: bool, acr: Option<&str>) -> Flow {
        let redirect = self.config.browser.unauthorized_redirect_uri.first();
        if let (true, Some(r)) = (
            browser,
            redirect.and_then(|u| PluginResponse::redirect(u.as_str())),
        ) {
            return Flow::Respond(r);
        }
        Flow::Respond(challenge(&self.config, acr))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Tokens;
    use super::*;
    use base64::Engine;
    use serde_json::json;

    fn unsigned(claims: Value) -> String {
        let e = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        format!("{}.{}.sig", e(&json!({"alg": "RS256"})), e(&claims))
    }

    fn auth(id_token: Option<String>, claims: Value) -> Authenticated {
        Authenticated::new(
            "session",
            Tokens {
                access_token: "at".into(),
                expires_at: None,
                refresh_token: None,
                id_token,
                scope: None,
            },
            claims.as_object().unwrap().clone(),
        )
    }

    #[test]
    fn the_acr_comes_from_the_id_token_else_the_access_token() {
        let id = unsigned(json!({"sub": "alex", "acr": "otp"}));
        assert_eq!(
            acr_of(&auth(Some(id), json!({"acr": "basic"}))).as_deref(),
            Some("otp")
        );
        let no_acr = unsigned(json!({"sub": "alex"}));
        assert_eq!(
            acr_of(&auth(Some(no_acr), json!({"acr": "basic"}))).as_deref(),
            Some("basic")
        );
        assert_eq!(
            acr_of(&auth(None, json!({"acr": "basic"}))).as_deref(),
            Some("basic")
        );
        assert_eq!(acr_of(&auth(Some("opaque".into()), json!({}))), None);
        // Only a string is an acr (OpenID Connect Core 1.0 §2).
        assert_eq!(acr_of(&auth(None, json!({"acr": 2}))), None);
    }

    #[test]
    fn matching_is_exact() {
        let required = vec!["otp".to_owned(), "mfa".to_owned()];
        assert!(satisfies(&required, Some("otp")));
        assert!(satisfies(&required, Some("mfa")));
        assert!(!satisfies(&required, Some("OTP")));
        assert!(!satisfies(&required, Some("otp ")));
        assert!(!satisfies(&required, Some("auth_ldap_server")));
        assert!(!satisfies(&required, None));
        assert!(satisfies(&[], None));
        assert_eq!(acr_values(&required), "otp mfa");
    }

    #[test]
    fn the_challenge_is_rfc_9470s() {
        let (config, _) = Config::from_value(&json!({"issuer": "http://op.example/realms/demo",
            FIELD: ["otp", "mfa"]}))
        .unwrap();
        let r = challenge(&config, Some("auth_ldap_server"));
        assert_eq!(r.status, http::StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers[WWW_AUTHENTICATE],
            "Bearer realm=\"op.example\", error=\"insufficient_user_authentication\", \
             error_description=\"A different authentication level is required\", acr_values=\"otp mfa\""
        );
        assert_eq!(r.body, r#"{"message":"Unauthorized"}"#);
        // display_errors says why, in the body only.
        let (config, _) = Config::from_value(&json!({"issuer": "http://op",
            FIELD: ["otp"], "display_errors": true}))
        .unwrap();
        let r = challenge(&config, None);
        let body = String::from_utf8(r.body.to_vec()).unwrap();
        assert!(body.contains("has no acr"), "{body}");
    }

    #[test]
    fn acr_values_are_validated() {
        assert!(valid_acr_value(&json!("urn:mace:incommon:iap:silver")).is_ok());
        for bad in ["", "two words", "q\"uote", "back\\slash", "tab\t"] {
            assert!(valid_acr_value(&json!(bad)).is_err(), "{bad:?}");
        }
    }
}
