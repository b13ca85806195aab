//! Kong's `openid-connect` plugin as a resource server and direct-grant client
//! (`docs/kong.md`): the caller's credential is searched in Kong's fixed order, verified or
//! exchanged at the OpenID Provider through the gateway's relying-party core ([`crate::rp`]),
//! then the claims, the consumer and the headers the upstream sees are settled. A browser
//! without credentials goes through the authorization code flow.
//!
//! Layout: [`schema`] (the declared config schema: validation, defaults, Kong's JSON; the
//! browser's fields declared by [`browser_config`]), [`config`] (the typed view of an accepted config),
//! [`credentials`] (where credentials are found and hidden), [`client_keys`] (`client_jwk`,
//! `client_alg`: the keys client assertions are signed with), [`authenticate`] (the methods),
//! [`code_flow`] (the code flow and `login_action`, with [`authorization`] for the redirect and
//! [`callback`] for the ID-token checks), [`logout`], [`claims`] (claim paths and `*_required`
//! rules), [`session`] (sealed sessions; [`session_config`] its options, [`session_store`]
//! its Redis storage), [`reply`] (failure responses and headers),
//! [`cluster_cache`] (the introspection and token caches shared through Redis;
//! [`cluster_cache_config`] its fields), [`kong_oauth2`] (the lookup the `oauth2` plugin's token store implements), [`issuers`]
//! (the providers the Admin API's `/openid-connect/issuers` lists), [`step_up`] (the acr
//! step-up, a gatecheck extension).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;

use super::{AccessRequest, ConfigError, Configured, Flow, Plugin, PluginEnv};
use crate::cache::ExpiringCache;
use crate::clock::SharedClock;
use crate::rp::client::{http_client, OpClient};
use crate::rp::discovery::{discovery_url, Discovery};
use crate::rp::jwks::{HttpKeys, KeySet};

pub mod authenticate;
pub mod authorization;
pub mod browser_config;
pub mod callback;
pub mod claims;
pub mod client_keys;
pub mod cluster_cache;
pub mod cluster_cache_config;
pub mod code_flow;
pub mod config;
pub mod credentials;
pub mod issuers;
pub mod kong_oauth2;
pub mod logout;
pub mod reply;
pub mod schema;
pub mod session;
pub mod session_config;
pub mod session_store;
pub mod step_up;

pub use config::Config;

/// The plugin's name in the Admin API.
pub const NAME: &str = "openid-connect";
/// Kong's priority for `openid-connect`: before `acl` (950) and the rate limiters.
pub const PRIORITY: i32 = 1050;

/// Entries per cache (tokens, introspection, userinfo) of one instance.
const CACHE_SIZE: u64 = 10_000;

/// Tokens a grant (or the caller) produced (serialized for the cluster cache).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// When it expires, if known.
    pub expires_at: Option<i64>,
    /// A refresh token.
    pub refresh_token: Option<String>,
    /// An ID token.
    pub id_token: Option<String>,
    /// The granted scope.
    pub scope: Option<String>,
}

/// The provider as this instance reaches it.
#[derive(Debug)]
pub struct Provider {
    /// Discovery (cached).
    pub discovery: Arc<Discovery>,
    /// The key set.
    pub keys: Arc<KeySet>,
    /// Endpoint calls.
    pub op: OpClient,
}

/// One configured `openid-connect`.
pub struct OpenIdConnect {
    config: Config,
    provider: Arc<Provider>,
    clock: SharedClock,
    sessions: session::Sessions,
    authorizations: authorization::AuthorizationCookies,
    /// Sessions logged out here, until they would have expired.
    revoked: ExpiringCache<String, ()>,
    tokens: ExpiringCache<[u8; 32], Arc<Tokens>>,
    introspections: ExpiringCache<[u8; 32], Arc<Value>>,
    userinfos: ExpiringCache<[u8; 32], Arc<Value>>,
    /// The shared level under `tokens` and `introspections` (`cluster_cache_strategy`).
    cluster: cluster_cache::ClusterCache,
    oauth2: Arc<dyn kong_oauth2::KongOAuth2Tokens>,
}

