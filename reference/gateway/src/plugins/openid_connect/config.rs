//! The plugin's configuration as the plugin reads it: the typed view of a config that the
//! declared schema ([`super::schema`], Kong 3.x names and defaults, `docs/kong.md`) accepted.
//! Validation, defaults and `GET /schemas/plugins/openid-connect` all come from that one
//! declaration; this module only turns the effective JSON into types.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::schema::{header_name, schema, split_token_header, DOWNSTREAM_FIELDS, UPSTREAM_FIELDS};
use crate::plugins::schema::ConfigError;

pub use super::schema::AUTH_METHODS;

/// Where a credential may be looked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParamTypes {
    /// Headers.
    pub header: bool,
    /// The query string.
    pub query: bool,
    /// A form or JSON body.
    pub body: bool,
    /// A cookie (bearer only).
    pub cookie: bool,
}

impl ParamTypes {
    fn from(values: &[String]) -> Self {
        let has = |n: &str| values.iter().any(|v| v == n);
        Self {
            header: has("header"),
            query: has("query"),
            body: has("body"),
            cookie: has("cookie"),
        }
    }
}

/// A claim path: keys walked into nested objects.
pub type ClaimPath = Vec<String>;

/// One `*_claim` / `*_required` pair.
#[derive(Debug, Clone)]
pub struct ClaimRule {
    /// Which rule, for error messages (`scopes`, `audience`, `groups`, `roles`).
    pub name: &'static str,
    /// The claim path.
    pub claim: ClaimPath,
    /// Alternatives (OR), each a set of values that must all be present (AND).
    pub required: Vec<Vec<String>>,
}

/// `upstream_headers` / `downstream_headers`: a claim path sent as a header.
#[derive(Debug, Clone)]
pub struct ClaimHeader {
    /// The header name.
    pub header: http::HeaderName,
    /// The claim path.
    pub path: ClaimPath,
}

/// Where a token goes (`upstream_*_header`, `downstream_*_header`): `name[:prefix]`.
#[derive(Debug, Clone)]
pub struct TokenHeader {
    /// The header name (`_` sent as `-`, as nginx-fronted clients would have to send it).
    pub name: http::HeaderName,
    /// A prefix such as `Bearer`.
    pub prefix: Option<String>,
}

/// The headers one direction gets.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    /// `*_access_token_header`.
    pub access_token: Option<TokenHeader>,
    /// `*_id_token_header`.
    pub id_token: Option<TokenHeader>,
    /// `*_refresh_token_header`.
    pub refresh_token: Option<TokenHeader>,
    /// `*_introspection_header` (base64 JSON).
    pub introspection: Option<TokenHeader>,
    /// `*_introspection_jwt_header`.
    pub introspection_jwt: Option<TokenHeader>,
    /// `*_user_info_header` (base64 JSON).
    pub user_info: Option<TokenHeader>,
    /// `*_user_info_jwt_header`.
    pub user_info_jwt: Option<TokenHeader>,
    /// `*_session_id_header`.
    pub session_id: Option<TokenHeader>,
    /// `*_headers` claim mapping.
    pub claims: Vec<ClaimHeader>,
}

impl Headers {
    /// Every header name this direction may set (client copies are removed first).
    pub fn names(&self) -> impl Iterator<Item = &http::HeaderName> {
        [
            &self.access_token,
            &self.id_token,
            &self.refresh_token,
            &self.introspection,
            &self.introspection_jwt,
            &self.user_info,
            &self.user_info_jwt,
            &self.session_id,
        ]
        .into_iter()
        .flatten()
        .map(|h| &h.name)
        .chain(self.claims.iter().map(|c| &c.header))
    }
}

/// Session cookie settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// `session_secret` (else the gateway's session key).
    pub secret: Option<String>,
    /// `session_cookie_name`.
    pub cookie_name: String,
    /// `session_cookie_path`.
    pub cookie_path: String,
    /// `session_cookie_domain`.
    pub cookie_domain: Option<String>,
    /// `session_cookie_same_site`.
    pub same_site: String,
    /// `session_cookie_http_only`.
    pub http_only: bool,
    /// `session_cookie_secure` (None: on https).
    pub secure: Option<bool>,
    /// `session_idling_timeout` (0 = none).
    pub idling_timeout: i64,
    /// `session_rolling_timeout` (0 = none).
    pub rolling_timeout: i64,
    /// `session_absolute_timeout` (0 = none).
    pub absolute_timeout: i64,
    /// Storage, `remember`, binding, headers, `reverify` (`session_config.rs`).
    pub options: super::session_config::SessionOptions,
}

