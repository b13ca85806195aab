//! Proxied requests: the access token is read (Kong's `parse_access_token`: the configured
//! header as `Bearer`/`Token`, else the `access_token` parameter), looked up, judged (service,
//! `global_credentials`, expiry) and its consumer handed to later plugins and the upstream
//! (`X-Consumer-*`, `X-Credential-Identifier`, `X-Authenticated-Scope`,
//! `X-Authenticated-UserId`); without a valid token the request is refused with Kong's 401 or
//! continues as the `anonymous` consumer.

use std::sync::Arc;

use http::header::{HeaderName, HeaderValue, WWW_AUTHENTICATE};
use http::{Method, StatusCode};
use serde_json::json;

use super::params::{body_kind, BodyKind, Params};
use super::schema::Config;
use super::tokens::{Store, Token};
use crate::entities::Consumer;
use crate::plugins::context::{
    Anonymous, AuthenticatedConsumer, AuthenticatedCredential, RequestToken,
};
use crate::plugins::{AccessRequest, PluginResponse};

const CONSUMER_ID: HeaderName = HeaderName::from_static("x-consumer-id");
const CONSUMER_CUSTOM_ID: HeaderName = HeaderName::from_static("x-consumer-custom-id");
const CONSUMER_USERNAME: HeaderName = HeaderName::from_static("x-consumer-username");
const CREDENTIAL: HeaderName = HeaderName::from_static("x-credential-identifier");
const SCOPE: HeaderName = HeaderName::from_static("x-authenticated-scope");
const USERID: HeaderName = HeaderName::from_static("x-authenticated-userid");
const ANONYMOUS: HeaderName = HeaderName::from_static("x-anonymous-consumer");

/// Kong's description of an unknown, expired or misplaced token.
pub const INVALID: &str = "The access token is invalid or has expired";
/// Kong's description when no token was sent.
pub const MISSING: &str = "The access token is missing";
/// Kong's description of a global token at a plugin without `global_credentials`.
pub const GLOBAL: &str =
    "The access token is global, but the current plugin is configured without 'global_credentials'";

/// Why a request has no valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No token was sent.
    Missing,
    /// The token is unknown, expired or for another service.
    Invalid,
    /// A global token at a plugin without `global_credentials`.
    Global,
}

impl Refusal {
    /// Kong's 401: `{"error", "error_description"}` with a `WWW-Authenticate: Bearer` challenge
    /// (RFC 6750 §3).
    pub fn response(&self, config: &Config) -> PluginResponse {
        let realm = config.realm.as_deref().unwrap_or("service");
        let (error, description) = match self {
            Refusal::Missing => ("invalid_request", MISSING),
            Refusal::Invalid => ("invalid_token", INVALID),
            Refusal::Global => ("invalid_token", GLOBAL),
        };
        let challenge = match self {
            Refusal::Missing => format!("Bearer realm=\"{}\"", quoted(realm)),
            _ => format!(
                "Bearer realm=\"{}\" error=\"{error}\" error_description=\"{description}\"",
                quoted(realm)
            ),
        };
        let mut reply = super::endpoint::reply(
            StatusCode::UNAUTHORIZED,
            json!({"error": error, "error_description": description}),
            None,
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            reply.headers.insert(WWW_AUTHENTICATE, v);
        }
        reply.headers.remove(http::header::CACHE_CONTROL);
        reply.headers.remove(http::header::PRAGMA);
        reply
    }
}

fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// Where the token was found (what `hide_credentials` removes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Header,
    Param,
}

async fn parse_token(req: &mut AccessRequest, config: &Config) -> Option<(String, Found)> {
    if let Some(value) = req.headers().get(config.auth_header()) {
        let text = value.to_str().ok()?.to_owned();
        let parts: Vec<&str> = text.split_whitespace().collect();
        return match parts.as_slice() {
            [scheme, token]
                if scheme.eq_ignore_ascii_case("bearer")
                    || scheme.eq_ignore_ascii_case("token") =>
            {
                Some(((*token).to_owned(), Found::Header))
            }
            // Kong looks the whole value up, which never matches a token: an invalid token.
            _ => Some((text, Found::Header)),
        };
    }
    let params = Params::read(req).await;
    params
        .text("access_token")
        .map(|t| (t.to_owned(), Found::Param))
}

fn hide(req: &mut AccessRequest, config: &Config, found: Found) {
    match found {
        Found::Header => {
            let name = config.auth_header().to_owned();
            req.headers_mut().remove(name.as_str());
        }
        Found::Param => {
            if let Some(q) = req.query() {
                let kept: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .filter(|(k, _)| k != "access_token")
                    .collect();
                let query = (!kept.is_empty()).then(|| {
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(kept)
                        .finish()
                });
                req.set_query(query);
            }
        }
    }
}

