//! The stacks' users get their passwords hashed here, with light argon2 parameters, before the
//! OP sees them: argon2's defaults (19 MiB, 2 passes) made hashing most of a stack's start time,
//! and `gatecheck run` starts a stack per scenario. These stacks are test and tutorial stacks on
//! loopback with published passwords; `gatecheck op` still hashes clear-text passwords with the
//! defaults. The OP takes `$argon2…` PHC strings as given and checks unknown usernames against
//! a dummy of the same parameters, so both still cost the same.
//!
//! A process starts hundreds of stacks with the same published passwords, so each clear text is
//! hashed once per process and its PHC string (salt included) reused by every later stack: the
//! stacks are separate processes' worth of state in every other respect, but a fresh salt per
//! stack would protect nothing here and cost a hash per user per scenario.

use serde_json::Value;

/// 1 MiB, one pass, one lane: about a millisecond.
fn light() -> anyhow::Result<gatecheck_passwords::Cost> {
    Ok(gatecheck_passwords::Cost::argon2id(1024, 1, 1)?)
}

/// The PHC string of one published password with the light cost (the Admin GUI's login), made
/// once per process for each clear text ([`gatecheck_passwords::hash_once`]).
pub(super) fn light_hash(clear: &str) -> anyhow::Result<String> {
    Ok(gatecheck_passwords::hash_once(clear, &light()?)?)
}

/// Replaces each clear-text `users[].password` of an OP config with its PHC string.
pub(super) fn prehash(op: &mut Value) -> anyhow::Result<()> {
    let users = op.get_mut("users").and_then(Value::as_array_mut);
    for user in users.into_iter().flatten() {
        let Some(password) = user.get_mut("password") else {
            continue;
        };
        let Some(clear) = password.as_str().filter(|p| !p.starts_with("$argon2")) else {
            continue;
        };
        *password = Value::String(light_hash(clear)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatecheck_passwords::verify;

    #[test]
    fn clear_passwords_become_light_hashes_that_still_verify() {
        let mut op = serde_json::json!({"users": [
            {"username": "admin", "password": "secret"},
            {"username": "pre", "password": "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAA"},
            {"username": "none"}
        ]});
        prehash(&mut op).unwrap();
        let hashed = op["users"][0]["password"].as_str().unwrap();
        assert!(
            hashed.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"),
            "{hashed}"
        );
        assert!(verify(hashed, "secret"));
        assert!(!verify(hashed, "wrong"));
        assert_eq!(
            op["users"][1]["password"], "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAA",
            "hashes are kept"
        );
        assert!(op["users"][2].get("password").is_none());
    }

    #[test]
    fn a_clear_text_is_hashed_once_per_process() {
        let first = light_hash("once-per-process").unwrap();
        assert_eq!(light_hash("once-per-process").unwrap(), first);
        let mut op =
            serde_json::json!({"users": [{"username": "u", "password": "once-per-process"}]});
        prehash(&mut op).unwrap();
        assert_eq!(op["users"][0]["password"], first.as_str());
        let other = light_hash("another-password").unwrap();
        assert_ne!(other, first);
        assert!(verify(&other, "another-password"));
    }
}
