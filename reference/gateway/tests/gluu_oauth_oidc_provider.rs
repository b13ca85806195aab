//! Gluu Gateway's `gluu-oauth-auth` + `gluu-oauth-pep` through gatecheck's oxd against an
//! independent, standard OP: node `oidc-provider` (see `common/oidc_provider.rs`). oxd adopts
//! oidc-provider's client `rp` as the gateway's site (`register-site` with its id and secret)
//! and introspects the consumers' tokens at oidc-provider's RFC 7662 endpoint.
//!
//! The one Gluu-specific assumption that breaks: the protection token must carry the `oxd`
//! scope, which only Gluu Server offers. Against an OP without it the gateway fails at once
//! naming what the OP lacks (`plugins/oxd.rs`), rather than having every oxd command refused;
//! with oidc-provider offering a scope `oxd` (`OXD_SCOPE=on`) the tutorial's flow works.
//! Skipped with a message naming what is missing when node or the pinned package is not
//! installed.

mod common;

use common::oidc_provider::{self, Node};
use common::{client, expect_message, listener};
use serde_json::{json, Value};

struct Stack {
    _node: Node,
    issuer: String,
    gw: gatecheck_gateway::Handle,
    _oxd: gatecheck_oxd::Handle,
    _api: gatecheck_upstream::Handle,
}

async fn post(url: String, body: Value) -> (u16, Value) {
    let r = client().post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// oidc-provider (with Gluu's `oxd` scope when `oxd_scope`), oxd, the demo API and the
/// gateway with the seed-002 tutorial's plugins, the pep asking for the scope `email` on
/// `/transactions`. `None`: skipped.
async fn stack(oxd_scope: bool) -> Option<Stack> {
    let (node, issuer) = match oidc_provider::start(&[
        ("REDIRECT_URI", "https://gateway.example/callback".into()),
        ("INTROSPECTION", "on".into()),
        ("CLIENT_CREDENTIALS", "on".into()),
        ("OXD_SCOPE", if oxd_scope { "on" } else { "off" }.into()),
    ]) {
        Ok(x) => x,
        Err(why) => {
            eprintln!("SKIPPED: gluu-oauth-auth/pep against node oidc-provider: {why}");
            return None;
        }
    };
    let oxd = gatecheck_oxd::start(gatecheck_oxd::Config::default(), listener().await)
        .await
        .unwrap();
    let api = gatecheck_upstream::start(gatecheck_upstream::App::DemoApi, listener().await)
        .await
        .unwrap();
    let gw = common::gateway(Default::default()).await;
    let (status, site) = post(
        format!("{}/register-site", oxd.url()),
        json!({"op_host": issuer, "client_id": "rp", "client_secret": "rp-secret",
            "redirect_uris": ["https://gateway.example/callback"], "scope": ["openid", "oxd"],
            "grant_types": ["client_credentials"], "client_name": "gluu-gateway"}),
    )
    .await;
    assert_eq!(status, 200, "register-site: {site}");
    let plugin = json!({"oxd_id": site["oxd_id"], "oxd_url": oxd.url(), "client_id": "rp",
        "client_secret": "rp-secret", "op_url": issuer});
    let admin = gw.admin_url();
    for (path, body) in [
        ("/services", json!({"name": "oauth-demo", "url": api.url()})),
        (
            "/services/oauth-demo/routes",
            json!({"hosts": ["oauth-demo.example.com"]}),
        ),
        (
            "/services/oauth-demo/plugins",
            json!({"name": "gluu-oauth-auth", "config": plugin}),
        ),
        (
            "/services/oauth-demo/plugins",
            json!({"name": "gluu-oauth-pep", "config": {
                "oxd_id": site["oxd_id"], "oxd_url": oxd.url(), "client_id": "rp",
                "client_secret": "rp-secret", "op_url": issuer, "deny_by_default": true,
                "oauth_scope_expression": json!([{"path": "/transactions/?", "conditions": [{
                    "httpMethods": ["GET"],
                    "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["email"]}}]}])
                    .to_string()}}),
        ),
        // The consumer of the OP client the tokens belong to (GG maps client_id → custom_id).
        (
            "/consumers",
            json!({"username": "rp-client", "custom_id": "rp"}),
        ),
    ] {
        let (status, body) = post(format!("{admin}{path}"), body).await;
        assert_eq!(status, 201, "{path}: {body}");
    }
    Some(Stack {
        _node: node,
        issuer,
        gw,
        _oxd: oxd,
        _api: api,
    })
}

/// A client_credentials token of `rp` with `scope`, straight from oidc-provider.
async fn token(s: &Stack, scope: &str) -> String {
    let answer: Value = client()
        .post(format!("{}/token", s.issuer))
        .basic_auth("rp", Some("rp-secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {answer}"))
        .to_owned()
}

async fn transactions(s: &Stack, token: Option<&str>) -> reqwest::Response {
    let mut req = client()
        .get(format!("{}/transactions/1", s.gw.proxy_url()))
        .header("host", "oauth-demo.example.com");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn gluu_oauth_auth_and_pep_judge_node_oidc_providers_tokens_through_oxd() {
    let Some(s) = stack(true).await else { return };
    let email = token(&s, "openid email").await;
    let r = transactions(&s, Some(&email)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["id"], 1);
    // Introspected at oidc-provider, the scope decides.
    let openid = token(&s, "openid").await;
    expect_message(
        transactions(&s, Some(&openid)).await,
        403,
        "You are not authorized to access this resource",
    )
    .await;
    expect_message(
        transactions(&s, None).await,
        401,
        "Failed to get bearer token from Authorization header",
    )
    .await;
    expect_message(
        transactions(&s, Some("not-a-token-of-this-op")).await,
        401,
        "Invalid access token provided in Authorization header",
    )
    .await;
}

#[tokio::test]
async fn an_op_without_glus_oxd_scope_fails_at_the_protection_token_not_per_request() {
    let Some(s) = stack(false).await else { return };
    // oidc-provider drops the unknown `oxd` scope from the protection token; the gateway stops
    // there (its log names the missing scope) with GG's 502 for an oxd failure, and a
    // valid consumer token never reaches introspection with a token oxd would refuse.
    let email = token(&s, "openid email").await;
    let r = transactions(&s, Some(&email)).await;
    assert_eq!(r.status(), 502);
}
