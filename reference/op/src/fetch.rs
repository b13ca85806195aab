//! Fetching a document a client names (a `request_uri`, a `jwks_uri`, a
//! `sector_identifier_uri`): over the OP's one HTTP
//! client ([`client`]: connect and overall timeouts, no redirects followed) and never more
//! than a size bound, so a slow or huge answer costs the OP one bounded request.

use std::time::Duration;

/// The most bytes of a fetched document the OP reads (a request object or a JWK set is a few
/// KiB).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// How long the OP waits for a client's server, from connecting to the last byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The OP's HTTP client for outgoing fetches. Redirects are not followed: the URL the client
/// registered or sent is the one fetched.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// GETs `url` (http or https; a fragment is not sent) and returns its body, refusing any answer
/// but 200 and any body over `max` bytes. The error is a sentence for `error_description`.
pub async fn get(http: &reqwest::Client, url: &str, max: usize) -> Result<Vec<u8>, String> {
    let mut parsed = url::Url::parse(url).map_err(|_| format!("`{url}` is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("`{url}` is not an http(s) URL"));
    }
    parsed.set_fragment(None);
    let mut response = http
        .get(parsed.as_str())
        .send()
        .await
        .map_err(|e| format!("fetching {parsed} failed: {}", reason(&e)))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(format!("{parsed} answered {}", response.status().as_u16()));
    }
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!("{parsed} is larger than {max} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading {parsed} failed: {}", reason(&e)))?
    {
        if body.len() + chunk.len() > max {
            return Err(format!("{parsed} is larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// As [`get`], for a document that must come over https (a `sector_identifier_uri`, OpenID
/// Connect Dynamic Client Registration 1.0 §2): any other scheme is refused before anything is
/// sent, except `http` to a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`) when
/// `loopback_http` is set — test stacks whose relying parties serve plain http on loopback.
pub async fn get_https(
    http: &reqwest::Client,
    url: &str,
    max: usize,
    loopback_http: bool,
) -> Result<Vec<u8>, String> {
    let parsed = url::Url::parse(url).map_err(|_| format!("`{url}` is not a URL"))?;
    let allowed = match parsed.scheme() {
        "https" => true,
        "http" => loopback_http && crate::redirect_uris::is_loopback(&parsed),
        _ => false,
    };
    if !allowed {
        return Err(format!("`{url}` is not an https URL"));
    }
    get(http, url, max).await
}

fn reason(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "transport error"
    }
}
