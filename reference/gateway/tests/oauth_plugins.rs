//! gluu-oauth-auth and gluu-oauth-pep against a wiremock oxd and the echo upstream.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::jwt::*;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NO_TOKEN: &str = "Failed to get bearer token from Authorization header";
const INACTIVE: &str = "Invalid access token provided in Authorization header";
const UNEXPECTED: &str = "An unexpected error ocurred";

struct Setup {
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
    oxd: MockServer,
}

impl Setup {
    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = client().get(format!("{}{path}", self.gw.proxy_url()));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        req.send().await.unwrap()
    }
}

/// Gateway with oauth-auth (`auth` merged into the base config), optionally a PEP, and
/// `consumers`, in front of the echo upstream.
async fn setup_with(
    oxd: MockServer,
    auth: Value,
    pep: Option<Value>,
    consumers: Value,
    timeout_ms: u64,
) -> Setup {
    let up = echo().await;
    let mut plugins =
        vec![json!({"name": "gluu-oauth-auth", "config": with(plugin_base(&oxd.uri()), auth)})];
    if let Some(p) = pep {
        plugins.push(json!({"name": "gluu-oauth-pep", "config": with(plugin_base(&oxd.uri()), p)}));
    }
    let doc = json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}], "plugins": plugins}],
        "consumers": consumers,
    });
    let gw = gateway(gatecheck_gateway::Config {
        declarative_config_string: Some(doc),
        plugin_http_timeout_ms: timeout_ms,
        ..Default::default()
    })
    .await;
    Setup { gw, _up: up, oxd }
}

async fn setup(auth: Value, consumers: Value) -> Setup {
    setup_with(oxd().await, auth, None, consumers, 2000).await
}

fn consumer_for(client_id: &str) -> Value {
    json!([{"username": "demo", "custom_id": client_id, "id": "0b4c5fd2-9ad7-4c2e-9f5c-0a3d8e1e5f10"}])
}

