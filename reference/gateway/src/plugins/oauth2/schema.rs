//! The `oauth2` plugin's config (Kong 3.x `oauth2/schema.lua`: names, types and defaults,
//! <https://developer.konghq.com/plugins/oauth2/reference/>), declared once with
//! `crate::schema` so that validation and `GET /schemas/plugins/oauth2` agree.

use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::schema::{Check, Field, PluginSchema, Record};

/// The grant flows; at least one must be on (Kong's `validate_flows`).
const FLOWS: [&str; 4] = [
    "enable_authorization_code",
    "enable_implicit_grant",
    "enable_client_credentials",
    "enable_password_grant",
];

fn validate_flows(config: &Map<String, Value>) -> Result<(), String> {
    if FLOWS
        .iter()
        .any(|f| config.get(*f).and_then(Value::as_bool) == Some(true))
    {
        Ok(())
    } else {
        Err(format!(
            "at least one of these fields must be true: {}",
            FLOWS.join(", ")
        ))
    }
}

/// The config schema.
pub fn schema() -> &'static PluginSchema {
    static SCHEMA: LazyLock<PluginSchema> =
        LazyLock::new(|| {
            let flag = || Field::boolean().required().default(false);
            PluginSchema::new(
            Record::new()
                .field(
                    "scopes",
                    Field::array(Field::string()).description("the scopes a client may ask for"),
                )
                .field("mandatory_scope", flag())
                .field(
                    "provision_key",
                    Field::string().required().auto().unique().len_min(1).description(
                        "shared by the gateway and the authorization page; generated when absent",
                    ),
                )
                .field(
                    "token_expiration",
                    Field::number()
                        .required()
                        .default(7200)
                        .validator(non_negative)
                        .description("access token lifetime in seconds; 0: never expires"),
                )
                .field("enable_authorization_code", flag())
                .field("enable_implicit_grant", flag())
                .field("enable_client_credentials", flag())
                .field("enable_password_grant", flag())
                .field("hide_credentials", flag())
                .field("accept_http_if_already_terminated", flag())
                .field(
                    "anonymous",
                    Field::string()
                        .description("consumer id or username used when authentication fails"),
                )
                .field("global_credentials", flag())
                .field("auth_header_name", Field::string().default("authorization"))
                .field(
                    "refresh_token_ttl",
                    Field::number()
                        .required()
                        .default(1_209_600)
                        .validator(refresh_ttl)
                        .description("seconds a token and its refresh token are kept; 0: forever"),
                )
                .field("reuse_refresh_token", flag())
                .field("persistent_refresh_token", flag())
                .field(
                    "pkce",
                    Field::string()
                        .default("lax")
                        .one_of(&["none", "lax", "strict"]),
                )
                .field(
                    "realm",
                    Field::string()
                        .description("realm of the WWW-Authenticate header (default: service)"),
                )
                .check(Check::Custom(validate_flows))
                .check(Check::required_if("mandatory_scope", true, "scopes")),
        )
        });
    &SCHEMA
}

fn non_negative(v: &Value) -> Result<(), String> {
    match v.as_f64() {
        Some(n) if n >= 0.0 => Ok(()),
        _ => Err("value must be greater than or equal to 0".into()),
    }
}

fn refresh_ttl(v: &Value) -> Result<(), String> {
    match v.as_f64() {
        Some(n) if (0.0..=100_000_000.0).contains(&n) => Ok(()),
        _ => Err("value should be between 0 and 100000000".into()),
    }
}

/// The effective config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Scopes a client may ask for (`None`: any scope is accepted and ignored, as in Kong).
    pub scopes: Option<Vec<String>>,
    /// A token request must name a scope.
    pub mandatory_scope: bool,
    /// The secret the password grant and the authorization page must present.
    pub provision_key: String,
    /// Access token lifetime, seconds (0: never expires).
    pub token_expiration: f64,
    /// `/oauth2/authorize` with `response_type=code` and the `authorization_code` grant.
    pub enable_authorization_code: bool,
    /// `/oauth2/authorize` with `response_type=token`.
    pub enable_implicit_grant: bool,
    /// The `client_credentials` grant.
    pub enable_client_credentials: bool,
    /// The `password` grant.
    pub enable_password_grant: bool,
    /// Remove the token from what goes upstream.
    pub hide_credentials: bool,
    /// Trust `X-Forwarded-Proto: https` from a trusted peer at the endpoints.
    pub accept_http_if_already_terminated: bool,
    /// Consumer id or username for requests without a valid token.
    pub anonymous: Option<String>,
    /// Tokens are valid on every service with a global `oauth2` plugin.
    pub global_credentials: bool,
    /// The header carrying the token (and the client's Basic credentials at the endpoints).
    pub auth_header_name: Option<String>,
    /// How long tokens (and refresh tokens) are kept, seconds (0: forever).
    pub refresh_token_ttl: f64,
    /// A refreshed token keeps the refresh token it was refreshed with.
    pub reuse_refresh_token: bool,
    /// A used refresh token stays valid (its token record is kept) and is handed back again
    /// instead of a new one; see the plugin README.
    pub persistent_refresh_token: bool,
    /// PKCE at the code grant: `none`, `lax` (checked when sent), `strict` (required).
    pub pkce: String,
    /// `WWW-Authenticate` realm.
    pub realm: Option<String>,
}

impl Config {
    /// The header tokens and Basic client credentials are read from.
    pub fn auth_header(&self) -> &str {
        self.auth_header_name.as_deref().unwrap_or("authorization")
    }

    /// Access token lifetime in whole seconds (0: never expires).
    pub fn expires_in(&self) -> i64 {
        self.token_expiration.floor() as i64
    }

    /// Seconds a token record is kept (`None`: forever).
    pub fn keep_for(&self) -> Option<i64> {
        let ttl = self.refresh_token_ttl.floor() as i64;
        (ttl > 0 && self.expires_in() > 0).then_some(ttl)
    }
}
