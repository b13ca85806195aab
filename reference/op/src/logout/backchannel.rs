//! OpenID Connect Back-Channel Logout 1.0 (<https://openid.net/specs/openid-connect-backchannel-1_0.html>):
//! the logout token (§2.4) and its delivery (§2.5).
//!
//! The token is a JWT typed `logout+jwt` (§2.4, explicit typing as RFC 8725 §3.11 recommends),
//! signed with the client's ID token algorithm, with `iss`, `aud` (the client), `iat`, `exp`
//! (two minutes), `jti`, `events` = `{"http://schemas.openid.net/event/backchannel-logout": {}}`,
//! `sub` (as the client sees the user: [`crate::subjects::subject_for`]) and `sid`, and never a
//! `nonce` (§2.4: a logout token with one is rejected by RPs).
//!
//! It is POSTed as `application/x-www-form-urlencoded` `logout_token=...` over the OP's one
//! outgoing HTTP client (no redirects followed) with `logout.backchannel_timeout_ms`; any answer
//! but 200/204, a refused connection or a timeout is logged, and the logout goes on.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clients::Client;
use crate::model::Session;
use crate::server::AppState;
use crate::util::random_token;

/// The event member of every logout token (§2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The JWT `typ` of logout tokens.
pub const TYP: &str = "logout+jwt";

/// How long a logout token is valid, in seconds (§2.4 suggests a short lifetime, e.g. two
/// minutes).
pub const LIFETIME: i64 = 120;

/// The claims of a logout token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutToken {
    /// The OP.
    pub iss: String,
    /// The client it is for.
    pub aud: String,
    /// Issued at.
    pub iat: i64,
    /// Expires at.
    pub exp: i64,
    /// Unique id (an RP may refuse a replay).
    pub jti: String,
    /// Exactly the back-channel logout event, with an empty object.
    pub events: Map<String, Value>,
    /// The user as the client knows them.
    pub sub: String,
    /// The OP session that ended.
    pub sid: String,
}

/// The signed logout token telling `client` that `session` ended.
pub fn token(state: &AppState, client: &Client, session: &Session) -> anyhow::Result<String> {
    let now = state.now();
    let mut events = Map::new();
    events.insert(EVENT.into(), Value::Object(Map::new()));
    let claims = LogoutToken {
        iss: state.issuer.to_string(),
        aud: client.client_id.clone(),
        iat: now,
        exp: now.saturating_add(LIFETIME),
        jti: random_token(16),
        events,
        sub: crate::subjects::subject_for(state, client, &session.auth.sub),
        sid: session.sid.clone(),
    };
    state
        .keys
        .sign(client.id_token_signed_response_alg, TYP, &claims)
}

/// The configured delivery timeout.
pub fn timeout(state: &AppState) -> Duration {
    Duration::from_millis(state.config.logout.backchannel_timeout_ms)
}

/// What came of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The RP answered 200 or 204.
    Delivered,
    /// The RP answered another status.
    Refused(u16),
    /// No answer within the timeout.
    TimedOut,
    /// The request could not be made (connection refused, ...).
    Failed(String),
}

/// POSTs `token` to `uri`, waiting at most `timeout`; logs and returns the outcome.
pub async fn deliver(
    http: reqwest::Client,
    uri: String,
    token: String,
    timeout: Duration,
) -> Outcome {
    let sent = http
        .post(&uri)
        .timeout(timeout)
        .form(&[("logout_token", token.as_str())])
        .send()
        .await;
    let outcome = match sent {
        Ok(r) if matches!(r.status().as_u16(), 200 | 204) => Outcome::Delivered,
        Ok(r) => Outcome::Refused(r.status().as_u16()),
        Err(e) if e.is_timeout() => Outcome::TimedOut,
        Err(e) => Outcome::Failed(e.to_string()),
    };
    match &outcome {
        Outcome::Delivered => tracing::info!("back-channel logout delivered to {uri}"),
        Outcome::Refused(status) => {
            tracing::warn!("back-channel logout to {uri}: the RP answered {status}")
        }
        Outcome::TimedOut => tracing::warn!(
            "back-channel logout to {uri}: no answer within {} ms",
            timeout.as_millis()
        ),
        Outcome::Failed(e) => tracing::warn!("back-channel logout to {uri} failed: {e}"),
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acr::AcrMethod;
    use crate::model::AuthContext;

    fn session() -> Session {
        Session {
            sid: "sid-1".into(),
            logout_csrf: "x".into(),
            auth: AuthContext {
                sub: "user-1".into(),
                username: "admin".into(),
                acr: AcrMethod::parse("basic").expect("basic"),
                amr: vec![],
                auth_time: 0,
                sid: Some("sid-1".into()),
            },
            browser_state: "b".into(),
            clients: vec!["rp".into()],
        }
    }

    fn client() -> Client {
        Client::from_config(&crate::config::ClientConfig {
            client_id: "rp".into(),
            client_secret: Some("s".into()),
            redirect_uris: vec!["https://rp.example/cb".into()],
            backchannel_logout_uri: Some("https://rp.example/bc".into()),
            ..Default::default()
        })
        .expect("client")
    }

    #[test]
    fn the_logout_token_has_the_claims_an_rp_checks_and_no_nonce() {
        let state = crate::server::test_state();
        let raw = token(&state, &client(), &session()).expect("token");
        let header = jsonwebtoken::decode_header(&raw).expect("header");
        assert_eq!(header.typ.as_deref(), Some(TYP));
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        assert!(header.kid.is_some());
        // Verified with the OP's own published key, as an RP does.
        let claims = state.keys.verify(&raw, &state.issuer).expect("signature");
        assert_eq!(claims["iss"], "https://op.example");
        assert_eq!(claims["aud"], "rp");
        assert_eq!(claims["sub"], "user-1");
        assert_eq!(claims["sid"], "sid-1");
        assert_eq!(
            claims["events"],
            serde_json::json!({ EVENT: {} }),
            "exactly the back-channel event with an empty object"
        );
        assert!(claims.get("nonce").is_none());
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
        let iat = claims["iat"].as_i64().expect("iat");
        assert_eq!(claims["exp"].as_i64(), Some(iat + LIFETIME));
        let again = token(&state, &client(), &session()).expect("token");
        let other = state.keys.verify(&again, &state.issuer).expect("signature");
        assert_ne!(other["jti"], claims["jti"], "a fresh jti per token");
    }

    #[test]
    fn a_pairwise_client_gets_its_own_sub() {
        let state = crate::server::test_state();
        let mut c = client();
        c.subject_type = crate::protocol::SubjectType::Pairwise;
        let raw = token(&state, &c, &session()).expect("token");
        let claims = state.keys.verify(&raw, &state.issuer).expect("signature");
        assert_eq!(
            claims["sub"],
            crate::subjects::subject_for(&state, &c, "user-1")
        );
        assert_ne!(claims["sub"], "user-1");
    }
}
