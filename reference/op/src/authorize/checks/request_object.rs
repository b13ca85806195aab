//! Request objects (`request`, `request_uri`) are not supported; say so with the OIDC error codes.

use super::{param, Params};
use crate::error::OAuthError;

/// Rejects request objects.
pub fn check(params: &Params) -> Result<(), OAuthError> {
    if param(params, "request").is_some() {
        return Err(OAuthError::RequestNotSupported(
            "the request parameter is not supported".into(),
        ));
    }
    if param(params, "request_uri").is_some() {
        return Err(OAuthError::RequestUriNotSupported(
            "the request_uri parameter is not supported".into(),
        ));
    }
    Ok(())
}
