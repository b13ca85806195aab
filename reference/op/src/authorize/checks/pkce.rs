//! PKCE (RFC 7636): S256 or plain; required for public clients.

use super::{param, Params};
use crate::clients::Client;
use crate::error::OAuthError;
use crate::protocol::CodeChallengeMethod;

/// The challenge to keep with the code.
pub fn check(
    client: &Client,
    params: &Params,
) -> Result<Option<(String, CodeChallengeMethod)>, OAuthError> {
    let challenge = param(params, "code_challenge");
    let method = param(params, "code_challenge_method");
    match (challenge, method) {
        (None, Some(_)) => Err(OAuthError::InvalidRequest(
            "code_challenge_method without code_challenge".into(),
        )),
        (None, None) if client.is_public() => Err(OAuthError::InvalidRequest(
            "PKCE (code_challenge) is required for public clients".into(),
        )),
        (None, None) => Ok(None),
        (Some(challenge), method) => {
            let method = match method {
                None => CodeChallengeMethod::Plain,
                Some(m) => CodeChallengeMethod::parse(m).ok_or_else(|| {
                    OAuthError::InvalidRequest(format!(
                        "code_challenge_method `{m}` is not supported (S256, plain)"
                    ))
                })?,
            };
            let valid = (43..=128).contains(&challenge.len())
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !valid {
                return Err(OAuthError::InvalidRequest(
                    "code_challenge must be 43-128 characters of [A-Za-z0-9-._~]".into(),
                ));
            }
            Ok(Some((challenge.to_owned(), method)))
        }
    }
}
