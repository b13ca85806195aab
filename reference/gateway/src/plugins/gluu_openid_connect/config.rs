//! The plugin's configuration (`docs/gluu-gateway.md#openid-connect-plugin-configuration`) and its
//! validation.
//!
//! Validated against the plugin's [`schema`] (so `GET /schemas/plugins/gluu-openid-connect`
//! describes exactly what is checked), then the checks a schema cannot express; every invalid
//! field is reported Kong-style (`config.<field>`) and the Admin API shows the effective config
//! with defaults filled in.

use std::sync::LazyLock;

use gatecheck_policy::Expression;
use serde_json::Value;
use url::Url;

use super::tokens::Ages;
use crate::plugins::schema::{http_url, ConfigError, FieldError};
use crate::schema::{Field, PluginSchema, Record};

/// `gluu-openid-connect` configuration, field names as GG's schema.
#[derive(Debug, Clone)]
pub struct Config {
    /// oxd site id of the gateway's OP client.
    pub oxd_id: String,
    /// OP client id (used to obtain the oxd protection token and checked against `aud`).
    pub client_id: String,
    /// OP client secret.
    pub client_secret: String,
    /// Base URL of the oxd API.
    pub oxd_url: Url,
    /// The OP's issuer URL as configured (`iss` of every ID token must equal it).
    pub op_url: String,
    /// Path of the redirect URI registered at the OP, e.g. `/callback`.
    pub authorization_redirect_path: String,
    /// Path that logs the user out, e.g. `/logout`.
    pub logout_path: Option<String>,
    /// Where the OP sends the user after logout.
    pub post_logout: Option<PostLogout>,
    /// `scope` of authorization requests.
    pub requested_scopes: Vec<String>,
    /// `max_id_token_age` and `max_id_token_auth_age` (seconds).
    pub ages: Ages,
    /// The compiled `required_acrs_expression`.
    pub acrs: Option<Expression>,
    /// Replay a non-GET request's method and body after login. Default false.
    pub restore_original_auth_params: bool,
    /// `custom_headers` as given (compiled by the gateway's custom-header module).
    pub custom_headers: Option<Value>,
}

/// `post_logout_redirect_path_or_url`, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostLogout {
    /// A path on the gateway (passes unauthenticated); made absolute from the request.
    Path(String),
    /// An absolute URL.
    Url(Url),
}

/// The config schema (`docs/gluu-gateway.md#openid-connect-plugin-configuration`).
pub fn schema() -> &'static PluginSchema {
    static SCHEMA: LazyLock<PluginSchema> = LazyLock::new(|| {
        let text = || Field::string().required().len_min(1);
        PluginSchema::new(
            Record::new()
                .field("oxd_id", text())
                .field("client_id", text())
                .field("client_secret", text())
                .field("oxd_url", http_url())
                .field("op_url", http_url())
                .field("authorization_redirect_path", text().validator(plain_path))
                .field("logout_path", Field::string().validator(plain_path))
                .field(
                    "post_logout_redirect_path_or_url",
                    Field::string().validator(path_or_url),
                )
                .field(
                    "requested_scopes",
                    Field::array(Field::string().validator(scope_name)).comma_separated(),
                )
                .field("max_id_token_age", seconds())
                .field("max_id_token_auth_age", seconds())
                .field(
                    "required_acrs_expression",
                    Field::json()
                        .description("Gluu Gateway's path/method/ACR expression (JSON, or JSON text)")
                        .validator(acrs_valid),
                )
                .field(
                    "restore_original_auth_params",
                    Field::boolean().default(false),
                )
                .field(
                    "custom_headers",
                    Field::array(Field::json()).description(
                        "headers computed from the token data (header_name, value_lua_exp, format, sep, iterate)",
                    ),
                ),
        )
    });
    &SCHEMA
}

