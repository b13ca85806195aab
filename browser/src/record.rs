//! The recording layer: every HTTP exchange a browser or a step's client makes, and every
//! screenshot, in the order they happened, with timings.
//!
//! One [`Recorder`] belongs to one scenario; the scripted [`crate::Browser`] and the [`Client`]
//! a step uses for API calls write into it, and the runner drains it when the scenario ends,
//! attaching each record to the step during which it started.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

/// Bodies longer than this are cut (and marked so) in a record.
pub const MAX_RECORDED_BODY: usize = 512 * 1024;

/// One request and its response (or the error that replaced it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// Who made it: `browser` (the scripted browser), `chromium`, or `http` (a step's client).
    pub source: String,
    /// Exchanges of one navigation (a redirect chain) share this id.
    pub navigation: Option<u64>,
    /// When the request started, in milliseconds since the Unix epoch.
    pub started_ms: f64,
    /// From sending the request to the last byte of the response, in milliseconds.
    pub duration_ms: f64,
    /// Request method.
    pub method: String,
    /// Request URL.
    pub url: String,
    /// Request headers as sent (the cookie jar's `Cookie` included when known).
    pub request_headers: Vec<(String, String)>,
    /// Request body as text, if any.
    pub request_body: Option<String>,
    /// Response status; `None` when the request failed.
    pub status: Option<u16>,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// Response body as text (lossy UTF-8, cut at [`MAX_RECORDED_BODY`]).
    pub response_body: Option<String>,
    /// Why there is no response.
    pub error: Option<String>,
}

/// A picture of what the user saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Screenshot {
    /// When it was taken, in milliseconds since the Unix epoch.
    pub taken_ms: f64,
    /// The page's URL.
    pub url: String,
    /// The PNG, base64 (standard alphabet).
    pub png_base64: String,
}

/// A record: an exchange or a screenshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// An HTTP exchange.
    Exchange(Exchange),
    /// A screenshot.
    Screenshot(Screenshot),
}

impl Record {
    /// When the record's event started, in milliseconds since the Unix epoch.
    pub fn at_ms(&self) -> f64 {
        match self {
            Record::Exchange(e) => e.started_ms,
            Record::Screenshot(s) => s.taken_ms,
        }
    }
}

/// Collects records; clones share them.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    records: Arc<Mutex<Vec<Record>>>,
    navigations: Arc<AtomicU64>,
}

impl Recorder {
    /// Adds a record.
    pub fn push(&self, record: Record) {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
    }

