//! The workspace's scripted browser (`gatecheck-browser`) with the panicking calls these tests
//! read best with, and the user they script at the reference OP's pages.

use std::sync::Arc;

use gatecheck_browser::driver::{self, Code};
use reqwest::cookie::Jar;
use reqwest::Method;
use url::Url;

pub use gatecheck_browser::Page;

/// Query parameter `name` of `url`.
pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// One user's browser; clones are the same browser.
#[derive(Clone)]
pub struct Browser {
    pub inner: gatecheck_browser::Browser,
    pub jar: Arc<Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::with_jar(Arc::new(Jar::default()))
    }
}

impl Browser {
    /// A browser using `jar` (two browsers sharing a jar are one user on two connections).
    /// A fresh connection per request, so a test-side balancer sees every request.
    pub fn with_jar(jar: Arc<Jar>) -> Self {
        let inner = gatecheck_browser::Browser::builder()
            .jar(jar.clone())
            .fresh_connections()
            .build()
            .unwrap();
        Self { inner, jar }
    }

    /// One request, no redirect following.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let mut request = self.inner.http().request(method, url);
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
        self.inner.open(url).await.unwrap()
    }

    /// Sends a request and follows the redirects that result (as GETs, like a browser after 302).
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> Page {
        let body = body.map(|(content_type, body)| gatecheck_browser::Body::Raw {
            content_type: content_type.into(),
            bytes: body.as_bytes().to_vec(),
        });
        self.inner
            .request(method.as_str(), url, headers, body)
            .await
            .unwrap()
    }

    /// Submits form `#id` of `page` with `fields` typed in; follows redirects.
    pub async fn submit(&self, page: &Page, id: &str, fields: &[(&str, &str)]) -> Page {
        self.inner
            .submit_on(page, Some(id), fields, None)
            .await
            .unwrap()
    }

    /// Walks the OP's pages (login, OTP enrollment, OTP code, consent) from `page` until the
    /// browser is sent back and stops at a page outside them. `op_now` gives the OP's clock
    /// for TOTP.
    pub async fn complete_login(
        &self,
        page: Page,
        user: &User<'_>,
        app: &mut Authenticator,
        op_now: impl Fn() -> u64,
    ) -> Page {
        assert_eq!(
            self.inner.page().unwrap().url,
            page.url,
            "complete_login starts on the browser's current page"
        );
        let code = match user.otp_override {
            Some(code) => Code::Typed(code),
            None => Code::At(&op_now),
        };
        let page = driver::complete_login(
            &self.inner,
            user.username,
            user.password,
            &mut app.enrolled,
            code,
        )
        .await
        .unwrap();
        app.secret = app.enrolled.as_ref().map(|a| a.secret());
        page
    }
}

/// The user's authenticator app, enrolled from the QR code of the OP's enrolment page.
#[derive(Debug, Default, Clone)]
pub struct Authenticator {
    /// The enrolled secret (base32), once enrolled.
    pub secret: Option<String>,
    enrolled: Option<gatecheck_browser::Authenticator>,
}

impl Authenticator {
    /// The TOTP code at Unix time `now`.
    pub fn code(&self, now: u64) -> String {
        self.enrolled.as_ref().expect("enrolled").code_at(now)
    }
}

/// What the user does on the OP's pages.
pub struct User<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The OTP code to type; `None` types the authenticator's current code.
    pub otp_override: Option<&'a str>,
}
