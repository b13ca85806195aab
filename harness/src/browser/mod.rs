//! A scripted browser: an HTTP client with a cookie jar that follows redirects itself (across
//! gateway and OP hosts), records every hop, parses pages with `scraper`, fills and submits forms
//! by field name (hidden fields such as CSRF tokens carried over), auto-submits form_post pages,
//! and enrolls an [`Authenticator`] from a QR code image.

mod authenticator;
mod page;

use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::Method;
use url::Url;

pub use authenticator::{decode_png_data_url, decode_qr_png, Authenticator};
pub use page::{Button, Form, Page};

/// Redirects followed before the browser gives up (Chrome and Firefox use 20).
pub const MAX_REDIRECTS: usize = 20;
/// The `Accept` header of page navigations.
pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// Why a browser action failed; every message names the URL or element involved.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The request could not be made.
    #[error("{method} {url}: {source}")]
    Http {
        /// Method of the request.
        method: String,
        /// URL of the request.
        url: String,
        /// Transport error.
        source: reqwest::Error,
    },
    /// A URL could not be formed.
    #[error("bad URL {0}")]
    Url(String),
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("too many redirects; last hops: {0}")]
    TooManyRedirects(String),
    /// The page does not have what the script expected.
    #[error("{0}")]
    Page(String),
    /// The authenticator could not enroll or compute a code.
    #[error("{0}")]
    Otp(String),
    /// No page has been opened yet.
    #[error("the browser has not opened a page yet")]
    NoPage,
}

/// One request the browser made and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// Request method.
    pub method: String,
    /// Request URL.
    pub url: Url,
    /// Response status.
    pub status: u16,
    /// Resolved `Location` of a redirect response.
    pub location: Option<Url>,
}

/// A browser session: one cookie jar, the pages it visited, the hops it made.
#[derive(Debug)]
pub struct Browser {
    client: reqwest::Client,
    jar: Arc<Jar>,
    headers: HeaderMap,
    history: Vec<Hop>,
    page: Option<Page>,
    /// Hop index where the current navigation started.
    navigation_start: usize,
    auto_submit: bool,
}

