//! The scripted browser: reqwest with a cookie jar, redirects followed by hand.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use url::{Origin, Url};

use crate::chromium::{Chromium, Outcome, Session};
use crate::record::{Pending, Record, Recorder};
use crate::{Authenticator, BrowserError, Form, Hop, Page, BROWSER_ACCEPT, MAX_REDIRECTS};

/// The timeout of every request when none is given.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `application/x-www-form-urlencoded` fields, as a form submits them.
    Form(Vec<(String, String)>),
    /// Any body with its content type, as a page's script would send it.
    Raw {
        /// The `Content-Type` header.
        content_type: String,
        /// The bytes sent.
        bytes: Vec<u8>,
    },
}

/// Options of a [`Browser`].
#[derive(Debug)]
pub struct BrowserBuilder {
    timeout: Duration,
    stay_on: Vec<Origin>,
    fresh_connections: bool,
    jar: Option<Arc<Jar>>,
    recorder: Option<Recorder>,
    chromium: Option<Arc<Chromium>>,
}

impl BrowserBuilder {
    /// Runs the browser in a headless Chromium session of `driver` (opened on first use)
    /// instead of the scripted client. Navigations, links and forms are a user's clicks and
    /// keystrokes in the window; pages, statuses and hops come from the recording proxy every
    /// request goes through; every page the user sees is screenshotted into the recorder.
    /// The cookie jar and [`Browser::http`] are the scripted client's and stay empty.
    pub fn chromium(mut self, driver: Arc<Chromium>) -> Self {
        self.chromium = Some(driver);
        self
    }

