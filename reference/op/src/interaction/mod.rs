//! Login, OTP and consent pages: the interactive part of an authorization request.
//!
//! An [`Interaction`] is created by the authorization endpoint when the user must authenticate or
//! consent. It lives server-side under a random id and is bound to the browser by the
//! `op_interaction` cookie (HttpOnly, SameSite=Lax); every form carries the interaction's
//! `csrf_token`. A request whose cookie or CSRF token does not match gets a 403 page.
//!
//! Pages (`GET /oxauth/interaction/{id}` shows the current step) and their forms:
//!
//! | step | form action | fields |
//! |---|---|---|
//! | login | `POST /oxauth/interaction/{id}/login` | `csrf_token`, `username`, `password` |
//! | OTP enrollment | `POST /oxauth/interaction/{id}/enroll` | `csrf_token` (the "Finish" button) |
//! | OTP code | `POST /oxauth/interaction/{id}/otp` | `csrf_token`, `otp_code` |
//! | consent | `POST /oxauth/interaction/{id}/consent` | `csrf_token`, `decision` = `allow` or `deny` |
//!
//! The enrollment page shows the QR code as `<img id="otp_qr" src="data:image/png;base64,...">`, the
//! base32 secret in `#otp_secret` and the otpauth URI in `#otp_uri`. Errors appear in `#error`.
//! After `otp.max_failures` (default 5) consecutive failures the attempt is locked (403). Wrong
//! passwords and codes also count against the user across attempts ([`crate::guesses`]): past
//! `password_lockout.max_failures` or `otp.user_max_failures` the user is locked for a while.

mod consent;
mod login;
mod otp;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use serde::Serialize;

use crate::authorize::{self, AuthorizationRequest};
use crate::model::AuthContext;
use crate::server::{parse_form, paths, AppState};
use crate::sessions;
use crate::util::{random_token, secure_eq};

/// Cookie binding an interaction to the browser that started it.
pub const INTERACTION_COOKIE: &str = "op_interaction";

/// Where an interaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Username + password.
    Login,
    /// Show the QR code of a new TOTP secret.
    OtpEnroll,
    /// Ask for a TOTP code.
    Otp,
    /// Ask for consent.
    Consent,
}

/// An unfinished login/consent.
#[derive(Debug, Clone)]
pub struct Interaction {
    /// Id (in the page URL).
    pub id: String,
    /// CSRF token expected in every form.
    pub csrf: String,
    /// Value of the browser's `op_interaction` cookie.
    pub browser: String,
    /// The authorization request being served.
    pub request: AuthorizationRequest,
    /// Current step.
    pub step: Step,
    /// Consecutive failures (password or code).
    pub failures: u32,
    /// User who passed the password step.
    pub user: Option<(String, String)>,
    /// TOTP secret being enrolled.
    pub pending_secret: Option<Vec<u8>>,
    /// Completed authentication awaiting consent.
    pub auth: Option<AuthContext>,
}

/// Routes of the pages.
pub fn routes() -> Router<AppState> {
    let base = paths::INTERACTION;
    Router::new()
        .route(&format!("{base}/{{id}}"), get(show))
        .route(&format!("{base}/{{id}}/login"), post(login::submit))
        .route(
            &format!("{base}/{{id}}/enroll"),
            post(otp::finish_enrollment),
        )
        .route(&format!("{base}/{{id}}/otp"), post(otp::submit))
        .route(&format!("{base}/{{id}}/consent"), post(consent::submit))
}

fn page_url(id: &str) -> String {
    format!("{}/{id}", paths::INTERACTION)
}

/// Starts an interaction at `step` and sends the browser to its page.
pub fn begin(
    state: &AppState,
    jar: CookieJar,
    request: AuthorizationRequest,
    step: Step,
    auth: Option<AuthContext>,
) -> Response {
    let browser = jar
        .get(INTERACTION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() >= 32)
        .unwrap_or_else(|| random_token(32));
    let id = random_token(24);
    let lifetime = state.config.lifetimes.login_attempt;
    state.storage.interactions.insert(
        &id,
        Interaction {
            id: id.clone(),
            csrf: random_token(32),
            browser: browser.clone(),
            request,
            step,
            failures: 0,
            user: None,
            pending_secret: None,
            auth,
        },
        state.now().saturating_add(lifetime),
    );
    let jar = jar.add(sessions::cookie(
        state,
        INTERACTION_COOKIE,
        browser,
        lifetime,
    ));
    (jar, authorize::redirect(&page_url(&id))).into_response()
}

/// Why a request may not touch an interaction.
pub(crate) fn forbidden(state: &AppState, message: &str) -> Response {
    state.pages.message(
        StatusCode::FORBIDDEN,
        "Request refused",
        Some("access_denied"),
        message,
    )
}

fn gone(state: &AppState) -> Response {
    state.pages.message(
        StatusCode::BAD_REQUEST,
        "Login attempt not found",
        Some("invalid_request"),
        "This login attempt is unknown or has expired. Return to the application and start again.",
    )
}

/// Loads the interaction if it belongs to this browser.
pub(crate) fn load(
    state: &AppState,
    jar: &CookieJar,
    id: &str,
) -> Result<Interaction, Box<Response>> {
    let interaction = state
        .storage
        .interactions
        .get(id, state.now())
        .ok_or_else(|| Box::new(gone(state)))?;
    let cookie_ok = jar
        .get(INTERACTION_COOKIE)
        .is_some_and(|c| secure_eq(c.value(), &interaction.browser));
    if !cookie_ok {
        return Err(Box::new(forbidden(
            state,
            "This login attempt was started in another browser.",
        )));
    }
    Ok(interaction)
}

