//! Shared test helpers: an in-process gateway, the echo upstream, a wiremock oxd.
#![allow(dead_code)]

use serde_json::{json, Value};
use tokio::net::TcpListener;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub mod jwt;
pub mod oidc_provider;
pub mod openid_connect;
pub mod redis_server;

pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

pub async fn gateway(config: gatecheck_gateway::Config) -> gatecheck_gateway::Handle {
    gatecheck_gateway::start(config, listener().await, listener().await)
        .await
        .unwrap()
}

/// A gateway running the declarative document `doc`.
pub async fn gateway_with(doc: Value) -> gatecheck_gateway::Handle {
    gateway(gatecheck_gateway::Config {
        declarative_config_string: Some(doc),
        plugin_http_timeout_ms: 2000,
        ..Default::default()
    })
    .await
}

pub async fn echo() -> gatecheck_upstream::Handle {
    gatecheck_upstream::start(gatecheck_upstream::App::Echo, listener().await)
        .await
        .unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A wiremock oxd answering `/get-client-token` with a protection token.
pub async fn oxd() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/get-client-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "protection-token", "expires_in": 3600, "scope": ["openid", "oxd"]
        })))
        .mount(&server)
        .await;
    server
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The plugin fields every GG plugin needs.
pub fn plugin_base(oxd_url: &str) -> serde_json::Map<String, Value> {
    let Value::Object(m) = json!({
        "oxd_id": "oxd-id-1", "oxd_url": oxd_url, "client_id": "gg-client",
        "client_secret": "gg-secret", "op_url": "https://op.example"
    }) else {
        unreachable!()
    };
    m
}

/// `base` plus `extra` fields.
pub fn with(mut base: serde_json::Map<String, Value>, extra: Value) -> Value {
    if let Value::Object(e) = extra {
        base.extend(e);
    }
    Value::Object(base)
}

/// The JSON error body a Kong plugin sends.
pub async fn expect_message(resp: reqwest::Response, status: u16, message: &str) {
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body = resp.text().await.unwrap();
    assert_eq!(body, json!({ "message": message }).to_string());
}

/// oxd answers `/introspect-access-token` for `token` (asked with the protection token of
/// [`oxd`] for the site of [`plugin_base`]) with `response`.
pub async fn introspects(oxd: &MockServer, token: &str, response: Value) {
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .and(header("authorization", "Bearer protection-token"))
        .and(body_partial_json(
            json!({"oxd_id": "oxd-id-1", "access_token": token}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(response))
        .mount(oxd)
        .await;
}

/// An active bearer token's introspection response, valid for an hour.
pub fn active(client_id: &str, scopes: &[&str]) -> Value {
    json!({"active": true, "client_id": client_id, "scope": scopes, "exp": now() + 3600, "iat": now(), "token_type": "bearer"})
}
