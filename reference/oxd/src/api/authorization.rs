//! `get-authorization-url`: builds the authorization request (code flow, S256 PKCE, nonce) and
//! remembers state, nonce, verifier and redirect URI for `get-tokens-by-code`.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::Json;
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{
    AuthenticationContextClass, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl, Scope,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::OxdError;
use crate::protection::Protected;
use crate::provider::Providers;
use crate::request::{Command, StringList};
use crate::server::AppState;
use crate::store::PendingAuthorization;

/// Parameters oxd sets itself; a caller may not override them through `params`.
const RESERVED: [&str; 10] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "acr_values",
];

/// `get-authorization-url` request.
#[derive(Debug, Deserialize)]
pub struct GetAuthorizationUrl {
    oxd_id: Option<String>,
    scope: Option<StringList>,
    acr_values: Option<StringList>,
    prompt: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    params: Option<Map<String, Value>>,
    custom_parameters: Option<Map<String, Value>>,
}

/// Key of a pending authorization: states are per site.
pub(crate) fn pending_key(oxd_id: &str, state: &str) -> String {
    format!("{oxd_id}\u{0}{state}")
}

/// `POST /get-authorization-url` (protected) → `authorization_url`.
pub async fn get_authorization_url(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<GetAuthorizationUrl>,
) -> Result<Json<Value>, OxdError> {
    let site = app.site(req.oxd_id)?;
    protected.allows(&app, &site).await?;
    let redirect_uri = match req.redirect_uri.filter(|s| !s.is_empty()) {
        // Exact match only: a caller cannot send the code anywhere the site did not register.
        Some(uri) if site.redirect_uris.contains(&uri) => uri,
        Some(uri) => {
            return Err(OxdError::invalid(
                "redirect_uri",
                format!("{uri:?} is not one of the site's redirect_uris"),
            ))
        }
        None => site
            .redirect_uris
            .first()
            .cloned()
            .ok_or(OxdError::MissingField("redirect_uri"))?,
    };
    let redirect = RedirectUrl::new(redirect_uri.clone())
        .map_err(|e| OxdError::invalid("redirect_uri", e.to_string()))?;
    let scopes = req
        .scope
        .map(StringList::into_vec)
        .unwrap_or_else(|| site.scopes.clone());
    let acrs = req
        .acr_values
        .map(StringList::into_vec)
        .unwrap_or_else(|| site.acr_values.clone());
    let prompts = parse_prompt(req.prompt.as_deref())?;
    let mut extra = Vec::new();
    let mut max_age = None;
    for (name, params) in [
        ("params", req.params),
        ("custom_parameters", req.custom_parameters),
    ] {
        for (key, value) in params.unwrap_or_default() {
            let field = format!("{name}.{key}");
            let value = param_string(&field, value)?;
            if key == "max_age" {
                let secs: u64 = value.parse().map_err(|_| {
                    OxdError::invalid(field.clone(), "must be a non-negative number of seconds")
                })?;
                max_age = Some(Duration::from_secs(secs));
            } else if RESERVED.contains(&key.as_str()) {
                return Err(OxdError::invalid(
                    field,
                    "is set by oxd and cannot be overridden",
                ));
            } else {
                extra.push((key, value));
            }
        }
    }
    let state = match req.state {
        Some(s) if s.trim().is_empty() => return Err(OxdError::invalid("state", "is empty")),
        Some(s) => s,
        None => CsrfToken::new_random().secret().clone(),
    };
    let nonce = match req.nonce {
        Some(n) if n.trim().is_empty() => return Err(OxdError::invalid("nonce", "is empty")),
        Some(n) => n,
        None => Nonce::new_random().secret().clone(),
    };

    let metadata = app.providers.metadata(&site.op_host).await?;
    let client = Providers::client(&metadata, &site.client_id, &site.client_secret);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state_for_request = state.clone();
    let nonce_for_request = nonce.clone();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state_for_request),
            move || Nonce::new(nonce_for_request),
        )
        .set_redirect_uri(Cow::Owned(redirect))
        .set_pkce_challenge(challenge);
    // openidconnect always sends `openid`; adding it again would duplicate it.
    for scope in scopes.iter().filter(|s| s.as_str() != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    for acr in acrs {
        request = request.add_auth_context_value(AuthenticationContextClass::new(acr));
    }
    for prompt in prompts {
        request = request.add_prompt(prompt);
    }
    if let Some(age) = max_age {
        request = request.set_max_age(age);
    }
    for (key, value) in extra {
        request = request.add_extra_param(key, value);
    }
    let (url, _, _) = request.url();

    app.store.put_pending(
        pending_key(&site.oxd_id, &state),
        PendingAuthorization {
            oxd_id: site.oxd_id.clone(),
            nonce,
            pkce_verifier: verifier.secret().clone(),
            redirect_uri,
            expires_at: Instant::now()
                + Duration::from_secs(app.config.authorization_state_lifetime_secs),
        },
    );
    Ok(Json(json!({ "authorization_url": url.as_str() })))
}

fn parse_prompt(prompt: Option<&str>) -> Result<Vec<CoreAuthPrompt>, OxdError> {
    let Some(prompt) = prompt else {
        return Ok(Vec::new());
    };
    let prompts = prompt
        .split_whitespace()
        .map(|p| match p {
            "none" => Ok(CoreAuthPrompt::None),
            "login" => Ok(CoreAuthPrompt::Login),
            "consent" => Ok(CoreAuthPrompt::Consent),
            "select_account" => Ok(CoreAuthPrompt::SelectAccount),
            other => Err(OxdError::invalid(
                "prompt",
                format!("{other:?} is not none, login, consent or select_account"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if prompts.len() > 1 && prompts.contains(&CoreAuthPrompt::None) {
        return Err(OxdError::invalid(
            "prompt",
            "none cannot be combined with other values",
        ));
    }
    Ok(prompts)
}

fn param_string(field: &str, value: Value) -> Result<String, OxdError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(OxdError::invalid(
            field.to_owned(),
            "must be a string, number or boolean",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_values_are_checked() {
        assert_eq!(
            parse_prompt(Some("login")).unwrap(),
            vec![CoreAuthPrompt::Login]
        );
        assert!(parse_prompt(Some("sometimes")).is_err());
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(None).unwrap().is_empty());
    }

    #[test]
    fn params_take_scalars_only() {
        assert_eq!(param_string("params.max_age", json!(60)).unwrap(), "60");
        assert!(param_string("params.x", json!({"a": 1})).is_err());
    }
}
