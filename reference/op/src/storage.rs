//! State behind a small storage interface: each kind of record lives in a [`Table`] keyed by a
//! string, with an expiry. [`MemoryTable`] is the in-memory implementation; a persistent store
//! would implement [`Table`] and be plugged into [`Storage`]. Expired entries are invisible to
//! reads and removed by [`Storage::purge_expired`], which the server runs periodically; it locks
//! one shard of one table at a time, so requests never wait for a whole pass.

use std::hash::{BuildHasher, RandomState};

use hashbrown::hash_table::{self, HashTable};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clients::Client;
use crate::interaction::Interaction;
use crate::model::{
    AccessTokenRecord, AuthCode, ConsentRecord, IssuedIdToken, OtpEnrollment, RefreshTokenRecord,
    Session, SpontaneousScopeRecord, UsedCode,
};

/// Expiry meaning "never".
pub const NEVER: i64 = i64::MAX;

/// What [`Table::modify`] decides, seeing the current value: `Some((value, expires_at))` to
/// store, `None` to leave the entry as it is.
pub type Modify<'a, V> = dyn FnMut(Option<&V>) -> Option<(V, i64)> + 'a;

/// A keyed collection of records with expiry (Unix seconds).
pub trait Table<V>: Send + Sync {
    /// Inserts or replaces.
    fn insert(&self, key: &str, value: V, expires_at: i64);
    /// Reads an unexpired entry.
    fn get(&self, key: &str, now: i64) -> Option<V>;
    /// Removes and returns an unexpired entry atomically (single-use records).
    fn take(&self, key: &str, now: i64) -> Option<V>;
    /// Removes an entry; true if it existed.
    fn remove(&self, key: &str) -> bool;
    /// Applies `update` to an unexpired entry and returns the new value.
    fn update(&self, key: &str, now: i64, update: &mut dyn FnMut(&mut V)) -> Option<V>;
    /// Atomically shows `change` the unexpired value (if any); a `Some((value, expires_at))`
    /// answer is stored. Returns the value stored afterwards (unchanged on `None`).
    fn modify(&self, key: &str, now: i64, change: &mut Modify<'_, V>) -> Option<V>;
    /// Removes every entry for which `matches` is true; returns how many.
    fn remove_where(&self, matches: &dyn Fn(&V) -> bool) -> usize;
    /// Every unexpired entry.
    fn values(&self, now: i64) -> Vec<V>;
    /// Drops expired entries; returns how many.
    fn purge_expired(&self, now: i64) -> usize;
}

/// Independently locked parts of a [`MemoryTable`]. Enough that concurrent requests rarely meet
/// on one lock and a table's growth resizes one small map at a time; few enough that a purge or
/// a `remove_where` visits them quickly.
const SHARDS: usize = 64;

/// In-memory [`Table`]: the entries are spread over [`SHARDS`] maps, each behind its own
/// read-write lock, so no operation takes a lock over the whole table. Reads share their shard;
/// purging expired entries and `remove_where` lock one shard at a time, so a purge never stops
/// the world, and a purge shrinks shards that expiry emptied so memory follows the live entries.
///
/// A key is hashed once per operation (SipHash, keyed per table: keys such as usernames and
/// assertion `jti`s come from requests): the hash picks the shard and the bucket, and is kept
/// with the entry, so a shard that grows moves its entries without hashing their keys again.
/// A table that only grows (access tokens under load) otherwise rehashed every key of a shard
/// at each doubling, all shards near the same moment, while requests waited.
#[derive(Debug)]
pub struct MemoryTable<V> {
    shards: Box<[RwLock<Shard<V>>]>,
    hasher: RandomState,
}

#[derive(Debug)]
struct Entry<V> {
    hash: u64,
    key: Box<str>,
    value: V,
    expires_at: i64,
}

type Shard<V> = HashTable<Entry<V>>;

/// The shard of a hash. Its bits are the middle ones: hashbrown takes the bucket from the low
/// bits and the 7-bit tag it filters a probe with from the top ones, so shard bits taken from
/// the top would leave every entry of a shard nearly the same tag, and lookups would compare
/// many keys instead of one.
fn shard_index(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

fn entry_hash<V>(entry: &Entry<V>) -> u64 {
    entry.hash
}

impl<V> Default for MemoryTable<V> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashTable::new())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl<V> MemoryTable<V> {
    fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    // A panic while holding a lock cannot leave a map half-updated (every operation is a single
    // map call), so a poisoned lock is safe to keep using.
    fn read(&self, hash: u64) -> RwLockReadGuard<'_, Shard<V>> {
        self.shards[shard_index(hash)]
            .read()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, hash: u64) -> RwLockWriteGuard<'_, Shard<V>> {
        self.shards[shard_index(hash)]
            .write()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn write_each(&self) -> impl Iterator<Item = RwLockWriteGuard<'_, Shard<V>>> {
        self.shards
            .iter()
            .map(|s| s.write().unwrap_or_else(|p| p.into_inner()))
    }

    /// Number of entries, expired or not (for memory accounting and tests).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    /// Whether the table holds no entries at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V: Clone + Send + Sync> Table<V> for MemoryTable<V> {
    fn insert(&self, key: &str, value: V, expires_at: i64) {
        let hash = self.hash(key);
        match self.write(hash).entry(hash, |e| &*e.key == key, entry_hash) {
            hash_table::Entry::Occupied(mut o) => {
                let e = o.get_mut();
                e.value = value;
                e.expires_at = expires_at;
            }
            hash_table::Entry::Vacant(v) => {
                v.insert(Entry {
                    hash,
                    key: key.into(),
                    value,
                    expires_at,
                });
            }
        }
    }

    fn get(&self, key: &str, now: i64) -> Option<V> {
        let hash = self.hash(key);
        self.read(hash)
            .find(hash, |e| &*e.key == key)
            .filter(|e| e.expires_at > now)
            .map(|e| e.value.clone())
    }

    fn take(&self, key: &str, now: i64) -> Option<V> {
        let hash = self.hash(key);
        let mut shard = self.write(hash);
        let (e, _) = shard.find_entry(hash, |e| &*e.key == key).ok()?.remove();
        (e.expires_at > now).then_some(e.value)
    }

    fn remove(&self, key: &str) -> bool {
        let hash = self.hash(key);
        let mut shard = self.write(hash);
        match shard.find_entry(hash, |e| &*e.key == key) {
            Ok(o) => {
                o.remove();
                true
            }
            Err(_) => false,
        }
    }

    fn update(&self, key: &str, now: i64, update: &mut dyn FnMut(&mut V)) -> Option<V> {
        let hash = self.hash(key);
        let mut shard = self.write(hash);
        let e = shard.find_mut(hash, |e| &*e.key == key)?;
        if e.expires_at <= now {
            return None;
        }
        update(&mut e.value);
        Some(e.value.clone())
    }

    fn modify(&self, key: &str, now: i64, change: &mut Modify<'_, V>) -> Option<V> {
        let hash = self.hash(key);
        let mut shard = self.write(hash);
        match shard.entry(hash, |e| &*e.key == key, entry_hash) {
            hash_table::Entry::Occupied(mut o) => {
                let live = o.get().expires_at > now;
                match change(live.then(|| &o.get().value)) {
                    Some((value, expires_at)) => {
                        let e = o.get_mut();
                        e.value = value.clone();
                        e.expires_at = expires_at;
                        Some(value)
                    }
                    None => live.then(|| o.get().value.clone()),
                }
            }
            hash_table::Entry::Vacant(v) => {
                let (value, expires_at) = change(None)?;
                v.insert(Entry {
                    hash,
                    key: key.into(),
                    value: value.clone(),
                    expires_at,
                });
                Some(value)
            }
        }
    }

    fn remove_where(&self, matches: &dyn Fn(&V) -> bool) -> usize {
        self.write_each()
            .map(|mut shard| {
                let before = shard.len();
                shard.retain(|e| !matches(&e.value));
                before - shard.len()
            })
            .sum()
    }

    fn values(&self, now: i64) -> Vec<V> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.read().unwrap_or_else(|p| p.into_inner());
            out.extend(
                shard
                    .iter()
                    .filter(|e| e.expires_at > now)
                    .map(|e| e.value.clone()),
            );
        }
        out
    }

    fn purge_expired(&self, now: i64) -> usize {
        self.write_each()
            .map(|mut shard| {
                let before = shard.len();
                shard.retain(|e| e.expires_at > now);
                // A burst of short-lived entries leaves a large, mostly empty map behind.
                let live = shard.len();
                if shard.capacity() > 64 && shard.capacity() > 4 * live {
                    shard.shrink_to(2 * live, entry_hash);
                }
                before - shard.len()
            })
            .sum()
    }
}

