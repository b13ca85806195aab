//! `gluu-openid-connect`: the gateway as an OpenID Connect relying party with ACR step-up,
//! sessions and logout (`docs/gluu-gateway.md#gluu-openid-connect`; deliberate differences in
//! `docs/differences.md#gluu-openid-connect`).
//!
//! The plugin drives the OP through oxd (`get-authorization-url`, `get-tokens-by-code`,
//! `get-user-info`, `get-logout-uri`) and decides every request in GG's order
//! (`docs/gluu-gateway.md#openid-connect-per-request`): the callback path, the logout path, the
//! post-logout path, the ACR rule of `(method, path)`, `no_auth`, the session's tokens, ACR
//! sufficiency, token and authentication ages, the loop breaker.
//!
//! # Session
//! The cookie `gluu_openid_connect_session` is sealed with the `cookie` crate's private jar
//! (AES-256-GCM) under a key derived from the gateway's session secret, `HttpOnly`,
//! `SameSite=Lax`, `Path=/`, `Secure` on https, and is never forwarded upstream. It carries only a
//! summary per ID token (ACR, `iat`, `exp`, `auth_time`, requested ACRs, a random record key) and
//! the pending login (original URL, requested ACRs, `state` and `nonce`), about 1 KB with several
//! tokens. ID tokens, access tokens, userinfo and saved request bodies stay in the plugin's
//! in-memory [`store::SessionStore`].
//!
//! Two gateway instances sharing the secret open each other's cookies and agree on what the user
//! holds. An instance that lacks a token's record (another instance served the login, or it
//! restarted) recovers it with a silent `prompt=none` authorization (the OP's session answers
//! without user interaction, falling back to an interactive login if the OP asks for one); the
//! recovered token is added beside the other instance's, so instances behind a round-robin
//! balancer each keep their own record instead of taking turns refreshing.
//!
//! # Extensions beyond GG (documented)
//! * API clients (`Accept: application/json` without `text/html`, or
//!   `X-Requested-With: XMLHttpRequest`) get 401 instead of a redirect they cannot follow, with an
//!   RFC 9470 challenge when the session lacks the ACR or is too old ([`api_client`]).
//! * The callback also requires the `state` of the login started by *this* browser and checks the
//!   ID token's `iss`, `aud`/`azp` and `nonce` ([`claims`]).
//! * `max_age` sent to the OP is `max_id_token_auth_age` (GG sent `max_id_token_age`, which made
//!   every silent refresh of an aged token fail at the OP).
//! * An OP answering a silent re-authentication with `login_required` (or another
//!   interaction error) restarts the login interactively instead of failing.

pub mod acr;
pub mod api_client;
mod authorize;
mod callback;
pub mod claims;
pub mod config;
pub mod decide;
mod logout;
pub mod oxd;
mod plugin;
pub mod reply;
pub mod request;
pub mod session;
pub mod signature;
pub mod store;
pub mod tokens;

#[cfg(test)]
mod flow_tests;

use std::sync::Arc;

use http::{Method, StatusCode};

use self::config::{Config, PostLogout};
use self::decide::{decide, no_auth_token, Decision};
use self::oxd::OxdClient;
pub use self::plugin::{configure, configure_with_clock, GluuOpenIdConnect};
use self::reply::Reply;
pub use self::request::{
    Authenticated, BodyInput, Clock, ManualClock, Outcome, RequestView, SystemClock,
};
use self::session::{SessionCodec, SessionState, SESSION_LIFETIME};
use self::store::{SessionStore, TokenRecord};
use crate::rp::jwks::{KeySet, OxdKeys};

/// Plugin name in the Admin API.
pub const NAME: &str = "gluu-openid-connect";

/// Kong priority (`docs/gluu-gateway.md#plugin-order-and-shared-context`).
pub const PRIORITY: i32 = 997;

/// Rewrite the cookie when less than this remains of its lifetime.
const RENEW_BEFORE: i64 = 600;

/// One configured instance of the plugin.
#[derive(Debug)]
pub struct OpenIdConnect {
    config: Config,
    oxd: OxdClient,
    codec: SessionCodec,
    store: SessionStore,
    /// The OP's keys, through oxd (the relying-party core's one key cache).
    keys: KeySet,
    clock: Arc<dyn Clock>,
}

