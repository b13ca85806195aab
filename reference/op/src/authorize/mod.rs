//! The authorization endpoint (`GET`/`POST /oxauth/restv1/authorize`).
//!
//! A pipeline of small named checks ([`checks`]) turns the parameters into an
//! [`AuthorizationRequest`]; [`decide`] then compares it with the browser's session and either
//! answers at once (code, `login_required`, `consent_required`) or starts an interaction (login,
//! OTP, consent pages) that ends in [`complete`], which issues what the response type asks for
//! (code, ID token, access token) and delivers it in the response mode ([`response`]).

pub mod checks;
pub mod request;
pub mod response;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::clients::{self, Client};
use crate::error::OAuthError;
use crate::id_token::{self, Accompanying};
use crate::interaction::{self, Step};
use crate::model::{AuthCode, AuthContext};
use crate::protocol::ResponseMode;
use crate::server::{parse_form, AppState};
use crate::sessions;
use crate::tokens;
use crate::util::random_token;
use checks::{param, Params};
pub use request::{AuthorizationRequest, Prompt};
pub use response::{append_query, redirect};

/// `GET /authorize`.
pub async fn get_handler(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parse_form(query.unwrap_or_default().as_bytes());
    handle(state, jar, params).await
}

/// `POST /authorize` (form body).
pub async fn post_handler(State(state): State<AppState>, jar: CookieJar, body: Bytes) -> Response {
    handle(state, jar, parse_form(&body)).await
}

fn error_page(state: &AppState, error: &str, message: &str) -> Response {
    state.pages.message(
        StatusCode::BAD_REQUEST,
        "Authorization request rejected",
        Some(error),
        message,
    )
}

async fn handle(state: AppState, jar: CookieJar, params: Result<Params, OAuthError>) -> Response {
    let query = match params {
        Ok(p) => p,
        Err(e) => return error_page(&state, e.code(), &e.description()),
    };
    let client = match checks::client::check(&state, &query) {
        Ok(c) => c,
        Err(msg) => return error_page(&state, "invalid_client", &msg),
    };
    let params = match checks::request_object::resolve(&state, &client, &query).await {
        Ok(p) => p,
        // The object could not be read: answer where the query asked, if that is one of the
        // client's redirect URIs.
        Err(err) => {
            return match checks::redirect_uri::check(&client, &query) {
                Ok((uri, _)) => {
                    let mode = checks::response_mode::for_errors(&query);
                    error_redirect(&state, &uri, mode, param(&query, "state"), &err)
                }
                Err(_) => error_page(&state, err.code(), &err.description()),
            };
        }
    };
    let (redirect_uri, in_request) = match checks::redirect_uri::check(&client, &params) {
        Ok(r) => r,
        Err(msg) => return error_page(&state, "invalid_request_redirect_uri", &msg),
    };
    let state_param = param(&params, "state").map(str::to_owned);
    match validate(&state, &client, &params, redirect_uri.clone(), in_request) {
        Ok(request) => decide(&state, jar, &client, request),
        Err(err) => {
            let mode = checks::response_mode::for_errors(&params);
            error_redirect(&state, &redirect_uri, mode, state_param.as_deref(), &err)
        }
    }
}

/// Runs the checks after client and redirect URI are established (and a request object, if
/// any, has been applied to `params`).
pub fn validate(
    state: &AppState,
    client: &Client,
    params: &Params,
    redirect_uri: String,
    redirect_uri_in_request: bool,
) -> Result<AuthorizationRequest, OAuthError> {
    let response_type = checks::response_type::check(client, params)?;
    let response_mode = checks::response_mode::check(params, response_type)?;
    let code_challenge = checks::pkce::check(client, params)?;
    let prompt = checks::prompt::check(params)?;
    let max_age = checks::max_age::check(client, params)?;
    let hinted_sub = checks::id_token_hint::check(state, client, params)?;
    let scopes = checks::scope::check(state, client, params)?;
    let claims = match param(params, "claims") {
        None => crate::claims::ClaimsRequest::default(),
        Some(text) => {
            crate::claims::ClaimsRequest::parse(text).map_err(OAuthError::InvalidRequest)?
        }
    };
    if response_type.id_token && !scopes.contains("openid") {
        return Err(OAuthError::InvalidScope(format!(
            "response_type `{}` needs the openid scope",
            response_type.as_str()
        )));
    }
    let acr = checks::acr::check(state, client, params, &claims);
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        response_type,
        response_mode,
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
        claims,
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
            && is_required_subject(state, client, &request, &s.auth)
    });
    let Some(session) = usable else {
        let mut request = request;
        if let (None, Some(previous)) = (&request.login_hint, &session) {
            // Step-up or re-authentication: offer the signed-in user's name.
            request.login_hint = Some(previous.auth.username.clone());
        }
        if request.prompt.none {
            let err = OAuthError::LoginRequired("the user must authenticate".into());
            return request.error(state, &err);
        }
        return interaction::begin(state, jar, request, Step::Login, None);
    };
    let auth = session.auth.clone();
    if needs_consent(state, client, &request, &auth.username) {
        if request.prompt.none {
            let err = OAuthError::ConsentRequired("the user must consent".into());
            return request.error(state, &err);
        }
        return interaction::begin(state, jar, request, Step::Consent, Some(auth));
    }
    (jar, complete(state, &request, auth)).into_response()
}

