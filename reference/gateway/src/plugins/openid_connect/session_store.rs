//! Server-side session records in Redis (`session_storage: redis`), kept the way
//! lua-resty-session's redis storage keeps Kong's: one key per session,
//! `<session_redis_prefix>:<id>` (just `<id>` without a prefix), whose value is the sealed
//! session and whose TTL is the session's remaining lifetime, so Redis forgets a session when
//! every instance would refuse it anyway. Logout
//! deletes the key: the cookie, replayed to any instance, then opens to nothing.
//!
//! One [`redis::aio::ConnectionManager`] per plugin instance, connected on first use (a Redis
//! that is down when the gateway starts is no configuration error) and reconnecting by itself.
//! Every call is bounded: connecting by `session_redis_connect_timeout`, each command by
//! `session_redis_send_timeout` + `session_redis_read_timeout` (the client multiplexes one
//! connection, so the two cannot be told apart on the wire).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};
use tokio::sync::OnceCell;

use super::session_config::RedisConfig;

/// A Redis call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "session storage: {}", self.0)
    }
}

/// The session records of one plugin instance.
pub struct RedisStore {
    client: redis::Client,
    manager: OnceCell<ConnectionManager>,
    prefix: Option<String>,
    connect_timeout: Duration,
    command_timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store for `config` (nothing is connected yet).
    pub fn new(config: &RedisConfig) -> Result<Self, StoreError> {
        let mut redis = RedisConnectionInfo::default().set_db(config.database);
        if let Some(u) = &config.username {
            redis = redis.set_username(u);
        }
        if let Some(p) = &config.password {
            redis = redis.set_password(p);
        }
        let info = ConnectionAddr::Tcp(config.host.clone(), config.port)
            .into_connection_info()
            .map_err(|e| StoreError(e.to_string()))?
            .set_redis_settings(redis);
        let client = redis::Client::open(info).map_err(|e| StoreError(e.to_string()))?;
        // A zero timeout would fail every call; Kong's 0 means the library default.
        let or_default = |d: Duration| {
            if d.is_zero() {
                Duration::from_secs(2)
            } else {
                d
            }
        };
        Ok(Self {
            client,
            manager: OnceCell::new(),
            prefix: config.prefix.clone(),
            connect_timeout: or_default(config.connect_timeout),
            command_timeout: or_default(config.read_timeout) + or_default(config.send_timeout),
        })
    }

    fn key(&self, id: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{id}"),
            None => id.to_owned(),
        }
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let connect = async {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(self.connect_timeout))
                .set_response_timeout(Some(self.command_timeout))
                // Reconnection happens in the background; a request never waits for retries.
                .set_number_of_retries(1);
            match tokio::time::timeout(
                self.connect_timeout,
                self.client.get_connection_manager_with_config(config),
            )
            .await
            {
                Ok(Ok(m)) => Ok(m),
                Ok(Err(e)) => Err(StoreError(e.to_string())),
                Err(_) => Err(StoreError("connect timed out".into())),
            }
        };
        // A failed connect is not remembered: the next request tries again.
        self.manager.get_or_try_init(|| connect).await.cloned()
    }

    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.command_timeout, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(StoreError(e.to_string())),
            Err(_) => Err(StoreError("command timed out".into())),
        }
    }

    /// The record of session `id`, if Redis has it.
    pub async fn get(&self, id: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.connection().await?;
        let key = self.key(id);
        self.bounded(c.get::<_, Option<String>>(key)).await
    }

    /// Stores the record of session `id` for `ttl` seconds (at least 1).
    pub async fn set(&self, id: &str, value: &str, ttl: i64) -> Result<(), StoreError> {
        let mut c = self.connection().await?;
        let key = self.key(id);
        let ttl = u64::try_from(ttl.max(1)).unwrap_or(1);
        self.bounded(c.set_ex::<_, _, ()>(key, value, ttl)).await
    }

    /// Deletes the record of session `id`.
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let mut c = self.connection().await?;
        let key = self.key(id);
        self.bounded(c.del::<_, ()>(key)).await
    }
}
