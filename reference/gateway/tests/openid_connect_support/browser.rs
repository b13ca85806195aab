//! A scripted browser: a cookie store, redirects followed by hand (every hop is recorded), HTML
//! read with scraper, TOTP codes computed with totp-rs like an authenticator app would.

use std::sync::Arc;

use reqwest::cookie::Jar;
use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use reqwest::Method;
use scraper::{Html, Selector};
use url::Url;

/// A response the browser stopped at (anything but a redirect).
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: String,
    /// Every `Location` followed to get here, in order.
    pub hops: Vec<Url>,
}

impl Page {
    fn doc(&self) -> Html {
        Html::parse_document(&self.body)
    }

    pub fn has(&self, selector: &str) -> bool {
        let sel = Selector::parse(selector).unwrap();
        self.doc().select(&sel).next().is_some()
    }

    pub fn text_of(&self, selector: &str) -> Option<String> {
        let sel = Selector::parse(selector).unwrap();
        self.doc()
            .select(&sel)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
    }

    /// The JSON body (the echo upstream's description of what it received).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// Action (absolute) and hidden inputs of form `#id`.
    pub fn form(&self, id: &str) -> (Url, Vec<(String, String)>) {
        let doc = self.doc();
        let form = doc
            .select(&Selector::parse(&format!("form#{id}")).unwrap())
            .next()
            .unwrap_or_else(|| panic!("no form #{id} in {} {}", self.url, self.body));
        let action = self.url.join(form.value().attr("action").unwrap()).unwrap();
        let hidden = form
            .select(&Selector::parse("input[type=hidden]").unwrap())
            .map(|i| {
                (
                    i.value().attr("name").unwrap().to_owned(),
                    i.value().attr("value").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        (action, hidden)
    }

    /// The hops that left for `origin`.
    pub fn hops_to(&self, origin: &str) -> Vec<&Url> {
        self.hops
            .iter()
            .filter(|u| u.as_str().starts_with(origin))
            .collect()
    }
}

/// Query parameter `name` of `url`.
pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[derive(Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::with_jar(Arc::new(Jar::default()))
    }
}

impl Browser {
    /// A browser using `jar` (two browsers sharing a jar are one user on two connections).
    pub fn with_jar(jar: Arc<Jar>) -> Self {
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            // A fresh connection per request, so a test-side balancer sees every request.
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        Self { http, jar }
    }

    /// One request, no redirect following.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let mut request = self.http.request(method, url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some((content_type, body)) = body {
            request = request
                .header("content-type", content_type)
                .body(body.to_string());
        }
        request.send().await.unwrap()
    }

    /// GETs `url` and follows every redirect.
    pub async fn open(&self, url: &str) -> Page {
        let response = self.send(Method::GET, url, &[], None).await;
        self.follow(response, Vec::new()).await
    }

    /// Sends a request and follows the redirects that result (as GETs, like a browser after 302).
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> Page {
        let response = self.send(method, url, headers, body).await;
        self.follow(response, Vec::new()).await
    }

    /// Submits form `#id` of `page` with its hidden fields plus `fields`; follows redirects.
    pub async fn submit(&self, page: &Page, id: &str, fields: &[(&str, &str)]) -> Page {
        let (action, mut values) = page.form(id);
        values.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let response = self.http.post(action).form(&values).send().await.unwrap();
        self.follow(response, page.hops.clone()).await
    }

    async fn follow(&self, mut response: reqwest::Response, mut hops: Vec<Url>) -> Page {
        loop {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                let location = response.headers()["location"].to_str().unwrap().to_owned();
                let next = response.url().join(&location).unwrap();
                hops.push(next.clone());
                assert!(hops.len() < 30, "redirect loop: {hops:?}");
                response = self.http.get(next).send().await.unwrap();
                continue;
            }
            let url = response.url().clone();
            let headers = response.headers().clone();
            let body = response.text().await.unwrap();
            return Page {
                status,
                url,
                headers,
                body,
                hops,
            };
        }
    }
}

/// The user's authenticator app: remembers the secret enrolled from the QR page.
#[derive(Debug, Default, Clone)]
pub struct Authenticator {
    pub secret: Option<String>,
}

impl Authenticator {
    /// The TOTP code at Unix time `now`.
    pub fn code(&self, now: u64) -> String {
        let secret = totp_rs::Secret::Encoded(self.secret.clone().expect("enrolled"))
            .to_bytes()
            .unwrap();
        totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            secret,
            None,
            String::new(),
        )
        .unwrap()
        .generate(now)
    }
}

/// What the user does on the OP's pages.
pub struct User<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The OTP code to type; `None` types the authenticator's current code.
    pub otp_override: Option<&'a str>,
}

impl Browser {
    /// Walks the OP's pages (login, OTP enrollment, OTP code, consent) until the browser is
    /// sent back and stops at a page outside them. `op_now` gives the OP's clock for TOTP.
    pub async fn complete_login(
        &self,
        mut page: Page,
        user: &User<'_>,
        app: &mut Authenticator,
        op_now: impl Fn() -> u64,
    ) -> Page {
        for _ in 0..10 {
            if page.has("form#loginForm") {
                page = self
                    .submit(
                        &page,
                        "loginForm",
                        &[("username", user.username), ("password", user.password)],
                    )
                    .await;
            } else if page.has("form#enrollForm") {
                app.secret = Some(page.text_of("#otp_secret").expect("secret on the page"));
                page = self.submit(&page, "enrollForm", &[]).await;
            } else if page.has("form#otpForm") {
                let code = match user.otp_override {
                    Some(code) => code.to_string(),
                    None => app.code(op_now()),
                };
                let next = self.submit(&page, "otpForm", &[("otp_code", &code)]).await;
                if user.otp_override.is_some() {
                    return next;
                }
                page = next;
            } else if page.has("form#consentForm") {
                page = self
                    .submit(&page, "consentForm", &[("decision", "allow")])
                    .await;
            } else {
                return page;
            }
        }
        panic!("login did not finish: {} {}", page.url, page.body)
    }
}
