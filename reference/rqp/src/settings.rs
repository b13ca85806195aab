//! The tutorial script's configuration, from flags or a YAML/JSON file.

use serde::{Deserialize, Serialize};

/// The settings of `oauth-ss-demo.py`, by the same names, plus the scope and path it hard-codes.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// oxd server URL, e.g. `https://dev1.gluu.org:8443`.
    #[serde(default)]
    pub oxd_server_url: String,
    /// The consumer OP client's id.
    pub consumer_client_id: String,
    /// The consumer OP client's secret.
    pub consumer_client_secret: String,
    /// Kong proxy URL, e.g. `https://dev1.gluu.org`.
    pub kong_proxy_url: String,
    /// The Kong route's host, sent as the `Host` header, e.g. `oauth-demo.example.com`.
    pub kong_route_host: String,
    /// The OpenID Provider's URL (issuer).
    pub op_server: String,
    /// Scope requested; default `transactions:123`.
    #[serde(default = "default_scope")]
    pub scope: String,
    /// Path of the resource; default `/transactions/123`.
    #[serde(default = "default_path")]
    pub path: String,
    /// Get the token directly from the OP's token endpoint instead of oxd.
    #[serde(default)]
    pub direct: bool,
    /// Timeout of each HTTP call, seconds; default 10.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_scope() -> String {
    "transactions:123".into()
}
fn default_path() -> String {
    "/transactions/123".into()
}
fn default_timeout() -> u64 {
    10
}

/// A setting is missing or malformed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SettingsError {
    /// A required setting is empty.
    #[error("setting {0} is required")]
    Missing(&'static str),
    /// A URL setting does not parse.
    #[error("setting {name} is not a valid URL ({value:?}): {reason}")]
    BadUrl {
        /// The setting's name.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why it is not a URL.
        reason: String,
    },
    /// The settings file could not be read or parsed.
    #[error("settings file: {0}")]
    File(String),
}

impl Settings {
    /// Reads settings from YAML or JSON text.
    pub fn from_yaml_str(text: &str) -> Result<Settings, SettingsError> {
        serde_yaml::from_str(text).map_err(|e| SettingsError::File(e.to_string()))
    }

    /// Checks every setting the chosen flow needs.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let required = [
            ("consumer_client_id", &self.consumer_client_id),
            ("consumer_client_secret", &self.consumer_client_secret),
            ("kong_proxy_url", &self.kong_proxy_url),
            ("kong_route_host", &self.kong_route_host),
            ("op_server", &self.op_server),
            ("scope", &self.scope),
        ];
        for (name, value) in required {
            if value.trim().is_empty() {
                return Err(SettingsError::Missing(name));
            }
        }
        if !self.direct && self.oxd_server_url.trim().is_empty() {
            return Err(SettingsError::Missing("oxd_server_url"));
        }
        parse_url("kong_proxy_url", &self.kong_proxy_url)?;
        parse_url("op_server", &self.op_server)?;
        if !self.direct {
            parse_url("oxd_server_url", &self.oxd_server_url)?;
        }
        Ok(())
    }

    /// `<kong_proxy_url><path>`.
    pub fn resource_url(&self) -> Result<url::Url, SettingsError> {
        let base = parse_url("kong_proxy_url", &self.kong_proxy_url)?;
        base.join(&self.path).map_err(|e| SettingsError::BadUrl {
            name: "path",
            value: self.path.clone(),
            reason: e.to_string(),
        })
    }

    /// `<oxd_server_url>/<endpoint>`.
    pub fn oxd_url(&self, endpoint: &str) -> Result<url::Url, SettingsError> {
        let base = parse_url("oxd_server_url", &self.oxd_server_url)?;
        let joined = format!("{}/{}", base.as_str().trim_end_matches('/'), endpoint);
        parse_url("oxd_server_url", &joined)
    }

    /// The OP's discovery document URL.
    pub fn discovery_url(&self) -> Result<url::Url, SettingsError> {
        let joined = format!(
            "{}/.well-known/openid-configuration",
            self.op_server.trim_end_matches('/')
        );
        parse_url("op_server", &joined)
    }
}

fn parse_url(name: &'static str, value: &str) -> Result<url::Url, SettingsError> {
    url::Url::parse(value).map_err(|e| SettingsError::BadUrl {
        name,
        value: value.to_owned(),
        reason: e.to_string(),
    })
}
