//! Per-user limits on guessing secrets (passwords, one-time passwords) across login attempts and
//! grants: a count per user that a wrong guess raises and a success clears, and a lock once it
//! reaches the limit. A guess is counted *before* it is checked, atomically on the stored count,
//! so concurrent requests cannot buy extra guesses; tries made while locked are not counted
//! (the lock is not extended by them) and are not checked at all.

use crate::storage::Table;

/// How many wrong guesses one user gets, and for how long they are remembered.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Wrong guesses after which the user is locked.
    pub max_failures: u32,
    /// The count (and so the lock) is forgotten this many seconds after the last counted guess.
    pub window_seconds: i64,
}

/// Counts a guess for `key` before it is checked. Returns the guess's number (1 = first), or
/// `None` while the key is locked: then nothing may be checked.
pub fn reserve(table: &dyn Table<u32>, key: &str, now: i64, limit: Limit) -> Option<u32> {
    let until = now.saturating_add(limit.window_seconds);
    let mut reserved = None;
    table.modify(key, now, &mut |tries| {
        let tries = tries.copied().unwrap_or(0);
        if tries >= limit.max_failures {
            return None;
        }
        reserved = Some(tries + 1);
        Some((tries + 1, until))
    });
    reserved
}

/// Whether the guess numbered `tries` (from [`reserve`]), being wrong, locked the key.
pub fn locked_by(tries: u32, limit: Limit) -> bool {
    tries >= limit.max_failures
}

/// A right guess: the count starts again.
pub fn clear(table: &dyn Table<u32>, key: &str) {
    table.remove(key);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryTable;

    const LIMIT: Limit = Limit {
        max_failures: 3,
        window_seconds: 100,
    };

    #[test]
    fn the_limit_locks_until_the_window_passes() {
        let table = MemoryTable::default();
        assert_eq!(reserve(&table, "u", 0, LIMIT), Some(1));
        assert_eq!(reserve(&table, "u", 10, LIMIT), Some(2));
        let third = reserve(&table, "u", 20, LIMIT).unwrap();
        assert!(locked_by(third, LIMIT));
        assert_eq!(reserve(&table, "u", 50, LIMIT), None, "locked");
        assert_eq!(
            reserve(&table, "u", 119, LIMIT),
            None,
            "not extended by locked tries"
        );
        assert_eq!(reserve(&table, "u", 120, LIMIT), Some(1), "forgotten");
        assert_eq!(reserve(&table, "other", 20, LIMIT), Some(1), "per key");
    }

    #[test]
    fn a_success_clears_the_count() {
        let table = MemoryTable::default();
        reserve(&table, "u", 0, LIMIT);
        reserve(&table, "u", 0, LIMIT);
        clear(&table, "u");
        assert_eq!(reserve(&table, "u", 0, LIMIT), Some(1));
    }
}
