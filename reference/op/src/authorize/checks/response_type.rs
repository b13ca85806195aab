//! `response_type` must be present, one of [`ResponseType::ALL`], and allowed by the client's
//! grant types (`authorization_code` for `code`, `implicit` for `id_token`/`token`); an ID token
//! from the authorization endpoint needs a `nonce` (OIDC Core §3.2.2.1, §3.3.2.11).

use super::{param, Params};
use crate::clients::Client;
use crate::error::OAuthError;
use crate::protocol::ResponseType;

/// Parses `response_type` and checks the client may use it.
pub fn check(client: &Client, params: &Params) -> Result<ResponseType, OAuthError> {
    let value = param(params, "response_type")
        .ok_or_else(|| OAuthError::InvalidRequest("response_type is required".into()))?;
    let response_type = ResponseType::parse(value).ok_or_else(|| {
        let supported: Vec<&str> = ResponseType::ALL.iter().map(|r| r.as_str()).collect();
        OAuthError::UnsupportedResponseType(format!(
            "response_type `{value}` is not supported; use one of: {}",
            supported.join(", ")
        ))
    })?;
    if let Some(missing) = response_type
        .grant_types()
        .into_iter()
        .find(|g| !client.allows_grant(*g))
    {
        return Err(OAuthError::UnauthorizedClient(format!(
            "client `{}` may not use response_type `{}`: it lacks the {} grant type",
            client.client_id,
            response_type.as_str(),
            missing.as_str()
        )));
    }
    if response_type.id_token && param(params, "nonce").is_none() {
        return Err(OAuthError::InvalidRequest(format!(
            "nonce is required for response_type `{}`",
            response_type.as_str()
        )));
    }
    Ok(response_type)
}

/// The response type for delivering an error: the request's if it parses, else `code`.
pub fn for_errors(params: &Params) -> ResponseType {
    param(params, "response_type")
        .and_then(ResponseType::parse)
        .unwrap_or(ResponseType::CODE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::checks::params_of as params;
    use crate::protocol::GrantType;

    fn client(grants: &[GrantType]) -> Client {
        let config = crate::config::ClientConfig {
            client_id: "rp".into(),
            redirect_uris: vec!["https://rp/cb".into()],
            grant_types: grants.to_vec(),
            ..Default::default()
        };
        Client::from_config(&config).unwrap()
    }

    #[test]
    fn every_supported_type_with_the_grants_it_needs() {
        let both = client(&[GrantType::AuthorizationCode, GrantType::Implicit]);
        for r in ResponseType::ALL {
            let p = params(&[("response_type", r.as_str()), ("nonce", "n")]);
            assert_eq!(check(&both, &p), Ok(r));
        }
        let code_only = client(&[GrantType::AuthorizationCode]);
        let err = check(
            &code_only,
            &params(&[("response_type", "code id_token"), ("nonce", "n")]),
        )
        .unwrap_err();
        assert_eq!(err.code(), "unauthorized_client");
        assert!(err.description().contains("implicit"), "{err}");
        let implicit_only = client(&[GrantType::Implicit]);
        let err = check(&implicit_only, &params(&[("response_type", "code")])).unwrap_err();
        assert_eq!(err.code(), "unauthorized_client");
    }

    #[test]
    fn unknown_missing_and_nonce() {
        let both = client(&[GrantType::AuthorizationCode, GrantType::Implicit]);
        let code = |p: &[(&str, &str)]| check(&both, &params(p)).unwrap_err().code();
        assert_eq!(
            code(&[("response_type", "magic")]),
            "unsupported_response_type"
        );
        assert_eq!(
            code(&[("response_type", "code code")]),
            "unsupported_response_type"
        );
        assert_eq!(code(&[]), "invalid_request");
        assert_eq!(code(&[("response_type", "id_token")]), "invalid_request");
        assert_eq!(
            code(&[("response_type", "code id_token token")]),
            "invalid_request"
        );
        // Only an ID token from the authorization endpoint needs the nonce.
        for r in ["code", "code token", "token"] {
            assert!(
                check(&both, &params(&[("response_type", r)])).is_ok(),
                "{r}"
            );
        }
    }
}
