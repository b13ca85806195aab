//! Kong's `openid-connect` in a browser against the reference OP in process, set up as the
//! guides' Keycloak (client `kong`, user alex / doe): the authorization code flow (query and
//! form_post), `login_action`, the session that follows, its expiry on the injectable clock,
//! logout, and every way a callback can be wrong — none of which may leave a session.

mod common;

use std::sync::Arc;

use common::openid_connect::{param, set_cookie, set_cookie_header};
use common::{client, echo, listener};
use gatecheck_browser::{driver, Browser, Page};
use gatecheck_gateway::clock::ManualClock;
use reqwest::header::LOCATION;
use serde_json::{json, Value};
use url::Url;

const SECRET: &str = "UNT3GPzCKI7zUbhAmFSUGbj4wmiBDGiW";
/// alex's authenticator (base32), for the OP's `otp` method.
const OTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

struct Stack {
    op: gatecheck_op::Handle,
    op_clock: gatecheck_op::ManualClock,
    gw: gatecheck_gateway::Handle,
    clock: ManualClock,
    _up: gatecheck_upstream::Handle,
}

impl Stack {
    async fn start(config: Value) -> Stack {
        Self::start_with(config, json!({})).await
    }

    /// The OP with client `kong` redirecting to the gateway's `/anything` (and `/callback`),
    /// the echo upstream on `/`, and `openid-connect` with `config` over the guide's basics.
    async fn start_with(config: Value, client_patch: Value) -> Stack {
        Self::start_routes(config, client_patch, json!({}), json!({})).await
    }

    /// As [`Stack::start_with`], with `op_patch` over the OP's config and, for each
    /// `path: config` of `routes`, a route of its own whose `openid-connect` has `config` over
    /// the first route's (the same session secret and cookie: one session for both).
    async fn start_routes(
        config: Value,
        client_patch: Value,
        op_patch: Value,
        routes: Value,
    ) -> Stack {
        let proxy = listener().await;
        let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
        let mut kong = json!({
            "client_id": "kong", "client_secret": SECRET,
            "redirect_uris": [format!("{proxy_url}/anything"), format!("{proxy_url}/callback"),
                              format!("{proxy_url}/admin")],
            "post_logout_redirect_uris": [format!("{proxy_url}/bye")],
            "scopes": ["openid", "profile", "email", "offline_access"],
            "default_scopes": ["profile", "email"],
            "grant_types": ["authorization_code", "password", "refresh_token"],
            "access_token_as_jwt": true, "pre_authorized": true,
        });
        for (k, v) in client_patch.as_object().unwrap() {
            kong[k] = v.clone();
        }
        let mut op_config = json!({
            "keys": [{"alg": "RS256", "pem": concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/op/keys/rs256.pem")}],
            "lifetimes": {"access_token": 60},
            "scopes": ["openid", "profile", "email", "offline_access"],
            // Enrolled already (the step-up's otp method), which a password login ignores.
            "users": [{"username": "alex", "password": "doe", "otp_secret": OTP_SECRET}],
            "clients": [kong],
        });
        for (k, v) in op_patch.as_object().unwrap() {
            op_config[k] = v.clone();
        }
        // YAML is a superset of JSON.
        let op_config = gatecheck_op::Config::from_yaml_str(&op_config.to_string()).unwrap();
        let op_clock = gatecheck_op::ManualClock::default();
        let op =
            gatecheck_op::start_with_clock(op_config, listener().await, Arc::new(op_clock.clone()))
                .await
                .unwrap();
        let up = echo().await;
        let mut cfg = json!({"issuer": op.issuer(), "client_id": ["kong"],
            "client_secret": [SECRET], "client_auth": ["client_secret_post"],
            "auth_methods": ["authorization_code", "session"], "timeout": 5000});
        let config: Value =
            serde_json::from_str(&config.to_string().replace("${proxy}", &proxy_url)).unwrap();
        for (k, v) in config.as_object().unwrap() {
            cfg[k] = v.clone();
        }
        let mut services = Vec::new();
        for (path, patch) in routes.as_object().unwrap() {
            let mut route_cfg = cfg.clone();
            for (k, v) in patch.as_object().unwrap() {
                route_cfg[k] = v.clone();
            }
            services.push(json!({"name": path.trim_matches('/'), "url": up.url(),
                "routes": [{"paths": [path], "strip_path": false}],
                "plugins": [{"name": "openid-connect", "config": route_cfg}]}));
        }
        services.push(
            json!({"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}],
                          "plugins": [{"name": "openid-connect", "config": cfg}]}),
        );
        let doc = json!({"_format_version": "3.0", "services": services});
        let clock = ManualClock::default();
        let gw = gatecheck_gateway::start_with_clock(
            gatecheck_gateway::Config {
                declarative_config_string: Some(doc),
                session_secret: Some("a session secret shared by the instances".into()),
                ..Default::default()
            },
            proxy,
            listener().await,
            Arc::new(clock.clone()),
        )
        .await
        .unwrap();
        Stack {
            op,
            op_clock,
            gw,
            clock,
            _up: up,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gw.proxy_url())
    }

    /// Moves the gateway's and the OP's clocks.
    fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
        self.op_clock.advance(seconds);
    }

    /// A browser that logs in as alex from `path`; returns the page it lands on.
    async fn login(&self, browser: &Browser, path: &str) -> Page {
        let page = browser.open(&self.url(path)).await.unwrap();
        assert!(
            page.form(Some(driver::LOGIN_FORM)).is_ok(),
            "not the OP's login page: {} {}",
            page.url,
            page.body
        );
        driver::log_in(browser, "alex", "doe").await.unwrap()
    }

    /// Starts a login without following it: the authorization URL and the cookie to send back.
    async fn start_login(&self, path: &str) -> (Url, String) {
        let r = client().get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 302);
        let cookie = set_cookie(&r, "authorization").expect("authorization cookie");
        let location = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
        (location, cookie)
    }

