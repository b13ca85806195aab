//! wiremock standing in for an OP: what oxd sends, and how OP failures become oxd errors.

use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

fn discovery(op: &MockServer) -> Value {
    let base = op.uri();
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        "registration_endpoint": format!("{base}/register"),
        "introspection_endpoint": format!("{base}/introspection"),
        "end_session_endpoint": format!("{base}/end_session"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })
}

/// A mock OP with discovery and an empty JWKS.
async fn mock_op() -> MockServer {
    let op = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(discovery(&op)))
        .mount(&op)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": []})))
        .mount(&op)
        .await;
    op
}

/// The mock OP issues `token` with `scope` for client_credentials.
async fn token_endpoint(op: &MockServer, token: &str, scope: &str) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token, "token_type": "bearer", "expires_in": 299, "scope": scope})))
        .mount(op)
        .await;
}

/// A site adopting client `c`/`s` and a protection token for it.
async fn adopted_site(oxd: &gatecheck_oxd::Handle, op: &MockServer) -> (String, String) {
    token_endpoint(op, "protection-1", "openid oxd").await;
    let reg = call(
        oxd,
        "register-site",
        None,
        json!({"op_host": op.uri(), "client_id": "c", "client_secret": "s", "redirect_uris": [CALLBACK]}),
    )
    .await
    .ok();
    let token = call(
        oxd,
        "get-client-token",
        None,
        json!({"client_id": "c", "client_secret": "s", "op_host": op.uri(), "scope": ["openid", "oxd"]}),
    )
    .await
    .ok();
    assert_eq!(token["access_token"], "protection-1");
    assert_eq!(token["scope"], json!(["openid", "oxd"]));
    assert_eq!(token["expires_in"], 299);
    (
        reg["oxd_id"].as_str().unwrap().to_owned(),
        "protection-1".to_owned(),
    )
}

#[tokio::test]
async fn registration_sends_gluu_client_metadata() {
    let op = mock_op().await;
    Mock::given(method("POST"))
        .and(path("/register"))
        .and(body_partial_json(json!({
            "redirect_uris": [CALLBACK],
            "scope": "openid oxd",
            "allow_spontaneous_scopes": true,
            "spontaneous_scopes": ["^transactions:.+$"],
            "access_token_as_jwt": true,
            "access_token_signing_alg": "RS256",
            "post_logout_redirect_uris": [LOGGED_OUT],
            "grant_types": ["client_credentials"],
            "client_name": "consumer",
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "client_id": "new-client", "client_secret": "new-secret",
            "registration_access_token": "rat", "registration_client_uri": format!("{}/register?client_id=new-client", op.uri()),
            "client_id_issued_at": 1700000000, "client_secret_expires_at": 0,
            "redirect_uris": [CALLBACK]})))
        .expect(1)
        .mount(&op)
        .await;
    let oxd = oxd().await;
    let reg = call(
        &oxd,
        "register-site",
        None,
        json!({"op_host": op.uri(), "redirect_uris": [CALLBACK], "scope": ["openid", "oxd"],
               "grant_types": ["client_credentials"], "client_name": "consumer",
               "allow_spontaneous_scopes": true, "spontaneous_scopes": ["^transactions:.+$"],
               "access_token_as_jwt": true, "access_token_signing_alg": "RS256",
               "post_logout_redirect_uris": [LOGGED_OUT]}),
    )
    .await
    .ok();
    assert_eq!(reg["client_id"], "new-client");
    assert_eq!(reg["client_secret"], "new-secret");
    assert_eq!(reg["client_registration_access_token"], "rat");
    assert_eq!(reg["client_id_issued_at"], 1700000000);
    assert_eq!(reg["op_host"], op.uri());
}

