//! Header spoofing and `Connection`: a client can neither supply nor delete what the plugins
//! vouch for, and hop-by-hop fields are gone before any plugin looks at the request.

use serde_json::{json, Value};

use crate::common::*;
use crate::support::*;

const CONSUMER_ID: &str = "0b4c5fd2-9ad7-4c2e-9f5c-0a3d8e1e5f10";
const ANONYMOUS_ID: &str = "5d3b8a0e-3c9f-4b7e-8f0a-2c6d1e9b7a41";

/// Headers `gluu-oauth-auth` sets here: custom headers, the phantom token, the anonymous mark.
const VOUCHED: &[&str] = &[
    "x-consumer-id",
    "x-authenticated-scope",
    "x-oauth-client-id",
    "x-anonymous-consumer",
    "authorization",
];

struct Setup {
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
    _oxd: wiremock::MockServer,
    judged: Log,
}

async fn setup(anonymous: bool) -> Setup {
    let up = echo().await;
    let oxd = oxd().await;
    introspects(&oxd, "tok", active("client-1", &["read", "write"])).await;
    let mut auth = json!({
        "pass_credentials": "phantom_token",
        "custom_headers": [
            {"header_name": "x-consumer-id", "value_lua_exp": "consumer.id"},
            {"header_name": "x-authenticated-scope", "value_lua_exp": "introspect_data.scope", "format": "list"},
            {"header_name": "x-oauth-client-id", "value_lua_exp": "introspect_data.client_id"},
        ]
    });
    if anonymous {
        auth["anonymous"] = json!("anon");
    }
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}],
            "plugins": [{"name": "gluu-oauth-auth", "config": with(plugin_base(&oxd.uri()), auth)}]}],
        "consumers": [
            {"username": "demo", "custom_id": "client-1", "id": CONSUMER_ID},
            {"username": "anon", "id": ANONYMOUS_ID},
        ],
    }))
    .await;
    let judged = record_judged(&gw).await;
    Setup {
        gw,
        _up: up,
        _oxd: oxd,
        judged,
    }
}

/// The ways a client can list names in `Connection`.
fn connection_forms(names: &[&str]) -> Vec<Vec<String>> {
    let joined = names.join(", ");
    vec![
        vec![joined.clone()],
        vec![format!("close, {joined}")],
        vec![format!("{},keep-alive", names.join(","))],
        vec![joined.to_uppercase()],
        vec![format!(" \t{joined} \t")],
        names.iter().map(|n| (*n).to_owned()).collect(),
    ]
}

async fn upstream_headers(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["headers"].clone()
}

#[tokio::test]
async fn connection_cannot_delete_what_the_plugins_vouch_for() {
    let s = setup(false).await;
    let mut cases = 0;
    let listed = [
        "x-consumer-id",
        "x-authenticated-scope",
        "x-oauth-client-id",
        "x-anonymous-consumer",
    ];
    for n in 1..=listed.len() {
        for form in connection_forms(&listed[..n]) {
            let mut req = client()
                .get(format!("{}/x", s.gw.proxy_url()))
                .header("authorization", "Bearer tok");
            for value in &form {
                req = req.header("connection", value);
            }
            let h = upstream_headers(req.send().await.unwrap()).await;
            assert_eq!(h["x-consumer-id"], CONSUMER_ID, "{form:?}: {h}");
            assert_eq!(h["x-authenticated-scope"], "read,write", "{form:?}: {h}");
            assert_eq!(h["x-oauth-client-id"], "client-1", "{form:?}: {h}");
            let phantom = h["authorization"].as_str().unwrap_or_default();
            assert!(
                phantom.starts_with("Bearer ") && phantom.ends_with('.'),
                "{form:?}: {h}"
            );
            cases += 1;
        }
    }
    eprintln!("connection vs vouched headers: {cases} cases");
}

