//! Proxy: routing, 404, strip_path/preserve_host, forwarded headers, normalised paths, 502/504.

mod common;

use common::*;
use serde_json::{json, Value};

async fn echo_json(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200, "upstream not reached");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn no_route_is_kongs_404() {
    let gw = gateway(Default::default()).await;
    let resp = client()
        .get(format!("{}/anything", gw.proxy_url()))
        .send()
        .await
        .unwrap();
    expect_message(resp, 404, "no Route matched with those values").await;
}

#[tokio::test]
async fn client_headers_with_underscores_and_a_forged_prefix_never_reach_the_upstream() {
    let up = echo().await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [
            {"name": "keep", "paths": ["/keep"], "strip_path": false},
        ]}]
    }))
    .await;
    let seen = echo_json(
        client()
            .get(format!("{}/keep/x", gw.proxy_url()))
            .header("x_user_email", "ceo@example.com")
            .header("x-forwarded-prefix", "https://evil.example")
            .header("x-user-note", "kept")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let h = &seen["headers"];
    assert!(h.get("x_user_email").is_none(), "{h}");
    assert!(h.get("x-forwarded-prefix").is_none(), "{h}");
    assert_eq!(h["x-user-note"], "kept", "ordinary headers still pass");
}

#[tokio::test]
async fn routes_by_host_path_and_method_with_kong_headers() {
    let up = echo().await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [
            {"name": "api", "url": format!("{}/base", up.url()), "routes": [
                {"name": "strip", "paths": ["/api"], "hosts": ["oauth-demo.example.com"]},
                {"name": "keep", "paths": ["/keep"], "strip_path": false, "preserve_host": true},
                {"name": "regex", "paths": ["~/items/\\d+$"], "methods": ["DELETE"]},
            ]}
        ]
    }))
    .await;
    let proxy = gw.proxy_url();
    let seen = echo_json(
        client()
            .get(format!("{proxy}/api/x?q=1"))
            .header("host", "oauth-demo.example.com")
            .header("x-forwarded-for", "10.1.1.1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(seen["path"], "/base/x");
    assert_eq!(seen["query"], "q=1");
    let h = &seen["headers"];
    assert_eq!(h["x-forwarded-for"], "10.1.1.1, 127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], "oauth-demo.example.com");
    assert_eq!(h["x-forwarded-port"], gw.proxy_addr().port().to_string());
    assert_eq!(h["x-forwarded-path"], "/api/x");
    assert_eq!(h["x-real-ip"], "127.0.0.1");
    assert_eq!(h["x-forwarded-prefix"], "/api");
    assert!(h["via"].as_str().unwrap().contains("gatecheck"));
    assert_eq!(h["host"], format!("127.0.0.1:{}", up.addr().port()));

    let wrong_host = client()
        .get(format!("{proxy}/api/x"))
        .header("host", "other.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_host.status(), 404);

    let resp = client()
        .get(format!("{proxy}/keep/y"))
        .header("host", "client.example:8000")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("x-kong-upstream-latency"));
    assert!(resp.headers().contains_key("x-kong-proxy-latency"));
    let seen = echo_json(resp).await;
    assert_eq!(seen["path"], "/base/keep/y");
    assert_eq!(seen["headers"]["host"], "client.example:8000");

    let seen = echo_json(
        client()
            .delete(format!("{proxy}/items/42"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(seen["method"], "DELETE");
    assert_eq!(
        client()
            .get(format!("{proxy}/items/42"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client()
            .delete(format!("{proxy}/items/42/x"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn upstream_receives_the_normalised_path_plugins_judged() {
    let up = echo().await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}]}]
    }))
    .await;
    // A client that sends the request target verbatim (reqwest's URL parser would resolve
    // dot-segments itself).
    let raw_client: hyper_util::client::legacy::Client<_, http_body_util::Empty<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let get = |target: &str| {
        let uri: http::Uri = format!("{}{target}", gw.proxy_url()).parse().unwrap();
        raw_client.get(uri)
    };
    for (sent, forwarded) in [
        ("/a//b/./c/../d", "/a/b/d"),
        ("/transactions/%31%32%33", "/transactions/123"),
        ("/x/%2e%2e/admin", "/admin"),
        ("/x/%2E%2E/%2e/admin/", "/admin/"),
        ("/posts%20bla?q=%2e%2e", "/posts%20bla"),
    ] {
        let resp = get(sent).await.unwrap();
        assert_eq!(resp.status(), 200, "{sent}");
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        let seen: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(seen["path"], forwarded, "{sent}");
    }
    for bad in ["/%2e%2e/etc", "/a/../../etc", "/%ff"] {
        let resp = get(bad).await.unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn bodies_stream_both_ways() {
    let up = echo().await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}]}]
    }))
    .await;
    let body = "x".repeat(300_000);
    let seen = echo_json(
        client()
            .post(format!("{}/upload", gw.proxy_url()))
            .body(body.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(seen["body"].as_str().unwrap().len(), body.len());
}

#[tokio::test]
async fn upstream_down_is_502_and_slow_upstream_is_504() {
    let closed = listener().await.local_addr().unwrap();
    let slow = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(10)),
        )
        .mount(&slow)
        .await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [
            {"name": "down", "url": format!("http://{closed}"), "routes": [{"paths": ["/down"]}]},
            {"name": "slow", "url": slow.uri(), "read_timeout": 200, "write_timeout": 100, "routes": [{"paths": ["/slow"]}]},
        ]
    }))
    .await;
    let resp = client()
        .get(format!("{}/down", gw.proxy_url()))
        .send()
        .await
        .unwrap();
    expect_message(
        resp,
        502,
        "An invalid response was received from the upstream server",
    )
    .await;
    let resp = client()
        .get(format!("{}/slow", gw.proxy_url()))
        .send()
        .await
        .unwrap();
    expect_message(resp, 504, "The upstream server is timing out").await;
}