    /// Logs alex in at the OP from `authorize` and stops at the redirect back to the gateway.
    async fn code_for(&self, authorize: &Url) -> Url {
        let browser = Browser::builder()
            .stay_on(&self.op.url())
            .unwrap()
            .build()
            .unwrap();
        browser.open(authorize.as_str()).await.unwrap();
        let page = driver::log_in(&browser, "alex", "doe").await.unwrap();
        page.location()
            .expect("the OP redirects back to the gateway")
    }
}

fn browser() -> Browser {
    Browser::new(std::time::Duration::from_secs(10)).unwrap()
}

fn echoed(page: &Page) -> Value {
    assert_eq!(page.status, 200, "{} {}", page.url, page.body);
    page.json().unwrap()
}

fn went_to_op(browser: &Browser, op: &gatecheck_op::Handle) -> bool {
    browser
        .last_navigation()
        .iter()
        .any(|h| h.url.as_str().starts_with(&op.url()))
}

#[tokio::test]
async fn the_guide_flow_form_post_redirects_back_with_the_query_and_the_session_serves_next() {
    // docs/kong-guides.md#authorization-code-flow-guide
    let s = Stack::start(
        json!({"response_mode": "form_post", "preserve_query_args": true,
        "login_action": "redirect", "login_tokens": null}),
    )
    .await;
    let (authorize, cookie) = s.start_login("/anything?hello=world").await;
    assert!(authorize.as_str().starts_with(&s.op.url()));
    for (k, v) in [
        ("response_type", "code"),
        ("client_id", "kong"),
        ("scope", "openid"),
        ("response_mode", "form_post"),
        ("code_challenge_method", "S256"),
    ] {
        assert_eq!(
            param(&authorize, k).as_deref(),
            Some(v),
            "{k} in {authorize}"
        );
    }
    assert_eq!(
        param(&authorize, "redirect_uri").unwrap(),
        s.url("/anything"),
        "default redirect_uri: the request URL without its query"
    );
    for k in ["state", "nonce", "code_challenge"] {
        assert!(param(&authorize, k).is_some_and(|v| v.len() >= 43), "{k}");
    }
    assert!(cookie.len() > "authorization=".len());

    let b = browser();
    let page = s.login(&b, "/anything?hello=world").await;
    let echo = echoed(&page);
    assert_eq!(page.url.as_str(), s.url("/anything?hello=world"));
    assert_eq!(echo["args"], json!({"hello": "world"}));
    assert_eq!(echo["method"], "GET");
    assert!(echo["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer ey"));
    let hops = page
        .hops
        .iter()
        .map(|h| (h.method.as_str(), h.status))
        .collect::<Vec<_>>();
    assert!(
        hops.contains(&("POST", 302)),
        "the form_post callback redirects back: {hops:?}"
    );
    // The session serves the next request without the OP; the cookies stay off the upstream.
    let next = b.open(&s.url("/anything/again")).await.unwrap();
    let echo = echoed(&next);
    assert!(!went_to_op(&b, &s.op));
    assert!(echo["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer ey"));
    // (The OP's cookies are there: browsers scope cookies by host, not port.)
    let cookies = echo["headers"]["cookie"].as_str().unwrap_or("");
    assert!(
        !cookies
            .split("; ")
            .any(|c| c.starts_with("session=") || c.starts_with("authorization=")),
        "{cookies}"
    );
}

