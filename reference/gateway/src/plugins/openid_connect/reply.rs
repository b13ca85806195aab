//! What the client and the upstream get: Kong's failure responses
//! (`docs/kong.md#failure-responses`) and the headers of `docs/kong.md#upstream-and-downstream-headers`.

use std::sync::Arc;

use base64::Engine;
use http::header::{HeaderName, HeaderValue, WWW_AUTHENTICATE};
use http::StatusCode;
use serde_json::Value;

use super::authenticate::Authenticated;
use super::claims;
use super::config::{Config, Headers, TokenHeader};
use crate::entities::consumer_groups::ConsumerGroup;
use crate::entities::Consumer;
use crate::plugins::{AccessRequest, PluginResponse};

/// `X-Anonymous-Consumer`.
pub const ANONYMOUS: HeaderName = HeaderName::from_static("x-anonymous-consumer");
const CONSUMER_ID: HeaderName = HeaderName::from_static("x-consumer-id");
const CONSUMER_USERNAME: HeaderName = HeaderName::from_static("x-consumer-username");
const CONSUMER_CUSTOM_ID: HeaderName = HeaderName::from_static("x-consumer-custom-id");
const CREDENTIAL: HeaderName = HeaderName::from_static("x-credential-identifier");
const AUTHENTICATED_GROUPS: HeaderName = HeaderName::from_static("x-authenticated-groups");
const CONSUMER_GROUPS: HeaderName = HeaderName::from_static("x-consumer-groups");

/// Kong's body of the 500 for IdP and discovery failures (`responses.lua`).
pub const UNEXPECTED: &str = "An unexpected error occurred";

const NO_CREDENTIALS: &str = "no credentials found";

/// Why the request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 401.
    Unauthorized {
        /// For `display_errors` and `error_description`.
        reason: String,
        /// The RFC 6750 error code, if any (none when no credential was sent, RFC 6750 §3.1).
        code: Option<&'static str>,
    },
    /// 403 (claims or consumer).
    Forbidden {
        /// For `display_errors` and `error_description`.
        reason: String,
    },
    /// 500: the IdP failed or could not be reached within `timeout`.
    Unexpected {
        /// For `display_errors` (never sent to the client otherwise).
        reason: String,
    },
}

impl Failure {
    /// No credential found.
    pub fn no_credentials() -> Self {
        Failure::Unauthorized {
            reason: NO_CREDENTIALS.into(),
            code: None,
        }
    }

    /// Whether this is [`Failure::no_credentials`]: nothing was presented, so the code flow
    /// may start.
    pub fn is_no_credentials(&self) -> bool {
        matches!(self, Failure::Unauthorized { reason, code: None } if reason == NO_CREDENTIALS)
    }

    /// A presented token or grant was refused.
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Failure::Unauthorized {
            reason: reason.into(),
            code: Some("invalid_token"),
        }
    }

    /// A presented token is invalid.
    pub fn invalid_token(reason: impl Into<String>) -> Self {
        Self::unauthorized(reason)
    }

    /// The IdP failed.
    pub fn unexpected(reason: impl Into<String>) -> Self {
        Failure::Unexpected {
            reason: reason.into(),
        }
    }
}

fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// The response for `failure` under `config`.
pub fn failure(config: &Config, failure: &Failure) -> PluginResponse {
    let (status, message, reason, code) = match failure {
        Failure::Unauthorized { reason, code } => (
            StatusCode::UNAUTHORIZED,
            config.unauthorized_error_message.as_str(),
            reason.as_str(),
            *code,
        ),
        Failure::Forbidden { reason } => (
            StatusCode::FORBIDDEN,
            config.forbidden_error_message.as_str(),
            reason.as_str(),
            Some("insufficient_scope"),
        ),
        Failure::Unexpected { reason } => {
            tracing::warn!(reason, "openid-connect: identity provider failure");
            let message = if config.display_errors {
                format!("{UNEXPECTED} ({reason})")
            } else {
                UNEXPECTED.to_owned()
            };
            return PluginResponse::message(StatusCode::INTERNAL_SERVER_ERROR, &message);
        }
    };
    // The client sees only the message (unless display_errors); the operator's log says why,
    // as Kong's error.log does.
    tracing::info!(%status, reason, "openid-connect: request refused");
    let body = if config.display_errors {
        format!("{message} ({reason})")
    } else {
        message.to_owned()
    };
    let mut response = PluginResponse::message(status, &body);
    let mut challenge = format!("Bearer realm=\"{}\"", quoted(config.realm()));
    if config.expose_error_code {
        if let Some(code) = code {
            challenge.push_str(&format!(", error=\"{code}\""));
            if config.display_errors {
                challenge.push_str(&format!(", error_description=\"{}\"", quoted(reason)));
            }
        }
    }
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers.insert(WWW_AUTHENTICATE, v);
    }
    response
}

