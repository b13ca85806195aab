//! The identity providers the running `openid-connect` instances talk to, as Kong's Admin API
//! shows them (`GET`/`DELETE /openid-connect/issuers[/{id}]`, `docs/kong.md`): each issuer's
//! cached discovery document and keys. Kong keeps one row per issuer in its database; here the
//! caches live in the instances (each with its own TTLs and endpoint overrides), and this
//! registry only points at them, weakly, so an instance retired by a configuration change
//! disappears from the listing with it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Provider;

/// Every live instance's provider.
#[derive(Debug, Default)]
pub struct Issuers {
    providers: Mutex<Vec<(String, Weak<Provider>)>>,
}

/// One issuer: the configured `issuer` and the instances that use it.
#[derive(Debug)]
pub struct Issuer {
    /// Kong's row id: stable for the issuer (derived from it), so it can be bookmarked.
    pub id: Uuid,
    /// The `issuer` as configured.
    pub issuer: String,
    providers: Vec<Arc<Provider>>,
}

impl Issuers {
    /// Registers the provider of a new instance configured with `issuer`.
    pub fn register(&self, issuer: &str, provider: &Arc<Provider>) {
        let mut list = match self.providers.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        list.retain(|(_, p)| p.strong_count() > 0);
        list.push((issuer.to_owned(), Arc::downgrade(provider)));
    }

    /// The issuers of the live instances, ordered by issuer.
    pub fn list(&self) -> Vec<Issuer> {
        let list = match self.providers.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut by_issuer: BTreeMap<&str, Vec<Arc<Provider>>> = BTreeMap::new();
        for (issuer, p) in list.iter() {
            if let Some(p) = p.upgrade() {
                by_issuer.entry(issuer).or_default().push(p);
            }
        }
        by_issuer
            .into_iter()
            .map(|(issuer, providers)| Issuer {
                id: issuer_id(issuer),
                issuer: issuer.to_owned(),
                providers,
            })
            .collect()
    }

    /// The issuer whose id or configured `issuer` is `key`.
    pub fn find(&self, key: &str) -> Option<Issuer> {
        let id = Uuid::parse_str(key).ok();
        self.list()
            .into_iter()
            .find(|i| i.issuer == key || Some(i.id) == id)
    }
}

/// The stable id of `issuer`: a UUID made of its SHA-256.
fn issuer_id(issuer: &str) -> Uuid {
    let digest = Sha256::digest(issuer.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

impl Issuer {
    /// Kong's row: `id`, `issuer`, `configuration` (the discovery document, `{}` until an
    /// instance fetched it), `keys` (the cached JWKS keys, `[]` until loaded) and
    /// `created_at` (when the document was fetched). Nothing is fetched to answer: an issuer
    /// showing only its id and issuer was never reached, as in Kong.
    pub async fn row(&self) -> Value {
        let mut configuration = json!({});
        let mut created_at = Value::Null;
        let mut keys = Vec::new();
        for p in &self.providers {
            if let Some((doc, at)) = p.discovery.cached_with_time().await {
                if created_at.is_null() {
                    configuration = (*doc.document).clone();
                    created_at = Value::from(at);
                }
            }
            if keys.is_empty() {
                keys = p.keys.cached().await;
            }
        }
        let keys: Vec<Value> = keys
            .iter()
            .filter_map(|k| serde_json::to_value(k).ok())
            .collect();
        json!({
            "id": self.id,
            "issuer": self.issuer,
            "configuration": configuration,
            "keys": keys,
            "created_at": created_at,
        })
    }

    /// Forgets the cached discovery document and keys of every instance using this issuer:
    /// the next request discovers again (Kong's `DELETE /openid-connect/issuers/{id}`).
    pub async fn forget(&self) {
        for p in &self.providers {
            p.discovery.forget().await;
            p.keys.forget().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(issuer_id("http://op/a"), issuer_id("http://op/a"));
        assert_ne!(issuer_id("http://op/a"), issuer_id("http://op/b"));
    }
}
