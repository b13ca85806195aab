//! Deep and huge input on every endpoint that parses it: form bodies, JSON bodies, query
//! strings. The answer is a 4xx naming the problem (or a normal answer), never a 5xx, never a
//! crash: after every case the OP still serves discovery.

use crate::common::*;
use crate::report;

/// Endpoints that read a form body, and those that read a JSON body.
const FORM_POSTS: &[&str] = &[
    "/oxauth/restv1/token",
    "/oxauth/restv1/authorize",
    "/oxauth/restv1/userinfo",
    "/oxauth/restv1/introspection",
    "/oxauth/restv1/revoke",
    "/oxauth/restv1/end_session",
    "/oxauth/interaction/unknown/login",
    "/oxauth/interaction/unknown/otp",
    "/oxauth/interaction/unknown/enroll",
    "/oxauth/interaction/unknown/consent",
];
const QUERY_GETS: &[&str] = &[
    "/oxauth/restv1/authorize",
    "/oxauth/restv1/introspection",
    "/oxauth/restv1/end_session",
    "/oxauth/restv1/register",
    "/oxauth/restv1/userinfo",
    "/.well-known/openid-configuration",
    "/oxauth/interaction/unknown",
];

fn nested_json(depth: usize, open: &str, close: &str, leaf: &str) -> String {
    format!("{}{leaf}{}", open.repeat(depth), close.repeat(depth))
}

/// Bodies that stress a form parser.
fn form_bodies() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        (
            "100k keys".into(),
            (0..100_000)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes(),
        ),
        (
            "one key repeated".into(),
            "a=1&".repeat(50_000).into_bytes(),
        ),
        (
            "deep bracket key".into(),
            format!("{}=x", "a[b]".repeat(20_000)).into_bytes(),
        ),
        (
            "deep dotted key".into(),
            format!("{}=x", "a.".repeat(20_000)).into_bytes(),
        ),
        (
            "bracket soup".into(),
            format!("tags{}=x", "[]".repeat(20_000)).into_bytes(),
        ),
        (
            "1 MiB value".into(),
            format!("grant_type={}", "x".repeat(1 << 20)).into_bytes(),
        ),
        (
            "3 MiB value".into(),
            format!("token={}", "x".repeat(3 << 20)).into_bytes(),
        ),
        (
            "invalid UTF-8".into(),
            b"grant_type=\xff\xfe&token=\xc3\x28".to_vec(),
        ),
        (
            "NUL bytes".into(),
            b"grant_type=client_credentials\x00&client_id=\x00".to_vec(),
        ),
        (
            "bad percent escapes".into(),
            b"grant_type=%zz%&token=%".to_vec(),
        ),
        (
            "only separators".into(),
            "&&&===&=&".repeat(10_000).into_bytes(),
        ),
        (
            "a JSON body".into(),
            br#"{"grant_type":"client_credentials"}"#.to_vec(),
        ),
    ];
    out.push((
        "deep JSON as a form".into(),
        nested_json(50_000, "[", "]", "1").into_bytes(),
    ));
    out
}