/// Every table the OP uses.
#[derive(Clone)]
pub struct Storage {
    /// Static and dynamically registered clients, by client_id. Shared, not cloned: every
    /// token and introspection request looks its client up.
    pub clients: Arc<dyn Table<Arc<Client>>>,
    /// Unused authorization codes.
    pub codes: Arc<dyn Table<AuthCode>>,
    /// Codes already exchanged (for replay detection), by code.
    pub used_codes: Arc<dyn Table<UsedCode>>,
    /// Access tokens (opaque and JWT), by token string.
    pub access_tokens: Arc<dyn Table<Arc<AccessTokenRecord>>>,
    /// Refresh tokens, by token string.
    pub refresh_tokens: Arc<dyn Table<RefreshTokenRecord>>,
    /// ID tokens issued, by a digest of the token (recognising `id_token_hint`s).
    pub id_tokens: Arc<dyn Table<IssuedIdToken>>,
    /// Rotated refresh tokens (replay detection), value = grant id.
    pub used_refresh_tokens: Arc<dyn Table<String>>,
    /// OP browser sessions, by session cookie value.
    pub sessions: Arc<dyn Table<Session>>,
    /// Session cookie values by public session id (`sid`): how logout and participation
    /// records find a session from an ID token.
    pub session_ids: Arc<dyn Table<String>>,
    /// Unfinished login/consent interactions, by id.
    pub interactions: Arc<dyn Table<Interaction>>,
    /// Remembered consents, by `username \n client_id`.
    pub consents: Arc<dyn Table<ConsentRecord>>,
    /// TOTP enrollments, by username.
    pub otp: Arc<dyn Table<OtpEnrollment>>,
    /// Recent wrong one-time passwords per username, across login attempts.
    pub otp_failures: Arc<dyn Table<u32>>,
    /// Recent wrong passwords per username digest, across login attempts and the password grant.
    pub password_failures: Arc<dyn Table<u32>>,
    /// Granted spontaneous scopes, by `client_id \n scope`.
    pub spontaneous_scopes: Arc<dyn Table<SpontaneousScopeRecord>>,
    /// Persistent pairwise subject identifiers, by `sector \n user sub`.
    pub pairwise_ids: Arc<dyn Table<String>>,
    /// `claims` request parameters, by grant id ([`crate::claims`]).
    pub claim_requests: Arc<dyn Table<crate::claims::ClaimsRequest>>,
    /// `jti`s of client assertions already used, by `client_id \n jti`, until they expire.
    pub assertion_jtis: Arc<dyn Table<()>>,
}

