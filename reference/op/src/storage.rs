//! State behind a small storage interface: each kind of record lives in a [`Table`] keyed by a
//! string, with an expiry. [`MemoryTable`] is the in-memory implementation; a persistent store
//! would implement [`Table`] and be plugged into [`Storage`]. Expired entries are invisible to
//! reads and removed by [`Storage::purge_expired`], which the server runs periodically.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clients::Client;
use crate::interaction::Interaction;
use crate::model::{
    AccessTokenRecord, AuthCode, ConsentRecord, OtpEnrollment, RefreshTokenRecord, Session,
    SpontaneousScopeRecord, UsedCode,
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

/// In-memory [`Table`].
#[derive(Debug)]
pub struct MemoryTable<V> {
    entries: Mutex<HashMap<String, (V, i64)>>,
}

impl<V> Default for MemoryTable<V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V> MemoryTable<V> {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (V, i64)>> {
        // A panic while holding the lock cannot leave a map half-updated (every operation is a
        // single map call), so a poisoned lock is safe to keep using.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<V: Clone + Send + Sync> Table<V> for MemoryTable<V> {
    fn insert(&self, key: &str, value: V, expires_at: i64) {
        self.lock().insert(key.to_owned(), (value, expires_at));
    }

    fn get(&self, key: &str, now: i64) -> Option<V> {
        let entries = self.lock();
        entries
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone())
    }

    fn take(&self, key: &str, now: i64) -> Option<V> {
        let mut entries = self.lock();
        match entries.remove(key) {
            Some((v, exp)) if exp > now => Some(v),
            _ => None,
        }
    }

    fn remove(&self, key: &str) -> bool {
        self.lock().remove(key).is_some()
    }

    fn update(&self, key: &str, now: i64, update: &mut dyn FnMut(&mut V)) -> Option<V> {
        let mut entries = self.lock();
        let (value, exp) = entries.get_mut(key)?;
        if *exp <= now {
            return None;
        }
        update(value);
        Some(value.clone())
    }

    fn modify(&self, key: &str, now: i64, change: &mut Modify<'_, V>) -> Option<V> {
        let mut entries = self.lock();
        let current = entries
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v);
        match change(current) {
            Some((value, expires_at)) => {
                entries.insert(key.to_owned(), (value.clone(), expires_at));
                Some(value)
            }
            None => current.cloned(),
        }
    }

    fn remove_where(&self, matches: &dyn Fn(&V) -> bool) -> usize {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|_, (v, _)| !matches(v));
        before - entries.len()
    }

    fn values(&self, now: i64) -> Vec<V> {
        self.lock()
            .values()
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone())
            .collect()
    }

    fn purge_expired(&self, now: i64) -> usize {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|_, (_, exp)| *exp > now);
        before - entries.len()
    }
}

/// Every table the OP uses.
#[derive(Clone)]
pub struct Storage {
    /// Static and dynamically registered clients, by client_id.
    pub clients: Arc<dyn Table<Client>>,
    /// Unused authorization codes.
    pub codes: Arc<dyn Table<AuthCode>>,
    /// Codes already exchanged (for replay detection), by code.
    pub used_codes: Arc<dyn Table<UsedCode>>,
    /// Access tokens (opaque and JWT), by token string.
    pub access_tokens: Arc<dyn Table<AccessTokenRecord>>,
    /// Refresh tokens, by token string.
    pub refresh_tokens: Arc<dyn Table<RefreshTokenRecord>>,
    /// Rotated refresh tokens (replay detection), value = grant id.
    pub used_refresh_tokens: Arc<dyn Table<String>>,
    /// OP browser sessions, by session cookie value.
    pub sessions: Arc<dyn Table<Session>>,
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
            used_refresh_tokens: Arc::new(MemoryTable::default()),
            sessions: Arc::new(MemoryTable::default()),
            interactions: Arc::new(MemoryTable::default()),
            consents: Arc::new(MemoryTable::default()),
            otp: Arc::new(MemoryTable::default()),
            otp_failures: Arc::new(MemoryTable::default()),
            password_failures: Arc::new(MemoryTable::default()),
            spontaneous_scopes: Arc::new(MemoryTable::default()),
        }
    }

    /// Removes every expired record from every table; returns how many.
    pub fn purge_expired(&self, now: i64) -> usize {
        self.clients.purge_expired(now)
            + self.codes.purge_expired(now)
            + self.used_codes.purge_expired(now)
            + self.access_tokens.purge_expired(now)
            + self.refresh_tokens.purge_expired(now)
            + self.used_refresh_tokens.purge_expired(now)
            + self.sessions.purge_expired(now)
            + self.interactions.purge_expired(now)
            + self.consents.purge_expired(now)
            + self.otp.purge_expired(now)
            + self.otp_failures.purge_expired(now)
            + self.password_failures.purge_expired(now)
            + self.spontaneous_scopes.purge_expired(now)
    }

    /// Revokes every access and refresh token of a grant (code replay, refresh token replay,
    /// refresh token revocation).
    pub fn revoke_grant(&self, grant_id: &str) -> usize {
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
}
