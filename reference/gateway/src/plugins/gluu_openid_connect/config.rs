//! The plugin's configuration (`docs/gluu-gateway.md#openid-connect-plugin-configuration`) and its
//! validation.
//!
//! Read with the gateway's [`ConfigReader`] so every invalid field is reported Kong-style
//! (`config.<field>`) and the Admin API shows the effective config with defaults filled in.

use gatecheck_policy::Expression;
use serde_json::Value;
use url::Url;

use super::tokens::Ages;
use crate::plugins::schema::{ConfigError, ConfigReader};

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

impl Config {
    /// Reads and validates `value`; returns the config and the effective config (defaults
    /// filled in) for the Admin API. Every invalid field is reported.
    pub fn from_value(value: &Value) -> Result<(Config, Value), ConfigError> {
        let mut r = ConfigReader::new(value)?;
        let oxd_id = r.required_string("oxd_id");
        let client_id = r.required_string("client_id");
        let client_secret = r.required_string("client_secret");
        let oxd_url = r.url("oxd_url");
        let op_url = r.url("op_url").map(|_| ());
        let op_url_text = value
            .get("op_url")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let redirect_path = r.required_string("authorization_redirect_path");
        if let Some(p) = &redirect_path {
            check_path(&mut r, "authorization_redirect_path", p);
        }
        let logout_path = r.optional_string("logout_path");
        if let Some(p) = &logout_path {
            check_path(&mut r, "logout_path", p);
            if Some(p) == redirect_path.as_ref() {
                r.error(
                    "logout_path",
                    "must differ from authorization_redirect_path",
                );
            }
        }
        let post_logout = match r.optional_string("post_logout_redirect_path_or_url") {
            None => None,
            Some(p) if p.starts_with('/') => {
                check_path(&mut r, "post_logout_redirect_path_or_url", &p);
                Some(PostLogout::Path(p))
            }
            Some(u) => match Url::parse(&u) {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                    Some(PostLogout::Url(url))
                }
                _ => {
                    r.error(
                        "post_logout_redirect_path_or_url",
                        "must be a path starting with / or an absolute http(s) URL",
                    );
                    None
                }
            },
        };
        let requested_scopes = scopes(&mut r);
        let max_id_token_age = seconds(&mut r, "max_id_token_age");
        let max_id_token_auth_age = seconds(&mut r, "max_id_token_auth_age");
        let acrs = match r.raw("required_acrs_expression") {
            None => None,
            Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
                Ok(v) => compile_acrs(&mut r, &v),
                Err(e) => {
                    r.error("required_acrs_expression", format!("invalid JSON: {e}"));
                    None
                }
            },
            Some(v) => compile_acrs(&mut r, &v),
        };
        let restore_original_auth_params = r.boolean("restore_original_auth_params", false);
        let custom_headers = r.raw("custom_headers");
        let effective = r.finish()?;
        // `finish` succeeded, so every required field above was read.
        let missing = || ConfigError::field("@entity", "invalid config");
        let config = Config {
            oxd_id: oxd_id.ok_or_else(missing)?,
            client_id: client_id.ok_or_else(missing)?,
            client_secret: client_secret.ok_or_else(missing)?,
            oxd_url: oxd_url.ok_or_else(missing)?,
            op_url: op_url.and(op_url_text).ok_or_else(missing)?,
            authorization_redirect_path: redirect_path.ok_or_else(missing)?,
            logout_path,
            post_logout,
            requested_scopes,
            ages: Ages {
                max_id_token_age: max_id_token_age.ok_or_else(missing)?,
                max_id_token_auth_age: max_id_token_auth_age.ok_or_else(missing)?,
            },
            acrs,
            restore_original_auth_params,
            custom_headers,
        };
        Ok((config, effective))
    }
}

/// `requested_scopes`: an array of scope strings, or a comma-separated string (form bodies).
fn scopes(r: &mut ConfigReader<'_>) -> Vec<String> {
    const FIELD: &str = "requested_scopes";
    let scopes: Vec<String> = match r.raw(FIELD) {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut scopes = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => scopes.push(s),
                    _ => {
                        r.error(FIELD, "expected an array of strings");
                        return Vec::new();
                    }
                }
            }
            scopes
        }
        Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_owned()).collect(),
        Some(_) => {
            r.error(FIELD, "expected an array of strings");
            return Vec::new();
        }
    };
    if let Some(bad) = scopes.iter().find(|s| s.is_empty() || s.contains(' ')) {
        r.error(
            FIELD,
            format!("invalid scope {bad:?}: scopes are non-empty and contain no spaces"),
        );
    }
    scopes
}

/// A required positive number of seconds (a JSON integer or a numeric string from a form).
fn seconds(r: &mut ConfigReader<'_>, field: &str) -> Option<i64> {
    let value = match r.raw(field) {
        None => {
            r.error(field, "required field missing");
            return None;
        }
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match value {
        Some(v) if v > 0 => Some(v),
        _ => {
            r.error(field, "value must be a positive integer (seconds)");
            None
        }
    }
}

/// Validates with GG's expression checks (the policy engine also checks `required_acrs`), then
/// what GG left to runtime: ACR names without spaces, `no_auth` a boolean.
fn compile_acrs(r: &mut ConfigReader<'_>, value: &Value) -> Option<Expression> {
    const FIELD: &str = "required_acrs_expression";
    let expression = match Expression::from_value(value) {
        Ok(e) => e,
        Err(e) => {
            r.error(FIELD, e.message);
            return None;
        }
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
                r.error(
                    FIELD,
                    format!("{at}: required_acrs must be ACR names (non-empty, no spaces)"),
                );
                return None;
            }
            if condition
                .get("no_auth")
                .is_some_and(|v| !v.is_boolean() && !v.is_null())
            {
                r.error(FIELD, format!("{at}: no_auth must be a boolean"));
                return None;
            }
        }
    }
    Some(expression)
}

fn check_path(r: &mut ConfigReader<'_>, field: &str, value: &str) {
    if !value.starts_with('/') {
        r.error(field, "must be a path starting with /");
    } else if value.contains(['?', '#', ' ']) {
        r.error(field, "must be a plain path (no query, fragment or spaces)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::schema::FieldError;
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
            assert_eq!(
                only_error(with(field, value.clone())).field,
                field,
                "{value}"
            );
        }
    }

    #[test]
    fn form_values_are_accepted() {
        let mut v = with("max_id_token_age", json!("60"));
        v["requested_scopes"] = json!("openid, email");
        v["restore_original_auth_params"] = json!("true");
        let (c, _) = Config::from_value(&v).unwrap();
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
