//! The [`crate::Browser`] in a real headless Chromium: Debian's `chromium` driven over WebDriver
//! by `chromedriver` through fantoccini, every request going through a recording proxy
//! ([`proxy`]) so that the exchanges, redirect hops and the [`Page`]s the steps read are what
//! went over the wire, and a screenshot of every page the user sees.
//!
//! fantoccini was chosen over a DevTools crate because WebDriver is the standard interface
//! (the same code would drive Firefox through geckodriver), chromedriver comes with Debian's
//! Chromium, and the project's GUI test already uses it.
//!
//! [`Chromium`] is one chromedriver process; each browser (a user) is a Chromium session of its
//! own (own profile, own cookies), opened on first use.

mod proxy;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};
use url::Url;

use crate::record::{Exchange, Recorder};
use crate::{Authenticator, BrowserError, Hop, Page};
use proxy::{Proxy, Seen};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The window every session opens with (and the size of its screenshots).
const WINDOW: (u32, u32) = (1200, 860);

/// How long chromedriver may take to listen.
const DRIVER_START: Duration = Duration::from_secs(20);

/// A running chromedriver; it stops when dropped.
#[derive(Debug)]
pub struct Chromium {
    child: Mutex<Option<tokio::process::Child>>,
    url: String,
    /// Every session opened, closed or not (deleting a closed one is harmless).
    sessions: Mutex<Vec<String>>,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // A window nobody closed (a test that panicked) would outlive chromedriver: its
        // sessions are deleted first, which quits their Chromiums. Drop cannot await, so a
        // thread of its own runs the requests, each bounded.
        let sessions =
            std::mem::take(&mut *self.sessions.lock().unwrap_or_else(|p| p.into_inner()));
        if !sessions.is_empty() {
            let url = self.url.clone();
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    let Ok(http) = reqwest::Client::builder()
                        .no_proxy()
                        .timeout(Duration::from_secs(5))
                        .build()
                    else {
                        return;
                    };
                    for id in sessions {
                        let _ = http.delete(format!("{url}/session/{id}")).send().await;
                    }
                });
            })
            .join();
        }
        if let Some(child) = self
            .child
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            let _ = child.start_kill();
        }
    }
}

impl Chromium {
    /// What is missing for Chromium mode (`None`: both binaries are installed).
    pub fn missing() -> Option<String> {
        let absent: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        (!absent.is_empty()).then(|| {
            format!(
                "{} not installed (apt-get install chromium chromium-driver)",
                absent.join(" and ")
            )
        })
    }

    /// Starts chromedriver on an ephemeral loopback port and waits until it answers.
    pub async fn start() -> Result<Self, BrowserError> {
        if let Some(missing) = Self::missing() {
            return Err(BrowserError::Chromium(missing));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| BrowserError::Chromium(format!("no free port for chromedriver: {e}")))?
            .port();
        let child = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| BrowserError::Chromium(format!("{CHROMEDRIVER} does not start: {e}")))?;
        let driver = Self {
            child: Mutex::new(Some(child)),
            url: format!("http://127.0.0.1:{port}"),
            sessions: Mutex::new(Vec::new()),
        };
        let status = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| BrowserError::Chromium(e.to_string()))?;
        let deadline = Instant::now() + DRIVER_START;
        // chromedriver answers /status once it listens; nothing to wait on but polling.
        while Instant::now() < deadline {
            if status
                .get(format!("{}/status", driver.url))
                .send()
                .await
                .is_ok()
            {
                return Ok(driver);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(BrowserError::Chromium(format!(
            "chromedriver did not answer on port {port} within {DRIVER_START:?}"
        )))
    }

    /// A plain window (fresh profile at `profile`, no proxy, nothing recorded), for pages
    /// read from disk such as the HTML report, or a test's own script.
    pub async fn window(&self, profile: &Path) -> Result<Client, BrowserError> {
        self.connect(capabilities(profile, None)).await
    }

    async fn connect(&self, caps: serde_json::Map<String, Value>) -> Result<Client, BrowserError> {
        let client = ClientBuilder::rustls()
            .map_err(|e| BrowserError::Chromium(format!("no WebDriver client: {e}")))?
            .capabilities(caps)
            .connect(&self.url)
            .await
            .map_err(|e| {
                BrowserError::Chromium(format!("Chromium does not start a session: {e}"))
            })?;
        if let Ok(Some(id)) = client.session_id().await {
            self.sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(id);
        }
        Ok(client)
    }

    /// A new Chromium session (a fresh profile) whose requests go through a recording proxy.
    pub(crate) async fn session(
        &self,
        recorder: Option<Recorder>,
        timeout: Duration,
    ) -> Result<Session, BrowserError> {
        let err =
            |what: &str, e: &dyn std::fmt::Display| BrowserError::Chromium(format!("{what}: {e}"));
        let proxy = Proxy::start(recorder.clone(), timeout)
            .await
            .map_err(|e| err("the recording proxy does not start", &e))?;
        let profile = tempfile::tempdir().map_err(|e| err("no Chromium profile directory", &e))?;
        let client = self
            .connect(capabilities(profile.path(), Some(proxy.address())))
            .await?;
        let mut timeouts = fantoccini::wd::TimeoutConfiguration::default();
        timeouts.set_page_load(Some(timeout));
        timeouts.set_script(Some(timeout));
        client
            .update_timeouts(timeouts)
            .await
            .map_err(|e| err("Chromium refuses the timeouts", &e))?;
        Ok(Session {
            client,
            proxy,
            _profile: profile,
            recorder,
            timeout,
        })
    }
}

