//! oxd's security corpus: arbitrary commands never get a 5xx nor kill the server, deep and huge
//! bodies on every command are refused with a 4xx, and framing that could smuggle a request is
//! refused on the wire. The counts are printed (`-- --nocapture`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// Every command oxd serves.
const COMMANDS: &[&str] = &[
    "register-site",
    "update-site",
    "remove-site",
    "get-client-token",
    "get-access-token-by-refresh-token",
    "introspect-access-token",
    "get-jwks",
    "get-authorization-url",
    "get-tokens-by-code",
    "get-user-info",
    "get-logout-uri",
];

/// The request fields the commands read, so generated bodies get past "missing field".
const FIELDS: &[&str] = &[
    "access_token",
    "access_token_as_jwt",
    "access_token_signing_alg",
    "acr_values",
    "allow_spontaneous_scopes",
    "authorization_redirect_uri",
    "claims_redirect_uri",
    "client_id",
    "client_name",
    "client_secret",
    "code",
    "custom_parameters",
    "grant_types",
    "id_token_hint",
    "nonce",
    "op_host",
    "oxd_id",
    "params",
    "post_logout_redirect_uri",
    "post_logout_redirect_uris",
    "prompt",
    "redirect_uri",
    "redirect_uris",
    "refresh_token",
    "rpt_as_jwt",
    "scope",
    "session_state",
    "spontaneous_scopes",
    "state",
];

/// Placeholders replaced when a case is sent: the live site's `oxd_id`, the OP's issuer.
const OXD_ID: &str = "@@OXD_ID@@";
const OP_HOST: &str = "@@OP_HOST@@";

/// Strings worth trying in any field. No `op_host` here names a host outside loopback: a
/// well-formed URL other than the OP's would send oxd to the network.
const STRINGS: &[&str] = &[
    OXD_ID,
    OP_HOST,
    CALLBACK,
    LOGGED_OUT,
    "",
    " ",
    "openid oxd",
    "openid",
    "oxd",
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    "api-consumer",
    "api-consumer-secret",
    "not a url",
    "ftp://x",
    "http://",
    "https://op.example?x=1",
    "javascript:alert(1)",
    "a.b.c",
    "eyJhbGciOiJub25lIn0.e30.",
    "RS256",
    "none",
    "login",
    "\u{0}",
    "%00",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| json!(f)),
        4 => proptest::sample::select(STRINGS).prop_map(|s| json!(s)),
        2 => "\\PC{0,24}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(key(), value(), 0..8)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

/// A command body the command would accept, with some fields changed or added.
fn near_valid() -> impl Strategy<Value = Value> {
    let base = json!({"oxd_id": OXD_ID, "op_host": OP_HOST, "redirect_uris": [CALLBACK],
                      "scope": ["openid", "oxd"], "client_id": "api-consumer",
                      "client_secret": "api-consumer-secret", "redirect_uri": CALLBACK,
                      "access_token": "x", "state": "s", "code": "c"});
    (
        proptest::collection::vec((key(), value()), 0..4),
        proptest::collection::vec(proptest::sample::select(FIELDS), 0..3),
    )
        .prop_map(move |(set, drop)| {
            let mut body = base.clone();
            for field in drop {
                body.as_object_mut().unwrap().remove(field);
            }
            for (k, v) in set {
                body[k] = v;
            }
            body
        })
}

#[derive(Debug, Clone)]
enum Token {
    None,
    /// The live site's protection token.
    Site,
    Forged(String),
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    token: Token,
    content_type: &'static str,
    body: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    let method = prop_oneof![8 => Just("POST"), 1 => Just("GET"), 1 => Just("PUT")];
    let path = prop_oneof![
        8 => proptest::sample::select(COMMANDS).prop_map(|c| format!("/{c}")),
        1 => "/[a-z%./-]{0,16}",
    ];
    let token = prop_oneof![
        1 => Just(Token::None),
        3 => Just(Token::Site),
        1 => "[ -~]{0,40}".prop_map(Token::Forged),
    ];
    let body = prop_oneof![
        3 => (object(), Just("application/json")).prop_map(|(v, ct)| (v.to_string().into_bytes(), ct)),
        3 => (near_valid(), Just("application/json")).prop_map(|(v, ct)| (v.to_string().into_bytes(), ct)),
        1 => (value(), Just("application/json")).prop_map(|(v, ct)| (v.to_string().into_bytes(), ct)),
        1 => (proptest::collection::vec(any::<u8>(), 0..64),
              proptest::sample::select(&["application/json", "", "text/plain", "application/x-www-form-urlencoded"][..])),
    ];
    (method, path, token, body).prop_map(|(method, path, token, (body, content_type))| Case {
        method,
        path,
        token,
        content_type,
        body,
    })
}