#[tokio::test]
async fn registration_refused_by_op_is_400_with_its_code() {
    let op = mock_op().await;
    Mock::given(method("POST"))
        .and(path("/register"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_client_metadata", "error_description": "bad regex"})))
        .mount(&op)
        .await;
    let oxd = oxd().await;
    let reply = call(
        &oxd,
        "register-site",
        None,
        json!({"op_host": op.uri(), "redirect_uris": [CALLBACK]}),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error(), "invalid_client_metadata");
    assert!(reply.description().contains("bad regex"));
}

#[tokio::test]
async fn introspection_uses_site_credentials_and_returns_scope_array() {
    let op = mock_op().await;
    let oxd = oxd().await;
    let (oxd_id, protection) = adopted_site(&oxd, &op).await;
    Mock::given(method("POST"))
        .and(path("/introspection"))
        .and(header("authorization", "Basic Yzpz"))
        .and(body_string_contains("token=user-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "active": true, "scope": "transactions:123 openid", "client_id": "api-consumer",
            "exp": 1900000000, "iat": 1800000000, "token_type": "bearer", "username": "admin",
            "acr_values": "otp"})))
        .expect(1)
        .mount(&op)
        .await;
    let intro = call(
        &oxd,
        "introspect-access-token",
        Some(&protection),
        json!({"oxd_id": oxd_id, "access_token": "user-token"}),
    )
    .await
    .ok();
    assert_eq!(intro["active"], true);
    assert_eq!(intro["scope"], json!(["transactions:123", "openid"]));
    assert_eq!(intro["client_id"], "api-consumer");
    assert_eq!(intro["exp"], 1900000000);
    assert_eq!(intro["username"], "admin");
    assert_eq!(intro["acr_values"], "otp");
}

#[tokio::test]
async fn discovery_is_cached_per_op() {
    let op = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(discovery(&op)))
        .expect(1)
        .mount(&op)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": []})))
        .mount(&op)
        .await;
    token_endpoint(&op, "t", "transactions:1").await;
    let oxd = oxd().await;
    // Concurrent first requests share one fetch; later ones (trailing slash or not) reuse it.
    let first = (0..4).map(|_| {
        call(
            &oxd,
            "get-client-token",
            None,
            json!({"client_id": "c", "client_secret": "s", "op_host": op.uri()}),
        )
    });
    for reply in futures::future::join_all(first).await {
        reply.ok();
    }
    call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "c", "client_secret": "s", "op_host": format!("{}/", op.uri())}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn op_down_is_500_internal_error() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let oxd = oxd().await;
    let reply = call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "c", "client_secret": "s", "op_host": format!("http://{addr}")}),
    )
    .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.error(), "internal_error");
    assert!(
        reply.description().contains("unreachable"),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn slow_op_times_out_with_500() {
    let op = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(discovery(&op))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&op)
        .await;
    let oxd = oxd_with(gatecheck_oxd::Config {
        request_timeout_secs: 1,
        ..Default::default()
    })
    .await;
    let reply = call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "c", "client_secret": "s", "op_host": op.uri()}),
    )
    .await;
    assert_eq!(reply.status, 500);
    assert!(reply.description().contains("too slow"), "{:?}", reply.body);
}

#[tokio::test]
async fn discovery_5xx_and_garbage_are_500() {
    for response in [
        ResponseTemplate::new(503).set_body_string("down for maintenance"),
        ResponseTemplate::new(200).set_body_string("{not json"),
    ] {
        let op = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(response)
            .mount(&op)
            .await;
        let oxd = oxd().await;
        let reply = call(
            &oxd,
            "get-client-token",
            None,
            json!({"client_id": "c", "client_secret": "s", "op_host": op.uri()}),
        )
        .await;
        assert_eq!(reply.status, 500, "{:?}", reply.body);
        assert_eq!(reply.error(), "internal_error");
    }
}

#[tokio::test]
async fn token_endpoint_5xx_and_malformed_json_are_500() {
    for response in [
        ResponseTemplate::new(500).set_body_string("<html>boom</html>"),
        ResponseTemplate::new(200).set_body_string("{\"access_token\": "),
        ResponseTemplate::new(503).set_body_json(json!({"error": "temporarily_unavailable"})),
    ] {
        let op = mock_op().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(response)
            .mount(&op)
            .await;
        let oxd = oxd().await;
        let reply = call(
            &oxd,
            "get-client-token",
            None,
            json!({"client_id": "c", "client_secret": "s", "op_host": op.uri()}),
        )
        .await;
        assert_eq!(reply.status, 500, "{:?}", reply.body);
        assert_eq!(reply.error(), "internal_error");
    }
}

