//! Dynamic registration grants only what the OP's policy allows (issue 10, point 8): scopes
//! published for dynamic registration, the policy's grant types and spontaneous-scope patterns,
//! more with an initial access token. Refusals are `invalid_client_metadata` naming the field.

use gatecheck_op::config::{InitialAccessToken, ScopeConfig};
use gatecheck_op::protocol::GrantType;
use serde_json::{json, Value};

use crate::common::*;

fn refused_naming(status: u16, body: &Value, field: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("{field}:")),
        "{description}"
    );
}

#[tokio::test]
async fn an_anonymous_client_cannot_give_itself_admin_password_or_any_scope() {
    let op = TestOp::start().await;
    let base = json!({"redirect_uris": ["https://rp.example.org/cb"]});
    let with = |extra: Value| {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let (status, body) = register_as(&op, None, with(json!({"scope": "openid admin"}))).await;
    refused_naming(status, &body, "scope");
    let (status, body) = register_as(&op, None, with(json!({"scopes": ["openid", "admin"]}))).await;
    refused_naming(status, &body, "scope");
    let (status, body) = register_as(
        &op,
        None,
        with(json!({"grant_types": ["authorization_code", "password"]})),
    )
    .await;
    refused_naming(status, &body, "grant_types");
    let (status, body) = register_as(
        &op,
        None,
        with(
            json!({"grant_types": ["client_credentials"], "allow_spontaneous_scopes": true,
                    "spontaneous_scopes": [".*"]}),
        ),
    )
    .await;
    refused_naming(status, &body, "spontaneous_scopes");

    // What the policy allows still registers, and a client asking nothing gets the published
    // scopes marked for dynamic registration.
    let (status, body) = register_as(
        &op,
        None,
        with(
            json!({"grant_types": ["client_credentials"], "scope": "openid oxd",
                    "allow_spontaneous_scopes": true,
                    "spontaneous_scopes": ["^transactions:.+$"]}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = register_as(&op, None, base.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["scope"],
        "openid profile email address phone offline_access oxd uma_protection"
    );
}

#[tokio::test]
async fn scopes_follow_their_dynamic_registration_flag() {
    let mut config = fixture_config();
    config.scopes = vec![
        ScopeConfig::new("openid"),
        ScopeConfig {
            dynamic_registration: false,
            ..ScopeConfig::new("payments")
        },
    ];
    let op = TestOp::with_config(config).await;
    let (status, body) = register_as(
        &op,
        None,
        json!({"redirect_uris": ["https://rp/cb"], "scope": "openid payments"}),
    )
    .await;
    refused_naming(status, &body, "scope");
    let (status, body) = register_as(&op, None, json!({"redirect_uris": ["https://rp/cb"]})).await;
    assert_eq!((status, body["scope"].as_str()), (201, Some("openid")));
}

#[tokio::test]
async fn an_initial_access_token_allows_more() {
    let mut config = fixture_config();
    config.registration.initial_access_tokens = vec![InitialAccessToken {
        token: "installer-token-0123456789".into(),
        grant_types: vec![GrantType::Password],
        scopes: vec!["admin".into()],
        spontaneous_scopes: vec!["^accounts:.+$".into()],
    }];
    let op = TestOp::with_config(config).await;
    let body = json!({"redirect_uris": ["https://rp/cb"], "scope": "openid admin",
                      "grant_types": ["authorization_code", "password"],
                      "allow_spontaneous_scopes": true, "spontaneous_scopes": ["^accounts:.+$"]});
    let (status, created) =
        register_as(&op, Some("installer-token-0123456789"), body.clone()).await;
    assert_eq!(status, 201, "{created}");
    let (status, refused) = register_as(&op, Some("wrong-token"), body.clone()).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (401, Some("invalid_token"))
    );
    let (status, refused) = register_as(&op, None, body).await;
    refused_naming(status, &refused, "grant_types");

    // An update (RFC 7592) is held to what the registration was allowed: this one keeps its
    // password grant, an anonymous registration cannot gain it by PUT.
    let uri = created["registration_client_uri"].as_str().unwrap();
    let rat = created["registration_access_token"].as_str().unwrap();
    let response = http()
        .put(uri)
        .bearer_auth(rat)
        .json(&json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["password"], "scope": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, plain) = register_as(&op, None, json!({"redirect_uris": ["https://rp/cb"]})).await;
    let response = http()
        .put(plain["registration_client_uri"].as_str().unwrap())
        .bearer_auth(plain["registration_access_token"].as_str().unwrap())
        .json(&json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["password"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    refused_naming(400, &body, "grant_types");
}

#[tokio::test]
async fn registration_can_require_an_initial_access_token() {
    let mut config = fixture_config();
    config.registration.require_initial_access_token = true;
    let op = TestOp::with_config(config).await;
    let (status, body) = register_as(&op, None, json!({"redirect_uris": ["https://rp/cb"]})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
}

#[tokio::test]
async fn a_self_registered_client_mints_no_token_a_gateway_would_accept_for_admin() {
    // The attack of the issue: register with admin + password + `.*`, then ask for tokens.
    let op = TestOp::start().await;
    let (status, body) = register_as(
        &op,
        None,
        json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["client_credentials"],
               "scope": "admin", "allow_spontaneous_scopes": true, "spontaneous_scopes": [".*"]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Registering what is allowed and asking for more gets nothing more.
    let (_, created) = register_as(
        &op,
        None,
        json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["client_credentials"],
               "scope": "oxd"}),
    )
    .await;
    let id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    let (status, body, _) = token_request(
        &op,
        (id, secret),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "admin transactions:1"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn dynamically_registered_clients_expire_after_the_configured_lifetime() {
    let mut config = fixture_config();
    config.registration.client_lifetime = 3600;
    let op = TestOp::with_config(config).await;
    let (status, created) = register(
        &op,
        json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["client_credentials"], "scope": "oxd"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let issued = created["client_id_issued_at"].as_i64().unwrap();
    assert_eq!(created["client_secret_expires_at"], issued + 3600);
    let id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    let grant = [("grant_type", "client_credentials")];
    // An update does not extend the client's life.
    op.clock.advance(3000);
    let response = http()
        .put(created["registration_client_uri"].as_str().unwrap())
        .bearer_auth(created["registration_access_token"].as_str().unwrap())
        .json(&json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["client_credentials"], "scope": "oxd"}))
        .send()
        .await
        .unwrap();
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["client_secret_expires_at"], issued + 3600);
    assert_eq!(token_request(&op, (id, secret), &grant).await.0, 200);
    op.clock.advance(601);
    let (status, body, _) = token_request(&op, (id, secret), &grant).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // Without a lifetime, never: client_secret_expires_at 0 (RFC 7591 §3.2.1).
    let op = TestOp::start().await;
    let (_, created) = register(&op, json!({"redirect_uris": ["https://rp/cb"]})).await;
    assert_eq!(created["client_secret_expires_at"], 0);
}
