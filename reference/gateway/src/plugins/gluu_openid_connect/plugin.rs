//! The gateway side of the plugin: configuration through the Admin API, and the access phase
//! mapping [`OpenIdConnect`]'s verdict onto the proxied request.

use std::sync::Arc;

use futures::future::BoxFuture;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, SET_COOKIE};
use serde_json::Value;

use super::config::Config;
use super::request::{BodyInput, Clock, Outcome, RequestView};
use super::session::COOKIE_NAME;
use super::store::MAX_REPLAY_BODY;
use super::{Authenticated, OpenIdConnect, NAME, PRIORITY};
use crate::plugins::context::{RequestToken, UserInfo};
use crate::plugins::custom_headers::CustomHeaders;
use crate::plugins::{AccessRequest, ConfigError, Configured, Flow, Plugin, PluginEnv};

/// A configured `gluu-openid-connect` instance.
#[derive(Debug)]
pub struct GluuOpenIdConnect {
    core: OpenIdConnect,
    headers: CustomHeaders,
}

/// Validates `config` and builds the instance (on the gateway's clock).
pub fn configure(config: &Value, env: &PluginEnv) -> Result<Configured, ConfigError> {
    configure_with_clock(config, env, env.clock.clone())
}

/// [`configure`] with an explicit clock (tests move time instead of waiting).
pub fn configure_with_clock(
    config: &Value,
    env: &PluginEnv,
    clock: Arc<dyn Clock>,
) -> Result<Configured, ConfigError> {
    let (config, effective) = Config::from_value(config)?;
    let headers = CustomHeaders::compile(config.custom_headers.as_ref(), &ENV)?;
    let core = OpenIdConnect::new(config, env.session_key.clone(), env.http_timeout, clock)
        .map_err(|e| ConfigError::field("oxd_url", format!("cannot build an HTTP client: {e}")))?;
    Ok(Configured {
        config: effective,
        plugin: Arc::new(GluuOpenIdConnect { core, headers }),
    })
}

/// Names a custom header expression may start with (the OIDC environment of
/// `docs/gluu-gateway.md#custom-header-evaluation`).
const ENV: [&str; 3] = ["id_token", "userinfo", "access_token"];

impl Plugin for GluuOpenIdConnect {
    fn name(&self) -> &'static str {
        NAME
    }

    fn priority(&self) -> i32 {
        PRIORITY
    }

    fn access<'a>(&'a self, req: &'a mut AccessRequest) -> BoxFuture<'a, Flow> {
        Box::pin(async move {
            let mut outcome = self.core.access(&view(req, BodyInput::NotRead)).await;
            if matches!(outcome, Outcome::NeedsBody) {
                // The request is not forwarded (the user is sent to log in), so a body that
                // fails to read costs only its replay.
                let body = req.body_bytes(MAX_REPLAY_BODY).await.ok();
                let input = match &body {
                    Some(bytes) => BodyInput::Read(bytes),
                    None => BodyInput::Unavailable,
                };
                outcome = self.core.access(&view(req, input)).await;
            }
            match outcome {
                Outcome::Reply(reply) => Flow::Respond(reply),
                Outcome::Anonymous | Outcome::NeedsBody => {
                    req.remove_cookie(COOKIE_NAME);
                    // No identity is vouched for, so none may arrive from the client either.
                    self.headers.strip_client_supplied(req.headers_mut());
                    Flow::Continue
                }
                Outcome::Authenticated(user) => {
                    req.remove_cookie(COOKIE_NAME);
                    self.authenticated(req, *user);
                    Flow::Continue
                }
            }
        })
    }
}

impl GluuOpenIdConnect {
    /// `request_authenticated` (`docs/gluu-gateway.md#authenticated-request`): hand the token to
    /// the PEPs, set the custom headers, replay a saved request, renew the cookie.
    fn authenticated(&self, req: &mut AccessRequest, user: Authenticated) {
        let record = &user.record;
        let exp = record.claims.get("exp").and_then(Value::as_i64);
        req.extensions_mut().insert(RequestToken {
            token: record.id_token.clone(),
            data: record.claims.clone(),
            scopes: Arc::from(Vec::new()),
            exp,
        });
        req.extensions_mut()
            .insert(UserInfo(record.userinfo.clone()));
        let env: [(&str, &Value); 3] = [
            ("id_token", &record.claims),
            ("userinfo", &record.userinfo),
            ("access_token", &record.access_token),
        ];
        self.headers.apply(&env, req.headers_mut());
        if let Some(replay) = user.replay {
            req.set_method(replay.method.clone());
            let headers = req.headers_mut();
            headers.remove(CONTENT_TYPE);
            headers.remove(CONTENT_ENCODING);
            if let Some(v) = &replay.content_type {
                headers.insert(CONTENT_TYPE, v.clone());
            }
            if let Some(v) = &replay.content_encoding {
                headers.insert(CONTENT_ENCODING, v.clone());
            }
            req.set_body(replay.body.clone());
        }
        if let Some(cookie) = user.set_cookie {
            req.response_headers_mut().append(SET_COOKIE, cookie);
        }
    }
}

fn view<'a>(req: &'a AccessRequest, body: BodyInput<'a>) -> RequestView<'a> {
    RequestView {
        method: req.method(),
        path: req.path(),
        path_and_query: req.path_and_query(),
        query: req.query(),
        headers: req.headers(),
        origin: req.origin(),
        secure: req.secure(),
        body,
    }
}
