//! Every client mistake gets its 400/401/403 with the field or reason named.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn protection_token_is_required_and_checked() {
    let op = op().await;
    let oxd = oxd().await;
    let site = site(&oxd, &op.issuer()).await;
    let body = json!({"oxd_id": site.oxd_id, "access_token": "x"});

    for command in [
        "update-site",
        "remove-site",
        "get-access-token-by-refresh-token",
        "introspect-access-token",
        "get-jwks",
        "get-authorization-url",
        "get-tokens-by-code",
        "get-user-info",
        "get-logout-uri",
    ] {
        let none = call(&oxd, command, None, body.clone()).await;
        assert_eq!(none.status, 401, "{command}: {:?}", none.body);
        assert_eq!(none.error(), "blank_access_token", "{command}");
        let bad = call(&oxd, command, Some("forged"), body.clone()).await;
        assert_eq!(bad.status, 403, "{command}: {:?}", bad.body);
        assert_eq!(bad.error(), "invalid_access_token", "{command}");
    }

    // A token without the oxd scope (the tutorial's transactions token) is no protection token.
    let plain = call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "api-consumer", "client_secret": "api-consumer-secret",
               "op_host": op.issuer(), "scope": ["transactions:123"]}),
    )
    .await
    .ok();
    let reply = call(
        &oxd,
        "introspect-access-token",
        plain["access_token"].as_str(),
        body.clone(),
    )
    .await;
    assert_eq!(reply.status, 403);

    // A protection token of another client cannot act on this site.
    let foreign = call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "api-consumer", "client_secret": "api-consumer-secret",
               "op_host": op.issuer(), "scope": ["oxd"]}),
    )
    .await
    .ok();
    let reply = call(
        &oxd,
        "introspect-access-token",
        foreign["access_token"].as_str(),
        body,
    )
    .await;
    assert_eq!(reply.status, 403);
    assert!(
        reply.description().contains("api-consumer"),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn protection_can_be_switched_off() {
    let op = op().await;
    let oxd = oxd_with(gatecheck_oxd::Config {
        protect_commands_with_access_token: false,
        ..Default::default()
    })
    .await;
    let jwks = call(&oxd, "get-jwks", None, json!({"op_host": op.issuer()})).await;
    assert_eq!(jwks.status, 200);
}

#[tokio::test]
async fn missing_and_malformed_fields_are_named() {
    let op = op().await;
    let oxd = oxd().await;
    let site = site(&oxd, &op.issuer()).await;
    let t = Some(site.protection.as_str());
    let cases = [
        (
            "register-site",
            None,
            json!({"op_host": op.issuer()}),
            "bad_request_no_redirect_uris",
        ),
        (
            "register-site",
            None,
            json!({"redirect_uris": [CALLBACK]}),
            "bad_request_no_op_host",
        ),
        (
            "register-site",
            None,
            json!({"op_host": op.issuer(), "redirect_uris": ["not a url"]}),
            "invalid_request",
        ),
        (
            "register-site",
            None,
            json!({"op_host": "op.example", "redirect_uris": [CALLBACK]}),
            "invalid_request",
        ),
        (
            "register-site",
            None,
            json!({"op_host": op.issuer(), "redirect_uris": [CALLBACK], "client_id": "x"}),
            "bad_request_no_client_secret",
        ),
        (
            "get-client-token",
            None,
            json!({"client_secret": "s", "op_host": op.issuer()}),
            "bad_request_no_client_id",
        ),
        (
            "get-client-token",
            None,
            json!({"client_id": "c", "op_host": op.issuer()}),
            "bad_request_no_client_secret",
        ),
        (
            "get-client-token",
            None,
            json!({"client_id": "c", "client_secret": "s"}),
            "bad_request_no_op_host",
        ),
        (
            "get-client-token",
            None,
            json!({"client_id": "c", "client_secret": "s", "op_host": op.issuer(), "scope": 5}),
            "invalid_request",
        ),
        (
            "introspect-access-token",
            t,
            json!({"access_token": "x"}),
            "bad_request_no_oxd_id",
        ),
        (
            "introspect-access-token",
            t,
            json!({"oxd_id": site.oxd_id}),
            "bad_request_no_access_token",
        ),
        (
            "introspect-access-token",
            t,
            json!({"oxd_id": "no-such-site", "access_token": "x"}),
            "invalid_oxd_id",
        ),
        (
            "get-access-token-by-refresh-token",
            t,
            json!({"oxd_id": site.oxd_id}),
            "bad_request_no_refresh_token",
        ),
        ("get-jwks", t, json!({}), "bad_request_no_op_host"),
        (
            "get-authorization-url",
            t,
            json!({"oxd_id": site.oxd_id, "redirect_uri": "https://evil.example/cb"}),
            "invalid_request",
        ),
        (
            "get-authorization-url",
            t,
            json!({"oxd_id": site.oxd_id, "prompt": "sometimes"}),
            "invalid_request",
        ),
        (
            "get-authorization-url",
            t,
            json!({"oxd_id": site.oxd_id, "params": {"max_age": "old"}}),
            "invalid_request",
        ),
        (
            "get-authorization-url",
            t,
            json!({"oxd_id": site.oxd_id, "params": {"redirect_uri": "https://evil.example/cb"}}),
            "invalid_request",
        ),
        (
            "get-tokens-by-code",
            t,
            json!({"oxd_id": site.oxd_id, "state": "s"}),
            "bad_request_no_code",
        ),
        (
            "get-tokens-by-code",
            t,
            json!({"oxd_id": site.oxd_id, "code": "c"}),
            "bad_request_no_state",
        ),
        (
            "get-tokens-by-code",
            t,
            json!({"oxd_id": site.oxd_id, "code": "c", "state": "never-issued"}),
            "bad_state",
        ),
        (
            "get-user-info",
            t,
            json!({"oxd_id": site.oxd_id}),
            "bad_request_no_access_token",
        ),
        (
            "get-logout-uri",
            t,
            json!({"oxd_id": site.oxd_id, "id_token_hint": "garbage"}),
            "invalid_request",
        ),
        (
            "get-logout-uri",
            t,
            json!({"oxd_id": site.oxd_id, "post_logout_redirect_uri": "https://evil.example/"}),
            "invalid_request",
        ),
        (
            "update-site",
            t,
            json!({"oxd_id": site.oxd_id, "redirect_uris": []}),
            "invalid_request",
        ),
    ];
    for (command, token, body, error) in cases {
        let reply = call(&oxd, command, token, body.clone()).await;
        assert_eq!(reply.status, 400, "{command} {body}: {:?}", reply.body);
        assert_eq!(reply.error(), error, "{command} {body}: {:?}", reply.body);
        assert!(!reply.description().is_empty());
    }
}

#[tokio::test]
async fn field_of_wrong_type_is_named() {
    let oxd = oxd().await;
    let reply = call(&oxd, "get-client-token", None, json!({"client_id": ["a"]})).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.description().starts_with("client_id:"),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn body_that_is_not_json_is_400() {
    let oxd = oxd().await;
    for body in ["{", "[1,2]", "\"text\""] {
        let response = reqwest::Client::new()
            .post(format!("{}/get-client-token", oxd.url()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["error"], "invalid_request");
    }
}

#[tokio::test]
async fn readiness_and_unknown_commands() {
    let oxd = oxd().await;
    let client = reqwest::Client::new();
    let head = client.head(oxd.url()).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let health: serde_json::Value = client
        .get(format!("{}/health-check", oxd.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "running");
    let unknown = call(&oxd, "uma-rs-protect", None, json!({})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error(), "not_found");
    let get = client
        .get(format!("{}/get-client-token", oxd.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    let body: serde_json::Value = get.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
    oxd.shutdown().await;
}
