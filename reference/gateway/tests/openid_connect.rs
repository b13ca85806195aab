//! Kong's `openid-connect` against a wiremock identity provider: each auth method, the caches on
//! the injectable clock, claims and consumers, headers, and the IdP's faults.

mod common;

use common::jwt::*;
use common::openid_connect::*;
use common::*;
use gatecheck_gateway::clock::{Clock, ManualClock};
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Idp {
    server: MockServer,
}

impl Idp {
    fn issuer(&self) -> String {
        self.server.uri()
    }

    fn claims(&self, exp: i64) -> Value {
        json!({"iss": self.issuer(), "sub": "alex-sub", "aud": "kong", "exp": exp, "iat": now(),
               "scope": "openid profile email", "preferred_username": "alex", "client_id": "kong",
               "tier": "gold"})
    }

    fn token(&self, exp: i64) -> String {
        sign(&keys().good, Some("k1"), &self.claims(exp))
    }

    async fn calls(&self, p: &str) -> usize {
        calls(&self.server, p).await
    }
}

async fn idp() -> Idp {
    Idp {
        server: mock_idp(&["token", "introspection", "userinfo"]).await,
    }
}

struct Setup {
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
    clock: ManualClock,
}

impl Setup {
    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        get(&self.gw, path, headers).await
    }
}

async fn setup(idp: &Idp, config: Value, consumers: Value) -> Setup {
    setup_doc(idp, config, json!({"consumers": consumers})).await
}

/// A gateway whose service `api` runs openid-connect with `config`; `extra` adds top-level
/// declarative entities (consumers, consumer groups, ...).
async fn setup_doc(idp: &Idp, config: Value, extra: Value) -> Setup {
    let up = echo().await;
    let cfg = kong_client(&idp.issuer(), 500, &config);
    let clock = ManualClock::default();
    let gw = gateway_on_clock(plugin_doc(&up.url(), cfg, &extra), &clock).await;
    Setup { gw, _up: up, clock }
}

