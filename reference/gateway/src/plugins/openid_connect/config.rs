//! The plugin's configuration: Kong 3.x field names and defaults (`docs/kong.md`), validated
//! whole, every wrong field named. Fields Kong has but this gateway cannot enforce are refused
//! as unknown rather than silently ignored.

use serde_json::Value;
use url::Url;

use crate::plugins::schema::{ConfigError, ConfigReader};

/// The auth methods, in Kong's fixed search order (`docs/kong.md#credential-search-order`).
pub const AUTH_METHODS: [&str; 9] = [
    "session",
    "bearer",
    "kong_oauth2",
    "introspection",
    "userinfo",
    "refresh_token",
    "password",
    "client_credentials",
    "authorization_code",
];

const PARAM_TYPES: [&str; 3] = ["header", "query", "body"];
const CLIENT_AUTH: [&str; 5] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
];
const GRANTS: [&str; 7] = [
    "password",
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "session",
    "introspection",
    "userinfo",
];

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

fn optional_url(r: &mut ConfigReader<'_>, name: &str) -> Option<Url> {
    let s = r.optional_string(name)?;
    match Url::parse(&s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
        Ok(_) => {
            r.error(name, "missing host in url");
            None
        }
        Err(e) => {
            r.error(name, format!("invalid url: {e}"));
            None
        }
    }
}

fn urls(r: &mut ConfigReader<'_>, name: &str) -> Vec<Url> {
    let values = r.string_array(name, &[], &[]);
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match Url::parse(v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => out.push(u),
            _ => r.error(
                format!("{name}.{}", i + 1),
                "expected an absolute http(s) url",
            ),
        }
    }
    out
}

/// A claim path field: an array of keys (a lone string is a one-key path).
fn claim_path(r: &mut ConfigReader<'_>, name: &str, default: &[&str]) -> ClaimPath {
    let path = r.string_array(name, default, &[]);
    if path.iter().any(String::is_empty) {
        r.error(name, "claim path elements must not be empty");
    }
    path
}

fn optional_claim_path(r: &mut ConfigReader<'_>, name: &str) -> Option<ClaimPath> {
    let path = claim_path(r, name, &[]);
    if path.is_empty() {
        r.put(name, Value::Null);
        None
    } else {
        Some(path)
    }
}

fn header_name(r: &mut ConfigReader<'_>, field: &str, name: &str) -> Option<http::HeaderName> {
    match http::HeaderName::from_bytes(name.replace('_', "-").as_bytes()) {
        Ok(h) => Some(h),
        Err(_) => {
            r.error(field, "invalid header name");
            None
        }
    }
}

fn token_header(
    r: &mut ConfigReader<'_>,
    name: &str,
    default: Option<&str>,
) -> Option<TokenHeader> {
    let value = match default {
        Some(d) => r.string(name, Some(d)),
        None => r.optional_string(name),
    }?;
    if value.is_empty() {
        return None;
    }
    let (header, prefix) = match value.split_once(':') {
        Some((h, p)) => (h.to_owned(), Some(p.trim())),
        None => (value.clone(), None),
    };
    let prefix = prefix.filter(|p| !p.is_empty()).map(|p| {
        // `authorization:bearer` sends `Bearer <token>`: the scheme in its usual casing.
        let mut c = p.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    });
    let name = header_name(r, name, &header)?;
    Some(TokenHeader { name, prefix })
}

fn claim_headers(r: &mut ConfigReader<'_>, direction: &str) -> Vec<ClaimHeader> {
    let mut out = Vec::new();
    let name = format!("{direction}_headers");
    if let Some(v) = r.raw(&name) {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let field = format!("{name}.{}", i + 1);
                    let header = item.get("header").and_then(Value::as_str);
                    let path: Option<Vec<String>> = match item.get("path") {
                        Some(Value::String(s)) => Some(vec![s.clone()]),
                        Some(Value::Array(p)) => {
                            p.iter().map(|e| e.as_str().map(str::to_owned)).collect()
                        }
                        _ => None,
                    };
                    match (header, path) {
                        (Some(h), Some(p)) if !p.is_empty() => {
                            if let Some(header) = header_name(r, &format!("{field}.header"), h) {
                                out.push(ClaimHeader { header, path: p });
                            }
                        }
                        _ => r.error(
                            field,
                            "expected {header = <string>, path = <array of strings>}",
                        ),
                    }
                }
            }
            _ => r.error(name.clone(), "expected an array"),
        }
    }
    // The older parallel arrays (top-level claims only).
    let claims = r.string_array(&format!("{direction}_headers_claims"), &[], &[]);
    let names = r.string_array(&format!("{direction}_headers_names"), &[], &[]);
    if claims.len() != names.len() {
        r.error(
            format!("{direction}_headers_names"),
            format!("must have as many elements as {direction}_headers_claims"),
        );
    }
    for (claim, header) in claims.iter().zip(&names) {
        if let Some(header) = header_name(r, &format!("{direction}_headers_names"), header) {
            out.push(ClaimHeader {
                header,
                path: vec![claim.clone()],
            });
        }
    }
    out
}