impl Storage {
    /// Fresh in-memory storage.
    pub fn in_memory() -> Self {
        Self {
            clients: Arc::new(MemoryTable::default()),
            codes: Arc::new(MemoryTable::default()),
            used_codes: Arc::new(MemoryTable::default()),
            access_tokens: Arc::new(MemoryTable::default()),
            refresh_tokens: Arc::new(MemoryTable::default()),
            id_tokens: Arc::new(MemoryTable::default()),
            used_refresh_tokens: Arc::new(MemoryTable::default()),
            sessions: Arc::new(MemoryTable::default()),
            session_ids: Arc::new(MemoryTable::default()),
            interactions: Arc::new(MemoryTable::default()),
            consents: Arc::new(MemoryTable::default()),
            otp: Arc::new(MemoryTable::default()),
            otp_failures: Arc::new(MemoryTable::default()),
            password_failures: Arc::new(MemoryTable::default()),
            spontaneous_scopes: Arc::new(MemoryTable::default()),
            pairwise_ids: Arc::new(MemoryTable::default()),
            claim_requests: Arc::new(MemoryTable::default()),
            assertion_jtis: Arc::new(MemoryTable::default()),
        }
    }

    /// Removes every expired record from every table; returns how many.
    pub fn purge_expired(&self, now: i64) -> usize {
        self.clients.purge_expired(now)
            + self.codes.purge_expired(now)
            + self.used_codes.purge_expired(now)
            + self.access_tokens.purge_expired(now)
            + self.refresh_tokens.purge_expired(now)
            + self.id_tokens.purge_expired(now)
            + self.used_refresh_tokens.purge_expired(now)
            + self.sessions.purge_expired(now)
            + self.session_ids.purge_expired(now)
            + self.interactions.purge_expired(now)
            + self.consents.purge_expired(now)
            + self.otp.purge_expired(now)
            + self.otp_failures.purge_expired(now)
            + self.password_failures.purge_expired(now)
            + self.spontaneous_scopes.purge_expired(now)
            + self.claim_requests.purge_expired(now)
            + self.assertion_jtis.purge_expired(now)
    }

