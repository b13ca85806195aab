//! The per-request algorithm against a wiremock oxd, one behaviour per test. End-to-end runs
//! through the gateway with the reference OP and oxd are in `tests/gluu_openid_connect*.rs`.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, COOKIE, LOCATION, SET_COOKIE};
use http::{Method, StatusCode};
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::config::Config;
use super::reply::Reply;
use super::request::{BodyInput, ManualClock, Outcome, RequestView};
use super::OpenIdConnect;

const OP: &str = "https://op.example";

struct Harness {
    oxd: MockServer,
    plugin: OpenIdConnect,
    clock: ManualClock,
    cookie: Option<String>,
}

fn acr_rules() -> Value {
    json!([
        {"path": "/payments/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["otp"]}]},
        {"path": "/home/??", "conditions": [{"httpMethods": ["?"], "no_auth": true}]},
        {"path": "/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["auth_ldap_server"]}]}
    ])
}

impl Harness {
    async fn new(patch: Value) -> Self {
        let oxd = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/get-client-token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": "pt", "expires_in": 300})),
            )
            .mount(&oxd)
            .await;
        Mock::given(method("POST"))
            .and(path("/get-authorization-url"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "authorization_url": format!("{OP}/authorize?client_id=gw&state=s1&nonce=n1")
            })))
            .mount(&oxd)
            .await;
        Mock::given(method("POST"))
            .and(path("/get-jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks()))
            .mount(&oxd)
            .await;
        Mock::given(method("POST"))
            .and(path("/get-user-info"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"sub": "alice", "email": "alice@example.org"})),
            )
            .mount(&oxd)
            .await;
        Mock::given(method("POST"))
            .and(path("/get-logout-uri"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"uri": format!("{OP}/end_session?x=1")})),
            )
            .mount(&oxd)
            .await;
        let mut config = json!({
            "oxd_id": "site", "client_id": "gw", "client_secret": "secret",
            "oxd_url": oxd.uri(), "op_url": OP,
            "authorization_redirect_path": "/callback",
            "logout_path": "/logout",
            "post_logout_redirect_path_or_url": "/bye",
            "requested_scopes": ["openid", "email"],
            "max_id_token_age": 60, "max_id_token_auth_age": 600,
            "required_acrs_expression": acr_rules(),
        });
        for (k, v) in patch.as_object().unwrap() {
            config[k] = v.clone();
        }
        let (config, _) = Config::from_value(&config).unwrap();
        let clock = ManualClock::default();
        let plugin = OpenIdConnect::new(
            config,
            cookie::Key::from(&[7; 64]),
            std::time::Duration::from_secs(5),
            Arc::new(clock.clone()),
        )
        .unwrap();
        Self {
            oxd,
            plugin,
            clock,
            cookie: None,
        }
    }

    /// oxd's `get-tokens-by-code` answers code `code` with an ID token carrying these claims,
    /// signed by the OP's key.
    async fn tokens_for(&self, code: &str, mut claims: Value) {
        claims["jti"] = json!(code);
        self.raw_tokens_for(code, &sign(&claims), claims).await;
    }

    async fn raw_tokens_for(&self, code: &str, id_token: &str, claims: Value) {
        ID_TOKENS
            .lock()
            .unwrap()
            .insert(id_token.to_string(), format!("idt-{code}"));
        Mock::given(method("POST"))
            .and(path("/get-tokens-by-code"))
            .and(body_partial_json(json!({"code": code})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": format!("at-{code}"),
                "id_token": id_token,
                "id_token_claims": claims,
            })))
            .mount(&self.oxd)
            .await;
    }

    fn claims(&self, acr: &str) -> Value {
        let now = self.now();
        json!({"iss": OP, "aud": "gw", "sub": "alice", "nonce": "n1", "acr": acr,
               "iat": now, "exp": now + 3600, "auth_time": now})
    }

    fn now(&self) -> i64 {
        use super::request::Clock;
        self.clock.now()
    }

    async fn send_with(
        &mut self,
        method: Method,
        target: &str,
        extra: &[(&'static str, &'static str)],
        body: Option<Bytes>,
    ) -> Outcome {
        let mut headers = HeaderMap::new();
        if let Some(c) = &self.cookie {
            headers.insert(COOKIE, HeaderValue::from_str(c).unwrap());
        }
        for (k, v) in extra {
            headers.append(*k, HeaderValue::from_static(v));
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let req = RequestView {
            method: &method,
            path,
            path_and_query: target,
            query,
            headers: &headers,
            origin: "http://gw.example",
            secure: false,
            body: match &body {
                Some(b) => BodyInput::Read(b),
                None => BodyInput::NotRead,
            },
        };
        let mut outcome = self.plugin.access(&req).await;
        if matches!(outcome, Outcome::NeedsBody) {
            // As the gateway adapter does: read the body (here: absent) and decide again.
            let req = RequestView {
                body: BodyInput::Unavailable,
                ..req
            };
            outcome = self.plugin.access(&req).await;
        }
        let set = match &outcome {
            Outcome::Reply(r) => r.headers.get(SET_COOKIE).cloned(),
            Outcome::Authenticated(a) => a.set_cookie.clone(),
            Outcome::Anonymous | Outcome::NeedsBody => None,
        };
        if let Some(set) = set {
            let text = set.to_str().unwrap();
            let pair = text.split(';').next().unwrap().to_string();
            self.cookie = (!text.contains("Max-Age=0")).then_some(pair);
        }
        outcome
    }

    async fn get(&mut self, target: &str) -> Outcome {
        self.send_with(Method::GET, target, &[], None).await
    }

    /// Visits `target`, expects the OP redirect, returns at the callback with `code`.
    async fn login(&mut self, target: &str, code: &str, acr: &str) -> Reply {
        let r = reply(self.get(target).await);
        assert_eq!(r.status, StatusCode::FOUND, "{r:?}");
        self.tokens_for(code, self.claims(acr)).await;
        reply(self.get(&format!("/callback?code={code}&state=s1")).await)
    }

    async fn authorization_requests(&self) -> Vec<Value> {
        self.oxd
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path() == "/get-authorization-url")
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

const KID: &str = "op-key-1";

static ID_TOKENS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
    std::sync::LazyLock::new(Default::default);

fn op_key() -> jsonwebtoken::EncodingKey {
    jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!(
        "../../../../../fixtures/op/keys/rs256.pem"
    ))
    .unwrap()
}

