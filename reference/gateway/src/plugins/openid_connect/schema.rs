//! The declared config schema of `openid-connect`: every Kong 3.x field this gateway enforces,
//! with Kong's names, types, defaults and `one_of`/`between` constraints
//! (<https://developer.konghq.com/plugins/openid-connect/reference/>, `docs/kong.md`). It is the
//! one description validation, the effective config the Admin API shows and
//! `GET /schemas/plugins/openid-connect` are all derived from; [`super::config::Config`] is the
//! typed view of a config this schema accepted.
//!
//! A Kong field that is not declared here is one the plugin does not implement: it is refused as
//! `unknown field` rather than silently ignored.

use std::sync::LazyLock;

use crate::plugins::schema::url;
use crate::schema::{Check, Field, PluginSchema, Record};
use serde_json::{json, Map, Value};

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

/// Where grant credentials may be looked for.
pub const PARAM_TYPES: [&str; 3] = ["header", "query", "body"];

/// Where a bearer token may be looked for (Kong's order of the default).
pub const BEARER_PARAM_TYPES: [&str; 4] = ["header", "cookie", "query", "body"];

/// Client authentication methods at the IdP's endpoints. Kong also lists `tls_client_auth` and
/// `self_signed_tls_client_auth`; mutual TLS toward the IdP is not implemented, so they are
/// refused.
pub const CLIENT_AUTH: [&str; 5] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
];

/// The grants `ignore_signature` and `disable_session` may name.
pub const GRANTS: [&str; 7] = [
    "password",
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "session",
    "introspection",
    "userinfo",
];

/// `session_cookie_same_site` values.
pub const SAME_SITE: [&str; 4] = ["Strict", "Lax", "None", "Default"];

/// The largest TTL or timeout in seconds (Kong stores them as unsigned 32-bit numbers).
const MAX_SECONDS: i64 = u32::MAX as i64;

/// The schema.
pub fn schema() -> &'static PluginSchema {
    static SCHEMA: LazyLock<PluginSchema> = LazyLock::new(build);
    &SCHEMA
}

/// `name[:prefix]`, the header a token is sent in (`_` stands for `-`).
pub(crate) fn split_token_header(value: &str) -> (&str, Option<&str>) {
    match value.split_once(':') {
        Some((h, p)) => (h, Some(p.trim()).filter(|p| !p.is_empty())),
        None => (value, None),
    }
}

/// Whether `name` is a valid header name once `_` is written `-`.
pub(crate) fn header_name(name: &str) -> Option<http::HeaderName> {
    http::HeaderName::from_bytes(name.replace('_', "-").as_bytes()).ok()
}

fn valid_header(v: &Value) -> Result<(), String> {
    match header_name(v.as_str().unwrap_or_default()) {
        Some(_) => Ok(()),
        None => Err("invalid header name".into()),
    }
}

fn valid_token_header(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or_default();
    if s.is_empty() {
        // An empty value turns the header off.
        return Ok(());
    }
    valid_header(&Value::from(split_token_header(s).0))
}

pub(crate) fn valid_cookie_name(v: &Value) -> Result<(), String> {
    // RFC 6265 §4.1.1: a cookie name is an RFC 7230 token.
    let s = v.as_str().unwrap_or_default();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !s.is_empty() && s.chars().all(token) {
        Ok(())
    } else {
        Err("invalid cookie name".into())
    }
}

/// A claim path: the keys walked into nested objects.
fn claim_path() -> Field {
    Field::array(Field::string().len_min(1))
}

fn strings() -> Field {
    Field::array(Field::string())
}

fn choices(values: &[&'static str]) -> Field {
    Field::array(Field::string().one_of(values))
}

fn seconds(default: i64) -> Field {
    Field::number().between(0, MAX_SECONDS).default(default)
}

fn token_header() -> Field {
    Field::string().validator(valid_token_header)
}

/// `upstream_headers` / `downstream_headers`: claim paths sent as headers.
fn claim_headers() -> Field {
    Field::array(Field::record(
        Record::new()
            .field(
                "header",
                Field::string()
                    .required()
                    .len_min(1)
                    .validator(valid_header),
            )
            .field("path", claim_path().required().len_min(1)),
    ))
}

fn has(record: &Map<String, Value>, field: &str, value: &str) -> bool {
    record[field]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == value))
}

fn bearer_cookie_named(r: &Map<String, Value>) -> Result<(), String> {
    if has(r, "bearer_token_param_type", "cookie") && r["bearer_token_cookie_name"].is_null() {
        Err("required field missing when bearer_token_param_type has cookie".into())
    } else {
        Ok(())
    }
}

fn ttl_range(r: &Map<String, Value>) -> Result<(), String> {
    match (r["cache_ttl_min"].as_f64(), r["cache_ttl_max"].as_f64()) {
        (Some(min), Some(max)) if min > max => Err("must not exceed cache_ttl_max".into()),
        _ => Ok(()),
    }
}