#[tokio::test]
async fn login_action_upstream_proxies_the_callback_without_its_parameters() {
    let s = Stack::start(json!({})).await;
    let b = browser();
    let page = s.login(&b, "/anything?hello=world").await;
    let echo = echoed(&page);
    assert_eq!(echo["path"], "/anything");
    let cookies = echo["headers"]["cookie"].as_str().unwrap_or("");
    assert!(!cookies.contains("authorization="), "{cookies}");
    assert_eq!(
        echo["args"],
        json!({}),
        "no code/state/iss upstream: {echo}"
    );
    assert!(echo["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer ey"));

    let s = Stack::start(json!({"preserve_query_args": true})).await;
    let b = browser();
    let echo = echoed(&s.login(&b, "/anything?hello=world&n=2").await);
    assert_eq!(echo["args"], json!({"hello": "world", "n": "2"}));
}

#[tokio::test]
async fn login_action_response_and_redirect_hand_over_the_login_tokens() {
    let s = Stack::start(json!({"login_action": "response",
        "login_tokens": ["id_token", "access_token", "tokens"]}))
    .await;
    let page = s.login(&browser(), "/anything").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page.json().unwrap();
    assert!(body["id_token"].as_str().unwrap().starts_with("ey"));
    assert!(body["access_token"].as_str().unwrap().starts_with("ey"));
    assert_eq!(body["tokens"]["token_type"], "Bearer");

    let s = Stack::start(json!({"login_action": "redirect",
        "login_redirect_uri": ["http://app.example/done?x=1"], "login_redirect_mode": "query"}))
    .await;
    let b = Browser::builder()
        .stay_on(&s.op.url())
        .unwrap()
        .build()
        .unwrap();
    let (authorize, cookie) = s.start_login("/anything").await;
    b.open(authorize.as_str()).await.unwrap();
    let back = driver::log_in(&b, "alex", "doe")
        .await
        .unwrap()
        .location()
        .unwrap();
    let r = client()
        .get(back.as_str())
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let to = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert_eq!(to.host_str(), Some("app.example"));
    assert_eq!(param(&to, "x").as_deref(), Some("1"));
    assert!(param(&to, "id_token").unwrap().starts_with("ey"));
    assert!(set_cookie(&r, "session").is_some_and(|c| c.len() > 10));
    assert_eq!(
        set_cookie(&r, "authorization").as_deref(),
        Some("authorization=")
    );
}