impl OpenIdConnect {
    /// Builds the plugin: `key` seals session cookies, every oxd call times out after `timeout`.
    pub fn new(
        config: Config,
        key: cookie::Key,
        timeout: std::time::Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        let oxd = OxdClient::new(
            config.oxd_url.clone(),
            config.oxd_id.clone(),
            config.client_id.clone(),
            config.client_secret.clone(),
            config.op_url.clone(),
            timeout,
        )?;
        let keys = KeySet::new(
            Arc::new(OxdKeys::new(oxd.shared(), clock.clone())),
            clock.clone(),
            signature::REFRESH_INTERVAL,
        );
        Ok(Self {
            config,
            oxd,
            codec: SessionCodec::new(key),
            store: SessionStore::new(),
            keys,
            clock,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether [`RequestView::body`] should be filled for a request with `method`: only when a
    /// non-GET request may have to be saved for replay after login.
    pub fn wants_body(&self, method: &Method) -> bool {
        self.config.restore_original_auth_params && method != Method::GET
    }

    /// Whether this request's body may be saved for replay after login: only a request the
    /// gateway's own pages sent. A cross-site form arrives without the SameSite=Lax session
    /// cookie; replaying it after a silent login would carry it out as the victim.
    fn may_replay(&self, req: &RequestView<'_>) -> bool {
        self.wants_body(req.method) && request::is_same_origin(req.headers, req.origin)
    }

    /// Decides a request (`docs/gluu-gateway.md#openid-connect-per-request`).
    pub async fn access(&self, req: &RequestView<'_>) -> Outcome {
        let now = self.clock.now();
        let session = self.codec.read(req.headers, now);
        let config = &self.config;
        if req.path == config.authorization_redirect_path {
            return Outcome::Reply(self.callback(req, session, now).await);
        }
        if config.logout_path.as_deref() == Some(req.path) {
            return Outcome::Reply(self.logout(req, session).await);
        }
        if self.is_post_logout_page(req) {
            return Outcome::Anonymous;
        }
        let rule = self
            .config
            .acrs
            .as_ref()
            .and_then(|e| e.find(req.method.as_str(), req.path));
        let required = rule.as_ref().and_then(|m| m.condition.required_acrs());
        let no_auth = rule.as_ref().is_some_and(|m| m.condition.no_auth());
        if no_auth {
            return self.no_auth(session, now).await;
        }
        let state = session.unwrap_or_else(|| SessionState::new(now));
        let records = self.records(&state).await;
        let local: Vec<_> = state
            .tokens
            .iter()
            .zip(&records)
            .filter(|(_, r)| r.is_some())
            .map(|(t, _)| t.clone())
            .collect();
        let local_records: Vec<_> = records.iter().flatten().cloned().collect();
        let ages = self.config.ages;
        if let Decision::Authenticated(i) = decide(&local, required, ages, now) {
            return self
                .authenticated(req, state, local_records[i].clone(), now)
                .await;
        }
        match decide(&state.tokens, required, ages, now) {
            Decision::Authenticated(i) => {
                // Another instance holds this token's record: recover one silently.
                let acrs = match required {
                    Some(r) => r.to_vec(),
                    None => state.tokens[i].requested_acrs.clone(),
                };
                let login = authorize::Login {
                    prompt: Some(decide::Prompt::None),
                    acrs,
                    insufficient_acr: false,
                    recovery: true,
                };
                self.authorize(req, state, login, None, now).await
            }
            Decision::Authorize {
                prompt,
                acrs,
                drop,
                insufficient_acr,
            } => {
                let login = authorize::Login {
                    prompt,
                    acrs,
                    insufficient_acr,
                    recovery: false,
                };
                self.authorize(req, state, login, drop, now).await
            }
            Decision::LoopBreaker(message) => {
                Outcome::Reply(Reply::message(StatusCode::FORBIDDEN, &message))
            }
        }
    }

    /// Step 3: the page the OP sends the user to after logout. GG compares the path with the
    /// configured value, so a configured absolute URL never matched, even one on the gateway
    /// itself as in the tutorial (`https://dev1.gluu.org/logout_redirect_uri`); here a URL on
    /// the request's own origin passes too.
    fn is_post_logout_page(&self, req: &RequestView<'_>) -> bool {
        match &self.config.post_logout {
            Some(PostLogout::Path(p)) => p == req.path,
            Some(PostLogout::Url(url)) => {
                url.path() == req.path
                    && url.origin().ascii_serialization() == req.origin.trim_end_matches('/')
            }
            None => false,
        }
    }

    /// Step 5: a `no_auth` path is served with an unexpired token if the session has one.
    async fn no_auth(&self, session: Option<SessionState>, now: i64) -> Outcome {
        let Some(state) = session else {
            return Outcome::Anonymous;
        };
        let records = self.records(&state).await;
        let local: Vec<_> = state
            .tokens
            .iter()
            .zip(&records)
            .filter(|(_, r)| r.is_some())
            .map(|(t, _)| t.clone())
            .collect();
        match no_auth_token(&local, self.config.ages, now) {
            Some(i) => {
                let record = records.iter().flatten().nth(i).cloned();
                match record {
                    Some(record) => Outcome::Authenticated(Box::new(Authenticated {
                        record,
                        replay: None,
                        set_cookie: None,
                    })),
                    None => Outcome::Anonymous,
                }
            }
            None => Outcome::Anonymous,
        }
    }

    /// Serves the request with `record`, replaying a saved request if this is its URL, and
    /// renewing the cookie when it nears expiry.
    async fn authenticated(
        &self,
        req: &RequestView<'_>,
        mut state: SessionState,
        record: Arc<TokenRecord>,
        now: i64,
    ) -> Outcome {
        let mut rewrite = state.expires_at - now < RENEW_BEFORE.min(SESSION_LIFETIME);
        let mut replay = None;
        if let Some(saved) = &state.replay {
            if req.method == Method::GET && saved.url == req.path_and_query {
                replay = self.store.take_replay(&saved.key).await;
                state.replay = None;
                rewrite = true;
            }
        }
        let set_cookie = if rewrite {
            self.codec.write(&mut state, req.secure, now)
        } else {
            None
        };
        Outcome::Authenticated(Box::new(Authenticated {
            record,
            replay,
            set_cookie,
        }))
    }

    /// The server-side records of the session's tokens (`None` where this process has none).
    async fn records(&self, state: &SessionState) -> Vec<Option<Arc<TokenRecord>>> {
        let mut records = Vec::with_capacity(state.tokens.len());
        for token in &state.tokens {
            records.push(self.store.token(&token.key).await);
        }
        records
    }
}