/// The effective configuration; each field is Kong's `config.<field>` of the same name
/// (`docs/kong.md`), `timeout_ms` being `timeout` and the claim pairs gathered in `claim_rules`.
#[allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct Config {
    pub issuer: Url,
    pub rediscovery_lifetime: i64,
    pub issuers_allowed: Vec<String>,
    pub extra_jwks_uris: Vec<Url>,
    pub jwks_endpoint: Option<Url>,
    pub token_endpoint: Option<Url>,
    pub introspection_endpoint: Option<Url>,
    pub userinfo_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub client_id: Vec<String>,
    pub client_secret: Vec<String>,
    pub client_arg: String,
    pub client_auth: Vec<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub introspection_endpoint_auth_method: Option<String>,
    pub revocation_endpoint_auth_method: Option<String>,
    pub timeout_ms: u64,
    pub auth_methods: Vec<String>,
    pub scopes: Vec<String>,
    pub bearer_token_param_type: ParamTypes,
    pub bearer_token_cookie_name: Option<String>,
    pub client_credentials_param_type: ParamTypes,
    pub password_param_type: ParamTypes,
    pub refresh_token_param_type: ParamTypes,
    pub refresh_token_param_name: Option<String>,
    pub id_token_param_type: ParamTypes,
    pub id_token_param_name: Option<String>,
    pub hide_credentials: bool,
    pub cache_tokens: bool,
    pub cache_tokens_salt: Option<String>,
    pub token_cache_key_include_scope: bool,
    pub verify_signature: bool,
    pub verify_claims: bool,
    pub leeway: i64,
    pub enable_hs_signatures: bool,
    pub ignore_signature: Vec<String>,
    pub introspection_check_active: bool,
    pub introspect_jwt_tokens: bool,
    pub introspection_hint: String,
    pub introspection_token_param_name: String,
    pub cache_introspection: bool,
    pub cache_user_info: bool,
    pub cache_ttl: i64,
    pub cache_ttl_min: Option<i64>,
    pub cache_ttl_max: Option<i64>,
    pub cache_ttl_neg: Option<i64>,
    pub claim_rules: Vec<ClaimRule>,
    pub consumer_claims: Vec<ClaimPath>,
    pub consumer_by: Vec<String>,
    pub by_username_ignore_case: bool,
    pub consumer_optional: bool,
    pub credential_claim: ClaimPath,
    pub anonymous: Option<String>,
    pub consumer_groups_claim: Option<ClaimPath>,
    pub consumer_groups_optional: bool,
    pub authenticated_groups_claim: Option<ClaimPath>,
    pub upstream: Headers,
    pub downstream: Headers,
    pub disable_session: Vec<String>,
    pub session: SessionConfig,
    pub expose_error_code: bool,
    pub display_errors: bool,
    pub unauthorized_error_message: String,
    pub forbidden_error_message: String,
    pub run_on_preflight: bool,
    pub unauthorized_destroy_session: bool,
    pub forbidden_destroy_session: bool,
    pub refresh_tokens: bool,
    /// The code flow, login and logout fields (`browser_config`).
    pub browser: super::browser_config::BrowserConfig,
    /// `client_jwk` and `client_alg` (`client_keys`).
    pub client_keys: super::client_keys::ClientKeys,
    /// `cluster_cache_strategy`, `cluster_cache_items`, `cluster_cache_redis`
    /// (`cluster_cache_config`).
    pub cluster_cache: super::cluster_cache_config::ClusterCacheOptions,
}

impl Config {
    /// Whether `method` is in `auth_methods`.
    pub fn allows(&self, method: &str) -> bool {
        self.auth_methods.iter().any(|m| m == method)
    }

    /// The `WWW-Authenticate` realm: the issuer's host.
    pub fn realm(&self) -> &str {
        self.issuer.host_str().unwrap_or("kong")
    }
}