/// Removes client-supplied copies of the identity headers only the gateway may set.
pub fn strip_identity_headers(req: &mut AccessRequest) {
    let headers = req.headers_mut();
    let identity = [
        &ANONYMOUS,
        &CONSUMER_ID,
        &CONSUMER_USERNAME,
        &CONSUMER_CUSTOM_ID,
        &CREDENTIAL,
        &AUTHENTICATED_GROUPS,
        &CONSUMER_GROUPS,
    ];
    // A request seldom carries any: one pass over its few names (compared, not hashed)
    // spares seven hashed removals that find nothing.
    if !headers.keys().any(|k| identity.contains(&k)) {
        return;
    }
    for h in identity {
        headers.remove(h);
    }
}

fn set(headers: &mut http::HeaderMap, name: &HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name.clone(), v);
    }
}

/// `X-Consumer-ID`, `-Username`, `-Custom-ID`.
pub fn set_consumer(req: &mut AccessRequest, consumer: &Consumer) {
    let headers = req.headers_mut();
    set(headers, &CONSUMER_ID, &consumer.id.to_string());
    if let Some(u) = &consumer.username {
        set(headers, &CONSUMER_USERNAME, u);
    }
    if let Some(c) = &consumer.custom_id {
        set(headers, &CONSUMER_CUSTOM_ID, c);
    }
}

fn token(headers: &mut http::HeaderMap, at: &Option<TokenHeader>, value: Option<&str>) {
    let (Some(h), Some(value)) = (at, value) else {
        return;
    };
    let value = match &h.prefix {
        Some(p) => format!("{p} {value}"),
        None => value.to_owned(),
    };
    set(headers, &h.name, &value);
}

fn base64_json(value: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(value.to_string())
}

/// Whether `value` is `<prefix> <token>` (or `<token>` without a prefix).
fn carries(value: &HeaderValue, prefix: Option<&str>, token: &str) -> bool {
    let bytes = value.as_bytes();
    match prefix {
        None => bytes == token.as_bytes(),
        Some(p) => {
            bytes.len() == p.len() + 1 + token.len()
                && bytes[..p.len()] == *p.as_bytes()
                && bytes[p.len()] == b' '
                && bytes[p.len() + 1..] == *token.as_bytes()
        }
    }
}

/// `hidden`: the lone credential header `hide_credentials` took off the request, if any.
fn apply(
    headers: &mut http::HeaderMap,
    config: &Headers,
    auth: &Authenticated,
    hidden: Option<&(HeaderName, HeaderValue)>,
) {
    // The usual bearer request already carries `Authorization: Bearer <token>` exactly as it
    // goes upstream (or carried it, until `hide_credentials` took it off): that field is kept
    // rather than formatted and copied again.
    let access_token = &auth.tokens.access_token;
    let kept = config.access_token.as_ref().and_then(|h| {
        let mut values = headers.get_all(&h.name).iter();
        let only = match values.next() {
            Some(v) => v.clone(),
            None => hidden.filter(|(name, _)| *name == h.name)?.1.clone(),
        };
        if values.next().is_some() {
            return None;
        }
        carries(&only, h.prefix.as_deref(), access_token).then_some(only)
    });
    for name in config.names() {
        headers.remove(name);
    }
    match (kept, &config.access_token) {
        (Some(value), Some(h)) => {
            headers.insert(h.name.clone(), value);
        }
        _ => token(headers, &config.access_token, Some(access_token)),
    }
    token(headers, &config.id_token, auth.tokens.id_token.as_deref());
    token(
        headers,
        &config.refresh_token,
        auth.tokens.refresh_token.as_deref(),
    );
    let introspection = auth.introspection.as_deref().map(base64_json);
    token(headers, &config.introspection, introspection.as_deref());
    let userinfo = auth.userinfo.as_deref().map(base64_json);
    token(headers, &config.user_info, userinfo.as_deref());
    token(
        headers,
        &config.session_id,
        auth.session.as_ref().map(|s| s.id.as_str()),
    );
    let id_claims = auth
        .tokens
        .id_token
        .as_deref()
        .and_then(|t| crate::rp::jwt::unverified_claims(t).ok());
    for mapping in &config.claims {
        let value = claims::lookup(&auth.claims, &mapping.path)
            .or_else(|| {
                id_claims
                    .as_ref()
                    .and_then(|c| claims::lookup(c, &mapping.path))
            })
            .or_else(|| {
                auth.userinfo
                    .as_deref()
                    .and_then(Value::as_object)
                    .and_then(|c| claims::lookup(c, &mapping.path))
            });
        if let Some(v) = value {
            set(headers, &mapping.header, &claims::header_value(v));
        }
    }
}