#[tokio::test]
async fn the_authorization_cookie_and_the_request_shape_the_redirect() {
    let s = Stack::start(json!({"scopes": ["openid", "email"], "audience": ["api"],
        "max_age": 600, "require_proof_key_for_code_exchange": false,
        "authorization_query_args_names": ["prompt"], "authorization_query_args_values": ["login"],
        "authorization_query_args_client": ["ui_locales"],
        "authorization_endpoint": "http://idp.example/auth?realm=master"}))
    .await;
    let r = client()
        .get(s.url("/anything?ui_locales=de&other=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let attrs = set_cookie_header(&r, "authorization").unwrap_or_default();
    for a in ["HttpOnly", "SameSite=Lax", "Max-Age=600", "Path=/"] {
        assert!(attrs.contains(a), "{a} in {attrs}");
    }
    let to = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(to
        .as_str()
        .starts_with("http://idp.example/auth?realm=master&"));
    assert_eq!(param(&to, "scope").as_deref(), Some("openid email"));
    assert_eq!(param(&to, "audience").as_deref(), Some("api"));
    assert_eq!(param(&to, "max_age").as_deref(), Some("600"));
    assert_eq!(param(&to, "prompt").as_deref(), Some("login"));
    assert_eq!(param(&to, "ui_locales").as_deref(), Some("de"));
    assert_eq!(param(&to, "other"), None);
    assert_eq!(param(&to, "code_challenge"), None, "PKCE forced off");
    assert_eq!(param(&to, "response_mode"), None, "query is the default");

    // Callers that cannot follow a redirect get the challenge.
    for (h, v) in [
        ("accept", "application/json"),
        ("x-requested-with", "XMLHttpRequest"),
    ] {
        let r = client()
            .get(s.url("/anything"))
            .header(h, v)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{h}");
        assert!(r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm="));
        assert!(set_cookie(&r, "authorization").is_none());
    }
}

/// Sends the callback `url` with `cookie`; asserts it is refused without a session.
async fn refused(url: &str, cookie: &str) {
    let r = client()
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "{url}");
    assert!(set_cookie(&r, "session").is_none(), "no session for {url}");
    assert_eq!(
        set_cookie(&r, "authorization").as_deref(),
        Some("authorization="),
        "the login is over"
    );
    assert_eq!(r.text().await.unwrap(), r#"{"message":"Unauthorized"}"#);
}

#[tokio::test]
async fn a_wrong_callback_is_401_and_never_a_session() {
    let s = Stack::start(json!({})).await;
    let (authorize, cookie) = s.start_login("/anything").await;
    let state = param(&authorize, "state").unwrap();
    let back = s.code_for(&authorize).await;
    let code = param(&back, "code").unwrap();
    assert_eq!(param(&back, "state").unwrap(), state);
    let at = |q: &str| format!("{}?{q}", s.url("/anything"));
    // The IdP's refusal, a tampered or missing state, a foreign issuer, no code.
    refused(&at(&format!("error=access_denied&state={state}")), &cookie).await;
    refused(&at(&format!("code={code}&state={state}x")), &cookie).await;
    refused(&at(&format!("code={code}")), &cookie).await;
    refused(
        &at(&format!("code={code}&state={state}&iss=http%3A%2F%2Fevil")),
        &cookie,
    )
    .await;
    refused(&at(&format!("state={state}")), &cookie).await;
    // A tampered authorization cookie.
    refused(back.as_str(), &format!("{cookie}x")).await;
    // The real callback works once; replayed, the OP refuses the code.
    let r = client()
        .get(back.as_str())
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(set_cookie(&r, "session").is_some_and(|c| c.len() > 10));
    refused(back.as_str(), &cookie).await;
}

#[tokio::test]
async fn a_login_that_takes_too_long_or_started_elsewhere_starts_over() {
    let s = Stack::start(json!({})).await;
    let (authorize, cookie) = s.start_login("/anything").await;
    let back = s.code_for(&authorize).await;
    s.clock.advance(600);
    refused(back.as_str(), &cookie).await;
    // Callback parameters on another path than the redirect_uri are not a callback: a new login.
    let (authorize, cookie) = s.start_login("/anything").await;
    let state = param(&authorize, "state").unwrap();
    let r = client()
        .get(s.url(&format!("/other?code=x&state={state}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_ne!(
        param(
            &Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap(),
            "state"
        )
        .unwrap(),
        state
    );
    // Without an authorization cookie, callback parameters just start a login.
    let r = client()
        .get(s.url(&format!("/anything?code=x&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
}

#[tokio::test]
async fn the_session_expires_on_the_clock_and_the_browser_logs_in_again() {
    let s = Stack::start(json!({"session_idling_timeout": 300})).await;
    let b = browser();
    echoed(&s.login(&b, "/anything").await);
    s.advance(299);
    echoed(&b.open(&s.url("/anything")).await.unwrap());
    assert!(!went_to_op(&b, &s.op));
    s.advance(300);
    // The access token (60 s) expired long ago too: the refresh token kept it alive until the
    // idling timeout ended the session.
    // The OP still has its own session: it sends the browser straight back with a new code.
    let page = b.open(&s.url("/anything")).await.unwrap();
    assert!(went_to_op(&b, &s.op));
    echoed(&page);
}

#[tokio::test]
async fn logout_ends_the_session_at_the_gateway_and_the_op() {
    let s = Stack::start(
        json!({"logout_uri_suffix": "/logout", "logout_methods": ["POST", "GET"],
        "logout_redirect_uri": ["${proxy}/bye"], "logout_revoke": true}),
    )
    .await;
    let b = browser();
    echoed(&s.login(&b, "/anything").await);
    let session_cookie = b.cookies_for(&Url::parse(&s.url("/")).unwrap()).unwrap();
    let r = b
        .http()
        .post(s.url("/anything/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let to = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(to.as_str().starts_with(&s.op.url()), "{to}");
    assert!(to.path().ends_with("end_session"), "{to}");
    assert!(param(&to, "id_token_hint").unwrap().starts_with("ey"));
    assert_eq!(param(&to, "client_id").as_deref(), Some("kong"));
    assert_eq!(
        param(&to, "post_logout_redirect_uri").unwrap(),
        s.url("/bye")
    );
    assert_eq!(set_cookie(&r, "session").as_deref(), Some("session="));
    // The OP ends its session and sends the browser to the post-logout URI.
    b.open(to.as_str()).await.unwrap();
    assert!(
        b.last_navigation()
            .iter()
            .any(|h| h.url.as_str().starts_with(&s.url("/bye"))),
        "{:?}",
        b.last_navigation()
    );
    // The old cookie, replayed, is no session any more: a new login starts.
    let r = client()
        .get(s.url("/anything"))
        .header("cookie", &session_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with(&s.op.url()));
}

mod idp_faults {
    //! The callback against a wiremock IdP: ID tokens wrong in one way each, and a token
    //! endpoint that fails.
    use super::common::jwt::{jwk, keys, sign};
    use super::common::{client, echo, gateway_with, now};
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    struct Idp {
        server: MockServer,
        gw: gatecheck_gateway::Handle,
        _up: gatecheck_upstream::Handle,
    }

    async fn idp() -> Idp {
        idp_timing_out_after(500).await
    }

    /// [`idp`] with the plugin's `timeout` (ms) for calls to it.
    async fn idp_timing_out_after(timeout_ms: u64) -> Idp {
        let server = MockServer::start().await;
        let base = server.uri();
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": base, "jwks_uri": format!("{base}/jwks"),
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"keys": [jwk(&keys().good, "k1")]})),
            )
            .mount(&server)
            .await;
        let up = echo().await;
        let gw = gateway_with(json!({
            "_format_version": "3.0",
            "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}],
                "plugins": [{"name": "openid-connect", "config": {
                    "issuer": base, "client_id": ["kong"], "client_secret": ["s"],
                    "auth_methods": ["authorization_code", "session"], "timeout": timeout_ms}}]}],
        }))
        .await;
        Idp {
            server,
            gw,
            _up: up,
        }
    }

    /// Starts a login, makes the token endpoint answer `answer(nonce)`, sends the callback.
    async fn callback_with(
        idp: &Idp,
        answer: impl Fn(&str) -> ResponseTemplate,
    ) -> reqwest::Response {
        let url = format!("{}/anything", idp.gw.proxy_url());
        let r = client().get(&url).send().await.unwrap();
        assert_eq!(r.status(), 302);
        let cookie = set_cookie(&r, "authorization").unwrap();
        let to = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
        assert_eq!(
            param(&to, "code_challenge"),
            None,
            "discovery advertises no code_challenge_methods_supported"
        );
        let (state, nonce) = (param(&to, "state").unwrap(), param(&to, "nonce").unwrap());
        idp.server.reset().await;
        let base = idp.server.uri();
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": base, "jwks_uri": format!("{base}/jwks"),
                "token_endpoint": format!("{base}/token")})))
            .mount(&idp.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"keys": [jwk(&keys().good, "k1")]})),
            )
            .mount(&idp.server)
            .await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(answer(&nonce))
            .mount(&idp.server)
            .await;
        client()
            .get(format!("{url}?code=c0de&state={state}"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    fn tokens(idp: &Idp, id_claims: Value, key: &rsa::RsaPrivateKey) -> ResponseTemplate {
        let at = sign(
            &keys().good,
            Some("k1"),
            &json!({"iss": idp.server.uri(), "sub": "alex",
            "exp": now() + 60, "iat": now(), "scope": "openid"}),
        );
        let mut claims = json!({"iss": idp.server.uri(), "sub": "alex", "aud": "kong",
            "exp": now() + 60, "iat": now()});
        for (k, v) in id_claims.as_object().unwrap() {
            claims[k] = v.clone();
        }
        ResponseTemplate::new(200).set_body_json(json!({"access_token": at, "token_type": "Bearer",
            "expires_in": 60, "id_token": sign(key, Some("k1"), &claims)}))
    }

    #[tokio::test]
    async fn each_bad_id_token_and_a_failing_idp_leave_no_session() {
        let idp = idp().await;
        let good = callback_with(&idp, |n| tokens(&idp, json!({"nonce": n}), &keys().good)).await;
        assert_eq!(good.status(), 200, "the baseline logs in");
        assert!(set_cookie(&good, "session").is_some());
        for (what, claims, key) in [
            ("nonce", json!({"nonce": "another"}), &keys().good),
            ("audience", json!({"aud": "someone-else"}), &keys().good),
            ("expiry", json!({"exp": now() - 5}), &keys().good),
            (
                "at_hash",
                json!({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}),
                &keys().good,
            ),
        ] {
            let r = callback_with(&idp, |n| {
                let mut c = claims.clone();
                if c.get("nonce").is_none() {
                    c["nonce"] = json!(n);
                }
                tokens(&idp, c, key)
            })
            .await;
            assert_eq!(r.status(), 401, "{what}");
            assert!(set_cookie(&r, "session").is_none(), "{what}");
        }
        let r = callback_with(&idp, |n| tokens(&idp, json!({"nonce": n}), &keys().other)).await;
        assert_eq!(r.status(), 401, "a key the IdP never published");
        let r = callback_with(&idp, |_| ResponseTemplate::new(503)).await;
        assert_eq!(r.status(), 500);
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"message":"An unexpected error occurred"}"#
        );
        let r = callback_with(&idp, |_| {
            ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"}))
        })
        .await;
        assert_eq!(r.status(), 401, "a code the IdP refuses");
        assert!(set_cookie(&r, "session").is_none());
    }

    /// A slow token endpoint stamps `iat` a second after the gateway sent the code: the ID
    /// token is judged when it arrives, so it is not "issued in the future" (leeway 0). The
    /// delay stands for the IdP's slowness; it synchronises nothing.
    #[tokio::test]
    async fn an_id_token_stamped_while_the_token_call_was_under_way_is_accepted() {
        let idp = idp_timing_out_after(5000).await;
        let r = callback_with(&idp, |n| {
            tokens(&idp, json!({"nonce": n, "iat": now() + 1}), &keys().good)
                .set_delay(std::time::Duration::from_millis(1100))
        })
        .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        assert!(set_cookie(&r, "session").is_some());
    }
}