#[tokio::test]
async fn bearer_jwt_is_verified_locally_and_expires_on_the_clock() {
    let idp = idp().await;
    let s = setup(&idp, json!({"auth_methods": ["bearer"]}), json!([])).await;
    let token = idp.token(s.clock.now() + 60);
    let auth = format!("Bearer {token}");
    let h = upstream_headers(s.get("/x", &[("authorization", &auth)]).await).await;
    assert_eq!(h["authorization"], auth);
    assert_eq!(h["x-credential-identifier"], "alex-sub");
    assert_eq!(idp.calls("/jwks").await, 1);
    s.clock.advance(60);
    let r = s.get("/x", &[("authorization", &auth)]).await;
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert_eq!(
        challenge,
        r#"Bearer realm="127.0.0.1", error="invalid_token""#
    );
    assert_eq!(r.text().await.unwrap(), r#"{"message":"Unauthorized"}"#);
}

/// The verification cache remembers a token's signature and the claims it checks, never the
/// verdict: each cache hit checks `exp` (with `leeway`), `nbf` and the route's
/// `scopes_required` on the clock of that request.
#[tokio::test]
async fn a_cached_bearer_token_is_checked_again_on_every_hit() {
    let idp = idp().await;
    let s = setup(
        &idp,
        json!({"auth_methods": ["bearer"], "leeway": 5, "scopes_required": ["openid email"]}),
        json!([]),
    )
    .await;
    let now = s.clock.now();
    let status = |token: String| {
        let s = &s;
        async move {
            s.get("/x", &[("authorization", &format!("Bearer {token}"))])
                .await
                .status()
        }
    };
    let token = idp.token(now + 60);
    for _ in 0..2 {
        assert_eq!(status(token.clone()).await, 200);
    }
    // Past exp but within the leeway: still accepted from the cache; past both: refused.
    s.clock.advance(62);
    assert_eq!(status(token.clone()).await, 200);
    s.clock.advance(3);
    for _ in 0..2 {
        assert_eq!(status(token.clone()).await, 401);
    }
    // A token lacking a required scope is refused on its first use and on every cached one.
    let mut narrow = idp.claims(s.clock.now() + 60);
    narrow["scope"] = json!("openid profile");
    let narrow = sign(&keys().good, Some("k1"), &narrow);
    for _ in 0..2 {
        assert_eq!(status(narrow.clone()).await, 403);
    }
    // Not valid yet beyond the leeway: refused (its signature remembered), then accepted from
    // the cache once the clock reaches its nbf.
    let mut early = idp.claims(s.clock.now() + 120);
    early["nbf"] = json!(s.clock.now() + 30);
    early["iat"] = json!(s.clock.now());
    let early = sign(&keys().good, Some("k1"), &early);
    assert_eq!(status(early.clone()).await, 401);
    s.clock.advance(25);
    assert_eq!(status(early.clone()).await, 200);
    assert_eq!(idp.calls("/jwks").await, 1);
}

#[tokio::test]
async fn tokens_of_another_issuer_or_key_are_refused_and_an_unknown_kid_rediscovers_once() {
    let idp = idp().await;
    let s = setup(&idp, json!({"auth_methods": ["bearer"]}), json!([])).await;
    let now = s.clock.now();
    let mut other_iss = idp.claims(now + 60);
    other_iss["iss"] = json!("https://evil.example");
    let forged = sign(&keys().good, Some("k1"), &other_iss);
    assert_eq!(
        s.get("/", &[("authorization", &format!("Bearer {forged}"))])
            .await
            .status(),
        401
    );
    let unknown = sign(&keys().other, Some("k2"), &idp.claims(now + 60));
    for _ in 0..3 {
        let r = s
            .get("/", &[("authorization", &format!("Bearer {unknown}"))])
            .await;
        assert_eq!(r.status(), 401);
    }
    // One discovery at first use, exactly one more for the unknown kid, then rate limited.
    assert_eq!(idp.calls("/.well-known/openid-configuration").await, 2);
    assert_eq!(idp.calls("/jwks").await, 2);
    let wrong_key = sign(&keys().other, Some("k1"), &idp.claims(now + 60));
    assert_eq!(
        s.get("/", &[("authorization", &format!("Bearer {wrong_key}"))])
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_cached_introspection_expires_with_the_token() {
    let idp = idp().await;
    let exp = ManualClock::default().now() + 30;
    Mock::given(method("POST"))
        .and(path("/introspect"))
        .and(body_string_contains("token=opaque-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "active": true, "scope": "openid", "exp": exp, "sub": "alex-sub", "client_id": "kong"
        })))
        .mount(&idp.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/introspect"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"active": false})))
        .mount(&idp.server)
        .await;
    let s = setup(&idp, json!({"auth_methods": ["introspection"]}), json!([])).await;
    let ok = [("authorization", "Bearer opaque-1")];
    assert_eq!(s.get("/", &ok).await.status(), 200);
    assert_eq!(s.get("/", &ok).await.status(), 200);
    assert_eq!(
        idp.calls("/introspect").await,
        1,
        "the second use is cached"
    );
    s.clock.advance(31);
    assert_eq!(s.get("/", &ok).await.status(), 200);
    assert_eq!(
        idp.calls("/introspect").await,
        2,
        "never served past the token's exp"
    );
    // Inactive answers are not cached without cache_ttl_neg.
    let bad = [("authorization", "Bearer opaque-2")];
    assert_eq!(s.get("/", &bad).await.status(), 401);
    assert_eq!(s.get("/", &bad).await.status(), 401);
    assert_eq!(idp.calls("/introspect").await, 4);
}

#[tokio::test]
async fn the_negative_cache_holds_inactive_answers_only_when_enabled() {
    let idp = idp().await;
    Mock::given(method("POST"))
        .and(path("/introspect"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"active": false})))
        .mount(&idp.server)
        .await;
    let s = setup(
        &idp,
        json!({"auth_methods": ["introspection"], "cache_ttl_neg": 10}),
        json!([]),
    )
    .await;
    let bad = [("authorization", "Bearer opaque-2")];
    assert_eq!(s.get("/", &bad).await.status(), 401);
    assert_eq!(s.get("/", &bad).await.status(), 401);
    assert_eq!(idp.calls("/introspect").await, 1);
    s.clock.advance(10);
    assert_eq!(s.get("/", &bad).await.status(), 401);
    assert_eq!(idp.calls("/introspect").await, 2);
}

