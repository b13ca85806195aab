//! The contract between Kong's `oauth2` plugin, which issues access tokens at
//! `/oauth2/token`, and the plugins that accept them: the `oauth2` plugin itself and
//! openid-connect's `kong_oauth2` auth method (`docs/kong.md#authentication-methods`). The token
//! table implements [`OAuth2Tokens`]; a plugin asks through
//! [`super::AccessRequest::kong_oauth2_token`], which also applies the service restriction.

use std::sync::Arc;

use uuid::Uuid;

use crate::entities::{Consumer, Entities};

/// A live token issued by the `oauth2` plugin, with the credential and consumer it belongs to.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token's primary key (`oauth2_tokens` entity id).
    pub id: Uuid,
    /// The `oauth2_credentials` entity it was issued to.
    pub credential_id: Uuid,
    /// That credential's `client_id`.
    pub client_id: String,
    /// The consumer owning the credential.
    pub consumer: Arc<Consumer>,
    /// `authenticated_userid` given at issuance (password / authorization code grants).
    pub authenticated_userid: Option<String>,
    /// Granted scopes, space-separated, as issued.
    pub scope: Option<String>,
    /// Expiry (Unix seconds); `None` for a token that never expires (`expires_in` 0).
    pub expires_at: Option<i64>,
    /// The service it was issued for; `None` for a global token (`global_credentials`).
    pub service: Option<Uuid>,
}

/// Lookup of issued tokens.
pub trait OAuth2Tokens: Send + Sync + std::fmt::Debug {
    /// The token whose access token is `access_token`, if it exists, has not expired at `now`
    /// (Unix seconds) and its credential and consumer still exist in `entities`.
    fn find(&self, access_token: &str, entities: &Entities, now: i64) -> Option<IssuedToken>;
}