// acr step-up (`required_acr_values`, a gatecheck extension): `/admin` requires the OP's
// `otp` method, `/` does not; both routes share the session.

/// The OP's `otp` method's authenticator for alex, pre-enrolled.
fn authenticator() -> gatecheck_browser::Authenticator {
    gatecheck_browser::Authenticator::from_uri(&format!(
        "otpauth://totp/gatecheck:alex?secret={OTP_SECRET}&issuer=gatecheck"
    ))
    .unwrap()
}

async fn step_up_stack(op_patch: Value) -> Stack {
    Stack::start_routes(
        json!({}),
        json!({}),
        op_patch,
        json!({"/admin": {"required_acr_values": ["otp"],
            "auth_methods": ["authorization_code", "session", "bearer"]}}),
    )
    .await
}

/// The `acr` of an ID token.
fn acr_of(id_token: &str) -> Option<String> {
    use base64::Engine;
    let payload = id_token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?,
    )
    .ok()?;
    claims["acr"].as_str().map(str::to_owned)
}

/// A password-level session of alex, made at `/anything` without a browser: its cookie.
async fn weak_session(s: &Stack) -> String {
    let (authorize, cookie) = s.start_login("/anything").await;
    assert_eq!(param(&authorize, "acr_values"), None, "{authorize}");
    let back = s.code_for(&authorize).await;
    let r = client()
        .get(back.as_str())
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    set_cookie(&r, "session").expect("a session")
}