/// The outcome for a request with a token.
fn judge(
    store: &Store,
    token: &str,
    config: &Config,
    service: Option<uuid::Uuid>,
    now: i64,
) -> Result<Arc<Token>, Refusal> {
    let Some(t) = store.by_access_token(token, now) else {
        return Err(Refusal::Invalid);
    };
    if !config.global_credentials && t.service.is_none() {
        return Err(Refusal::Global);
    }
    if t.service.is_some() && t.service != service {
        return Err(Refusal::Invalid);
    }
    if !t.valid_at(now) {
        return Err(Refusal::Invalid);
    }
    Ok(t)
}

fn set(req: &mut AccessRequest, name: &HeaderName, value: Option<&str>) {
    let headers = req.headers_mut();
    headers.remove(name);
    if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(name.clone(), v);
    }
}

fn set_consumer(req: &mut AccessRequest, consumer: Option<&Consumer>) {
    set(
        req,
        &CONSUMER_ID,
        consumer.map(|c| c.id.to_string()).as_deref(),
    );
    set(
        req,
        &CONSUMER_CUSTOM_ID,
        consumer.and_then(|c| c.custom_id.as_deref()),
    );
    set(
        req,
        &CONSUMER_USERNAME,
        consumer.and_then(|c| c.username.as_deref()),
    );
}

/// Authenticates a proxied request; `Err` is the response to send.
pub async fn authenticate(
    req: &mut AccessRequest,
    config: &Config,
    store: &Store,
    now: i64,
) -> Result<(), PluginResponse> {
    let outcome = match parse_token(req, config).await {
        None => Err(Refusal::Missing),
        Some((token, found)) => {
            if config.hide_credentials {
                hide_found(req, config, found).await;
            }
            judge(store, &token, config, req.service_id(), now).and_then(|t| {
                let consumer = req.consumers().by_id(&t.consumer.to_string());
                consumer.map(|c| (t, c)).ok_or(Refusal::Invalid)
            })
        }
    };
    match outcome {
        Ok((token, consumer)) => {
            set_consumer(req, Some(&consumer));
            set(req, &CREDENTIAL, Some(&token.client_id));
            set(req, &SCOPE, token.scope.as_deref());
            set(req, &USERID, token.authenticated_userid.as_deref());
            req.headers_mut().remove(&ANONYMOUS);
            let data = json!({
                "client_id": token.client_id,
                "scope": token.scope,
                "authenticated_userid": token.authenticated_userid,
                "exp": token.expires_at(),
                "consumer": {"id": consumer.id},
            });
            let scopes = crate::plugins::context::scopes_of(&data);
            let ext = req.extensions_mut();
            ext.insert(AuthenticatedConsumer(consumer));
            ext.insert(AuthenticatedCredential {
                id: token.client_id.clone(),
            });
            ext.insert(RequestToken {
                token: Arc::from(token.access_token.as_str()),
                data: Arc::new(data),
                scopes,
                exp: token.expires_at(),
            });
            Ok(())
        }
        Err(refusal) => match &config.anonymous {
            Some(anonymous) => {
                let Some(consumer) = req.consumers().by_id_or_username(anonymous) else {
                    tracing::error!(%anonymous, "oauth2: the anonymous consumer does not exist");
                    return Err(PluginResponse::message(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "An unexpected error occurred",
                    ));
                };
                set_consumer(req, Some(&consumer));
                set(req, &CREDENTIAL, None);
                set(req, &SCOPE, None);
                set(req, &USERID, None);
                set(req, &ANONYMOUS, Some("true"));
                let ext = req.extensions_mut();
                ext.insert(AuthenticatedConsumer(consumer));
                ext.insert(Anonymous);
                Ok(())
            }
            None => Err(refusal.response(config)),
        },
    }
}

/// `hide_credentials`: the token leaves the header or query it came in; from a form body too
/// (Kong rewrites a form body only, a JSON body goes upstream as sent).
async fn hide_found(req: &mut AccessRequest, config: &Config, found: Found) {
    hide(req, config, found);
    if found == Found::Param
        && req.method() != Method::GET
        && body_kind(req) == Some(BodyKind::Form)
    {
        if let Ok(bytes) = req.body_bytes(super::params::MAX_BODY).await {
            let kept: Vec<(String, String)> = url::form_urlencoded::parse(&bytes)
                .into_owned()
                .filter(|(k, _)| k != "access_token")
                .collect();
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish();
            req.set_body(bytes::Bytes::from(body));
        }
    }
}
