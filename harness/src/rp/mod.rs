//! The relying party of the OpenID Foundation's OP certification plans (`features/oidcc`): its
//! callback server, how an authorization response reached it, and the checks the suite runs
//! on what the OP sent (ID tokens, authorization codes, error responses, logout tokens).

pub mod callback;
pub mod id_token;
pub mod logout_token;
pub mod signing;

use std::collections::BTreeMap;

/// How an authorization response reached the RP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the redirect's query (`response_mode=query`).
    Query,
    /// In the redirect's fragment (`response_mode=fragment`).
    Fragment,
    /// As an auto-submitted `application/x-www-form-urlencoded` POST (`form_post`).
    FormPost,
}

impl Delivery {
    /// The `response_mode` value that names this delivery.
    pub fn mode(self) -> &'static str {
        match self {
            Delivery::Query => "query",
            Delivery::Fragment => "fragment",
            Delivery::FormPost => "form_post",
        }
    }
}

/// An authorization response as the RP received it.
#[derive(Debug, Clone)]
pub struct AuthResponse {
    /// How it arrived.
    pub delivery: Delivery,
    /// Its parameters, in order.
    pub params: Vec<(String, String)>,
    /// Parameters of the redirect's query when the response came in the fragment (the suite
    /// refuses a `code` there).
    pub query_beside_fragment: Vec<(String, String)>,
}

impl AuthResponse {
    /// A parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The parameters by name, for messages.
    pub fn describe(&self) -> String {
        let map: BTreeMap<_, _> = self
            .params
            .iter()
            .map(|(k, v)| {
                let shown: String = v.chars().take(60).collect();
                (k.as_str(), shown)
            })
            .collect();
        format!("{} {map:?}", self.delivery.mode())
    }
}

/// The authorization response carried by a redirect to `redirect_uri` (its `Location`): in the
/// fragment when it has one, else in the query. `None` when the location is not the redirect
/// URI.
pub fn from_location(location: &url::Url, redirect_uri: &str) -> Option<AuthResponse> {
    let mut without = location.clone();
    without.set_fragment(None);
    let base = redirect_uri.split('?').next().unwrap_or(redirect_uri);
    let mut plain = without.clone();
    plain.set_query(None);
    if plain.as_str() != base {
        return None;
    }
    let query: Vec<(String, String)> = without.query_pairs().into_owned().collect();
    match location.fragment() {
        Some(fragment) => Some(AuthResponse {
            delivery: Delivery::Fragment,
            params: url::form_urlencoded::parse(fragment.as_bytes())
                .into_owned()
                .collect(),
            query_beside_fragment: query,
        }),
        None => Some(AuthResponse {
            delivery: Delivery::Query,
            params: query,
            query_beside_fragment: Vec::new(),
        }),
    }
}

/// Parameters an error response may carry (the suite's `CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint`).
pub const ERROR_PARAMS: &[&str] = &[
    "error",
    "error_description",
    "error_uri",
    "state",
    "session_state",
    "iss",
];

/// Whether `text` uses only the characters RFC 6749 §4.1.2.1 allows in `error_description`
/// (%x20-21 / %x23-5B / %x5D-7E).
pub fn allowed_error_chars(text: &str) -> bool {
    text.chars()
        .all(|c| matches!(c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Estimated entropy of a random string in bits: its length times the Shannon entropy of its
/// characters (the suite wants at least 96 bits in an authorization code, and 128 bits of
/// length).
pub fn entropy_bits(value: &str) -> f64 {
    let mut counts = BTreeMap::<char, usize>::new();
    for c in value.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = value.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_is_read_from_the_fragment_or_the_query_of_the_redirect_uri() {
        let cb = "http://127.0.0.1:9/cb";
        let frag = url::Url::parse("http://127.0.0.1:9/cb#code=c&state=s").unwrap();
        let r = from_location(&frag, cb).unwrap();
        assert_eq!(r.delivery, Delivery::Fragment);
        assert_eq!(r.get("code"), Some("c"));
        let query = url::Url::parse("http://127.0.0.1:9/cb?error=login_required").unwrap();
        assert_eq!(from_location(&query, cb).unwrap().delivery, Delivery::Query);
        let elsewhere = url::Url::parse("http://127.0.0.1:9/other?code=c").unwrap();
        assert!(from_location(&elsewhere, cb).is_none());
        let with_query = url::Url::parse("http://127.0.0.1:9/cb?foo=bar&code=c").unwrap();
        let r = from_location(&with_query, "http://127.0.0.1:9/cb?foo=bar").unwrap();
        assert_eq!(r.get("foo"), Some("bar"));
    }

    #[test]
    fn error_descriptions_and_code_entropy_are_judged_as_the_suite_does() {
        assert!(allowed_error_chars("the nonce is missing"));
        assert!(!allowed_error_chars("quote \" here"));
        assert!(!allowed_error_chars("line\nbreak"));
        assert!(entropy_bits("aaaaaaaaaaaaaaaaaaaaaaaa") < 1.0);
        assert!(entropy_bits("Qz7x1P9mK2vR8sT4wY6uB3nL5hJ0gF") > 96.0);
    }
}
