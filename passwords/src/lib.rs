//! argon2 passwords as gatecheck's components store and check them: the OP's users and the
//! Admin GUI's administrators.
//!
//! A stored password is an argon2 PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), the format
//! `gatecheck gui hash-password` prints and configurations accept. A username that does not
//! exist is checked against a dummy hash of the same cost ([`dummy_like`]), so the time a login
//! takes does not tell whether the username exists (OWASP Authentication Cheat Sheet,
//! "Authentication and Error Messages").
//!
//! Two things are made once per process, because a process may start hundreds of servers (the
//! harness starts a stack per scenario) and argon2 is meant to be slow:
//! - the dummy for each cost: it only has to cost what a real check costs;
//! - [`hash_once`]'s hashes of published test passwords.
//!
//! Both memos are bounded [`moka`] caches; a miss computes outside any lock, so two servers
//! starting at once may both hash, and either result is correct.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use moka::sync::Cache;

/// Everything a hash's cost depends on: algorithm, version, memory, passes, lanes, output length.
type CostKey = (&'static str, u32, u32, u32, u32, usize);

/// Why a password could not be hashed or a stored hash was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The stored text is not an argon2 PHC string (or names parameters argon2 rejects).
    #[error("not an argon2 PHC string: {0}")]
    NotPhc(String),
    /// argon2 refused the parameters or the input.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// What one hash costs: algorithm, version and parameters, as a PHC string records them.
#[derive(Debug, Clone)]
pub struct Cost {
    algorithm: Algorithm,
    version: Version,
    params: Params,
}

/// Two costs are equal when their hashes cost the same (an unset output length is argon2's
/// default one).
impl PartialEq for Cost {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Cost {}

impl Default for Cost {
    /// argon2's defaults: argon2id, 19 MiB, two passes, one lane (the OWASP Password Storage
    /// Cheat Sheet's first recommendation). Clear-text passwords in a configuration get these.
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Argon2id,
            version: Version::V0x13,
            params: Params::default(),
        }
    }
}

impl Cost {
    /// argon2id with `memory_kib` of memory, `passes` passes and `lanes` lanes.
    pub fn argon2id(memory_kib: u32, passes: u32, lanes: u32) -> Result<Self, Error> {
        let params = Params::new(memory_kib, passes, lanes, None)
            .map_err(|e| Error::Hashing(format!("argon2 parameters: {e}")))?;
        Ok(Self {
            params,
            ..Self::default()
        })
    }

    /// The cost a stored PHC string was made with.
    pub fn of(phc: &str) -> Result<Self, Error> {
        let parsed = PasswordHash::new(phc).map_err(|e| Error::NotPhc(e.to_string()))?;
        let algorithm =
            Algorithm::try_from(parsed.algorithm).map_err(|e| Error::NotPhc(e.to_string()))?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).map_err(|e| Error::NotPhc(e.to_string()))?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).map_err(|e| Error::NotPhc(e.to_string()))?;
        Ok(Self {
            algorithm,
            version,
            params,
        })
    }

    /// The memo key: everything the hash's cost depends on.
    fn key(&self) -> CostKey {
        let p = &self.params;
        (
            self.algorithm.as_str(),
            self.version as u32,
            p.m_cost(),
            p.t_cost(),
            p.p_cost(),
            p.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN),
        )
    }

    fn hasher(&self) -> Argon2<'static> {
        Argon2::new(self.algorithm, self.version, self.params.clone())
    }
}

/// Checks that `phc` is an argon2 PHC string this crate can verify against.
pub fn check(phc: &str) -> Result<(), Error> {
    Cost::of(phc).map(drop)
}

/// Hashes a password with argon2's default cost and a fresh random salt.
pub fn hash(clear: &str) -> Result<String, Error> {
    hash_with(clear, &Cost::default())
}

/// Hashes a password with `cost` and a fresh random salt.
pub fn hash_with(clear: &str, cost: &Cost) -> Result<String, Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    cost.hasher()
        .hash_password(clear.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Hashing(e.to_string()))
}