fn jwks() -> Value {
    let mut jwk =
        jsonwebtoken::jwk::Jwk::from_encoding_key(&op_key(), jsonwebtoken::Algorithm::RS256)
            .unwrap();
    jwk.common.key_id = Some(KID.into());
    json!({"keys": [jwk]})
}

fn sign(claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(KID.into());
    jsonwebtoken::encode(&header, claims, &op_key()).unwrap()
}

/// The short name (`idt-<code>`) of a signed ID token, for readable assertions.
fn short(id_token: &str) -> String {
    ID_TOKENS
        .lock()
        .unwrap()
        .get(id_token)
        .cloned()
        .unwrap_or_else(|| id_token.to_string())
}

fn reply(outcome: Outcome) -> Reply {
    match outcome {
        Outcome::Reply(r) => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn message(r: &Reply) -> String {
    serde_json::from_slice::<Value>(&r.body).unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string()
}

fn authenticated(outcome: Outcome) -> Box<super::request::Authenticated> {
    match outcome {
        Outcome::Authenticated(a) => a,
        other => panic!("expected authenticated, got {other:?}"),
    }
}

#[tokio::test]
async fn first_visit_redirects_with_required_acr_and_session_cookie() {
    let mut h = Harness::new(json!({})).await;
    let r = reply(h.get("/flights/?a=1").await);
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.headers[LOCATION],
        format!("{OP}/authorize?client_id=gw&state=s1&nonce=n1")
    );
    assert_eq!(r.headers["cache-control"], "no-cache, no-store, max-age=0");
    assert!(h.cookie.is_some());
    let sent = h.authorization_requests().await;
    assert_eq!(sent[0]["acr_values"], json!(["auth_ldap_server"]));
    assert_eq!(sent[0]["scope"], json!(["openid", "email"]));
    // max_age = max_id_token_auth_age (GG sent max_id_token_age, see authorize.rs).
    assert_eq!(sent[0]["params"]["max_age"], "600");
    assert!(sent[0].get("prompt").is_none());
}

#[tokio::test]
async fn login_returns_to_the_original_url_and_serves_from_the_session() {
    let mut h = Harness::new(json!({})).await;
    let r = h.login("/flights/?a=1", "c1", "auth_ldap_server").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers[LOCATION], "/flights/?a=1");
    let a = authenticated(h.get("/flights/?a=1").await);
    assert_eq!(short(&a.record.id_token), "idt-c1");
    assert_eq!(a.record.access_token, "at-c1");
    assert_eq!(a.record.userinfo["email"], "alice@example.org");
    assert_eq!(a.record.claims["acr"], "auth_ldap_server");
    // Another path of the same ACR: no new login.
    authenticated(h.get("/").await);
    assert_eq!(h.authorization_requests().await.len(), 1);
}