/// The upstream request's headers.
pub fn upstream(
    req: &mut AccessRequest,
    config: &Config,
    auth: &Authenticated,
    consumer: Option<&Consumer>,
    hidden: Option<&(HeaderName, HeaderValue)>,
    credential: Option<&str>,
) {
    apply(req.headers_mut(), &config.upstream, auth, hidden);
    if let Some(c) = consumer {
        set_consumer(req, c);
    }
    let headers = req.headers_mut();
    if let Some(id) = credential {
        set(headers, &CREDENTIAL, id);
    }
    if let Some(path) = &config.authenticated_groups_claim {
        if let Some(v) = claims::lookup(&auth.claims, path) {
            let groups = claims::values(v);
            if !groups.is_empty() {
                set(headers, &AUTHENTICATED_GROUPS, &groups.join(", "));
                req.extensions_mut()
                    .insert(crate::plugins::context::AuthenticatedGroups(groups.into()));
            }
        }
    }
}

/// `X-Consumer-Groups`: the consumer groups `consumer_groups_claim` mapped the request to.
pub fn set_consumer_groups(req: &mut AccessRequest, groups: &[Arc<ConsumerGroup>]) {
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    set(req.headers_mut(), &CONSUMER_GROUPS, &names.join(", "));
}

/// The response's headers.
pub fn downstream(req: &mut AccessRequest, config: &Config, auth: &Authenticated) {
    apply(req.response_headers_mut(), &config.downstream, auth, None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(extra: Value) -> Config {
        let mut v = json!({"issuer": "http://keycloak.example:8080/realms/master"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Config::from_value(&v).unwrap().0
    }

    fn text(r: &PluginResponse) -> (u16, String, String) {
        (
            r.status.as_u16(),
            String::from_utf8_lossy(&r.body).into_owned(),
            r.headers
                .get(WWW_AUTHENTICATE)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn kong_bodies_and_challenges() {
        let c = config(json!({}));
        assert_eq!(
            text(&failure(&c, &Failure::no_credentials())),
            (
                401,
                r#"{"message":"Unauthorized"}"#.into(),
                r#"Bearer realm="keycloak.example""#.into()
            )
        );
        assert_eq!(
            text(&failure(&c, &Failure::invalid_token("token expired"))),
            (
                401,
                r#"{"message":"Unauthorized"}"#.into(),
                r#"Bearer realm="keycloak.example", error="invalid_token""#.into()
            )
        );
        assert_eq!(
            text(&failure(
                &c,
                &Failure::Forbidden {
                    reason: "scopes required".into()
                }
            )),
            (
                403,
                r#"{"message":"Forbidden"}"#.into(),
                r#"Bearer realm="keycloak.example", error="insufficient_scope""#.into()
            )
        );
        assert_eq!(
            text(&failure(&c, &Failure::unexpected("connection refused"))),
            (
                500,
                r#"{"message":"An unexpected error occurred"}"#.into(),
                String::new()
            )
        );
    }

    #[test]
    fn display_errors_custom_messages_and_no_error_code() {
        let c = config(json!({"display_errors": true, "unauthorized_error_message": "Go away"}));
        let (_, body, challenge) = text(&failure(&c, &Failure::invalid_token("token \"expired\"")));
        assert_eq!(body, r#"{"message":"Go away (token \"expired\")"}"#);
        assert_eq!(
            challenge,
            r#"Bearer realm="keycloak.example", error="invalid_token", error_description="token expired""#
        );
        let (_, body, _) = text(&failure(&c, &Failure::unexpected("timed out")));
        assert_eq!(
            body,
            r#"{"message":"An unexpected error occurred (timed out)"}"#
        );
        let quiet = config(json!({"expose_error_code": false}));
        let (_, _, challenge) = text(&failure(&quiet, &Failure::invalid_token("x")));
        assert_eq!(challenge, r#"Bearer realm="keycloak.example""#);
    }

    #[test]
    fn the_upstream_authorization_is_exactly_bearer_and_the_token_whatever_the_client_sent() {
        let c = config(json!({}));
        let auth = Authenticated::new(
            "bearer",
            super::super::Tokens {
                access_token: "T0k".into(),
                expires_at: None,
                refresh_token: None,
                id_token: None,
                scope: None,
            },
            serde_json::Map::new(),
        );
        let upstream_of = |sent: &[&str]| {
            let mut headers = http::HeaderMap::new();
            for v in sent {
                headers.append("authorization", HeaderValue::from_str(v).unwrap());
            }
            apply(&mut headers, &c.upstream, &auth, None);
            headers
                .get_all("authorization")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        // Kept as sent, re-spelled, or replaced; always one field.
        assert_eq!(upstream_of(&["Bearer T0k"]), ["Bearer T0k"]);
        assert_eq!(upstream_of(&["bearer T0k"]), ["Bearer T0k"]);
        assert_eq!(upstream_of(&["Bearer other"]), ["Bearer T0k"]);
        assert_eq!(upstream_of(&["Bearer T0k", "Bearer T0k"]), ["Bearer T0k"]);
        assert_eq!(upstream_of(&[]), ["Bearer T0k"]);
        assert_eq!(upstream_of(&["Bearer T0kX"]), ["Bearer T0k"]);
        // The field `hide_credentials` took off is reused when it is the upstream one as is.
        let after_hiding = |name: &'static str, value: &'static str| {
            let mut headers = http::HeaderMap::new();
            let hidden = (
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
            apply(&mut headers, &c.upstream, &auth, Some(&hidden));
            let sent: Vec<_> = headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            sent
        };
        let authorization =
            |v: &'static str| vec![(http::header::AUTHORIZATION, HeaderValue::from_static(v))];
        assert_eq!(
            after_hiding("authorization", "Bearer T0k"),
            authorization("Bearer T0k")
        );
        assert_eq!(
            after_hiding("authorization", "bearer T0k"),
            authorization("Bearer T0k")
        );
        assert_eq!(
            after_hiding("authorization", "Bearer other"),
            authorization("Bearer T0k")
        );
        assert_eq!(
            after_hiding("x-token", "Bearer T0k"),
            authorization("Bearer T0k")
        );
    }

    /// Each identity header a client sends is dropped (every copy of it), alone or among others,
    /// and the request's other headers stay.
    #[test]
    fn client_supplied_identity_headers_are_stripped() {
        let names = [
            "x-anonymous-consumer",
            "x-consumer-id",
            "x-consumer-username",
            "x-consumer-custom-id",
            "x-credential-identifier",
            "x-authenticated-groups",
            "x-consumer-groups",
        ];
        let stripped = |sent: &[&'static str]| {
            let mut headers = http::HeaderMap::new();
            headers.insert("authorization", HeaderValue::from_static("Bearer t"));
            for name in sent {
                headers.append(*name, HeaderValue::from_static("forged"));
                headers.append(*name, HeaderValue::from_static("again"));
            }
            let mut req = AccessRequest::new(
                http::Method::GET,
                "/".into(),
                "/".into(),
                headers,
                axum::body::Body::empty(),
                "127.0.0.1:1".parse().unwrap(),
                false,
                Arc::new(crate::entities::Entities::default()),
            );
            strip_identity_headers(&mut req);
            let left: Vec<String> = req.headers().keys().map(|k| k.to_string()).collect();
            left
        };
        for name in names {
            assert_eq!(stripped(&[name]), ["authorization"], "{name}");
        }
        assert_eq!(stripped(&names), ["authorization"]);
        assert_eq!(stripped(&[]), ["authorization"]);
    }
}
