//! The shared second level of the introspection and token caches (`cluster_cache_strategy:
//! redis`, [`super::cluster_cache_config`]): what one instance learnt from the OpenID Provider,
//! every instance using the same Redis and session secret may serve without asking again, as
//! Kong's clusters do (Kong's `cache.lua` wraps the node cache's callback the same way: the
//! cluster level is read on a local miss, written after a call to the IdP).
//!
//! - **Keys**: the local cache's key (a hash of everything the answer depends on) under a keyed
//!   hash, `openid-connect:<item>:<HMAC-SHA-256>`, so a key names no token or password hash
//!   that could be guessed at offline.
//! - **Values**: the answer and the Unix time it may be used until (the local cache's own
//!   lifetime, never past the token's `exp`), sealed with AES-256-GCM, the key's name bound in
//!   as associated data. Kong 3.15 encrypts the `tokens` item; the introspection answers are
//!   sealed too, so whoever can write to Redis still cannot make an instance accept a token.
//!   Both keys are derived (HKDF-SHA-256) from the plugin's session key (`session_secret`, else
//!   the gateway's), so instances share entries exactly when they share sessions.
//! - **Lifetime**: Redis forgets an entry after its remaining lifetime (`SET ... EX`); a reader
//!   also checks the sealed expiry against the gateway's clock, so no entry is used late.
//! - **Redis failing** (down, slow, a value that does not open): logged, and the request goes on
//!   as a miss — to the IdP. Every call is bounded by the connection's timeouts
//!   ([`RedisStore`]).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::cluster_cache_config::ClusterCacheOptions;
use super::session_store::{RedisStore, StoreError};
use crate::clock::SharedClock;

/// What is cached (`cluster_cache_items`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// Introspection answers.
    Introspection,
    /// The tokens of `password`, `client_credentials` and `refresh_token` grants.
    Tokens,
}

impl Item {
    fn name(self) -> &'static str {
        match self {
            Item::Introspection => "introspection",
            Item::Tokens => "tokens",
        }
    }
}

const NONCE_LEN: usize = 12;

/// The sealing and naming keys.
struct Keys {
    aead: Aes256Gcm,
    names: [u8; 32],
}

impl Keys {
    fn derive(secret: &cookie::Key) -> Keys {
        let hk = hkdf::Hkdf::<Sha256>::new(
            Some(b"gatecheck openid-connect cluster cache"),
            secret.master(),
        );
        let mut aead = [0u8; 32];
        let mut names = [0u8; 32];
        // 32 bytes are far below HKDF-SHA-256's limit (255 × 32), so neither expand can fail.
        hk.expand(b"aes-256-gcm", &mut aead)
            .expect("32 bytes of HKDF output");
        hk.expand(b"key names", &mut names)
            .expect("32 bytes of HKDF output");
        Keys {
            aead: Aes256Gcm::new(&aead.into()),
            names,
        }
    }

    fn name(&self, item: Item, key: &[u8; 32]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.names)
            .expect("HMAC takes a key of any length");
        mac.update(item.name().as_bytes());
        mac.update(key);
        format!(
            "openid-connect:{}:{}",
            item.name(),
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    fn seal(&self, name: &str, plain: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: name.as_bytes(),
                },
            )
            .expect("AES-GCM seals any message this small");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    fn open(&self, name: &str, sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ct) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        self.aead
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: name.as_bytes(),
                },
            )
            .ok()
    }
}

#[derive(Serialize, Deserialize)]
struct Entry<V> {
    until: i64,
    value: V,
}

struct Shared {
    store: RedisStore,
    keys: Keys,
    introspection: bool,
    tokens: bool,
}

/// The cluster level of one plugin instance; with `cluster_cache_strategy: off` every lookup
/// misses and nothing is written.
pub struct ClusterCache {
    shared: Option<Shared>,
    clock: SharedClock,
}