#[tokio::test]
async fn introspection_failure_and_jwks_failure_are_500() {
    let op = mock_op().await;
    let oxd = oxd().await;
    let (oxd_id, protection) = adopted_site(&oxd, &op).await;
    Mock::given(method("POST"))
        .and(path("/introspection"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&op)
        .await;
    let reply = call(
        &oxd,
        "introspect-access-token",
        Some(&protection),
        json!({"oxd_id": oxd_id, "access_token": "t"}),
    )
    .await;
    assert_eq!(reply.status, 500);

    // JWKS is fetched fresh by get-jwks; make it fail now.
    op.reset().await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&op)
        .await;
    let reply = call(
        &oxd,
        "get-jwks",
        Some(&protection),
        json!({"op_host": op.uri()}),
    )
    .await;
    assert_eq!(reply.status, 500, "{:?}", reply.body);
    assert!(reply.description().contains("JWKS"));
}

#[tokio::test]
async fn userinfo_refusing_the_token_is_400_and_op_errors_500() {
    let op = mock_op().await;
    let oxd = oxd().await;
    let (oxd_id, protection) = adopted_site(&oxd, &op).await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .and(header("authorization", "Bearer revoked"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_token"})))
        .mount(&op)
        .await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .and(header("authorization", "Bearer good"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sub": "admin", "email": "admin@example.org", "roles": ["a", "b"]})))
        .mount(&op)
        .await;
    let reply = call(
        &oxd,
        "get-user-info",
        Some(&protection),
        json!({"oxd_id": oxd_id, "access_token": "revoked"}),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error(), "invalid_token");
    let info = call(
        &oxd,
        "get-user-info",
        Some(&protection),
        json!({"oxd_id": oxd_id, "access_token": "good"}),
    )
    .await
    .ok();
    assert_eq!(info["sub"], "admin");
    assert_eq!(info["roles"], json!(["a", "b"]));
}

#[tokio::test]
async fn expired_protection_token_is_403() {
    let op = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(discovery(&op)))
        .mount(&op)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": []})))
        .mount(&op)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "short", "token_type": "bearer", "expires_in": 0, "scope": "oxd"})))
        .mount(&op)
        .await;
    let oxd = oxd().await;
    call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "c", "client_secret": "s", "op_host": op.uri(), "scope": ["oxd"]}),
    )
    .await
    .ok();
    let reply = call(
        &oxd,
        "get-jwks",
        Some("short"),
        json!({"op_host": op.uri()}),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert!(reply.description().contains("expired"), "{:?}", reply.body);
}

#[tokio::test]
async fn endpoints_the_op_does_not_publish_are_500_naming_them() {
    let op = MockServer::start().await;
    let base = op.uri();
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })))
        .mount(&op)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": []})))
        .mount(&op)
        .await;
    let oxd = oxd().await;
    let reply = call(
        &oxd,
        "register-site",
        None,
        json!({"op_host": base, "redirect_uris": [CALLBACK]}),
    )
    .await;
    assert_eq!(reply.status, 500);
    assert!(
        reply.description().contains("registration_endpoint"),
        "{:?}",
        reply.body
    );

    let (oxd_id, protection) = adopted_site(&oxd, &op).await;
    for (command, endpoint) in [
        ("introspect-access-token", "introspection_endpoint"),
        ("get-user-info", "userinfo_endpoint"),
        ("get-logout-uri", "end_session_endpoint"),
    ] {
        let reply = call(
            &oxd,
            command,
            Some(&protection),
            json!({"oxd_id": oxd_id, "access_token": "t"}),
        )
        .await;
        assert_eq!(reply.status, 500, "{command}: {:?}", reply.body);
        assert!(
            reply.description().contains(endpoint),
            "{command}: {:?}",
            reply.body
        );
    }
}
