//! Test helpers: an oxd, the reference OP, a scripted browser, an oxd API client.

#![allow(dead_code)]

use gatecheck_browser::driver::{self, Code};
use gatecheck_oxd::{Config, Handle};
use serde_json::{json, Value};

pub const CALLBACK: &str = "http://localhost:4400/callback";
pub const LOGGED_OUT: &str = "http://localhost:4400/";

pub async fn oxd_with(config: Config) -> Handle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    gatecheck_oxd::start(config, listener).await.unwrap()
}

pub async fn oxd() -> Handle {
    oxd_with(Config::default()).await
}

pub async fn op() -> gatecheck_op::Handle {
    let config = gatecheck_op::Config::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/op/op.yml"
    ))
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    gatecheck_op::start(config, listener).await.unwrap()
}

/// Response of an oxd command.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "{}", self.body);
        self.body
    }

    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    pub fn description(&self) -> &str {
        self.body["error_description"].as_str().unwrap_or_default()
    }
}

/// Calls an oxd command, with an optional protection token.
pub async fn call(oxd: &Handle, command: &str, token: Option<&str>, body: Value) -> Reply {
    let mut request = reqwest::Client::new()
        .post(format!("{}/{command}", oxd.url()))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Reply { status, body }
}

/// A site registered at `op` (dynamic registration) and a protection token for it.
pub struct TestSite {
    pub oxd_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub protection: String,
}

/// The gateway's site: oxd adopts the OP's `gg-gateway` client, which may introspect every
/// token (a dynamically registered site only sees its own at the OP).
pub async fn gateway_site(oxd: &Handle, op_host: &str) -> TestSite {
    let reg = call(
        oxd,
        "register-site",
        None,
        json!({
            "op_host": op_host,
            "client_id": "gg-gateway",
            "client_secret": "gg-gateway-secret",
            "redirect_uris": [CALLBACK],
        }),
    )
    .await
    .ok();
    let token = call(
        oxd,
        "get-client-token",
        None,
        json!({"client_id": "gg-gateway", "client_secret": "gg-gateway-secret",
               "op_host": op_host, "scope": ["openid", "oxd"]}),
    )
    .await
    .ok();
    TestSite {
        oxd_id: reg["oxd_id"].as_str().unwrap().to_owned(),
        client_id: "gg-gateway".into(),
        client_secret: "gg-gateway-secret".into(),
        protection: token["access_token"].as_str().unwrap().to_owned(),
    }
}

pub async fn site(oxd: &Handle, op_host: &str) -> TestSite {
    let reg = call(
        oxd,
        "register-site",
        None,
        json!({
            "op_host": op_host,
            "redirect_uris": [CALLBACK],
            "post_logout_redirect_uris": [LOGGED_OUT],
            "scope": ["openid", "oxd", "profile", "email"],
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "client_name": "oxd test site",
        }),
    )
    .await
    .ok();
    let client_id = reg["client_id"].as_str().unwrap().to_owned();
    let client_secret = reg["client_secret"].as_str().unwrap().to_owned();
    let token = call(
        oxd,
        "get-client-token",
        None,
        json!({"client_id": client_id, "client_secret": client_secret, "op_host": op_host,
               "scope": ["openid", "oxd"]}),
    )
    .await
    .ok();
    TestSite {
        oxd_id: reg["oxd_id"].as_str().unwrap().to_owned(),
        client_id,
        client_secret,
        protection: token["access_token"].as_str().unwrap().to_owned(),
    }
}

/// The workspace's scripted browser (`gatecheck-browser`) at the OP: a redirect leaving the OP
/// (to the relying party) ends the navigation.
pub struct Agent {
    browser: gatecheck_browser::Browser,
}

impl Agent {
    pub fn new(op: &str) -> Self {
        let browser = gatecheck_browser::Browser::builder()
            .stay_on(op)
            .unwrap()
            .build()
            .unwrap();
        Self { browser }
    }

    /// Logs in as `user` and consents if asked; returns the redirect back to the RP.
    pub async fn login_and_consent(
        &self,
        authorization_url: &str,
        user: &str,
        password: &str,
    ) -> url::Url {
        let login = self.browser.open(authorization_url).await.unwrap();
        assert!(
            login.has("form#loginForm").unwrap(),
            "expected the login page: {}",
            login.body
        );
        let back = driver::complete_login(&self.browser, user, password, &mut None, Code::Now)
            .await
            .unwrap();
        back.location()
            .unwrap_or_else(|| panic!("not sent back: {} {}", back.status, back.body))
    }
}

pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
