//! `gluu-oauth-auth` (`docs/gluu-gateway.md#gluu-oauth-auth-and-gluu-uma-auth`; differences from
//! GG in `docs/differences.md#gateway-plugins`): authenticates the bearer token by oxd
//! introspection or local JWT verification, maps it to a Kong consumer, shapes the upstream
//! request (`pass_credentials`, `custom_headers`, `X-Anonymous-Consumer`) and hands the token
//! to the PEP through [`crate::plugins::context`].

use std::sync::{Arc, LazyLock, OnceLock};

use futures::future::BoxFuture;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http::StatusCode;
use serde_json::Value;
use url::Url;

use super::context::{
    self, Anonymous, AuthenticatedConsumer, AuthenticatedCredential, RequestToken,
};
use super::custom_headers::{unsigned_jwt, CustomHeaders};
use super::oxd::OxdClient;
use super::schema::{oxd_client, ConfigError};
use super::{AccessRequest, Configured, Flow, Plugin, PluginEnv, PluginResponse};
use crate::cache::ExpiringCache;
use crate::clock::SharedClock;
use crate::entities::{Consumer, Consumers};
use crate::rp::jwks::{KeySet, OxdKeys};
use crate::schema::{Field, PluginSchema, Record};

pub mod jwt;

/// Plugin name in the Admin API.
pub const NAME: &str = "gluu-oauth-auth";
/// Kong priority (`docs/gluu-gateway.md#plugin-order-and-shared-context`).
pub const PRIORITY: i32 = 999;

/// `X-Anonymous-Consumer`.
pub const ANONYMOUS_HEADER: &str = "x-anonymous-consumer";

const NO_TOKEN: &str = "Failed to get bearer token from Authorization header";
const INACTIVE: &str = "Invalid access token provided in Authorization header";
const UNKNOWN_CONSUMER: &str = "Unknown consumer";
/// Tokens cached per instance at most.
const TOKEN_CACHE_SIZE: u64 = 10_000;

/// Variables of the `custom_headers` expressions.
pub const HEADER_ROOTS: &[&str] = &["introspect_data", "consumer"];

/// The bearer token of an `Authorization` value, exactly as GG extracts it: the first capture
/// of `\s*[Bb]earer\s+(.+)` searched anywhere in the value
/// (`docs/gluu-gateway.md#bearer-token-extraction`).
///
/// A byte scan, not the regex: on every proxied request the regex engine walked the whole
/// 700-byte JWT (a third of the gateway's instructions per request); the property test below
/// holds the scan to the regex's answer (Unicode `\s`, `.` stopping at a line feed,
/// backtracking when only whitespace follows).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let bytes = authorization.as_bytes();
    let mut from = 0;
    while let Some(at) = find_bearer(&bytes[from..]) {
        let after = from + at + "bearer".len();
        if let Some(token) = bearer_tail(&authorization[after..]) {
            return Some(token);
        }
        from += at + 1;
    }
    None
}

/// Offset of the first `Bearer` or `bearer` in `bytes`.
fn find_bearer(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(6)
        .position(|w| (w[0] == b'B' || w[0] == b'b') && &w[1..] == b"earer")
}

/// What `\s+(.+)` captures at the start of `tail`: after the whitespace run, everything up to
/// a line feed; when only whitespace follows, the regex backtracks and captures the run's last
/// character that is not a line feed (never the run's first, which `\s+` must keep).
fn bearer_tail(tail: &str) -> Option<&str> {
    let run = tail.len() - tail.trim_start_matches(char::is_whitespace).len();
    if run == 0 {
        return None;
    }
    let rest = &tail[run..];
    if !rest.is_empty() {
        return Some(rest.split('\n').next().unwrap_or(rest));
    }
    let first = tail.chars().next().map_or(0, char::len_utf8);
    tail[first..]
        .char_indices()
        .rev()
        .find(|&(_, c)| c != '\n')
        .map(|(i, c)| &tail[first + i..first + i + c.len_utf8()])
}

/// `pass_credentials`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassCredentials {
    /// Forward `Authorization` as received.
    Pass,
    /// Remove it.
    Hide,
    /// Replace it with an unsigned JWT of the token data.
    PhantomToken,
}