/// Headless Chromium with a profile of its own, quiet (no first-run, sync, updates or
/// background requests that would show up as exchanges), every request through `proxy`.
fn capabilities(profile: &Path, proxy: Option<SocketAddr>) -> serde_json::Map<String, Value> {
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-extensions".into(),
        "--disable-default-apps".into(),
        "--disable-client-side-phishing-detection".into(),
        "--disable-domain-reliability".into(),
        "--disable-breakpad".into(),
        "--disable-crash-reporter".into(),
        "--no-pings".into(),
        "--no-default-browser-check".into(),
        "--safebrowsing-disable-auto-update".into(),
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,\
         AutofillServerCommunication,CertificateTransparencyComponentUpdater"
            .into(),
        format!("--window-size={},{}", WINDOW.0, WINDOW.1),
        format!("--user-data-dir={}", profile.display()),
    ];
    if let Some(proxy) = proxy {
        args.push(format!("--proxy-server=http://{proxy}"));
        // Loopback is bypassed by default; the stacks live there.
        args.push("--proxy-bypass-list=<-loopback>".into());
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": CHROMIUM, "args": args }),
    );
    caps
}

/// What an action waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A page in the window: the last document of the navigation, loaded.
    Document,
    /// A script's fetch: its last response.
    Fetch,
}

/// One Chromium session: a user with a window.
#[derive(Debug)]
pub(crate) struct Session {
    client: Client,
    proxy: Proxy,
    _profile: tempfile::TempDir,
    recorder: Option<Recorder>,
    timeout: Duration,
}

/// What an action ended on.
pub(crate) struct Outcome {
    /// The page.
    pub page: Page,
    /// Every request of the navigation, ending with the page's own.
    pub hops: Vec<Hop>,
}

fn cmd_err(what: &str) -> impl Fn(fantoccini::error::CmdError) -> BrowserError + '_ {
    move |e| BrowserError::Chromium(format!("{what}: {e}"))
}

/// An XPath string literal for any text (XPath 1.0 has no escapes: quotes are concatenated).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    if !text.contains('"') {
        return format!("\"{text}\"");
    }
    let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

/// The request target without its fragment (a browser never sends one).
fn sent(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    u
}

fn header_map(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in pairs {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            map.append(n, v);
        }
    }
    map
}

fn is_redirect(e: &Exchange) -> bool {
    e.status.is_some_and(|s| (300..400).contains(&s))
        && e.response_headers.iter().any(|(n, _)| n == "location")
}

impl Session {
    /// Closes the window and its Chromium.
    pub async fn close(&self) {
        let _ = self.client.clone().close().await;
    }

    fn navigation_id(&self) -> u64 {
        match &self.recorder {
            Some(r) => r.next_navigation(),
            None => 1,
        }
    }