/// A config exactly as the schema's effective JSON has it, less the `upstream_*` /
/// `downstream_*` header fields (read by [`headers`]). The schema guarantees every field's type
/// and constraints, so deserializing cannot fail on an accepted config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    issuer: String,
    rediscovery_lifetime: f64,
    issuers_allowed: Option<Vec<String>>,
    extra_jwks_uris: Option<Vec<String>>,
    jwks_endpoint: Option<String>,
    token_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    client_id: Option<Vec<String>>,
    client_secret: Option<Vec<String>>,
    client_arg: String,
    client_auth: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    introspection_endpoint_auth_method: Option<String>,
    revocation_endpoint_auth_method: Option<String>,
    timeout: f64,
    auth_methods: Vec<String>,
    scopes: Vec<String>,
    bearer_token_param_type: Vec<String>,
    bearer_token_cookie_name: Option<String>,
    client_credentials_param_type: Vec<String>,
    password_param_type: Vec<String>,
    refresh_token_param_type: Vec<String>,
    refresh_token_param_name: Option<String>,
    id_token_param_type: Vec<String>,
    id_token_param_name: Option<String>,
    hide_credentials: bool,
    cache_tokens: bool,
    cache_tokens_salt: Option<String>,
    token_cache_key_include_scope: bool,
    verify_signature: bool,
    verify_claims: bool,
    leeway: f64,
    enable_hs_signatures: bool,
    ignore_signature: Vec<String>,
    introspection_check_active: bool,
    introspect_jwt_tokens: bool,
    introspection_hint: String,
    introspection_token_param_name: String,
    cache_introspection: bool,
    cache_user_info: bool,
    cache_ttl: f64,
    cache_ttl_min: Option<f64>,
    cache_ttl_max: Option<f64>,
    cache_ttl_neg: Option<f64>,
    scopes_claim: Vec<String>,
    scopes_required: Option<Vec<String>>,
    audience_claim: Vec<String>,
    audience_required: Option<Vec<String>>,
    groups_claim: Vec<String>,
    groups_required: Option<Vec<String>>,
    roles_claim: Vec<String>,
    roles_required: Option<Vec<String>>,
    consumer_claims: Option<Vec<Vec<String>>>,
    consumer_claim: Option<Vec<String>>,
    consumer_by: Vec<String>,
    by_username_ignore_case: bool,
    consumer_optional: bool,
    credential_claim: Vec<String>,
    anonymous: Option<String>,
    consumer_groups_claim: Option<Vec<String>>,
    consumer_groups_optional: bool,
    authenticated_groups_claim: Option<Vec<String>>,
    disable_session: Option<Vec<String>>,
    session_secret: Option<String>,
    session_cookie_name: String,
    session_cookie_path: String,
    session_cookie_domain: Option<String>,
    session_cookie_same_site: String,
    session_cookie_http_only: bool,
    session_cookie_secure: Option<bool>,
    session_idling_timeout: f64,
    session_rolling_timeout: f64,
    session_absolute_timeout: f64,
    expose_error_code: bool,
    display_errors: bool,
    unauthorized_error_message: String,
    forbidden_error_message: String,
    run_on_preflight: bool,
    unauthorized_destroy_session: bool,
    forbidden_destroy_session: bool,
    refresh_tokens: bool,
}

/// A `name[:prefix]` header value; empty or absent: no header.
fn token_header(value: Option<&Value>) -> Option<TokenHeader> {
    let value = value?.as_str().filter(|v| !v.is_empty())?;
    let (header, prefix) = split_token_header(value);
    let prefix = prefix.map(|p| {
        // `authorization:bearer` sends `Bearer <token>`: the scheme in its usual casing.
        let mut c = p.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    });
    Some(TokenHeader {
        name: header_name(header)?,
        prefix,
    })
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// One direction's headers from the effective `{direction}_*` fields (`upstream_headers` as
/// `{header, path}` records, then the older parallel `_headers_claims` / `_headers_names`).
fn headers(fields: &serde_json::Map<String, Value>, names: &[&str; 11]) -> Headers {
    let h = |i: usize| token_header(fields.get(names[i]));
    let mut claims: Vec<ClaimHeader> = fields
        .get(names[8])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some(ClaimHeader {
                header: header_name(item.get("header")?.as_str()?)?,
                path: string_list(item.get("path")),
            })
        })
        .collect();
    let older = string_list(fields.get(names[9]));
    let older_names = string_list(fields.get(names[10]));
    claims.extend(
        older
            .into_iter()
            .zip(older_names)
            .filter_map(|(claim, header)| {
                Some(ClaimHeader {
                    header: header_name(&header)?,
                    path: vec![claim],
                })
            }),
    );
    Headers {
        access_token: h(0),
        id_token: h(1),
        refresh_token: h(2),
        introspection: h(3),
        introspection_jwt: h(4),
        user_info: h(5),
        user_info_jwt: h(6),
        session_id: h(7),
        claims,
    }
}

