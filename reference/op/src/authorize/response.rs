//! Delivering an authorization response (or error) to the client's redirect URI in its
//! response mode: `query` and `fragment` are 302s; `form_post` is a page whose script submits a
//! form of hidden fields to the redirect URI (OAuth 2.0 Form Post Response Mode §2), the values
//! HTML-escaped by the template engine.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::protocol::ResponseMode;
use crate::server::AppState;

/// The script of the form_post page, allowed by its hash in the page's CSP.
pub const FORM_POST_SCRIPT: &str = "document.getElementById('responseForm').submit();";

/// Sends `params` to `redirect_uri` in `mode`.
pub fn deliver(
    state: &AppState,
    redirect_uri: &str,
    mode: ResponseMode,
    params: &[(&str, &str)],
) -> Response {
    match mode {
        ResponseMode::Query => redirect(&append_query(redirect_uri, params)),
        ResponseMode::Fragment => redirect(&format!("{redirect_uri}#{}", encode(params))),
        ResponseMode::FormPost => form_post(state, redirect_uri, params),
    }
}

fn form_post(state: &AppState, redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    if !crate::redirect_uris::is_safe_location(redirect_uri) {
        return refused();
    }
    let mut response = state.pages.render(
        StatusCode::OK,
        "form_post.html",
        minijinja::context! { action => redirect_uri, params => params, script => FORM_POST_SCRIPT },
    );
    let csp = format!(
        "default-src 'none'; script-src '{}'; form-action {}",
        script_hash(),
        origin_of(redirect_uri)
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// `sha256-<base64>` of [`FORM_POST_SCRIPT`] (CSP Level 2 hash source).
fn script_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crate::util::script_hash(FORM_POST_SCRIPT))
}

/// The form may be submitted to the redirect URI's origin only; a URI whose origin cannot be
/// expressed in a CSP (a native app's private scheme) gets its scheme.
fn origin_of(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(url) if url.origin().is_tuple() => url.origin().ascii_serialization(),
        Ok(url) => format!("{}:", url.scheme()),
        Err(_) => "'none'".into(),
    }
}

fn refused() -> Response {
    tracing::error!("refused to redirect to an unsafe location");
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, "no-store")],
        "The OpenID Provider refuses to redirect to this address.",
    )
        .into_response()
}

/// A 302 to `location`, not cached. A `Location` with a scheme that runs code in the browser
/// (`javascript:`, `data:`, ...; see [`crate::redirect_uris::is_safe_location`]) is never sent,
/// whatever let it through: the browser gets a 400 instead.
pub fn redirect(location: &str) -> Response {
    if !crate::redirect_uris::is_safe_location(location) {
        return refused();
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

fn encode(params: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

/// Appends form-encoded parameters to a URI, keeping its existing query.
pub fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", encode(params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_locations_are_never_sent() {
        for location in ["javascript:alert(1)", "data:text/html,x", "//evil.example/"] {
            let response = redirect(location);
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{location}");
            assert!(response.headers().get(header::LOCATION).is_none());
        }
        let response = redirect("https://rp/cb?code=1");
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(response.headers()[header::LOCATION], "https://rp/cb?code=1");
    }

    #[test]
    fn append_query_keeps_existing_parameters() {
        assert_eq!(
            append_query("https://rp/cb?x=1", &[("code", "a b"), ("state", "s&t")]),
            "https://rp/cb?x=1&code=a+b&state=s%26t"
        );
        assert_eq!(
            append_query("https://rp/cb", &[("a", "1")]),
            "https://rp/cb?a=1"
        );
    }

    #[test]
    fn form_actions_are_limited_to_the_redirect_uris_origin() {
        assert_eq!(
            origin_of("https://rp.example:8443/cb?x=1"),
            "https://rp.example:8443"
        );
        assert_eq!(origin_of("com.example.app:/cb"), "com.example.app:");
        assert!(script_hash().starts_with("sha256-"));
    }
}