    /// Records every exchange (each hop of a navigation under one navigation id) into
    /// `recorder`.
    pub fn recorder(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// Bounds every request (connect and whole response).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Follows redirects only to these origins: a redirect elsewhere (to a relying party's
    /// callback that is not running, say) ends the navigation on the redirect response, whose
    /// [`Page::location`] says where it points. Without this, every redirect is followed.
    pub fn stay_on(mut self, origin: &str) -> Result<Self, BrowserError> {
        let url = Url::parse(origin).map_err(|e| BrowserError::Url(format!("{origin}: {e}")))?;
        self.stay_on.push(url.origin());
        Ok(self)
    }

    /// Opens a new connection for every request, so a TCP balancer in front of several
    /// servers sees each request.
    pub fn fresh_connections(mut self) -> Self {
        self.fresh_connections = true;
        self
    }

    /// Uses this cookie jar: two browsers sharing a jar are one user on two connections.
    pub fn jar(mut self, jar: Arc<Jar>) -> Self {
        self.jar = Some(jar);
        self
    }

    /// The browser.
    pub fn build(self) -> Result<Browser, BrowserError> {
        let jar = self.jar.unwrap_or_default();
        let mut client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent("gatecheck-browser/0.1");
        if self.fresh_connections {
            client = client.pool_max_idle_per_host(0);
        }
        let client = client.build().map_err(|source| BrowserError::Http {
            method: "BUILD".into(),
            url: String::new(),
            source,
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static(BROWSER_ACCEPT),
        );
        Ok(Browser {
            inner: Arc::new(Inner {
                client,
                jar,
                stay_on: self.stay_on,
                recorder: self.recorder,
                chromium: self.chromium.map(|driver| Engine {
                    driver,
                    session: tokio::sync::OnceCell::new(),
                    timeout: self.timeout,
                }),
                state: Mutex::new(State {
                    headers,
                    history: Vec::new(),
                    page: None,
                    auto_submit: true,
                }),
            }),
        })
    }
}

/// A browser session: one cookie jar, the page it is on, the hops it made.
///
/// Clones are the same session (tabs of one browser): they share cookies, history and the
/// current page, so concurrent requests from one user can be scripted.
#[derive(Debug, Clone)]
pub struct Browser {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    jar: Arc<Jar>,
    stay_on: Vec<Origin>,
    recorder: Option<Recorder>,
    chromium: Option<Engine>,
    state: Mutex<State>,
}

/// A Chromium session standing in for the scripted client.
#[derive(Debug)]
struct Engine {
    driver: Arc<Chromium>,
    session: tokio::sync::OnceCell<Session>,
    timeout: Duration,
}

#[derive(Debug)]
struct State {
    headers: HeaderMap,
    history: Vec<Hop>,
    page: Option<Page>,
    auto_submit: bool,
}

/// One request of a navigation.
struct Request {
    method: Method,
    url: Url,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Body>,
}

impl Browser {
    /// A new browser with an empty cookie jar; `timeout` bounds every request.
    pub fn new(timeout: Duration) -> Result<Self, BrowserError> {
        Self::builder().timeout(timeout).build()
    }

    /// A browser with options.
    pub fn builder() -> BrowserBuilder {
        BrowserBuilder {
            timeout: DEFAULT_TIMEOUT,
            stay_on: Vec::new(),
            fresh_connections: false,
            jar: None,
            recorder: None,
            chromium: None,
        }
    }

    /// Whether the browser is a Chromium session.
    pub fn is_chromium(&self) -> bool {
        self.inner.chromium.is_some()
    }

    /// Closes the Chromium session, if one was opened (a scripted browser has nothing to
    /// close). Dropping the last clone closes it too, in the background.
    pub async fn close(&self) {
        if let Some(session) = self.inner.chromium.as_ref().and_then(|e| e.session.get()) {
            session.close().await;
        }
    }

    async fn session(&self) -> Result<Option<&Session>, BrowserError> {
        let Some(engine) = &self.inner.chromium else {
            return Ok(None);
        };
        let session = engine
            .session
            .get_or_try_init(|| {
                engine
                    .driver
                    .session(self.inner.recorder.clone(), engine.timeout)
            })
            .await?;
        Ok(Some(session))
    }

    /// Keeps what a Chromium action ended on, as [`Browser::navigate`] does.
    fn arrived(&self, outcome: Outcome) -> Page {
        let mut state = self.state();
        state.history.extend(outcome.hops);
        state.page = Some(outcome.page.clone());
        outcome.page
    }

    fn auto_submit(&self) -> bool {
        self.state().auto_submit
    }

    /// The headers set with [`Browser::set_header`] beyond the default `Accept`: a request that
    /// carries them in Chromium is a script's fetch, not a navigation.
    fn custom_headers(&self) -> Vec<(String, String)> {
        self.state()
            .headers
            .iter()
            .filter(|(n, v)| !(*n == reqwest::header::ACCEPT && *v == BROWSER_ACCEPT))
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across an await; a panic while holding it left valid data.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets a header sent with every request (e.g. `Accept`).
    pub fn set_header(&self, name: &str, value: &str) -> Result<(), BrowserError> {
        let (name, value) = header(name, value)?;
        self.state().headers.insert(name, value);
        Ok(())
    }

    /// Whether form_post pages (a single form submitted by `<body onload>`) are submitted
    /// automatically, as a browser with JavaScript would. Default true. Chromium always runs
    /// the page's script: off, a navigation ends on the form_post page while Chromium goes
    /// on submitting it.
    pub fn set_auto_submit(&self, on: bool) {
        self.state().auto_submit = on;
    }

    /// The page the browser is on.
    pub fn page(&self) -> Result<Page, BrowserError> {
        self.state().page.clone().ok_or(BrowserError::NoPage)
    }

    /// Every hop made so far.
    pub fn history(&self) -> Vec<Hop> {
        self.state().history.clone()
    }

    /// The hops of the last navigation (open, submit or follow), ending with the page's own.
    pub fn last_navigation(&self) -> Vec<Hop> {
        let state = self.state();
        match &state.page {
            Some(page) => {
                let mut hops = page.hops.clone();
                hops.extend(state.history.last().cloned());
                hops
            }
            None => Vec::new(),
        }
    }

    /// The cookie jar.
    pub fn jar(&self) -> &Arc<Jar> {
        &self.inner.jar
    }

    /// The browser's HTTP client (its cookie jar, no redirects followed), for a request a
    /// page's script would make outside any navigation.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// The cookies the jar would send to `url`, as a `Cookie` header value.
    pub fn cookies_for(&self, url: &Url) -> Option<String> {
        self.inner
            .jar
            .cookies(url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// Opens a URL (GET) and follows redirects.
    pub async fn open(&self, url: &str) -> Result<Page, BrowserError> {
        if let Some(session) = self.session().await? {
            let headers = self.custom_headers();
            let outcome = if headers.is_empty() {
                session.goto(url, self.auto_submit()).await?
            } else {
                session.fetch("GET", url, &headers, None).await?
            };
            return Ok(self.arrived(outcome));
        }
        let url = parse(url)?;
        self.navigate(Request {
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: None,
        })
        .await
    }

    /// Opens a URL relative to the current page.
    pub async fn open_relative(&self, href: &str) -> Result<Page, BrowserError> {
        let url = self
            .page()?
            .url
            .join(href)
            .map_err(|e| BrowserError::Url(format!("{href}: {e}")))?;
        self.open(url.as_str()).await
    }

    /// Loads the current page's iframes (`iframe[src]`, in document order) as a browser does:
    /// each a GET with the jar's cookies, redirects followed, its hops added to the history,
    /// while the browser stays on the page. A frame that cannot be loaded is skipped, as a
    /// browser shows an empty frame. Chromium loaded them itself with the page: nothing is
    /// requested again and the answer is empty.
    pub async fn load_frames(&self) -> Result<Vec<Page>, BrowserError> {
        if self.is_chromium() {
            return Ok(Vec::new());
        }
        let page = self.page()?;
        let mut loaded = Vec::new();
        for src in page.frame_sources()? {
            let Ok(url) = page.url.join(&src) else {
                continue;
            };
            let frame = self
                .navigate(Request {
                    method: Method::GET,
                    url,
                    headers: Vec::new(),
                    body: None,
                })
                .await;
            // An unreachable frame stays empty; the page itself is unaffected.
            if let Ok(frame) = frame {
                loaded.push(frame);
            }
        }
        self.state().page = Some(page);
        Ok(loaded)
    }

    /// Makes a request with any method, extra headers and body, following redirects.
    pub async fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Body>,
    ) -> Result<Page, BrowserError> {
        if let Some(session) = self.session().await? {
            if method == "GET" && headers.is_empty() && body.is_none() {
                return self.open(url).await;
            }
            let mut all = self.custom_headers();
            all.extend(
                headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
            );
            let body = body.map(|b| match b {
                Body::Form(fields) => (
                    "application/x-www-form-urlencoded".to_owned(),
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(&fields)
                        .finish()
                        .into_bytes(),
                ),
                Body::Raw {
                    content_type,
                    bytes,
                } => (content_type, bytes),
            });
            let outcome = session.fetch(method, url, &all, body).await?;
            return Ok(self.arrived(outcome));
        }
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|e| BrowserError::Page(format!("bad method {method:?}: {e}")))?;
        let headers = headers
            .iter()
            .map(|(n, v)| header(n, v))
            .collect::<Result<_, _>>()?;
        self.navigate(Request {
            method,
            url: parse(url)?,
            headers,
            body,
        })
        .await
    }

    /// POSTs form fields to `action` (absolute, or relative to the current page) and follows
    /// the response: what a crafted form would send, with exactly these fields.
    pub async fn post_form(
        &self,
        action: &str,
        fields: Vec<(String, String)>,
    ) -> Result<Page, BrowserError> {
        let url = match Url::parse(action) {
            Ok(url) => url,
            Err(_) => self
                .page()?
                .url
                .join(action)
                .map_err(|e| BrowserError::Url(format!("{action}: {e}")))?,
        };
        if let Some(session) = self.session().await? {
            let outcome = session
                .post(&url, "POST", fields, self.auto_submit())
                .await?;
            return Ok(self.arrived(outcome));
        }
        self.navigate(Request {
            method: Method::POST,
            url,
            headers: Vec::new(),
            body: Some(Body::Form(fields)),
        })
        .await
    }

    /// Fills the form (by `id`, or the only form) of the current page with `values` by field
    /// name, clicks `button` (by id, value or label; default the first submit button) and
    /// follows the response. Hidden fields (CSRF tokens, state) are submitted as the page set
    /// them.
    pub async fn submit(
        &self,
        form_id: Option<&str>,
        values: &[(&str, &str)],
        button: Option<&str>,
    ) -> Result<Page, BrowserError> {
        if let Some(session) = self.session().await? {
            let outcome = session
                .submit(form_id, values, &[], button, self.auto_submit())
                .await?;
            return Ok(self.arrived(outcome));
        }
        let page = self.page()?;
        self.submit_on(&page, form_id, values, button).await
    }

    /// Like [`Browser::submit`], on a page the browser saw earlier (a second tab still showing
    /// it, or a form submitted twice).
    pub async fn submit_on(
        &self,
        page: &Page,
        form_id: Option<&str>,
        values: &[(&str, &str)],
        button: Option<&str>,
    ) -> Result<Page, BrowserError> {
        let form = page.form(form_id)?;
        let fields = form.submission(values, button)?;
        if let Some(session) = self.session().await? {
            // The form as that page had it, posted from the window as it is now.
            let outcome = session
                .post(&form.action, &form.method, fields, self.auto_submit())
                .await?;
            return Ok(self.arrived(outcome));
        }
        self.navigate(form_request(&form, fields)).await
    }

    /// Fills and submits `form` (one of the current page's, found by
    /// [`crate::generic`] or [`Page::forms`]) like [`Browser::submit`].
    pub async fn submit_form(
        &self,
        form: &Form,
        values: &[(&str, &str)],
        button: Option<&str>,
    ) -> Result<Page, BrowserError> {
        let fields = form.submission(values, button)?;
        self.navigate(form_request(form, fields)).await
    }

    /// [`Browser::submit`] that also ticks checkboxes / chooses radio buttons (name, value).
    pub async fn submit_ticking(
        &self,
        form_id: Option<&str>,
        values: &[(&str, &str)],
        ticks: &[(&str, &str)],
        button: Option<&str>,
    ) -> Result<Page, BrowserError> {
        if let Some(session) = self.session().await? {
            let outcome = session
                .submit(form_id, values, ticks, button, self.auto_submit())
                .await?;
            return Ok(self.arrived(outcome));
        }
        let form = self.page()?.form(form_id)?;
        let fields = form.submission_ticking(values, ticks, button)?;
        self.navigate(form_request(&form, fields)).await
    }

    /// Follows a link of the current page by its visible text.
    pub async fn click_link(&self, text: &str) -> Result<Page, BrowserError> {
        if let Some(session) = self.session().await? {
            let outcome = session.click_link(text, self.auto_submit()).await?;
            return Ok(self.arrived(outcome));
        }
        let page = self.page()?;
        let href = page.link(text)?;
        self.open_relative(&href).await
    }

    /// Enrolls an authenticator from the QR code image (`img` matched by `css`) on the current
    /// page: the image is decoded, never the page's text. Chromium decodes a screenshot of the
    /// image as the window shows it.
    pub async fn scan_qr_code(&self, css: &str) -> Result<Authenticator, BrowserError> {
        if let Some(session) = self.session().await? {
            return session.scan_qr_code(css).await;
        }
        let page = self.page()?;
        let src = page
            .attr_of(css, "src")?
            .ok_or_else(|| page.missing(&format!("QR code image {css}")))?;
        Authenticator::from_qr_data_url(&src)
    }

    fn leaves(&self, url: &Url) -> bool {
        !self.inner.stay_on.is_empty() && !self.inner.stay_on.contains(&url.origin())
    }

    async fn navigate(&self, first: Request) -> Result<Page, BrowserError> {
        let mut request = first;
        let navigation = self.inner.recorder.as_ref().map(Recorder::next_navigation);
        let mut hops: Vec<Hop> = Vec::new();
        let mut auto_submits = 0;
        for _ in 0..=MAX_REDIRECTS {
            let mut page = self.fetch(&request, navigation).await?;
            let hop = Hop {
                method: request.method.to_string(),
                url: request.url.clone(),
                status: page.status,
                location: page.location(),
            };
            self.state().history.push(hop.clone());
            let next = match &hop.location {
                Some(next) if !self.leaves(next) => {
                    // 307/308 keep method and body; 301/302/303 become GET (as browsers do).
                    if matches!(page.status, 307 | 308) {
                        Some(Request {
                            url: next.clone(),
                            ..request
                        })
                    } else {
                        Some(Request {
                            method: Method::GET,
                            url: next.clone(),
                            headers: Vec::new(),
                            body: None,
                        })
                    }
                }
                Some(_) => None,
                None => {
                    let auto = self.state().auto_submit && auto_submits < 3;
                    match if auto { page.auto_submit_form()? } else { None } {
                        Some(form) if !self.leaves(&form.action) => {
                            auto_submits += 1;
                            let fields = form.submission(&[], None)?;
                            Some(form_request(&form, fields))
                        }
                        _ => None,
                    }
                }
            };
            match next {
                Some(next) => {
                    hops.push(Hop {
                        location: Some(next.url.clone()),
                        ..hop
                    });
                    request = next;
                }
                None => {
                    page.hops = hops;
                    self.state().page = Some(page.clone());
                    return Ok(page);
                }
            }
        }
        let last: Vec<String> = hops
            .iter()
            .rev()
            .take(5)
            .map(|h| format!("{} {} -> {}", h.method, h.url, h.status))
            .collect();
        Err(BrowserError::TooManyRedirects(last.join("; ")))
    }

    async fn fetch(
        &self,
        request: &Request,
        navigation: Option<u64>,
    ) -> Result<Page, BrowserError> {
        let headers = self.state().headers.clone();
        let mut req = self
            .inner
            .client
            .request(request.method.clone(), request.url.clone())
            .headers(headers);
        for (name, value) in &request.headers {
            req = req.header(name, value);
        }
        match &request.body {
            Some(Body::Form(fields)) => req = req.form(fields),
            Some(Body::Raw {
                content_type,
                bytes,
            }) => req = req.header(CONTENT_TYPE, content_type).body(bytes.clone()),
            None => {}
        }
        let http_err = |source| BrowserError::Http {
            method: request.method.to_string(),
            url: request.url.to_string(),
            source,
        };
        let req = req.build().map_err(http_err)?;
        // The jar adds its cookies inside the client; the record shows them as sent.
        let cookies = self
            .cookies_for(&request.url)
            .map(|c| vec![("cookie".to_owned(), c)])
            .unwrap_or_default();
        let pending = self
            .inner
            .recorder
            .as_ref()
            .map(|_| Pending::start("browser", navigation, &req, cookies));
        let result = async {
            let resp = self.inner.client.execute(req).await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp.bytes().await?;
            Ok((status, headers, body))
        }
        .await;
        let (status, headers, body) = match result {
            Ok(ok) => ok,
            Err(e) => {
                if let (Some(rec), Some(p)) = (&self.inner.recorder, pending) {
                    rec.push(Record::Exchange(p.fail(&e)));
                }
                return Err(http_err(e));
            }
        };
        if let (Some(rec), Some(p)) = (&self.inner.recorder, pending) {
            rec.push(Record::Exchange(p.finish(status, &headers, &body)));
        }
        Ok(Page {
            url: request.url.clone(),
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            hops: Vec::new(),
        })
    }
}

fn parse(url: &str) -> Result<Url, BrowserError> {
    Url::parse(url).map_err(|e| BrowserError::Url(format!("{url}: {e}")))
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), BrowserError> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|e| BrowserError::Page(format!("bad header name {name:?}: {e}")))?;
    let v = HeaderValue::from_str(value)
        .map_err(|e| BrowserError::Page(format!("bad header value {value:?}: {e}")))?;
    Ok((n, v))
}

fn form_request(form: &Form, fields: Vec<(String, String)>) -> Request {
    if form.method == "GET" {
        let mut url = form.action.clone();
        url.query_pairs_mut().clear().extend_pairs(&fields);
        Request {
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: None,
        }
    } else {
        Request {
            method: Method::POST,
            url: form.action.clone(),
            headers: Vec::new(),
            body: Some(Body::Form(fields)),
        }
    }
}
