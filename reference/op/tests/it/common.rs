//! Test helpers: starting an OP, a scripted browser, an `openidconnect` client.

#![allow(dead_code)]

use std::sync::Arc;

use gatecheck_op::{Config, Handle, ManualClock};
use reqwest::redirect::Policy;
use scraper::{Html, Selector};

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
    pub fn doc(&self) -> Html {
        Html::parse_document(&self.html)
    }

    pub fn text_of(&self, selector: &str) -> Option<String> {
        let sel = Selector::parse(selector).unwrap();
        self.doc()
            .select(&sel)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
    }

    pub fn attr_of(&self, selector: &str, attr: &str) -> Option<String> {
        let sel = Selector::parse(selector).unwrap();
        self.doc()
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_owned))
    }

    pub fn has(&self, selector: &str) -> bool {
        let sel = Selector::parse(selector).unwrap();
        self.doc().select(&sel).next().is_some()
    }

    /// Form action and its hidden inputs.
    pub fn form(&self, form_id: &str) -> (String, Vec<(String, String)>) {
        let doc = self.doc();
        let form_sel = Selector::parse(&format!("form#{form_id}")).unwrap();
        let form = doc
            .select(&form_sel)
            .next()
            .unwrap_or_else(|| panic!("no form #{form_id} in {}", self.html));
        let action = form.value().attr("action").unwrap().to_owned();
        let input = Selector::parse("input[type=hidden]").unwrap();
        let hidden = form
            .select(&input)
            .map(|i| {
                (
                    i.value().attr("name").unwrap().to_owned(),
                    i.value().attr("value").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        (action, hidden)
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

/// A scripted browser: cookie store, follows redirects only within the OP.
#[derive(Clone)]
pub struct Agent {
    pub http: reqwest::Client,
    op: String,
}

impl Agent {
    pub fn new(op: &TestOp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            op: op.issuer(),
        }
    }

    async fn follow(&self, mut response: reqwest::Response) -> Nav {
        loop {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                let location = response.headers()["location"].to_str().unwrap().to_owned();
                let absolute = if location.starts_with('/') {
                    format!("{}{}", self.op, location)
                } else {
                    location
                };
                if !absolute.starts_with(&self.op) {
                    return Nav::Left(absolute);
                }
                response = self.http.get(&absolute).send().await.unwrap();
                continue;
            }
            let url = response.url().to_string();
            let html = response.text().await.unwrap();
            return Nav::Page(Page { status, url, html });
        }
    }

    pub async fn open(&self, url: &str) -> Nav {
        let response = self.http.get(url).send().await.unwrap();
        self.follow(response).await
    }

    /// Submits form `form_id` of `page` with its hidden fields plus `fields`.
    pub async fn submit(&self, page: &Page, form_id: &str, fields: &[(&str, &str)]) -> Nav {
        let (action, mut values) = page.form(form_id);
        for (k, v) in fields {
            values.push((k.to_string(), v.to_string()));
        }
        self.post(&action, &values).await
    }

    pub async fn post(&self, action: &str, values: &[(String, String)]) -> Nav {
        let url = if action.starts_with('/') {
            format!("{}{}", self.op, action)
        } else {
            action.to_owned()
        };
        let response = self.http.post(url).form(values).send().await.unwrap();
        self.follow(response).await
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
            "loginForm",
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
        self.submit(
            page,
            "consentForm",
            &[("decision", if allow { "allow" } else { "deny" })],
        )
        .await
    }
}

/// Query parameter of a URL.
pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
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
