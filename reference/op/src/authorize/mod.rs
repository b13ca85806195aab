//! The authorization endpoint (`GET`/`POST /oxauth/restv1/authorize`).
//!
//! A pipeline of small named checks ([`checks`]) turns the parameters into an
//! [`AuthorizationRequest`]; [`decide`] then compares it with the browser's session and either
//! answers at once (code, `login_required`, `consent_required`) or starts an interaction (login,
//! OTP, consent pages) that ends in [`complete`].

pub mod checks;
pub mod request;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::clients::Client;
use crate::error::OAuthError;
use crate::interaction::{self, Step};
use crate::model::{AuthCode, AuthContext};
use crate::server::{parse_form, AppState};
use crate::sessions;
use crate::util::random_token;
use checks::{param, Params};
pub use request::{AuthorizationRequest, Prompt};

/// `GET /authorize`.
pub async fn get_handler(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parse_form(query.unwrap_or_default().as_bytes());
    handle(state, jar, params)
}

/// `POST /authorize` (form body).
pub async fn post_handler(State(state): State<AppState>, jar: CookieJar, body: Bytes) -> Response {
    handle(state, jar, parse_form(&body))
}

fn error_page(state: &AppState, error: &str, message: &str) -> Response {
    state.pages.message(
        StatusCode::BAD_REQUEST,
        "Authorization request rejected",
        Some(error),
        message,
    )
}

fn handle(state: AppState, jar: CookieJar, params: Result<Params, OAuthError>) -> Response {
    let params = match params {
        Ok(p) => p,
        Err(e) => return error_page(&state, e.code(), &e.description()),
    };
    let client = match checks::client::check(&state, &params) {
        Ok(c) => c,
        Err(msg) => return error_page(&state, "invalid_client", &msg),
    };
    let (redirect_uri, in_request) = match checks::redirect_uri::check(&client, &params) {
        Ok(r) => r,
        Err(msg) => return error_page(&state, "invalid_request_redirect_uri", &msg),
    };
    let state_param = param(&params, "state").map(str::to_owned);
    match validate(&state, &client, &params, redirect_uri.clone(), in_request) {
        Ok(request) => decide(&state, jar, &client, request),
        Err(err) => error_redirect(&state, &redirect_uri, state_param.as_deref(), &err),
    }
}

/// Runs the checks after client and redirect URI are established.
pub fn validate(
    state: &AppState,
    client: &Client,
    params: &Params,
    redirect_uri: String,
    redirect_uri_in_request: bool,
) -> Result<AuthorizationRequest, OAuthError> {
    checks::request_object::check(params)?;
    checks::response_type::check(params)?;
    checks::response_mode::check(params)?;
    let code_challenge = checks::pkce::check(client, params)?;
    let prompt = checks::prompt::check(params)?;
    let max_age = checks::max_age::check(client, params)?;
    let hinted_sub = checks::id_token_hint::check(state, client, params)?;
    let scopes = checks::scope::check(state, client, params)?;
    let acr = checks::acr::check(state, client, params);
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri,
        redirect_uri_in_request,
        scopes,
        state: param(params, "state").map(str::to_owned),
        nonce: param(params, "nonce").map(str::to_owned),
        prompt,
        max_age,
        login_hint: param(params, "login_hint").map(str::to_owned),
        acr,
        code_challenge,
        hinted_sub,
    })
}

/// Decides between answering now and starting an interaction.
pub fn decide(
    state: &AppState,
    jar: CookieJar,
    client: &Client,
    request: AuthorizationRequest,
) -> Response {
    let now = state.now();
    let session = sessions::current(state, &jar).map(|(_, s)| s);
    let usable = session.as_ref().filter(|s| {
        !request.prompt.login
            && s.auth.acr.satisfies(request.acr)
            && request
                .max_age
                .is_none_or(|max| s.auth.auth_time.saturating_add(max) > now)
            && request.hinted_sub.as_ref().is_none_or(|h| *h == s.auth.sub)
    });
    let Some(session) = usable else {
        let mut request = request;
        if let (None, Some(previous)) = (&request.login_hint, &session) {
            // Step-up or re-authentication: offer the signed-in user's name.
            request.login_hint = Some(previous.auth.username.clone());
        }
        if request.prompt.none {
            let err = OAuthError::LoginRequired("the user must authenticate".into());
            return error_redirect(state, &request.redirect_uri, request.state.as_deref(), &err);
        }
        return interaction::begin(state, jar, request, Step::Login, None);
    };
    let auth = session.auth.clone();
    if needs_consent(state, client, &request, &auth.username) {
        if request.prompt.none {
            let err = OAuthError::ConsentRequired("the user must consent".into());
            return error_redirect(state, &request.redirect_uri, request.state.as_deref(), &err);
        }
        return interaction::begin(state, jar, request, Step::Consent, Some(auth));
    }
    (jar, complete(state, &request, auth)).into_response()
}

