//! The username/password step (`auth_ldap_server`, `basic`, and the first step of `otp`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;

use super::{authenticated, fail, load_for_post, locked, reserve_try, save, Step};
use crate::model::AuthContext;
use crate::server::AppState;

/// `POST /oxauth/interaction/{id}/login` with `username`, `password`, `csrf_token`.
pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (mut interaction, form) = match load_for_post(&state, &jar, &id, &body, Step::Login) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if !reserve_try(&state, &mut interaction) {
        return locked(&state);
    }
    let username = form.get("username").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let users = state.users.clone();
    let checked = tokio::task::spawn_blocking(move || {
        users
            .authenticate(&username, &password)
            .map(|u| (u.username.clone(), u.sub.clone()))
    })
    .await;
    let (username, sub) = match checked {
        Ok(Some(user)) => user,
        Ok(None) => return fail(&state, &interaction, "Wrong username or password."),
        Err(err) => {
            tracing::error!("password check task failed: {err}");
            return state.pages.message(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Error",
                Some("server_error"),
                "The password could not be checked.",
            );
        }
    };
    interaction.failures = 0;
    interaction.user = Some((username.clone(), sub.clone()));
    let method = interaction.request.acr;
    if method.needs_otp() {
        if state.storage.otp.get(&username, state.now()).is_some() {
            interaction.step = Step::Otp;
        } else {
            interaction.pending_secret = Some(crate::otp::new_secret());
            interaction.step = Step::OtpEnroll;
        }
        save(&state, &interaction);
        return crate::authorize::redirect(&super::page_url(&interaction.id));
    }
    let auth = AuthContext {
        sub,
        username,
        acr: method,
        amr: method.amr(),
        auth_time: state.now(),
        sid: None,
    };
    authenticated(&state, jar, interaction, auth)
}