    /// Revokes every access and refresh token of a grant (code replay, refresh token replay,
    /// refresh token revocation).
    pub fn revoke_grant(&self, grant_id: &str) -> usize {
        self.claim_requests.remove(grant_id);
        self.access_tokens.remove_where(&|t| t.grant_id == grant_id)
            + self
                .refresh_tokens
                .remove_where(&|t| t.grant_id == grant_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_entries_are_invisible_then_purged() {
        let table: MemoryTable<u32> = MemoryTable::default();
        table.insert("a", 1, 100);
        table.insert("b", 2, 200);
        table.insert("c", 3, NEVER);
        assert_eq!(table.get("a", 99), Some(1));
        assert_eq!(table.get("a", 100), None);
        assert_eq!(table.values(150).len(), 2);
        assert_eq!(table.purge_expired(150), 1);
        assert!(!table.remove("a"));
        assert_eq!(table.purge_expired(10_000), 1);
        assert_eq!(table.get("c", 10_000), Some(3));
    }

    #[test]
    fn take_is_single_use() {
        let table: MemoryTable<u32> = MemoryTable::default();
        table.insert("code", 7, 100);
        assert_eq!(table.take("code", 50), Some(7));
        assert_eq!(table.take("code", 50), None);
        table.insert("old", 8, 100);
        assert_eq!(
            table.take("old", 100),
            None,
            "expired entries are not handed out"
        );
    }

    #[test]
    fn modify_sees_only_unexpired_values_and_stores_what_it_returns() {
        let table: MemoryTable<u32> = MemoryTable::default();
        let bump = |t: &MemoryTable<u32>, now: i64| {
            t.modify("k", now, &mut |n| {
                Some((n.copied().unwrap_or(0) + 1, now + 10))
            })
        };
        assert_eq!(bump(&table, 0), Some(1));
        assert_eq!(bump(&table, 5), Some(2));
        assert_eq!(table.get("k", 14), Some(2), "expiry moved to 15");
        assert_eq!(bump(&table, 15), Some(1), "an expired value is not seen");
        assert_eq!(
            table.modify("k", 16, &mut |_| None),
            Some(1),
            "None leaves it"
        );
        assert_eq!(table.modify("absent", 16, &mut |_| None), None);
    }

    #[test]
    fn update_and_remove_where() {
        let table: MemoryTable<u32> = MemoryTable::default();
        table.insert("a", 1, NEVER);
        table.insert("b", 2, NEVER);
        assert_eq!(table.update("a", 0, &mut |v| *v += 10), Some(11));
        assert_eq!(table.update("zz", 0, &mut |v| *v += 10), None);
        assert_eq!(table.remove_where(&|v| *v > 5), 1);
        assert_eq!(table.values(0), vec![2]);
    }

    #[test]
    fn entries_spread_over_shards_and_purge_shrinks_them() {
        let table: MemoryTable<u32> = MemoryTable::default();
        for i in 0..10_000u32 {
            table.insert(&format!("token-{i}"), i, if i < 9_000 { 100 } else { 200 });
        }
        let used = table
            .shards
            .iter()
            .filter(|s| !s.read().unwrap().is_empty())
            .count();
        assert_eq!(used, SHARDS, "every shard takes part");
        let capacity = |t: &MemoryTable<u32>| {
            t.shards
                .iter()
                .map(|s| s.read().unwrap().capacity())
                .sum::<usize>()
        };
        let before = capacity(&table);
        assert_eq!(table.purge_expired(150), 9_000);
        assert_eq!(table.len(), 1_000);
        assert!(
            capacity(&table) * 4 <= before,
            "purged shards give memory back: {} -> {}",
            before,
            capacity(&table)
        );
        assert_eq!(table.get("token-9500", 150), Some(9_500));
        assert_eq!(table.get("token-5", 99), None, "purged");
    }

    #[test]
    fn the_entries_of_one_shard_keep_varied_bucket_tags() {
        // hashbrown filters a probe by the hash's top 7 bits; the shard must not fix them.
        let table: MemoryTable<u32> = MemoryTable::default();
        for i in 0..20_000u32 {
            table.insert(&format!("key-{i}"), i, NEVER);
        }
        for shard in table.shards.iter() {
            let shard = shard.read().unwrap();
            let mut tags: Vec<u64> = shard.iter().map(|e| e.hash >> 57).collect();
            tags.sort_unstable();
            tags.dedup();
            assert!(tags.len() > 100, "{} of 128 tags in a shard", tags.len());
            for e in shard.iter() {
                assert_eq!(e.hash, table.hash(&e.key), "the stored hash is the key's");
            }
        }
    }

    #[test]
    fn insert_replaces_and_modify_sees_replaced_values() {
        let table: MemoryTable<u32> = MemoryTable::default();
        table.insert("k", 1, 100);
        table.insert("k", 2, 200);
        assert_eq!(table.len(), 1, "one entry per key");
        assert_eq!(table.get("k", 150), Some(2), "the new value and expiry");
        assert_eq!(
            table.modify("k", 300, &mut |seen| {
                assert_eq!(seen, None, "expired");
                Some((3, 400))
            }),
            Some(3)
        );
        assert_eq!(table.get("k", 350), Some(3));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn concurrent_writers_and_readers_see_every_entry() {
        let table: Arc<MemoryTable<usize>> = Arc::new(MemoryTable::default());
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let table = Arc::clone(&table);
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        let key = format!("{w}-{i}");
                        table.insert(&key, i, NEVER);
                        assert_eq!(table.get(&key, 0), Some(i));
                        if i % 2 == 0 {
                            assert!(table.remove(&key));
                        }
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(table.len(), 4 * 1_000);
        assert_eq!(table.remove_where(&|v| *v % 4 == 1), 4 * 500);
    }
}
