//! `response_type` must be present and `code` (the only flow this OP implements so far).

use super::{param, Params};
use crate::error::OAuthError;

/// Accepts `response_type=code`.
pub fn check(params: &Params) -> Result<(), OAuthError> {
    match param(params, "response_type") {
        None => Err(OAuthError::InvalidRequest(
            "response_type is required".into(),
        )),
        Some("code") => Ok(()),
        Some(other) => Err(OAuthError::UnsupportedResponseType(format!(
            "response_type `{other}` is not supported; use `code`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_code() {
        let p = |v: &str| {
            [("response_type".to_string(), v.to_string())]
                .into_iter()
                .collect()
        };
        assert!(check(&p("code")).is_ok());
        assert_eq!(
            check(&p("token")).unwrap_err().code(),
            "unsupported_response_type"
        );
        assert_eq!(
            check(&p("code id_token")).unwrap_err().code(),
            "unsupported_response_type"
        );
        assert_eq!(check(&Params::new()).unwrap_err().code(), "invalid_request");
    }
}