fn headers(r: &mut ConfigReader<'_>, direction: &str) -> Headers {
    let upstream = direction == "upstream";
    Headers {
        access_token: token_header(
            r,
            &format!("{direction}_access_token_header"),
            upstream.then_some("authorization:bearer"),
        ),
        id_token: token_header(r, &format!("{direction}_id_token_header"), None),
        refresh_token: token_header(r, &format!("{direction}_refresh_token_header"), None),
        introspection: token_header(r, &format!("{direction}_introspection_header"), None),
        introspection_jwt: token_header(r, &format!("{direction}_introspection_jwt_header"), None),
        user_info: token_header(r, &format!("{direction}_user_info_header"), None),
        user_info_jwt: token_header(r, &format!("{direction}_user_info_jwt_header"), None),
        session_id: token_header(r, &format!("{direction}_session_id_header"), None),
        claims: claim_headers(r, direction),
    }
}

fn claim_rule(
    r: &mut ConfigReader<'_>,
    name: &'static str,
    claim_default: &str,
) -> Option<ClaimRule> {
    let claim = claim_path(r, &format!("{name}_claim"), &[claim_default]);
    let required = r.string_array(&format!("{name}_required"), &[], &[]);
    if required.is_empty() {
        r.put(&format!("{name}_required"), Value::Null);
        return None;
    }
    Some(ClaimRule {
        name,
        claim,
        required: required
            .iter()
            .map(|alt| alt.split_whitespace().map(str::to_owned).collect())
            .filter(|alt: &Vec<String>| !alt.is_empty())
            .collect(),
    })
}

fn consumer_claims(r: &mut ConfigReader<'_>) -> Vec<ClaimPath> {
    let mut out = Vec::new();
    if let Some(v) = r.raw("consumer_claims") {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path: Option<Vec<String>> = match item {
                        Value::String(s) => Some(vec![s.clone()]),
                        Value::Array(p) => {
                            p.iter().map(|e| e.as_str().map(str::to_owned)).collect()
                        }
                        _ => None,
                    };
                    match path {
                        Some(p) if !p.is_empty() => out.push(p),
                        _ => r.error(
                            format!("consumer_claims.{}", i + 1),
                            "expected an array of strings",
                        ),
                    }
                }
            }
            _ => r.error("consumer_claims", "expected an array"),
        }
    }
    let older = claim_path(r, "consumer_claim", &[]);
    if older.is_empty() {
        r.put("consumer_claim", Value::Null);
    } else {
        out.push(older);
    }
    out
}

fn auth_method(r: &mut ConfigReader<'_>, name: &str) -> Option<String> {
    let v = r.optional_string(name)?;
    if CLIENT_AUTH.contains(&v.as_str()) {
        Some(v)
    } else {
        r.error(name, format!("expected one of: {}", CLIENT_AUTH.join(", ")));
        None
    }
}