/// The site the fuzz acts on; a case that removes it gets a new one.
struct Live {
    oxd_id: String,
    protection: String,
}

/// The redirect URIs in [`STRINGS`] are well-formed loopback URLs with nothing listening: as a
/// top-level `op_host` they send oxd to an OP that is not there, which oxd answers as real oxd
/// does (500 `internal_error`, the OP's failure, not the input's), so they are pointed at the OP.
fn point_op_host_at_the_op(body: Vec<u8>, op_host: &str) -> Vec<u8> {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    match map.get("op_host").and_then(Value::as_str) {
        Some(host) if host == CALLBACK || host == LOGGED_OUT => {
            map.insert("op_host".into(), json!(op_host));
            serde_json::to_vec(&Value::Object(map)).unwrap()
        }
        _ => body,
    }
}

async fn send(
    oxd: &gatecheck_oxd::Handle,
    op_host: &str,
    live: &Mutex<Live>,
    c: &Case,
) -> Result<u16, TestCaseError> {
    let (oxd_id, protection) = {
        let live = live.lock().unwrap();
        (live.oxd_id.clone(), live.protection.clone())
    };
    let body = match std::str::from_utf8(&c.body) {
        Ok(text) => text
            .replace(OXD_ID, &oxd_id)
            .replace(OP_HOST, op_host)
            .into_bytes(),
        Err(_) => c.body.clone(),
    };
    let body = point_op_host_at_the_op(body, op_host);
    let mut request = reqwest::Client::new()
        .request(
            c.method.parse().unwrap(),
            format!("{}{}", oxd.url(), c.path),
        )
        .body(body);
    if !c.content_type.is_empty() {
        request = request.header("content-type", c.content_type);
    }
    match &c.token {
        Token::None => {}
        Token::Site => request = request.bearer_auth(&protection),
        Token::Forged(t) => request = request.header("authorization", format!("Bearer {t}")),
    }
    let response = request
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("oxd died: {e}")))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    prop_assert!(status < 500, "{} {}: {status} {text}", c.method, c.path);
    let parsed: Result<Value, _> = serde_json::from_str(&text);
    prop_assert!(parsed.is_ok(), "{} {}: not JSON: {text}", c.method, c.path);
    if status >= 400 {
        let parsed = parsed.unwrap();
        prop_assert!(
            parsed["error"].is_string() && parsed["error_description"].is_string(),
            "{} {}: {status} without oxd's error body: {text}",
            c.method,
            c.path
        );
    }
    Ok(status)
}

#[test]
fn arbitrary_commands_never_5xx_and_never_kill_oxd() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (op, oxd) = rt.block_on(async { (op().await, oxd().await) });
    let op_host = op.issuer();
    let first = rt.block_on(site(&oxd, &op_host));
    let live = Mutex::new(Live {
        oxd_id: first.oxd_id,
        protection: first.protection,
    });
    let cases = 1500;
    let statuses = Mutex::new(BTreeMap::<u16, u32>::new());
    let started = Instant::now();
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(&case(), |c| {
            let status = rt.block_on(send(&oxd, &op_host, &live, &c))?;
            if c.path == "/remove-site" && status == 200 {
                let next = rt.block_on(site(&oxd, &op_host));
                *live.lock().unwrap() = Live {
                    oxd_id: next.oxd_id,
                    protection: next.protection,
                };
            }
            *statuses.lock().unwrap().entry(status).or_default() += 1;
            Ok(())
        })
        .unwrap();
    let alive = rt.block_on(reqwest::get(format!("{}/health-check", oxd.url())));
    assert_eq!(alive.unwrap().status(), 200);
    let statuses = statuses.into_inner().unwrap();
    // The corpus reaches past validation: some commands succeed, with the live site's token.
    assert!(
        statuses.contains_key(&200),
        "no case succeeded: {statuses:?}"
    );
    eprintln!(
        "oxd fuzz: {cases} cases in {:?}, statuses {statuses:?}",
        started.elapsed()
    );
}

