//! Properties: arbitrary input to the OP's form and JSON endpoints never gets a 5xx, and the OP
//! keeps serving. Inputs mix random bytes with the endpoints' own parameter names and values,
//! so the cases reach past the parsers into the grant, registration, introspection and logout
//! logic. One OP serves every case (started once, on its own runtime).

use std::sync::OnceLock;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use crate::common::*;
use crate::report;

struct Shared {
    runtime: tokio::runtime::Runtime,
    op: TestOp,
    client: reqwest::Client,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let op = runtime.block_on(TestOp::start());
        Shared {
            runtime,
            op,
            client: http(),
        }
    })
}

/// Sends one request and returns its status.
fn send(request: reqwest::RequestBuilder) -> u16 {
    let shared = shared();
    shared
        .runtime
        .block_on(async { request.send().await.map(|r| r.status().as_u16()) })
        .expect("the OP answers")
}

const CASES: u32 = 96;

fn runner() -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

/// Parameter names the endpoints read, so random forms hit real code paths.
const NAMES: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "refresh_token",
    "scope",
    "username",
    "password",
    "code_verifier",
    "token",
    "token_type_hint",
    "access_token",
    "response_type",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "acr_values",
    "id_token_hint",
    "login_hint",
    "code_challenge",
    "code_challenge_method",
    "request",
    "request_uri",
    "response_mode",
    "post_logout_redirect_uri",
    "csrf_token",
    "decision",
    "otp_code",
    "client_assertion",
    "client_assertion_type",
];

/// Values that mean something to the OP, plus noise.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "authorization_code", "refresh_token", "client_credentials", "password", "code",
            "token", "demo-rp", "api-consumer", "api-consumer-secret", "jwt-consumer", "admin",
            "secret", "openid", "openid profile email", "transactions:1", "none", "login",
            "consent", "otp", "S256", "plain", "http://localhost:4400/callback",
            "http://localhost:4400/", "allow", "deny", "-1", "0", "99999999999999999999",
            "", " ", "eyJhbGciOiJub25lIn0.e30.",
        ]).prop_map(str::to_owned),
        2 => "\\PC{0,40}",
        1 => prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

fn form() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        4 => prop::sample::select(NAMES).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ];
    prop::collection::vec((name, value()), 0..8)
}

/// Arbitrary JSON, biased towards registration metadata.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        value().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    3 => prop::sample::select(vec![
                        "redirect_uris", "grant_types", "response_types", "scope", "scopes",
                        "token_endpoint_auth_method", "application_type", "client_name",
                        "post_logout_redirect_uris", "default_acr_values", "default_max_age",
                        "subject_type", "id_token_signed_response_alg", "allow_spontaneous_scopes",
                        "spontaneous_scopes", "access_token_as_jwt", "access_token_signing_alg",
                        "initiate_login_uri", "sector_identifier_uri", "client_id", "client_secret",
                    ]).prop_map(str::to_owned),
                    1 => "\\PC{0,10}",
                ],
                inner,
                0..8,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn check_property<S: Strategy>(what: &str, strategy: S, test: impl Fn(S::Value) -> u16) {
    let started = Instant::now();
    let mut runner = runner();
    runner
        .run(&strategy, |input| {
            let status = test(input);
            prop_assert!(status < 500, "{} answered {}", what, status);
            Ok(())
        })
        .unwrap();
    let op = &shared().op;
    assert_eq!(
        send(
            shared()
                .client
                .get(op.url("/.well-known/openid-configuration"))
        ),
        200
    );
    report(
        &format!(
            "{what} (proptest, {:.1} s)",
            started.elapsed().as_secs_f32()
        ),
        CASES as usize,
    );
}

fn form_property(path: &'static str, basic: Option<(&'static str, &'static str)>) {
    check_property(&format!("POST {path}"), form(), move |pairs| {
        let s = shared();
        let mut request = s.client.post(s.op.url(path)).form(&pairs);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        send(request)
    });
}

#[test]
fn token_endpoint() {
    form_property("/oxauth/restv1/token", None);
    form_property("/oxauth/restv1/token", Some(API));
    form_property("/oxauth/restv1/token", Some(DEMO));
}

#[test]
fn authorize_endpoint() {
    form_property("/oxauth/restv1/authorize", None);
    check_property("GET /oxauth/restv1/authorize", form(), |pairs| {
        let s = shared();
        send(
            s.client
                .get(s.op.url("/oxauth/restv1/authorize"))
                .query(&pairs),
        )
    });
}

#[test]
fn introspection_revocation_userinfo() {
    form_property("/oxauth/restv1/introspection", None);
    form_property("/oxauth/restv1/introspection", Some(API));
    form_property("/oxauth/restv1/revoke", Some(API));
    form_property("/oxauth/restv1/userinfo", None);
}

#[test]
fn end_session_and_pages() {
    form_property("/oxauth/restv1/end_session", None);
    check_property("GET /oxauth/restv1/end_session", form(), |pairs| {
        let s = shared();
        send(
            s.client
                .get(s.op.url("/oxauth/restv1/end_session"))
                .query(&pairs),
        )
    });
    for step in ["login", "otp", "enroll", "consent"] {
        let path: &'static str =
            Box::leak(format!("/oxauth/interaction/nope/{step}").into_boxed_str());
        form_property(path, None);
    }
}

#[test]
fn registration_endpoint() {
    check_property(
        "POST /oxauth/restv1/register (JSON)",
        json_value(),
        |body| {
            let s = shared();
            send(
                s.client
                    .post(s.op.url("/oxauth/restv1/register"))
                    .json(&body),
            )
        },
    );
    check_property(
        "POST /oxauth/restv1/register (bytes)",
        prop::collection::vec(any::<u8>(), 0..200),
        |bytes| {
            let s = shared();
            send(
                s.client
                    .post(s.op.url("/oxauth/restv1/register"))
                    .header("content-type", "application/json")
                    .body(bytes),
            )
        },
    );
    check_property(
        "GET/PUT/DELETE /oxauth/restv1/register",
        (form(), json_value()),
        |(query, body)| {
            let s = shared();
            let url = s.op.url("/oxauth/restv1/register");
            let a = send(s.client.get(&url).query(&query).bearer_auth("x"));
            let b = send(
                s.client
                    .put(&url)
                    .query(&query)
                    .bearer_auth("x")
                    .json(&body),
            );
            let c = send(s.client.delete(&url).query(&query).bearer_auth("x"));
            a.max(b).max(c)
        },
    );
}
