//! Test helpers: starting an OP, a scripted browser, an `openidconnect` client.

#![allow(dead_code)]

use std::sync::Arc;

use gatecheck_browser::driver;
use gatecheck_op::{Config, Handle, ManualClock};
use reqwest::redirect::Policy;

pub const RP_CALLBACK: &str = "http://localhost:4400/callback";

/// The example config from `fixtures/op/op.yml`.
pub fn fixture_config() -> Config {
    Config::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/op/op.yml"
    ))
    .expect("fixture config")
}

/// A running OP with a manual clock.
pub struct TestOp {
    pub handle: Handle,
    pub clock: ManualClock,
}

impl TestOp {
    pub async fn start() -> Self {
        Self::with_config(fixture_config()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let clock = ManualClock::default();
        let handle = gatecheck_op::start_with_clock(config, listener, Arc::new(clock.clone()))
            .await
            .unwrap();
        Self { handle, clock }
    }

    pub fn issuer(&self) -> String {
        self.handle.issuer()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.issuer(), path)
    }
}

/// A plain HTTP client that does not follow redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// An HTML page the agent is looking at.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub url: String,
    pub html: String,
}

impl Page {
    /// The page as the browser crate reads it.
    fn page(&self) -> gatecheck_browser::Page {
        gatecheck_browser::Page {
            url: url::Url::parse(&self.url).unwrap_or_else(|_| "about:blank".parse().unwrap()),
            status: self.status,
            headers: Default::default(),
            body: self.html.clone(),
            hops: Vec::new(),
        }
    }

    /// The auto-submitting form of a `form_post` response page, if this is one.
    pub fn form_post(&self) -> Option<gatecheck_browser::Form> {
        if !self.html.contains(".submit()") {
            return None;
        }
        self.page().form(Some("responseForm")).ok()
    }

    pub fn text_of(&self, selector: &str) -> Option<String> {
        self.page().text_of(selector).unwrap()
    }

    pub fn attr_of(&self, selector: &str, attr: &str) -> Option<String> {
        self.page().attr_of(selector, attr).unwrap()
    }

    pub fn has(&self, selector: &str) -> bool {
        self.page().has(selector).unwrap()
    }

    /// Form action (its path) and its hidden inputs.
    pub fn form(&self, form_id: &str) -> (String, Vec<(String, String)>) {
        let form = self.page().form(Some(form_id)).unwrap();
        (
            form.action[url::Position::BeforePath..].to_owned(),
            form.hidden,
        )
    }
}

/// Where navigation ended.
#[derive(Debug, Clone)]
pub enum Nav {
    /// A page served by the OP.
    Page(Page),
    /// A redirect leaving the OP (to the RP).
    Left(String),
}

impl Nav {
    pub fn page(self) -> Page {
        match self {
            Nav::Page(p) => p,
            Nav::Left(url) => panic!("expected a page, got a redirect to {url}"),
        }
    }

    pub fn left(self) -> url::Url {
        match self {
            Nav::Left(url) => url::Url::parse(&url).unwrap(),
            Nav::Page(p) => panic!("expected a redirect, got page {} {}", p.status, p.html),
        }
    }
}

impl From<gatecheck_browser::Page> for Nav {
    fn from(page: gatecheck_browser::Page) -> Self {
        match page.location() {
            Some(away) => Nav::Left(away.to_string()),
            None => Nav::Page(Page {
                status: page.status,
                url: page.url.to_string(),
                html: page.body,
            }),
        }
    }
}

/// The workspace's scripted browser (`gatecheck-browser`), following redirects only within
/// the OP: a redirect to the relying party ends the navigation.
#[derive(Clone)]
pub struct Agent {
    /// The browser's own client (its cookies, no redirects).
    pub http: reqwest::Client,
    browser: gatecheck_browser::Browser,
    op: String,
}

impl Agent {
    pub fn new(op: &TestOp) -> Self {
        let browser = gatecheck_browser::Browser::builder()
            .stay_on(&op.issuer())
            .unwrap()
            .build()
            .unwrap();
        Self {
            http: browser.http().clone(),
            browser,
            op: op.issuer(),
        }
    }

    pub async fn open(&self, url: &str) -> Nav {
        self.browser.open(url).await.unwrap().into()
    }

