//! The authorization endpoint's checks, one concern per module, run in this order by
//! [`super::validate`]. The first two decide whether errors may be redirected at all: until the
//! client and redirect URI are known to be good, errors are shown on an error page.

pub mod acr;
pub mod client;
pub mod id_token_hint;
pub mod max_age;
pub mod pkce;
pub mod prompt;
pub mod redirect_uri;
pub mod request_object;
pub mod response_mode;
pub mod response_type;
pub mod scope;

use std::collections::HashMap;

/// Query or form parameters of the request.
pub type Params = HashMap<String, String>;

/// A non-empty parameter.
pub fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Parameters from pairs (for the checks' unit tests).
#[cfg(test)]
pub fn params_of(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
