//! The OTP steps: enrollment (QR code of a fresh secret) and code entry.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;

use super::{authenticated, fail, load_for_post, save, Interaction, Step};
use crate::acr::AcrMethod;
use crate::model::{AuthContext, OtpEnrollment};
use crate::otp;
use crate::server::AppState;
use crate::storage::NEVER;

/// Shown while a user's OTP step is locked (403).
const USER_LOCKED: &str =
    "Too many wrong one-time passwords for this account: it is locked for a while. Try again later.";

/// Whether `username` has had too many wrong codes lately, whatever the login attempt: the
/// per-attempt lock alone would let a password holder guess codes attempt after attempt.
fn user_locked(state: &AppState, username: &str, now: i64) -> bool {
    state
        .storage
        .otp_failures
        .get(username, now)
        .is_some_and(|n| n >= state.config.otp.user_max_failures)
}

/// Counts a wrong code for `username`; the count lives until `user_lockout_seconds` after it.
fn record_user_failure(state: &AppState, username: &str, now: i64) {
    let until = now.saturating_add(state.config.otp.user_lockout_seconds);
    let table = &state.storage.otp_failures;
    let count = table
        .update(username, now, &mut |n| *n = n.saturating_add(1))
        .unwrap_or(1);
    table.insert(username, count, until);
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
    let (interaction, form) = match load_for_post(&state, &jar, &id, &body, Step::Otp) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Some((username, sub)) = interaction.user.clone() else {
        return super::forbidden(&state, "The password step was not completed.");
    };
    let now = state.now();
    if user_locked(&state, &username, now) {
        return super::forbidden(&state, USER_LOCKED);
    }
    let enrolled = state.storage.otp.get(&username, now);
    let (secret, last_step) = match (&interaction.pending_secret, &enrolled) {
        (Some(pending), _) => (pending.clone(), enrolled.as_ref().and_then(|e| e.last_step)),
        (None, Some(e)) => (e.secret.clone(), e.last_step),
        (None, None) => return super::forbidden(&state, "No authenticator is enrolled."),
    };
    let code = form.get("otp_code").map(String::as_str).unwrap_or_default();
    let Some(step) = otp::verify(&secret, code, now, last_step) else {
        record_user_failure(&state, &username, now);
        if user_locked(&state, &username, now) {
            return super::forbidden(&state, USER_LOCKED);
        }
        return fail(
            &state,
            interaction,
            "Wrong or already used one-time password.",
        );
    };
    state.storage.otp_failures.remove(&username);
    state.storage.otp.insert(
        &username,
        OtpEnrollment {
            secret,
            last_step: Some(step),
        },
        NEVER,
    );
    let mut interaction = interaction;
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
