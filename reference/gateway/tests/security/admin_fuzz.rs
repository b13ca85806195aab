//! Arbitrary Admin API requests (JSON, form and raw bodies on every endpoint) never kill the
//! gateway and never get a 5xx: a client's mistake is always a 4xx in Kong's JSON format.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};

use crate::common::*;

/// Field names the entity and plugin readers know, so generated bodies get past the first
/// `unknown field` and into validation.
const FIELDS: &[&str] = &[
    "name",
    "url",
    "host",
    "port",
    "path",
    "protocol",
    "paths",
    "hosts",
    "methods",
    "headers",
    "service",
    "route",
    "consumer",
    "config",
    "protocols",
    "strip_path",
    "preserve_host",
    "regex_priority",
    "path_handling",
    "tags",
    "id",
    "username",
    "custom_id",
    "enabled",
    "retries",
    "connect_timeout",
    "read_timeout",
    "write_timeout",
    "oxd_id",
    "oxd_url",
    "client_id",
    "client_secret",
    "op_url",
    "oauth_scope_expression",
    "deny_by_default",
    "custom_headers",
    "header_name",
    "value_lua_exp",
    "format",
    "sep",
    "iterate",
    "anonymous",
    "pass_credentials",
    "consumer_mapping",
    "_format_version",
    "services",
    "routes",
    "consumers",
    "plugins",
    "instance_name",
    "https_redirect_status_code",
    "authorization_redirect_path",
    "logout_path",
    "post_logout_redirect_path_or_url",
    "requested_scopes",
    "required_acrs_expression",
];

const PLUGINS: &[&str] = &[
    "gluu-oauth-auth",
    "gluu-oauth-pep",
    "gluu-openid-connect",
    "acl",
    "x",
];