fn same_length(r: &Map<String, Value>, claims: &str, names: &str) -> Result<(), String> {
    let len = |f: &str| r[f].as_array().map_or(0, Vec::len);
    if len(claims) == len(names) {
        Ok(())
    } else {
        Err(format!("must have as many elements as {claims}"))
    }
}

fn upstream_names(r: &Map<String, Value>) -> Result<(), String> {
    same_length(r, "upstream_headers_claims", "upstream_headers_names")
}

fn downstream_names(r: &Map<String, Value>) -> Result<(), String> {
    same_length(r, "downstream_headers_claims", "downstream_headers_names")
}

/// The field names of one direction's headers, in declaration order.
macro_rules! header_fields {
    ($d:literal) => {
        [
            concat!($d, "_access_token_header"),
            concat!($d, "_id_token_header"),
            concat!($d, "_refresh_token_header"),
            concat!($d, "_introspection_header"),
            concat!($d, "_introspection_jwt_header"),
            concat!($d, "_user_info_header"),
            concat!($d, "_user_info_jwt_header"),
            concat!($d, "_session_id_header"),
            concat!($d, "_headers"),
            concat!($d, "_headers_claims"),
            concat!($d, "_headers_names"),
        ]
    };
}

/// `upstream_*` header fields (the request to the service).
pub const UPSTREAM_FIELDS: [&str; 11] = header_fields!("upstream");
/// `downstream_*` header fields (the response to the client).
pub const DOWNSTREAM_FIELDS: [&str; 11] = header_fields!("downstream");

