//! `response_mode` may be absent or `query` (the default for `code`).

use super::{param, Params};
use crate::error::OAuthError;

/// Accepts the query response mode.
pub fn check(params: &Params) -> Result<(), OAuthError> {
    match param(params, "response_mode") {
        None | Some("query") => Ok(()),
        Some(other) => Err(OAuthError::InvalidRequest(format!(
            "response_mode `{other}` is not supported; use `query`"
        ))),
    }
}