fn nested(depth: usize, open: &str, close: &str, leaf: &str) -> String {
    let mut s = String::with_capacity(depth * (open.len() + close.len()) + leaf.len());
    for _ in 0..depth {
        s.push_str(open);
    }
    s.push_str(leaf);
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}

#[tokio::test]
async fn deep_wide_and_huge_bodies_on_every_command_are_4xx_and_oxd_lives() {
    let op = op().await;
    let oxd = oxd().await;
    let s = site(&oxd, &op.issuer()).await;
    let deep_array = nested(100_000, "[", "]", "");
    let deep_object = nested(100_000, "{\"a\":", "}", "1");
    let deep_field = format!(
        "{{\"oxd_id\":\"{}\",\"scope\":{}}}",
        s.oxd_id,
        nested(50_000, "[", "]", "\"openid\"")
    );
    let just_too_deep = format!("{{\"scope\":{}}}", nested(200, "[", "]", ""));
    let huge = format!(
        "{{\"oxd_id\":\"{}\",\"client_name\":\"{}\"}}",
        s.oxd_id,
        "x".repeat(gatecheck_oxd::request::MAX_BODY_BYTES)
    );
    let wide: Map<String, Value> = (0..40_000)
        .map(|i| (format!("k{i}"), json!(i)))
        .chain([("oxd_id".to_owned(), json!(s.oxd_id))])
        .collect();
    let wide = Value::Object(wide).to_string();
    let long_list = json!({"oxd_id": s.oxd_id, "access_token": "x",
                           "scope": vec!["openid"; 100_000]})
    .to_string();
    let bodies: [(&str, &str, Option<u16>); 7] = [
        ("deep array", &deep_array, Some(400)),
        ("deep object", &deep_object, Some(400)),
        ("deep field", &deep_field, Some(400)),
        ("200 levels", &just_too_deep, Some(400)),
        ("over the size limit", &huge, Some(413)),
        // Unknown keys are ignored, as oxd does; the answer depends on the command.
        ("40 000 keys", &wide, None),
        ("100 000 scopes", &long_list, None),
    ];
    let started = Instant::now();
    let mut count = 0;
    for command in COMMANDS {
        for token in [None, Some(s.protection.as_str())] {
            for (what, body, expected) in &bodies {
                let mut request = reqwest::Client::new()
                    .post(format!("{}/{command}", oxd.url()))
                    .header("content-type", "application/json")
                    .body(body.to_string());
                if let Some(t) = token {
                    request = request.bearer_auth(t);
                }
                let response = request
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{command} {what}: oxd died: {e}"));
                let status = response.status().as_u16();
                let reply: Value = response.json().await.unwrap_or(Value::Null);
                count += 1;
                assert!(
                    (400..500).contains(&status) || (expected.is_none() && status == 200),
                    "{command} {what}: {status} {reply}"
                );
                // A protected command refuses a caller without a token before reading its body.
                let open = matches!(*command, "register-site" | "get-client-token");
                if token.is_none() && !open {
                    assert_eq!(status, 401, "{command} {what}: {reply}");
                    assert_eq!(reply["error"], "blank_access_token", "{command} {what}");
                } else if let Some(expected) = expected {
                    assert_eq!(status, *expected, "{command} {what}: {reply}");
                    assert_eq!(reply["error"], "invalid_request", "{command} {what}");
                }
            }
        }
    }
    let alive = reqwest::get(format!("{}/health-check", oxd.url())).await;
    assert_eq!(alive.unwrap().status(), 200);
    eprintln!(
        "oxd bodies: {count} deep/wide/huge bodies in {:?}",
        started.elapsed()
    );
}