impl Browser {
    /// A new browser with an empty cookie jar; `timeout` bounds every request.
    pub fn new(timeout: Duration) -> Result<Self, BrowserError> {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent("gatecheck-browser/0.1")
            .build()
            .map_err(|source| BrowserError::Http {
                method: "BUILD".into(),
                url: String::new(),
                source,
            })?;
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static(BROWSER_ACCEPT),
        );
        Ok(Self {
            client,
            jar,
            headers,
            history: Vec::new(),
            page: None,
            navigation_start: 0,
            auto_submit: true,
        })
    }

    /// Sets a header sent with every request (e.g. `Accept`).
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), BrowserError> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| BrowserError::Page(format!("bad header name {name:?}: {e}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| BrowserError::Page(format!("bad header value {value:?}: {e}")))?;
        self.headers.insert(name, value);
        Ok(())
    }

    /// Whether form_post pages (a single form submitted by `<body onload>`) are submitted
    /// automatically, as a browser with JavaScript would. Default true.
    pub fn set_auto_submit(&mut self, on: bool) {
        self.auto_submit = on;
    }

    /// The page the browser is on.
    pub fn page(&self) -> Result<&Page, BrowserError> {
        self.page.as_ref().ok_or(BrowserError::NoPage)
    }

    /// Every hop made so far.
    pub fn history(&self) -> &[Hop] {
        &self.history
    }

    /// The hops of the last navigation (open, submit or follow).
    pub fn last_navigation(&self) -> &[Hop] {
        &self.history[self.navigation_start.min(self.history.len())..]
    }

    /// The cookies the jar would send to `url`, as a `Cookie` header value.
    pub fn cookies_for(&self, url: &Url) -> Option<String> {
        self.jar
            .cookies(url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// Opens a URL (GET) and follows redirects.
    pub async fn open(&mut self, url: &str) -> Result<&Page, BrowserError> {
        let url = Url::parse(url).map_err(|e| BrowserError::Url(format!("{url}: {e}")))?;
        self.navigate(Method::GET, url, None).await
    }

    /// Opens a URL relative to the current page.
    pub async fn open_relative(&mut self, href: &str) -> Result<&Page, BrowserError> {
        let url = self
            .page()?
            .url
            .join(href)
            .map_err(|e| BrowserError::Url(format!("{href}: {e}")))?;
        self.navigate(Method::GET, url, None).await
    }

    /// Makes a request with any method and optional form body, following redirects.
    pub async fn request(
        &mut self,
        method: &str,
        url: &str,
        form: Option<Vec<(String, String)>>,
    ) -> Result<&Page, BrowserError> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|e| BrowserError::Page(format!("bad method {method:?}: {e}")))?;
        let url = Url::parse(url).map_err(|e| BrowserError::Url(format!("{url}: {e}")))?;
        self.navigate(method, url, form).await
    }

    /// Fills the form (by `id`, or the only form) with `values` by field name, clicks `button`
    /// (by id, value or label; default the first submit button) and follows the response.
    /// Hidden fields (CSRF tokens, state) are submitted as the page set them.
    pub async fn submit(
        &mut self,
        form_id: Option<&str>,
        values: &[(&str, &str)],
        button: Option<&str>,
    ) -> Result<&Page, BrowserError> {
        let form = self.page()?.form(form_id)?;
        let fields = form.submission(values, button)?;
        self.send_form(&form, fields).await
    }

    /// [`Browser::submit`] that also ticks checkboxes / chooses radio buttons (name, value).
    pub async fn submit_ticking(
        &mut self,
        form_id: Option<&str>,
        values: &[(&str, &str)],
        ticks: &[(&str, &str)],
        button: Option<&str>,
    ) -> Result<&Page, BrowserError> {
        let form = self.page()?.form(form_id)?;
        let fields = form.submission_ticking(values, ticks, button)?;
        self.send_form(&form, fields).await
    }

    /// Follows a link by its visible text.
    pub async fn click_link(&mut self, text: &str) -> Result<&Page, BrowserError> {
        let page = self.page()?;
        let html = page.html();
        let sel = scraper::Selector::parse("a[href]")
            .map_err(|e| BrowserError::Page(format!("selector: {e}")))?;
        let href = html
            .select(&sel)
            .find(|a| {
                a.text()
                    .collect::<String>()
                    .trim()
                    .eq_ignore_ascii_case(text)
            })
            .and_then(|a| a.value().attr("href").map(str::to_owned))
            .ok_or_else(|| page.missing(&format!("link {text:?}")))?;
        self.open_relative(&href).await
    }

    /// Enrolls an authenticator from the QR code image (`img` matched by `css`) on the current
    /// page: the image is decoded, never the page's text.
    pub fn scan_qr_code(&self, css: &str) -> Result<Authenticator, BrowserError> {
        let page = self.page()?;
        let src = page
            .attr_of(css, "src")?
            .ok_or_else(|| page.missing(&format!("QR code image {css}")))?;
        Authenticator::from_qr_data_url(&src)
    }

    async fn send_form(
        &mut self,
        form: &Form,
        fields: Vec<(String, String)>,
    ) -> Result<&Page, BrowserError> {
        if form.method == "GET" {
            let mut url = form.action.clone();
            url.query_pairs_mut().clear().extend_pairs(&fields);
            self.navigate(Method::GET, url, None).await
        } else {
            self.navigate(Method::POST, form.action.clone(), Some(fields))
                .await
        }
    }

    async fn navigate(
        &mut self,
        method: Method,
        url: Url,
        form: Option<Vec<(String, String)>>,
    ) -> Result<&Page, BrowserError> {
        self.navigation_start = self.history.len();
        let mut method = method;
        let mut url = url;
        let mut form = form;
        let mut auto_submits = 0;
        for _ in 0..=MAX_REDIRECTS {
            let page = self.fetch(&method, &url, form.as_ref()).await?;
            let location = if page.is_redirect() {
                page.headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| page.url.join(l).ok())
            } else {
                None
            };
            self.history.push(Hop {
                method: method.to_string(),
                url: url.clone(),
                status: page.status,
                location: location.clone(),
            });
            match location {
                Some(next) => {
                    // 307/308 keep method and body; 301/302/303 become GET (as browsers do).
                    if !matches!(page.status, 307 | 308) {
                        method = Method::GET;
                        form = None;
                    }
                    url = next;
                    self.page = Some(page);
                }
                None => {
                    let auto = if self.auto_submit && auto_submits < 3 {
                        page.auto_submit_form()?
                    } else {
                        None
                    };
                    self.page = Some(page);
                    match auto {
                        Some(f) => {
                            auto_submits += 1;
                            let fields = f.submission(&[], None)?;
                            if f.method == "GET" {
                                url = f.action.clone();
                                url.query_pairs_mut().clear().extend_pairs(&fields);
                                method = Method::GET;
                                form = None;
                            } else {
                                url = f.action.clone();
                                method = Method::POST;
                                form = Some(fields);
                            }
                        }
                        None => return self.page(),
                    }
                }
            }
        }
        let hops: Vec<String> = self
            .last_navigation()
            .iter()
            .rev()
            .take(5)
            .map(|h| format!("{} {} -> {}", h.method, h.url, h.status))
            .collect();
        Err(BrowserError::TooManyRedirects(hops.join("; ")))
    }

    async fn fetch(
        &self,
        method: &Method,
        url: &Url,
        form: Option<&Vec<(String, String)>>,
    ) -> Result<Page, BrowserError> {
        let mut req = self
            .client
            .request(method.clone(), url.clone())
            .headers(self.headers.clone());
        if let Some(fields) = form {
            req = req.form(fields);
        }
        let http_err = |source| BrowserError::Http {
            method: method.to_string(),
            url: url.to_string(),
            source,
        };
        let resp = req.send().await.map_err(http_err)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.map_err(http_err)?;
        Ok(Page {
            url: url.clone(),
            status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests;
