//! Seed 002 ("OAuth Spontaneous scope and API Security") end to end, in process: the reference
//! OP, oxd, the demo API and the gateway, configured through the Admin API the way the tutorial
//! (and the GG UI behind it) does.

mod common;

use common::*;
use serde_json::{json, Value};

struct Stack {
    op: gatecheck_op::Handle,
    oxd: gatecheck_oxd::Handle,
    gw: gatecheck_gateway::Handle,
    _api: gatecheck_upstream::Handle,
}

async fn oxd_call(oxd: &gatecheck_oxd::Handle, command: &str, body: Value) -> Value {
    let resp = client()
        .post(format!("{}/{command}", oxd.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{command}");
    resp.json().await.unwrap()
}

async fn admin(gw: &gatecheck_gateway::Handle, path: &str, body: Value) -> Value {
    let resp = client()
        .post(format!("{}{path}", gw.admin_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{path}");
    resp.json().await.unwrap()
}

async fn stack() -> Stack {
    let op_config = gatecheck_op::Config::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/op/op.yml"
    ))
    .unwrap();
    let op = gatecheck_op::start(op_config, listener().await)
        .await
        .unwrap();
    let oxd = gatecheck_oxd::start(gatecheck_oxd::Config::default(), listener().await)
        .await
        .unwrap();
    let api = gatecheck_upstream::start(gatecheck_upstream::App::DemoApi, listener().await)
        .await
        .unwrap();
    let gw = gateway(Default::default()).await;

    // The gateway's own OP client, adopted by oxd: the OP lets it introspect every consumer's
    // token (a dynamically registered client would only see its own).
    let site = oxd_call(
        &oxd,
        "register-site",
        json!({
            "op_host": op.issuer(),
            "client_id": "gg-gateway",
            "client_secret": "gg-gateway-secret",
            "redirect_uris": ["https://gateway.example/callback"],
            "scope": ["openid", "oxd"],
            "grant_types": ["client_credentials"],
            "client_name": "gluu-gateway",
        }),
    )
    .await;
    let plugin = json!({
        "oxd_id": site["oxd_id"], "oxd_url": oxd.url(), "client_id": site["client_id"],
        "client_secret": site["client_secret"], "op_url": op.issuer(),
    });
    admin(
        &gw,
        "/services",
        json!({"name": "oauth-demo", "url": api.url()}),
    )
    .await;
    admin(
        &gw,
        "/services/oauth-demo/routes",
        json!({"hosts": ["oauth-demo.example.com"]}),
    )
    .await;
    let mut auth = plugin.clone();
    auth["pass_credentials"] = json!("pass");
    admin(
        &gw,
        "/services/oauth-demo/plugins",
        json!({"name": "gluu-oauth-auth", "config": auth}),
    )
    .await;
    let mut pep = plugin;
    pep["deny_by_default"] = json!(true);
    pep["oauth_scope_expression"] = json!(json!([{"path": "/transactions/?", "conditions": [{
        "httpMethods": ["GET", "POST", "PUT"],
        "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["^transactions:.+$"]}}]}])
    .to_string());
    admin(
        &gw,
        "/services/oauth-demo/plugins",
        json!({"name": "gluu-oauth-pep", "config": pep}),
    )
    .await;
    admin(
        &gw,
        "/consumers",
        json!({"username": "consumer-op-client", "custom_id": "api-consumer"}),
    )
    .await;
    admin(
        &gw,
        "/consumers",
        json!({"username": "jwt-op-client", "custom_id": "jwt-consumer"}),
    )
    .await;
    Stack {
        op,
        oxd,
        gw,
        _api: api,
    }
}

async fn token(s: &Stack, client_id: &str, secret: &str, scope: &[&str]) -> String {
    // Step 1 of the tutorial: get-client-token without Authorization.
    let t = oxd_call(&s.oxd, "get-client-token", json!({
        "client_id": client_id, "client_secret": secret, "op_host": s.op.issuer(), "scope": scope,
    }))
    .await;
    t["access_token"].as_str().unwrap().to_owned()
}

async fn transactions(s: &Stack, token: Option<&str>, id: &str) -> reqwest::Response {
    let mut req = client()
        .get(format!("{}/transactions/{id}", s.gw.proxy_url()))
        .header("host", "oauth-demo.example.com")
        .header("content-type", "application/json");
    if let Some(t) = token {
        // the tutorial's python script sends a lower-case scheme
        req = req.header("authorization", format!("bearer {t}"));
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn spontaneous_scope_grants_exactly_its_transaction() {
    let s = stack().await;
    let t123 = token(
        &s,
        "api-consumer",
        "api-consumer-secret",
        &["transactions:123"],
    )
    .await;
    let resp = transactions(&s, Some(&t123), "123").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["id"], 1);
    assert!(body["title"]
        .as_str()
        .unwrap()
        .starts_with("sunt aut facere"));

    let openid_only = token(&s, "api-consumer", "api-consumer-secret", &["openid"]).await;
    expect_message(
        transactions(&s, Some(&openid_only), "123").await,
        403,
        "You are not authorized to access this resource",
    )
    .await;
    expect_message(
        transactions(&s, None, "123").await,
        401,
        "Failed to get bearer token from Authorization header",
    )
    .await;
    expect_message(
        transactions(&s, Some("not-a-token"), "123").await,
        401,
        "Invalid access token provided in Authorization header",
    )
    .await;
    let other_host = client()
        .get(format!("{}/transactions/123", s.gw.proxy_url()))
        .header("authorization", format!("Bearer {t123}"))
        .send()
        .await
        .unwrap();
    assert_eq!(other_host.status(), 404);
}

#[tokio::test]
async fn jwt_access_tokens_are_verified_with_the_ops_keys_through_oxd() {
    let s = stack().await;
    let jwt = token(
        &s,
        "jwt-consumer",
        "jwt-consumer-secret",
        &["transactions:77"],
    )
    .await;
    assert_eq!(
        jwt.split('.').count(),
        3,
        "jwt-consumer gets JWT access tokens"
    );
    assert_eq!(transactions(&s, Some(&jwt), "77").await.status(), 200);
}
