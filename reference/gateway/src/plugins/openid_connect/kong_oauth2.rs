//! `auth_methods: [kong_oauth2]`: tokens issued by Kong's own `oauth2` plugin, looked up in the
//! gateway's token store rather than at the OpenID Provider. The `oauth2` plugin owns that
//! store and implements [`KongOAuth2Tokens`]; the gateway hands the implementation to plugins
//! through [`PluginEnv::oauth2_tokens`](crate::plugins::PluginEnv::oauth2_tokens).
//!
//! A token identifies the consumer of the OAuth 2.0 credential it was issued to (the request
//! goes upstream as that consumer, with `X-Consumer-*` and the credential's `client_id` as
//! `X-Credential-Identifier`, as the `oauth2` plugin itself sends them). It is good only on the
//! service whose `oauth2` plugin issued it, unless that plugin had `global_credentials` (then
//! the token has no service and is good on any): <https://developer.konghq.com/plugins/oauth2/>.

use std::sync::Arc;

/// What the store knows about an access token it issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KongOAuth2Token {
    /// The consumer owning the OAuth 2.0 credential (Kong's `credential.consumer`).
    pub consumer_id: Option<uuid::Uuid>,
    /// The credential's `client_id`.
    pub client_id: String,
    /// The granted scope (space-separated), if any.
    pub scope: Option<String>,
    /// `authenticated_userid` (password grant), if any.
    pub authenticated_userid: Option<String>,
    /// When the token expires (Unix seconds), if it does.
    pub expires_at: Option<i64>,
}

/// The `oauth2` plugin's token store as `openid-connect` consults it.
pub trait KongOAuth2Tokens: Send + Sync + std::fmt::Debug {
    /// The token `access_token`, if the store issued it, it has not expired at `now` and it is
    /// good on `service` (the request's): issued for that service, or global.
    fn lookup(
        &self,
        access_token: &str,
        service: Option<uuid::Uuid>,
        now: i64,
    ) -> Option<KongOAuth2Token>;
}

/// No `oauth2` plugin: every lookup fails (a `kong_oauth2` token is then refused).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoKongOAuth2Tokens;

impl KongOAuth2Tokens for NoKongOAuth2Tokens {
    fn lookup(
        &self,
        _access_token: &str,
        _service: Option<uuid::Uuid>,
        _now: i64,
    ) -> Option<KongOAuth2Token> {
        None
    }
}

/// The default store handle.
pub fn none() -> Arc<dyn KongOAuth2Tokens> {
    Arc::new(NoKongOAuth2Tokens)
}