#[tokio::test]
async fn a_token_listed_in_connection_is_gone_before_authentication() {
    let s = setup(true).await;
    let mut cases = 0;
    for form in connection_forms(&["authorization", "x-anonymous-consumer", "x-consumer-id"]) {
        let mut req = client()
            .get(format!("{}/x", s.gw.proxy_url()))
            .header("authorization", "Bearer tok");
        for value in &form {
            req = req.header("connection", value);
        }
        // The client said its token is hop-by-hop: the plugin sees none and lets the request
        // through as the anonymous consumer, and says so.
        let h = upstream_headers(req.send().await.unwrap()).await;
        assert_eq!(h["x-anonymous-consumer"], "true", "{form:?}: {h}");
        assert_eq!(h["x-consumer-id"], ANONYMOUS_ID, "{form:?}: {h}");
        assert!(h.get("authorization").is_none(), "{form:?}: {h}");
        cases += 1;
    }
    let without = setup(false).await;
    let resp = client()
        .get(format!("{}/x", without.gw.proxy_url()))
        .header("authorization", "Bearer tok")
        .header("connection", "authorization")
        .send()
        .await
        .unwrap();
    expect_message(
        resp,
        401,
        "Failed to get bearer token from Authorization header",
    )
    .await;
    eprintln!("connection vs the token: {} cases", cases + 1);
}

#[tokio::test]
async fn client_copies_of_vouched_headers_never_reach_the_upstream() {
    let s = setup(true).await;
    let spoofs: Vec<(String, &str)> = VOUCHED
        .iter()
        .filter(|n| **n != "authorization")
        .flat_map(|n| {
            [
                ((*n).to_owned(), "spoofed"),
                (n.to_uppercase(), "spoofed"),
                (n.replace('-', "_"), "spoofed"),
            ]
        })
        .collect();
    let mut cases = 0;
    for token in [Some("tok"), None] {
        for (name, value) in &spoofs {
            let mut req = client()
                .get(format!("{}/x", s.gw.proxy_url()))
                .header(name.as_str(), *value);
            if let Some(t) = token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let h = upstream_headers(req.send().await.unwrap()).await;
            let text = h.to_string();
            assert!(!text.contains("spoofed"), "{name} ({token:?}): {h}");
            let anonymous = token.is_none();
            assert_eq!(
                h.get("x-anonymous-consumer").and_then(Value::as_str),
                anonymous.then_some("true"),
                "{name}: {h}"
            );
            cases += 1;
        }
    }
    eprintln!("spoofed vouched headers: {cases} cases");
}

#[tokio::test]
async fn hop_by_hop_fields_are_removed_before_the_plugins_run() {
    let s = setup(false).await;
    let resp = client()
        .get(format!("{}/x", s.gw.proxy_url()))
        .header("authorization", "Bearer tok")
        .header("x-case", "hop")
        .header("connection", "x-drop, keep-alive, host")
        .header("x-drop", "1")
        .header("x-keep", "1")
        .header("keep-alive", "timeout=5")
        .header("te", "trailers")
        .header("trailer", "x-late")
        .header("upgrade", "h2c")
        .header("proxy-authorization", "Basic eA==")
        .header("proxy-connection", "keep-alive")
        .send()
        .await
        .unwrap();
    let h = upstream_headers(resp).await;
    let gone = [
        "x-drop",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
    ];
    for name in gone {
        assert!(h.get(name).is_none(), "{name} reached the upstream: {h}");
    }
    assert_eq!(h["x-keep"], "1");
    assert!(h.get("host").is_some(), "Host is never hop-by-hop");
    let judged = s.judged.of("hop");
    assert_eq!(judged.len(), 1);
    for name in gone.iter().chain(&["connection"]) {
        assert!(
            !judged[0].headers.iter().any(|h| h == name),
            "a plugin saw {name}: {:?}",
            judged[0].headers
        );
    }
}

/// A spontaneous scope `transactions:1,admin` (allowed by `^transactions:.+$`) in a `list`
/// header must not read as the two scopes `transactions:1` and `admin` upstream.
#[tokio::test]
async fn a_scope_containing_the_list_separator_stays_one_item() {
    let s = setup(false).await;
    introspects(
        &s._oxd,
        "spontaneous",
        active("client-1", &["transactions:1,admin", "read"]),
    )
    .await;
    let h = upstream_headers(
        client()
            .get(format!("{}/x", s.gw.proxy_url()))
            .header("authorization", "Bearer spontaneous")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let scopes: Vec<&str> = h["x-authenticated-scope"]
        .as_str()
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(scopes, ["transactions:1%2Cadmin", "read"]);
    assert!(!scopes.contains(&"admin"));
}
