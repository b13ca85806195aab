//! The plugin's configuration (spec §4.1) and its validation.

use gatecheck_policy::Expression;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::tokens::Ages;

/// `gluu-openid-connect` configuration, field names as GG's schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// oxd site id of the gateway's OP client.
    pub oxd_id: String,
    /// OP client id (used to obtain the oxd protection token and checked against `aud`).
    pub client_id: String,
    /// OP client secret.
    pub client_secret: String,
    /// Base URL of the oxd API.
    pub oxd_url: String,
    /// The OP's issuer URL (`iss` of every ID token must equal it).
    pub op_url: String,
    /// Path of the redirect URI registered at the OP, e.g. `/callback`.
    pub authorization_redirect_path: String,
    /// Path that logs the user out, e.g. `/logout`.
    #[serde(default)]
    pub logout_path: Option<String>,
    /// Where the OP sends the user after logout: a path (made absolute from the request) or an
    /// absolute URL. Requests to this path pass unauthenticated.
    #[serde(default)]
    pub post_logout_redirect_path_or_url: Option<String>,
    /// `scope` of authorization requests.
    #[serde(default)]
    pub requested_scopes: Vec<String>,
    /// Seconds after `iat` during which an ID token authenticates requests (also `max_age`).
    pub max_id_token_age: i64,
    /// Seconds after `auth_time` during which the user's authentication counts.
    pub max_id_token_auth_age: i64,
    /// ACR rules per path/method (spec §4.3), JSON text or an inline JSON array.
    #[serde(default)]
    pub required_acrs_expression: Option<Value>,
    /// Replay a non-GET request's method and body after login. Default false.
    #[serde(default)]
    pub restore_original_auth_params: bool,
    /// Headers sent upstream (spec §5), environment `id_token`, `userinfo`, `access_token`.
    #[serde(default)]
    pub custom_headers: Vec<Value>,
}

/// A rejected configuration: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    /// The offending field, e.g. `required_acrs_expression`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field,
        message: message.into(),
    }
}

/// A validated configuration with its compiled parts.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The configuration as given.
    pub config: Config,
    /// `oxd_url` parsed.
    pub oxd_url: Url,
    /// The compiled `required_acrs_expression`.
    pub acrs: Option<Expression>,
    /// Both ages.
    pub ages: Ages,
    /// Where to send the user after logout.
    pub post_logout: Option<PostLogout>,
}

/// `post_logout_redirect_path_or_url`, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostLogout {
    /// A path on the gateway (passes unauthenticated); made absolute from the request.
    Path(String),
    /// An absolute URL elsewhere.
    Url(Url),
}

impl Config {
    /// Checks every field and compiles the ACR expression.
    pub fn validate(self) -> Result<Validated, ConfigError> {
        for (field, value) in [
            ("oxd_id", &self.oxd_id),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
        ] {
            if value.trim().is_empty() {
                return Err(err(field, "required field missing"));
            }
        }
        let oxd_url = parse_http_url("oxd_url", &self.oxd_url)?;
        parse_http_url("op_url", &self.op_url)?;
        check_path(
            "authorization_redirect_path",
            &self.authorization_redirect_path,
        )?;
        if let Some(path) = &self.logout_path {
            check_path("logout_path", path)?;
            if path == &self.authorization_redirect_path {
                return Err(err(
                    "logout_path",
                    "must differ from authorization_redirect_path",
                ));
            }
        }
        let post_logout = match &self.post_logout_redirect_path_or_url {
            None => None,
            Some(value) if value.starts_with('/') => {
                check_path("post_logout_redirect_path_or_url", value)?;
                Some(PostLogout::Path(value.clone()))
            }
            Some(value) => Some(PostLogout::Url(parse_http_url(
                "post_logout_redirect_path_or_url",
                value,
            )?)),
        };
        for (field, value) in [
            ("max_id_token_age", self.max_id_token_age),
            ("max_id_token_auth_age", self.max_id_token_auth_age),
        ] {
            if value <= 0 {
                return Err(err(field, "value must be a positive number of seconds"));
            }
        }
        if let Some(scope) = self
            .requested_scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(' '))
        {
            return Err(err(
                "requested_scopes",
                format!("invalid scope {scope:?}: scopes are non-empty and contain no spaces"),
            ));
        }
        let acrs = match &self.required_acrs_expression {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => {
                let value: Value = serde_json::from_str(text)
                    .map_err(|e| err("required_acrs_expression", format!("invalid JSON: {e}")))?;
                Some(compile_acrs(&value)?)
            }
            Some(value) => Some(compile_acrs(value)?),
        };
        let ages = Ages {
            max_id_token_age: self.max_id_token_age,
            max_id_token_auth_age: self.max_id_token_auth_age,
        };
        Ok(Validated {
            config: self,
            oxd_url,
            acrs,
            ages,
            post_logout,
        })
    }
}

