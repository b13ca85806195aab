//! Introspection authorisation (issue 10, point 11): a client learns about its own tokens, tokens
//! naming it (or a resource server it serves) in `aud`, or every token when configured with
//! `introspect_any_token`; anything else reads `{"active": false}`. Gluu 4.2's bearer rule is
//! `introspection.any_token: bearer`.

use gatecheck_op::config::{AnyTokenCallers, ClientConfig};
use gatecheck_op::protocol::GrantType;
use serde_json::Value;

use crate::common::*;

async fn client_token(op: &TestOp, client: (&str, &str)) -> String {
    let (status, body, _) =
        token_request(op, client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn introspect_with_bearer(op: &TestOp, bearer: &str, token: &str) -> (u16, Value) {
    let response = http()
        .post(op.url("/oxauth/restv1/introspection"))
        .bearer_auth(bearer)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn service(id: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        client_secret: Some(format!("{id}-secret")),
        scopes: vec!["oxd".into(), "uma_protection".into()],
        grant_types: vec![GrantType::ClientCredentials],
        ..Default::default()
    }
}

fn secret(id: &str) -> String {
    format!("{id}-secret")
}

#[tokio::test]
async fn a_client_sees_only_its_own_tokens() {
    let op = TestOp::start().await;
    let consumer_token = client_token(&op, API).await;
    let own = introspect(&op, API, &consumer_token).await;
    assert_eq!(own["active"], true, "{own}");
    // Another client, by credentials or with its own token as Bearer: inactive, no details.
    let other = introspect(&op, JWT, &consumer_token).await;
    assert_eq!(other, serde_json::json!({"active": false}));
    let jwt_token = client_token(&op, JWT).await;
    let (status, body) = introspect_with_bearer(&op, &jwt_token, &consumer_token).await;
    assert_eq!((status, body), (200, serde_json::json!({"active": false})));
    let (_, body) = introspect_with_bearer(&op, &jwt_token, &jwt_token).await;
    assert_eq!(body["active"], true);
}

#[tokio::test]
async fn resource_servers_and_gateways_see_what_they_serve() {
    let mut config = fixture_config();
    let mut consumer = service("consumer");
    consumer.additional_audience = vec!["api".into()];
    let mut api = service("api");
    api.introspect_any_token = false;
    let mut gateway = service("gateway");
    gateway.resource_servers = vec!["api".into()];
    let mut everything = service("everything");
    everything.introspect_any_token = true;
    let bystander = service("bystander");
    config
        .clients
        .extend([consumer, api, gateway, everything, bystander]);
    let op = TestOp::with_config(config).await;

    let token = client_token(&op, ("consumer", &secret("consumer"))).await;
    let plain = client_token(&op, API).await;
    for (caller, sees_token, sees_plain) in [
        ("consumer", true, false),
        ("api", true, false),       // named in aud
        ("gateway", true, false),   // serves the resource server `api`
        ("everything", true, true), // introspect_any_token
        ("bystander", false, false),
    ] {
        let s = secret(caller);
        let body = introspect(&op, (caller, &s), &token).await;
        assert_eq!(body["active"], sees_token, "{caller}: {body}");
        if sees_token {
            assert_eq!(
                body["aud"],
                serde_json::json!(["consumer", "api"]),
                "{body}"
            );
        }
        let body = introspect(&op, (caller, &s), &plain).await;
        assert_eq!(body["active"], sees_plain, "{caller}: {body}");
    }
}

#[tokio::test]
async fn gluus_bearer_rule_is_a_switch() {
    let mut config = fixture_config();
    config.introspection.any_token = AnyTokenCallers::Bearer;
    config.introspection.bearer_scope = Some("uma_protection".into());
    config.clients.push(service("rs"));
    let op = TestOp::with_config(config).await;
    let consumer_token = client_token(&op, API).await;
    let (status, body, _) = token_request(
        &op,
        ("rs", &secret("rs")),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "uma_protection"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let pat = body["access_token"].as_str().unwrap();
    let (status, body) = introspect_with_bearer(&op, pat, &consumer_token).await;
    assert_eq!(
        (status, &body["active"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    // A bearer token without the scope is refused; Basic callers keep the per-client rule.
    let (status, body, _) = token_request(
        &op,
        ("rs", &secret("rs")),
        &[("grant_type", "client_credentials"), ("scope", "oxd")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) =
        introspect_with_bearer(&op, body["access_token"].as_str().unwrap(), &consumer_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("access_denied"))
    );
    let body = introspect(&op, ("rs", &secret("rs")), &consumer_token).await;
    assert_eq!(body, serde_json::json!({"active": false}));
}

#[tokio::test]
async fn every_authenticated_caller_is_a_switch_too() {
    let mut config = fixture_config();
    config.introspection.any_token = AnyTokenCallers::Authenticated;
    config.clients.push(service("rs"));
    let op = TestOp::with_config(config).await;
    let consumer_token = client_token(&op, API).await;
    let body = introspect(&op, ("rs", &secret("rs")), &consumer_token).await;
    assert_eq!(body["active"], true, "{body}");
    let rs_token = client_token(&op, ("rs", &secret("rs"))).await;
    let (_, body) = introspect_with_bearer(&op, &rs_token, &consumer_token).await;
    assert_eq!(body["active"], true, "{body}");
}
