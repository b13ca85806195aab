//! The one per-instance cache of the plugins: bounded (moka), single-flight on a miss (concurrent
//! first uses of a key share one introspection, one token request), and expiring on the
//! gateway's [`Clock`](crate::clock::Clock) — an entry is never served past its `expires_at`, so
//! a test that moves the clock sees a cached token or grant expire, and a cached answer never
//! outlives the token it describes.
//!
//! moka's own timer only bounds how long an entry occupies memory (the same lifetime, measured in
//! real time); the clock decides whether an entry may still be used.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::clock::SharedClock;

#[derive(Clone)]
struct Entry<V> {
    value: V,
    expires_at: i64,
    lifetime: Duration,
}

struct Lifetime;

impl<K, V> moka::Expiry<K, Entry<V>> for Lifetime {
    fn expire_after_create(
        &self,
        _key: &K,
        entry: &Entry<V>,
        _now: std::time::Instant,
    ) -> Option<Duration> {
        Some(entry.lifetime)
    }
}

/// The keys' hasher. Keys are bearer tokens (about 700 bytes for a JWT) that a client chooses:
/// moka's default SipHash cost about 1,900 instructions per lookup on them; foldhash, randomly
/// seeded per cache like SipHash's `RandomState`, hashes the same key in a fraction of that.
type KeyHasher = foldhash::quality::RandomState;

/// A bounded cache whose entries expire at a Unix time read from the gateway's clock.
pub struct ExpiringCache<K, V> {
    inner: Cache<K, Entry<V>, KeyHasher>,
    clock: SharedClock,
}

impl<K, V> std::fmt::Debug for ExpiringCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpiringCache")
            .field("entries", &self.inner.entry_count())
            .finish()
    }
}

impl<K, V> ExpiringCache<K, V>
where
    K: Hash + Eq + Send + Sync + Clone + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// At most `capacity` entries.
    pub fn new(capacity: u64, clock: SharedClock) -> Self {
        Self {
            inner: Cache::builder()
                .max_capacity(capacity)
                .expire_after(Lifetime)
                .build_with_hasher(KeyHasher::default()),
            clock,
        }
    }

    fn entry(&self, value: V, expires_at: i64) -> Entry<V> {
        let left = expires_at.saturating_sub(self.clock.now());
        Entry {
            value,
            expires_at,
            lifetime: Duration::from_secs(u64::try_from(left).unwrap_or(0)),
        }
    }

    /// The value of `key` if it has not expired; `key` may be borrowed (an `Arc<str>` key is
    /// looked up by `&str`, so a hit allocates nothing).
    pub async fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entry = self.inner.get(key).await?;
        if entry.expires_at > self.clock.now() {
            Some(entry.value)
        } else {
            self.inner.invalidate(key).await;
            None
        }
    }

    /// Stores `value` until `expires_at`; a value already expired is not stored.
    pub async fn insert(&self, key: K, value: V, expires_at: i64) {
        if expires_at > self.clock.now() {
            self.inner.insert(key, self.entry(value, expires_at)).await;
        } else {
            self.inner.invalidate(&key).await;
        }
    }

    /// Removes `key`.
    pub async fn remove(&self, key: &K) {
        self.inner.invalidate(key).await;
    }

    /// The value of `key`, or the one `init` produces with its expiry (concurrent callers for
    /// the same key wait for one `init`). Errors are not cached. A produced value whose expiry
    /// has already passed is returned to the callers that waited for it but not kept.
    pub async fn get_or_try_insert<F, E>(&self, key: K, init: F) -> Result<V, Arc<E>>
    where
        F: Future<Output = Result<(V, i64), E>>,
        E: Send + Sync + 'static,
    {
        if let Some(v) = self.get(&key).await {
            return Ok(v);
        }
        // Boxed: moka's coalescing future is about ten kilobytes. Inline, it would be part of
        // every caller's future, which the proxy moves (copies) on every request, hits included.
        let entry = Box::pin(self.inner.try_get_with(key, async {
            let (value, expires_at) = init.await?;
            Ok(self.entry(value, expires_at))
        }))
        .await?;
        Ok(entry.value)
    }

    /// Number of entries (approximate, as moka counts).
    pub fn len(&self) -> u64 {
        self.inner.entry_count()
    }

    /// Whether the cache is empty (approximate).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn cache() -> (ExpiringCache<&'static str, u32>, ManualClock) {
        let clock = ManualClock::default();
        (ExpiringCache::new(10, Arc::new(clock.clone())), clock)
    }

    #[tokio::test]
    async fn an_entry_expires_when_the_clock_passes_its_expiry() {
        let (cache, clock) = cache();
        let now = clock.now();
        cache.insert("a", 1, now + 60).await;
        assert_eq!(cache.get(&"a").await, Some(1));
        clock.advance(59);
        assert_eq!(cache.get(&"a").await, Some(1));
        clock.advance(1);
        assert_eq!(cache.get(&"a").await, None);
    }

    #[tokio::test]
    async fn an_expired_value_is_not_stored() {
        let (cache, clock) = cache();
        cache.insert("a", 1, clock.now()).await;
        assert_eq!(cache.get(&"a").await, None);
    }

    #[tokio::test]
    async fn init_runs_once_until_the_entry_expires() {
        let (cache, clock) = cache();
        let calls = AtomicUsize::new(0);
        let init = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>((7, clock.now() + 10))
        };
        assert_eq!(cache.get_or_try_insert("k", init()).await.unwrap(), 7);
        assert_eq!(cache.get_or_try_insert("k", init()).await.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        clock.advance(10);
        assert_eq!(cache.get_or_try_insert("k", init()).await.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let (cache, clock) = cache();
        let err = cache
            .get_or_try_insert("k", async { Err::<(u32, i64), _>("down") })
            .await
            .unwrap_err();
        assert_eq!(*err, "down");
        let ok = cache
            .get_or_try_insert("k", async { Ok::<_, &str>((1, clock.now() + 5)) })
            .await;
        assert_eq!(ok.unwrap(), 1);
    }
}
