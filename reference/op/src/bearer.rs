//! Bearer token extraction (RFC 6750 §2.1 header, §2.2 form body).

use std::collections::HashMap;

use axum::http::{header, HeaderMap};

use crate::error::OAuthError;

/// The token from `Authorization: Bearer` (scheme case-insensitive), if the header uses that
/// scheme.
pub fn from_header(headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| OAuthError::InvalidRequest("malformed Authorization header".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            let token = token.trim();
            if token.is_empty() {
                Err(OAuthError::InvalidRequest("empty bearer token".into()))
            } else {
                Ok(Some(token.to_owned()))
            }
        }
        _ => Ok(None),
    }
}

/// The token from the header or the `access_token` form field; both at once is an error.
pub fn from_header_or_form(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Option<String>, OAuthError> {
    let header = from_header(headers)?;
    let body = form.get("access_token").filter(|t| !t.is_empty()).cloned();
    match (header, body) {
        (Some(_), Some(_)) => Err(OAuthError::InvalidRequest(
            "the access token was sent in more than one way".into(),
        )),
        (h, b) => Ok(h.or(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn schemes() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(from_header(&h).unwrap().as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(from_header(&h).unwrap(), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert!(from_header(&h).is_err());
        let form: HashMap<String, String> = [("access_token".into(), "x".into())].into();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer y"));
        assert!(from_header_or_form(&h, &form).is_err());
        assert_eq!(
            from_header_or_form(&HeaderMap::new(), &form)
                .unwrap()
                .as_deref(),
            Some("x")
        );
    }
}