impl Config {
    /// Reads and validates `value`; returns the config and the effective config (defaults
    /// filled in) for the Admin API. Every invalid field is reported.
    pub fn from_value(value: &Value) -> Result<(Config, Value), ConfigError> {
        let effective = schema().validate(value, false)?;
        let text = |name: &str| effective[name].as_str().map(str::to_owned);
        let mut errors = Vec::new();
        let redirect_path = text("authorization_redirect_path").unwrap_or_default();
        let logout_path = text("logout_path");
        if logout_path.as_deref() == Some(redirect_path.as_str()) {
            errors.push(FieldError {
                field: "logout_path".into(),
                message: "must differ from authorization_redirect_path".into(),
            });
        }
        let post_logout = text("post_logout_redirect_path_or_url").map(|p| match Url::parse(&p) {
            Ok(url) if !p.starts_with('/') => PostLogout::Url(url),
            _ => PostLogout::Path(p),
        });
        let acrs = acrs_of(&mut errors, &effective["required_acrs_expression"]);
        if !errors.is_empty() {
            return Err(ConfigError::Invalid(errors));
        }
        let oxd_url = text("oxd_url").and_then(|u| Url::parse(&u).ok());
        let missing = || ConfigError::field("@entity", "invalid config");
        let config = Config {
            oxd_id: text("oxd_id").ok_or_else(missing)?,
            client_id: text("client_id").ok_or_else(missing)?,
            client_secret: text("client_secret").ok_or_else(missing)?,
            oxd_url: oxd_url.ok_or_else(missing)?,
            op_url: text("op_url").ok_or_else(missing)?,
            authorization_redirect_path: redirect_path,
            logout_path,
            post_logout,
            requested_scopes: effective["requested_scopes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            ages: Ages {
                max_id_token_age: effective["max_id_token_age"].as_i64().ok_or_else(missing)?,
                max_id_token_auth_age: effective["max_id_token_auth_age"]
                    .as_i64()
                    .ok_or_else(missing)?,
            },
            acrs,
            restore_original_auth_params: effective["restore_original_auth_params"]
                .as_bool()
                .unwrap_or(false),
            custom_headers: Some(effective["custom_headers"].clone()).filter(|v| !v.is_null()),
        };
        Ok((config, effective))
    }
}

/// A required positive number of seconds.
fn seconds() -> Field {
    Field::integer().required().validator(|v| match v.as_i64() {
        Some(n) if n > 0 => Ok(()),
        _ => Err("value must be a positive integer (seconds)".into()),
    })
}

fn scope_name(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if s.is_empty() || s.contains(' ') => Err(format!(
            "invalid scope {s:?}: scopes are non-empty and contain no spaces"
        )),
        _ => Ok(()),
    }
}

fn plain_path(v: &Value) -> Result<(), String> {
    let value = v.as_str().unwrap_or_default();
    if !value.starts_with('/') {
        Err("must be a path starting with /".into())
    } else if value.contains(['?', '#', ' ']) {
        Err("must be a plain path (no query, fragment or spaces)".into())
    } else {
        Ok(())
    }
}

fn path_or_url(v: &Value) -> Result<(), String> {
    let value = v.as_str().unwrap_or_default();
    if value.starts_with('/') {
        return plain_path(v);
    }
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err("must be a path starting with / or an absolute http(s) URL".into()),
    }
}

/// The schema's check of `required_acrs_expression`, so that its errors are reported with every
/// other field's.
fn acrs_valid(value: &Value) -> Result<(), String> {
    let mut errors = Vec::new();
    acrs_of(&mut errors, value);
    match errors.into_iter().next() {
        Some(e) => Err(e.message),
        None => Ok(()),
    }
}

/// The expression `value` holds (JSON, or JSON text), or its errors.
fn acrs_of(errors: &mut Vec<FieldError>, value: &Value) -> Option<Expression> {
    match value {
        Value::Null => None,
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(v) => compile_acrs(errors, &v),
            Err(e) => {
                errors.push(FieldError {
                    field: "required_acrs_expression".into(),
                    message: format!("invalid JSON: {e}"),
                });
                None
            }
        },
        v => compile_acrs(errors, v),
    }
}

