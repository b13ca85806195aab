//! The browser half of the configuration: the authorization code flow, what happens after a
//! login, logout and the redirects that replace error responses (Kong 3.x names and defaults,
//! `docs/kong.md#login-behaviour`, `docs/kong.md#logout`).

use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use super::schema::{valid_cookie_name, SAME_SITE};
use crate::plugins::schema::{url, ConfigError};
use crate::schema::{Check, Field, Record};

/// `login_tokens` values.
pub const LOGIN_TOKENS: [&str; 5] = [
    "id_token",
    "access_token",
    "refresh_token",
    "tokens",
    "introspection",
];

const LOGIN_METHODS: [&str; 9] = super::config::AUTH_METHODS;

/// `response_mode`: how the OP returns the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// In the redirect's query (`GET`).
    Query,
    /// In an auto-submitted form (`POST`, OAuth 2.0 Form Post Response Mode).
    FormPost,
}

impl ResponseMode {
    /// The value of the authorization request's `response_mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::FormPost => "form_post",
        }
    }
}

/// `login_action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginAction {
    /// Proxy the request on.
    Upstream,
    /// End with 200 and the JSON of `login_tokens` (204 without any).
    Response,
    /// Redirect to `login_redirect_uri`, or back to the URL the login started from.
    Redirect,
}