impl std::fmt::Debug for OpenIdConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenIdConnect")
            .field("issuer", &self.config.issuer.as_str())
            .field("auth_methods", &self.config.auth_methods)
            .finish_non_exhaustive()
    }
}

impl OpenIdConnect {
    /// The instance's provider (the Admin API's `/openid-connect/issuers` reads it).
    pub fn idp(&self) -> &Provider {
        &self.provider
    }

    /// The effective configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// Validates `config` and builds the instance.
pub fn configure(config: &Value, env: &PluginEnv) -> Result<Configured, ConfigError> {
    let (mut config, effective) = Config::from_value(config)?;
    // `private_key_jwt` without `client_jwk` signs with the gateway's keyring: its key is made
    // (or loaded) now, so a request never waits for it and a broken keyring fails the config.
    let pkjwt = config
        .client_auth
        .iter()
        .map(String::as_str)
        .chain(
            [
                &config.token_endpoint_auth_method,
                &config.introspection_endpoint_auth_method,
                &config.revocation_endpoint_auth_method,
            ]
            .into_iter()
            .filter_map(|m| m.as_deref()),
        )
        .any(|m| m == "private_key_jwt");
    config.client_keys =
        std::mem::take(&mut config.client_keys).with_keyring(env.client_keys.clone(), pkjwt)?;
    let timeout = std::time::Duration::from_millis(config.timeout_ms);
    let http = http_client(timeout);
    let clock = env.clock.clone();
    let discovery = Arc::new(Discovery::new(
        discovery_url(&config.issuer),
        http.clone(),
        clock.clone(),
        config.cache_ttl.max(1),
        config.rediscovery_lifetime,
    ));
    let source = Arc::new(HttpKeys::new(
        discovery.clone(),
        config.jwks_endpoint.clone(),
        config.extra_jwks_uris.clone(),
        http.clone(),
    ));
    let keys = Arc::new(KeySet::new(
        source,
        clock.clone(),
        config.rediscovery_lifetime,
    ));
    let key = match &config.session.secret {
        Some(secret) => session::key_from_secret(secret),
        None => env.session_key.clone(),
    };
    let provider = Arc::new(Provider {
        discovery,
        keys,
        op: OpClient::new(http),
    });
    // The issuer as configured (the parsed URL may have gained a `/`), as Kong lists it.
    let issuer = effective["issuer"]
        .as_str()
        .unwrap_or(config.issuer.as_str());
    env.issuers.register(issuer, &provider);
    let cluster = cluster_cache::ClusterCache::new(&config.cluster_cache, &key, clock.clone())
        .map_err(|e| ConfigError::field("cluster_cache_redis", e.0))?;
    let sessions = session::Sessions::new(key.clone(), config.session.clone());
    sessions
        .check()
        .map_err(|e| ConfigError::field("session_redis_host", e.to_string()))?;
    let plugin = OpenIdConnect {
        authorizations: authorization::AuthorizationCookies::new(
            key.clone(),
            config.browser.cookie.clone(),
            config.browser.rolling_timeout,
        ),
        sessions,
        revoked: ExpiringCache::new(CACHE_SIZE * 10, clock.clone()),
        provider,
        tokens: ExpiringCache::new(CACHE_SIZE, clock.clone()),
        introspections: ExpiringCache::new(CACHE_SIZE, clock.clone()),
        userinfos: ExpiringCache::new(CACHE_SIZE, clock.clone()),
        cluster,
        oauth2: env.oauth2_tokens.clone(),
        clock,
        config,
    };
    Ok(Configured {
        config: effective,
        plugin: Arc::new(plugin),
    })
}

impl Plugin for OpenIdConnect {
    fn name(&self) -> &'static str {
        NAME
    }

    fn priority(&self) -> i32 {
        PRIORITY
    }

    fn access<'a>(&'a self, req: &'a mut AccessRequest) -> BoxFuture<'a, Flow> {
        Box::pin(self.run(req))
    }
}