    /// Takes every record so far, in the order they were pushed.
    pub fn drain(&self) -> Vec<Record> {
        std::mem::take(&mut *self.records.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A new navigation id for a redirect chain.
    pub fn next_navigation(&self) -> u64 {
        self.navigations.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Adds a screenshot of `url` taken now.
    pub fn screenshot(&self, url: &str, png: &[u8]) {
        use base64::Engine;
        self.push(Record::Screenshot(Screenshot {
            taken_ms: now_ms(),
            url: url.to_owned(),
            png_base64: base64::engine::general_purpose::STANDARD.encode(png),
        }));
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Header pairs as text (values that are not UTF-8 are shown lossily).
pub fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A body as recorded text: lossy UTF-8, cut at [`MAX_RECORDED_BODY`] with a marker.
pub fn body_text(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_RECORDED_BODY {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut text = String::from_utf8_lossy(&bytes[..MAX_RECORDED_BODY]).into_owned();
    text.push_str(&format!(
        "\n… ({} more bytes not recorded)",
        bytes.len() - MAX_RECORDED_BODY
    ));
    text
}

/// An exchange being timed: started when created, finished with its response or error.
#[derive(Debug)]
pub struct Pending {
    exchange: Exchange,
    clock: Instant,
}

impl Pending {
    /// Starts timing a request.
    pub fn start(
        source: &str,
        navigation: Option<u64>,
        request: &reqwest::Request,
        extra_headers: Vec<(String, String)>,
    ) -> Self {
        let mut request_headers = header_pairs(request.headers());
        request_headers.extend(extra_headers);
        Self {
            exchange: Exchange {
                source: source.to_owned(),
                navigation,
                started_ms: now_ms(),
                duration_ms: 0.0,
                method: request.method().to_string(),
                url: request.url().to_string(),
                request_headers,
                request_body: request.body().and_then(|b| b.as_bytes()).map(body_text),
                status: None,
                response_headers: Vec::new(),
                response_body: None,
                error: None,
            },
            clock: Instant::now(),
        }
    }

    /// The response arrived in full.
    pub fn finish(mut self, status: u16, headers: &HeaderMap, body: &[u8]) -> Exchange {
        self.exchange.duration_ms = self.clock.elapsed().as_secs_f64() * 1000.0;
        self.exchange.status = Some(status);
        self.exchange.response_headers = header_pairs(headers);
        self.exchange.response_body = Some(body_text(body));
        self.exchange
    }

    /// The request failed.
    pub fn fail(mut self, error: &dyn std::fmt::Display) -> Exchange {
        self.exchange.duration_ms = self.clock.elapsed().as_secs_f64() * 1000.0;
        self.exchange.error = Some(error.to_string());
        self.exchange
    }
}

/// An HTTP client whose every exchange is recorded: what a step uses for API calls.
///
/// Requests are built as with reqwest (`client.post(url).json(&body)`) and sent with
/// [`RequestBuilder::send`], which reads the whole response, records it and hands back an
/// ordinary [`reqwest::Response`] over the read bytes.
#[derive(Debug, Clone)]
pub struct Client {
    client: reqwest::Client,
    recorder: Recorder,
}

impl Client {
    /// Records the exchanges of `client` into `recorder`.
    pub fn new(client: reqwest::Client, recorder: Recorder) -> Self {
        Self { client, recorder }
    }

    /// The recorder.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// A request with any method.
    pub fn request(&self, method: reqwest::Method, url: impl reqwest::IntoUrl) -> RequestBuilder {
        RequestBuilder {
            builder: self.client.request(method, url),
            client: self.clone(),
        }
    }

    /// A GET request.
    pub fn get(&self, url: impl reqwest::IntoUrl) -> RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    /// A POST request.
    pub fn post(&self, url: impl reqwest::IntoUrl) -> RequestBuilder {
        self.request(reqwest::Method::POST, url)
    }
}

/// A request being built; [`RequestBuilder::send`] records it.
#[derive(Debug)]
pub struct RequestBuilder {
    builder: reqwest::RequestBuilder,
    client: Client,
}

impl RequestBuilder {
    fn map(self, f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) -> Self {
        Self {
            builder: f(self.builder),
            client: self.client,
        }
    }

    /// Adds a header.
    pub fn header(self, name: &str, value: impl AsRef<str>) -> Self {
        let value = value.as_ref().to_owned();
        self.map(|b| b.header(name, value))
    }

    /// A JSON body.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.map(|b| b.json(body))
    }

    /// A form body.
    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> Self {
        self.map(|b| b.form(form))
    }

    /// A raw body.
    pub fn body(self, body: impl Into<reqwest::Body>) -> Self {
        self.map(|b| b.body(body))
    }

    /// HTTP Basic credentials.
    pub fn basic_auth(self, user: &str, password: Option<&str>) -> Self {
        self.map(|b| b.basic_auth(user, password))
    }

    /// A bearer token.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.map(|b| b.bearer_auth(token))
    }

    /// Sends the request, reads the whole response and records the exchange.
    pub async fn send(self) -> reqwest::Result<reqwest::Response> {
        let request = self.builder.build()?;
        let pending = Pending::start("http", None, &request, Vec::new());
        let url = request.url().clone();
        let recorder = self.client.recorder.clone();
        let result = async {
            let response = self.client.client.execute(request).await?;
            let status = response.status();
            let version = response.version();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, version, headers, body))
        }
        .await;
        match result {
            Ok((status, version, headers, body)) => {
                recorder.push(Record::Exchange(pending.finish(
                    status.as_u16(),
                    &headers,
                    &body,
                )));
                use reqwest::ResponseBuilderExt as _;
                let mut builder = http::Response::builder()
                    .status(status)
                    .version(version)
                    .url(url);
                if let Some(h) = builder.headers_mut() {
                    *h = headers;
                }
                let rebuilt = builder
                    .body(body)
                    .expect("status, version and headers come from a valid response");
                Ok(reqwest::Response::from(rebuilt))
            }
            Err(e) => {
                recorder.push(Record::Exchange(pending.fail(&e)));
                Err(e)
            }
        }
    }
}