/// Cookie attributes (the authorization cookie's; the session's are in `SessionConfig`).
#[derive(Debug, Clone)]
pub struct CookieConfig {
    /// Name.
    pub name: String,
    /// `Path`.
    pub path: String,
    /// `Domain`.
    pub domain: Option<String>,
    /// `SameSite` (`Strict`, `Lax`, `None`, `Default` = not sent).
    pub same_site: String,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure` (None: on https).
    pub secure: Option<bool>,
}

/// The fields of the code flow, login and logout.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    /// `authorization_endpoint` (else discovery's).
    pub authorization_endpoint: Option<Url>,
    /// `end_session_endpoint` (else discovery's).
    pub end_session_endpoint: Option<Url>,
    /// `redirect_uri`, one per client (else the request URL without its query).
    pub redirect_uri: Vec<Url>,
    /// `response_mode`.
    pub response_mode: ResponseMode,
    /// `audience` sent to the authorization endpoint.
    pub audience: Vec<String>,
    /// `max_age`: also checked against the ID token's `auth_time`.
    pub max_age: Option<i64>,
    /// `authorization_query_args_names` zipped with `_values`.
    pub query_args: Vec<(String, String)>,
    /// `authorization_query_args_client`: request arguments passed on to the OP.
    pub query_args_client: Vec<String>,
    /// `preserve_query_args`.
    pub preserve_query_args: bool,
    /// `verify_nonce`.
    pub verify_nonce: bool,
    /// `require_proof_key_for_code_exchange` (None: when discovery advertises S256).
    pub pkce: Option<bool>,
    /// The authorization cookie.
    pub cookie: CookieConfig,
    /// `authorization_rolling_timeout`: how long a login may take.
    pub rolling_timeout: i64,
    /// `login_action`.
    pub login_action: LoginAction,
    /// `login_methods`.
    pub login_methods: Vec<String>,
    /// `login_tokens` (empty when set to null).
    pub login_tokens: Vec<String>,
    /// `login_redirect_uri`, one per client.
    pub login_redirect_uri: Vec<Url>,
    /// `login_redirect_mode` is `query` (else `fragment`).
    pub login_redirect_query: bool,
    /// `logout_uri_suffix`.
    pub logout_uri_suffix: Option<String>,
    /// `logout_query_arg`.
    pub logout_query_arg: Option<String>,
    /// `logout_post_arg`.
    pub logout_post_arg: Option<String>,
    /// `logout_methods`.
    pub logout_methods: Vec<http::Method>,
    /// `logout_revoke`.
    pub logout_revoke: bool,
    /// `logout_revoke_access_token`.
    pub logout_revoke_access_token: bool,
    /// `logout_revoke_refresh_token`.
    pub logout_revoke_refresh_token: bool,
    /// `logout_redirect_uri`: the `post_logout_redirect_uri`, or where to go without an
    /// end-session endpoint.
    pub logout_redirect_uri: Vec<Url>,
    /// `unauthorized_redirect_uri`.
    pub unauthorized_redirect_uri: Vec<Url>,
    /// `forbidden_redirect_uri`.
    pub forbidden_redirect_uri: Vec<Url>,
    /// `unexpected_redirect_uri`.
    pub unexpected_redirect_uri: Vec<Url>,
    /// `required_acr_values` (a gatecheck extension, [`super::step_up`]): the `acr` values
    /// one of which the authentication must have (empty: any).
    pub required_acr_values: Vec<String>,
}

impl BrowserConfig {
    /// Whether `login_action` applies after `method` succeeded.
    pub fn logs_in_with(&self, method: &str) -> bool {
        self.login_action != LoginAction::Upstream && self.login_methods.iter().any(|m| m == method)
    }

    /// Whether some logout trigger is configured.
    pub fn has_logout(&self) -> bool {
        self.logout_uri_suffix.is_some()
            || self.logout_query_arg.is_some()
            || self.logout_post_arg.is_some()
    }
}

/// The declared names of the fields below, removed from the effective config before the rest
/// is read.
pub const FIELDS: [&str; 34] = [
    "authorization_endpoint",
    "end_session_endpoint",
    "redirect_uri",
    "response_mode",
    "response_type",
    "audience",
    "max_age",
    "authorization_query_args_names",
    "authorization_query_args_values",
    "authorization_query_args_client",
    "preserve_query_args",
    "verify_nonce",
    "require_proof_key_for_code_exchange",
    "authorization_cookie_name",
    "authorization_cookie_path",
    "authorization_cookie_domain",
    "authorization_cookie_same_site",
    "authorization_cookie_http_only",
    "authorization_cookie_secure",
    "authorization_rolling_timeout",
    "login_action",
    "login_methods",
    "login_tokens",
    "login_redirect_uri",
    "login_redirect_mode",
    "logout_uri_suffix",
    "logout_query_arg",
    "logout_post_arg",
    "logout_methods",
    "logout_revoke",
    "logout_revoke_access_token",
    "logout_revoke_refresh_token",
    "logout_redirect_uri",
    "unauthorized_redirect_uri",
];

/// The two `*_redirect_uri` fields beyond [`FIELDS`] (kept apart so the array stays readable).
pub const MORE_FIELDS: [&str; 3] = [
    "forbidden_redirect_uri",
    "unexpected_redirect_uri",
    super::step_up::FIELD,
];

fn strings() -> Field {
    Field::array(Field::string())
}

fn urls() -> Field {
    Field::array(url())
}

fn valid_response_mode(v: &Value) -> Result<(), String> {
    match v.as_str().unwrap_or_default() {
        "query" | "form_post" => Ok(()),
        "fragment" | "query.jwt" | "form_post.jwt" | "fragment.jwt" | "jwt" => Err(format!(
            "{} is not supported by this gateway (a fragment never reaches it; JARM is not implemented): use query or form_post",
            v.as_str().unwrap_or_default()
        )),
        _ => Err("expected one of: query, form_post".into()),
    }
}

fn only_code(v: &Value) -> Result<(), String> {
    if v == &serde_json::json!(["code"]) {
        Ok(())
    } else {
        Err("only [\"code\"] is supported (the authorization code flow)".into())
    }
}

fn query_args_paired(r: &Map<String, Value>) -> Result<(), String> {
    let len = |f: &str| r[f].as_array().map_or(0, Vec::len);
    if len("authorization_query_args_names") == len("authorization_query_args_values") {
        Ok(())
    } else {
        Err("must have as many elements as authorization_query_args_names".into())
    }
}

fn cookies_differ(r: &Map<String, Value>) -> Result<(), String> {
    if r["authorization_cookie_name"] == r["session_cookie_name"] {
        Err("must differ from session_cookie_name".into())
    } else {
        Ok(())
    }
}

/// Adds the browser's fields and checks to the plugin's schema record.
pub fn declare(record: Record) -> Record {
    let method_choices = ["GET", "POST", "DELETE"];
    record
        // The authorization request.
        .field("authorization_endpoint", url())
        .field("end_session_endpoint", url())
        .field(
            "redirect_uri",
            urls().description("one per client_id; unset: the request URL without its query"),
        )
        .field(
            "response_mode",
            Field::string()
                .default("query")
                .validator(valid_response_mode),
        )
        .field(
            "response_type",
            strings()
                .default(serde_json::json!(["code"]))
                .validator(only_code),
        )
        .field("audience", strings())
        .field("max_age", Field::number().between(0, u32::MAX as i64))
        .field("authorization_query_args_names", strings())
        .field("authorization_query_args_values", strings())
        .field("authorization_query_args_client", strings())
        .field("preserve_query_args", Field::boolean().default(false))
        .field("verify_nonce", Field::boolean().default(true))
        .field(
            "require_proof_key_for_code_exchange",
            Field::boolean().description("unset: PKCE when discovery advertises S256"),
        )
        .field(
            "authorization_cookie_name",
            Field::string()
                .default("authorization")
                .validator(valid_cookie_name),
        )
        .field("authorization_cookie_path", Field::string().default("/"))
        .field("authorization_cookie_domain", Field::string())
        .field(
            "authorization_cookie_same_site",
            Field::string().one_of(&SAME_SITE).default("Lax"),
        )
        .field(
            "authorization_cookie_http_only",
            Field::boolean().default(true),
        )
        .field(
            "authorization_cookie_secure",
            Field::boolean().description("unset: Secure on https requests"),
        )
        .field(
            "authorization_rolling_timeout",
            Field::number().between(1, u32::MAX as i64).default(600),
        )
        // After the login.
        .field(
            "login_action",
            Field::string()
                .one_of(&["upstream", "response", "redirect"])
                .default("upstream"),
        )
        .field(
            "login_methods",
            Field::array(Field::string().one_of(&LOGIN_METHODS))
                .default(serde_json::json!(["authorization_code"])),
        )
        .field(
            "login_tokens",
            Field::array(Field::string().one_of(&LOGIN_TOKENS))
                .optional_default(serde_json::json!(["id_token"])),
        )
        .field("login_redirect_uri", urls())
        .field(
            "login_redirect_mode",
            Field::string()
                .one_of(&["fragment", "query"])
                .default("fragment"),
        )
        // Logout.
        .field("logout_uri_suffix", Field::string().len_min(1))
        .field("logout_query_arg", Field::string().len_min(1))
        .field("logout_post_arg", Field::string().len_min(1))
        .field(
            "logout_methods",
            Field::array(Field::string().one_of(&method_choices))
                .default(serde_json::json!(["POST", "DELETE"])),
        )
        .field("logout_revoke", Field::boolean().default(false))
        .field("logout_revoke_access_token", Field::boolean().default(true))
        .field(
            "logout_revoke_refresh_token",
            Field::boolean().default(true),
        )
        .field("logout_redirect_uri", urls())
        // Redirects instead of error responses.
        .field("unauthorized_redirect_uri", urls())
        .field("forbidden_redirect_uri", urls())
        .field("unexpected_redirect_uri", urls())
        // A gatecheck extension: acr step-up (step_up.rs).
        .field(
            super::step_up::FIELD,
            Field::array(Field::string().validator(super::step_up::valid_acr_value))
                .description("gatecheck extension: the acr values one of which the authentication must have (step-up, RFC 9470)"),
        )
        .check(Check::custom_on(
            "authorization_query_args_names",
            super::step_up::no_fixed_acr_values,
        ))
        .check(Check::custom_on(
            "authorization_query_args_values",
            query_args_paired,
        ))
        .check(Check::custom_on(
            "authorization_cookie_name",
            cookies_differ,
        ))
}

/// The browser's fields as the schema's effective JSON has them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    authorization_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
    redirect_uri: Option<Vec<String>>,
    response_mode: String,
    #[allow(dead_code)]
    response_type: Vec<String>,
    audience: Option<Vec<String>>,
    max_age: Option<f64>,
    authorization_query_args_names: Option<Vec<String>>,
    authorization_query_args_values: Option<Vec<String>>,
    authorization_query_args_client: Option<Vec<String>>,
    preserve_query_args: bool,
    verify_nonce: bool,
    require_proof_key_for_code_exchange: Option<bool>,
    authorization_cookie_name: String,
    authorization_cookie_path: String,
    authorization_cookie_domain: Option<String>,
    authorization_cookie_same_site: String,
    authorization_cookie_http_only: bool,
    authorization_cookie_secure: Option<bool>,
    authorization_rolling_timeout: f64,
    login_action: String,
    login_methods: Vec<String>,
    login_tokens: Option<Vec<String>>,
    login_redirect_uri: Option<Vec<String>>,
    login_redirect_mode: String,
    logout_uri_suffix: Option<String>,
    logout_query_arg: Option<String>,
    logout_post_arg: Option<String>,
    logout_methods: Vec<String>,
    logout_revoke: bool,
    logout_revoke_access_token: bool,
    logout_revoke_refresh_token: bool,
    logout_redirect_uri: Option<Vec<String>>,
    unauthorized_redirect_uri: Option<Vec<String>>,
    forbidden_redirect_uri: Option<Vec<String>>,
    unexpected_redirect_uri: Option<Vec<String>>,
    required_acr_values: Option<Vec<String>>,
}

fn parse_url(s: &str) -> Result<Url, ConfigError> {
    Url::parse(s).map_err(|e| ConfigError::field("@entity", format!("invalid url: {e}")))
}

fn parse_urls(list: Option<Vec<String>>) -> Result<Vec<Url>, ConfigError> {
    list.unwrap_or_default()
        .iter()
        .map(|u| parse_url(u))
        .collect()
}

impl BrowserConfig {
    /// Takes the browser's fields out of a schema-accepted effective config.
    pub fn take(fields: &mut Map<String, Value>) -> Result<BrowserConfig, ConfigError> {
        let mut mine = Map::new();
        for name in FIELDS.iter().chain(&MORE_FIELDS) {
            if let Some(v) = fields.remove(*name) {
                mine.insert((*name).to_owned(), v);
            }
        }
        let raw: Raw = serde_json::from_value(Value::Object(mine)).map_err(|e| {
            ConfigError::field("@entity", format!("configuration not understood: {e}"))
        })?;
        Ok(BrowserConfig {
            authorization_endpoint: raw
                .authorization_endpoint
                .as_deref()
                .map(parse_url)
                .transpose()?,
            end_session_endpoint: raw
                .end_session_endpoint
                .as_deref()
                .map(parse_url)
                .transpose()?,
            redirect_uri: parse_urls(raw.redirect_uri)?,
            response_mode: if raw.response_mode == "form_post" {
                ResponseMode::FormPost
            } else {
                ResponseMode::Query
            },
            audience: raw.audience.unwrap_or_default(),
            max_age: raw.max_age.map(|m| m as i64),
            query_args: raw
                .authorization_query_args_names
                .unwrap_or_default()
                .into_iter()
                .zip(raw.authorization_query_args_values.unwrap_or_default())
                .collect(),
            query_args_client: raw.authorization_query_args_client.unwrap_or_default(),
            preserve_query_args: raw.preserve_query_args,
            verify_nonce: raw.verify_nonce,
            pkce: raw.require_proof_key_for_code_exchange,
            cookie: CookieConfig {
                name: raw.authorization_cookie_name,
                path: raw.authorization_cookie_path,
                domain: raw.authorization_cookie_domain,
                same_site: raw.authorization_cookie_same_site,
                http_only: raw.authorization_cookie_http_only,
                secure: raw.authorization_cookie_secure,
            },
            rolling_timeout: raw.authorization_rolling_timeout as i64,
            login_action: match raw.login_action.as_str() {
                "response" => LoginAction::Response,
                "redirect" => LoginAction::Redirect,
                _ => LoginAction::Upstream,
            },
            login_methods: raw.login_methods,
            login_tokens: raw.login_tokens.unwrap_or_default(),
            login_redirect_uri: parse_urls(raw.login_redirect_uri)?,
            login_redirect_query: raw.login_redirect_mode == "query",
            logout_uri_suffix: raw.logout_uri_suffix,
            logout_query_arg: raw.logout_query_arg,
            logout_post_arg: raw.logout_post_arg,
            logout_methods: raw
                .logout_methods
                .iter()
                .filter_map(|m| http::Method::from_bytes(m.as_bytes()).ok())
                .collect(),
            logout_revoke: raw.logout_revoke,
            logout_revoke_access_token: raw.logout_revoke_access_token,
            logout_revoke_refresh_token: raw.logout_revoke_refresh_token,
            logout_redirect_uri: parse_urls(raw.logout_redirect_uri)?,
            unauthorized_redirect_uri: parse_urls(raw.unauthorized_redirect_uri)?,
            forbidden_redirect_uri: parse_urls(raw.forbidden_redirect_uri)?,
            unexpected_redirect_uri: parse_urls(raw.unexpected_redirect_uri)?,
            required_acr_values: raw.required_acr_values.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::Config;
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Vec<String> {
        match Config::from_value(&v).unwrap_err() {
            ConfigError::Invalid(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_are_kongs() {
        let (c, eff) = Config::from_value(&json!({"issuer": "http://op"})).unwrap();
        let b = &c.browser;
        assert_eq!(b.response_mode, ResponseMode::Query);
        assert_eq!(b.login_action, LoginAction::Upstream);
        assert_eq!(b.login_tokens, vec!["id_token"]);
        assert_eq!(b.login_methods, vec!["authorization_code"]);
        assert_eq!(b.cookie.name, "authorization");
        assert_eq!(b.rolling_timeout, 600);
        assert!(b.verify_nonce && !b.preserve_query_args && b.pkce.is_none());
        assert_eq!(
            b.logout_methods,
            vec![http::Method::POST, http::Method::DELETE]
        );
        assert!(!b.has_logout());
        assert_eq!(eff["response_type"], json!(["code"]));
        assert_eq!(eff["login_redirect_mode"], "fragment");
        assert_eq!(eff["require_proof_key_for_code_exchange"], Value::Null);
    }

    #[test]
    fn login_tokens_null_means_none() {
        let (c, eff) =
            Config::from_value(&json!({"issuer": "http://op", "login_tokens": null})).unwrap();
        assert!(c.browser.login_tokens.is_empty());
        assert_eq!(eff["login_tokens"], Value::Null);
    }

    #[test]
    fn every_wrong_browser_field_is_named() {
        let f = fields(json!({
            "issuer": "http://op",
            "response_mode": "fragment",
            "response_type": ["code", "id_token"],
            "login_action": "teleport",
            "login_tokens": ["password"],
            "login_redirect_mode": "header",
            "logout_methods": ["PUT"],
            "authorization_cookie_name": "a;b",
            "authorization_rolling_timeout": 0,
            "redirect_uri": ["/relative"],
            "max_age": -1,
            "logout_uri_suffix": "",
            "require_proof_key_for_code_exchange": "maybe",
        }));
        for name in [
            "response_mode",
            "response_type",
            "login_action",
            "login_tokens.1",
            "login_redirect_mode",
            "logout_methods.1",
            "authorization_cookie_name",
            "authorization_rolling_timeout",
            "redirect_uri.1",
            "max_age",
            "logout_uri_suffix",
            "require_proof_key_for_code_exchange",
        ] {
            assert!(f.iter().any(|x| x == name), "{name} not in {f:?}");
        }
        // Checks over several fields, each blaming the field to fix.
        let f = fields(json!({
            "issuer": "http://op",
            "authorization_query_args_names": ["a", "b"],
            "authorization_query_args_values": ["1"],
            "authorization_cookie_name": "session",
        }));
        assert_eq!(
            f,
            [
                "authorization_query_args_values",
                "authorization_cookie_name"
            ]
        );
    }

    #[test]
    fn required_acr_values_are_validated() {
        let (c, eff) = Config::from_value(&json!({"issuer": "http://op"})).unwrap();
        assert!(c.browser.required_acr_values.is_empty());
        assert_eq!(eff["required_acr_values"], Value::Null);
        let (c, _) = Config::from_value(
            &json!({"issuer": "http://op", "required_acr_values": ["otp", "mfa"]}),
        )
        .unwrap();
        assert_eq!(c.browser.required_acr_values, ["otp", "mfa"]);
        assert_eq!(
            fields(json!({"issuer": "http://op", "required_acr_values": ["otp", "a b", ""]})),
            ["required_acr_values.2", "required_acr_values.3"]
        );
        assert_eq!(
            fields(json!({"issuer": "http://op", "required_acr_values": "otp"})),
            ["required_acr_values"]
        );
        // acr_values among the fixed arguments would contradict the ones step-up sends.
        assert_eq!(
            fields(
                json!({"issuer": "http://op", "required_acr_values": ["otp"],
                "authorization_query_args_names": ["acr_values"],
                "authorization_query_args_values": ["basic"]})
            ),
            ["authorization_query_args_names"]
        );
        assert!(Config::from_value(&json!({"issuer": "http://op",
            "authorization_query_args_names": ["acr_values"],
            "authorization_query_args_values": ["basic"]}))
        .is_ok());
    }

    #[test]
    fn login_action_applies_to_login_methods_only() {
        let (c, _) = Config::from_value(&json!({"issuer": "http://op", "login_action": "redirect",
            "login_methods": ["authorization_code", "password"]}))
        .unwrap();
        assert!(c.browser.logs_in_with("password"));
        assert!(!c.browser.logs_in_with("session"));
        let (c, _) = Config::from_value(&json!({"issuer": "http://op"})).unwrap();
        assert!(!c.browser.logs_in_with("authorization_code"));
    }
}