/// Why a token did not authenticate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    /// 401 with this message (may fall back to anonymous).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 401 with GG's exact body `JWT is not verified, reason: ` (byte for byte); the reason GG
    /// dropped travels in the RFC 6750 `WWW-Authenticate` challenge
    /// (`docs/differences.md#jwt-failure-reason`).
    #[error("JWT is not verified, reason: {0}")]
    NotVerified(String),
    /// 401 `Unknown consumer`.
    #[error("Unknown consumer")]
    UnknownConsumer,
    /// 502: oxd/OP failure.
    #[error("{0}")]
    Upstream(String),
}

/// Authenticated token data, cached per token.
#[derive(Debug)]
pub struct TokenData {
    /// The token itself, shared with the cache key and every request that presents it (a hit
    /// copies no token bytes).
    pub token: Arc<str>,
    /// Introspection response or JWT payload, plus `consumer` when mapped.
    pub data: Arc<Value>,
    /// The mapped consumer.
    pub consumer: Option<Arc<Consumer>>,
    /// `client_id` of the token.
    pub client_id: Option<String>,
    /// Token scopes.
    pub scopes: Arc<[String]>,
    /// `exp`.
    pub exp: Option<i64>,
    /// Custom headers, computed once per cached token.
    headers: OnceLock<Vec<(HeaderName, HeaderValue)>>,
}

/// Whether an active introspection response describes an access token: `token_type` absent
/// (not every OP sends it) or `bearer` in any case (RFC 6750).
fn is_access_token(introspection: &Value) -> bool {
    match introspection.get("token_type") {
        None | Some(Value::Null) => true,
        Some(Value::String(t)) => t.eq_ignore_ascii_case("bearer"),
        Some(_) => false,
    }
}

/// Until when a token's authentication may be served from the cache: GG's `exp - 5 s`; a
/// token without `exp` is not cached.
fn cached_until(exp: Option<i64>) -> i64 {
    exp.map_or(i64::MIN, |exp| exp.saturating_sub(5))
}

/// Effective configuration.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    anonymous: Option<String>,
    pass_credentials: PassCredentials,
    consumer_mapping: bool,
}

/// One configured `gluu-oauth-auth`.
pub struct OAuthAuth {
    config: AuthConfig,
    oxd: Arc<OxdClient>,
    /// The OP's keys, through oxd (the relying-party core's one key cache).
    keys: KeySet,
    clock: SharedClock,
    headers: CustomHeaders,
    tokens: ExpiringCache<Arc<str>, Arc<TokenData>>,
}

impl std::fmt::Debug for OAuthAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAuth")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The config schema (`docs/gluu-gateway.md#authentication-plugin-configuration`).
pub fn schema() -> &'static PluginSchema {
    static SCHEMA: LazyLock<PluginSchema> = LazyLock::new(|| {
        PluginSchema::new(
            oxd_client(Record::new())
                .field("anonymous", Field::string().default(" "))
                .field(
                    "pass_credentials",
                    Field::string()
                        .default("pass")
                        .one_of(&["pass", "hide", "phantom_token"]),
                )
                .field("consumer_mapping", Field::boolean().default(true))
                .field(
                    "custom_headers",
                    Field::array(Field::json())
                        .description("headers computed from the token data (header_name, value_lua_exp, format, sep, iterate)"),
                ),
        )
    });
    &SCHEMA
}