/// Bodies that stress a JSON parser.
fn json_bodies() -> Vec<(String, Vec<u8>)> {
    vec![
        ("empty".into(), Vec::new()),
        ("deep arrays".into(), nested_json(100_000, "[", "]", "1").into_bytes()),
        ("deep objects".into(), nested_json(100_000, "{\"a\":", "}", "1").into_bytes()),
        ("deep arrays in a field".into(), format!(r#"{{"redirect_uris":{}}}"#, nested_json(10_000, "[", "]", "\"https://rp/cb\"")).into_bytes()),
        ("deep objects in an unknown field".into(), format!(r#"{{"redirect_uris":["https://rp/cb"],"x":{}}}"#, nested_json(10_000, "{\"a\":", "}", "1")).into_bytes()),
        ("unclosed deep".into(), "[".repeat(200_000).into_bytes()),
        ("100k redirect URIs".into(), format!(r#"{{"redirect_uris":[{}]}}"#, vec!["\"https://rp/cb\""; 100_000].join(",")).into_bytes()),
        ("100k keys".into(), format!("{{{}}}", (0..100_000).map(|i| format!("\"k{i}\":1")).collect::<Vec<_>>().join(",")).into_bytes()),
        ("1 MiB string".into(), format!(r#"{{"redirect_uris":["https://rp/cb"],"client_name":"{}"}}"#, "x".repeat(1 << 20)).into_bytes()),
        ("3 MiB string".into(), format!(r#"{{"client_name":"{}"}}"#, "x".repeat(3 << 20)).into_bytes()),
        ("huge number".into(), format!(r#"{{"default_max_age":{}}}"#, "9".repeat(100_000)).into_bytes()),
        ("invalid UTF-8".into(), b"{\"client_name\":\"\xff\"}".to_vec()),
        ("lone surrogate".into(), br#"{"client_name":"\ud800"}"#.to_vec()),
        ("wrong types".into(), br#"{"redirect_uris":{"a":1},"grant_types":7,"scope":[[]]}"#.to_vec()),
        ("huge spontaneous regex".into(), format!(r#"{{"redirect_uris":["https://rp/cb"],"spontaneous_scopes":["{}"]}}"#, "(a*)*".repeat(20_000)).into_bytes()),
        ("regex bomb".into(), br#"{"redirect_uris":["https://rp/cb"],"spontaneous_scopes":["(((a{1000}){1000}){1000})"]}"#.to_vec()),
        ("a form body".into(), b"redirect_uris=https://rp/cb".to_vec()),
    ]
}

async fn alive(op: &TestOp) {
    let response = http()
        .get(op.url("/.well-known/openid-configuration"))
        .send()
        .await
        .expect("the OP still answers");
    assert_eq!(response.status(), 200);
}

fn assert_client_error(what: &str, status: u16) {
    assert!(status < 500, "{what}: {status}");
}

#[tokio::test]
async fn deep_and_huge_bodies_never_get_a_5xx() {
    let op = TestOp::start().await;
    let client = http();
    let mut cases = 0;
    for path in FORM_POSTS {
        for (name, body) in form_bodies() {
            let response = client
                .post(op.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .basic_auth("api-consumer", Some("api-consumer-secret"))
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert_client_error(&format!("POST {path} {name}"), status);
            if name.starts_with("3 MiB") {
                assert_eq!(status, 413, "POST {path} {name}");
            }
            cases += 1;
        }
        alive(&op).await;
    }
    let (_, created) = {
        let response = client
            .post(op.url("/oxauth/restv1/register"))
            .json(&serde_json::json!({"redirect_uris": ["https://rp/cb"]}))
            .send()
            .await
            .unwrap();
        (
            response.status(),
            response.json::<serde_json::Value>().await.unwrap(),
        )
    };
    let uri = created["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let rat = created["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, body) in json_bodies() {
        let response = client
            .post(op.url("/oxauth/restv1/register"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_client_error(&format!("POST /register {name}"), status);
        if name.starts_with("3 MiB") {
            assert_eq!(status, 413, "POST /register {name}");
        }
        if name != "1 MiB string" {
            assert_ne!(status, 201, "{name} registered");
        }
        let response = client
            .put(&uri)
            .bearer_auth(&rat)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_client_error(&format!("PUT /register {name}"), response.status().as_u16());
        cases += 2;
        alive(&op).await;
    }
    report("deep and huge bodies", cases);
}

#[tokio::test]
async fn deep_and_huge_query_strings_never_get_a_5xx() {
    let op = TestOp::start().await;
    let client = http();
    let queries = [
        (
            "6k keys",
            (0..6_000)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join("&"),
        ),
        ("repeated client_id", "client_id=demo-rp&".repeat(3_000)),
        ("deep bracket key", format!("{}=x", "a[b]".repeat(10_000))),
        ("long value", format!("client_id={}", "x".repeat(60_000))),
        ("bad escapes", "client_id=%zz&%=%%".into()),
        (
            "encoded NUL and CRLF",
            "client_id=%00%0d%0a&redirect_uri=%0d%0aLocation:%20x".into(),
        ),
    ];
    let mut cases = 0;
    for path in QUERY_GETS {
        for (name, query) in &queries {
            let response = client
                .get(format!("{}?{query}", op.url(path)))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            // A request line longer than the server accepts is the server's 414/431, not a 5xx.
            assert_client_error(&format!("GET {path} {name}"), status);
            if status == 302 {
                let location = response.headers()["location"].to_str().unwrap();
                assert!(
                    location.starts_with('/'),
                    "{path} {name}: redirected to {location}"
                );
            }
            cases += 1;
        }
        alive(&op).await;
    }
    report("deep and huge query strings", cases);
}