fn claim_rule(
    name: &'static str,
    claim: Vec<String>,
    required: Option<Vec<String>>,
) -> Option<ClaimRule> {
    let required: Vec<Vec<String>> = required?
        .iter()
        .map(|alt| alt.split_whitespace().map(str::to_owned).collect())
        .filter(|alt: &Vec<String>| !alt.is_empty())
        .collect();
    (!required.is_empty()).then_some(ClaimRule {
        name,
        claim,
        required,
    })
}

fn url(s: &str) -> Result<Url, ConfigError> {
    Url::parse(s).map_err(|e| ConfigError::field("@entity", format!("invalid url: {e}")))
}

fn optional_url(s: Option<String>) -> Result<Option<Url>, ConfigError> {
    s.as_deref().map(url).transpose()
}

/// Whole seconds of a schema number (fractions are dropped, as Kong's timers use seconds).
fn secs(n: f64) -> i64 {
    n as i64
}

impl Config {
    /// Validates a plugin `config` against the declared schema; returns it with the effective
    /// (defaults-filled) JSON the Admin API shows.
    pub fn from_value(value: &Value) -> Result<(Config, Value), ConfigError> {
        let effective = schema().validate(value, false)?;
        let mut fields = effective.as_object().cloned().unwrap_or_default();
        let mut header_fields = serde_json::Map::new();
        for name in UPSTREAM_FIELDS.iter().chain(&DOWNSTREAM_FIELDS) {
            if let Some(v) = fields.remove(*name) {
                header_fields.insert((*name).to_owned(), v);
            }
        }
        let browser = super::browser_config::BrowserConfig::take(&mut fields)?;
        let session_options = super::session_config::SessionOptions::take(&mut fields)?;
        let client_keys = super::client_keys::ClientKeys::take(&mut fields)?;
        let cluster_cache = super::cluster_cache_config::ClusterCacheOptions::take(&mut fields)?;
        let raw: Raw = serde_json::from_value(Value::Object(fields)).map_err(|e| {
            ConfigError::field("@entity", format!("configuration not understood: {e}"))
        })?;
        let upstream = headers(&header_fields, &UPSTREAM_FIELDS);
        let downstream = headers(&header_fields, &DOWNSTREAM_FIELDS);
        let mut consumer_claims = raw.consumer_claims.unwrap_or_default();
        consumer_claims.extend(raw.consumer_claim.filter(|c| !c.is_empty()));
        let config = Config {
            issuer: url(&raw.issuer)?,
            rediscovery_lifetime: secs(raw.rediscovery_lifetime),
            issuers_allowed: raw.issuers_allowed.unwrap_or_default(),
            extra_jwks_uris: raw
                .extra_jwks_uris
                .unwrap_or_default()
                .iter()
                .map(|u| url(u))
                .collect::<Result<_, _>>()?,
            jwks_endpoint: optional_url(raw.jwks_endpoint)?,
            token_endpoint: optional_url(raw.token_endpoint)?,
            introspection_endpoint: optional_url(raw.introspection_endpoint)?,
            userinfo_endpoint: optional_url(raw.userinfo_endpoint)?,
            revocation_endpoint: optional_url(raw.revocation_endpoint)?,
            client_id: raw.client_id.unwrap_or_default(),
            client_secret: raw.client_secret.unwrap_or_default(),
            client_arg: raw.client_arg,
            client_auth: raw.client_auth.unwrap_or_default(),
            token_endpoint_auth_method: raw.token_endpoint_auth_method,
            introspection_endpoint_auth_method: raw.introspection_endpoint_auth_method,
            revocation_endpoint_auth_method: raw.revocation_endpoint_auth_method,
            timeout_ms: raw.timeout as u64,
            auth_methods: raw.auth_methods,
            scopes: raw.scopes,
            bearer_token_param_type: ParamTypes::from(&raw.bearer_token_param_type),
            bearer_token_cookie_name: raw.bearer_token_cookie_name,
            client_credentials_param_type: ParamTypes::from(&raw.client_credentials_param_type),
            password_param_type: ParamTypes::from(&raw.password_param_type),
            refresh_token_param_type: ParamTypes::from(&raw.refresh_token_param_type),
            refresh_token_param_name: raw.refresh_token_param_name,
            id_token_param_type: ParamTypes::from(&raw.id_token_param_type),
            id_token_param_name: raw.id_token_param_name,
            hide_credentials: raw.hide_credentials,
            cache_tokens: raw.cache_tokens,
            cache_tokens_salt: raw.cache_tokens_salt,
            token_cache_key_include_scope: raw.token_cache_key_include_scope,
            verify_signature: raw.verify_signature,
            verify_claims: raw.verify_claims,
            leeway: secs(raw.leeway),
            enable_hs_signatures: raw.enable_hs_signatures,
            ignore_signature: raw.ignore_signature,
            introspection_check_active: raw.introspection_check_active,
            introspect_jwt_tokens: raw.introspect_jwt_tokens,
            introspection_hint: raw.introspection_hint,
            introspection_token_param_name: raw.introspection_token_param_name,
            cache_introspection: raw.cache_introspection,
            cache_user_info: raw.cache_user_info,
            cache_ttl: secs(raw.cache_ttl),
            cache_ttl_min: raw.cache_ttl_min.map(secs),
            cache_ttl_max: raw.cache_ttl_max.map(secs),
            cache_ttl_neg: raw.cache_ttl_neg.map(secs),
            claim_rules: [
                claim_rule("scopes", raw.scopes_claim, raw.scopes_required),
                claim_rule("audience", raw.audience_claim, raw.audience_required),
                claim_rule("groups", raw.groups_claim, raw.groups_required),
                claim_rule("roles", raw.roles_claim, raw.roles_required),
            ]
            .into_iter()
            .flatten()
            .collect(),
            consumer_claims,
            consumer_by: raw.consumer_by,
            by_username_ignore_case: raw.by_username_ignore_case,
            consumer_optional: raw.consumer_optional,
            credential_claim: raw.credential_claim,
            anonymous: raw.anonymous.filter(|a| !a.is_empty()),
            consumer_groups_claim: raw.consumer_groups_claim.filter(|c| !c.is_empty()),
            consumer_groups_optional: raw.consumer_groups_optional,
            authenticated_groups_claim: raw.authenticated_groups_claim.filter(|c| !c.is_empty()),
            upstream,
            downstream,
            disable_session: raw.disable_session.unwrap_or_default(),
            session: SessionConfig {
                secret: raw.session_secret,
                cookie_name: raw.session_cookie_name,
                cookie_path: raw.session_cookie_path,
                cookie_domain: raw.session_cookie_domain,
                same_site: raw.session_cookie_same_site,
                http_only: raw.session_cookie_http_only,
                secure: raw.session_cookie_secure,
                idling_timeout: secs(raw.session_idling_timeout),
                rolling_timeout: secs(raw.session_rolling_timeout),
                absolute_timeout: secs(raw.session_absolute_timeout),
                options: session_options,
            },
            expose_error_code: raw.expose_error_code,
            display_errors: raw.display_errors,
            unauthorized_error_message: raw.unauthorized_error_message,
            forbidden_error_message: raw.forbidden_error_message,
            run_on_preflight: raw.run_on_preflight,
            unauthorized_destroy_session: raw.unauthorized_destroy_session,
            forbidden_destroy_session: raw.forbidden_destroy_session,
            refresh_tokens: raw.refresh_tokens,
            browser,
            client_keys,
            cluster_cache,
        };
        Ok((config, effective))
    }