impl std::fmt::Debug for ClusterCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCache")
            .field("on", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl ClusterCache {
    /// The level `options` describe, keyed from the plugin's session key `secret`. Nothing is
    /// connected yet: a Redis that is down now is a miss later, not a configuration error.
    pub fn new(
        options: &ClusterCacheOptions,
        secret: &cookie::Key,
        clock: SharedClock,
    ) -> Result<ClusterCache, StoreError> {
        let shared = match &options.redis {
            None => None,
            Some(redis) => Some(Shared {
                store: RedisStore::new(redis)?,
                keys: Keys::derive(secret),
                introspection: options.introspection,
                tokens: options.tokens,
            }),
        };
        Ok(ClusterCache { shared, clock })
    }

    fn sharing(&self, item: Item) -> Option<&Shared> {
        self.shared.as_ref().filter(|s| match item {
            Item::Introspection => s.introspection,
            Item::Tokens => s.tokens,
        })
    }

    /// The shared value of `key` and the time it may be used until, if another instance (or
    /// this one) stored it and it has not expired on the gateway's clock.
    pub async fn get<V: DeserializeOwned>(&self, item: Item, key: &[u8; 32]) -> Option<(V, i64)> {
        let shared = self.sharing(item)?;
        let name = shared.keys.name(item, key);
        let sealed = match shared.store.get(&name).await {
            Ok(v) => v?,
            Err(e) => {
                tracing::warn!(item = item.name(), error = %e.0, "cluster cache read failed; asking the IdP");
                return None;
            }
        };
        let entry = shared
            .keys
            .open(&name, &sealed)
            .and_then(|plain| serde_json::from_slice::<Entry<V>>(&plain).ok());
        let Some(entry) = entry else {
            // Written under another secret, or altered: never used, and asked for again.
            tracing::warn!(
                item = item.name(),
                "cluster cache entry does not open; asking the IdP"
            );
            return None;
        };
        (entry.until > self.clock.now()).then_some((entry.value, entry.until))
    }

    /// Shares `value` until `until` (nothing when that has passed). A failure is only logged:
    /// the request already has its answer.
    pub async fn set<V: Serialize>(&self, item: Item, key: &[u8; 32], value: &V, until: i64) {
        let Some(shared) = self.sharing(item) else {
            return;
        };
        let ttl = until.saturating_sub(self.clock.now());
        if ttl <= 0 {
            return;
        }
        let name = shared.keys.name(item, key);
        let plain = match serde_json::to_vec(&Entry { until, value }) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(item = item.name(), error = %e, "cluster cache entry not encoded");
                return;
            }
        };
        let sealed = shared.keys.seal(&name, &plain);
        if let Err(e) = shared.store.set(&name, &sealed, ttl).await {
            tracing::warn!(item = item.name(), error = %e.0, "cluster cache write failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> Keys {
        Keys::derive(&super::super::session::key_from_secret(secret))
    }

    #[test]
    fn a_sealed_value_opens_only_under_its_name_and_secret() {
        let k = keys("shared");
        let name = k.name(Item::Tokens, &[7; 32]);
        let sealed = k.seal(&name, b"the access token");
        assert!(!sealed.contains("access"));
        assert_eq!(
            k.open(&name, &sealed).as_deref(),
            Some(&b"the access token"[..])
        );
        // Moved to another key, or read with another secret: nothing.
        let other = k.name(Item::Tokens, &[8; 32]);
        assert_eq!(k.open(&other, &sealed), None);
        assert_eq!(keys("another").open(&name, &sealed), None);
        // Altered, truncated or not base64: nothing, and no panic.
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(k.open(&name, &URL_SAFE_NO_PAD.encode(&bytes)), None);
        assert_eq!(k.open(&name, "AAAA"), None);
        assert_eq!(k.open(&name, "not base64!"), None);
    }

    #[test]
    fn names_are_keyed_per_item_and_secret_and_stable() {
        let k = keys("shared");
        let n = k.name(Item::Introspection, &[1; 32]);
        assert!(n.starts_with("openid-connect:introspection:"), "{n}");
        assert_eq!(n, keys("shared").name(Item::Introspection, &[1; 32]));
        assert_ne!(
            n,
            k.name(Item::Tokens, &[1; 32])
                .replace("tokens", "introspection")
        );
        assert_ne!(n, keys("another").name(Item::Introspection, &[1; 32]));
    }

    #[test]
    fn seals_differ_each_time() {
        let k = keys("shared");
        let name = k.name(Item::Tokens, &[0; 32]);
        assert_ne!(k.seal(&name, b"x"), k.seal(&name, b"x"));
    }
}