/// Loads the interaction for a form post: browser binding, CSRF token, expected step, lock.
pub(crate) fn load_for_post(
    state: &AppState,
    jar: &CookieJar,
    id: &str,
    body: &Bytes,
    expected: Step,
) -> Result<(Interaction, HashMap<String, String>), Box<Response>> {
    let interaction = load(state, jar, id)?;
    let form = parse_form(body).map_err(|e| {
        state.pages.message(
            StatusCode::BAD_REQUEST,
            "Bad form",
            Some(e.code()),
            &e.description(),
        )
    })?;
    let csrf_ok = form
        .get("csrf_token")
        .is_some_and(|t| secure_eq(t, &interaction.csrf));
    if !csrf_ok {
        return Err(Box::new(forbidden(
            state,
            "The form's CSRF token is missing or does not match this login attempt.",
        )));
    }
    if interaction.failures >= state.config.otp.max_failures {
        return Err(Box::new(locked(state)));
    }
    if interaction.step != expected {
        return Err(Box::new(authorize::redirect(&page_url(id))));
    }
    Ok((interaction, form))
}

pub(crate) fn locked(state: &AppState) -> Response {
    forbidden(
        state,
        "Too many failed attempts: this login attempt is locked. Return to the application and start again.",
    )
}

/// Saves the interaction's new state.
pub(crate) fn save(state: &AppState, interaction: &Interaction) {
    let id = interaction.id.clone();
    let updated = interaction.clone();
    state
        .storage
        .interactions
        .update(&id, state.now(), &mut |stored| *stored = updated.clone());
}

/// `GET /oxauth/interaction/{id}`: the page of the current step.
async fn show(State(state): State<AppState>, jar: CookieJar, Path(id): Path<String>) -> Response {
    let interaction = match load(&state, &jar, &id) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    if interaction.failures >= state.config.otp.max_failures {
        return locked(&state);
    }
    render_step(&state, &interaction, None, StatusCode::OK)
}

/// Renders the page of the interaction's current step.
pub(crate) fn render_step(
    state: &AppState,
    interaction: &Interaction,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let client_name = state
        .storage
        .clients
        .get(&interaction.request.client_id, state.now())
        .map(|c| c.client_name.clone())
        .unwrap_or_else(|| interaction.request.client_id.clone());
    let action = |suffix: &str| format!("{}/{suffix}", page_url(&interaction.id));
    let username = interaction
        .user
        .as_ref()
        .map(|(u, _)| u.clone())
        .or_else(|| interaction.request.login_hint.clone())
        .unwrap_or_default();
    match interaction.step {
        Step::Login => state.pages.render(
            status,
            "login.html",
            minijinja::context! {
                client_name, error, username,
                acr => interaction.request.acr.as_str(),
                action => action("login"),
                csrf_token => interaction.csrf,
            },
        ),
        Step::OtpEnroll => otp::render_enrollment(state, interaction, &username, &action("enroll")),
        Step::Otp => state.pages.render(
            status,
            "otp.html",
            minijinja::context! {
                error, username,
                action => action("otp"),
                csrf_token => interaction.csrf,
            },
        ),
        Step::Consent => {
            let username = interaction
                .auth
                .as_ref()
                .map(|a| a.username.clone())
                .unwrap_or_default();
            state.pages.render(
                status,
                "consent.html",
                minijinja::context! {
                    client_name, username,
                    scopes => interaction.request.scopes.to_vec(),
                    action => action("consent"),
                    csrf_token => interaction.csrf,
                },
            )
        }
    }
}

/// The user is authenticated: start the session, then consent or finish.
pub(crate) fn authenticated(
    state: &AppState,
    jar: CookieJar,
    mut interaction: Interaction,
    auth: AuthContext,
) -> Response {
    let (jar, auth) = sessions::establish(state, jar, auth);
    let client = state
        .storage
        .clients
        .get(&interaction.request.client_id, state.now());
    let Some(client) = client.filter(|c| !c.disabled) else {
        state.storage.interactions.remove(&interaction.id);
        return (jar, gone(state)).into_response();
    };
    if authorize::needs_consent(state, &client, &interaction.request, &auth.username) {
        interaction.step = Step::Consent;
        interaction.auth = Some(auth);
        interaction.failures = 0;
        save(state, &interaction);
        return (jar, authorize::redirect(&page_url(&interaction.id))).into_response();
    }
    state.storage.interactions.remove(&interaction.id);
    (jar, authorize::complete(state, &interaction.request, auth)).into_response()
}

/// Counts a password or code check against the attempt *before* it is made, on the stored
/// record: concurrent posts of one attempt each count, so no more than `otp.max_failures`
/// guesses are ever checked. False (and nothing may be checked) past the limit. A success
/// resets the count.
pub(crate) fn reserve_try(state: &AppState, interaction: &mut Interaction) -> bool {
    let stored = state
        .storage
        .interactions
        .update(&interaction.id, state.now(), &mut |i| i.failures += 1);
    match stored {
        Some(i) => {
            interaction.failures = i.failures;
            i.failures <= state.config.otp.max_failures
        }
        None => false,
    }
}

/// A failed check (already counted by [`reserve_try`]): the form again with `message`, or the
/// locked page once the limit is reached.
pub(crate) fn fail(state: &AppState, interaction: &Interaction, message: &str) -> Response {
    if interaction.failures >= state.config.otp.max_failures {
        return locked(state);
    }
    render_step(state, interaction, Some(message), StatusCode::UNAUTHORIZED)
}