#[tokio::test]
async fn step_up_sends_a_weak_session_to_the_op_with_acr_values_and_the_new_session_has_the_acr() {
    let s = step_up_stack(json!({})).await;
    let b = Browser::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    // A password login at `/` (the OP's default method, auth_ldap_server).
    echoed(&s.login(&b, "/anything").await);
    // `/admin` sends the browser back to the OP asking for otp; the OP knows the user and asks
    // for the password again, then the one-time password.
    let page = b.open(&s.url("/admin?x=1")).await.unwrap();
    let to_op = b
        .last_navigation()
        .iter()
        .find(|h| h.url.as_str().starts_with(&s.op.url()))
        .map(|h| h.url.clone())
        .expect("the step-up went to the OP");
    assert_eq!(
        param(&to_op, "acr_values").as_deref(),
        Some("otp"),
        "{to_op}"
    );
    assert_eq!(param(&to_op, "prompt"), None, "acr_values alone: {to_op}");
    assert_eq!(
        param(&to_op, "redirect_uri").unwrap(),
        s.url("/admin"),
        "{to_op}"
    );
    assert_eq!(
        driver::Prompt::of(&page).unwrap(),
        driver::Prompt::Login,
        "{}",
        page.body
    );
    let clock = s.op_clock.clone();
    let now = move || gatecheck_op::Clock::now(&clock) as u64;
    let page = driver::complete_login(
        &b,
        "alex",
        "doe",
        &mut Some(authenticator()),
        driver::Code::At(&now),
    )
    .await
    .unwrap();
    let echo = echoed(&page);
    assert_eq!(echo["path"], "/admin");
    // The stronger session serves both routes from now on, without the OP.
    let again = b.open(&s.url("/admin/users")).await.unwrap();
    assert_eq!(echoed(&again)["path"], "/admin/users");
    assert!(!went_to_op(&b, &s.op), "the new session has acr otp");
    echoed(&b.open(&s.url("/anything")).await.unwrap());
    assert!(!went_to_op(&b, &s.op));
}

