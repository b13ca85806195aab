//! Deep, wide and huge input on every proxy route kind (no plugin, `gluu-oauth-auth`,
//! `gluu-oauth-pep`, `gluu-openid-connect` with POST replay): bodies, paths, headers, cookies,
//! bearer tokens and callback queries. None is a 5xx, none kills the gateway, and a body the
//! upstream receives is the body the client sent, whole.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;
use crate::support::*;

/// Route prefixes, one per kind of plugin chain.
const ROUTES: &[&str] = &["/open", "/auth", "/pep", "/oidc"];

struct Setup {
    gw: gatecheck_gateway::Handle,
    _oxd: wiremock::MockServer,
    upstream: Log,
}

async fn setup() -> Setup {
    let (up, upstream) = recording_upstream().await;
    let oxd = oxd().await;
    introspects(&oxd, "tok", active("client-1", &["read"])).await;
    // As oxd answers for any other token.
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"active": false})))
        .with_priority(10)
        .mount(&oxd)
        .await;
    Mock::given(method("POST"))
        .and(path("/get-authorization-url"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"authorization_url": "https://op.example/authorize?state=st&nonce=nn"}),
        ))
        .mount(&oxd)
        .await;
    let auth = with(plugin_base(&oxd.uri()), json!({}));
    let pep = with(
        plugin_base(&oxd.uri()),
        json!({"oauth_scope_expression": json!([{"path": "/pep/??", "conditions": [{"httpMethods": ["?"],
            "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["read"]}}]}]).to_string()}),
    );
    let oidc = with(
        plugin_base(&oxd.uri()),
        json!({"authorization_redirect_path": "/oidc/callback", "restore_original_auth_params": true,
               "max_id_token_age": 60, "max_id_token_auth_age": 600}),
    );
    let url = format!("http://{up}");
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [
            {"name": "open", "url": url, "routes": [{"paths": ["/open"], "strip_path": false}]},
            {"name": "auth", "url": url, "routes": [{"paths": ["/auth"], "strip_path": false}],
             "plugins": [{"name": "gluu-oauth-auth", "config": auth.clone()}]},
            {"name": "pep", "url": url, "routes": [{"paths": ["/pep"], "strip_path": false}],
             "plugins": [{"name": "gluu-oauth-auth", "config": auth},
                         {"name": "gluu-oauth-pep", "config": pep}]},
            {"name": "oidc", "url": url, "routes": [{"paths": ["/oidc"], "strip_path": false}],
             "plugins": [{"name": "gluu-openid-connect", "config": oidc}]},
        ],
        "consumers": [{"username": "demo", "custom_id": "client-1"}],
    }))
    .await;
    Setup {
        gw,
        _oxd: oxd,
        upstream,
    }
}

impl Setup {
    async fn send(&self, what: &str, request: reqwest::RequestBuilder) -> u16 {
        let response = request
            .header(CASE, what)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: the gateway died: {}", e.without_url()));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status < 500,
            "{what}: {status} {}",
            text.chars().take(300).collect::<String>()
        );
        status
    }

    async fn alive(&self) {
        let r = client()
            .get(format!("{}/open/alive", self.gw.proxy_url()))
            .send()
            .await;
        assert_eq!(r.unwrap().status(), 200, "the gateway stopped answering");
    }
}

fn nested(depth: usize, open: &str, close: &str) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

#[tokio::test]
async fn huge_bodies_reach_the_upstream_whole_or_not_at_all() {
    let s = setup().await;
    let started = Instant::now();
    let body: Vec<u8> = (0..12 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut count = 0;
    for route in ROUTES {
        for (shape, bytes) in [
            ("12 MiB", body.clone()),
            ("deep JSON", nested(200_000, "[", "]").into_bytes()),
        ] {
            let what = format!("{route} {shape}");
            let status = s
                .send(
                    &what,
                    client()
                        .post(format!("{}{route}/upload", s.gw.proxy_url()))
                        .header("authorization", "Bearer tok")
                        .header("content-type", "application/json")
                        .body(bytes.clone()),
                )
                .await;
            count += 1;
            let seen = s.upstream.of(&what);
            match *route {
                // Plugins that let the request through forward it whole.
                "/open" | "/auth" | "/pep" => {
                    assert_eq!(status, 200, "{what}");
                    assert_eq!(seen.len(), 1, "{what}");
                    assert!(
                        seen[0].body == bytes,
                        "{what}: the upstream got another body"
                    );
                }
                // Not logged in: the login starts, nothing is forwarded.
                _ => {
                    assert_eq!(status, 302, "{what}");
                    assert!(seen.is_empty(), "{what}");
                }
            }
        }
    }
    s.alive().await;
    eprintln!(
        "proxy bodies: {count} huge/deep bodies in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn huge_paths_headers_cookies_tokens_and_queries_are_4xx_or_served() {
    let s = setup().await;
    let started = Instant::now();
    let junk_jwt = |header: &str, payload: &str| {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        )
    };
    let deep_header_jwt = junk_jwt(
        &format!("{{\"alg\":\"RS256\",\"kid\":{}}}", nested(20_000, "[", "]")),
        "{}",
    );
    let deep_payload_jwt = junk_jwt(
        r#"{"alg":"RS256","kid":"k1"}"#,
        &format!(
            "{{\"exp\":{}}}",
            nested(20_000, "{\"a\":", "}").replace("{}", "1")
        ),
    );
    let many_cookies = (0..3000)
        .map(|i| format!("c{i}=v"))
        .collect::<Vec<_>>()
        .join("; ");
    let long_query = (0..5_000)
        .map(|i| format!("code={i}"))
        .collect::<Vec<_>>()
        .join("&");
    let deep_query = format!("{}=1&state=st&code=c", "a[".repeat(10_000));
    let mut count = 0;
    let mut statuses = std::collections::BTreeMap::new();
    for route in ROUTES {
        let base = format!("{}{route}", s.gw.proxy_url());
        let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
            (
                "32 KiB path",
                client().get(format!("{base}/{}", "a/".repeat(16 * 1024))),
            ),
            (
                "deep dot segments",
                client().get(format!("{base}/{}", "a/../".repeat(8_000))),
            ),
            (
                "encoded slashes",
                client().get(format!("{base}/{}", "%2F%2e%2e".repeat(6_000))),
            ),
            (
                "64 KiB bearer token",
                client()
                    .get(format!("{base}/x"))
                    .header("authorization", format!("Bearer {}", "A".repeat(64 * 1024))),
            ),
            (
                "deep JWT header",
                client()
                    .get(format!("{base}/x"))
                    .header("authorization", format!("Bearer {deep_header_jwt}")),
            ),
            (
                "deep JWT payload",
                client()
                    .get(format!("{base}/x"))
                    .header("authorization", format!("Bearer {deep_payload_jwt}")),
            ),
            (
                "3000 cookies",
                client()
                    .get(format!("{base}/x"))
                    .header("cookie", many_cookies.clone()),
            ),
            (
                "200 KiB cookie",
                client()
                    .get(format!("{base}/x"))
                    .header("cookie", format!("session={}", "A".repeat(200 * 1024))),
            ),
            (
                "200 headers",
                (0..200).fold(client().get(format!("{base}/x")), |r, i| {
                    r.header(format!("x-h{i}"), "v")
                }),
            ),
            (
                "5 000 query arguments",
                client().get(format!("{base}/callback?{long_query}&state=st")),
            ),
            (
                "deep query names",
                client().get(format!("{base}/callback?{deep_query}")),
            ),
        ];
        for (shape, request) in cases {
            let status = s.send(&format!("{route} {shape}"), request).await;
            if shape.contains("token") || shape.contains("JWT") {
                // Each is a token no one issued: refused by the authenticating chains.
                if matches!(*route, "/auth" | "/pep") {
                    assert_eq!(status, 401, "{route} {shape}");
                }
            }
            *statuses.entry(status).or_insert(0u32) += 1;
            count += 1;
        }
    }
    // Larger than any client library sends: a 1 MiB request target, raw.
    for route in ROUTES {
        let raw = format!(
            "GET {route}/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "a".repeat(1024 * 1024)
        );
        let mut sock = TcpStream::connect(s.gw.proxy_addr()).await.unwrap();
        let _ = sock.write_all(raw.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = sock.read_to_end(&mut answer).await;
        let head = String::from_utf8_lossy(&answer[..answer.len().min(12)]).into_owned();
        assert!(
            head.is_empty() || head.starts_with("HTTP/1.1 4"),
            "{route} 1 MiB target: {head}"
        );
        count += 1;
    }
    s.alive().await;
    eprintln!(
        "proxy inputs: {count} huge/deep requests in {:?}, statuses {statuses:?}",
        started.elapsed()
    );
}
