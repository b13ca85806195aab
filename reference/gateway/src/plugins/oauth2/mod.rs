//! Kong's `oauth2` plugin (<https://developer.konghq.com/plugins/oauth2/>,
//! `docs/kong.md#acl-and-oauth-20-plugins`): the gateway as an OAuth 2.0 authorization server
//! for its own consumers. Laid out as Kong's plugin folder: [`schema`] (config), [`daos`]
//! (`oauth2_credentials`, `oauth2_tokens`), [`tokens`] (the token store, which also answers
//! openid-connect's `kong_oauth2` method), [`endpoint`] (`POST …/oauth2/token`) and
//! [`authenticate`] (tokens on proxied requests). See the folder's README for what is modelled
//! and where gatecheck is stricter.

use std::sync::Arc;

use futures::future::BoxFuture;
use http::{Method, StatusCode};
use serde_json::Value;

use super::context::AuthenticatedCredential;
use super::schema::ConfigError;
use super::{AccessRequest, Configured, Flow, Plugin, PluginEnv, PluginResponse};
use crate::clock::SharedClock;
use crate::entities::records;

pub mod authenticate;
pub mod daos;
pub mod endpoint;
pub mod params;
pub mod schema;
pub mod secret;
pub mod tokens;

pub use daos::{OAUTH2_CREDENTIALS, OAUTH2_TOKENS};
pub use schema::{schema, Config};

/// Plugin name in the Admin API.
pub const NAME: &str = "oauth2";
/// Kong 3.x priority of `oauth2` (before openid-connect's 1050 and acl's 950).
pub const PRIORITY: i32 = 1400;

/// An `oauth2` instance.
#[derive(Debug)]
pub struct OAuth2 {
    config: Config,
    clock: SharedClock,
}

/// Validates the config (generating `provision_key` when absent, as Kong's `auto` field does)
/// and builds an instance.
pub fn configure(config: &Value, env: &PluginEnv) -> Result<Configured, ConfigError> {
    let mut config = match config {
        Value::Null => Value::Object(Default::default()),
        other => other.clone(),
    };
    if let Value::Object(map) = &mut config {
        if map.get("provision_key").is_none_or(Value::is_null) {
            map.insert(
                "provision_key".into(),
                Value::String(records::random_string()),
            );
        }
    }
    let (effective, config): (Value, Config) = schema().parse(&config)?;
    Ok(Configured {
        config: effective,
        plugin: Arc::new(OAuth2 {
            config,
            clock: env.clock.clone(),
        }),
    })
}

/// Which endpoint a `POST` path names (Kong: the path ends in it, under any route path).
fn endpoint_of(path: &str) -> Option<&'static str> {
    ["/oauth2/token", "/oauth2/authorize"]
        .into_iter()
        .find(|e| path.ends_with(e))
}

impl OAuth2 {
    async fn run(&self, req: &mut AccessRequest) -> Flow {
        // Another authentication plugin already authenticated the request and this one is the
        // optional half of an "either" pair (Kong's logical OR through `anonymous`).
        if self.config.anonymous.is_some()
            && req.extensions().get::<AuthenticatedCredential>().is_some()
        {
            return Flow::Continue;
        }
        let Some(store) = req
            .entities()
            .tables()
            .typed::<tokens::TokenTable>()
            .map(|t| t.store().clone())
        else {
            tracing::error!("oauth2: the gateway has no oauth2_tokens table");
            return Flow::Respond(PluginResponse::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An unexpected error occurred",
            ));
        };
        let now = self.clock.now();
        if req.method() == Method::POST {
            match endpoint_of(req.path()) {
                Some("/oauth2/token") => {
                    let entities = req.entities().clone();
                    let endpoint = endpoint::Endpoint {
                        config: &self.config,
                        credentials: entities.index::<daos::Credentials>(),
                        store: &store,
                        now,
                    };
                    return Flow::Respond(endpoint.token(req).await);
                }
                Some(_) => {
                    let entities = req.entities().clone();
                    let endpoint = endpoint::Endpoint {
                        config: &self.config,
                        credentials: entities.index::<daos::Credentials>(),
                        store: &store,
                        now,
                    };
                    return Flow::Respond(endpoint.authorize(req).await);
                }
                None => {}
            }
        }
        match authenticate::authenticate(req, &self.config, &store, now).await {
            Ok(()) => Flow::Continue,
            Err(reply) => Flow::Respond(reply),
        }
    }
}

impl Plugin for OAuth2 {
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

#[cfg(test)]
mod tests;
