//! `response_mode`: absent (the response type's default), or one of [`ResponseMode::ALL`] that
//! may carry the response type (never `query` for tokens).

use super::{param, Params};
use crate::error::OAuthError;
use crate::protocol::{ResponseMode, ResponseType};

/// The response mode for `response_type`.
pub fn check(params: &Params, response_type: ResponseType) -> Result<ResponseMode, OAuthError> {
    let Some(value) = param(params, "response_mode") else {
        return Ok(response_type.default_mode());
    };
    let mode = ResponseMode::parse(value).ok_or_else(|| {
        let supported: Vec<&str> = ResponseMode::ALL.iter().map(|m| m.as_str()).collect();
        OAuthError::InvalidRequest(format!(
            "response_mode `{value}` is not supported; use one of: {}",
            supported.join(", ")
        ))
    })?;
    if !response_type.allows_mode(mode) {
        return Err(OAuthError::InvalidRequest(format!(
            "response_mode `{value}` cannot carry response_type `{}`: tokens never go in a query",
            response_type.as_str()
        )));
    }
    Ok(mode)
}

/// The mode for delivering an error before the request was validated: the requested one if it
/// is valid for the (parsable) response type, else that type's default.
pub fn for_errors(params: &Params) -> ResponseMode {
    let response_type = super::response_type::for_errors(params);
    check(params, response_type).unwrap_or_else(|_| response_type.default_mode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::checks::params_of as params;

    #[test]
    fn defaults_and_refusals() {
        let code = ResponseType::CODE;
        let implicit = ResponseType::parse("id_token token").unwrap();
        assert_eq!(check(&params(&[]), code), Ok(ResponseMode::Query));
        assert_eq!(check(&params(&[]), implicit), Ok(ResponseMode::Fragment));
        let form_post = params(&[("response_mode", "form_post")]);
        assert_eq!(check(&form_post, implicit), Ok(ResponseMode::FormPost));
        assert_eq!(check(&form_post, code), Ok(ResponseMode::FormPost));
        let fragment = params(&[("response_mode", "fragment")]);
        assert_eq!(check(&fragment, code), Ok(ResponseMode::Fragment));
        let query = params(&[("response_mode", "query")]);
        assert_eq!(
            check(&query, implicit).unwrap_err().code(),
            "invalid_request"
        );
        let bad = params(&[("response_mode", "web_message")]);
        assert_eq!(check(&bad, code).unwrap_err().code(), "invalid_request");
    }

    #[test]
    fn errors_go_where_the_request_expects_them() {
        let p = params(&[
            ("response_type", "code id_token"),
            ("response_mode", "query"),
        ]);
        assert_eq!(for_errors(&p), ResponseMode::Fragment);
        let p = params(&[("response_type", "magic"), ("response_mode", "form_post")]);
        assert_eq!(for_errors(&p), ResponseMode::FormPost);
        assert_eq!(for_errors(&params(&[])), ResponseMode::Query);
    }
}