#[tokio::test]
async fn admin_changes_apply_to_the_proxy() {
    let up = echo().await;
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    let c = client();
    c.post(format!("{admin}/services"))
        .json(&json!({"name": "s", "url": up.url()}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.get(format!("{}/r", gw.proxy_url()))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = c
        .post(format!("{admin}/services/s/routes"))
        .json(&json!({"name": "r", "paths": ["/r"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        c.get(format!("{}/r", gw.proxy_url()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    c.patch(format!("{admin}/services/s"))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.get(format!("{}/r", gw.proxy_url()))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn answers_in_the_clients_http_version_whatever_the_upstream_speaks() {
    // A bare HTTP/1.0 upstream.
    let upstream = listener().await;
    let addr = upstream.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = upstream.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(
                    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
                )
                .await;
        }
    });
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "old", "url": format!("http://{addr}"), "routes": [{"paths": ["/"]}]}]
    }))
    .await;
    let resp = client()
        .get(format!("{}/x", gw.proxy_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert_eq!(resp.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn https_only_routes_answer_kongs_upgrade_status() {
    let up = echo().await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [
            {"paths": ["/secure"], "protocols": ["https"]},
            {"paths": ["/plain"]},
        ]}]
    }))
    .await;
    let resp = client()
        .get(format!("{}/secure", gw.proxy_url()))
        .send()
        .await
        .unwrap();
    expect_message(resp, 426, "Please use HTTPS protocol").await;
    let seen = echo_json(
        client()
            .get(format!("{}/plain", gw.proxy_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(seen["path"], "/");
    assert_eq!(seen["headers"]["x-forwarded-prefix"], "/plain");
}

#[tokio::test]
async fn an_upstream_stalling_mid_body_is_cut_after_the_read_timeout() {
    let upstream = listener().await;
    let addr = upstream.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = upstream.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
                    .await;
                // ...and never the other 8 bytes.
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            });
        }
    });
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "stall", "url": format!("http://{addr}"), "read_timeout": 200,
                      "routes": [{"paths": ["/"]}]}]
    }))
    .await;
    let resp = client()
        .get(format!("{}/x", gw.proxy_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), resp.bytes())
        .await
        .expect("the gateway must not hang the client");
    assert!(
        body.is_err(),
        "a truncated body is an error, not a short success"
    );
}
