//! The one password check, shared by the login page and the password grant: the per-user
//! guessing limit ([`crate::guesses`], `password_lockout` in the config) around the argon2
//! verification of [`crate::users::UserStore::authenticate`].
//!
//! Unknown usernames are counted and locked exactly like real ones and cost one argon2
//! verification against a dummy hash, so neither the answer, the lock nor the time taken tells
//! whether an account exists. Counts are keyed by a digest of the username, so a flood of long
//! invented names costs little memory.

use crate::guesses::{self, Limit};
use crate::server::AppState;
use crate::util::b64;

/// What a password check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Right password: the user's `(username, sub)`. The user's count is cleared.
    Accepted(String, String),
    /// Wrong username or password.
    Rejected,
    /// Too many wrong passwords for this username: nothing was checked (or this wrong one
    /// reached the limit).
    Locked,
}

fn limit(state: &AppState) -> Limit {
    Limit {
        max_failures: state.config.password_lockout.max_failures,
        window_seconds: state.config.password_lockout.lockout_seconds,
    }
}

fn key(username: &str) -> String {
    use sha2::Digest;
    b64(&sha2::Sha256::digest(username.as_bytes()))
}

/// Checks `password` for `username` within the guessing limit. `Err` only if the check itself
/// could not run (a server fault).
pub async fn check(state: &AppState, username: &str, password: &str) -> Result<Outcome, String> {
    let limit = limit(state);
    let key = key(username);
    let table = &*state.storage.password_failures;
    let Some(tries) = guesses::reserve(table, &key, state.now(), limit) else {
        return Ok(Outcome::Locked);
    };
    let users = state.users.clone();
    let (username, password) = (username.to_owned(), password.to_owned());
    let user = tokio::task::spawn_blocking(move || {
        users
            .authenticate(&username, &password)
            .map(|u| (u.username.clone(), u.sub.clone()))
    })
    .await
    .map_err(|e| format!("password check task failed: {e}"))?;
    Ok(match user {
        Some((username, sub)) => {
            guesses::clear(table, &key);
            Outcome::Accepted(username, sub)
        }
        None if guesses::locked_by(tries, limit) => Outcome::Locked,
        None => Outcome::Rejected,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::{Config, PasswordLockout, UserConfig};
    use crate::ManualClock;

    fn state() -> AppState {
        let config = Config {
            keys: crate::config::fixture_keys(),
            users: vec![UserConfig {
                username: "admin".into(),
                password: "secret".into(),
                ..Default::default()
            }],
            password_lockout: PasswordLockout {
                max_failures: 2,
                lockout_seconds: 60,
            },
            ..Default::default()
        };
        AppState::new(
            config,
            "https://op".into(),
            Arc::new(ManualClock::default()),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn locked_names_are_not_checked_and_unknown_names_cost_a_verification() {
        let state = state();
        for name in ["admin", "nobody"] {
            let before = state.users.verifications();
            assert_eq!(check(&state, name, "x").await.unwrap(), Outcome::Rejected);
            assert_eq!(check(&state, name, "x").await.unwrap(), Outcome::Locked);
            assert_eq!(state.users.verifications(), before + 2, "{name}");
            assert_eq!(
                check(&state, name, "secret").await.unwrap(),
                Outcome::Locked
            );
            assert_eq!(
                state.users.verifications(),
                before + 2,
                "{name}: nothing is verified while locked"
            );
        }
    }

    #[tokio::test]
    async fn success_clears_the_count() {
        let state = state();
        assert_eq!(
            check(&state, "admin", "x").await.unwrap(),
            Outcome::Rejected
        );
        assert_eq!(
            check(&state, "admin", "secret").await.unwrap(),
            Outcome::Accepted("admin".into(), "admin".into())
        );
        assert_eq!(
            check(&state, "admin", "x").await.unwrap(),
            Outcome::Rejected
        );
    }
}
