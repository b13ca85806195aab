//! Requests that cannot follow a redirect to a login page (an extension beyond GG).
//!
//! GG answers every unauthenticated request with a 302 to the OP. A script or a browser's
//! `fetch`/XHR cannot complete an interactive login that way, so a request that says it wants JSON
//! (an `Accept` header naming `application/json` but not `text/html`) or comes from XHR
//! (`X-Requested-With: XMLHttpRequest`) gets a 401 instead, and when the session lacks the ACR the
//! resource requires, the RFC 9470 step-up challenge
//! `WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values="otp"`.

use http::header::{HeaderMap, HeaderValue, ACCEPT};

/// Whether the request comes from a client that cannot follow the login redirect.
pub fn cannot_follow_redirects(headers: &HeaderMap) -> bool {
    let xhr = headers
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("xmlhttprequest"));
    if xhr {
        return true;
    }
    let mut json = false;
    let mut html = false;
    for value in headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for media in value.split(',') {
            let media = media.split(';').next().unwrap_or("").trim();
            if media.eq_ignore_ascii_case("application/json") {
                json = true;
            } else if media.eq_ignore_ascii_case("text/html") {
                html = true;
            }
        }
    }
    json && !html
}

/// Why an API client is refused.
#[derive(Debug, Clone, Copy)]
pub enum Challenge<'a> {
    /// No session: the user must log in with a browser first (RFC 6750: no error code when no
    /// credentials were presented).
    Login,
    /// The session lacks one of these ACRs (RFC 9470 `acr_values`).
    Acr(&'a [String]),
    /// The session's authentication or token is too old (RFC 9470 `max_age`).
    MaxAge(i64),
}

/// The `WWW-Authenticate` value for `challenge`.
pub fn challenge(challenge: Challenge<'_>) -> HeaderValue {
    const STEP_UP: &str = "Bearer error=\"insufficient_user_authentication\"";
    let value = match challenge {
        Challenge::Login => "Bearer".to_string(),
        Challenge::Acr(acrs) => format!(
            "{STEP_UP}, error_description=\"A different authentication level is required\", \
             acr_values=\"{}\"",
            acrs.join(" ")
        ),
        Challenge::MaxAge(max_age) => format!(
            "{STEP_UP}, error_description=\"More recent authentication is required\", \
             max_age={max_age}"
        ),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn browsers_follow_redirects() {
        assert!(!cannot_follow_redirects(&headers(&[])));
        assert!(!cannot_follow_redirects(&headers(&[(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )])));
        assert!(!cannot_follow_redirects(&headers(&[("accept", "*/*")])));
        assert!(!cannot_follow_redirects(&headers(&[(
            "accept",
            "application/json, text/html"
        )])));
    }

    #[test]
    fn api_clients_do_not() {
        assert!(cannot_follow_redirects(&headers(&[(
            "accept",
            "application/json"
        )])));
        assert!(cannot_follow_redirects(&headers(&[(
            "accept",
            "Application/JSON; charset=utf-8"
        )])));
        assert!(cannot_follow_redirects(&headers(&[(
            "x-requested-with",
            "XMLHttpRequest"
        )])));
    }

    #[test]
    fn rfc9470_challenge() {
        let otp = ["otp".to_string()];
        let v = challenge(Challenge::Acr(&otp));
        let v = v.to_str().unwrap();
        assert!(v.starts_with("Bearer error=\"insufficient_user_authentication\""));
        assert!(v.ends_with("acr_values=\"otp\""));
        let two = ["otp".to_string(), "u2f".to_string()];
        let v = challenge(Challenge::Acr(&two));
        assert!(v.to_str().unwrap().ends_with("acr_values=\"otp u2f\""));
        assert_eq!(challenge(Challenge::Login), "Bearer");
        let v = challenge(Challenge::MaxAge(60));
        assert!(v.to_str().unwrap().ends_with("max_age=60"));
    }
}
