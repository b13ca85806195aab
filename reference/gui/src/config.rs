//! The GUI's configuration: where Kong's Admin API, oxd and the OP are, who may log in.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// Configuration of the Admin GUI (YAML or JSON; unknown fields are rejected).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Base URL of the Kong Admin API every change goes through (e.g. `http://127.0.0.1:8001`).
    pub admin_url: Url,
    /// Base URL of the oxd server used to register OP clients (e.g. `http://127.0.0.1:8443`).
    pub oxd_url: Url,
    /// The OpenID Provider (issuer URL) the clients are registered at and plugins point to.
    pub op_url: Url,
    /// The Kong proxy's public base URL; the default of the "Kong proxy URL" field that the
    /// OpenID Connect plugin form turns into the client's redirect and post-logout URIs.
    #[serde(default)]
    pub proxy_url: Option<Url>,
    /// Who may log in.
    pub users: Vec<AdminUser>,
    /// Seals the session cookie; random per process when absent (sessions then end at restart).
    #[serde(default)]
    pub session_secret: Option<String>,
    /// A session unused for this long is logged out.
    #[serde(default = "default_idle")]
    pub session_idle_secs: u64,
    /// Bound of every call to the Admin API or oxd.
    #[serde(default = "default_timeout")]
    pub request_timeout_ms: u64,
    /// Marks the session cookie `Secure` (set it when the GUI is served over https).
    #[serde(default)]
    pub secure_cookie: bool,
}

/// An administrator allowed to log in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminUser {
    /// Login name.
    pub username: String,
    /// argon2 PHC string (`$argon2id$v=19$...`), e.g. from `gatecheck gui hash-password`.
    pub password_hash: String,
}

fn default_idle() -> u64 {
    1800
}

fn default_timeout() -> u64 {
    10_000
}

impl Config {
    /// A configuration with the defaults for everything but the URLs and users.
    pub fn new(admin_url: Url, oxd_url: Url, op_url: Url, users: Vec<AdminUser>) -> Self {
        Self {
            admin_url,
            oxd_url,
            op_url,
            proxy_url: None,
            users,
            session_secret: None,
            session_idle_secs: default_idle(),
            request_timeout_ms: default_timeout(),
            secure_cookie: false,
        }
    }

    /// The bound of every outbound call.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }

    /// Rejects a configuration the GUI cannot work with, naming the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.users.is_empty(),
            "users: at least one admin user is needed"
        );
        for (i, u) in self.users.iter().enumerate() {
            anyhow::ensure!(!u.username.is_empty(), "users[{i}].username is empty");
            gatecheck_passwords::check(&u.password_hash)
                .map_err(|e| anyhow::anyhow!("users[{i}].password_hash: {e}"))?;
        }
        for (name, url) in [
            ("admin_url", &self.admin_url),
            ("oxd_url", &self.oxd_url),
            ("op_url", &self.op_url),
        ] {
            anyhow::ensure!(
                matches!(url.scheme(), "http" | "https") && url.host().is_some(),
                "{name}: expected an http(s) URL with a host, got {url}"
            );
        }
        if let Some(s) = &self.session_secret {
            anyhow::ensure!(
                s.len() >= 32,
                "session_secret: at least 32 characters are needed"
            );
        }
        Ok(())
    }
}

/// Hashes a password for [`AdminUser::password_hash`] (argon2id, random salt).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Ok(gatecheck_passwords::hash(password)?)
}

/// Base URL joined with a path that starts with `/` (no double slash).
pub(crate) fn join(base: &Url, path: &str) -> String {
    format!("{}{}", base.as_str().trim_end_matches('/'), path)
}
