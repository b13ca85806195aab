//! The consent step: Allow issues the code (and remembers the consent), Deny redirects with
//! `access_denied`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;

use super::{load_for_post, Step};
use crate::authorize;
use crate::error::OAuthError;
use crate::server::AppState;

/// `POST /oxauth/interaction/{id}/consent` with `decision` = `allow` | `deny`, `csrf_token`.
pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (interaction, form) = match load_for_post(&state, &jar, &id, &body, Step::Consent) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some(auth) = interaction.auth.clone() else {
        return super::forbidden(&state, "The user is not authenticated.");
    };
    let request = &interaction.request;
    match form.get("decision").map(String::as_str) {
        Some("allow") => {
            let Some(client) = state.storage.clients.get(&request.client_id, state.now()) else {
                state.storage.interactions.remove(&interaction.id);
                return state.pages.message(
                    StatusCode::BAD_REQUEST,
                    "Unknown client",
                    Some("invalid_client"),
                    "The client no longer exists.",
                );
            };
            authorize::remember_consent(&state, &client, request, &auth.username);
            state.storage.interactions.remove(&interaction.id);
            authorize::complete(&state, request, auth)
        }
        Some("deny") => {
            state.storage.interactions.remove(&interaction.id);
            let err = OAuthError::AccessDenied("the user denied the request".into());
            request.error(&state, &err)
        }
        _ => state.pages.message(
            StatusCode::BAD_REQUEST,
            "Bad form",
            Some("invalid_request"),
            "decision must be `allow` or `deny`.",
        ),
    }
}