/// The token and claim headers of one direction; only the upstream sends the access token by
/// default.
fn headers(record: Record, names: &[&'static str; 11], upstream: bool) -> Record {
    let access = if upstream {
        token_header()
            .optional_default("authorization:bearer")
            .description("header[:prefix] the access token is sent in; empty: not sent")
    } else {
        token_header()
    };
    let [access_name, tokens @ .., claim_headers_name, claims_name, names_name] = names;
    let mut record = record.field(access_name, access);
    for name in tokens {
        record = record.field(name, token_header());
    }
    record
        .field(claim_headers_name, claim_headers())
        .field(claims_name, strings())
        .field(
            names_name,
            Field::array(Field::string().validator(valid_header)),
        )
}

fn build() -> PluginSchema {
    let config = Record::new()
        // Discovery, issuer, endpoints.
        .field(
            "issuer",
            url()
                .required()
                .description("the discovery document's URL or the issuer"),
        )
        .field("rediscovery_lifetime", seconds(30))
        .field("issuers_allowed", strings())
        .field("extra_jwks_uris", Field::set(url()))
        .field("jwks_endpoint", url())
        .field("token_endpoint", url())
        .field("introspection_endpoint", url())
        .field("userinfo_endpoint", url())
        .field("revocation_endpoint", url())
        // The client toward the IdP.
        .field("client_id", strings())
        .field("client_secret", strings())
        .field("client_arg", Field::string().default("client_id"))
        .field("client_auth", choices(&CLIENT_AUTH))
        .field(
            "token_endpoint_auth_method",
            Field::string().one_of(&CLIENT_AUTH),
        )
        .field(
            "introspection_endpoint_auth_method",
            Field::string().one_of(&CLIENT_AUTH),
        )
        .field(
            "revocation_endpoint_auth_method",
            Field::string().one_of(&CLIENT_AUTH),
        )
        .field(
            "timeout",
            Field::number()
                .between(1, 3_600_000)
                .default(10_000)
                .description("milliseconds for each call to the IdP"),
        )
        // Credentials.
        .field(
            "auth_methods",
            choices(&AUTH_METHODS).default(json!(AUTH_METHODS)),
        )
        .field("scopes", strings().default(json!(["openid"])))
        .field(
            "bearer_token_param_type",
            choices(&BEARER_PARAM_TYPES).default(json!(["header", "query", "body"])),
        )
        .field("bearer_token_cookie_name", Field::string())
        .field(
            "client_credentials_param_type",
            choices(&PARAM_TYPES).default(json!(PARAM_TYPES)),
        )
        .field(
            "password_param_type",
            choices(&PARAM_TYPES).default(json!(PARAM_TYPES)),
        )
        .field(
            "refresh_token_param_type",
            choices(&PARAM_TYPES).default(json!(PARAM_TYPES)),
        )
        .field("refresh_token_param_name", Field::string())
        .field(
            "id_token_param_type",
            choices(&PARAM_TYPES).default(json!(PARAM_TYPES)),
        )
        .field("id_token_param_name", Field::string())
        .field("hide_credentials", Field::boolean().default(true))
        // Token cache.
        .field("cache_tokens", Field::boolean().default(true))
        .field("cache_tokens_salt", Field::string())
        .field(
            "token_cache_key_include_scope",
            Field::boolean().default(false),
        )
        // Verification.
        .field("verify_signature", Field::boolean().default(true))
        .field("verify_claims", Field::boolean().default(true))
        .field("leeway", Field::number().between(0, 86_400).default(0))
        .field("enable_hs_signatures", Field::boolean().default(false))
        .field("ignore_signature", choices(&GRANTS).default(json!([])))
        .field("introspection_check_active", Field::boolean().default(true))
        .field("introspect_jwt_tokens", Field::boolean().default(false))
        .field(
            "introspection_hint",
            Field::string().default("access_token"),
        )
        .field(
            "introspection_token_param_name",
            Field::string().default("token"),
        )
        .field("cache_introspection", Field::boolean().default(true))
        .field("cache_user_info", Field::boolean().default(true))
        .field("cache_ttl", seconds(3600))
        .field("cache_ttl_min", Field::number().between(0, MAX_SECONDS))
        .field("cache_ttl_max", Field::number().between(0, MAX_SECONDS))
        .field(
            "cache_ttl_neg",
            Field::number()
                .between(0, MAX_SECONDS)
                .description("seconds a refused token is remembered; unset: never"),
        )
        // Claims authorization: `*_required` elements are alternatives (OR), the
        // space-separated values inside one element must all be present (AND).
        .field("scopes_claim", claim_path().default(json!(["scope"])))
        .field("scopes_required", strings())
        .field("audience_claim", claim_path().default(json!(["aud"])))
        .field("audience_required", strings())
        .field("groups_claim", claim_path().default(json!(["groups"])))
        .field("groups_required", strings())
        .field("roles_claim", claim_path().default(json!(["roles"])))
        .field("roles_required", strings())
        // Consumers and groups.
        .field(
            "consumer_claims",
            Field::array(claim_path().len_min(1))
                .description("claim paths tried in order to find the consumer"),
        )
        .field("consumer_claim", claim_path())
        .field(
            "consumer_by",
            choices(&["id", "username", "custom_id"]).default(json!(["custom_id", "username"])),
        )
        .field("by_username_ignore_case", Field::boolean().default(false))
        .field("consumer_optional", Field::boolean().default(false))
        .field("credential_claim", claim_path().default(json!(["sub"])))
        .field(
            "anonymous",
            Field::string().description("consumer id or username used when authentication fails"),
        )
        .field(
            "consumer_groups_claim",
            claim_path().description("claim whose values name Kong consumer groups"),
        )
        .field("consumer_groups_optional", Field::boolean().default(false))
        .field(
            "authenticated_groups_claim",
            claim_path().description("claim whose values become the authenticated groups (acl)"),
        );
    let config = headers(config, &UPSTREAM_FIELDS, true);
    let config = headers(config, &DOWNSTREAM_FIELDS, false)
        // Sessions.
        .field(
            "disable_session",
            choices(&GRANTS).description("grants after which no session is issued"),
        )
        .field("session_secret", Field::string())
        .field(
            "session_cookie_name",
            Field::string()
                .default("session")
                .validator(valid_cookie_name),
        )
        .field("session_cookie_path", Field::string().default("/"))
        .field("session_cookie_domain", Field::string())
        .field(
            "session_cookie_same_site",
            Field::string().one_of(&SAME_SITE).default("Lax"),
        )
        .field("session_cookie_http_only", Field::boolean().default(true))
        .field(
            "session_cookie_secure",
            Field::boolean().description("unset: Secure on https requests"),
        )
        .field("session_idling_timeout", seconds(900))
        .field("session_rolling_timeout", seconds(3600))
        .field("session_absolute_timeout", seconds(86_400))
        // Responses.
        .field("expose_error_code", Field::boolean().default(true))
        .field("display_errors", Field::boolean().default(false))
        .field(
            "unauthorized_error_message",
            Field::string().default("Unauthorized"),
        )
        .field(
            "forbidden_error_message",
            Field::string().default("Forbidden"),
        )
        .field("run_on_preflight", Field::boolean().default(true))
        .field(
            "unauthorized_destroy_session",
            Field::boolean().default(true),
        )
        .field("forbidden_destroy_session", Field::boolean().default(true))
        .field("refresh_tokens", Field::boolean().default(true));
    // The code flow, login, logout and the error redirects.
    let config = super::session_config::declare(config);
    let config = super::browser_config::declare(config);
    // `cluster_cache_*`: the token and introspection caches shared through Redis.
    let config = super::cluster_cache_config::declare(config);
    // `client_jwk` / `client_alg` (private_key_jwt, client_secret_jwt).
    let config = super::client_keys::declare(config)
        .check(Check::custom_on(
            "bearer_token_cookie_name",
            bearer_cookie_named,
        ))
        .check(Check::custom_on("cache_ttl_min", ttl_range))
        .check(Check::custom_on("upstream_headers_names", upstream_names))
        .check(Check::custom_on(
            "downstream_headers_names",
            downstream_names,
        ));
    PluginSchema::new(config)
}
