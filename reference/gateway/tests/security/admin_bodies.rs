//! Admin API bodies an attacker controls: nesting, argument count, size, parser limits.

use serde_json::{json, Value};

use crate::common::*;

/// Every Admin API call that reads a body, on a gateway holding one service `s` and route `r`.
const WRITES: &[(&str, &str)] = &[
    ("POST", "/services"),
    ("POST", "/routes"),
    ("POST", "/consumers"),
    ("POST", "/plugins"),
    ("POST", "/services/s/routes"),
    ("POST", "/services/s/plugins"),
    ("POST", "/routes/r/plugins"),
    ("PATCH", "/services/s"),
    ("PATCH", "/routes/r"),
    ("PUT", "/services/s2"),
    ("PUT", "/consumers/c2"),
];

async fn seeded() -> gatecheck_gateway::Handle {
    gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "s", "url": "http://127.0.0.1:9", "routes": [{"name": "r", "paths": ["/r"]}]}]
    }))
    .await
}

async fn send(
    gw: &gatecheck_gateway::Handle,
    method: &str,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let resp = client()
        .request(method.parse().unwrap(), format!("{}{path}", gw.admin_url()))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: the Admin API died: {e}"));
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// The gateway still answers on both listeners.
async fn alive(gw: &gatecheck_gateway::Handle) {
    let status = client()
        .get(format!("{}/status", gw.admin_url()))
        .send()
        .await
        .expect("the Admin API is gone");
    assert_eq!(status.status(), 200);
    let proxy = client()
        .get(format!("{}/nowhere", gw.proxy_url()))
        .send()
        .await
        .expect("the proxy is gone");
    assert_eq!(proxy.status(), 404);
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn form_fields_nested_thousands_deep_are_refused_and_the_gateway_lives() {
    let gw = seeded().await;
    let brackets = format!("name=x&tags{}=x", "[]".repeat(10_000));
    let dots = format!("name=x&config{}=x", ".a".repeat(10_000));
    let indexes = format!("name=x&paths{}=x", "[1]".repeat(10_000));
    let mut cases = 0;
    for body in [&brackets, &dots, &indexes] {
        for (method, path) in WRITES {
            let (status, reply) = send(
                &gw,
                method,
                path,
                "application/x-www-form-urlencoded",
                body.clone(),
            )
            .await;
            assert_eq!(status, 400, "{method} {path}: {reply}");
            assert!(
                message(&reply).contains("nested deeper than"),
                "{method} {path}: {reply}"
            );
            cases += 1;
        }
        let form = format!("config={}", urlencode(body));
        let (status, _) = send(
            &gw,
            "POST",
            "/config",
            "application/x-www-form-urlencoded",
            format!("{form}&{body}"),
        )
        .await;
        assert_eq!(status, 400, "/config");
        cases += 1;
    }
    alive(&gw).await;
    eprintln!("deep form bodies: {cases} cases");
}

#[tokio::test]
async fn nesting_within_the_bound_still_parses() {
    let gw = seeded().await;
    let (status, reply) = send(
        &gw,
        "POST",
        "/services",
        "application/x-www-form-urlencoded",
        "name=ok&url=http://127.0.0.1:9&tags[]=a&tags[]=b",
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["tags"], json!(["a", "b"]));
    // 32 levels are allowed; the entity then refuses the unknown field in Kong's words.
    let (status, reply) = send(
        &gw,
        "POST",
        "/services",
        "application/x-www-form-urlencoded",
        format!("name=deep&host=h&extra{}=x", ".a".repeat(31)),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["fields"]["extra"], "unknown field", "{reply}");
}

#[tokio::test]
async fn more_than_a_thousand_form_arguments_is_kongs_too_many_arguments() {
    let gw = seeded().await;
    let many: Vec<String> = (0..1001).map(|i| format!("tags={i}")).collect();
    let body = format!("name=wide&host=h&{}", many.join("&"));
    for (method, path) in WRITES {
        let (status, reply) = send(
            &gw,
            method,
            path,
            "application/x-www-form-urlencoded",
            body.clone(),
        )
        .await;
        assert_eq!(status, 400, "{method} {path}: {reply}");
        assert_eq!(reply, json!({"message": "Too many arguments"}));
    }
    // Big indexes would allocate their padding: bounded too.
    let padded: Vec<String> = (0..200).map(|i| format!("a{i}[1000][1000]=x")).collect();
    let (status, reply) = send(
        &gw,
        "POST",
        "/services",
        "application/x-www-form-urlencoded",
        padded.join("&"),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply, json!({"message": "Too many arguments"}));
    // The same bound on query arguments.
    let query: Vec<String> = (0..1001).map(|i| format!("a{i}=1")).collect();
    let resp = client()
        .get(format!("{}/services?{}", gw.admin_url(), query.join("&")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"message": "Too many arguments"})
    );
    alive(&gw).await;
}

/// `[[[...` / `{"a":{"a":...` a hundred thousand deep, as JSON and as YAML, and YAML whose
/// aliases expand exponentially.
fn deep_documents() -> Vec<(&'static str, String)> {
    let n = 100_000;
    let billion_laughs = {
        let mut doc = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names: Vec<char> = ('b'..='j').collect();
        let mut prev = 'a';
        for c in names {
            doc.push_str(&format!(
                "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
            prev = c;
        }
        doc
    };
    vec![
        ("json arrays", "[".repeat(n)),
        ("json objects", "{\"a\":".repeat(n)),
        (
            "json arrays, closed",
            format!("{}{}", "[".repeat(n), "]".repeat(n)),
        ),
        ("yaml flow", format!("{}{}", "[".repeat(n), "]".repeat(n))),
        (
            "yaml block",
            (0..1_500)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>(),
        ),
        ("yaml aliases", billion_laughs),
        // Just under serde's recursion limit: must parse or be refused, never crash.
        (
            "json 127 deep",
            format!("{}{}", "[".repeat(127), "]".repeat(127)),
        ),
        (
            "yaml 127 deep",
            format!(
                "_format_version: \"3.0\"\n_comment: {}{}\n",
                "[".repeat(126),
                "]".repeat(126)
            ),
        ),
    ]
}

#[tokio::test]
async fn deep_json_and_yaml_documents_are_refused_on_every_endpoint() {
    let gw = seeded().await;
    let mut cases = 0;
    for (what, doc) in deep_documents() {
        for (method, path) in WRITES.iter().chain(&[("POST", "/config")]) {
            for content_type in ["application/json", "", "text/yaml"] {
                let (status, reply) = send(&gw, method, path, content_type, doc.clone()).await;
                // Within the parsers' limit a document may be valid; beyond it, a 4xx.
                let refused = (400..500).contains(&status);
                assert!(
                    refused || (what.contains("127") && status < 300),
                    "{what} {method} {path} ({content_type}): {status} {reply}"
                );
                assert!(
                    reply.is_object(),
                    "{what}: Kong's JSON error body, got {reply}"
                );
                cases += 1;
            }
        }
        let form = format!("config={}", urlencode(&doc));
        let (status, reply) = send(
            &gw,
            "POST",
            "/config",
            "application/x-www-form-urlencoded",
            form,
        )
        .await;
        let refused = (400..500).contains(&status);
        assert!(
            refused || (what.contains("127") && status < 300),
            "{what} /config form: {status} {reply}"
        );
        cases += 1;
    }
    alive(&gw).await;
    eprintln!("deep JSON/YAML documents: {cases} cases");
}

#[tokio::test]
async fn deeply_nested_plugin_configs_and_expressions_are_refused_or_accepted_never_fatal() {
    let gw = seeded().await;
    // A JSON-logic scope expression nested as deep as JSON allows.
    let mut logic = json!({"var": 0});
    for _ in 0..60 {
        logic = json!({"and": [logic, {"var": 0}]});
    }
    let expression = json!([{"path": "/x", "conditions": [{"httpMethods": ["GET"],
        "scope_expression": {"rule": logic, "data": ["a"]}}]}]);
    let config = json!({"oxd_id": "o", "oxd_url": "http://127.0.0.1:9", "client_id": "c",
        "client_secret": "s", "op_url": "https://op", "oauth_scope_expression": expression});
    for body in [
        json!({"name": "gluu-oauth-pep", "config": config}),
        json!({"name": "gluu-oauth-pep", "config": {"oauth_scope_expression": expression.to_string()}}),
    ] {
        let (status, reply) = send(
            &gw,
            "POST",
            "/routes/r/plugins",
            "application/json",
            body.to_string(),
        )
        .await;
        assert!(status == 201 || status == 400, "{status} {reply}");
        if status == 201 {
            let id = reply["id"].as_str().unwrap();
            let del = client()
                .delete(format!("{}/plugins/{id}", gw.admin_url()))
                .send()
                .await
                .unwrap();
            assert_eq!(del.status(), 204);
        }
    }
    alive(&gw).await;
}

#[tokio::test]
async fn bodies_over_ten_megabytes_are_413_in_kongs_format() {
    let gw = seeded().await;
    let huge = vec![b'a'; 10 * 1024 * 1024 + 1];
    for (method, path) in WRITES.iter().chain(&[("POST", "/config")]) {
        let (status, reply) = send(&gw, method, path, "application/json", huge.clone()).await;
        assert_eq!(status, 413, "{method} {path}");
        assert_eq!(reply, json!({"message": "Payload too large"}));
    }
    // A declarative config of a few megabytes is still taken.
    let services: Vec<Value> = (0..5_000)
        .map(|i| json!({"name": format!("svc-{i}"), "url": "http://127.0.0.1:9", "tags": ["x".repeat(500)]}))
        .collect();
    let doc = json!({"_format_version": "3.0", "services": services}).to_string();
    assert!(
        doc.len() > 2 * 1024 * 1024,
        "a document past axum's default limit"
    );
    let (status, reply) = send(&gw, "POST", "/config", "application/json", doc).await;
    assert_eq!(status, 201, "{reply}");
    alive(&gw).await;
}

fn offset_of(n: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n)
}

#[tokio::test]
async fn offsets_that_overflow_are_invalid_offset_never_a_page() {
    let gw = seeded().await;
    for n in [
        usize::MAX.to_string(),
        (usize::MAX - 50).to_string(),
        "18446744073709551616".to_owned(),
        "99999999999999999999999999".to_owned(),
        "-1".to_owned(),
    ] {
        for collection in [
            "/services",
            "/routes",
            "/services/s/routes",
            "/routes/r/plugins",
        ] {
            let resp = client()
                .get(format!(
                    "{}{collection}?offset={}",
                    gw.admin_url(),
                    offset_of(&n)
                ))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{collection} offset {n}: the Admin API died: {e}"));
            assert_eq!(resp.status(), 400, "{collection} offset {n}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["code"], 7, "{body}");
            assert_eq!(body["name"], "invalid offset", "{body}");
        }
    }
    // An offset past the end (the list shrank since it was issued) is an empty last page.
    let resp = client()
        .get(format!(
            "{}/services?offset={}",
            gw.admin_url(),
            offset_of("5000")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"data": [], "next": null})
    );
    alive(&gw).await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