    /// Runs `action` and waits until what it started has settled; records a screenshot of the
    /// page a document navigation ends on.
    async fn act<F>(
        &self,
        what: &str,
        expect: Expect,
        auto_submit: bool,
        action: F,
    ) -> Result<Outcome, BrowserError>
    where
        F: std::future::Future<Output = Result<(), BrowserError>>,
    {
        if expect == Expect::Document {
            // The page being left is marked, so that it is never taken for its successor.
            self.client
                .execute("document.gatecheckLeft = true;", Vec::new())
                .await
                .map_err(cmd_err("marking the current page"))?;
        }
        let start = self.proxy.seen_len();
        self.proxy.set_navigation(self.navigation_id());
        let result = async {
            action.await?;
            self.settle(what, start, expect, auto_submit).await
        }
        .await;
        self.proxy.set_navigation(0);
        if expect != Expect::Document {
            return result;
        }
        // What the user sees, also when the step fails there.
        let shot = self
            .screenshot(result.as_ref().ok().map(|o| o.page.url.as_str()))
            .await;
        let outcome = result?;
        shot?;
        Ok(outcome)
    }

    async fn screenshot(&self, url: Option<&str>) -> Result<(), BrowserError> {
        let Some(recorder) = &self.recorder else {
            return Ok(());
        };
        let url = match url {
            Some(url) => url.to_owned(),
            None => self
                .client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default(),
        };
        let png = self
            .client
            .screenshot()
            .await
            .map_err(cmd_err("no screenshot"))?;
        recorder.screenshot(&url, &png);
        Ok(())
    }

    async fn settle(
        &self,
        what: &str,
        start: usize,
        expect: Expect,
        auto_submit: bool,
    ) -> Result<Outcome, BrowserError> {
        let deadline = Instant::now() + self.timeout;
        let dest = match expect {
            Expect::Document => "document",
            Expect::Fetch => "empty",
        };
        // An auto-submitting form_post page is not where the navigation ends.
        let mut at_least = 1;
        loop {
            let chain: Vec<Seen> = self
                .proxy
                .seen_since(start)
                .into_iter()
                .filter(|s| s.dest == dest)
                .collect();
            let last = chain.last().map(|s| &s.exchange);
            if let Some(last) = last.filter(|l| {
                chain.len() >= at_least && self.proxy.in_flight() == 0 && !is_redirect(l)
            }) {
                if let Some(error) = &last.error {
                    return Err(BrowserError::Chromium(format!(
                        "{} {}: {error}",
                        last.method, last.url
                    )));
                }
                let url = Url::parse(&last.url)
                    .map_err(|e| BrowserError::Url(format!("{}: {e}", last.url)))?;
                let loaded = match expect {
                    Expect::Fetch => Some(last.response_body.clone().unwrap_or_default()),
                    // Not HTML (JSON, text): the body as received, not Chromium's wrapping.
                    Expect::Document => self.loaded(&url).await?.map(|b| {
                        if b.is_empty() {
                            last.response_body.clone().unwrap_or_default()
                        } else {
                            b
                        }
                    }),
                };
                if let Some(body) = loaded {
                    let page = Page {
                        url,
                        status: last.status.unwrap_or_default(),
                        headers: header_map(&last.response_headers),
                        body,
                        hops: Vec::new(),
                    };
                    if expect == Expect::Document
                        && auto_submit
                        && at_least <= 3
                        && page.auto_submit_form()?.is_some()
                    {
                        at_least = chain.len() + 1;
                    } else {
                        return Ok(outcome(page, &chain));
                    }
                }
            }
            if Instant::now() >= deadline {
                let current = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_else(|e| e.to_string());
                let seen: Vec<String> = chain
                    .iter()
                    .map(|s| {
                        let e = &s.exchange;
                        format!(
                            "{} {} -> {}",
                            e.method,
                            e.url,
                            e.status.map(|s| s.to_string()).unwrap_or("pending".into())
                        )
                    })
                    .collect();
                return Err(BrowserError::Chromium(format!(
                    "{what} did not settle within {:?}: Chromium is at {current}; requests: [{}]",
                    self.timeout,
                    seen.join("; ")
                )));
            }
            // Woken by the proxy; the window's own progress (parsing, scripts) is polled.
            self.proxy.changed(Duration::from_millis(50)).await;
        }
    }