    /// The value of the cookie `name` the browser holds for `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        let header = self.browser.cookies_for(&url::Url::parse(url).unwrap())?;
        header
            .split("; ")
            .filter_map(|c| c.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// Submits form `form_id` of `page` with `fields` typed in (hidden fields carried over).
    pub async fn submit(&self, page: &Page, form_id: &str, fields: &[(&str, &str)]) -> Nav {
        self.browser
            .submit_on(&page.page(), Some(form_id), fields, None)
            .await
            .unwrap()
            .into()
    }

    /// POSTs exactly `values` to `action` (a path at the OP, or a URL).
    pub async fn post(&self, action: &str, values: &[(String, String)]) -> Nav {
        let url = if action.starts_with('/') {
            format!("{}{}", self.op, action)
        } else {
            action.to_owned()
        };
        self.browser
            .post_form(&url, values.to_vec())
            .await
            .unwrap()
            .into()
    }

    /// Logs in on the login page and returns where that leads.
    pub async fn login(&self, page: &Page, username: &str, password: &str) -> Nav {
        assert!(
            page.has("form#loginForm"),
            "not a login page: {}",
            page.html
        );
        self.submit(
            page,
            driver::LOGIN_FORM,
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Clicks Allow or Deny.
    pub async fn consent(&self, page: &Page, allow: bool) -> Nav {
        assert!(
            page.has("form#consentForm"),
            "not a consent page: {}",
            page.html
        );
        let button = if allow { "allow" } else { "deny" };
        self.browser
            .submit_on(&page.page(), Some(driver::CONSENT_FORM), &[], Some(button))
            .await
            .unwrap()
            .into()
    }
}

/// Query parameter of a URL.
pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Parameter of an authorization response delivered by redirect: in the query (`query` mode)
/// or the fragment (`fragment` mode), never both.
pub fn response_param(url: &url::Url, name: &str) -> Option<String> {
    let fragment = url.fragment().unwrap_or_default();
    let in_fragment = url::form_urlencoded::parse(fragment.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    let in_query = query_param(url, name);
    assert!(
        in_fragment.is_none() || in_query.is_none(),
        "{name} in both query and fragment"
    );
    in_fragment.or(in_query)
}

/// Builds an authorization URL by hand.
pub fn authorize_url(op: &TestOp, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&op.url("/oxauth/restv1/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// Standard demo-rp authorization parameters.
pub fn demo_params<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", "demo-rp"),
        ("redirect_uri", RP_CALLBACK),
        ("scope", "openid profile email"),
        ("state", "st-1"),
        ("nonce", "n-1"),
    ];
    for (k, v) in extra {
        params.retain(|(name, _)| name != k);
        params.push((k, v));
    }
    params
}

/// Runs the code flow for demo-rp, logging in and consenting when the OP asks; returns the
/// callback URL.
pub async fn code_via_login(op: &TestOp, agent: &Agent, extra: &[(&str, &str)]) -> url::Url {
    let mut nav = agent.open(&authorize_url(op, &demo_params(extra))).await;
    loop {
        match nav {
            Nav::Left(_) => return nav.left(),
            Nav::Page(page) if page.has("form#loginForm") => {
                nav = agent.login(&page, "admin", "secret").await
            }
            Nav::Page(page) if page.has("form#consentForm") => {
                nav = agent.consent(&page, true).await
            }
            Nav::Page(page) => panic!("unexpected page {} {}", page.status, page.html),
        }
    }
}

/// POST to the token endpoint with Basic auth.
pub async fn token_request(
    op: &TestOp,
    client: (&str, &str),
    form: &[(&str, &str)],
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let response = http()
        .post(op.url("/oxauth/restv1/token"))
        .basic_auth(client.0, Some(client.1))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body, headers)
}

pub const DEMO: (&str, &str) = ("demo-rp", "demo-rp-secret");
pub const API: (&str, &str) = ("api-consumer", "api-consumer-secret");
pub const JWT: (&str, &str) = ("jwt-consumer", "jwt-consumer-secret");

/// Introspects with Basic credentials.
pub async fn introspect(op: &TestOp, caller: (&str, &str), token: &str) -> serde_json::Value {
    http()
        .post(op.url("/oxauth/restv1/introspection"))
        .basic_auth(caller.0, Some(caller.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Registers `body` dynamically, presenting `initial_access_token` if given.
pub async fn register_as(
    op: &TestOp,
    initial_access_token: Option<&str>,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut request = http().post(op.url("/oxauth/restv1/register")).json(&body);
    if let Some(token) = initial_access_token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// Registers `body` dynamically, anonymously.
pub async fn register(op: &TestOp, body: serde_json::Value) -> (u16, serde_json::Value) {
    register_as(op, None, body).await
}

/// The end-session URL with `params`.
pub fn end_session_url(op: &TestOp, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&op.url("/oxauth/restv1/end_session")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// Exchanges the code of a demo-rp callback at the token endpoint; the 200 answer's JSON.
pub async fn exchange_code(op: &TestOp, callback: &url::Url) -> serde_json::Value {
    let code = query_param(callback, "code").unwrap_or_else(|| panic!("no code: {callback}"));
    let (status, body, _) = token_request(
        op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Logs jdoe in through demo-rp in `agent` and returns the ID token of that login.
pub async fn id_token_after_login(op: &TestOp, agent: &Agent) -> String {
    let callback = code_via_login(op, agent, &[]).await;
    exchange_code(op, &callback).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// GETs `path` at the OP and parses the JSON answer.
pub async fn get_json<T: serde::de::DeserializeOwned>(op: &TestOp, path: &str) -> T {
    http()
        .get(op.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