/// Whether `clear` is the password `phc` was made from. The cost is the one `phc` records; the
/// comparison is argon2's, in constant time. A `phc` that does not parse verifies nothing.
/// CPU-heavy: call it off the async workers.
pub fn verify(phc: &str, clear: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(clear.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The hash an unknown username is checked against: a fixed password hashed with the cost of
/// `like` (a configured user's hash), or argon2's default cost without one. One per cost per
/// process.
pub fn dummy_like(like: Option<&str>) -> Result<String, Error> {
    const DUMMY: &str = "dummy password for unknown usernames";
    static DUMMIES: LazyLock<Cache<CostKey, String>> = LazyLock::new(|| Cache::new(64));
    let cost = like.map(Cost::of).transpose()?.unwrap_or_default();
    let key = cost.key();
    if let Some(dummy) = DUMMIES.get(&key) {
        return Ok(dummy);
    }
    let dummy = hash_with(DUMMY, &cost)?;
    DUMMIES.insert(key, dummy.clone());
    Ok(dummy)
}

/// A published test password's hash, made once per process for each clear text and cost: every
/// later call returns the same PHC string, salt included. Only for passwords that are published
/// anyway (the tutorials' and scenarios' users), where a fresh salt per server would protect
/// nothing and cost a hash per user per start; a real password gets [`hash`].
pub fn hash_once(clear: &str, cost: &Cost) -> Result<String, Error> {
    type Key = (String, CostKey);
    static HASHES: LazyLock<Cache<Key, String>> = LazyLock::new(|| Cache::new(4096));
    let key = (clear.to_owned(), cost.key());
    if let Some(hash) = HASHES.get(&key) {
        return Ok(hash);
    }
    let hash = hash_with(clear, cost)?;
    HASHES.insert(key, hash.clone());
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn light(memory_kib: u32) -> Cost {
        Cost::argon2id(memory_kib, 1, 1).unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash_with("secret", &light(64)).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(!phc.contains("secret"));
        assert!(verify(&phc, "secret"));
        assert!(!verify(&phc, "Secret"));
        assert!(
            !verify("not a hash", "secret"),
            "an unparsable hash verifies nothing"
        );
    }

    #[test]
    fn the_default_cost_is_argon2s() {
        let phc = hash("pw").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(&phc, "pw"));
    }

    #[test]
    fn stored_text_that_is_not_argon2_is_refused_with_the_reason() {
        assert!(matches!(check("secret"), Err(Error::NotPhc(_))));
        assert!(matches!(
            check("$pbkdf2-sha512$i=10000$c2FsdA$aGFzaA"),
            Err(Error::NotPhc(_))
        ));
        check(&hash_with("x", &light(64)).unwrap()).unwrap();
        assert!(matches!(Cost::argon2id(1, 1, 1), Err(Error::Hashing(_))));
    }

    #[test]
    fn the_dummy_has_the_cost_of_the_hash_it_is_like_and_is_made_once_per_cost() {
        let user = hash_with("pw", &light(72)).unwrap();
        let a = dummy_like(Some(&user)).unwrap();
        let other_user = hash_with("other", &light(72)).unwrap();
        assert_eq!(
            a,
            dummy_like(Some(&other_user)).unwrap(),
            "same cost, one dummy"
        );
        assert_eq!(Cost::of(&a).unwrap(), Cost::of(&user).unwrap());
        let b = dummy_like(Some(&hash_with("pw", &light(136)).unwrap())).unwrap();
        assert!(b.starts_with("$argon2id$v=19$m=136,t=1,p=1$"), "{b}");
        assert_eq!(
            Cost::of(&dummy_like(None).unwrap()).unwrap(),
            Cost::default()
        );
        assert!(matches!(dummy_like(Some("plain")), Err(Error::NotPhc(_))));
    }

    #[test]
    fn hash_once_gives_one_hash_per_text_and_cost() {
        let a = hash_once("published", &light(80)).unwrap();
        assert_eq!(
            a,
            hash_once("published", &light(80)).unwrap(),
            "salt reused"
        );
        let other = hash_once("other", &light(80)).unwrap();
        assert_ne!(a, other);
        assert!(verify(&other, "other") && !verify(&other, "published"));
        let costlier = hash_once("published", &light(88)).unwrap();
        assert!(costlier.starts_with("$argon2id$v=19$m=88,"), "{costlier}");
        assert!(verify(&costlier, "published"));
    }
}