impl Config {
    /// Validates a plugin `config`; returns it with the effective (defaults-filled) JSON.
    pub fn from_value(value: &Value) -> Result<(Config, Value), ConfigError> {
        let mut r = ConfigReader::new(value)?;
        let issuer = r.url("issuer");
        let rediscovery_lifetime = r.integer("rediscovery_lifetime", 30, 0, 86_400 * 365);
        let issuers_allowed = r.string_array("issuers_allowed", &[], &[]);
        let extra_jwks_uris = urls(&mut r, "extra_jwks_uris");
        let jwks_endpoint = optional_url(&mut r, "jwks_endpoint");
        let token_endpoint = optional_url(&mut r, "token_endpoint");
        let introspection_endpoint = optional_url(&mut r, "introspection_endpoint");
        let userinfo_endpoint = optional_url(&mut r, "userinfo_endpoint");
        let revocation_endpoint = optional_url(&mut r, "revocation_endpoint");
        let client_id = r.string_array("client_id", &[], &[]);
        let client_secret = r.string_array("client_secret", &[], &[]);
        let client_arg = r
            .string("client_arg", Some("client_id"))
            .unwrap_or_default();
        let client_auth = r.string_array("client_auth", &[], &CLIENT_AUTH);
        let token_endpoint_auth_method = auth_method(&mut r, "token_endpoint_auth_method");
        let introspection_endpoint_auth_method =
            auth_method(&mut r, "introspection_endpoint_auth_method");
        let revocation_endpoint_auth_method =
            auth_method(&mut r, "revocation_endpoint_auth_method");
        if [
            &token_endpoint_auth_method,
            &introspection_endpoint_auth_method,
            &revocation_endpoint_auth_method,
        ]
        .into_iter()
        .flatten()
        .chain(client_auth.iter())
        .any(|m| m == "private_key_jwt")
        {
            // `client_jwk` keys are not configurable here yet.
            r.error("client_auth", "private_key_jwt needs client_jwk, which this gateway does not support; use client_secret_jwt, client_secret_basic or client_secret_post");
        }
        let timeout_ms = r.integer("timeout", 10_000, 1, 3_600_000) as u64;
        let auth_methods = r.string_array("auth_methods", &AUTH_METHODS, &AUTH_METHODS);
        let scopes = r.string_array("scopes", &["openid"], &[]);
        let bearer = r.string_array(
            "bearer_token_param_type",
            &["header", "query", "body"],
            &["header", "query", "body", "cookie"],
        );
        let bearer_token_cookie_name = r.optional_string("bearer_token_cookie_name");
        if bearer.iter().any(|b| b == "cookie") && bearer_token_cookie_name.is_none() {
            r.error(
                "bearer_token_cookie_name",
                "required field missing when bearer_token_param_type has cookie",
            );
        }
        let cc = r.string_array("client_credentials_param_type", &PARAM_TYPES, &PARAM_TYPES);
        let pw = r.string_array("password_param_type", &PARAM_TYPES, &PARAM_TYPES);
        let rt = r.string_array("refresh_token_param_type", &PARAM_TYPES, &PARAM_TYPES);
        let refresh_token_param_name = r.optional_string("refresh_token_param_name");
        let idt = r.string_array("id_token_param_type", &PARAM_TYPES, &PARAM_TYPES);
        let id_token_param_name = r.optional_string("id_token_param_name");
        let hide_credentials = r.boolean("hide_credentials", true);
        let cache_tokens = r.boolean("cache_tokens", true);
        let cache_tokens_salt = r.optional_string("cache_tokens_salt");
        let token_cache_key_include_scope = r.boolean("token_cache_key_include_scope", false);
        let verify_signature = r.boolean("verify_signature", true);
        let verify_claims = r.boolean("verify_claims", true);
        let leeway = r.integer("leeway", 0, 0, 86_400);
        let enable_hs_signatures = r.boolean("enable_hs_signatures", false);
        let ignore_signature = r.string_array("ignore_signature", &[], &GRANTS);
        let introspection_check_active = r.boolean("introspection_check_active", true);
        let introspect_jwt_tokens = r.boolean("introspect_jwt_tokens", false);
        let introspection_hint = r
            .string("introspection_hint", Some("access_token"))
            .unwrap_or_default();
        let introspection_token_param_name = r
            .string("introspection_token_param_name", Some("token"))
            .unwrap_or_default();
        let cache_introspection = r.boolean("cache_introspection", true);
        let cache_user_info = r.boolean("cache_user_info", true);
        let cache_ttl = r.integer("cache_ttl", 3600, 0, i64::from(u32::MAX));
        let cache_ttl_min = r.optional_integer("cache_ttl_min", 0, i64::from(u32::MAX));
        let cache_ttl_max = r.optional_integer("cache_ttl_max", 0, i64::from(u32::MAX));
        let cache_ttl_neg = r.optional_integer("cache_ttl_neg", 0, i64::from(u32::MAX));
        if let (Some(min), Some(max)) = (cache_ttl_min, cache_ttl_max) {
            if min > max {
                r.error("cache_ttl_min", "must not exceed cache_ttl_max");
            }
        }
        let claim_rules = [
            claim_rule(&mut r, "scopes", "scope"),
            claim_rule(&mut r, "audience", "aud"),
            claim_rule(&mut r, "groups", "groups"),
            claim_rule(&mut r, "roles", "roles"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let consumer_claims = consumer_claims(&mut r);
        let consumer_by = r.string_array(
            "consumer_by",
            &["custom_id", "username"],
            &["id", "username", "custom_id"],
        );
        let by_username_ignore_case = r.boolean("by_username_ignore_case", false);
        let consumer_optional = r.boolean("consumer_optional", false);
        let credential_claim = claim_path(&mut r, "credential_claim", &["sub"]);
        let anonymous = r.optional_string("anonymous").filter(|a| !a.is_empty());
        let consumer_groups_claim = optional_claim_path(&mut r, "consumer_groups_claim");
        let consumer_groups_optional = r.boolean("consumer_groups_optional", false);
        let authenticated_groups_claim = optional_claim_path(&mut r, "authenticated_groups_claim");
        let upstream = headers(&mut r, "upstream");
        let downstream = headers(&mut r, "downstream");
        let disable_session = r.string_array("disable_session", &[], &GRANTS);
        let session = SessionConfig {
            secret: r.optional_string("session_secret"),
            cookie_name: r
                .string("session_cookie_name", Some("session"))
                .unwrap_or_default(),
            cookie_path: r
                .string("session_cookie_path", Some("/"))
                .unwrap_or_default(),
            cookie_domain: r.optional_string("session_cookie_domain"),
            same_site: r
                .one_of(
                    "session_cookie_same_site",
                    &["Strict", "Lax", "None", "Default"],
                    "Lax",
                )
                .unwrap_or_default(),
            http_only: r.boolean("session_cookie_http_only", true),
            secure: match r.raw("session_cookie_secure") {
                None => None,
                Some(Value::Bool(b)) => Some(b),
                Some(Value::String(s)) if s == "true" || s == "false" => {
                    r.put("session_cookie_secure", Value::Bool(s == "true"));
                    Some(s == "true")
                }
                Some(_) => {
                    r.error("session_cookie_secure", "expected a boolean");
                    None
                }
            },
            idling_timeout: r.integer("session_idling_timeout", 900, 0, i64::from(u32::MAX)),
            rolling_timeout: r.integer("session_rolling_timeout", 3600, 0, i64::from(u32::MAX)),
            absolute_timeout: r.integer("session_absolute_timeout", 86_400, 0, i64::from(u32::MAX)),
        };
        if session.cookie_name.is_empty()
            || http::HeaderValue::from_str(&session.cookie_name).is_err()
        {
            r.error("session_cookie_name", "invalid cookie name");
        }
        let expose_error_code = r.boolean("expose_error_code", true);
        let display_errors = r.boolean("display_errors", false);
        let unauthorized_error_message = r
            .string("unauthorized_error_message", Some("Unauthorized"))
            .unwrap_or_default();
        let forbidden_error_message = r
            .string("forbidden_error_message", Some("Forbidden"))
            .unwrap_or_default();
        let run_on_preflight = r.boolean("run_on_preflight", true);
        let unauthorized_destroy_session = r.boolean("unauthorized_destroy_session", true);
        let forbidden_destroy_session = r.boolean("forbidden_destroy_session", true);
        let refresh_tokens = r.boolean("refresh_tokens", true);
        let effective = r.finish()?;
        let Some(issuer) = issuer else {
            return Err(ConfigError::field("issuer", "required field missing"));
        };
        Ok((
            Config {
                issuer,
                rediscovery_lifetime,
                issuers_allowed,
                extra_jwks_uris,
                jwks_endpoint,
                token_endpoint,
                introspection_endpoint,
                userinfo_endpoint,
                revocation_endpoint,
                client_id,
                client_secret,
                client_arg,
                client_auth,
                token_endpoint_auth_method,
                introspection_endpoint_auth_method,
                revocation_endpoint_auth_method,
                timeout_ms,
                auth_methods,
                scopes,
                bearer_token_param_type: ParamTypes::from(&bearer),
                bearer_token_cookie_name,
                client_credentials_param_type: ParamTypes::from(&cc),
                password_param_type: ParamTypes::from(&pw),
                refresh_token_param_type: ParamTypes::from(&rt),
                refresh_token_param_name,
                id_token_param_type: ParamTypes::from(&idt),
                id_token_param_name,
                hide_credentials,
                cache_tokens,
                cache_tokens_salt,
                token_cache_key_include_scope,
                verify_signature,
                verify_claims,
                leeway,
                enable_hs_signatures,
                ignore_signature,
                introspection_check_active,
                introspect_jwt_tokens,
                introspection_hint,
                introspection_token_param_name,
                cache_introspection,
                cache_user_info,
                cache_ttl,
                cache_ttl_min,
                cache_ttl_max,
                cache_ttl_neg,
                claim_rules,
                consumer_claims,
                consumer_by,
                by_username_ignore_case,
                consumer_optional,
                credential_claim,
                anonymous,
                consumer_groups_claim,
                consumer_groups_optional,
                authenticated_groups_claim,
                upstream,
                downstream,
                disable_session,
                session,
                expose_error_code,
                display_errors,
                unauthorized_error_message,
                forbidden_error_message,
                run_on_preflight,
                unauthorized_destroy_session,
                forbidden_destroy_session,
                refresh_tokens,
            },
            effective,
        ))
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
            "client_auth": ["private_key_jwt"],
            "ssl_verify": false,
            "upstream_headers": [{"header": "X-User"}],
            "bearer_token_param_type": ["cookie"],
        }))
        .unwrap_err();
        let f = fields(err);
        for name in [
            "issuer",
            "auth_methods.2",
            "timeout",
            "client_auth",
            "ssl_verify",
            "upstream_headers.1",
            "bearer_token_cookie_name",
        ] {
            assert!(f.iter().any(|x| x == name), "{name} not in {f:?}");
        }
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
            "groups_required": "employee",
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