async fn upstream_view(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn no_token_is_401_with_ggs_message() {
    let s = setup(json!({}), json!([])).await;
    expect_message(s.get("/x", None).await, 401, NO_TOKEN).await;
    let upper = client()
        .get(format!("{}/x", s.gw.proxy_url()))
        .header("authorization", "BEARER abc")
        .send()
        .await
        .unwrap();
    expect_message(upper, 401, NO_TOKEN).await;
}

#[tokio::test]
async fn active_opaque_token_reaches_upstream_with_consumer_headers() {
    let s = setup(
        json!({"custom_headers": [
            {"header_name": "x-consumer-id", "value_lua_exp": "consumer.id"},
            {"header_name": "x-oauth-client-id", "value_lua_exp": "introspect_data.client_id"},
            {"header_name": "x-oauth-expiration", "value_lua_exp": "introspect_data.exp", "format": "string"},
            {"header_name": "x-authenticated-scope", "value_lua_exp": "introspect_data.scope", "format": "list", "sep": ","},
            {"header_name": "x_token_b64", "value_lua_exp": "introspect_data.client_id", "format": "base64"},
            {"header_name": "x-url", "value_lua_exp": "'version 1.0'", "format": "urlencoded"},
            {"header_name": "x-consumer-jwt", "value_lua_exp": "consumer", "format": "jwt"},
            {"header_name": "x-intro-{*}", "value_lua_exp": "introspect_data", "iterate": true},
            {"header_name": "x-none", "value_lua_exp": "introspect_data.stub[2]"},
        ]}),
        consumer_for("client-1"),
    )
    .await;
    let data = active("client-1", &["read", "write"]);
    introspects(&s.oxd, "tok-1", data.clone()).await;
    // lower-case "bearer" as the tutorial's python script sends it
    let resp = client()
        .get(format!("{}/things", s.gw.proxy_url()))
        .header("authorization", "bearer tok-1")
        .header("x-anonymous-consumer", "false")
        .send()
        .await
        .unwrap();
    let seen = upstream_view(resp).await;
    let h = &seen["headers"];
    assert_eq!(
        h["authorization"], "bearer tok-1",
        "pass_credentials=pass keeps it"
    );
    assert_eq!(h["x-consumer-id"], "0b4c5fd2-9ad7-4c2e-9f5c-0a3d8e1e5f10");
    assert_eq!(h["x-oauth-client-id"], "client-1");
    assert_eq!(h["x-oauth-expiration"], data["exp"].to_string());
    assert_eq!(h["x-authenticated-scope"], "read,write");
    assert_eq!(
        h["x-token-b64"],
        base64::engine::general_purpose::STANDARD.encode("client-1")
    );
    assert_eq!(h["x-url"], "version%201.0");
    assert_eq!(h["x-intro-client-id"], "client-1");
    assert_eq!(h["x-intro-token-type"], "bearer");
    assert!(h.get("x-none").is_none());
    assert!(
        h.get("x-anonymous-consumer").is_none(),
        "a client cannot claim anonymity status"
    );
    let jwt = h["x-consumer-jwt"].as_str().unwrap();
    let payload: Value = serde_json::from_slice(
        &STANDARD_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["custom_id"], "client-1");
    assert!(jwt.ends_with('.'));
}

#[tokio::test]
async fn inactive_and_revoked_tokens_are_401_and_never_cached() {
    let s = setup(json!({}), consumer_for("client-1")).await;
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .and(body_partial_json(json!({"access_token": "revoked"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"active": false})))
        .expect(2)
        .mount(&s.oxd)
        .await;
    expect_message(s.get("/x", Some("revoked")).await, 401, INACTIVE).await;
    expect_message(s.get("/x", Some("revoked")).await, 401, INACTIVE).await;
}

#[tokio::test]
async fn an_active_refresh_token_does_not_open_the_api() {
    let s = setup(json!({}), consumer_for("client-1")).await;
    let mut refresh = active("client-1", &["openid"]);
    refresh["token_type"] = json!("refresh_token");
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .and(body_partial_json(
            json!({"access_token": "a-refresh-token"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(refresh))
        .expect(2)
        .mount(&s.oxd)
        .await;
    expect_message(s.get("/x", Some("a-refresh-token")).await, 401, INACTIVE).await;
    // Refused, so not cached: asked again, introspected again.
    expect_message(s.get("/x", Some("a-refresh-token")).await, 401, INACTIVE).await;
}

#[tokio::test]
async fn tokens_are_cached_until_exp_minus_five_seconds() {
    let s = setup(json!({}), consumer_for("client-1")).await;
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .and(body_partial_json(json!({"access_token": "long"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(active("client-1", &[])))
        .expect(1)
        .mount(&s.oxd)
        .await;
    let mut expiring = active("client-1", &[]);
    expiring["exp"] = json!(now() + 3);
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .and(body_partial_json(json!({"access_token": "expiring"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(expiring))
        .expect(2)
        .mount(&s.oxd)
        .await;
    for _ in 0..3 {
        assert_eq!(s.get("/x", Some("long")).await.status(), 200);
    }
    for _ in 0..2 {
        assert_eq!(s.get("/x", Some("expiring")).await.status(), 200);
    }
}

#[tokio::test]
async fn concurrent_requests_with_a_new_token_introspect_once() {
    let s = setup(json!({}), consumer_for("client-1")).await;
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(active("client-1", &["a"]))
                .set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&s.oxd)
        .await;
    let requests = (0..20).map(|_| s.get("/x", Some("shared-new-token")));
    for resp in futures::future::join_all(requests).await {
        assert_eq!(resp.status(), 200);
    }
}

#[tokio::test]
async fn consumer_mapping_hit_miss_and_off() {
    let s = setup(json!({}), consumer_for("client-1")).await;
    introspects(&s.oxd, "unmapped", active("client-2", &[])).await;
    expect_message(s.get("/x", Some("unmapped")).await, 401, "Unknown consumer").await;

    let s = setup(json!({"consumer_mapping": false}), json!([])).await;
    introspects(&s.oxd, "unmapped", active("client-2", &[])).await;
    let seen = upstream_view(s.get("/x", Some("unmapped")).await).await;
    assert!(seen["headers"].get("x-anonymous-consumer").is_none());

    introspects(
        &s.oxd,
        "no-client",
        json!({"active": true, "exp": now() + 60}),
    )
    .await;
    let seen = upstream_view(s.get("/x", Some("no-client")).await).await;
    assert_eq!(seen["headers"]["x-anonymous-consumer"], "true");
}

#[tokio::test]
async fn anonymous_with_and_without_consumer_mapping() {
    let consumers = consumer_for("client-1");
    let anon_id = consumers[0]["id"].as_str().unwrap().to_owned();
    let s = setup(
        json!({"anonymous": anon_id, "pass_credentials": "hide",
               "custom_headers": [{"header_name": "x-consumer-id", "value_lua_exp": "consumer.id"}]}),
        consumers,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"active": false})))
        .mount(&s.oxd)
        .await;
    for token in [None, Some("inactive")] {
        let seen = upstream_view(s.get("/x", token).await).await;
        assert_eq!(seen["headers"]["x-anonymous-consumer"], "true");
        assert_eq!(seen["headers"]["x-consumer-id"], anon_id);
        assert!(seen["headers"].get("authorization").is_none());
    }

    let s = setup(
        json!({"anonymous": "5b1f5a9e-0000-4000-8000-000000000000"}),
        json!([]),
    )
    .await;
    expect_message(s.get("/x", None).await, 502, UNEXPECTED).await;

    let s = setup(
        json!({"anonymous": "allow", "consumer_mapping": false,
               "custom_headers": [{"header_name": "x-consumer-id", "value_lua_exp": "consumer.id"}]}),
        json!([]),
    )
    .await;
    let resp = client()
        .get(format!("{}/x", s.gw.proxy_url()))
        .header("x-consumer-id", "admin")
        .send()
        .await
        .unwrap();
    let seen = upstream_view(resp).await;
    assert_eq!(seen["headers"]["x-anonymous-consumer"], "true");
    assert!(
        seen["headers"].get("x-consumer-id").is_none(),
        "a header the gateway vouches for cannot come from the client"
    );
}

#[tokio::test]
async fn pass_credentials_hide_and_phantom_token() {
    let s = setup(
        json!({"pass_credentials": "hide"}),
        consumer_for("client-1"),
    )
    .await;
    introspects(&s.oxd, "t", active("client-1", &[])).await;
    let seen = upstream_view(s.get("/x", Some("t")).await).await;
    assert!(seen["headers"].get("authorization").is_none());

    let s = setup(
        json!({"pass_credentials": "phantom_token"}),
        consumer_for("client-1"),
    )
    .await;
    introspects(&s.oxd, "t", active("client-1", &["s1"])).await;
    let seen = upstream_view(s.get("/x", Some("t")).await).await;
    let auth = seen["headers"]["authorization"].as_str().unwrap();
    let jwt = auth.strip_prefix("Bearer ").unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2], "");
    let header: Value = serde_json::from_slice(&STANDARD_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({"typ": "JWT", "alg": "none"}));
    let payload: Value =
        serde_json::from_slice(&STANDARD_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(payload["client_id"], "client-1");
    assert_eq!(payload["active"], true);
    assert_eq!(payload["consumer"]["custom_id"], "client-1");
}

#[tokio::test]
async fn oxd_down_or_slow_or_failing_is_502() {
    let closed = listener().await.local_addr().unwrap();
    let down = MockServer::start().await;
    drop(down);
    let s = setup_with(
        oxd().await,
        json!({"oxd_url": format!("http://{closed}")}),
        None,
        json!([]),
        500,
    )
    .await;
    expect_message(s.get("/x", Some("t")).await, 502, UNEXPECTED).await;

    let slow = oxd().await;
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(active("c", &[]))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&slow)
        .await;
    let s = setup_with(slow, json!({}), None, json!([]), 300).await;
    expect_message(s.get("/x", Some("t")).await, 502, UNEXPECTED).await;

    let failing = oxd().await;
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": "internal_error"})))
        .mount(&failing)
        .await;
    let s = setup_with(failing, json!({}), None, json!([]), 2000).await;
    expect_message(s.get("/x", Some("t")).await, 502, UNEXPECTED).await;

    let no_protection = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/get-client-token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&no_protection)
        .await;
    let s = setup_with(no_protection, json!({}), None, json!([]), 2000).await;
    expect_message(s.get("/x", Some("t")).await, 502, UNEXPECTED).await;
}

#[tokio::test]
async fn protection_token_is_requested_with_oxd_scope_and_reused() {
    let oxd = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/get-client-token"))
        .and(body_partial_json(json!({"client_id": "gg-client", "client_secret": "gg-secret", "scope": ["openid", "oxd"], "op_host": "https://op.example"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "protection-token", "expires_in": 3600})))
        .expect(1)
        .mount(&oxd)
        .await;
    let s = setup_with(
        oxd,
        json!({"consumer_mapping": false}),
        None,
        json!([]),
        2000,
    )
    .await;
    introspects(&s.oxd, "a", active("c", &[])).await;
    introspects(&s.oxd, "b", active("c", &[])).await;
    assert_eq!(s.get("/x", Some("a")).await.status(), 200);
    assert_eq!(s.get("/x", Some("b")).await.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// JWT access tokens

async fn jwt_setup(jwks_calls: u64) -> Setup {
    let oxd = oxd().await;
    Mock::given(method("POST"))
        .and(path("/get-jwks"))
        .and(header("authorization", "Bearer protection-token"))
        .and(body_partial_json(json!({"op_host": "https://op.example"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"keys": [jwk(&keys().good, "k1")]})),
        )
        .expect(jwks_calls)
        .mount(&oxd)
        .await;
    setup_with(
        oxd,
        json!({"pass_credentials": "phantom_token", "custom_headers": [{"header_name": "x-scope", "value_lua_exp": "introspect_data.scope"}]}),
        None,
        consumer_for("client-1"),
        2000,
    )
    .await
}

#[tokio::test]
async fn good_jwt_is_verified_locally_and_gets_a_phantom_token() {
    let s = jwt_setup(1).await;
    let token = sign(
        &keys().good,
        Some("k1"),
        &claims(Some("client-1"), now() + 600),
    );
    for _ in 0..2 {
        let seen = upstream_view(s.get("/x", Some(&token)).await).await;
        assert_eq!(seen["headers"]["x-scope"], "read write");
        let auth = seen["headers"]["authorization"].as_str().unwrap();
        assert_ne!(
            auth,
            format!("Bearer {token}"),
            "phantom token for JWTs too (docs/differences.md#phantom-token-for-every-token)"
        );
        assert!(auth.ends_with('.'));
    }
}

#[tokio::test]
async fn bad_jwts_get_ggs_messages() {
    // one load, plus one refresh for the unknown kid at the end
    let s = jwt_setup(2).await;
    let k = keys();
    let expect = |token: String, message: &'static str| {
        let s = &s;
        async move {
            let resp = s.get("/x", Some(&token)).await;
            assert_eq!(resp.status(), 401, "{message}");
            let body: Value = resp.json().await.unwrap();
            let got = body["message"].as_str().unwrap().to_owned();
            assert!(got.starts_with(message), "{got} vs {message}");
        }
    };
    // GG's body byte for byte; the reason only in the RFC 6750 challenge.
    for (token, reason) in [
        (
            sign(&k.other, Some("k1"), &claims(Some("client-1"), now() + 600)),
            "signature",
        ),
        (
            sign(&k.good, Some("k1"), &claims(Some("client-1"), now() - 10)),
            "expired",
        ),
    ] {
        let resp = s.get("/x", Some(&token)).await;
        assert_eq!(resp.status(), 401);
        let challenge = resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\", error_description=\"")
                && challenge.to_lowercase().contains(reason),
            "{challenge}"
        );
        assert_eq!(
            resp.text().await.unwrap(),
            r#"{"message":"JWT is not verified, reason: "}"#
        );
    }
    expect(
        sign(&k.good, Some("k1"), &claims(None, now() + 600)),
        "JWT - malformed payload",
    )
    .await;
    expect(
        sign(&k.good, None, &claims(Some("client-1"), now() + 600)),
        "JWT - missed kid",
    )
    .await;
    let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(claims(Some("client-1"), now() + 600).to_string());
    expect(format!("{h}.{p}."), "Bad JWT").await;
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some("k1".into());
    let hs_token = jsonwebtoken::encode(
        &hs,
        &claims(Some("client-1"), now() + 600),
        &EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    expect(hs_token, "Bad JWT").await;
    // RS384 with a key the OP publishes for RS256: alg mismatch
    let pem = k.good.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap();
    let mut rs384 = Header::new(Algorithm::RS384);
    rs384.kid = Some("k1".into());
    let mismatched = jsonwebtoken::encode(
        &rs384,
        &claims(Some("client-1"), now() + 600),
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap();
    expect(mismatched, "Bad JWT").await;
    // an unknown kid refreshes the keys once; still unknown afterwards
    expect(
        sign(&k.good, Some("k9"), &claims(Some("client-1"), now() + 600)),
        "Unknown kid",
    )
    .await;
}

#[tokio::test]
async fn unknown_kid_refreshes_the_jwks_once_then_is_rate_limited() {
    let oxd = oxd().await;
    Mock::given(method("POST"))
        .and(path("/get-jwks"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"keys": [jwk(&keys().good, "k1")]})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&oxd)
        .await;
    Mock::given(method("POST"))
        .and(path("/get-jwks"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"keys": [jwk(&keys().good, "k1"), jwk(&keys().other, "k2")]}),
            ),
        )
        .expect(1)
        .mount(&oxd)
        .await;
    let s = setup_with(oxd, json!({}), None, consumer_for("client-1"), 2000).await;
    let c = claims(Some("client-1"), now() + 600);
    assert_eq!(
        s.get("/x", Some(&sign(&keys().good, Some("k1"), &c)))
            .await
            .status(),
        200
    );
    assert_eq!(
        s.get("/x", Some(&sign(&keys().other, Some("k2"), &c)))
            .await
            .status(),
        200,
        "rotated key found by refresh"
    );
    let resp = s
        .get("/x", Some(&sign(&keys().other, Some("k3"), &c)))
        .await;
    expect_message(resp, 401, "Unknown kid").await;
}

#[tokio::test]
async fn jwks_failure_is_502() {
    let oxd = oxd().await;
    Mock::given(method("POST"))
        .and(path("/get-jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"nokeys": []})))
        .mount(&oxd)
        .await;
    let s = setup_with(oxd, json!({}), None, consumer_for("client-1"), 2000).await;
    let token = sign(
        &keys().good,
        Some("k1"),
        &claims(Some("client-1"), now() + 600),
    );
    expect_message(s.get("/x", Some(&token)).await, 502, UNEXPECTED).await;
}

// ---------------------------------------------------------------------------------------------
// gluu-oauth-pep

fn transactions_expression() -> String {
    json!([
        {"path": "/transactions/?", "conditions": [{"httpMethods": ["GET", "POST"],
            "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["^transactions:(?<PC1>.+)$"]}}]},
        {"path": "/reports/??", "conditions": [{"httpMethods": ["GET"],
            "scope_expression": {"rule": {"or": [{"var": 0}, {"var": 1}]}, "data": ["reports", "admin"]}}]}
    ])
    .to_string()
}

async fn pep_setup(auth: Value, deny_by_default: bool) -> Setup {
    let s = setup_with(
        oxd().await,
        auth,
        Some(json!({"oauth_scope_expression": transactions_expression(), "deny_by_default": deny_by_default})),
        consumer_for("client-1"),
        2000,
    )
    .await;
    introspects(
        &s.oxd,
        "tok-123",
        active("client-1", &["openid", "transactions:123"]),
    )
    .await;
    introspects(&s.oxd, "tok-456", active("client-1", &["transactions:456"])).await;
    introspects(&s.oxd, "tok-reports", active("client-1", &["reports"])).await;
    s
}

#[tokio::test]
async fn a_grant_is_not_reused_for_another_rule_or_method_with_the_same_captures() {
    let cond = |methods: &[&str], scope: &str| {
        json!({"httpMethods": methods,
            "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": [scope]}})
    };
    let expression = json!([
        {"path": "/a/?", "conditions": [cond(&["GET"], "read"), cond(&["POST"], "write")]},
        {"path": "/b/?", "conditions": [cond(&["GET"], "write")]},
    ]);
    let s = setup_with(
        oxd().await,
        json!({}),
        Some(json!({"oauth_scope_expression": expression.to_string()})),
        consumer_for("client-1"),
        2000,
    )
    .await;
    introspects(&s.oxd, "tok-read", active("client-1", &["read"])).await;
    assert_eq!(s.get("/a/1", Some("tok-read")).await.status(), 200);
    // Same token, same capture "1": a different rule must be decided afresh.
    expect_message(
        s.get("/b/1", Some("tok-read")).await,
        403,
        "You are not authorized to access this resource",
    )
    .await;
    // Same rule path and capture, another method's condition.
    let post = client()
        .post(format!("{}/a/1", s.gw.proxy_url()))
        .header("authorization", "Bearer tok-read")
        .send()
        .await
        .unwrap();
    expect_message(post, 403, "You are not authorized to access this resource").await;
    assert_eq!(s.get("/a/1", Some("tok-read")).await.status(), 200);
}

#[tokio::test]
async fn path_captures_must_match_scope_captures_and_are_part_of_the_cache_key() {
    let s = pep_setup(json!({}), true).await;
    assert_eq!(
        s.get("/transactions/123", Some("tok-123")).await.status(),
        200
    );
    // a grant for 123 is not reused for 456
    // (docs/differences.md#captures-in-the-decision-cache-key)
    expect_message(
        s.get("/transactions/456", Some("tok-123")).await,
        403,
        "You are not authorized to access this resource",
    )
    .await;
    assert_eq!(
        s.get("/transactions/123", Some("tok-123")).await.status(),
        200
    );
    expect_message(
        s.get("/transactions/123", Some("tok-456")).await,
        403,
        "You are not authorized to access this resource",
    )
    .await;
    assert_eq!(
        s.get("/transactions/456", Some("tok-456")).await.status(),
        200
    );
    assert_eq!(
        s.get("/reports/2024/q1", Some("tok-reports"))
            .await
            .status(),
        200
    );
    // normalised before matching: %31%32%33 is 123
    let url = url::Url::parse(&format!("{}/transactions/%31%32%33", s.gw.proxy_url())).unwrap();
    let resp = client()
        .get(url)
        .header("authorization", "Bearer tok-123")
        .send()
        .await
        .unwrap();
    let seen = upstream_view(resp).await;
    assert_eq!(seen["path"], "/transactions/123");
    let dotted =
        url::Url::parse(&format!("{}/reports/../transactions/456", s.gw.proxy_url())).unwrap();
    let resp = client()
        .get(dotted)
        .header("authorization", "Bearer tok-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn deny_by_default_messages() {
    let s = pep_setup(json!({}), true).await;
    expect_message(
        s.get("/other", Some("tok-123")).await,
        403,
        "Unprotected path/method are not allowed",
    )
    .await;
    let put = client()
        .put(format!("{}/transactions/123", s.gw.proxy_url()))
        .header("authorization", "Bearer tok-123")
        .send()
        .await
        .unwrap();
    expect_message(put, 403, "Unprotected path/method are not allowed").await;

    let s = pep_setup(
        json!({"anonymous": "allow", "consumer_mapping": false}),
        true,
    )
    .await;
    expect_message(
        s.get("/transactions/123", None).await,
        401,
        "Missed OAuth token",
    )
    .await;
    expect_message(
        s.get("/other", None).await,
        403,
        "Invalid request, no token and no protected path",
    )
    .await;

    let s = pep_setup(
        json!({"anonymous": "allow", "consumer_mapping": false}),
        false,
    )
    .await;
    assert_eq!(s.get("/other", None).await.status(), 200);
    assert_eq!(s.get("/other", Some("tok-123")).await.status(), 200);
    expect_message(
        s.get("/transactions/123", None).await,
        401,
        "Missed OAuth token",
    )
    .await;
}

#[tokio::test]
async fn plugin_order_follows_priority_not_declaration() {
    // PEP declared first still runs after auth (996 < 999).
    let oxd = oxd().await;
    let up = echo().await;
    let doc = json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}], "plugins": [
            {"name": "gluu-oauth-pep", "config": with(plugin_base(&oxd.uri()), json!({"oauth_scope_expression": transactions_expression()}))},
            {"name": "gluu-oauth-auth", "config": with(plugin_base(&oxd.uri()), json!({"consumer_mapping": false}))},
        ]}]
    });
    let gw = gateway_with(doc).await;
    introspects(&oxd, "tok-123", active("client-1", &["transactions:123"])).await;
    let resp = client()
        .get(format!("{}/transactions/123", gw.proxy_url()))
        .header("authorization", "Bearer tok-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn protection_token_is_refreshed_before_expiry_and_after_rejection() {
    // A 5-second token is due for refresh at once (80% of its life or 5 s before the end).
    let oxd = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/get-client-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "protection-token", "expires_in": 5})),
        )
        .expect(2)
        .mount(&oxd)
        .await;
    let s = setup_with(
        oxd,
        json!({"consumer_mapping": false}),
        None,
        json!([]),
        2000,
    )
    .await;
    introspects(&s.oxd, "a", active("c", &[])).await;
    introspects(&s.oxd, "b", active("c", &[])).await;
    assert_eq!(s.get("/x", Some("a")).await.status(), 200);
    assert_eq!(s.get("/x", Some("b")).await.status(), 200);

    // oxd refusing the protection token once (403): a fresh one is fetched and the call retried.
    let oxd = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/get-client-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "protection-token", "expires_in": 3600})),
        )
        .expect(2)
        .mount(&oxd)
        .await;
    Mock::given(method("POST"))
        .and(path("/introspect-access-token"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": "invalid_request"})))
        .up_to_n_times(1)
        .mount(&oxd)
        .await;
    let s = setup_with(
        oxd,
        json!({"consumer_mapping": false}),
        None,
        json!([]),
        2000,
    )
    .await;
    introspects(&s.oxd, "a", active("c", &[])).await;
    assert_eq!(s.get("/x", Some("a")).await.status(), 200);
}