    /// The window's document when it has loaded `url` (`None`: not yet). HTML pages are read
    /// from the DOM (what the user sees, scripts included); anything else is the body
    /// received.
    async fn loaded(&self, url: &Url) -> Result<Option<String>, BrowserError> {
        let state = self
            .client
            .execute(
                "return [document.readyState, location.href, document.contentType, \
                 document.documentElement ? document.documentElement.outerHTML : '', \
                 !!document.gatecheckLeft];",
                Vec::new(),
            )
            .await
            .map_err(cmd_err("the window's state"))?;
        let field = |i: usize| state.get(i).and_then(Value::as_str).unwrap_or_default();
        let at = Url::parse(field(1)).map(|u| sent(&u));
        let left = state.get(4).and_then(Value::as_bool).unwrap_or(true);
        if left || field(0) != "complete" || at.as_ref() != Ok(&sent(url)) {
            return Ok(None);
        }
        Ok(Some(if field(2).contains("html") {
            format!("<!DOCTYPE html>\n{}", field(3))
        } else {
            String::new()
        }))
    }

    /// Opens `url` in the window (what typing it into the address bar does).
    pub async fn goto(&self, url: &str, auto_submit: bool) -> Result<Outcome, BrowserError> {
        self.act(
            &format!("opening {url}"),
            Expect::Document,
            auto_submit,
            async {
                self.client
                    .goto(url)
                    .await
                    .map_err(cmd_err(&format!("opening {url}")))
            },
        )
        .await
    }