async fn password_idp() -> Idp {
    let idp = idp().await;
    let token = idp.token(ManualClock::default().now() + 300);
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("password=doe"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token, "expires_in": 300, "refresh_token": "rt-1", "token_type": "Bearer"
        })))
        .mount(&idp.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"})))
        .mount(&idp.server)
        .await;
    idp
}

const WRONG: &str = "Basic YWxleDp3cm9uZw=="; // alex:wrong

#[tokio::test]
async fn the_password_grant_is_cached_per_credentials_and_a_wrong_password_is_401() {
    let idp = password_idp().await;
    let s = setup(
        &idp,
        json!({"auth_methods": ["password"], "upstream_refresh_token_header": "refresh_token"}),
        json!([]),
    )
    .await;
    let h = upstream_headers(s.get("/", &[("authorization", ALEX)]).await).await;
    assert!(h["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer ey"));
    assert_eq!(h["refresh-token"], "rt-1");
    upstream_headers(s.get("/", &[("authorization", ALEX)]).await).await;
    assert_eq!(idp.calls("/token").await, 1);
    assert_eq!(s.get("/", &[("authorization", WRONG)]).await.status(), 401);
    assert_eq!(s.get("/", &[("authorization", WRONG)]).await.status(), 401);
    assert_eq!(idp.calls("/token").await, 3, "refusals are not cached");
}