#[tokio::test]
async fn step_up_asks_for_otp_with_prompt_login_then_keeps_both_tokens() {
    let mut h = Harness::new(json!({})).await;
    h.login("/", "c1", "auth_ldap_server").await;
    let r = h.login("/payments/", "c2", "otp").await;
    assert_eq!(r.headers[LOCATION], "/payments/");
    let sent = h.authorization_requests().await;
    assert_eq!(sent[1]["acr_values"], json!(["otp"]));
    assert_eq!(sent[1]["prompt"], "login");
    assert_eq!(
        short(&authenticated(h.get("/payments/").await).record.id_token),
        "idt-c2"
    );
    // The ldap token still serves the other paths.
    assert_eq!(
        short(&authenticated(h.get("/flights/").await).record.id_token),
        "idt-c1"
    );
    assert_eq!(h.authorization_requests().await.len(), 2);
}

#[tokio::test]
async fn loop_breaker_when_the_op_returns_a_weaker_acr() {
    let mut h = Harness::new(json!({})).await;
    h.login("/", "c1", "auth_ldap_server").await;
    // The OP answers the otp request with an auth_ldap_server token.
    h.login("/payments/", "c2", "auth_ldap_server").await;
    let r = reply(h.get("/payments/").await);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        message(&r),
        "The resource requires one of the [otp] acr(s), you have [auth_ldap_server]"
    );
}