/// Whether `auth` is the user a `claims` request's `sub` value names, as this client sees it
/// (OIDC Core §5.5.1); true when none is named.
fn is_required_subject(
    state: &AppState,
    client: &Client,
    request: &AuthorizationRequest,
    auth: &AuthContext,
) -> bool {
    request
        .claims
        .required_sub()
        .is_none_or(|want| crate::subjects::subject_for(state, client, &auth.sub) == want)
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

/// Issues what the response type asks for and delivers it to the client.
pub fn complete(state: &AppState, request: &AuthorizationRequest, auth: AuthContext) -> Response {
    match issue(state, request, auth) {
        Ok(params) => {
            let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            response::deliver(state, &request.redirect_uri, request.response_mode, &pairs)
        }
        Err(err) => request.error(state, &err),
    }
}

/// The authorization response's parameters: `code`, `access_token` (with `token_type` and
/// `expires_in`), `id_token` (with `c_hash`, `at_hash` and `s_hash` for what it accompanies),
/// `session_state` (from a browser session), `scope`, `state`, `iss` (RFC 9207). One grant id
/// ties the code and the tokens together, so a replayed code revokes the front-channel access
/// token too.
fn issue(
    state: &AppState,
    request: &AuthorizationRequest,
    auth: AuthContext,
) -> Result<Vec<(&'static str, String)>, OAuthError> {
    let client = clients::find_enabled(state, &request.client_id)?;
    if !is_required_subject(state, &client, request, &auth) {
        return Err(OAuthError::AccessDenied(
            "the user who signed in is not the subject the claims parameter requires".into(),
        ));
    }
    let response_type = request.response_type;
    let grant_id = random_token(16);
    crate::claims::remember(state, &grant_id, &request.claims);
    let now = state.now();
    let mut params = Vec::new();
    let code = response_type.code.then(|| random_token(32));
    if let Some(code) = &code {
        state.storage.codes.insert(
            code,
            AuthCode {
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                redirect_uri_in_request: request.redirect_uri_in_request,
                scopes: request.scopes.clone(),
                nonce: request.nonce.clone(),
                code_challenge: request.code_challenge.clone(),
                auth: auth.clone(),
                grant_id: grant_id.clone(),
            },
            now.saturating_add(state.config.lifetimes.authorization_code),
        );
        params.push(("code", code.clone()));
    }
    let access_token = if response_type.token {
        let (token, expires_in) =
            tokens::issue_access_token(state, &client, &grant_id, &request.scopes, Some(&auth))?;
        params.push(("access_token", token.clone()));
        params.push(("token_type", "Bearer".to_owned()));
        params.push(("expires_in", expires_in.to_string()));
        Some(token)
    } else {
        None
    };
    if response_type.id_token {
        // With no access token the RP cannot call userinfo: the scopes' claims go in the ID
        // token (OIDC Core §5.4).
        let no_userinfo = !response_type.token && !response_type.code;
        let mut user_claims = no_userinfo
            .then(|| crate::userinfo::claims_for(state, &request.scopes, &auth))
            .flatten()
            .unwrap_or_default();
        user_claims.extend(crate::claims::released(
            state,
            &auth,
            &request.claims.id_token,
        ));
        if no_userinfo {
            // No access token: what was asked of userinfo comes in the ID token (OIDC Core §5.5).
            user_claims.extend(crate::claims::released(
                state,
                &auth,
                &request.claims.userinfo,
            ));
        }
        let user_claims = Some(user_claims);
        let id_token = id_token::issue(
            state,
            &client,
            &auth,
            request.nonce.as_deref(),
            Accompanying {
                access_token: access_token.as_deref(),
                code: code.as_deref(),
                state: request.state.as_deref(),
                user_claims,
            },
        )?;
        params.push(("id_token", id_token));
    }
    // The client takes part in the browser's session from now on: logout notifies it
    // (crate::logout), and it may watch the session with session_state (Session Management
    // 1.0 §3).
    if let Some(session) = auth
        .sid
        .as_deref()
        .and_then(|sid| sessions::join(state, sid, &client.client_id))
    {
        params.push((
            "session_state",
            crate::logout::check_session::session_state(
                &client.client_id,
                &request.redirect_uri,
                &session.browser_state,
                &random_token(16),
            ),
        ));
    }
    params.push(("scope", request.scopes.to_string()));
    if let Some(s) = &request.state {
        params.push(("state", s.clone()));
    }
    params.push(("iss", state.issuer.to_string()));
    Ok(params)
}

/// Sends an error to the client's redirect URI in `mode` (OIDC Core §3.1.2.6).
pub fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    mode: ResponseMode,
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
    response::deliver(state, redirect_uri, mode, &params)
}

impl AuthorizationRequest {
    /// Sends `err` back to this request's client, where and how it expects its response.
    pub fn error(&self, state: &AppState, err: &OAuthError) -> Response {
        error_redirect(
            state,
            &self.redirect_uri,
            self.response_mode,
            self.state.as_deref(),
            err,
        )
    }
}