#[tokio::test]
async fn claims_consumers_and_identity_headers() {
    let idp = password_idp().await;
    let consumers = json!([{"username": "Alex", "custom_id": "c-1"}]);
    let s = setup(
        &idp,
        json!({"auth_methods": ["password"], "consumer_claims": [["preferred_username"]],
               "consumer_by": ["username"], "by_username_ignore_case": true,
               "authenticated_groups_claim": ["scope"],
               "upstream_headers": [{"header": "X-User", "path": ["preferred_username"]}]}),
        consumers,
    )
    .await;
    let h = upstream_headers(
        s.get(
            "/",
            &[
                ("authorization", ALEX),
                ("x-consumer-username", "admin"),
                ("x-anonymous-consumer", "true"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(h["x-consumer-username"], "Alex");
    assert_eq!(h["x-consumer-custom-id"], "c-1");
    assert_eq!(h["x-user"], "alex");
    assert_eq!(h["x-authenticated-groups"], "openid, profile, email");
    assert!(h.get("x-anonymous-consumer").is_none());

    let strict = setup(&idp, json!({"auth_methods": ["password"], "consumer_claims": [["preferred_username"]], "consumer_by": ["username"]}), json!([{"username": "Alex"}])).await;
    assert_eq!(
        strict.get("/", &[("authorization", ALEX)]).await.status(),
        403,
        "case matters by default"
    );
    let scoped = setup(
        &idp,
        json!({"auth_methods": ["password"], "scopes_required": ["openid admin", "superuser"]}),
        json!([]),
    )
    .await;
    let r = scoped.get("/", &[("authorization", ALEX)]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().await.unwrap(), r#"{"message":"Forbidden"}"#);
}

#[tokio::test]
async fn anonymous_when_authentication_fails() {
    let idp = password_idp().await;
    let s = setup(
        &idp,
        json!({"auth_methods": ["password"], "anonymous": "guest"}),
        json!([{"username": "guest"}]),
    )
    .await;
    let h = upstream_headers(s.get("/", &[("authorization", WRONG)]).await).await;
    assert_eq!(h["x-anonymous-consumer"], "true");
    assert_eq!(h["x-consumer-username"], "guest");
}

#[tokio::test]
async fn a_session_cookie_replaces_the_credentials_until_it_idles_out() {
    let idp = password_idp().await;
    let s = setup(
        &idp,
        json!({"auth_methods": ["session", "password"], "session_idling_timeout": 60}),
        json!([]),
    )
    .await;
    let r = s.get("/", &[("authorization", ALEX)]).await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let h = upstream_headers(s.get("/", &[("cookie", &pair)]).await).await;
    assert!(h["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer ey"));
    assert!(
        h.get("cookie").is_none(),
        "the session cookie is hidden from the upstream"
    );
    s.clock.advance(61);
    let r = s.get("/", &[("cookie", &pair)]).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
}

#[tokio::test]
async fn idp_faults_are_500_within_the_timeout() {
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(5)))
        .mount(&slow)
        .await;
    // Bound for the whole test: a temporary would hand the server back to wiremock's pool at
    // the end of this statement, and another test could mount a fast IdP on it.
    let slow = Idp { server: slow };
    let s = setup(&slow, json!({"auth_methods": ["bearer"]}), json!([])).await;
    let token = sign(
        &keys().good,
        Some("k1"),
        &json!({"exp": s.clock.now() + 60}),
    );
    let started = std::time::Instant::now();
    let r = s
        .get("/", &[("authorization", &format!("Bearer {token}"))])
        .await;
    assert_eq!(r.status(), 500);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"An unexpected error occurred"}"#
    );

    for answer in [
        ResponseTemplate::new(503),
        ResponseTemplate::new(200).set_body_string("<html>"),
    ] {
        let idp = idp().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(answer)
            .mount(&idp.server)
            .await;
        let s = setup(
            &idp,
            json!({"auth_methods": ["password"], "display_errors": true}),
            json!([]),
        )
        .await;
        let r = s.get("/", &[("authorization", ALEX)]).await;
        assert_eq!(r.status(), 500);
        assert!(r
            .text()
            .await
            .unwrap()
            .starts_with(r#"{"message":"An unexpected error occurred ("#));
    }
}

#[tokio::test]
async fn bad_configs_are_schema_violations_naming_the_field() {
    let gw = gateway_with(json!({"_format_version": "3.0"})).await;
    let resp = client()
        .post(format!("{}/plugins", gw.admin_url()))
        .json(&json!({"name": "openid-connect", "config": {"issuer": "http://op", "auth_methods": ["magic"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "schema violation");
    assert!(
        body["fields"]["config"]["auth_methods"][0].is_string(),
        "{body}"
    );
}

fn config_fields(schema: &Value) -> Vec<(String, Value)> {
    let config = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f.get("config"))
        .unwrap_or_else(|| panic!("no config in {schema}"));
    config["fields"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f.as_object().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn the_schema_endpoint_is_the_declaration_configs_are_validated_with() {
    let gw = gateway_with(json!({"_format_version": "3.0"})).await;
    let admin = gw.admin_url();
    let c = client();
    let resp = c
        .get(format!("{admin}/schemas/plugins/openid-connect"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let schema: Value = resp.json().await.unwrap();
    let fields = config_fields(&schema);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
            .unwrap_or_else(|| panic!("{name} not declared"))
    };
    assert_eq!(field("issuer")["required"], true);
    assert_eq!(field("auth_methods")["type"], "array");
    assert_eq!(
        field("auth_methods")["elements"]["one_of"],
        json!([
            "session",
            "bearer",
            "kong_oauth2",
            "introspection",
            "userinfo",
            "refresh_token",
            "password",
            "client_credentials",
            "authorization_code"
        ])
    );
    assert_eq!(field("timeout")["type"], "number");
    assert_eq!(field("timeout")["default"], 10000);
    assert_eq!(
        field("session_cookie_same_site")["one_of"],
        json!(["Strict", "Lax", "None", "Default"])
    );
    assert_eq!(field("upstream_headers")["elements"]["type"], "record");
    assert_eq!(field("consumer_claims")["elements"]["type"], "array");

    // The plugin created with only an issuer shows exactly the declared fields, each with
    // the declared default (or null).
    let resp = c
        .post(format!("{admin}/plugins"))
        .json(&json!({"name": "openid-connect", "config": {"issuer": "http://op.example/realms/master"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    let config = created["config"].as_object().unwrap();
    assert_eq!(config.len(), fields.len(), "{created}");
    for (name, f) in &fields {
        let expected = if name == "issuer" {
            json!("http://op.example/realms/master")
        } else if f["type"] == "record" && f.get("default").is_none() {
            // A required record without a default of its own is its fields' defaults.
            let nested: serde_json::Map<String, Value> = config_fields(&json!({"fields": [{
                "config": f
            }]}))
            .into_iter()
            .map(|(n, f)| (n, f.get("default").cloned().unwrap_or(Value::Null)))
            .collect();
            Value::Object(nested)
        } else {
            f.get("default").cloned().unwrap_or(Value::Null)
        };
        assert_eq!(config[name], expected, "{name}");
    }

    // What the schema says is required is what the Admin API requires.
    let resp = c
        .post(format!("{admin}/plugins"))
        .json(&json!({"name": "openid-connect", "config": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "schema violation");
    assert_eq!(
        body["fields"]["config"],
        json!({"issuer": "required field missing"})
    );
}

#[tokio::test]
async fn every_violation_names_its_field_and_nothing_is_applied() {
    // Kong nests its errors: records as objects, array elements (`name.1`) as arrays.
    fn field_at<'a>(fields: &'a Value, dotted: &str) -> &'a Value {
        dotted
            .split('.')
            .fold(fields, |at, part| match part.parse::<usize>() {
                Ok(i) if at.is_array() => &at[i - 1],
                _ => &at[part],
            })
    }
    let gw = gateway_with(json!({"_format_version": "3.0"})).await;
    let admin = gw.admin_url();
    let c = client();
    let cases = [
        (json!({"timeout": 0}), "timeout", "value should be between 1 and 3600000"),
        (json!({"session_cookie_same_site": "Sometimes"}), "session_cookie_same_site", "expected one of: Strict, Lax, None, Default"),
        (json!({"client_auth": ["tls_client_auth"]}), "client_auth.1", "expected one of: client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none"),
        (json!({"token_endpoint": "/token"}), "token_endpoint", "invalid url: relative URL without a base"),
        (json!({"consumer_by": ["email"]}), "consumer_by.1", "expected one of: id, username, custom_id"),
        (json!({"leeway": -1}), "leeway", "value should be between 0 and 86400"),
        (json!({"hide_credentials": "yes"}), "hide_credentials", "expected a boolean"),
        (json!({"consumer_claims": [[]]}), "consumer_claims.1", "length must be at least 1"),
        (json!({"upstream_headers": [{"header": "X User", "path": ["sub"]}]}), "upstream_headers.1.header", "invalid header name"),
        (json!({"redis": {}}), "redis", "unknown field"),
        (json!({"bearer_token_param_type": ["cookie"]}), "bearer_token_cookie_name", "required field missing when bearer_token_param_type has cookie"),
        (json!({"client_auth": ["private_key_jwt"], "client_alg": ["HS256"]}), "client_alg", "HS* algorithms are for client_secret_jwt, which no client_auth names"),
    ];
    for (extra, field, message) in cases {
        let mut config = json!({"issuer": "http://op.example"});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let resp = c
            .post(format!("{admin}/plugins"))
            .json(&json!({"name": "openid-connect", "config": config}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{extra}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["name"], "schema violation", "{body}");
        assert_eq!(
            field_at(&body["fields"]["config"], field),
            &json!(message),
            "{extra}: {body}"
        );
    }
    let plugins: Value = c
        .get(format!("{admin}/plugins"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plugins["data"], json!([]), "nothing half-applied");
}

#[tokio::test]
async fn a_form_body_is_read_with_the_schemas_types() {
    let gw = gateway_with(json!({"_format_version": "3.0"})).await;
    let resp = client()
        .post(format!("{}/plugins", gw.admin_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=openid-connect&config.issuer=http%3A%2F%2Fop.example&config.auth_methods=password&config.timeout=5000&config.hide_credentials=false&config.scopes_required=openid%20email")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["config"]["auth_methods"], json!(["password"]));
    assert_eq!(created["config"]["timeout"], 5000);
    assert_eq!(created["config"]["hide_credentials"], false);
    assert_eq!(
        created["config"]["scopes_required"],
        json!(["openid email"])
    );
}

async fn admin_get(s: &Setup, path: &str) -> (u16, Value) {
    let resp = client()
        .get(format!("{}{path}", s.gw.admin_url()))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn admin_delete(s: &Setup, path: &str) -> u16 {
    client()
        .delete(format!("{}{path}", s.gw.admin_url()))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_issuers_endpoint_shows_and_forgets_the_discovery_cache() {
    let idp = idp().await;
    let s = setup(&idp, json!({"auth_methods": ["bearer"]}), json!([])).await;
    // Configured but never used: only the id and issuer, as Kong shows an IdP it never reached.
    let (status, list) = admin_get(&s, "/openid-connect/issuers").await;
    assert_eq!(status, 200);
    assert_eq!(list["next"], Value::Null);
    let rows = list["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["issuer"], idp.issuer());
    assert_eq!(rows[0]["configuration"], json!({}));
    assert_eq!(rows[0]["keys"], json!([]));
    let id = rows[0]["id"].as_str().unwrap().to_owned();

    let token = idp.token(s.clock.now() + 60);
    let bearer = format!("Bearer {token}");
    upstream_headers(s.get("/", &[("authorization", &bearer)]).await).await;
    let (status, row) = admin_get(&s, &format!("/openid-connect/issuers/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["configuration"]["issuer"], idp.issuer());
    assert_eq!(
        row["configuration"]["jwks_uri"],
        format!("{}/jwks", idp.issuer())
    );
    assert_eq!(row["keys"][0]["kid"], "k1");
    assert!(row["created_at"].is_i64());
    // By issuer too (percent-encoded, as Kong takes it).
    let encoded: String = url::form_urlencoded::byte_serialize(idp.issuer().as_bytes()).collect();
    let (status, by_issuer) = admin_get(&s, &format!("/openid-connect/issuers/{encoded}")).await;
    assert_eq!(status, 200);
    assert_eq!(by_issuer, row);
    let (status, e) = admin_get(
        &s,
        "/openid-connect/issuers/00000000-0000-4000-8000-000000000000",
    )
    .await;
    assert_eq!((status, e), (404, json!({"message": "Not found"})));

    // Forgetting it makes the next request discover again.
    assert_eq!(idp.calls("/.well-known/openid-configuration").await, 1);
    assert_eq!(
        admin_delete(&s, &format!("/openid-connect/issuers/{id}")).await,
        204
    );
    let (_, row) = admin_get(&s, &format!("/openid-connect/issuers/{id}")).await;
    assert_eq!(row["configuration"], json!({}));
    assert_eq!(row["keys"], json!([]));
    upstream_headers(s.get("/", &[("authorization", &bearer)]).await).await;
    assert_eq!(idp.calls("/.well-known/openid-configuration").await, 2);
    assert_eq!(admin_delete(&s, "/openid-connect/issuers").await, 204);
    let (_, list) = admin_get(&s, "/openid-connect/issuers").await;
    assert_eq!(list["data"][0]["configuration"], json!({}));
    assert_eq!(
        admin_delete(&s, "/openid-connect/issuers/unknown").await,
        204
    );

    // The gateway's own private_key_jwt key, generated on first need: its public half only.
    let (status, jwks) = admin_get(&s, "/openid-connect/jwks").await;
    assert_eq!(status, 200);
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1), "{jwks}");
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert!(jwks["keys"][0].get("d").is_none(), "{jwks}");
    assert_eq!(admin_get(&s, "/openid-connect/jwks").await.1, jwks);
}

#[tokio::test]
async fn a_retired_instance_leaves_the_issuers_list() {
    let idp = idp().await;
    let s = setup(&idp, json!({"auth_methods": ["bearer"]}), json!([])).await;
    let (_, list) = admin_get(&s, "/openid-connect/issuers").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (_, plugins) = admin_get(&s, "/plugins").await;
    let id = plugins["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(admin_delete(&s, &format!("/plugins/{id}")).await, 204);
    let (_, list) = admin_get(&s, "/openid-connect/issuers").await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn consumer_groups_claim_maps_the_token_to_kong_consumer_groups() {
    let idp = password_idp().await;
    let config = json!({"auth_methods": ["password"], "consumer_groups_claim": ["tier"]});
    // No group named by the claim: forbidden, unless the mapping is optional.
    let s = setup_doc(&idp, config.clone(), json!({})).await;
    expect_message(
        s.get("/", &[("authorization", ALEX)]).await,
        403,
        "Forbidden",
    )
    .await;
    let mut optional = config.clone();
    optional["consumer_groups_optional"] = json!(true);
    let s = setup_doc(&idp, optional, json!({})).await;
    let h = upstream_headers(
        s.get(
            "/",
            &[("authorization", ALEX), ("x-consumer-groups", "forged")],
        )
        .await,
    )
    .await;
    assert_eq!(h.get("x-consumer-groups"), None, "{h}");

    let s = setup_doc(
        &idp,
        config,
        json!({"consumer_groups": [{"name": "gold"}, {"name": "silver"}]}),
    )
    .await;
    let h = upstream_headers(
        s.get(
            "/",
            &[("authorization", ALEX), ("x-consumer-groups", "silver")],
        )
        .await,
    )
    .await;
    assert_eq!(h["x-consumer-groups"], "gold");
}

#[tokio::test]
async fn acl_judges_the_mapped_consumer_groups() {
    let idp = password_idp().await;
    let up = echo().await;
    let oidc = json!({"issuer": idp.issuer(), "client_id": ["kong"], "client_secret": ["secret"],
                      "client_auth": ["client_secret_post"], "auth_methods": ["password"],
                      "consumer_claims": [["preferred_username"]], "consumer_by": ["username"],
                      "consumer_groups_claim": ["tier"]});
    let doc = |acl: Value| {
        json!({
            "_format_version": "3.0",
            "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}],
                          "plugins": [{"name": "openid-connect", "config": oidc},
                                      {"name": "acl", "config": acl}]}],
            "consumers": [{"username": "alex"}],
            "consumer_groups": [{"name": "gold"}],
        })
    };
    let run = |acl: Value| {
        let doc = doc(acl);
        async move {
            let gw = gateway_with(doc).await;
            client()
                .get(format!("{}/", gw.proxy_url()))
                .header("authorization", ALEX)
                .send()
                .await
                .unwrap()
        }
    };
    // alex is no member of gold himself: the token's tier put the request in it.
    let resp = run(json!({"allow": ["gold"], "include_consumer_groups": true})).await;
    let h = upstream_headers(resp).await;
    assert_eq!(h["x-consumer-groups"], "gold");
    let resp = run(json!({"deny": ["gold"], "include_consumer_groups": true})).await;
    expect_message(resp, 403, "You cannot consume this service").await;
    let resp = run(json!({"allow": ["gold"]})).await;
    expect_message(resp, 403, "You cannot consume this service").await;
}

/// A bad element of an array field is named by its position, as Kong does.
#[tokio::test]
async fn a_bad_array_element_is_a_schema_violation_naming_it() {
    let gw = gatecheck_gateway::start(
        gatecheck_gateway::Config::default(),
        common::listener().await,
        common::listener().await,
    )
    .await
    .unwrap();
    let resp = common::client()
        .post(format!("{}/plugins", gw.admin_url()))
        .json(&serde_json::json!({"name": "openid-connect", "config": {
            "issuer": "https://op.example", "scopes_required": ["openid", 7]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "schema violation");
    assert_eq!(
        body["fields"]["config"]["scopes_required"],
        serde_json::json!([null, "expected a string"]),
        "{body}"
    );
    assert_eq!(
        body["message"],
        "schema violation (config.scopes_required.2: expected a string)"
    );
}
