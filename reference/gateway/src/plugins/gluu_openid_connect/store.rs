//! Server-side session data: the large parts of a session (raw ID token, its claims, the access
//! token, userinfo, a request body awaiting replay), kept in memory under random 128-bit keys that
//! only the sealed session cookie reveals.
//!
//! The store belongs to one gateway process. Another gateway instance sharing the session secret
//! opens the cookie and knows which tokens the user holds (ACR, ages), but not their records: it
//! then refreshes the token silently at the OP (`prompt=none`, the OP's own session answers without
//! user interaction) and keeps the new record locally. See the module docs of the plugin.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use moka::future::Cache;
use serde_json::Value;

use super::session::SESSION_LIFETIME;

/// The server-side record of one ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    /// The ID token as issued (JWS compact form).
    pub id_token: Arc<str>,
    /// Its claims as returned by oxd.
    pub claims: Arc<Value>,
    /// The access token issued with it (a JSON string: the `access_token` of custom headers).
    pub access_token: Value,
    /// The userinfo response.
    pub userinfo: Arc<Value>,
}

impl TokenRecord {
    /// A record of what the callback received. Shared parts are behind `Arc`s: every request
    /// of the session hands them to the PEPs and the custom headers without copying them.
    pub fn new(id_token: String, claims: Value, access_token: String, userinfo: Value) -> Self {
        TokenRecord {
            id_token: Arc::from(id_token),
            claims: Arc::new(claims),
            access_token: Value::String(access_token),
            userinfo: Arc::new(userinfo),
        }
    }
}

/// A non-GET request saved for replay after login (`restore_original_auth_params`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayRecord {
    /// Original method.
    pub method: http::Method,
    /// Original `Content-Type`.
    pub content_type: Option<http::HeaderValue>,
    /// Original `Content-Encoding`.
    pub content_encoding: Option<http::HeaderValue>,
    /// Original body.
    pub body: Bytes,
}

/// Largest body saved for replay; bigger bodies are not replayed (the request after login is the
/// browser's GET of the original URL).
pub const MAX_REPLAY_BODY: usize = 1024 * 1024;

/// How long a saved request waits for its login to finish.
const REPLAY_LIFETIME: Duration = Duration::from_secs(600);

/// In-memory session data of one gateway process.
#[derive(Clone)]
pub struct SessionStore {
    tokens: Cache<String, Arc<TokenRecord>>,
    replays: Cache<String, Arc<ReplayRecord>>,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("tokens", &self.tokens.entry_count())
            .field("replays", &self.replays.entry_count())
            .finish()
    }
}

impl Default for SessionStore {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionStore {
    /// An empty store; token records expire after a session lifetime without use.
    pub fn new() -> Self {
        Self {
            tokens: Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(Duration::from_secs(SESSION_LIFETIME as u64))
                .build(),
            replays: Cache::builder()
                .max_capacity(10_000)
                .weigher(|_, r: &Arc<ReplayRecord>| {
                    u32::try_from(r.body.len() / 1024 + 1).unwrap_or(u32::MAX)
                })
                .time_to_live(REPLAY_LIFETIME)
                .build(),
        }
    }

    /// Stores a token record under a fresh random key and returns the key.
    pub async fn put_token(&self, record: TokenRecord) -> String {
        let key = random_key();
        self.tokens.insert(key.clone(), Arc::new(record)).await;
        key
    }

    /// The token record under `key`, if this process has it.
    pub async fn token(&self, key: &str) -> Option<Arc<TokenRecord>> {
        self.tokens.get(key).await
    }

    /// Forgets token records.
    pub async fn remove_tokens<'a>(&self, keys: impl IntoIterator<Item = &'a String>) {
        for key in keys {
            self.tokens.invalidate(key).await;
        }
    }

    /// Saves a request for replay and returns its key.
    pub async fn put_replay(&self, record: ReplayRecord) -> String {
        let key = random_key();
        self.replays.insert(key.clone(), Arc::new(record)).await;
        key
    }

    /// Takes (removes and returns) the saved request under `key`: it is replayed at most once.
    pub async fn take_replay(&self, key: &str) -> Option<Arc<ReplayRecord>> {
        self.replays.remove(key).await
    }
}

/// 122 random bits from the OS generator (UUID v4), hex encoded.
fn random_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TokenRecord {
        TokenRecord::new(
            "a.b.c".into(),
            serde_json::json!({"sub": "alice"}),
            "at".into(),
            serde_json::json!({"email": "a@example.org"}),
        )
    }

    #[tokio::test]
    async fn tokens_round_trip_and_remove() {
        let store = SessionStore::new();
        let key = store.put_token(record()).await;
        assert_eq!(key.len(), 32);
        assert_eq!(*store.token(&key).await.unwrap(), record());
        store.remove_tokens([&key]).await;
        assert!(store.token(&key).await.is_none());
    }

    #[tokio::test]
    async fn keys_are_unique() {
        let store = SessionStore::new();
        let a = store.put_token(record()).await;
        let b = store.put_token(record()).await;
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn replay_is_taken_once() {
        let store = SessionStore::new();
        let key = store
            .put_replay(ReplayRecord {
                method: http::Method::POST,
                content_type: Some(http::HeaderValue::from_static("text")),
                content_encoding: None,
                body: Bytes::from_static(b"qwerty1234567"),
            })
            .await;
        assert_eq!(store.take_replay(&key).await.unwrap().body, "qwerty1234567");
        assert!(store.take_replay(&key).await.is_none());
    }
}