/// Sent after each framing case on the same connection: if the case left the connection
/// usable, the health check answers last and oxd closes.
const SENTINEL: &[u8] = b"GET /health-check HTTP/1.1\r\nHost: oxd\r\nConnection: close\r\n\r\n";

/// The statuses oxd answered to `raw` (then the sentinel) on one connection, in order.
async fn exchange(addr: SocketAddr, raw: &[u8]) -> (Vec<u16>, String) {
    let mut sock = TcpStream::connect(addr).await.unwrap();
    let mut bytes = raw.to_vec();
    bytes.extend_from_slice(SENTINEL);
    // oxd may close early (a framing error ends the connection): that is an answer.
    let _ = sock.write_all(&bytes).await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 8192];
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(read.is_ok(), "oxd neither answered nor closed: {text:?}");
    let statuses = text
        .match_indices("HTTP/1.1 ")
        .filter_map(|(i, _)| text.get(i + 9..i + 12)?.parse().ok())
        .collect();
    (statuses, text)
}

/// A request hidden in the body of another; if oxd ever answered it (404, no such command),
/// two parsers would disagree about where the first request ends.
const HIDDEN: &str = "POST /smuggled HTTP/1.1\r\nHost: oxd\r\nContent-Length: 2\r\n\r\n{}";

#[tokio::test]
async fn framing_that_could_smuggle_a_request_is_refused() {
    let oxd = oxd().await;
    let hidden_len = HIDDEN.len();
    let cases: Vec<(&str, String)> = vec![
        (
            "CL and TE",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{HIDDEN}", 5 + hidden_len),
        ),
        (
            "TE and CL",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n{HIDDEN}"),
        ),
        (
            "two different CL",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nContent-Length: 2\r\nContent-Length: {}\r\n\r\n{{}}{HIDDEN}", 2 + hidden_len),
        ),
        (
            "CL list",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nContent-Length: 2, {}\r\n\r\n{{}}{HIDDEN}", 2 + hidden_len),
        ),
        (
            "CL with a sign",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nContent-Length: +2\r\n\r\n{{}}{HIDDEN}"),
        ),
        (
            "TE not chunked last",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n{HIDDEN}"),
        ),
        (
            "TE unknown coding",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n{HIDDEN}"),
        ),
        (
            "TE obs-fold",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n{HIDDEN}"),
        ),
        (
            "TE with a space before the colon",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n{HIDDEN}"),
        ),
        (
            "chunk size overflow",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\n{{}}\r\n0\r\n\r\n{HIDDEN}"),
        ),
        (
            "chunk size not hex",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding: chunked\r\n\r\n2g\r\n{{}}\r\n0\r\n\r\n{HIDDEN}"),
        ),
        (
            "chunk without CRLF",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}XX0\r\n\r\n{HIDDEN}"),
        ),
        (
            "bare CR in a header",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nX: a\rContent-Length: 0\r\n\r\n{HIDDEN}"),
        ),
        (
            "NUL in a header",
            format!("POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n{HIDDEN}"),
        ),
    ];
    let started = Instant::now();
    for (what, raw) in &cases {
        let (statuses, text) = exchange(oxd.addr(), raw.as_bytes()).await;
        assert!(
            matches!(statuses.first(), Some(400..=499)),
            "{what}: the first answer must be a 4xx: {text:?}"
        );
        assert!(
            !statuses.contains(&404),
            "{what}: the hidden request was answered: {text:?}"
        );
    }
    // Controls: well-framed requests on one connection are each answered, in order.
    let (statuses, text) = exchange(
        oxd.addr(),
        b"POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nContent-Length: 2\r\n\r\n{}POST /get-jwks HTTP/1.1\r\nHost: oxd\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(statuses, [401, 401, 200], "{text}");
    let (statuses, text) = exchange(oxd.addr(), HIDDEN.as_bytes()).await;
    assert_eq!(
        statuses,
        [404, 200],
        "the hidden request alone is answered: {text}"
    );
    eprintln!(
        "oxd framing: {} smuggling cases in {:?}",
        cases.len(),
        started.elapsed()
    );
}