    /// A script of the current page fetches `url` (redirects followed, cookies sent) and the
    /// outcome is its response; the window stays where it is.
    pub async fn fetch(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<(String, Vec<u8>)>,
    ) -> Result<Outcome, BrowserError> {
        let mut headers: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        let body = body.map(|(content_type, bytes)| {
            headers.insert("content-type".into(), content_type.into());
            String::from_utf8_lossy(&bytes).into_owned()
        });
        // The response may be unreadable to the script (CORS); the proxy saw it either way.
        const FETCH: &str = "const [url, init, done] = arguments; \
            fetch(url, init).then(r => r.text()).then(() => done(null), e => done(String(e)));";
        let init = json!({"method": method, "headers": headers, "body": body,
                          "credentials": "include", "redirect": "follow"});
        // A fresh window shows Chromium's new-tab page, where no script of ours may fetch; a
        // blank page (an opaque origin, as a sandboxed frame's) can.
        let on_web = self
            .client
            .current_url()
            .await
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "about"));
        if !on_web {
            self.client
                .goto("about:blank")
                .await
                .map_err(cmd_err("opening a blank page"))?;
        }
        self.act(
            &format!("the script's {method} {url}"),
            Expect::Fetch,
            false,
            async {
                self.client
                    .execute_async(FETCH, vec![json!(url), init])
                    .await
                    .map(|_| ())
                    .map_err(cmd_err(&format!("fetching {url}")))
            },
        )
        .await
    }

    /// Clicks the link whose visible text is `text` (case-insensitive).
    pub async fn click_link(&self, text: &str, auto_submit: bool) -> Result<Outcome, BrowserError> {
        let xpath = format!(
            "//a[@href][translate(normalize-space(.), '{UPPER}', '{LOWER}') = {}]",
            xpath_literal(&text.trim().to_lowercase())
        );
        let link = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .map_err(|e| BrowserError::Page(format!("no link {text:?} in the window: {e}")))?;
        self.act(
            &format!("clicking {text:?}"),
            Expect::Document,
            auto_submit,
            async {
                link.click()
                    .await
                    .map_err(cmd_err(&format!("clicking {text:?}")))
            },
        )
        .await
    }

    /// Fills the window's form (by id, or the only one) by field name, ticks (name, value)
    /// boxes and clicks the button (by id, value or label; default the first submit button).
    pub async fn submit(
        &self,
        form_id: Option<&str>,
        values: &[(&str, &str)],
        ticks: &[(&str, &str)],
        button: Option<&str>,
        auto_submit: bool,
    ) -> Result<Outcome, BrowserError> {
        let form = match form_id {
            Some(id) => self
                .client
                .find(Locator::Css(&format!("form[id={}]", css_string(id))))
                .await
                .map_err(|e| BrowserError::Page(format!("no form#{id} in the window: {e}")))?,
            None => {
                let mut forms = self
                    .client
                    .find_all(Locator::Css("form"))
                    .await
                    .map_err(cmd_err("the window's forms"))?;
                if forms.len() != 1 {
                    return Err(BrowserError::Page(format!(
                        "the window has {} forms; name one by id",
                        forms.len()
                    )));
                }
                forms.remove(0)
            }
        };
        let form_name = form_id.unwrap_or("(unnamed)");
        let mut pressed = None;
        for (name, value) in values {
            let xpath = format!(".//*[@name={}]", xpath_literal(name));
            let fields = form
                .find_all(Locator::XPath(&xpath))
                .await
                .map_err(cmd_err("the form's fields"))?;
            let Some(field) = fields.first() else {
                return Err(BrowserError::Page(format!(
                    "form {form_name} has no field {name:?}"
                )));
            };
            let tag = field.tag_name().await.map_err(cmd_err("a field"))?;
            let kind = field
                .attr("type")
                .await
                .map_err(cmd_err("a field"))?
                .unwrap_or_default()
                .to_ascii_lowercase();
            if tag == "button" || kind == "submit" {
                // A named submit button given a value is the button a user presses.
                let mut found = None;
                for b in &fields {
                    if b.attr("value")
                        .await
                        .map_err(cmd_err("a button"))?
                        .as_deref()
                        == Some(*value)
                    {
                        found = Some(b.clone());
                    }
                }
                pressed = Some(found.ok_or_else(|| {
                    BrowserError::Page(format!("form {form_name} has no button {name}={value:?}"))
                })?);
            } else if tag == "select" {
                field
                    .select_by_value(value)
                    .await
                    .map_err(cmd_err(&format!("choosing {value:?} in {name}")))?;
            } else if kind == "hidden" {
                // Nobody types into a hidden field; a page's script would set it.
                self.client
                    .execute(
                        "arguments[0].value = arguments[1];",
                        vec![json!(field), json!(value)],
                    )
                    .await
                    .map_err(cmd_err(&format!("setting {name}")))?;
            } else {
                field
                    .clear()
                    .await
                    .map_err(cmd_err(&format!("clearing {name}")))?;
                field
                    .send_keys(value)
                    .await
                    .map_err(cmd_err(&format!("typing into {name}")))?;
            }
        }
        for (name, value) in ticks {
            let css = format!(
                "input[name={}][value={}]",
                css_string(name),
                css_string(value)
            );
            let bx = form.find(Locator::Css(&css)).await.map_err(|_| {
                BrowserError::Page(format!(
                    "form {form_name} has no checkbox or radio button {name}={value}"
                ))
            })?;
            if !bx.is_selected().await.map_err(cmd_err("a checkbox"))? {
                bx.click()
                    .await
                    .map_err(cmd_err(&format!("ticking {name}={value}")))?;
            }
        }
        const SUBMITS: &str =
            "button:not([type]), button[type=submit], input[type=submit], input[type=image]";
        let button = match (button, pressed) {
            (None, Some(p)) => Some(p),
            (Some(b), _) => {
                let mut found = None;
                for candidate in form
                    .find_all(Locator::Css(SUBMITS))
                    .await
                    .map_err(cmd_err("the form's buttons"))?
                {
                    let id = candidate.attr("id").await.map_err(cmd_err("a button"))?;
                    let value = candidate.attr("value").await.map_err(cmd_err("a button"))?;
                    let label = candidate.text().await.map_err(cmd_err("a button"))?;
                    let matches = |s: &Option<String>| {
                        s.as_deref()
                            .is_some_and(|s| s.trim().eq_ignore_ascii_case(b))
                    };
                    if id.as_deref() == Some(b) || matches(&value) || matches(&Some(label)) {
                        found = Some(candidate);
                        break;
                    }
                }
                Some(found.ok_or_else(|| {
                    BrowserError::Page(format!("form {form_name} has no button {b:?}"))
                })?)
            }
            (None, None) => form
                .find_all(Locator::Css(SUBMITS))
                .await
                .ok()
                .and_then(|mut b| (!b.is_empty()).then(|| b.remove(0))),
        };
        let what = format!("submitting form {form_name}");
        self.act(&what, Expect::Document, auto_submit, async {
            match &button {
                Some(b) => b.click().await.map_err(cmd_err(&what)),
                // No button: the form is submitted as pressing Enter in it would.
                None => self
                    .client
                    .execute(
                        "HTMLFormElement.prototype.requestSubmit.call(arguments[0]);",
                        vec![json!(form)],
                    )
                    .await
                    .map(|_| ())
                    .map_err(cmd_err(&what)),
            }
        })
        .await
    }

    /// Submits exactly `fields` to the form's action, as a form crafted on the current page
    /// would (a form seen earlier, or a hand-made post).
    pub async fn post(
        &self,
        action: &Url,
        method: &str,
        fields: Vec<(String, String)>,
        auto_submit: bool,
    ) -> Result<Outcome, BrowserError> {
        const CRAFTED: &str = "const [action, method, fields] = arguments; \
            const f = document.createElement('form'); f.method = method; f.action = action; \
            for (const [n, v] of fields) { const i = document.createElement('input'); \
              i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); } \
            (document.body || document.documentElement).appendChild(f); \
            HTMLFormElement.prototype.submit.call(f);";
        let what = format!("{method} to {action}");
        self.act(&what, Expect::Document, auto_submit, async {
            self.client
                .execute(
                    CRAFTED,
                    vec![json!(action.as_str()), json!(method), json!(fields)],
                )
                .await
                .map(|_| ())
                .map_err(cmd_err(&what))
        })
        .await
    }

    /// Reads the QR code the window shows in the image matched by `css`: a screenshot of the
    /// image, decoded.
    pub async fn scan_qr_code(&self, css: &str) -> Result<Authenticator, BrowserError> {
        let image = self.client.find(Locator::Css(css)).await.map_err(|e| {
            BrowserError::Page(format!("no QR code image {css} in the window: {e}"))
        })?;
        let png = image
            .screenshot()
            .await
            .map_err(cmd_err("a screenshot of the QR code"))?;
        Authenticator::from_qr_png(&png)
    }
}

