//! The set-up every `openid-connect` test shares: a wiremock IdP publishing discovery and the
//! test key ([`super::jwt`]), a gateway running the plugin on a service `api` at `/` with a
//! manual clock, and the small request/URL helpers the tests read their answers with.

use std::sync::Arc;

use gatecheck_gateway::clock::ManualClock;
use reqwest::header::SET_COOKIE;
use serde_json::{json, Value};
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::jwt::{jwk, keys};
use super::{client, listener};

/// alex / doe as HTTP Basic credentials (the password grant's).
pub const ALEX: &str = "Basic YWxleDpkb2U=";

/// `patch`'s fields over `base`'s (both JSON objects; a shallow merge, as Kong's config
/// patches are).
pub fn merged(mut base: Value, patch: &Value) -> Value {
    if let (Some(b), Some(p)) = (base.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// The plugin's client of the wiremock IdP at `issuer` (`kong` / `secret`, sent in the body),
/// with `patch`'s fields over it.
pub fn kong_client(issuer: &str, timeout_ms: u64, patch: &Value) -> Value {
    merged(
        json!({"issuer": issuer, "client_id": ["kong"], "client_secret": ["secret"],
               "client_auth": ["client_secret_post"], "timeout": timeout_ms}),
        patch,
    )
}

/// A wiremock IdP whose discovery names its JWKS (the test key as `k1`) and, for each of
/// `endpoints` (`token`, `introspection`, `userinfo`, ...), `{name}_endpoint` at `/{name}`
/// except `introspection`, served at `/introspect`. Tests mount the endpoints' answers.
pub async fn mock_idp(endpoints: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    let base = server.uri();
    let mut discovery = json!({"issuer": base, "jwks_uri": format!("{base}/jwks")});
    for name in endpoints {
        let at = if *name == "introspection" {
            "introspect"
        } else {
            name
        };
        discovery[format!("{name}_endpoint")] = json!(format!("{base}/{at}"));
    }
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(discovery))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"keys": [jwk(&keys().good, "k1")]})),
        )
        .mount(&server)
        .await;
    server
}

/// How many requests the IdP received at `p`.
pub async fn calls(idp: &MockServer, p: &str) -> usize {
    idp.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == p)
        .count()
}

/// The declarative document of one service `api` (to `upstream`, every path) running
/// `openid-connect` with `config`, plus `extra` top-level entities (consumers, groups, ...).
pub fn plugin_doc(upstream: &str, config: Value, extra: &Value) -> Value {
    merged(
        json!({
            "_format_version": "3.0",
            "services": [{"name": "api", "url": upstream, "routes": [{"paths": ["/"]}],
                          "plugins": [{"name": "openid-connect", "config": config}]}],
        }),
        extra,
    )
}

/// A gateway running the declarative document `doc` on `clock`.
pub async fn gateway_on_clock(doc: Value, clock: &ManualClock) -> gatecheck_gateway::Handle {
    gatecheck_gateway::start_with_clock(
        gatecheck_gateway::Config {
            declarative_config_string: Some(doc),
            ..Default::default()
        },
        listener().await,
        listener().await,
        Arc::new(clock.clone()),
    )
    .await
    .unwrap()
}

/// GET `path` through the gateway with `headers`, redirects not followed.
pub async fn get(
    gw: &gatecheck_gateway::Handle,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client().get(format!("{}{path}", gw.proxy_url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// The request headers the echo upstream received (the response must be its 200).
pub async fn upstream_headers(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["headers"].clone()
}

/// The first value of the query parameter `name`.
pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The whole `Set-Cookie` for `name` (attributes included), if any.
pub fn set_cookie_header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The `name=value` of the `Set-Cookie` for `name`, if any (an empty value is a deletion).
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    set_cookie_header(r, name).map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// The `name=value` pairs of the response's non-empty `Set-Cookie`s, as a `Cookie` header.
pub fn cookies(r: &reqwest::Response) -> String {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|p| p.split_once('=').is_some_and(|(_, v)| !v.is_empty()))
        .collect::<Vec<_>>()
        .join("; ")
}
