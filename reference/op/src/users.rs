//! The user store: usernames, argon2 password hashes (computed at load) and claims.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

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
    /// Verified when the username is unknown, so both cases cost the same: argon2's default
    /// parameters, the ones every clear-text password of the config is hashed with.
    dummy_hash: String,
    /// argon2 verifications performed (one per [`UserStore::authenticate`], known user or not).
    verifications: AtomicU64,
}

fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// The hash an unknown username is checked against, with the algorithm and parameters of the
/// configured users' hashes, so a known and an unknown username cost the same even when the
/// configuration gives hashes of its own (the harness's test stacks use light parameters).
/// Without users nobody can log in, and the dummy has argon2's default parameters.
///
/// The dummy only has to cost what a real verification costs, so it is made once per process for
/// each set of parameters: a process running many OPs (the harness starts one per scenario) would
/// otherwise spend an argon2 hash on every start.
fn dummy_hash(users: &HashMap<String, User>) -> anyhow::Result<String> {
    const DUMMY: &str = "dummy password for unknown users";
    static DUMMIES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let (algorithm, version, params) = match users.values().next() {
        Some(user) => {
            let parsed = PasswordHash::new(&user.password_hash)
                .map_err(|e| anyhow::anyhow!("bad argon2 hash: {e}"))?;
            let algorithm = argon2::Algorithm::try_from(parsed.algorithm)
                .map_err(|e| anyhow::anyhow!("bad argon2 hash: {e}"))?;
            let version = match parsed.version {
                Some(v) => argon2::Version::try_from(v).map_err(|e| anyhow::anyhow!("{e}"))?,
                None => argon2::Version::default(),
            };
            let params = argon2::Params::try_from(&parsed)
                .map_err(|e| anyhow::anyhow!("bad argon2 hash: {e}"))?;
            (algorithm, version, params)
        }
        None => Default::default(),
    };
    let key = format!(
        "{} v{} m={} t={} p={} len={:?}",
        algorithm.as_str(),
        version as u32,
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        params.output_len()
    );
    let dummies = DUMMIES.get_or_init(Default::default);
    let lock = || dummies.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(hash) = lock().get(&key) {
        return Ok(hash.clone());
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let hash = Argon2::new(algorithm, version, params)
        .hash_password(DUMMY.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(lock().entry(key).or_insert(hash).clone())
}

impl UserStore {
    /// Hashes clear-text passwords (PHC strings starting with `$argon2` are taken as hashes).
    pub fn load(users: &[UserConfig]) -> anyhow::Result<Self> {
        let mut map = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            let password_hash = if u.password.starts_with("$argon2") {
                PasswordHash::new(&u.password)
                    .map_err(|e| anyhow::anyhow!("users[{i}].password: bad argon2 hash: {e}"))?;
                u.password.clone()
            } else {
                hash(&u.password)?
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
        let ok = PasswordHash::new(stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        if ok {
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
        let params = |phc: &str| {
            let parsed = PasswordHash::new(phc).unwrap();
            (parsed.algorithm.to_string(), parsed.params.to_string())
        };
        assert_eq!(
            params(&store.dummy_hash),
            params(&store.get("admin").unwrap().password_hash),
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
        let phc = |m_cost: u32, salt: &str| {
            let params = argon2::Params::new(m_cost, 1, 1, None).unwrap();
            Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password(b"pw", &SaltString::from_b64(salt).unwrap())
                .unwrap()
                .to_string()
        };
        let a = UserStore::load(&[user(&phc(64, "c2FsdHNhbHRzYWx0"))]).unwrap();
        let b = UserStore::load(&[user(&phc(64, "b3RoZXJzYWx0c2FsdA"))]).unwrap();
        assert_eq!(a.dummy_hash, b.dummy_hash, "same parameters, one dummy");
        assert!(a.dummy_hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        let c = UserStore::load(&[user(&phc(128, "c2FsdHNhbHRzYWx0"))]).unwrap();
        assert!(
            c.dummy_hash.starts_with("$argon2id$v=19$m=128,t=1,p=1$"),
            "other parameters get their own dummy: {}",
            c.dummy_hash
        );
        assert!(c.authenticate("nobody", "pw").is_none());
    }

    #[test]
    fn phc_hashes_are_accepted_as_is() {
        let phc = hash("pre-hashed").unwrap();
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
