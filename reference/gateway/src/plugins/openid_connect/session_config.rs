//! The session fields beyond the cookie's attributes and timeouts (Kong 3.x names and defaults,
//! `docs/kong.md#session-and-cookies`): where sessions are stored (`session_storage` and the
//! `session_redis_*` connection), the persistent `remember` cookie, what a session is bound to,
//! its audience, the `Session-*` headers and `reverify`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::schema::valid_cookie_name;
use crate::plugins::schema::ConfigError;
use crate::schema::{Field, Record};

/// `session_storage` values this gateway implements (Kong also has `memcache`/`memcached`).
pub const STORAGES: [&str; 2] = ["cookie", "redis"];

/// `session_bind` values (lua-resty-session 4's `bind`).
pub const BINDS: [&str; 3] = ["ip", "scheme", "user-agent"];

/// `session_request_headers` / `session_response_headers` values.
pub const HEADERS: [&str; 7] = [
    "id",
    "audience",
    "subject",
    "timeout",
    "idling-timeout",
    "rolling-timeout",
    "absolute-timeout",
];

const FIELDS: [&str; 19] = [
    "session_storage",
    "session_redis_host",
    "session_redis_port",
    "session_redis_database",
    "session_redis_username",
    "session_redis_password",
    "session_redis_prefix",
    "session_redis_connect_timeout",
    "session_redis_read_timeout",
    "session_redis_send_timeout",
    "session_remember",
    "session_remember_cookie_name",
    "session_remember_rolling_timeout",
    "session_remember_absolute_timeout",
    "session_audience",
    "session_bind",
    "session_request_headers",
    "session_response_headers",
    "reverify",
];

/// Where the session data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// In the (sealed, possibly chunked) cookie itself.
    Cookie,
    /// In Redis under a random id; the cookie carries the sealed id only.
    Redis(RedisConfig),
}

/// The `session_redis_*` connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `session_redis_host`.
    pub host: String,
    /// `session_redis_port`.
    pub port: u16,
    /// `session_redis_database`.
    pub database: i64,
    /// `session_redis_username` (ACL user, Redis 6+).
    pub username: Option<String>,
    /// `session_redis_password`.
    pub password: Option<String>,
    /// `session_redis_prefix`: prepended (with `:`) to every key.
    pub prefix: Option<String>,
    /// `session_redis_connect_timeout`.
    pub connect_timeout: Duration,
    /// `session_redis_read_timeout`.
    pub read_timeout: Duration,
    /// `session_redis_send_timeout`.
    pub send_timeout: Duration,
}

/// The persistent `remember` cookie (`session_remember`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remember {
    /// `session_remember_cookie_name`.
    pub cookie_name: String,
    /// `session_remember_rolling_timeout` (0 = none).
    pub rolling_timeout: i64,
    /// `session_remember_absolute_timeout` (0 = none).
    pub absolute_timeout: i64,
}

/// The session options of this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// `session_storage`.
    pub storage: Storage,
    /// `session_remember` (None: off).
    pub remember: Option<Remember>,
    /// `session_audience`.
    pub audience: String,
    /// `session_bind`.
    pub bind: Vec<String>,
    /// `session_request_headers`.
    pub request_headers: Vec<String>,
    /// `session_response_headers`.
    pub response_headers: Vec<String>,
    /// `reverify`: verify the session's tokens again on every request.
    pub reverify: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            storage: Storage::Cookie,
            remember: None,
            audience: "default".into(),
            bind: Vec::new(),
            request_headers: Vec::new(),
            response_headers: Vec::new(),
            reverify: false,
        }
    }
}

