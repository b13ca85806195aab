//! The cluster cache fields (Kong 3.8+ `cluster_cache_strategy` / `cluster_cache_redis`, 3.15
//! `cluster_cache_items`; <https://developer.konghq.com/plugins/openid-connect/reference/>):
//! whether the introspection answers and the grants' tokens this instance caches are also
//! shared, through one Redis, with every instance configured alike. [`super::cluster_cache`]
//! is the shared level itself.
//!
//! `cluster_cache_redis` is Kong's record with the subset of its fields this gateway implements
//! (one Redis server over TCP, no TLS, Sentinel or Cluster); it becomes the same
//! [`RedisConfig`] the `session_redis_*` fields do, so both go through one Redis client
//! ([`super::session_store::RedisStore`]).

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::session_config::RedisConfig;
use crate::plugins::schema::ConfigError;
use crate::schema::{Check, Field, Record};

/// `cluster_cache_strategy` values (Kong: `off`, `redis`).
pub const STRATEGIES: [&str; 2] = ["off", "redis"];

/// `cluster_cache_items` values (Kong 3.15).
pub const ITEMS: [&str; 2] = ["introspection", "tokens"];

const FIELDS: [&str; 3] = [
    "cluster_cache_strategy",
    "cluster_cache_items",
    "cluster_cache_redis",
];

/// What this instance shares through the cluster cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterCacheOptions {
    /// The Redis of `cluster_cache_strategy: redis` (None: `off`, each instance caches alone).
    pub redis: Option<RedisConfig>,
    /// `introspection` is in `cluster_cache_items`.
    pub introspection: bool,
    /// `tokens` is in `cluster_cache_items`.
    pub tokens: bool,
}

fn millis(default: i64) -> Field {
    Field::integer()
        .between(0, i64::from(i32::MAX))
        .default(default)
}

fn valid_host(v: &Value) -> Result<(), String> {
    // Kong's `typedefs.host`: a name or an IP address, nothing URL-like.
    match v.as_str().map(url::Host::parse) {
        Some(Ok(_)) => Ok(()),
        _ => Err("invalid host".into()),
    }
}

fn redis_record() -> Record {
    Record::new()
        .field(
            "host",
            Field::string().default("127.0.0.1").validator(valid_host),
        )
        .field("port", Field::integer().between(0, 65_535).default(6379))
        .field(
            "database",
            Field::integer().between(0, i64::from(i32::MAX)).default(0),
        )
        .field("username", Field::string())
        .field("password", Field::string())
        .field("connect_timeout", millis(2000))
        .field("read_timeout", millis(2000))
        .field("send_timeout", millis(2000))
}

/// With `redis`, the record must name a server a connection can be made to (Kong: the strategy
/// is refused when its `cluster_cache_<strategy>` configuration is missing).
fn usable_redis(r: &Map<String, Value>) -> Result<(), String> {
    if r["cluster_cache_strategy"] != "redis" {
        return Ok(());
    }
    let redis = &r["cluster_cache_redis"];
    let host = redis["host"].as_str().unwrap_or_default();
    let port = redis["port"].as_i64().unwrap_or_default();
    if host.is_empty() || port == 0 {
        Err("a Redis host and a port other than 0 are required when cluster_cache_strategy is redis".into())
    } else {
        Ok(())
    }
}