#[tokio::test]
async fn callback_without_session_or_pending_login_is_400_without_body() {
    let mut h = Harness::new(json!({})).await;
    let r = reply(h.get("/callback?code=c&state=s1").await);
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn callback_without_code_or_state() {
    let mut h = Harness::new(json!({})).await;
    h.get("/").await;
    for target in ["/callback", "/callback?code=c", "/callback?state=s1"] {
        let r = reply(h.get(target).await);
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(message(&r), "missed code or state argument(s)");
    }
}

#[tokio::test]
async fn callback_with_another_browsers_state_is_refused() {
    let mut h = Harness::new(json!({})).await;
    h.get("/").await;
    h.tokens_for("c1", h.claims("auth_ldap_server")).await;
    let r = reply(h.get("/callback?code=c1&state=forged").await);
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(message(&r).contains("state"));
}

#[tokio::test]
async fn callback_age_checks_have_ggs_messages() {
    let mut h = Harness::new(json!({})).await;
    let now = h.now();
    let cases = [
        (json!({"exp": now - 1}), "OP returns expired id_token"),
        (
            json!({"iat": now - 61}),
            "OP returns id_token with too old iat",
        ),
        (
            json!({"auth_time": now - 601}),
            "OP returns id_token with too old auth_time",
        ),
    ];
    for (i, (patch, expected)) in cases.into_iter().enumerate() {
        h.get("/").await;
        let mut claims = h.claims("auth_ldap_server");
        for (k, v) in patch.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let code = format!("old{i}");
        h.tokens_for(&code, claims).await;
        let r = reply(h.get(&format!("/callback?code={code}&state=s1")).await);
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(message(&r), expected);
    }
}

#[tokio::test]
async fn callback_refuses_foreign_issuer_audience_and_nonce() {
    let mut h = Harness::new(json!({})).await;
    for (i, (field, value)) in [("iss", "https://evil"), ("aud", "other"), ("nonce", "n2")]
        .into_iter()
        .enumerate()
    {
        h.get("/").await;
        let mut claims = h.claims("auth_ldap_server");
        claims[field] = json!(value);
        let code = format!("bad{i}");
        h.tokens_for(&code, claims).await;
        let r = reply(h.get(&format!("/callback?code={code}&state=s1")).await);
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{field}");
    }
}

#[tokio::test]
async fn oxd_failures_are_502() {
    let mut h = Harness::new(json!({})).await;
    h.get("/").await;
    Mock::given(method("POST"))
        .and(path("/get-tokens-by-code"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&h.oxd)
        .await;
    let r = reply(h.get("/callback?code=zz&state=s1").await);
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(message(&r), "An unexpected error ocurred");
}

#[tokio::test]
async fn no_auth_paths_with_and_without_session() {
    let mut h = Harness::new(json!({})).await;
    assert!(matches!(h.get("/home/").await, Outcome::Anonymous));
    h.login("/", "c1", "auth_ldap_server").await;
    assert_eq!(
        short(&authenticated(h.get("/home/x").await).record.id_token),
        "idt-c1"
    );
    // Once the token is too old, the no_auth path is still served, anonymously.
    h.clock.advance(61);
    assert!(matches!(h.get("/home/").await, Outcome::Anonymous));
}

#[tokio::test]
async fn token_age_expiry_refreshes_with_prompt_none() {
    let mut h = Harness::new(json!({})).await;
    h.login("/", "c1", "auth_ldap_server").await;
    h.clock.advance(60);
    let r = h.login("/flights/", "c2", "auth_ldap_server").await;
    assert_eq!(r.headers[LOCATION], "/flights/");
    let sent = h.authorization_requests().await;
    assert_eq!(sent[1]["prompt"], "none");
    assert_eq!(sent[1]["acr_values"], json!(["auth_ldap_server"]));
    assert_eq!(
        short(&authenticated(h.get("/flights/").await).record.id_token),
        "idt-c2"
    );
}

#[tokio::test]
async fn auth_age_expiry_forces_prompt_login() {
    let mut h = Harness::new(json!({"max_id_token_age": 6000})).await;
    h.login("/", "c1", "auth_ldap_server").await;
    h.clock.advance(600);
    let r = reply(h.get("/").await);
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(h.authorization_requests().await[1]["prompt"], "login");
}

#[tokio::test]
async fn silent_refresh_refused_by_the_op_restarts_interactively() {
    let mut h = Harness::new(json!({})).await;
    h.login("/", "c1", "auth_ldap_server").await;
    h.clock.advance(60);
    reply(h.get("/flights/").await);
    let r = reply(h.get("/callback?error=login_required&state=s1").await);
    assert_eq!(r.status, StatusCode::FOUND);
    let sent = h.authorization_requests().await;
    assert_eq!(sent.len(), 3);
    assert!(sent[2].get("prompt").is_none());
    // And the login completes back at the original URL.
    h.tokens_for("c3", h.claims("auth_ldap_server")).await;
    let r = reply(h.get("/callback?code=c3&state=s1").await);
    assert_eq!(r.headers[LOCATION], "/flights/");
}

#[tokio::test]
async fn op_error_without_code_is_401() {
    let mut h = Harness::new(json!({})).await;
    h.get("/").await;
    let r = reply(h.get("/callback?error=access_denied&state=s1").await);
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(message(&r).contains("access_denied"));
}

#[tokio::test]
async fn logout_ends_the_session_and_redirects_to_the_op() {
    let mut h = Harness::new(json!({})).await;
    h.login("/", "c1", "auth_ldap_server").await;
    let r = reply(h.get("/logout").await);
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers[LOCATION], format!("{OP}/end_session?x=1"));
    assert_eq!(r.headers["cache-control"], "no-cache, no-store, max-age=0");
    assert!(r.headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let sent: Vec<Value> = h
        .oxd
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/get-logout-uri")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(short(sent[0]["id_token_hint"].as_str().unwrap()), "idt-c1");
    assert_eq!(sent[0]["post_logout_redirect_uri"], "http://gw.example/bye");
    // The cookie is gone: logging out again is a 400, and pages need a new login.
    assert!(h.cookie.is_none());
    assert_eq!(
        reply(h.get("/logout").await).status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(reply(h.get("/").await).status, StatusCode::FOUND);
}

#[tokio::test]
async fn logout_keeps_the_session_when_oxd_fails() {
    let mut h = Harness::new(json!({})).await;
    h.login("/", "c1", "auth_ldap_server").await;
    h.oxd.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&h.oxd)
        .await;
    let r = reply(h.get("/logout").await);
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(r.body.is_empty());
    assert!(r.headers.get(SET_COOKIE).is_none());
    authenticated(h.get("/").await);
}

#[tokio::test]
async fn post_logout_path_passes_without_session() {
    let mut h = Harness::new(json!({})).await;
    assert!(matches!(h.get("/bye").await, Outcome::Anonymous));
}

#[tokio::test]
async fn post_logout_url_on_this_gateway_passes_too() {
    let mut h = Harness::new(json!({
        "post_logout_redirect_path_or_url": "http://gw.example/logout_redirect_uri"
    }))
    .await;
    assert!(matches!(
        h.get("/logout_redirect_uri").await,
        Outcome::Anonymous
    ));
    let mut other = Harness::new(json!({
        "post_logout_redirect_path_or_url": "https://elsewhere.example/logout_redirect_uri"
    }))
    .await;
    assert!(matches!(
        other.get("/logout_redirect_uri").await,
        Outcome::Reply(_)
    ));
}

#[tokio::test]
async fn post_is_replayed_once_after_login() {
    let mut h = Harness::new(json!({"restore_original_auth_params": true})).await;
    assert!(h.plugin.wants_body(&Method::POST));
    assert!(!h.plugin.wants_body(&Method::GET));
    let r = reply(
        h.send_with(
            Method::POST,
            "/form?x=1",
            &[("content-type", "text")],
            Some(Bytes::from_static(b"qwerty1234567")),
        )
        .await,
    );
    assert_eq!(r.status, StatusCode::FOUND);
    h.tokens_for("c1", h.claims("auth_ldap_server")).await;
    let r = reply(h.get("/callback?code=c1&state=s1").await);
    assert_eq!(r.headers[LOCATION], "/form?x=1");
    let a = authenticated(h.get("/form?x=1").await);
    let replay = a.replay.expect("replayed");
    assert_eq!(replay.method, Method::POST);
    assert_eq!(replay.content_type.as_ref().unwrap(), "text");
    assert_eq!(replay.body, "qwerty1234567");
    assert!(authenticated(h.get("/form?x=1").await).replay.is_none());
}

#[tokio::test]
async fn a_cross_site_post_is_never_replayed_after_login() {
    for forged in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let mut h = Harness::new(json!({"restore_original_auth_params": true})).await;
        let r = reply(
            h.send_with(
                Method::POST,
                "/transfer",
                &[
                    forged,
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Some(Bytes::from_static(b"to=attacker&amount=1000")),
            )
            .await,
        );
        // The login still starts, but nothing is saved to be carried out afterwards.
        assert_eq!(r.status, StatusCode::FOUND, "{forged:?}");
        h.tokens_for("c1", h.claims("auth_ldap_server")).await;
        let r = reply(h.get("/callback?code=c1&state=s1").await);
        assert_eq!(r.headers[LOCATION], "/transfer");
        assert!(
            authenticated(h.get("/transfer").await).replay.is_none(),
            "{forged:?}"
        );
    }
    // The gateway's own page posting is replayed.
    let mut h = Harness::new(json!({"restore_original_auth_params": true})).await;
    h.send_with(
        Method::POST,
        "/transfer",
        &[("origin", "http://gw.example")],
        Some(Bytes::from_static(b"to=friend")),
    )
    .await;
    h.tokens_for("c1", h.claims("auth_ldap_server")).await;
    reply(h.get("/callback?code=c1&state=s1").await);
    let replay = authenticated(h.get("/transfer").await)
        .replay
        .expect("replayed");
    assert_eq!(replay.body, "to=friend");
}

#[tokio::test]
async fn the_body_is_asked_for_only_when_a_login_saves_it() {
    let h = Harness::new(json!({"restore_original_auth_params": true})).await;
    let method = Method::POST;
    let headers = HeaderMap::new();
    let req = RequestView {
        method: &method,
        path: "/form",
        path_and_query: "/form",
        query: None,
        headers: &headers,
        origin: "http://gw.example",
        secure: false,
        body: BodyInput::NotRead,
    };
    assert!(matches!(h.plugin.access(&req).await, Outcome::NeedsBody));
    assert!(h.authorization_requests().await.is_empty());
    // A no_auth path never needs it.
    let req = RequestView {
        path: "/home/",
        path_and_query: "/home/",
        ..req
    };
    assert!(matches!(h.plugin.access(&req).await, Outcome::Anonymous));
}

#[tokio::test]
async fn post_is_not_saved_without_restore_original_auth_params() {
    let mut h = Harness::new(json!({})).await;
    assert!(!h.plugin.wants_body(&Method::POST));
    h.send_with(Method::POST, "/form", &[], None).await;
    h.tokens_for("c1", h.claims("auth_ldap_server")).await;
    reply(h.get("/callback?code=c1&state=s1").await);
    assert!(authenticated(h.get("/form").await).replay.is_none());
}

#[tokio::test]
async fn tampered_cookie_is_no_session() {
    let mut h = Harness::new(json!({})).await;
    h.login("/", "c1", "auth_ldap_server").await;
    let cookie = h.cookie.clone().unwrap();
    let (name, value) = cookie.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
    h.cookie = Some(format!("{name}={}", String::from_utf8(bytes).unwrap()));
    let r = reply(h.get("/").await);
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(h.authorization_requests().await[1].get("prompt").is_none());
}

#[tokio::test]
async fn api_clients_get_401_and_the_rfc9470_challenge() {
    let mut h = Harness::new(json!({})).await;
    let r = reply(
        h.send_with(Method::GET, "/", &[("accept", "application/json")], None)
            .await,
    );
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    assert!(h.cookie.is_none());
    h.login("/", "c1", "auth_ldap_server").await;
    let r = reply(
        h.send_with(
            Method::GET,
            "/payments/",
            &[("x-requested-with", "XMLHttpRequest")],
            None,
        )
        .await,
    );
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let challenge = r.headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer error=\"insufficient_user_authentication\""));
    assert!(challenge.ends_with("acr_values=\"otp\""));
    // The same client is served where the session suffices.
    authenticated(
        h.send_with(
            Method::GET,
            "/flights/",
            &[("accept", "application/json")],
            None,
        )
        .await,
    );
}

