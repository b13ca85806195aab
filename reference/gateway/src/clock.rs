//! The one clock every plugin and the relying-party core read, injectable so that tests watch a
//! cached token, grant, session or key set expire by moving time instead of sleeping.
//!
//! Time is Unix seconds: token `exp`/`iat`/`nbf`, cache lifetimes and refresh intervals are all
//! whole seconds in the protocols involved.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The current time in Unix seconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock tests move by hand: the system time plus an offset; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    offset: Arc<AtomicI64>,
}

impl ManualClock {
    /// Moves the clock forward by `seconds` (backwards when negative).
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        SystemClock.now() + self.offset.load(Ordering::SeqCst)
    }
}

/// The shared handle plugins hold.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock as a [`SharedClock`].
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_for_every_clone() {
        let clock = ManualClock::default();
        let other = clock.clone();
        let before = other.now();
        clock.advance(3600);
        let after = other.now();
        assert!(
            (3600..3610).contains(&(after - before)),
            "{before} → {after}"
        );
        clock.advance(-3600);
        assert!(other.now() - before < 10);
    }
}
