//! `max_age` (or the client's `default_max_age`): a non-negative integer of seconds.

use super::{param, Params};
use crate::clients::Client;
use crate::error::OAuthError;

/// The maximum authentication age to enforce.
pub fn check(client: &Client, params: &Params) -> Result<Option<i64>, OAuthError> {
    match param(params, "max_age") {
        None => Ok(client.default_max_age),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| {
                OAuthError::InvalidRequest(format!(
                    "max_age must be a non-negative integer, got `{v}`"
                ))
            }),
    }
}
