//! Step 2 of `docs/gluu-gateway.md#openid-connect-per-request`: `logout_path` ends the session and
//! sends the browser to the OP's end-session endpoint.

use http::StatusCode;

use super::config::PostLogout;
use super::reply::{with_cookie, Reply};
use super::request::RequestView;
use super::session::SessionState;
use super::OpenIdConnect;

impl OpenIdConnect {
    /// Destroys the session and redirects to `get-logout-uri`'s `uri` with `id_token_hint` and
    /// `post_logout_redirect_uri`. Nothing is destroyed when oxd fails (502, no body).
    pub(super) async fn logout(
        &self,
        req: &RequestView<'_>,
        session: Option<SessionState>,
    ) -> Reply {
        let Some(state) = session else {
            return Reply::empty(StatusCode::BAD_REQUEST);
        };
        let post_logout = match &self.config.post_logout {
            Some(PostLogout::Path(path)) => Some(format!("{}{}", req.origin, path)),
            Some(PostLogout::Url(url)) => Some(url.to_string()),
            None => None,
        };
        // Newest first: after a step-up the OP's current session (its `sid`) is the one of the
        // most recent ID token; hinting an older one names a session the OP already replaced.
        let mut hint = None;
        for token in state.tokens.iter().rev() {
            if let Some(record) = self.store.token(&token.key).await {
                hint = Some(record.id_token.clone());
                break;
            }
        }
        let location = match hint {
            Some(hint) => match self.oxd.logout_uri(&hint, post_logout.as_deref()).await {
                Ok(uri) => uri,
                Err(e) => {
                    tracing::warn!(error = %e, "gluu-openid-connect: get-logout-uri failed");
                    return Reply::empty(StatusCode::BAD_GATEWAY);
                }
            },
            // No token to end at the OP (none was issued, or another instance holds it): the
            // local session is all there is to end.
            None => post_logout.unwrap_or_else(|| "/".to_string()),
        };
        let keys: Vec<String> = state.tokens.iter().map(|t| t.key.clone()).collect();
        self.store.remove_tokens(&keys).await;
        if let Some(replay) = &state.replay {
            self.store.take_replay(&replay.key).await;
        }
        match Reply::redirect(&location) {
            Some(reply) => with_cookie(reply, self.codec.clear(req.secure)),
            None => Reply::empty(StatusCode::BAD_GATEWAY),
        }
    }
}