/// Validates the config (`docs/gluu-gateway.md#authentication-plugin-configuration`) and builds an
/// instance.
pub fn configure(config: &Value, env: &PluginEnv) -> Result<Configured, ConfigError> {
    let effective = schema().validate(config, false);
    let headers = CustomHeaders::parse(
        effective.as_ref().map_or_else(
            |_| config.get("custom_headers"),
            |e| e.get("custom_headers"),
        ),
        HEADER_ROOTS,
    );
    let effective = match (effective, headers) {
        (Ok(e), Ok(h)) => (e, h),
        (Err(a), Err(b)) => return Err(a.merge(b)),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let (effective, headers) = effective;
    let text = |name: &str| effective[name].as_str().unwrap_or_default().to_owned();
    let (oxd_id, client_id, client_secret, anonymous, pass) = (
        text("oxd_id"),
        text("client_id"),
        text("client_secret"),
        Some(text("anonymous")),
        text("pass_credentials"),
    );
    let (Ok(oxd_url), Ok(op_url)) = (Url::parse(&text("oxd_url")), Url::parse(&text("op_url")))
    else {
        return Err(ConfigError::field("@entity", "incomplete configuration"));
    };
    let consumer_mapping = effective["consumer_mapping"].as_bool().unwrap_or(true);
    let pass_credentials = match pass.as_str() {
        "hide" => PassCredentials::Hide,
        "phantom_token" => PassCredentials::PhantomToken,
        _ => PassCredentials::Pass,
    };
    let anonymous = anonymous.filter(|a| !a.trim().is_empty());
    let oxd = OxdClient::new(
        oxd_url,
        oxd_id,
        client_id,
        client_secret,
        op_url.to_string().trim_end_matches('/').to_owned(),
        env.http_timeout,
    )
    .map_err(|e| ConfigError::field("oxd_url", format!("cannot build an HTTP client: {e}")))?;
    let oxd = Arc::new(oxd);
    let keys = KeySet::new(
        Arc::new(OxdKeys::new(oxd.clone(), env.clock.clone())),
        env.clock.clone(),
        jwt::REFRESH_INTERVAL,
    );
    let plugin = OAuthAuth {
        config: AuthConfig {
            anonymous,
            pass_credentials,
            consumer_mapping,
        },
        oxd,
        keys,
        clock: env.clock.clone(),
        headers,
        tokens: ExpiringCache::new(TOKEN_CACHE_SIZE, env.clock.clone()),
    };
    Ok(Configured {
        config: effective,
        plugin: Arc::new(plugin),
    })
}

fn unauthorized(message: &str) -> Flow {
    Flow::Respond(PluginResponse::message(StatusCode::UNAUTHORIZED, message))
}

/// GG's body for a JWT that fails verification, kept byte for byte
/// (`docs/gluu-gateway.md#status-and-message-catalogue`).
pub const NOT_VERIFIED: &str = "JWT is not verified, reason: ";

/// 401 with GG's exact body; the reason goes into
/// `WWW-Authenticate: Bearer error="invalid_token", error_description="..."` (RFC 6750 §3),
/// restricted to the characters RFC 6750 allows there.
fn not_verified(reason: &str) -> Flow {
    let mut response = PluginResponse::message(StatusCode::UNAUTHORIZED, NOT_VERIFIED);
    let description: String = reason
        .chars()
        .filter(|c| matches!(c, ' ' | '!' | '#'..='[' | ']'..='~'))
        .collect();
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
    if let Ok(value) = http::HeaderValue::from_str(&challenge) {
        response
            .headers
            .insert(http::header::WWW_AUTHENTICATE, value);
    }
    Flow::Respond(response)
}

impl OAuthAuth {
    /// Introspects or verifies `token`, then maps the consumer (cache miss path).
    async fn authenticate(
        &self,
        token: Arc<str>,
        consumers: Arc<Consumers>,
    ) -> Result<Arc<TokenData>, AuthError> {
        let mut data = match jwt::header_of(&token) {
            Some(header) => {
                let (op_url, now) = (self.oxd.op_host(), self.clock.now());
                jwt::verify(&token, &header, &self.keys, op_url, now).await?
            }
            None => {
                let resp = self
                    .oxd
                    .introspect(&token)
                    .await
                    .map_err(|e| AuthError::Upstream(e.to_string()))?;
                if resp.get("active").and_then(Value::as_bool) != Some(true) {
                    return Err(AuthError::Unauthorized(INACTIVE));
                }
                // RFC 7662 lets an OP introspect refresh tokens as active too; only an access
                // token may open the API (a refresh token outlives it, and survives rotation
                // in this cache).
                if !is_access_token(&resp) {
                    return Err(AuthError::Unauthorized(INACTIVE));
                }
                resp
            }
        };
        let client_id = data
            .get("client_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let consumer = if self.config.consumer_mapping {
            let found = client_id.as_deref().and_then(|c| consumers.by_custom_id(c));
            match found {
                Some(c) => {
                    if let Value::Object(map) = &mut data {
                        map.insert(
                            "consumer".into(),
                            serde_json::to_value(&*c).unwrap_or(Value::Null),
                        );
                    }
                    Some(c)
                }
                None => return Err(AuthError::UnknownConsumer),
            }
        } else {
            None
        };
        let exp = data.get("exp").and_then(Value::as_i64);
        Ok(Arc::new(TokenData {
            token,
            scopes: context::scopes_of(&data),
            data: Arc::new(data),
            consumer,
            client_id,
            exp,
            headers: OnceLock::new(),
        }))
    }

    fn apply_headers(&self, req: &mut AccessRequest, headers: &[(HeaderName, HeaderValue)]) {
        self.headers.strip_client_supplied(req.headers_mut());
        for (name, value) in headers {
            req.headers_mut().insert(name.clone(), value.clone());
        }
    }

    fn authenticated(&self, req: &mut AccessRequest, data: Arc<TokenData>) -> Flow {
        match self.config.pass_credentials {
            PassCredentials::Pass => {}
            PassCredentials::Hide => {
                req.headers_mut().remove(AUTHORIZATION);
            }
            PassCredentials::PhantomToken => {
                let phantom = format!("Bearer {}", unsigned_jwt(&data.data));
                match HeaderValue::from_str(&phantom) {
                    Ok(v) => {
                        req.headers_mut().insert(AUTHORIZATION, v);
                    }
                    Err(_) => return Flow::Respond(PluginResponse::unexpected()),
                }
            }
        }
        let headers = data.headers.get_or_init(|| {
            let consumer = data.data.get("consumer").cloned().unwrap_or(Value::Null);
            self.headers
                .evaluate(&[("introspect_data", &data.data), ("consumer", &consumer)])
        });
        self.apply_headers(req, headers);
        if data.client_id.is_none() {
            req.headers_mut()
                .insert(ANONYMOUS_HEADER, HeaderValue::from_static("true"));
        }
        let ext = req.extensions_mut();
        if let Some(c) = &data.consumer {
            ext.insert(AuthenticatedConsumer(c.clone()));
        }
        if let Some(id) = &data.client_id {
            ext.insert(AuthenticatedCredential { id: id.clone() });
        }
        ext.insert(RequestToken {
            token: data.token.clone(),
            data: data.data.clone(),
            scopes: data.scopes.clone(),
            exp: data.exp,
        });
        Flow::Continue
    }

    /// Lets the request through without a token (`docs/gluu-gateway.md#anonymous-access`).
    fn anonymous(&self, req: &mut AccessRequest, anonymous: &str) -> Flow {
        let consumer = if self.config.consumer_mapping {
            match req.consumers().by_id_or_username(anonymous) {
                Some(c) => serde_json::to_value(&*c).unwrap_or(Value::Null),
                None => {
                    tracing::warn!(anonymous, "anonymous consumer not found");
                    return Flow::Respond(PluginResponse::unexpected());
                }
            }
        } else {
            Value::Null
        };
        if self.config.pass_credentials == PassCredentials::Hide {
            req.headers_mut().remove(AUTHORIZATION);
        }
        let data = Value::Object(serde_json::Map::new());
        let headers = self
            .headers
            .evaluate(&[("introspect_data", &data), ("consumer", &consumer)]);
        self.apply_headers(req, &headers);
        req.headers_mut()
            .insert(ANONYMOUS_HEADER, HeaderValue::from_static("true"));
        req.extensions_mut().insert(Anonymous);
        Flow::Continue
    }

    async fn run(&self, req: &mut AccessRequest) -> Flow {
        // Only this plugin says whether the request is anonymous.
        req.headers_mut().remove(ANONYMOUS_HEADER);
        let token = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token);
        let Some(token) = token else {
            return match self.config.anonymous.clone() {
                Some(a) => self.anonymous(req, &a),
                None => unauthorized(NO_TOKEN),
            };
        };
        // The hot path: a cached token is looked up by the header's own bytes.
        let result = match self.tokens.get(token).await {
            Some(data) => Ok(data),
            None => {
                let token = Arc::<str>::from(token);
                let consumers = req.consumers().clone();
                self.tokens
                    .get_or_try_insert(token.clone(), async {
                        let data = self.authenticate(token, consumers).await?;
                        let until = cached_until(data.exp);
                        Ok((data, until))
                    })
                    .await
            }
        };
        match result {
            Ok(data) => self.authenticated(req, data),
            Err(e) => match &*e {
                AuthError::Upstream(why) => {
                    tracing::warn!(error = %why, "gluu-oauth-auth: oxd failure");
                    Flow::Respond(PluginResponse::unexpected())
                }
                AuthError::UnknownConsumer => unauthorized(UNKNOWN_CONSUMER),
                other => match (self.config.anonymous.clone(), other) {
                    (Some(a), _) => self.anonymous(req, &a),
                    (None, AuthError::NotVerified(reason)) => not_verified(reason),
                    (None, other) => unauthorized(&other.to_string()),
                },
            },
        }
    }
}