/// Validates with GG's expression checks, then the ACR-specific parts GG left to runtime:
/// `required_acrs` must be a non-empty array of non-empty strings, `no_auth` a boolean.
fn compile_acrs(value: &Value) -> Result<Expression, ConfigError> {
    const FIELD: &str = "required_acrs_expression";
    let expression = Expression::from_value(value).map_err(|e| err(FIELD, e.message))?;
    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
        let conditions = item.get("conditions").and_then(Value::as_array);
        for (j, condition) in conditions.into_iter().flatten().enumerate() {
            let at = format!("item {i} condition {j}");
            match condition.get("required_acrs") {
                None | Some(Value::Null) => {}
                Some(Value::Array(values)) => {
                    if values.is_empty() {
                        return Err(err(FIELD, format!("{at}: required_acrs must not be empty")));
                    }
                    if values
                        .iter()
                        .any(|v| v.as_str().is_none_or(|s| s.is_empty() || s.contains(' ')))
                    {
                        return Err(err(
                            FIELD,
                            format!("{at}: required_acrs must be ACR names (non-empty strings without spaces)"),
                        ));
                    }
                }
                Some(_) => {
                    return Err(err(FIELD, format!("{at}: required_acrs must be an array")));
                }
            }
            if condition
                .get("no_auth")
                .is_some_and(|v| !v.is_boolean() && !v.is_null())
            {
                return Err(err(FIELD, format!("{at}: no_auth must be a boolean")));
            }
        }
    }
    Ok(expression)
}

fn parse_http_url(field: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| err(field, format!("invalid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(err(field, "must be an absolute http(s) URL"));
    }
    Ok(url)
}

fn check_path(field: &'static str, value: &str) -> Result<(), ConfigError> {
    if !value.starts_with('/') {
        return Err(err(field, "must be a path starting with /"));
    }
    if value.contains(['?', '#', ' ']) {
        return Err(err(
            field,
            "must be a plain path (no query, fragment or spaces)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "oxd_id": "site", "client_id": "cid", "client_secret": "secret",
            "oxd_url": "http://127.0.0.1:8443", "op_url": "http://127.0.0.1:8080",
            "authorization_redirect_path": "/callback",
            "max_id_token_age": 3600, "max_id_token_auth_age": 3600
        })
    }

    fn with(field: &str, value: Value) -> Value {
        let mut v = base();
        v[field] = value;
        v
    }

    fn validate(v: Value) -> Result<Validated, ConfigError> {
        serde_json::from_value::<Config>(v)
            .map_err(|e| err("config", e.to_string()))?
            .validate()
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let v = validate(base()).unwrap();
        assert!(!v.config.restore_original_auth_params);
        assert!(v.acrs.is_none());
        assert!(v.post_logout.is_none());
        assert_eq!(v.ages.max_id_token_age, 3600);
    }

    #[test]
    fn redirect_path_is_required() {
        let mut v = base();
        v.as_object_mut()
            .unwrap()
            .remove("authorization_redirect_path");
        assert!(validate(v)
            .unwrap_err()
            .message
            .contains("authorization_redirect_path"));
    }

    #[test]
    fn unknown_field_rejected() {
        assert!(validate(with("bogus", json!(1))).is_err());
    }

    #[test]
    fn bad_values_name_their_field() {
        for (field, value) in [
            ("oxd_url", json!("not a url")),
            ("op_url", json!("ftp://x")),
            ("authorization_redirect_path", json!("callback")),
            ("logout_path", json!("/callback")),
            ("max_id_token_age", json!(0)),
            ("max_id_token_auth_age", json!(-5)),
            ("requested_scopes", json!(["openid", "a b"])),
            ("post_logout_redirect_path_or_url", json!("relative")),
            ("client_secret", json!("")),
        ] {
            let e = validate(with(field, value)).unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
    }

    #[test]
    fn post_logout_path_or_url() {
        let v = validate(with("post_logout_redirect_path_or_url", json!("/bye"))).unwrap();
        assert_eq!(v.post_logout, Some(PostLogout::Path("/bye".into())));
        let v = validate(with(
            "post_logout_redirect_path_or_url",
            json!("https://dev1.gluu.org/logout_redirect_uri"),
        ))
        .unwrap();
        assert!(matches!(v.post_logout, Some(PostLogout::Url(_))));
    }

    #[test]
    fn acr_expression_as_text_or_array() {
        let rules = json!([
            {"path": "/payments/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["otp"]}]},
            {"path": "/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["auth_ldap_server"]}]}
        ]);
        assert!(validate(with("required_acrs_expression", rules.clone()))
            .unwrap()
            .acrs
            .is_some());
        assert!(validate(with(
            "required_acrs_expression",
            Value::String(rules.to_string())
        ))
        .unwrap()
        .acrs
        .is_some());
    }

    #[test]
    fn acr_expression_errors() {
        let e = validate(with("required_acrs_expression", json!("[{"))).unwrap_err();
        assert!(e.message.starts_with("invalid JSON"), "{e}");
        let e = validate(with("required_acrs_expression", json!([]))).unwrap_err();
        assert_eq!(e.message, "Empty expression not allowed");
        let e = validate(with(
            "required_acrs_expression",
            json!([{"path": "/x", "conditions": [{"httpMethods": ["?"], "required_acrs": []}]}]),
        ))
        .unwrap_err();
        assert!(e.message.contains("required_acrs"), "{e}");
        let e = validate(with(
            "required_acrs_expression",
            json!([{"path": "/x", "conditions": [{"httpMethods": ["?"], "required_acrs": [""]}]}]),
        ))
        .unwrap_err();
        assert!(e.message.contains("required_acrs"), "{e}");
        let e = validate(with(
            "required_acrs_expression",
            json!([{"path": "/x", "conditions": [{"httpMethods": ["?"], "no_auth": "yes"}]}]),
        ))
        .unwrap_err();
        assert!(e.message.contains("no_auth"), "{e}");
        let e = validate(with(
            "required_acrs_expression",
            json!([{"path": "/x", "conditions": [{"httpMethods": ["?"], "required_acrs": ["a b"]}]}]),
        ))
        .unwrap_err();
        assert!(e.message.contains("required_acrs"), "{e}");
    }
}
