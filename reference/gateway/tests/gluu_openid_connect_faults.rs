//! gluu-openid-connect through the gateway with wiremock standing in for oxd: what the OP (via
//! oxd) returns that the gateway must refuse, and oxd failures.

#[path = "gluu_openid_connect_support/mod.rs"]
mod support;

use reqwest::Method;
use serde_json::{json, Value};
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KID: &str = "fault-key";

fn op_key() -> jsonwebtoken::EncodingKey {
    jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("../../../fixtures/op/keys/rs256.pem"))
        .unwrap()
}

fn sign(claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(KID.into());
    jsonwebtoken::encode(&header, claims, &op_key()).unwrap()
}

async fn stack_with(oxd: &MockServer) -> Stack {
    Stack::start_with(
        json!({"max_id_token_age": 60, "max_id_token_auth_age": 600}),
        Some(oxd.uri()),
    )
    .await
}

/// Claims as the OP would sign them for the plugin's client, at `now`.
fn claims(stack: &Stack, now: i64) -> Value {
    json!({"iss": stack.op.issuer(), "aud": stack.site["client_id"], "sub": "alice",
           "nonce": "nn", "acr": "auth_ldap_server", "iat": now, "exp": now + 3600, "auth_time": now})
}

#[tokio::test]
async fn refused_id_tokens_give_ggs_500_messages() {
    let oxd = MockServer::start().await;
    let stack = stack_with(&oxd).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases = [
        (json!({"exp": now - 10}), "OP returns expired id_token"),
        (
            json!({"iat": now - 100}),
            "OP returns id_token with too old iat",
        ),
        (
            json!({"auth_time": now - 1000}),
            "OP returns id_token with too old auth_time",
        ),
        (
            json!({"nonce": "other"}),
            "OP returns id_token with a nonce that does not match the login",
        ),
    ];
    for (patch, expected) in cases {
        let mut c = claims(&stack, now);
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        oxd.reset().await;
        remount(&oxd, &sign(&c)).await;
        let browser = Browser::default();
        let r = browser.send(Method::GET, &stack.url("/x"), &[], None).await;
        assert_eq!(r.status(), 302);
        let r = browser
            .send(
                Method::GET,
                &stack.url("/callback?code=c&state=st"),
                &[],
                None,
            )
            .await;
        assert_eq!(r.status(), 500, "{expected}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["message"], expected);
    }
}

/// oxd answering every call; `get-tokens-by-code` returns `id_token`.
async fn remount(oxd: &MockServer, id_token: &str) {
    let mut jwk =
        jsonwebtoken::jwk::Jwk::from_encoding_key(&op_key(), jsonwebtoken::Algorithm::RS256)
            .unwrap();
    jwk.common.key_id = Some(KID.into());
    for (endpoint, body) in [
        (
            "/get-client-token",
            json!({"access_token": "pt", "expires_in": 300}),
        ),
        (
            "/get-authorization-url",
            json!({"authorization_url": "https://op.example/authorize?state=st&nonce=nn"}),
        ),
        ("/get-jwks", json!({"keys": [jwk]})),
        (
            "/get-user-info",
            json!({"sub": "alice", "email": "alice@example.org"}),
        ),
        (
            "/get-tokens-by-code",
            json!({"access_token": "at", "id_token": id_token, "id_token_claims": {}}),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path(endpoint))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(oxd)
            .await;
    }
}

#[tokio::test]
async fn a_good_token_from_the_mock_serves_the_page() {
    let oxd = MockServer::start().await;
    let stack = stack_with(&oxd).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    remount(&oxd, &sign(&claims(&stack, now))).await;
    let browser = Browser::default();
    assert_eq!(
        browser
            .send(Method::GET, &stack.url("/x"), &[], None)
            .await
            .status(),
        302
    );
    let page = browser.open(&stack.url("/callback?code=c&state=st")).await;
    assert_eq!(
        echoed(&page)["headers"]["kong-openidc-userinfo-email"],
        "alice@example.org"
    );
}

#[tokio::test]
async fn oxd_errors_are_502() {
    let oxd = MockServer::start().await;
    let stack = stack_with(&oxd).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": "internal"})))
        .mount(&oxd)
        .await;
    let r = Browser::default()
        .send(Method::GET, &stack.url("/x"), &[], None)
        .await;
    assert_eq!(r.status(), 502);
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        "An unexpected error ocurred"
    );
}

#[tokio::test]
async fn unreachable_oxd_is_502_not_a_hang() {
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = gone.local_addr().unwrap();
    drop(gone);
    let stack = Stack::start_with(json!({}), Some(format!("http://{addr}"))).await;
    let r = Browser::default()
        .send(Method::GET, &stack.url("/x"), &[], None)
        .await;
    assert_eq!(r.status(), 502);
}

#[tokio::test]
async fn invalid_config_is_a_schema_violation() {
    let oxd = MockServer::start().await;
    let stack = stack_with(&oxd).await;
    let mut config = stack.plugin.clone();
    config["required_acrs_expression"] = json!("[{\"path\":\"/x\"}]");
    config["max_id_token_age"] = json!(0);
    let r = http()
        .post(format!("{}/plugins", stack.gw.admin_url()))
        .json(&json!({"name": "gluu-openid-connect", "config": config}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["name"], "schema violation", "{body}");
    assert!(
        body["fields"]["config"]["required_acrs_expression"].is_string(),
        "{body}"
    );
    assert!(
        body["fields"]["config"]["max_id_token_age"].is_string(),
        "{body}"
    );
}
