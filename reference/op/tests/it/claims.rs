//! The `claims` request parameter (OIDC Core §5.5): claims asked of the ID token go in every ID
//! token of the grant (authorization and token endpoints, refresh), claims asked of userinfo
//! come from the UserInfo endpoint (or the ID token when no access token is issued), a `sub`
//! value must be the signed-in user's, `acr` values choose the method, bad JSON is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::common::*;

fn payload(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

async fn userinfo(op: &TestOp, token: &str) -> Value {
    http()
        .get(op.url("/oxauth/restv1/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn requested_claims_go_where_they_are_asked_for_beyond_the_scopes() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let claims = json!({
        "userinfo": {"name": {"essential": true}, "nickname": null, "unheard_of": null},
        "id_token": {"email": {"essential": true}, "given_name": {"value": "Someone"}}
    })
    .to_string();
    let callback = code_via_login(&op, &agent, &[("scope", "openid"), ("claims", &claims)]).await;
    let tokens = exchange_code(&op, &callback).await;
    let id = payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["email"], "admin@example.org");
    // The user's value, not the one the RP would like.
    assert_eq!(id["given_name"], "Admin");
    assert!(
        id.get("name").is_none(),
        "userinfo claims stay out of the ID token: {id}"
    );
    let info = userinfo(&op, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info["name"], "Admin User");
    assert!(
        info.get("email").is_none(),
        "only scope openid and the request: {info}"
    );
    // A claim the user does not have, or the OP does not know, is not invented.
    assert!(info.get("nickname").is_none() && info.get("unheard_of").is_none());

    // A refreshed ID token of the same grant keeps honouring the request.
    let callback = code_via_login(
        &op,
        &agent,
        &[
            ("scope", "openid offline_access"),
            ("prompt", "consent"),
            ("claims", &claims),
        ],
    )
    .await;
    let tokens = exchange_code(&op, &callback).await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    let (status, refreshed, _) = token_request(
        &op,
        DEMO,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        payload(refreshed["id_token"].as_str().unwrap())["email"],
        "admin@example.org"
    );
    let info = userinfo(&op, refreshed["access_token"].as_str().unwrap()).await;
    assert_eq!(info["name"], "Admin User");
}

#[tokio::test]
async fn without_claims_nothing_beyond_the_scopes_is_released() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let callback = code_via_login(&op, &agent, &[("scope", "openid")]).await;
    let tokens = exchange_code(&op, &callback).await;
    let id = payload(tokens["id_token"].as_str().unwrap());
    assert!(id.get("email").is_none(), "{id}");
    let info = userinfo(&op, tokens["access_token"].as_str().unwrap()).await;
    assert!(info.get("name").is_none(), "{info}");
}

#[tokio::test]
async fn a_required_sub_must_be_the_signed_in_user() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let first = code_via_login(&op, &agent, &[]).await;
    let sub = payload(
        exchange_code(&op, &first).await["id_token"]
            .as_str()
            .unwrap(),
    )["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    // The right subject: a silent answer.
    let same = json!({"id_token": {"sub": {"value": sub}}}).to_string();
    let nav = agent
        .open(&authorize_url(
            &op,
            &demo_params(&[("prompt", "none"), ("claims", &same)]),
        ))
        .await
        .left();
    assert!(query_param(&nav, "code").is_some(), "{nav}");
    // Another subject: the session does not count; with prompt=none that is login_required.
    let other = json!({"id_token": {"sub": {"value": "someone-else"}}}).to_string();
    let nav = agent
        .open(&authorize_url(
            &op,
            &demo_params(&[("prompt", "none"), ("claims", &other)]),
        ))
        .await
        .left();
    assert_eq!(
        query_param(&nav, "error").as_deref(),
        Some("login_required")
    );
    // Logging in again as admin does not make admin someone else.
    let nav = code_via_login(&op, &agent, &[("claims", &other)]).await;
    assert_eq!(query_param(&nav, "error").as_deref(), Some("access_denied"));
    assert!(query_param(&nav, "code").is_none());
}

#[tokio::test]
async fn acr_values_in_the_claims_choose_the_method_and_bad_json_is_refused() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let claims = json!({"id_token": {"acr": {"essential": true, "values": ["basic"]}}}).to_string();
    let callback = code_via_login(&op, &agent, &[("claims", &claims)]).await;
    let id = payload(
        exchange_code(&op, &callback).await["id_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(id["acr"], "basic");
    for bad in ["{not json", "[1]", r#"{"userinfo": {"name": 5}}"#] {
        let response = http()
            .get(authorize_url(&op, &demo_params(&[("claims", bad)])))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "{bad}");
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some("invalid_request"),
            "{bad}"
        );
        assert_eq!(query_param(&location, "state").as_deref(), Some("st-1"));
    }
    let doc: Value = get_json(&op, "/.well-known/openid-configuration").await;
    assert_eq!(doc["claims_parameter_supported"], true);
}