fn consent_key(username: &str, client_id: &str) -> String {
    format!("{username}\n{client_id}")
}

/// Whether the consent page must be shown (clears remembered consent for `prompt=consent`).
pub fn needs_consent(
    state: &AppState,
    client: &Client,
    request: &AuthorizationRequest,
    username: &str,
) -> bool {
    let key = consent_key(username, &client.client_id);
    if request.prompt.consent {
        state.storage.consents.remove(&key);
        return true;
    }
    if client.pre_authorized {
        return false;
    }
    match state.storage.consents.get(&key, state.now()) {
        Some(record) => !request.scopes.is_subset_of(&record.scopes),
        None => true,
    }
}

/// Remembers that `username` allowed `request.scopes` for the client.
pub fn remember_consent(
    state: &AppState,
    client: &Client,
    request: &AuthorizationRequest,
    username: &str,
) {
    if !client.persist_client_authorizations {
        return;
    }
    let key = consent_key(username, &client.client_id);
    let mut scopes = state
        .storage
        .consents
        .get(&key, state.now())
        .map(|r| r.scopes)
        .unwrap_or_default();
    for s in request.scopes.iter() {
        scopes.insert(s);
    }
    state.storage.consents.insert(
        &key,
        crate::model::ConsentRecord { scopes },
        crate::storage::NEVER,
    );
}

/// Issues the code and redirects to the client.
pub fn complete(state: &AppState, request: &AuthorizationRequest, auth: AuthContext) -> Response {
    let code = random_token(32);
    let now = state.now();
    state.storage.codes.insert(
        &code,
        AuthCode {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            redirect_uri_in_request: request.redirect_uri_in_request,
            scopes: request.scopes.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            auth,
            grant_id: random_token(16),
        },
        now.saturating_add(state.config.lifetimes.authorization_code),
    );
    let scope = request.scopes.to_string();
    let mut params = vec![("code", code.as_str()), ("scope", scope.as_str())];
    if let Some(s) = &request.state {
        params.push(("state", s));
    }
    params.push(("iss", &state.issuer));
    redirect(&append_query(&request.redirect_uri, &params))
}

/// Redirects an error to the client (OIDC Core §3.1.2.6).
pub fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    state_param: Option<&str>,
    err: &OAuthError,
) -> Response {
    let description = err.description();
    let mut params = vec![
        ("error", err.code()),
        ("error_description", description.as_str()),
    ];
    if let Some(s) = state_param {
        params.push(("state", s));
    }
    params.push(("iss", &state.issuer));
    redirect(&append_query(redirect_uri, &params))
}

/// A 302 to `location`, not cached. A `Location` with a scheme that runs code in the browser
/// (`javascript:`, `data:`, ...; see [`crate::redirect_uris::is_safe_location`]) is never sent,
/// whatever let it through: the browser gets a 400 instead.
pub fn redirect(location: &str) -> Response {
    if !crate::redirect_uris::is_safe_location(location) {
        tracing::error!("refused to redirect to an unsafe location");
        return (
            StatusCode::BAD_REQUEST,
            [(header::CACHE_CONTROL, "no-store")],
            "The OpenID Provider refuses to redirect to this address.",
        )
            .into_response();
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// Appends form-encoded parameters to a URI, keeping its existing query.
pub fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        serializer.append_pair(k, v);
    }
    let query = serializer.finish();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_locations_are_never_sent() {
        for location in ["javascript:alert(1)", "data:text/html,x", "//evil.example/"] {
            let response = redirect(location);
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{location}");
            assert!(response.headers().get(header::LOCATION).is_none());
        }
        let response = redirect("https://rp/cb?code=1");
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(response.headers()[header::LOCATION], "https://rp/cb?code=1");
    }

    #[test]
    fn append_query_keeps_existing_parameters() {
        assert_eq!(
            append_query("https://rp/cb?x=1", &[("code", "a b"), ("state", "s&t")]),
            "https://rp/cb?x=1&code=a+b&state=s%26t"
        );
        assert_eq!(
            append_query("https://rp/cb", &[("a", "1")]),
            "https://rp/cb?a=1"
        );
    }
}
