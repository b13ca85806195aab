//! gatecheck's scripted browser, shared by the harness and every crate's integration tests.
//!
//! [`Browser`] is an HTTP client with a cookie jar that follows redirects itself (across gateway
//! and OP hosts), records every hop, parses pages with `scraper`, fills and submits forms by
//! field name (hidden fields such as CSRF tokens carried over), auto-submits form_post pages, and
//! enrolls an [`Authenticator`] from a QR code image. [`driver`] walks the reference OP's login,
//! enrolment, one-time password and consent pages by their field names; [`generic`] walks any
//! OP's (Keycloak, Gluu Server, node oidc-provider) the way a person finds them.
//!
//! With [`BrowserBuilder::chromium`] the same [`Browser`] runs in a real headless Chromium
//! ([`chromium`]): the same calls, the pages and hops read from what went over the wire, and a
//! screenshot of every page the user sees.
//!
//! The crate depends on no gatecheck crate, so any of them can use it as a dev-dependency.

mod authenticator;
pub mod chromium;
pub mod driver;
pub mod generic;
mod page;
pub mod record;
mod scripted;

pub use authenticator::{decode_png_data_url, decode_qr_png, Authenticator};
pub use page::{Button, Form, Page};
pub use scripted::{Body, Browser, BrowserBuilder};

use url::Url;

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
    /// Chromium or chromedriver failed, or is missing.
    #[error("chromium: {0}")]
    Chromium(String),
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
    /// Resolved `Location` of a redirect response, or the action of an auto-submitted form.
    pub location: Option<Url>,
}

#[cfg(test)]
mod tests;
