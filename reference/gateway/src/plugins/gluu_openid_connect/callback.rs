//! Step 1 of `docs/gluu-gateway.md#openid-connect-per-request`: the authorization response at
//! `authorization_redirect_path`.

use http::StatusCode;
use subtle::ConstantTimeEq;

use super::authorize::Login;
use super::claims::{self, Expected};
use super::decide::Prompt;
use super::reply::{with_cookie, Reply};
use super::request::RequestView;
use super::session::{PendingReplay, SessionState};
use super::signature::{self, SignatureError};
use super::store::TokenRecord;
use super::OpenIdConnect;

/// OP errors to a silent (`prompt=none`) request that an interactive login can resolve.
const INTERACTION_ERRORS: [&str; 4] = [
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
];

/// The callback's query parameters.
#[derive(Debug, Default)]
struct Params {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn params(query: Option<&str>) -> Params {
    let mut p = Params::default();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let v = (!v.is_empty()).then(|| v.into_owned());
        match k.as_ref() {
            "code" => p.code = v,
            "state" => p.state = v,
            "error" => p.error = v,
            _ => {}
        }
    }
    p
}

impl OpenIdConnect {
    /// Completes a login: checks the state, redeems the code through oxd, checks the ID token,
    /// fetches userinfo, stores the token and sends the browser back where it was going.
    pub(super) async fn callback(
        &self,
        req: &RequestView<'_>,
        session: Option<SessionState>,
        now: i64,
    ) -> Reply {
        let Some(mut state) = session else {
            return Reply::empty(StatusCode::BAD_REQUEST);
        };
        let Some(pending) = state.pending.clone() else {
            return Reply::empty(StatusCode::BAD_REQUEST);
        };
        let p = params(req.query);
        if let Some(error) = &p.error {
            let silent = pending.prompt == Some(Prompt::None);
            let state_ok = p.state.as_deref().is_some_and(|s| same(s, &pending.state));
            if silent && state_ok && INTERACTION_ERRORS.contains(&error.as_str()) {
                // The OP cannot re-authenticate silently: ask the user.
                let login = Login {
                    prompt: None,
                    acrs: pending.requested_acrs.clone(),
                    insufficient_acr: false,
                    recovery: pending.recovery,
                };
                return self
                    .start_login(req, &mut state, login, pending.original_url.clone(), now)
                    .await;
            }
            if p.code.is_none() {
                return Reply::message(
                    StatusCode::UNAUTHORIZED,
                    &format!("The OP did not authenticate the user: {}", printable(error)),
                );
            }
        }
        let (Some(code), Some(returned_state)) = (p.code, p.state) else {
            return Reply::message(StatusCode::BAD_REQUEST, "missed code or state argument(s)");
        };
        if !same(&returned_state, &pending.state) {
            return Reply::message(
                StatusCode::BAD_REQUEST,
                "state does not match the login started by this browser",
            );
        }
        let tokens = match self.oxd.tokens_by_code(&code, &returned_state).await {
            Ok(tokens) => tokens,
            Err(e) => {
                tracing::warn!(error = %e, "gluu-openid-connect: get-tokens-by-code failed");
                return Reply::unexpected();
            }
        };
        let verified = match signature::verify(&self.keys, &tokens.id_token).await {
            Ok(claims) => claims,
            Err(SignatureError::Keys(e)) => {
                tracing::warn!(error = %e, "gluu-openid-connect: get-jwks failed");
                return Reply::unexpected();
            }
            Err(e) => {
                tracing::warn!(error = %e, "gluu-openid-connect: ID token refused");
                return Reply::message(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
            }
        };
        let config = &self.config;
        let expected = Expected {
            issuer: &config.op_url,
            client_id: &config.client_id,
            nonce: pending.nonce.as_deref(),
        };
        let mut summary = match claims::check(
            &verified,
            expected,
            &pending.requested_acrs,
            self.config.ages,
            now,
        ) {
            Ok(summary) => summary,
            Err(e) => {
                tracing::warn!(error = %e, "gluu-openid-connect: ID token refused");
                return Reply::message(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
            }
        };
        let userinfo = match self.oxd.user_info(&tokens.access_token).await {
            Ok(userinfo) => userinfo,
            Err(e) => {
                tracing::warn!(error = %e, "gluu-openid-connect: get-user-info failed");
                return Reply::unexpected();
            }
        };
        summary.key = self
            .store
            .put_token(TokenRecord::new(
                tokens.id_token,
                serde_json::Value::Object(verified),
                tokens.access_token,
                userinfo,
            ))
            .await;
        let superseded = state.add_token(summary, pending.recovery);
        self.store.remove_tokens(&superseded).await;
        state.replay = pending.replay_key.map(|key| PendingReplay {
            key,
            url: pending.original_url.clone(),
        });
        state.pending = None;
        let Some(cookie) = self.codec.write(&mut state, req.secure, now) else {
            return Reply::unexpected();
        };
        match Reply::redirect(&pending.original_url) {
            Some(reply) => with_cookie(reply, cookie),
            None => Reply::unexpected(),
        }
    }
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// An OP error code echoed in a message: printable ASCII only, bounded.
fn printable(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_ignore_empty_values() {
        let p = params(Some("code=abc&state=&error=x%20y"));
        assert_eq!(p.code.as_deref(), Some("abc"));
        assert_eq!(p.state, None);
        assert_eq!(p.error.as_deref(), Some("x y"));
        let p = params(None);
        assert!(p.code.is_none() && p.state.is_none() && p.error.is_none());
    }

    #[test]
    fn printable_strips_control_characters() {
        assert_eq!(printable("access_denied\r\n<x>"), "access_denied<x>");
    }
}
