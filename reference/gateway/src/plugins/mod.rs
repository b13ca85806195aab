//! Plugins: the per-request access phase of Kong/Gluu Gateway plugins as a chain of layers.
//!
//! # The interface
//!
//! A configured plugin instance implements [`Plugin`]. For every proxied request the gateway builds
//! one [`AccessRequest`] and runs the instances attached to the matched route (route-level beats
//! service-level beats global, per plugin name, as in Kong) in descending [`Plugin::priority`]
//! (`docs/gluu-gateway.md#plugin-order-and-shared-context`: `gluu-oauth-auth` 999,
//! `gluu-openid-connect` 997, `gluu-oauth-pep` 996). Each [`Plugin::access`] returns a [`Flow`]:
//!
//! * [`Flow::Continue`]: the next plugin runs, then the request is proxied;
//! * [`Flow::Respond`]: the chain stops and the client gets the [`PluginResponse`] (a Kong
//!   `{"message": ...}` JSON error via [`PluginResponse::message`], a 302 via
//!   [`PluginResponse::redirect`] with any headers/cookies, or anything else).
//!
//! What a plugin can do with the [`AccessRequest`]:
//!
//! * read the method, the **normalised path** ([`AccessRequest::path`]: percent-decoded,
//!   dot-segments resolved, duplicate slashes merged, no query: what policies match on), the
//!   path and query as received, the query, the headers, the client's origin/scheme;
//! * read the body: [`AccessRequest::body_bytes`] buffers it (bounded) so it can be inspected
//!   and still be forwarded (e.g. OIDC saving a POST for replay);
//! * change what goes upstream: [`AccessRequest::headers_mut`] (set/remove headers, e.g.
//!   `Authorization` for `pass_credentials`), [`AccessRequest::set_method`],
//!   [`AccessRequest::set_body`] (replay), [`AccessRequest::remove_cookie`] (hide a session
//!   cookie from the upstream `Cookie` header);
//! * add headers to the response the client gets, whether the upstream's or a plugin's
//!   ([`AccessRequest::response_headers_mut`], e.g. a renewed `Set-Cookie`);
//! * hand data to later plugins through typed request extensions
//!   ([`AccessRequest::extensions_mut`]), with the types of [`context`]: an auth plugin inserts
//!   [`context::RequestToken`] (the raw token, its introspection/JWT/id_token data and scopes),
//!   [`context::AuthenticatedConsumer`], [`context::AuthenticatedCredential`] and, for OIDC,
//!   [`context::UserInfo`]; a PEP reads them. Anonymous access inserts none of them (a PEP then
//!   sees "no token", as in GG) but sets [`context::Anonymous`];
//! * look up Kong consumers of the configuration the request runs under
//!   ([`AccessRequest::consumers`]).
//!
//! # Adding a plugin
//!
//! One module under `plugins/` exposing `NAME`, `PRIORITY` and a `configure(&Value,
//! &PluginEnv) -> Result<Configured, ConfigError>` that validates the config (filling defaults,
//! so the Admin API shows the effective config, and naming the offending field on error) and
//! builds the instance; plus one match arm in [`configure`] and one entry in [`KNOWN`]. A config
//! the plugin cannot enforce must be rejected here: the Admin API answers 400
//! `schema violation` with `fields.config.<field>`, and a declarative config is refused whole.
//! Instances live as long as their plugin entity is unchanged, so per-instance caches (tokens,
//! decisions, JWKS, protection token) survive unrelated configuration changes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

pub mod context;
pub mod custom_headers;
pub mod gluu_oauth_auth;
pub mod gluu_oauth_pep;
pub mod gluu_openid_connect;
pub mod openid_connect;
pub mod oxd;
mod request;
mod response;
pub mod schema;

pub use request::{AccessRequest, BodyError};
pub use response::{PluginResponse, UNEXPECTED_ERROR};
pub use schema::{ConfigError, FieldError};

/// One configured plugin instance.
pub trait Plugin: Send + Sync + fmt::Debug {
    /// The plugin's name in the Admin API, e.g. `gluu-oauth-auth`.
    fn name(&self) -> &'static str;
    /// Kong priority: higher runs first (`docs/gluu-gateway.md#plugin-order-and-shared-context`).
    fn priority(&self) -> i32;
    /// The access phase: decides the request, may change what goes upstream.
    fn access<'a>(&'a self, req: &'a mut AccessRequest) -> BoxFuture<'a, Flow>;
}

/// What happens after a plugin's access phase.
#[derive(Debug)]
pub enum Flow {
    /// Run the next plugin, then proxy.
    Continue,
    /// Stop here and answer the client with this response.
    Respond(PluginResponse),
}

/// A validated plugin configuration and the instance built from it.
#[derive(Debug, Clone)]
pub struct Configured {
    /// The effective config (defaults filled in), as the Admin API returns it.
    pub config: Value,
    /// The instance enforcing it.
    pub plugin: Arc<dyn Plugin>,
}

/// Gateway-wide settings plugins are built with.
#[derive(Clone)]
pub struct PluginEnv {
    /// Timeout of every outbound HTTP call a plugin makes (oxd, OP).
    pub http_timeout: Duration,
    /// Key sealing session cookies (`gluu-openid-connect`); same secret → same key.
    pub session_key: cookie::Key,
    /// The clock every plugin reads (token ages, cache expiry, refresh intervals).
    pub clock: crate::clock::SharedClock,
    /// The tokens Kong's `oauth2` plugin issued, for `openid-connect`'s `kong_oauth2` method.
    pub oauth2_tokens: Arc<dyn openid_connect::kong_oauth2::KongOAuth2Tokens>,
}

impl PluginEnv {
    /// Settings with the system clock.
    pub fn new(http_timeout: Duration, session_key: cookie::Key) -> Self {
        Self {
            http_timeout,
            session_key,
            clock: crate::clock::system(),
            oauth2_tokens: openid_connect::kong_oauth2::none(),
        }
    }
}

impl fmt::Debug for PluginEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginEnv")
            .field("http_timeout", &self.http_timeout)
            .finish_non_exhaustive()
    }
}

/// Names of the plugins this gateway can run, with their priorities.
pub const KNOWN: &[(&str, i32)] = &[
    (gluu_oauth_auth::NAME, gluu_oauth_auth::PRIORITY),
    (gluu_oauth_pep::NAME, gluu_oauth_pep::PRIORITY),
    (gluu_openid_connect::NAME, gluu_openid_connect::PRIORITY),
    (openid_connect::NAME, openid_connect::PRIORITY),
];

/// Validates `config` for the plugin `name` and builds an instance.
pub fn configure(name: &str, config: &Value, env: &PluginEnv) -> Result<Configured, ConfigError> {
    match name {
        gluu_oauth_auth::NAME => gluu_oauth_auth::configure(config, env),
        gluu_oauth_pep::NAME => gluu_oauth_pep::configure(config, env),
        gluu_openid_connect::NAME => gluu_openid_connect::configure(config, env),
        openid_connect::NAME => openid_connect::configure(config, env),
        _ => Err(ConfigError::UnknownPlugin(name.to_owned())),
    }
}

/// Runs `chain` (already in priority order) over `req`; the first response stops the chain.
pub async fn run_chain(chain: &[Arc<dyn Plugin>], req: &mut AccessRequest) -> Flow {
    for plugin in chain {
        if let Flow::Respond(response) = plugin.access(req).await {
            return Flow::Respond(response);
        }
    }
    Flow::Continue
}