#[tokio::test]
async fn step_up_gives_apis_rfc_9470s_challenge_and_browsers_a_redirect() {
    let s = step_up_stack(json!({})).await;
    let weak = weak_session(&s).await;
    // The weak session serves the route without a requirement.
    let r = client()
        .get(s.url("/anything"))
        .header("cookie", &weak)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let challenge = "Bearer realm=\"127.0.0.1\", error=\"insufficient_user_authentication\", \
        error_description=\"A different authentication level is required\", acr_values=\"otp\"";
    // An API (JSON only, or an XHR) with that session: 401 and the challenge, session kept.
    for (name, value) in [
        ("accept", "application/json"),
        ("x-requested-with", "XMLHttpRequest"),
    ] {
        let r = client()
            .get(s.url("/admin"))
            .header("cookie", &weak)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{name}");
        assert_eq!(r.headers()["www-authenticate"], challenge, "{name}");
        assert_eq!(set_cookie(&r, "session"), None, "the session is kept");
        assert_eq!(r.text().await.unwrap(), r#"{"message":"Unauthorized"}"#);
    }
    // A bearer token of a password login (its acr is not otp) gets the same challenge.
    let token: Value = client()
        .post(format!("{}/oxauth/restv1/token", s.op.url()))
        .basic_auth("kong", Some(SECRET))
        .form(&[
            ("grant_type", "password"),
            ("username", "alex"),
            ("password", "doe"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = token["access_token"].as_str().expect("a token");
    let r = client()
        .get(s.url("/admin"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], challenge);
    // A browser with the weak session is sent to re-authenticate, with a new authorization
    // cookie, its session untouched.
    let r = client()
        .get(s.url("/admin"))
        .header("cookie", &weak)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let to = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(to.as_str().starts_with(&s.op.url()), "{to}");
    assert_eq!(param(&to, "acr_values").as_deref(), Some("otp"));
    assert!(set_cookie(&r, "authorization").is_some_and(|c| c.len() > 20));
    assert_eq!(set_cookie(&r, "session"), None);
    // A browser without any session asks for otp on its first login.
    let (first, _) = s.start_login("/admin").await;
    assert_eq!(param(&first, "acr_values").as_deref(), Some("otp"));
}

#[tokio::test]
async fn a_step_up_the_op_does_not_perform_is_refused_not_looped() {
    // An OP without the otp method answers acr_values=otp with its default method.
    let s = step_up_stack(json!({"acr": {"enabled": ["auth_ldap_server", "basic"]}})).await;
    let weak = weak_session(&s).await;
    let r = client()
        .get(s.url("/admin"))
        .header("cookie", &weak)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let cookie = set_cookie(&r, "authorization").unwrap();
    let authorize = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
    let back = s.code_for(&authorize).await;
    assert!(back.as_str().starts_with(&s.url("/admin")), "{back}");
    // The callback comes with the weak session too; the new login's acr is still too weak:
    // the challenge, no session, no new redirect.
    let r = client()
        .get(back.as_str())
        .header("cookie", format!("{weak}; {cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"insufficient_user_authentication\""));
    assert!(set_cookie(&r, "session").is_none());
    assert_eq!(
        set_cookie(&r, "authorization").as_deref(),
        Some("authorization="),
        "the login is over"
    );
}

#[tokio::test]
async fn a_login_with_the_required_acr_is_the_session_the_route_needs() {
    // login_action response hands over the ID token: its acr is the OP's otp.
    let s = Stack::start_routes(
        json!({"required_acr_values": ["otp"], "login_action": "response"}),
        json!({}),
        json!({}),
        json!({}),
    )
    .await;
    let b = browser();
    b.open(&s.url("/anything")).await.unwrap();
    let clock = s.op_clock.clone();
    let now = move || gatecheck_op::Clock::now(&clock) as u64;
    let page = driver::complete_login(
        &b,
        "alex",
        "doe",
        &mut Some(authenticator()),
        driver::Code::At(&now),
    )
    .await
    .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    let tokens = page.json().unwrap();
    assert_eq!(
        acr_of(tokens["id_token"].as_str().unwrap()).as_deref(),
        Some("otp")
    );
}
