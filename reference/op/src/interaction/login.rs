//! The username/password step (`auth_ldap_server`, `basic`, and the first step of `otp`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;

use super::{authenticated, fail, load_for_post, locked, reserve_try, save, Step};
use crate::model::AuthContext;
use crate::passwords::{self, Outcome};
use crate::server::AppState;

/// Shown while a username is locked for wrong passwords (403).
const USER_LOCKED: &str =
    "Too many wrong passwords for this account: it is locked for a while. Try again later.";

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
    let username = form.get("username").map(String::as_str).unwrap_or_default();
    let password = form.get("password").map(String::as_str).unwrap_or_default();
    let (username, sub) = match passwords::check(&state, username, password).await {
        Ok(Outcome::Accepted(username, sub)) => (username, sub),
        Ok(Outcome::Rejected) => return fail(&state, &interaction, "Wrong username or password."),
        Ok(Outcome::Locked) => return super::forbidden(&state, USER_LOCKED),
        Err(err) => {
            tracing::error!("{err}");
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