fn choices(values: &[&'static str]) -> Field {
    Field::array(Field::string().one_of(values))
}

fn millis(default: i64) -> Field {
    Field::integer()
        .between(0, i64::from(i32::MAX))
        .default(default)
}

fn seconds(default: i64) -> Field {
    Field::number()
        .between(0, i64::from(u32::MAX))
        .default(default)
}

/// Declares the fields on the plugin's config record.
pub fn declare(record: Record) -> Record {
    record
        .field(
            "session_storage",
            Field::string().one_of(&STORAGES).default("cookie"),
        )
        .field("session_redis_host", Field::string().default("127.0.0.1"))
        .field(
            "session_redis_port",
            Field::integer().between(0, 65_535).default(6379),
        )
        .field(
            "session_redis_database",
            Field::integer().between(0, i64::from(i32::MAX)).default(0),
        )
        .field("session_redis_username", Field::string())
        .field("session_redis_password", Field::string())
        .field("session_redis_prefix", Field::string())
        .field("session_redis_connect_timeout", millis(2000))
        .field("session_redis_read_timeout", millis(2000))
        .field("session_redis_send_timeout", millis(2000))
        .field("session_remember", Field::boolean().default(false))
        .field(
            "session_remember_cookie_name",
            Field::string()
                .default("remember")
                .validator(valid_cookie_name),
        )
        .field("session_remember_rolling_timeout", seconds(604_800))
        .field("session_remember_absolute_timeout", seconds(2_592_000))
        .field("session_audience", Field::string().default("default"))
        .field("session_bind", choices(&BINDS))
        .field("session_request_headers", choices(&HEADERS))
        .field("session_response_headers", choices(&HEADERS))
        .field("reverify", Field::boolean().default(false))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    session_storage: String,
    session_redis_host: String,
    session_redis_port: i64,
    session_redis_database: i64,
    session_redis_username: Option<String>,
    session_redis_password: Option<String>,
    session_redis_prefix: Option<String>,
    session_redis_connect_timeout: i64,
    session_redis_read_timeout: i64,
    session_redis_send_timeout: i64,
    session_remember: bool,
    session_remember_cookie_name: String,
    session_remember_rolling_timeout: f64,
    session_remember_absolute_timeout: f64,
    session_audience: String,
    session_bind: Option<Vec<String>>,
    session_request_headers: Option<Vec<String>>,
    session_response_headers: Option<Vec<String>>,
    reverify: bool,
}

impl SessionOptions {
    /// Takes this module's fields out of an accepted (defaults-filled) config.
    pub fn take(fields: &mut Map<String, Value>) -> Result<SessionOptions, ConfigError> {
        let mut mine = Map::new();
        for name in FIELDS {
            if let Some(v) = fields.remove(name) {
                mine.insert(name.to_owned(), v);
            }
        }
        let raw: Raw = serde_json::from_value(Value::Object(mine)).map_err(|e| {
            ConfigError::field("@entity", format!("configuration not understood: {e}"))
        })?;
        let ms = |n: i64| Duration::from_millis(n.max(0) as u64);
        let storage = if raw.session_storage == "redis" {
            Storage::Redis(RedisConfig {
                host: raw.session_redis_host,
                port: u16::try_from(raw.session_redis_port).unwrap_or(6379),
                database: raw.session_redis_database,
                username: raw.session_redis_username.filter(|u| !u.is_empty()),
                password: raw.session_redis_password.filter(|p| !p.is_empty()),
                prefix: raw.session_redis_prefix.filter(|p| !p.is_empty()),
                connect_timeout: ms(raw.session_redis_connect_timeout),
                read_timeout: ms(raw.session_redis_read_timeout),
                send_timeout: ms(raw.session_redis_send_timeout),
            })
        } else {
            Storage::Cookie
        };
        let remember = raw.session_remember.then_some(Remember {
            cookie_name: raw.session_remember_cookie_name,
            rolling_timeout: raw.session_remember_rolling_timeout as i64,
            absolute_timeout: raw.session_remember_absolute_timeout as i64,
        });
        Ok(SessionOptions {
            storage,
            remember,
            audience: raw.session_audience,
            bind: raw.session_bind.unwrap_or_default(),
            request_headers: raw.session_request_headers.unwrap_or_default(),
            response_headers: raw.session_response_headers.unwrap_or_default(),
            reverify: raw.reverify,
        })
    }
}
