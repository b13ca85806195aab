//! The user store: usernames, argon2 password hashes (computed at load) and claims.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::UserConfig;

/// A user.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name.
    pub username: String,
    /// Subject identifier.
    pub sub: String,
    /// argon2 PHC string.
    password_hash: String,
    /// Claims released by scope.
    pub claims: BTreeMap<String, serde_json::Value>,
}

/// Every user, by username.
#[derive(Debug)]
pub struct UserStore {
    users: HashMap<String, User>,
    /// Verified when the username is unknown, so both cases cost the same: it has the cost of
    /// the configured users' hashes ([`gatecheck_passwords::dummy_like`]).
    dummy_hash: String,
    /// argon2 verifications performed (one per [`UserStore::authenticate`], known user or not).
    verifications: AtomicU64,
}

/// The hash an unknown username is checked against: the cost of the configured users' hashes
/// (the harness's test stacks give light ones), argon2's default without users, so a known and
/// an unknown username cost the same. One per cost per process.
fn dummy_hash(users: &HashMap<String, User>) -> anyhow::Result<String> {
    let like = users.values().next().map(|u| u.password_hash.as_str());
    Ok(gatecheck_passwords::dummy_like(like)?)
}

impl UserStore {
    /// Hashes clear-text passwords (PHC strings starting with `$argon2` are taken as hashes).
    pub fn load(users: &[UserConfig]) -> anyhow::Result<Self> {
        let mut map = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            let password_hash = if u.password.starts_with("$argon2") {
                gatecheck_passwords::check(&u.password)
                    .map_err(|e| anyhow::anyhow!("users[{i}].password: {e}"))?;
                u.password.clone()
            } else {
                gatecheck_passwords::hash(&u.password)?
            };
            map.insert(
                u.username.clone(),
                User {
                    username: u.username.clone(),
                    sub: u.sub.clone().unwrap_or_else(|| u.username.clone()),
                    password_hash,
                    claims: u.claims.clone(),
                },
            );
        }
        Ok(Self {
            dummy_hash: dummy_hash(&map)?,
            users: map,
            verifications: AtomicU64::new(0),
        })
    }

    /// Looks a user up by username.
    pub fn get(&self, username: &str) -> Option<&User> {
        self.users.get(username)
    }

    /// Looks a user up by subject.
    pub fn by_sub(&self, sub: &str) -> Option<&User> {
        self.users.values().find(|u| u.sub == sub)
    }

    /// Checks a password; `None` for an unknown user or a wrong password. CPU-heavy: call from a
    /// blocking task.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<&User> {
        let user = self.users.get(username);
        let stored = user.map_or(self.dummy_hash.as_str(), |u| u.password_hash.as_str());
        self.verifications.fetch_add(1, Ordering::Relaxed);
        if gatecheck_passwords::verify(stored, password) {
            user
        } else {
            None
        }
    }

    /// How many argon2 verifications [`UserStore::authenticate`] has performed.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> UserStore {
        let users: Vec<UserConfig> = serde_yaml::from_str(
            "- {username: admin, password: secret, claims: {name: Admin}}\n- {username: bob, password: pw, sub: u-2}\n",
        )
        .unwrap();
        UserStore::load(&users).unwrap()
    }

    #[test]
    fn passwords_are_hashed_and_checked() {
        let store = store();
        let admin = store.get("admin").unwrap();
        assert!(admin.password_hash.starts_with("$argon2id$"));
        assert!(!admin.password_hash.contains("secret"));
        assert!(store.authenticate("admin", "secret").is_some());
        assert!(store.authenticate("admin", "Secret").is_none());
        assert!(store.authenticate("nobody", "secret").is_none());
        assert_eq!(store.by_sub("u-2").unwrap().username, "bob");
        assert_eq!(admin.sub, "admin");
    }

    #[test]
    fn unknown_users_cost_one_verification_with_the_same_parameters() {
        let store = store();
        assert!(store.authenticate("nobody", "secret").is_none());
        assert_eq!(store.verifications(), 1, "a dummy hash was verified");
        assert!(store.authenticate("admin", "wrong").is_none());
        assert_eq!(store.verifications(), 2);
        let cost = |phc: &str| gatecheck_passwords::Cost::of(phc).unwrap();
        assert_eq!(
            cost(&store.dummy_hash),
            cost(&store.get("admin").unwrap().password_hash),
            "the dummy hash costs what a user's does"
        );
    }

    #[test]
    fn the_dummy_is_made_once_per_process_for_each_set_of_parameters() {
        let user = |password: &str| UserConfig {
            username: "u".into(),
            password: password.into(),
            sub: None,
            claims: BTreeMap::new(),
            otp_secret: None,
        };
        let phc = |m_cost: u32| {
            let cost = gatecheck_passwords::Cost::argon2id(m_cost, 1, 1).unwrap();
            gatecheck_passwords::hash_with("pw", &cost).unwrap()
        };
        let a = UserStore::load(&[user(&phc(64))]).unwrap();
        let b = UserStore::load(&[user(&phc(64))]).unwrap();
        assert_eq!(a.dummy_hash, b.dummy_hash, "same parameters, one dummy");
        assert!(a.dummy_hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        let c = UserStore::load(&[user(&phc(128))]).unwrap();
        assert!(
            c.dummy_hash.starts_with("$argon2id$v=19$m=128,t=1,p=1$"),
            "other parameters get their own dummy: {}",
            c.dummy_hash
        );
        assert!(c.authenticate("nobody", "pw").is_none());
    }

    #[test]
    fn phc_hashes_are_accepted_as_is() {
        let phc = gatecheck_passwords::hash("pre-hashed").unwrap();
        let users = vec![UserConfig {
            username: "h".into(),
            password: phc,
            sub: None,
            claims: BTreeMap::new(),
            otp_secret: None,
        }];
        let store = UserStore::load(&users).unwrap();
        assert!(store.authenticate("h", "pre-hashed").is_some());
        let bad = vec![UserConfig {
            password: "$argon2 is not a hash".into(),
            ..users[0].clone()
        }];
        assert!(UserStore::load(&bad).is_err());
    }
}