#[tokio::test]
async fn another_instance_with_the_same_secret_recovers_silently() {
    let mut a = Harness::new(json!({})).await;
    a.login("/", "c1", "auth_ldap_server").await;
    let mut b = Harness::new(json!({"oxd_url": a.oxd.uri()})).await;
    b.cookie = a.cookie.clone();
    // b knows the user holds an auth_ldap_server token but has no record: prompt=none.
    let r = reply(b.get("/flights/").await);
    assert_eq!(r.status, StatusCode::FOUND);
    // (b talks to a's oxd.)
    let sent = a.authorization_requests().await;
    assert_eq!(sent.last().unwrap()["prompt"], "none");
    a.tokens_for("c2", b.claims("auth_ldap_server")).await;
    reply(b.get("/callback?code=c2&state=s1").await);
    assert_eq!(
        short(&authenticated(b.get("/flights/").await).record.id_token),
        "idt-c2"
    );
    // a still serves from its own record with the cookie b wrote.
    a.cookie = b.cookie.clone();
    assert_eq!(
        short(&authenticated(a.get("/flights/").await).record.id_token),
        "idt-c1"
    );
}

#[tokio::test]
async fn a_different_secret_sees_no_session() {
    let mut a = Harness::new(json!({})).await;
    a.login("/", "c1", "auth_ldap_server").await;
    let (config, _) = Config::from_value(&json!({
        "oxd_id": "site", "client_id": "gw", "client_secret": "secret",
        "oxd_url": a.oxd.uri(), "op_url": OP, "authorization_redirect_path": "/callback",
        "max_id_token_age": 60, "max_id_token_auth_age": 600
    }))
    .unwrap();
    let other = OpenIdConnect::new(
        config,
        cookie::Key::from(&[9; 64]),
        std::time::Duration::from_secs(5),
        Arc::new(ManualClock::default()),
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        COOKIE,
        HeaderValue::from_str(a.cookie.as_ref().unwrap()).unwrap(),
    );
    assert!(other.codec.read(&headers, a.now()).is_none());
}

