//! Logout (`docs/kong.md#logout`): a request matching `logout_uri_suffix`, `logout_query_arg`
//! or `logout_post_arg` with a method in `logout_methods` ends the session: the cookie is
//! deleted, the session id is remembered as revoked until the session could have expired (so a
//! copy of the cookie replayed later is refused by this instance; with `session_storage: redis`
//! the session's record is deleted, so every instance refuses it), the tokens are revoked at
//! the OP with `logout_revoke`, and the browser is sent to the OP's `end_session_endpoint`
//! (RP-initiated logout with `id_token_hint`, `post_logout_redirect_uri` and `client_id`), else
//! to `logout_redirect_uri`, else answered 204.

use http::header::SET_COOKIE;
use http::StatusCode;
use serde_json::Value;

use super::credentials::Args;
use super::session::Presented;
use super::OpenIdConnect;
use crate::plugins::{AccessRequest, PluginResponse};

impl OpenIdConnect {
    /// Whether `req` asks to log out.
    pub(super) async fn is_logout(&self, req: &mut AccessRequest) -> bool {
        let b = &self.config.browser;
        if !b.has_logout() || !b.logout_methods.contains(req.method()) {
            return false;
        }
        if b.logout_uri_suffix
            .as_deref()
            .is_some_and(|s| req.path().ends_with(s))
        {
            return true;
        }
        let query_arg = b.logout_query_arg.as_deref();
        let post_arg = b.logout_post_arg.as_deref();
        if query_arg.is_none() && post_arg.is_none() {
            return false;
        }
        let args = Args::read(req, post_arg.is_some()).await;
        let types = |query, body| super::config::ParamTypes {
            header: false,
            query,
            body,
            cookie: false,
        };
        query_arg.is_some_and(|a| args.present(a, types(true, false)))
            || post_arg.is_some_and(|a| args.present(a, types(false, true)))
    }

    /// Whether the session `id` was logged out here.
    pub(super) async fn is_revoked(&self, id: &str) -> bool {
        self.revoked.get(&id.to_owned()).await.is_some()
    }

    /// Ends the session (if any) and answers the logout.
    pub(super) async fn logout(&self, req: &mut AccessRequest) -> PluginResponse {
        let now = self.now();
        let presented = Presented::of(req);
        let session = self.sessions.load(&presented, now).await.ok();
        let b = &self.config.browser;
        if let Some(s) = &session {
            let until = self.sessions.expires_at(s).unwrap_or(now + 86_400 * 365);
            self.revoked.insert(s.id.clone(), (), until).await;
            if b.logout_revoke {
                self.revoke(s).await;
            }
        }
        let args = Args::read(req, false).await;
        let client = self.client_index(req, &args);
        let post_logout = b
            .logout_redirect_uri
            .get(client)
            .or(b.logout_redirect_uri.first());
        let end_session = match &b.end_session_endpoint {
            Some(u) => Some(u.clone()),
            None => self.provider().await.ok().and_then(|p| {
                p.document
                    .get("end_session_endpoint")
                    .and_then(Value::as_str)
                    .and_then(|s| url::Url::parse(s).ok())
            }),
        };
        let target = match end_session {
            Some(mut u) => {
                {
                    let mut q = u.query_pairs_mut();
                    if let Some(id_token) = session.as_ref().and_then(|s| s.id_token.as_deref()) {
                        q.append_pair("id_token_hint", id_token);
                    }
                    if let Some(p) = post_logout {
                        q.append_pair("post_logout_redirect_uri", p.as_str());
                    }
                    if let Some(id) = self.config.client_id.get(client) {
                        q.append_pair("client_id", id);
                    }
                }
                Some(u)
            }
            None => post_logout.cloned(),
        };
        let mut response = target
            .and_then(|u| PluginResponse::redirect(u.as_str()))
            .unwrap_or_else(|| PluginResponse::empty(StatusCode::NO_CONTENT));
        // With Redis storage the record is deleted: every instance refuses the cookie now.
        for v in self.sessions.destroy(&presented, session.as_ref()).await {
            response.headers.append(SET_COOKIE, v);
        }
        response
    }

    /// `logout_revoke`: the session's tokens at the revocation endpoint. A failure is logged
    /// and the logout goes on: the session is gone from the browser either way.
    async fn revoke(&self, s: &super::session::Session) {
        let b = &self.config.browser;
        let endpoint = match self
            .endpoint(
                &self.config.revocation_endpoint,
                |p| p.revocation_endpoint.clone(),
                "revocation_endpoint",
            )
            .await
        {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(
                    ?e,
                    "openid-connect: logout_revoke without a revocation endpoint"
                );
                return;
            }
        };
        let Ok(client) = self.client(0, self.config.revocation_endpoint_auth_method.as_deref())
        else {
            return;
        };
        let mut tokens = Vec::new();
        if b.logout_revoke_refresh_token {
            if let Some(rt) = &s.refresh_token {
                tokens.push((rt.as_str(), "refresh_token"));
            }
        }
        if b.logout_revoke_access_token {
            tokens.push((s.access_token.as_str(), "access_token"));
        }
        for (token, hint) in tokens {
            if let Err(e) = self
                .provider
                .op
                .revoke(&endpoint, &client, token, Some(hint), self.now())
                .await
            {
                tracing::warn!(%e, hint, "openid-connect: token revocation at logout failed");
            }
        }
    }
}
