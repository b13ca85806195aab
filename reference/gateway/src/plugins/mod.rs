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
//! One module under `plugins/` exposing `NAME`, `PRIORITY`, its config schema (a
//! [`PluginSchema`] built from `crate::schema` fields: the one description both validation and
//! `GET /schemas/plugins/{name}` use) and a `configure(&Value, &PluginEnv) -> Result<Configured,
//! ConfigError>` that validates the config against it (filling defaults, so the Admin API shows
//! the effective config, and naming the offending field on error), checks what a schema cannot
//! say, and builds the instance; plus one [`PluginSpec`] in [`REGISTRY`], listing the entity
//! kinds the plugin declares (`entities::dao`). A config the plugin cannot enforce must be
//! rejected here: the Admin API answers 400 `schema violation` with `fields.config.<field>`, and
//! a declarative config is refused whole.
//! Instances live as long as their plugin entity is unchanged, so per-instance caches (tokens,
//! decisions, JWKS, protection token) survive unrelated configuration changes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::entities::dao::Dao;
use crate::runtime::Chain;
use crate::schema::PluginSchema;

pub mod acl;
pub mod context;
pub mod custom_headers;
pub mod gluu_oauth_auth;
pub mod gluu_oauth_pep;
pub mod gluu_openid_connect;
pub mod oauth2;
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
    /// The providers of the running `openid-connect` instances (`/openid-connect/issuers`).
    pub issuers: Arc<openid_connect::issuers::Issuers>,
    /// The gateway's own `private_key_jwt` signing keys (`GET /openid-connect/jwks`), one
    /// keyring for every `openid-connect` instance.
    pub client_keys: Arc<crate::rp::keys::Keyring>,
}

impl PluginEnv {
    /// Settings with the system clock.
    pub fn new(http_timeout: Duration, session_key: cookie::Key) -> Self {
        Self {
            http_timeout,
            session_key,
            clock: crate::clock::system(),
            oauth2_tokens: openid_connect::kong_oauth2::none(),
            issuers: Arc::default(),
            client_keys: Arc::default(),
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

/// One plugin the gateway can run: its name and priority, the schema its config is validated
/// against (and that `GET /schemas/plugins/{name}` shows), how an instance is built, and the
/// entity kinds (DAOs) it brings (`entities::dao`).
pub struct PluginSpec {
    /// The plugin's name in the Admin API.
    pub name: &'static str,
    /// Kong priority: higher runs first.
    pub priority: i32,
    /// The config schema; `None` only for a plugin without a declared schema, whose
    /// `GET /schemas/plugins/{name}` is then 404 saying so (every registered plugin has one).
    pub schema: Option<fn() -> &'static PluginSchema>,
    /// Validates a config (against [`PluginSpec::schema`] and whatever the schema cannot say)
    /// and builds an instance.
    pub configure: fn(&Value, &PluginEnv) -> Result<Configured, ConfigError>,
    /// The entity kinds the plugin declares (its `daos.lua`).
    pub daos: &'static [&'static Dao],
}

impl fmt::Debug for PluginSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginSpec")
            .field("name", &self.name)
            .field("priority", &self.priority)
            .finish_non_exhaustive()
    }
}

/// Every plugin this gateway can run.
pub static REGISTRY: &[PluginSpec] = &[
    PluginSpec {
        name: gluu_oauth_auth::NAME,
        priority: gluu_oauth_auth::PRIORITY,
        schema: Some(gluu_oauth_auth::schema),
        configure: gluu_oauth_auth::configure,
        daos: &[],
    },
    PluginSpec {
        name: gluu_oauth_pep::NAME,
        priority: gluu_oauth_pep::PRIORITY,
        schema: Some(gluu_oauth_pep::schema),
        configure: gluu_oauth_pep::configure,
        daos: &[],
    },
    PluginSpec {
        name: gluu_openid_connect::NAME,
        priority: gluu_openid_connect::PRIORITY,
        schema: Some(gluu_openid_connect::config::schema),
        configure: gluu_openid_connect::configure,
        daos: &[],
    },
    PluginSpec {
        name: openid_connect::NAME,
        priority: openid_connect::PRIORITY,
        schema: Some(openid_connect::schema::schema),
        configure: openid_connect::configure,
        daos: &[],
    },
    PluginSpec {
        name: acl::NAME,
        priority: acl::PRIORITY,
        schema: Some(acl::schema),
        configure: acl::configure,
        daos: &[&acl::ACLS],
    },
    PluginSpec {
        name: oauth2::NAME,
        priority: oauth2::PRIORITY,
        schema: Some(oauth2::schema),
        configure: oauth2::configure,
        daos: &[&oauth2::OAUTH2_CREDENTIALS, &oauth2::OAUTH2_TOKENS],
    },
];

/// The plugin named `name`.
pub fn spec(name: &str) -> Option<&'static PluginSpec> {
    REGISTRY.iter().find(|p| p.name == name)
}

/// The names of the plugins this gateway can run, in registry order.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|p| p.name)
}

/// Validates `config` for the plugin `name` and builds an instance.
pub fn configure(name: &str, config: &Value, env: &PluginEnv) -> Result<Configured, ConfigError> {
    match spec(name) {
        Some(p) => (p.configure)(config, env),
        None => Err(ConfigError::UnknownPlugin(name.to_owned())),
    }
}

/// Runs `chain` over `req` in priority order; the first response stops the chain. Each plugin's
/// instance is chosen when the request reaches it, so a consumer authenticated by an earlier
/// plugin selects its consumer-scoped instances.
pub async fn run_chain(chain: &Chain, req: &mut AccessRequest) -> Flow {
    for i in 0..chain.len() {
        let consumer = req
            .extensions()
            .get::<context::AuthenticatedConsumer>()
            .map(|c| c.0.id);
        let Some(plugin) = chain.pick(i, consumer) else {
            continue;
        };
        if let Flow::Respond(response) = plugin.access(req).await {
            return Flow::Respond(response);
        }
    }
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_plugin_declares_its_schema() {
        for spec in REGISTRY {
            assert!(spec.schema.is_some(), "{} has no schema", spec.name);
        }
    }
}