impl Plugin for OAuthAuth {
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
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bearer_extraction_matches_gg() {
        let cases = [
            ("Bearer abc", Some("abc")),
            ("bearer abc", Some("abc")),
            ("BEARER abc", None),
            ("Basic x, Bearer abc", Some("abc")),
            ("Bearer   abc def ", Some("abc def ")),
            ("Bearerabc", None),
            ("Token Bearer abc", Some("abc")),
            ("xbearer abc", Some("abc")),
            ("", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("Bearer  ", Some(" ")),
            ("Bearer \n", None),
            ("Bearer \t\n", Some("\t")),
            ("Bearerx bearer y", Some("y")),
            ("Bearer a\nb", Some("a")),
            ("Bearer \nabc", Some("abc")),
            ("Bearer\u{a0}tok", Some("tok")),
        ];
        for (header, want) in cases {
            assert_eq!(bearer_token(header), want, "{header:?}");
        }
    }

    proptest::proptest! {
        /// The byte scan answers what GG's regex answers, on values built from the characters
        /// that matter to it (both cases of the keyword, ASCII and Unicode whitespace, line
        /// feeds) and on arbitrary strings.
        #[test]
        fn bearer_scan_is_the_regex(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("Bearer".to_owned()),
                    proptest::strategy::Just("bearer".to_owned()),
                    proptest::strategy::Just("earer".to_owned()),
                    "[ \t\n\u{a0}\u{2003}]{1,3}",
                    "[A-Za-z0-9._~+/=-]{0,8}",
                    ".{0,4}",
                ],
                0..8,
            )
        ) {
            let header = parts.concat();
            let regex = regex::Regex::new(r"\s*[Bb]earer\s+(.+)").unwrap();
            let want = regex.captures(&header).and_then(|c| c.get(1)).map(|m| m.as_str());
            proptest::prop_assert_eq!(bearer_token(&header), want, "{:?}", header);
        }
    }

    #[test]
    fn only_bearer_access_tokens_pass_introspection() {
        use serde_json::json;
        assert!(is_access_token(&json!({"active": true})));
        assert!(is_access_token(
            &json!({"active": true, "token_type": "bearer"})
        ));
        assert!(is_access_token(
            &json!({"active": true, "token_type": "Bearer"})
        ));
        assert!(!is_access_token(
            &json!({"active": true, "token_type": "refresh_token"})
        ));
        assert!(!is_access_token(&json!({"active": true, "token_type": 1})));
    }

    #[test]
    fn cached_until_five_seconds_before_exp() {
        assert_eq!(cached_until(None), i64::MIN);
        assert_eq!(cached_until(Some(1_000)), 995);
    }

    fn env() -> PluginEnv {
        PluginEnv::new(Duration::from_secs(1), cookie::Key::generate())
    }

    #[test]
    fn config_defaults_and_errors() {
        let ok = configure(
            &serde_json::json!({"oxd_id": "o", "oxd_url": "http://oxd", "client_id": "c", "client_secret": "s", "op_url": "https://op"}),
            &env(),
        )
        .unwrap();
        assert_eq!(ok.config["anonymous"], " ");
        assert_eq!(ok.config["pass_credentials"], "pass");
        assert_eq!(ok.config["consumer_mapping"], true);
        assert_eq!(ok.config["custom_headers"], Value::Null);
        let err = configure(
            &serde_json::json!({"oxd_url": "nope", "pass_credentials": "steal"}),
            &env(),
        )
        .unwrap_err();
        let text = err.to_string();
        for f in [
            "config.oxd_id: required field missing",
            "config.oxd_url: invalid url",
            "config.pass_credentials: expected one of",
            "config.client_secret",
        ] {
            assert!(text.contains(f), "{f} in {text}");
        }
    }
}