const PATHS: &[&str] = &[
    "/",
    "/status",
    "/config",
    "/plugins/enabled",
    "/services",
    "/routes",
    "/consumers",
    "/plugins",
    "/services/s",
    "/routes/r",
    "/consumers/c",
    "/services/s/routes",
    "/services/s/plugins",
    "/routes/r/plugins",
    "/services/nope/routes",
    "/upstreams",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
        1 => "[ -~]{0,8}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[ -~]{0,16}".prop_map(Value::String),
        proptest::sample::select(PLUGINS).prop_map(|s| json!(s)),
        proptest::sample::select(
            &[
                "/",
                "/a",
                "~/x/\\d+",
                "http://127.0.0.1:9",
                "GET",
                "a.example",
                "3.0",
                "*.x",
                "[",
                "{"
            ][..]
        )
        .prop_map(|s| json!(s)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(key(), value(), 0..8)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

/// `a.b[1][]=v&...` with names built from field names, brackets, dots and indexes.
fn form() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        key().prop_map(|k| url::form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()),
        Just("[]".to_owned()),
        (0u32..2000).prop_map(|n| format!("[{n}]")),
        Just(".".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
    ];
    let name = proptest::collection::vec(part, 1..8).prop_map(|p| p.concat());
    let arg = (name, "[ -~]{0,10}").prop_map(|(n, v)| {
        format!(
            "{n}={}",
            url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
        )
    });
    proptest::collection::vec(arg, 0..12).prop_map(|a| a.join("&"))
}

/// Valid entities with a few fields changed, so many calls get past validation.
fn near_valid() -> impl Strategy<Value = (&'static str, Value)> {
    let base = json!({"oxd_id": "o", "oxd_url": "http://127.0.0.1:9", "client_id": "c",
                      "client_secret": "s", "op_url": "https://op.example"});
    let templates = vec![
        ("/services", json!({"url": "http://127.0.0.1:9/x"})),
        ("/services/s/routes", json!({"paths": ["/p"]})),
        (
            "/routes",
            json!({"paths": ["/q"], "service": {"name": "s"}}),
        ),
        ("/consumers", json!({"custom_id": "x"})),
        (
            "/routes/r/plugins",
            json!({"name": "gluu-oauth-auth", "config": base.clone()}),
        ),
        (
            "/services/s/plugins",
            json!({"name": "gluu-oauth-pep", "config": base.clone()}),
        ),
        (
            "/plugins",
            json!({"name": "gluu-openid-connect", "config": base}),
        ),
    ];
    (
        proptest::sample::select(templates),
        proptest::collection::vec((key(), value()), 0..3),
        proptest::collection::vec((key(), value()), 0..3),
        "[a-z]{1,6}",
    )
        .prop_map(|((path, mut entity), top, config, name)| {
            let name_field = if path == "/consumers" {
                "username"
            } else {
                "name"
            };
            if entity.get("name").is_none() || path == "/consumers" {
                entity[name_field] = json!(name);
            }
            for (k, v) in top {
                entity[k] = v;
            }
            if let Some(c) = entity.get_mut("config").and_then(Value::as_object_mut) {
                for (k, v) in config {
                    c.insert(k, v);
                }
            }
            (path, entity)
        })
}

#[derive(Debug, Clone)]
struct Call {
    method: &'static str,
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
}

fn call() -> impl Strategy<Value = Call> {
    let method = prop_oneof![
        4 => Just("POST"),
        2 => Just("PATCH"),
        2 => Just("PUT"),
        1 => Just("GET"),
        1 => Just("DELETE"),
    ];
    let path = prop_oneof![
        4 => proptest::sample::select(PATHS).prop_map(str::to_owned),
        1 => proptest::collection::vec("[a-zA-Z0-9%._~-]{1,8}", 1..4)
            .prop_map(|s| format!("/{}", s.join("/"))),
        1 => (proptest::sample::select(PATHS), "[a-z0-9%=&!]{0,20}")
            .prop_map(|(p, q)| format!("{p}?{q}")),
    ];
    let body = prop_oneof![
        3 => (object(), Just("application/json")).prop_map(|(v, ct)| (v.to_string().into_bytes(), ct)),
        1 => (value(), Just("application/json")).prop_map(|(v, ct)| (v.to_string().into_bytes(), ct)),
        3 => (form(), Just("application/x-www-form-urlencoded")).prop_map(|(f, ct)| (f.into_bytes(), ct)),
        1 => (proptest::collection::vec(any::<u8>(), 0..64),
              proptest::sample::select(&["application/json", "", "text/yaml", "application/x-www-form-urlencoded"][..]))
            .prop_map(|(b, ct)| (b, ct)),
        1 => object().prop_map(|v| (serde_yaml::to_string(&v).unwrap_or_default().into_bytes(), "text/yaml")),
    ];
    let arbitrary = (method, path, body).prop_map(|(method, path, (body, content_type))| Call {
        method,
        path,
        content_type,
        body,
    });
    let creates = near_valid().prop_map(|(path, entity)| Call {
        method: "POST",
        path: path.to_owned(),
        content_type: "application/json",
        body: entity.to_string().into_bytes(),
    });
    prop_oneof![2 => arbitrary, 1 => creates]
}

async fn check(admin: &str, c: Call) -> Result<u16, TestCaseError> {
    let resp = client()
        .request(c.method.parse().unwrap(), format!("{admin}{}", c.path))
        .header("content-type", c.content_type)
        .body(c.body.clone())
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("the Admin API died: {e}")))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    prop_assert!(status < 500, "{} {}: {status} {text}", c.method, c.path);
    if status != 204 {
        let body: Result<Value, _> = serde_json::from_str(&text);
        prop_assert!(body.is_ok(), "{} {}: not JSON: {text}", c.method, c.path);
    }
    Ok(status)
}

#[test]
fn arbitrary_admin_requests_never_5xx_and_never_kill_the_gateway() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let gw = rt.block_on(gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "s", "url": "http://127.0.0.1:9",
                      "routes": [{"name": "r", "paths": ["/r"]}]}],
        "consumers": [{"username": "c"}],
    })));
    let admin = gw.admin_url();
    let cases = 1000;
    let statuses = std::sync::Mutex::new(BTreeMap::<u16, u32>::new());
    let started = std::time::Instant::now();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&call(), |c| {
            let status = rt.block_on(check(&admin, c))?;
            *statuses.lock().unwrap().entry(status).or_default() += 1;
            Ok(())
        })
        .unwrap();
    let alive = rt.block_on(client().get(format!("{admin}/status")).send());
    assert_eq!(alive.unwrap().status(), 200);
    eprintln!(
        "admin fuzz: {cases} cases in {:?}, statuses {:?}",
        started.elapsed(),
        statuses.lock().unwrap()
    );
}