#[tokio::test]
async fn id_tokens_must_carry_the_ops_signature() {
    let mut h = Harness::new(json!({})).await;
    let claims = h.claims("auth_ldap_server");
    let good = sign(&claims);
    let (head, rest) = good.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let mut forged_claims = claims.clone();
    forged_claims["acr"] = json!("otp");
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        forged_claims.to_string(),
    );
    let unsigned_head = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        r#"{"alg":"none","typ":"JWT"}"#,
    );
    let mut other_kid = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    other_kid.kid = Some("unknown".into());
    let cases = [
        (
            format!("{head}.{forged_payload}.{sig}"),
            "OP returns id_token with an invalid signature",
        ),
        (
            format!("{unsigned_head}.{forged_payload}."),
            "OP returns id_token with an unacceptable signature algorithm",
        ),
        (
            jsonwebtoken::encode(&other_kid, &claims, &op_key()).unwrap(),
            "OP returns id_token signed with an unknown key",
        ),
        (
            "not-a-jwt".to_string(),
            "OP returns id_token with an unacceptable signature algorithm",
        ),
    ];
    for (i, (token, expected)) in cases.into_iter().enumerate() {
        h.get("/").await;
        let code = format!("sig{i}");
        h.raw_tokens_for(&code, &token, forged_claims.clone()).await;
        let r = reply(h.get(&format!("/callback?code={code}&state=s1")).await);
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{expected}");
        assert_eq!(message(&r), expected);
    }
}

#[tokio::test]
async fn an_active_session_is_renewed_before_it_expires() {
    let mut h =
        Harness::new(json!({"max_id_token_age": 6000, "max_id_token_auth_age": 6000})).await;
    reply(h.get("/").await);
    let mut claims = h.claims("auth_ldap_server");
    claims["exp"] = json!(h.now() + 10_000);
    h.tokens_for("c1", claims).await;
    reply(h.get("/callback?code=c1&state=s1").await);
    assert!(authenticated(h.get("/").await).set_cookie.is_none());
    h.clock.advance(3100);
    let a = authenticated(h.get("/").await);
    let renewed = a.set_cookie.expect("renewed cookie");
    assert!(renewed.to_str().unwrap().contains("Max-Age=3600"));
    // Without the renewal the old cookie would have lapsed at 3600 s; the renewed one holds.
    h.clock.advance(600);
    authenticated(h.get("/").await);
}
