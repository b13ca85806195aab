//! Keycloak-style per-client access-token settings (the Kong guides' realm): default client
//! scopes added to every grant, fixed claims and extra audiences in JWT access tokens and
//! introspection, `preferred_username` in user tokens.

use base64::Engine;
use gatecheck_op::config::ClientConfig;

use crate::common::*;

const KONG: (&str, &str) = ("kong", "kong-secret");

async fn op() -> TestOp {
    let mut config = fixture_config();
    config.clients.push(ClientConfig {
        client_id: "kong".into(),
        client_secret: Some("kong-secret".into()),
        scopes: ["openid", "profile", "email"]
            .iter()
            .map(|s| (*s).into())
            .collect(),
        default_scopes: vec!["profile".into(), "email".into(), "not-allowed".into()],
        grant_types: serde_json::from_value(serde_json::json!(["password", "client_credentials"]))
            .unwrap(),
        access_token_as_jwt: true,
        access_token_claims: serde_json::from_value(
            serde_json::json!({"tier": "gold", "iss": "https://evil.example"}),
        )
        .unwrap(),
        additional_audience: vec!["kong-api".into()],
        ..Default::default()
    });
    TestOp::with_config(config).await
}

fn payload(jwt: &str) -> serde_json::Value {
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn default_scopes_fixed_claims_and_audiences_reach_tokens_and_introspection() {
    let op = op().await;
    let (status, body, _) = token_request(
        &op,
        KONG,
        &[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "secret"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let scope: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    for s in ["openid", "profile", "email"] {
        assert!(scope.contains(&s), "{scope:?}");
    }
    assert!(
        !scope.contains(&"not-allowed"),
        "a default scope must be one of the client's"
    );
    let token = body["access_token"].as_str().unwrap();
    let claims = payload(token);
    assert_eq!(claims["preferred_username"], "admin");
    assert_eq!(claims["tier"], "gold");
    assert_eq!(claims["aud"], serde_json::json!(["kong", "kong-api"]));
    assert_eq!(
        claims["iss"],
        op.issuer(),
        "fixed claims never override protocol claims"
    );
    let seen = introspect(&op, KONG, token).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["tier"], "gold");
    assert_eq!(seen["preferred_username"], "admin");
    assert_eq!(seen["aud"], serde_json::json!(["kong", "kong-api"]));
}

#[tokio::test]
async fn clients_without_the_settings_keep_their_tokens() {
    let op = op().await;
    let (status, body, _) = token_request(
        &op,
        JWT,
        &[("grant_type", "client_credentials"), ("scope", "openid")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !body["scope"].as_str().unwrap_or("").contains("profile"),
        "no default scopes: {body}"
    );
    let claims = payload(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "jwt-consumer");
    assert!(claims.get("tier").is_none() && claims.get("preferred_username").is_none());
}