    /// The clamped cache lifetime for an object that expires at `exp` (if known), from `now`.
    pub fn cache_until(&self, now: i64, exp: Option<i64>) -> i64 {
        let mut ttl = match exp {
            Some(exp) => exp.saturating_sub(now),
            None => self.cache_ttl,
        };
        if let Some(min) = self.cache_ttl_min {
            ttl = ttl.max(min);
        }
        if let Some(max) = self.cache_ttl_max {
            ttl = ttl.min(max);
        }
        let until = now.saturating_add(ttl);
        // A clamp may raise the TTL, never past the token's own expiry.
        match exp {
            Some(exp) => until.min(exp),
            None => until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(err: ConfigError) -> Vec<String> {
        match err {
            ConfigError::Invalid(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_are_kongs() {
        let (c, eff) =
            Config::from_value(&json!({"issuer": "http://kc:8080/realms/master"})).unwrap();
        assert_eq!(c.auth_methods.len(), 9);
        assert_eq!(eff["auth_methods"][0], "session");
        assert_eq!(eff["upstream_access_token_header"], "authorization:bearer");
        assert_eq!(
            c.upstream.access_token.as_ref().unwrap().prefix.as_deref(),
            Some("Bearer")
        );
        assert_eq!(eff["session_cookie_name"], "session");
        assert_eq!(eff["rediscovery_lifetime"], 30);
        assert_eq!(eff["timeout"], 10000);
        assert_eq!(eff["consumer_by"], json!(["custom_id", "username"]));
        assert_eq!(eff["credential_claim"], json!(["sub"]));
        assert_eq!(eff["scopes_claim"], json!(["scope"]));
        assert_eq!(c.realm(), "kc");
        assert!(c.claim_rules.is_empty());
    }

    #[test]
    fn every_wrong_field_is_named() {
        let err = Config::from_value(&json!({
            "issuer": "not a url",
            "auth_methods": ["bearer", "magic"],
            "timeout": "soon",
            "ssl_verify": false,
            "upstream_headers": [{"header": "X-User"}],
            "upstream_id_token_header": "bad header:bearer",
            "session_cookie_name": "a;b",
            "groups_required": "employee",
        }))
        .unwrap_err();
        let f = fields(err);
        for name in [
            "issuer",
            "auth_methods.2",
            "timeout",
            "ssl_verify",
            "upstream_headers.1.path",
            "upstream_id_token_header",
            "session_cookie_name",
            "groups_required",
        ] {
            assert!(f.iter().any(|x| x == name), "{name} not in {f:?}");
        }
        // Checks over several fields run once every field is well-formed (as Kong's do), and
        // each blames the field to fix.
        let err = Config::from_value(&json!({
            "issuer": "http://op",
            "client_auth": ["client_secret_basic"],
            "client_alg": ["RS256"],
            "bearer_token_param_type": ["cookie"],
            "cache_ttl_min": 10,
            "cache_ttl_max": 5,
            "upstream_headers_claims": ["sub"],
        }))
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "client_alg",
                "bearer_token_cookie_name",
                "cache_ttl_min",
                "upstream_headers_names"
            ]
        );
        assert_eq!(
            fields(Config::from_value(&json!({})).unwrap_err()),
            vec!["issuer"]
        );
    }

    #[test]
    fn claim_rules_split_and_or() {
        let (c, _) = Config::from_value(&json!({
            "issuer": "http://op",
            "scopes_required": ["openid email", "admin"],
            "groups_claim": ["user", "groups"],
            "groups_required": ["employee"],
        }))
        .unwrap();
        assert_eq!(c.claim_rules.len(), 2);
        assert_eq!(
            c.claim_rules[0].required,
            vec![
                vec!["openid".to_owned(), "email".to_owned()],
                vec!["admin".to_owned()]
            ]
        );
        assert_eq!(c.claim_rules[1].claim, vec!["user", "groups"]);
    }

    #[test]
    fn header_names_and_consumer_claims() {
        let (c, _) = Config::from_value(&json!({
            "issuer": "http://op",
            "upstream_refresh_token_header": "refresh_token",
            "upstream_headers": [{"header": "X-Authenticated-User", "path": ["preferred_username"]}],
            "consumer_claims": [["preferred_username"], ["email"]],
            "consumer_claim": ["sub"],
        }))
        .unwrap();
        assert_eq!(
            c.upstream.refresh_token.as_ref().unwrap().name,
            "refresh-token"
        );
        assert_eq!(c.upstream.claims[0].header, "x-authenticated-user");
        assert_eq!(
            c.consumer_claims,
            vec![
                vec!["preferred_username".to_owned()],
                vec!["email".to_owned()],
                vec!["sub".to_owned()]
            ]
        );
    }

    #[test]
    fn cache_lifetime_is_clamped_and_never_past_exp() {
        let (mut c, _) = Config::from_value(&json!({"issuer": "http://op"})).unwrap();
        assert_eq!(c.cache_until(100, None), 3700);
        assert_eq!(c.cache_until(100, Some(160)), 160);
        c.cache_ttl_max = Some(30);
        assert_eq!(c.cache_until(100, Some(160)), 130);
        c.cache_ttl_max = None;
        c.cache_ttl_min = Some(300);
        assert_eq!(
            c.cache_until(100, Some(160)),
            160,
            "min never extends past exp"
        );
        assert_eq!(c.cache_until(100, None), 3700);
    }
}
