//! The OTP steps: enrollment (QR code of a fresh secret) and code entry.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;

use super::{authenticated, fail, load_for_post, locked, reserve_try, save, Interaction, Step};
use crate::acr::AcrMethod;
use crate::guesses::{self, Limit};
use crate::model::{AuthContext, OtpEnrollment};
use crate::otp;
use crate::server::AppState;
use crate::storage::NEVER;

/// Shown while a user's OTP step is locked (403).
const USER_LOCKED: &str =
    "Too many wrong one-time passwords for this account: it is locked for a while. Try again later.";

/// The per-user limit on code guesses, across login attempts: a password holder must not get
/// fresh guesses by starting attempt after attempt.
fn user_limit(state: &AppState) -> Limit {
    Limit {
        max_failures: state.config.otp.user_max_failures,
        window_seconds: state.config.otp.user_lockout_seconds,
    }
}

/// Enrols `secret` with `step` as the last accepted time step, atomically refusing a step that
/// is not newer than the stored one: two concurrent posts of one code cannot both log in.
fn record_step(state: &AppState, username: &str, secret: &[u8], step: u64) -> bool {
    let mut accepted = false;
    state
        .storage
        .otp
        .modify(username, state.now(), &mut |current| {
            if current
                .and_then(|e| e.last_step)
                .is_some_and(|last| last >= step)
            {
                return None;
            }
            accepted = true;
            Some((
                OtpEnrollment {
                    secret: secret.to_vec(),
                    last_step: Some(step),
                },
                NEVER,
            ))
        });
    accepted
}

/// The enrollment page.
pub fn render_enrollment(
    state: &AppState,
    interaction: &Interaction,
    username: &str,
    action: &str,
) -> Response {
    let Some(secret) = &interaction.pending_secret else {
        return super::forbidden(state, "No authenticator is being enrolled.");
    };
    let uri = otp::otpauth_uri(&state.config.otp.issuer, username, secret);
    let qr = match otp::qr_png_base64(&uri) {
        Ok(png) => png,
        Err(err) => {
            tracing::error!("QR rendering failed: {err}");
            String::new()
        }
    };
    state.pages.render(
        StatusCode::OK,
        "otp_enroll.html",
        minijinja::context! {
            qr_png_base64 => qr,
            secret => otp::secret_base32(secret),
            otpauth_uri => uri,
            action,
            csrf_token => interaction.csrf,
        },
    )
}

/// `POST /oxauth/interaction/{id}/enroll`: the user scanned the code; ask for one.
pub async fn finish_enrollment(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (mut interaction, _) = match load_for_post(&state, &jar, &id, &body, Step::OtpEnroll) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    interaction.step = Step::Otp;
    save(&state, &interaction);
    crate::authorize::redirect(&super::page_url(&interaction.id))
}

/// `POST /oxauth/interaction/{id}/otp` with `otp_code`, `csrf_token`.
pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (mut interaction, form) = match load_for_post(&state, &jar, &id, &body, Step::Otp) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some((username, sub)) = interaction.user.clone() else {
        return super::forbidden(&state, "The password step was not completed.");
    };
    let now = state.now();
    if !reserve_try(&state, &mut interaction) {
        return locked(&state);
    }
    let limit = user_limit(&state);
    let failures = &*state.storage.otp_failures;
    let Some(user_tries) = guesses::reserve(failures, &username, now, limit) else {
        return super::forbidden(&state, USER_LOCKED);
    };
    let enrolled = state.storage.otp.get(&username, now);
    let (secret, last_step) = match (&interaction.pending_secret, &enrolled) {
        (Some(pending), _) => (pending.clone(), enrolled.as_ref().and_then(|e| e.last_step)),
        (None, Some(e)) => (e.secret.clone(), e.last_step),
        (None, None) => return super::forbidden(&state, "No authenticator is enrolled."),
    };
    let code = form.get("otp_code").map(String::as_str).unwrap_or_default();
    let accepted = otp::verify(&secret, code, now, last_step)
        .is_some_and(|step| record_step(&state, &username, &secret, step));
    if !accepted {
        if guesses::locked_by(user_tries, limit) {
            return super::forbidden(&state, USER_LOCKED);
        }
        return fail(
            &state,
            &interaction,
            "Wrong or already used one-time password.",
        );
    }
    guesses::clear(failures, &username);
    interaction.pending_secret = None;
    let auth = AuthContext {
        sub,
        username,
        acr: AcrMethod::Otp,
        amr: AcrMethod::Otp.amr(),
        auth_time: now,
        sid: None,
    };
    authenticated(&state, jar, interaction, auth)
}
