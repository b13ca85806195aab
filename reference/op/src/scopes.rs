//! Scope sets and the scope policy of Gluu's `ScopeChecker`: a requested scope is granted when it
//! is one of the client's scopes, or, for a client that allows spontaneous scopes, when one of its
//! `spontaneous_scopes` regexes matches the whole scope (then it is remembered for the configured
//! lifetime). Anything else is dropped silently.

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::clients::Client;
use crate::model::SpontaneousScopeRecord;
use crate::storage::Storage;

/// An ordered set of scope tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSet(Vec<String>);

impl ScopeSet {
    /// Parses a space-separated `scope` parameter (empty tokens ignored, duplicates removed).
    pub fn parse(value: &str) -> Self {
        value
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.contains(s))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Adds a scope if absent.
    pub fn insert(&mut self, scope: &str) {
        if !self.contains(scope) {
            self.0.push(scope.to_owned());
        }
    }

    /// Removes a scope.
    pub fn remove(&mut self, scope: &str) {
        self.0.retain(|s| s != scope);
    }

    /// The scopes as a JSON-friendly list.
    pub fn to_vec(&self) -> Vec<String> {
        self.0.clone()
    }
}

impl FromIterator<String> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut set = ScopeSet::default();
        for s in iter {
            set.insert(&s);
        }
        set
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Piece by piece: no joined string is built only to be copied out again.
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope)?;
        }
        Ok(())
    }
}

/// A scope set as JSON writes it in `scope` (RFC 6749 §3.3, RFC 7662 §2.2): one space-separated
/// string, written straight to the serializer without building it first.
#[derive(Debug, Clone, Copy)]
pub struct Spaced<'a>(pub &'a ScopeSet);

impl Serialize for Spaced<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// Compiles a spontaneous-scope pattern so that it must match the whole scope (Java's
/// `Pattern.matches`).
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| format!("invalid regex `{pattern}`: {e}"))
}

/// Applies the client's scope policy to `requested`; remembers granted spontaneous scopes.
pub fn grant(
    client: &Client,
    requested: &ScopeSet,
    storage: &Storage,
    now: i64,
    lifetime: i64,
) -> ScopeSet {
    let mut granted = ScopeSet::default();
    for scope in requested.iter() {
        if client.scopes.contains(scope) {
            granted.insert(scope);
        } else if let Some(pattern) = client.spontaneous_match(scope) {
            granted.insert(scope);
            storage.spontaneous_scopes.insert(
                &format!("{}\n{}", client.client_id, scope),
                SpontaneousScopeRecord {
                    client_id: client.client_id.clone(),
                    scope: scope.to_owned(),
                    pattern: pattern.to_owned(),
                },
                now.saturating_add(lifetime),
            );
        }
    }
    granted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    fn client(allow: bool) -> Client {
        let yaml = format!(
            "client_id: c\nclient_secret: s\nscopes: [openid, profile]\nallow_spontaneous_scopes: {allow}\nspontaneous_scopes: ['^transactions:.+$']\n"
        );
        let config: ClientConfig = serde_yaml::from_str(&yaml).unwrap();
        Client::from_config(&config).unwrap()
    }

    #[test]
    fn parse_dedupes_and_ignores_extra_spaces() {
        let set = ScopeSet::parse("openid  profile openid ");
        assert_eq!(set.to_string(), "openid profile");
        assert!(ScopeSet::parse("").is_empty());
    }

    #[test]
    fn spontaneous_scopes_are_granted_remembered_and_expire() {
        let storage = Storage::in_memory();
        let requested = ScopeSet::parse("openid transactions:245 transactions: email other");
        let granted = grant(&client(true), &requested, &storage, 1_000, 86_400);
        assert_eq!(granted.to_string(), "openid transactions:245");
        assert!(storage
            .spontaneous_scopes
            .get("c\ntransactions:245", 1_000 + 86_399)
            .is_some());
        assert_eq!(storage.purge_expired(1_000 + 86_400), 1);
        assert!(storage.spontaneous_scopes.values(0).is_empty());
    }

    #[test]
    fn spontaneous_scopes_need_the_client_flag() {
        let storage = Storage::in_memory();
        let granted = grant(
            &client(false),
            &ScopeSet::parse("openid transactions:245"),
            &storage,
            0,
            10,
        );
        assert_eq!(granted.to_string(), "openid");
    }

    #[test]
    fn patterns_match_the_whole_scope() {
        let re = compile_pattern("transactions:[0-9]+").unwrap();
        assert!(re.is_match("transactions:12"));
        assert!(!re.is_match("xtransactions:12"));
        assert!(!re.is_match("transactions:12x"));
        assert!(compile_pattern("(").is_err());
    }
}
