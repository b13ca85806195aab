//! `authorize(prompt, acrs)` (`docs/gluu-gateway.md#authorize-step`): remember where the user was
//! going and send them to the OP (or tell an API client why it cannot pass).

use super::api_client::{cannot_follow_redirects, challenge, Challenge};
use super::decide::Prompt;
use super::oxd::AuthorizationParams;
use super::reply::{unauthorized, with_cookie, Reply};
use super::request::{BodyInput, Outcome, RequestView};
use super::session::{PendingLogin, SessionState};
use super::store::{ReplayRecord, MAX_REPLAY_BODY};
use super::OpenIdConnect;

/// The login to start.
#[derive(Debug, Clone)]
pub(super) struct Login {
    /// `prompt`.
    pub prompt: Option<Prompt>,
    /// `acr_values` (empty = none).
    pub acrs: Vec<String>,
    /// The session has tokens but none with a sufficient ACR.
    pub insufficient_acr: bool,
    /// Only recovering a token another instance holds.
    pub recovery: bool,
}

impl OpenIdConnect {
    /// Redirects to the OP's authorization endpoint (via oxd), recording the pending login in
    /// the session and forgetting the token at `drop` (being replaced); 401 for clients that
    /// cannot follow the redirect.
    pub(super) async fn authorize(
        &self,
        req: &RequestView<'_>,
        mut state: SessionState,
        login: Login,
        drop: Option<usize>,
        now: i64,
    ) -> Outcome {
        if cannot_follow_redirects(req.headers) {
            return Outcome::Reply(api_refusal(&login, self.config.ages.max_id_token_auth_age));
        }
        if self.may_replay(req) && matches!(req.body, BodyInput::NotRead) {
            return Outcome::NeedsBody;
        }
        if let Some(i) = drop {
            if i < state.tokens.len() {
                let removed = state.tokens.remove(i);
                self.store.remove_tokens([&removed.key]).await;
            }
        }
        let original_url = safe_original_url(req.path_and_query);
        Outcome::Reply(
            self.start_login(req, &mut state, login, original_url, now)
                .await,
        )
    }

    /// Asks oxd for the authorization URL, stores the pending login and answers the 302.
    pub(super) async fn start_login(
        &self,
        req: &RequestView<'_>,
        state: &mut SessionState,
        login: Login,
        original_url: String,
        now: i64,
    ) -> Reply {
        let config = &self.config;
        let params = AuthorizationParams {
            scopes: &config.requested_scopes,
            acr_values: &login.acrs,
            prompt: login.prompt.map(Prompt::as_str),
            // GG sends max_id_token_age, which makes every silent refresh of an aged token fail:
            // the token is old only if the authentication is at least as old, so the OP must
            // re-authenticate. The authentication age the plugin accepts is the right bound.
            max_age: config.ages.max_id_token_auth_age,
        };
        let url = match self.oxd.authorization_url(&params).await {
            Ok(url) => url,
            Err(e) => {
                tracing::warn!(error = %e, "gluu-openid-connect: get-authorization-url failed");
                return Reply::unexpected();
            }
        };
        let Some((op_state, nonce)) = state_and_nonce(&url) else {
            tracing::warn!(url, "gluu-openid-connect: authorization URL without state");
            return Reply::unexpected();
        };
        let Some(redirect) = Reply::redirect(&url) else {
            return Reply::unexpected();
        };
        let replay_key = match req.body {
            BodyInput::Read(body) if self.may_replay(req) && body.len() <= MAX_REPLAY_BODY => {
                let record = ReplayRecord {
                    method: req.method.clone(),
                    content_type: req.headers.get(http::header::CONTENT_TYPE).cloned(),
                    content_encoding: req.headers.get(http::header::CONTENT_ENCODING).cloned(),
                    body: body.clone(),
                };
                Some(self.store.put_replay(record).await)
            }
            _ => None,
        };
        state.pending = Some(PendingLogin {
            original_url,
            requested_acrs: login.acrs,
            prompt: login.prompt,
            state: op_state,
            nonce,
            replay_key,
            recovery: login.recovery,
        });
        match self.codec.write(state, req.secure, now) {
            Some(cookie) => with_cookie(redirect, cookie),
            None => Reply::unexpected(),
        }
    }
}

/// The 401 for an API client.
fn api_refusal(login: &Login, max_auth_age: i64) -> Reply {
    let (value, message) = if login.insufficient_acr {
        (
            challenge(Challenge::Acr(&login.acrs)),
            format!(
                "The resource requires one of the [{}] acr(s)",
                login.acrs.join(";")
            ),
        )
    } else if login.prompt.is_some() && !login.recovery {
        (
            challenge(Challenge::MaxAge(max_auth_age)),
            "The session's authentication is too old; log in again with a browser".to_string(),
        )
    } else {
        (
            challenge(Challenge::Login),
            "Login required: this resource needs a browser session".to_string(),
        )
    };
    unauthorized(value, &message)
}

/// `state` and `nonce` of the authorization URL oxd built.
fn state_and_nonce(url: &str) -> Option<(String, Option<String>)> {
    let url = url::Url::parse(url).ok()?;
    let mut state = None;
    let mut nonce = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "state" if !v.is_empty() => state = Some(v.into_owned()),
            "nonce" if !v.is_empty() => nonce = Some(v.into_owned()),
            _ => {}
        }
    }
    Some((state?, nonce))
}

/// The URL to return to after login, always a path on this host: a request target such as
/// `//evil.example/x` would otherwise become an open redirect.
fn safe_original_url(path_and_query: &str) -> String {
    let trimmed = path_and_query.trim_start_matches(['/', '\\']);
    format!("/{trimmed}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn state_and_nonce_are_read_from_the_url() {
        assert_eq!(
            state_and_nonce("https://op/authorize?client_id=c&state=s1&nonce=n1"),
            Some(("s1".into(), Some("n1".into())))
        );
        assert_eq!(
            state_and_nonce("https://op/authorize?state=s1"),
            Some(("s1".into(), None))
        );
        assert_eq!(state_and_nonce("https://op/authorize?nonce=n"), None);
        assert_eq!(state_and_nonce("not a url"), None);
    }

    #[test]
    fn original_url_stays_on_this_host() {
        assert_eq!(safe_original_url("/payments/?a=1"), "/payments/?a=1");
        assert_eq!(safe_original_url("//evil.example/x"), "/evil.example/x");
        assert_eq!(safe_original_url("/\\evil.example"), "/evil.example");
        assert_eq!(safe_original_url(""), "/");
    }

    #[test]
    fn api_refusals() {
        let login = |insufficient_acr, prompt, recovery| Login {
            prompt,
            acrs: vec!["otp".into()],
            insufficient_acr,
            recovery,
        };
        let r = api_refusal(&login(true, Some(Prompt::Login), false), 60);
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("acr_values=\"otp\""));
        let r = api_refusal(&login(false, Some(Prompt::None), false), 60);
        assert!(r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("max_age=60"));
        let r = api_refusal(&login(false, None, false), 60);
        assert_eq!(r.headers["www-authenticate"], "Bearer");
    }
}