/// Validates with GG's expression checks (the policy engine also checks `required_acrs`), then
/// what GG left to runtime: ACR names without spaces, `no_auth` a boolean.
fn compile_acrs(errors: &mut Vec<FieldError>, value: &Value) -> Option<Expression> {
    const FIELD: &str = "required_acrs_expression";
    let mut fail = |message: String| {
        errors.push(FieldError {
            field: FIELD.into(),
            message,
        });
        None
    };
    let expression = match Expression::from_value(value) {
        Ok(e) => e,
        Err(e) => return fail(e.message),
    };
    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
        let conditions = item.get("conditions").and_then(Value::as_array);
        for (j, condition) in conditions.into_iter().flatten().enumerate() {
            let at = format!("item {i} condition {j}");
            let acrs = condition.get("required_acrs").and_then(Value::as_array);
            let bad_acr = acrs
                .into_iter()
                .flatten()
                .any(|v| v.as_str().is_none_or(|s| s.is_empty() || s.contains(' ')));
            if bad_acr {
                return fail(format!(
                    "{at}: required_acrs must be ACR names (non-empty, no spaces)"
                ));
            }
            if condition
                .get("no_auth")
                .is_some_and(|v| !v.is_boolean() && !v.is_null())
            {
                return fail(format!("{at}: no_auth must be a boolean"));
            }
        }
    }
    Some(expression)
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

    fn errors(v: Value) -> Vec<FieldError> {
        match Config::from_value(&v) {
            Err(ConfigError::Invalid(fields)) => fields,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    fn only_error(v: Value) -> FieldError {
        let mut e = errors(v);
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let (c, effective) = Config::from_value(&base()).unwrap();
        assert!(!c.restore_original_auth_params);
        assert!(c.acrs.is_none());
        assert!(c.post_logout.is_none());
        assert_eq!(c.ages.max_id_token_age, 3600);
        assert_eq!(effective["restore_original_auth_params"], false);
        assert_eq!(effective["logout_path"], Value::Null);
    }

    #[test]
    fn required_fields_are_all_reported() {
        let fields: Vec<String> = errors(json!({})).into_iter().map(|e| e.field).collect();
        for f in [
            "oxd_id",
            "client_id",
            "client_secret",
            "oxd_url",
            "op_url",
            "authorization_redirect_path",
            "max_id_token_age",
            "max_id_token_auth_age",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
        }
    }

    #[test]
    fn unknown_field_rejected() {
        assert_eq!(only_error(with("bogus", json!(1))).field, "bogus");
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
            ("max_id_token_auth_age", json!("soon")),
            ("requested_scopes", json!(["openid", "a b"])),
            ("requested_scopes", json!([1])),
            ("post_logout_redirect_path_or_url", json!("relative")),
            ("client_secret", json!("")),
            ("restore_original_auth_params", json!("maybe")),
        ] {
            // An array element's error names the element (`requested_scopes.2`), as the
            // schema reports every nested field.
            let at = only_error(with(field, value.clone())).field;
            assert!(
                at == field || at.starts_with(&format!("{field}.")),
                "{value}: {at}"
            );
        }
    }

    #[test]
    fn form_values_are_accepted() {
        let mut v = with("max_id_token_age", json!("60"));
        v["requested_scopes"] = json!("openid, email");
        v["restore_original_auth_params"] = json!("true");
        // A form body's values are read as the schema's types before the plugin sees them.
        let coerced = schema().validate(&v, true).unwrap();
        let (c, _) = Config::from_value(&coerced).unwrap();
        assert_eq!(c.ages.max_id_token_age, 60);
        assert_eq!(c.requested_scopes, ["openid", "email"]);
        assert!(c.restore_original_auth_params);
    }

    #[test]
    fn post_logout_path_or_url() {
        let (c, _) =
            Config::from_value(&with("post_logout_redirect_path_or_url", json!("/bye"))).unwrap();
        assert_eq!(c.post_logout, Some(PostLogout::Path("/bye".into())));
        let (c, _) = Config::from_value(&with(
            "post_logout_redirect_path_or_url",
            json!("https://dev1.gluu.org/logout_redirect_uri"),
        ))
        .unwrap();
        assert!(matches!(c.post_logout, Some(PostLogout::Url(_))));
    }

    #[test]
    fn acr_expression_as_text_or_array() {
        let rules = json!([
            {"path": "/payments/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["otp"]}]},
            {"path": "/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["auth_ldap_server"]}]}
        ]);
        let (c, effective) =
            Config::from_value(&with("required_acrs_expression", rules.clone())).unwrap();
        assert!(c.acrs.is_some());
        assert_eq!(effective["required_acrs_expression"], rules);
        let (c, _) = Config::from_value(&with(
            "required_acrs_expression",
            Value::String(rules.to_string()),
        ))
        .unwrap();
        assert!(c.acrs.is_some());
    }

    #[test]
    fn acr_expression_errors() {
        let e = only_error(with("required_acrs_expression", json!("[{")));
        assert_eq!(e.field, "required_acrs_expression");
        assert!(e.message.starts_with("invalid JSON"), "{e:?}");
        let e = only_error(with("required_acrs_expression", json!([])));
        assert_eq!(e.message, "Empty expression not allowed");
        for condition in [
            json!({"httpMethods": ["?"], "required_acrs": []}),
            json!({"httpMethods": ["?"], "required_acrs": [""]}),
            json!({"httpMethods": ["?"], "required_acrs": ["a b"]}),
        ] {
            let e = only_error(with(
                "required_acrs_expression",
                json!([{"path": "/x", "conditions": [condition]}]),
            ));
            assert!(e.message.contains("required_acrs"), "{e:?}");
        }
        let e = only_error(with(
            "required_acrs_expression",
            json!([{"path": "/x", "conditions": [{"httpMethods": ["?"], "no_auth": "yes"}]}]),
        ));
        assert!(e.message.contains("no_auth"), "{e:?}");
    }
}