/// Declares the fields on the plugin's config record.
pub fn declare(record: Record) -> Record {
    record
        .field(
            "cluster_cache_strategy",
            Field::string()
                .one_of(&STRATEGIES)
                .default("off")
                .description("redis: share cached introspections (and tokens) across instances"),
        )
        .field(
            "cluster_cache_items",
            Field::set(Field::string().one_of(&ITEMS)).default(json!(["introspection"])),
        )
        .field(
            "cluster_cache_redis",
            Field::record(redis_record()).required(),
        )
        .check(Check::custom_on("cluster_cache_redis", usable_redis))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedis {
    host: String,
    port: i64,
    database: i64,
    username: Option<String>,
    password: Option<String>,
    connect_timeout: i64,
    read_timeout: i64,
    send_timeout: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    cluster_cache_strategy: String,
    cluster_cache_items: Vec<String>,
    cluster_cache_redis: RawRedis,
}

impl ClusterCacheOptions {
    /// Takes this module's fields out of an accepted (defaults-filled) config.
    pub fn take(fields: &mut Map<String, Value>) -> Result<ClusterCacheOptions, ConfigError> {
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
        let r = raw.cluster_cache_redis;
        let redis = (raw.cluster_cache_strategy == "redis").then(|| RedisConfig {
            host: r.host,
            port: u16::try_from(r.port).unwrap_or(6379),
            database: r.database,
            username: r.username.filter(|u| !u.is_empty()),
            password: r.password.filter(|p| !p.is_empty()),
            // The shared level names its own keys (`openid-connect:<item>:...`).
            prefix: None,
            connect_timeout: ms(r.connect_timeout),
            read_timeout: ms(r.read_timeout),
            send_timeout: ms(r.send_timeout),
        });
        let has = |item: &str| raw.cluster_cache_items.iter().any(|i| i == item);
        Ok(ClusterCacheOptions {
            redis,
            introspection: has("introspection"),
            tokens: has("tokens"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    fn base(extra: Value) -> Value {
        let mut cfg = json!({"issuer": "https://op.example", "client_id": ["kong"]});
        cfg.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        cfg
    }

    /// The fields an error names (`config.<field>` in the Admin API's `schema violation`).
    fn refused(extra: Value) -> Vec<String> {
        match Config::from_value(&base(extra.clone())) {
            Ok(_) => panic!("{extra} accepted"),
            Err(e) => e.errors().iter().map(|f| f.field.clone()).collect(),
        }
    }

    #[test]
    fn defaults_are_kongs_and_off_shares_nothing() {
        let (config, effective) = Config::from_value(&base(json!({}))).unwrap();
        assert_eq!(effective["cluster_cache_strategy"], "off");
        assert_eq!(effective["cluster_cache_items"], json!(["introspection"]));
        let redis = &effective["cluster_cache_redis"];
        assert_eq!(redis["host"], "127.0.0.1");
        assert_eq!(redis["port"], 6379);
        assert_eq!(redis["database"], 0);
        assert_eq!(redis["connect_timeout"], 2000);
        assert_eq!(redis["read_timeout"], 2000);
        assert_eq!(redis["send_timeout"], 2000);
        assert_eq!(config.cluster_cache.redis, None);
        assert!(config.cluster_cache.introspection && !config.cluster_cache.tokens);
    }

    #[test]
    fn redis_reads_the_record_into_the_session_stores_connection_config() {
        let (config, _) = Config::from_value(&base(json!({
            "cluster_cache_strategy": "redis",
            "cluster_cache_items": ["tokens", "introspection", "tokens"],
            "cluster_cache_redis": {"host": "redis.internal", "port": 6380, "database": 2,
                                    "username": "kong", "password": "pw", "read_timeout": 150},
        })))
        .unwrap();
        let redis = config.cluster_cache.redis.expect("redis");
        assert_eq!(redis.host, "redis.internal");
        assert_eq!(redis.port, 6380);
        assert_eq!(redis.database, 2);
        assert_eq!(redis.username.as_deref(), Some("kong"));
        assert_eq!(redis.password.as_deref(), Some("pw"));
        assert_eq!(redis.read_timeout, Duration::from_millis(150));
        assert_eq!(redis.send_timeout, Duration::from_millis(2000));
        assert_eq!(redis.prefix, None);
        assert!(config.cluster_cache.introspection && config.cluster_cache.tokens);
    }

    #[test]
    fn an_unknown_strategy_or_item_is_refused_naming_the_field() {
        assert_eq!(
            refused(json!({"cluster_cache_strategy": "memcached"})),
            ["cluster_cache_strategy"]
        );
        assert_eq!(
            refused(json!({"cluster_cache_items": ["introspection", "userinfo"]})),
            ["cluster_cache_items.2"]
        );
        assert_eq!(
            refused(json!({"cluster_cache_items": "tokens"})),
            ["cluster_cache_items"]
        );
    }

    #[test]
    fn redis_without_a_usable_server_is_refused() {
        assert_eq!(
            refused(json!({"cluster_cache_strategy": "redis",
                           "cluster_cache_redis": {"port": 0}})),
            ["cluster_cache_redis"]
        );
        assert_eq!(
            refused(json!({"cluster_cache_strategy": "redis",
                           "cluster_cache_redis": {"host": ""}})),
            ["cluster_cache_redis.host"]
        );
        // The same record is fine while the strategy is off (Kong keeps it with its defaults).
        Config::from_value(&base(json!({"cluster_cache_redis": {"port": 0}}))).unwrap();
    }

    #[test]
    fn bad_redis_fields_and_unimplemented_kong_ones_are_refused_by_name() {
        for (redis, field) in [
            (json!("redis://127.0.0.1"), "cluster_cache_redis"),
            (json!({"host": "a b"}), "cluster_cache_redis.host"),
            (json!({"host": "http://x"}), "cluster_cache_redis.host"),
            (json!({"port": 70000}), "cluster_cache_redis.port"),
            (json!({"database": -1}), "cluster_cache_redis.database"),
            (
                json!({"read_timeout": -1}),
                "cluster_cache_redis.read_timeout",
            ),
            (json!({"ssl": true}), "cluster_cache_redis.ssl"),
            (
                json!({"sentinel_master": "m"}),
                "cluster_cache_redis.sentinel_master",
            ),
        ] {
            assert_eq!(
                refused(json!({"cluster_cache_strategy": "redis", "cluster_cache_redis": redis})),
                [field],
                "{redis}"
            );
        }
    }
}