/// A CSS string literal.
fn css_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn outcome(page: Page, chain: &[Seen]) -> Outcome {
    let mut hops: Vec<Hop> = Vec::new();
    for (i, s) in chain.iter().enumerate() {
        let Ok(url) = Url::parse(&s.exchange.url) else {
            continue;
        };
        hops.push(Hop {
            method: s.exchange.method.clone(),
            url,
            status: s.exchange.status.unwrap_or_default(),
            location: chain
                .get(i + 1)
                .and_then(|next| Url::parse(&next.exchange.url).ok()),
        });
    }
    let mut page = page;
    if let Some(last) = hops.last_mut() {
        last.location = page.location();
    }
    page.hops = hops[..hops.len().saturating_sub(1)].to_vec();
    Outcome { page, hops }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The processes whose command line mentions `text`.
    fn processes_with(text: &str) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.filter_map(|e| {
            let e = e.ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(text).then_some(cmdline)
        })
        .collect()
    }

    #[tokio::test]
    async fn a_window_nobody_closed_ends_with_its_driver() {
        if let Some(missing) = Chromium::missing() {
            eprintln!("SKIPPED: Chromium cleanup test: {missing}");
            return;
        }
        let driver = Chromium::start().await.unwrap();
        let profile = tempfile::tempdir().unwrap();
        let window = driver.window(profile.path()).await.unwrap();
        window.goto("about:blank").await.unwrap();
        let marker = profile.path().display().to_string();
        assert!(!processes_with(&marker).is_empty(), "Chromium runs");
        std::mem::forget(window); // never closed, as after a panic
        drop(driver);
        // The kill is sent before kill(1) returns; the processes' exit is the kernel's.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !processes_with(&marker).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            processes_with(&marker),
            Vec::<String>::new(),
            "left running"
        );
    }

    #[test]
    fn xpath_literals_quote_any_text() {
        assert_eq!(xpath_literal("Flights"), "'Flights'");
        assert_eq!(xpath_literal("it's"), "\"it's\"");
        assert_eq!(
            xpath_literal("it's \"x\""),
            "concat('it', \"'\", 's \"x\"')"
        );
    }
}
