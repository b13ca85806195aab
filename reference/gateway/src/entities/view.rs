//! What a proxied request can look up: the consumers, each DAO's typed index (built with the
//! runtime snapshot) and the runtime tables (tokens), in one value handed to every
//! [`crate::plugins::AccessRequest`].

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use super::dao::{self, RuntimeTable, Storage};
use super::Consumers;
use crate::store::State;

/// The runtime tables of one gateway (created once, kept across configuration changes).
#[derive(Debug, Default)]
pub struct Tables {
    tables: Vec<(&'static str, Arc<dyn RuntimeTable>)>,
}

impl Tables {
    /// One table per registered runtime DAO.
    pub fn new() -> Tables {
        Tables {
            tables: dao::all()
                .filter_map(|d| match d.storage {
                    Storage::Runtime(make) => Some((d.name, make())),
                    Storage::Config => None,
                })
                .collect(),
        }
    }

    /// The table of the DAO `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn RuntimeTable>> {
        self.tables.iter().find(|(n, _)| *n == name).map(|(_, t)| t)
    }

    /// The table of concrete type `T`.
    pub fn typed<T: 'static>(&self) -> Option<&T> {
        self.tables
            .iter()
            .find_map(|(_, t)| t.as_any().downcast_ref::<T>())
    }

    /// The store of the tokens Kong's `oauth2` plugin issues, as openid-connect's
    /// `kong_oauth2` method consults it; the no-store lookup when no plugin registered one.
    pub fn kong_oauth2_tokens(
        &self,
    ) -> Arc<dyn crate::plugins::openid_connect::kong_oauth2::KongOAuth2Tokens> {
        self.tables
            .iter()
            .find_map(|(_, t)| t.kong_oauth2_tokens())
            .unwrap_or_else(crate::plugins::openid_connect::kong_oauth2::none)
    }

    /// Drops records whose references `state` no longer has.
    pub fn retain_referenced(&self, state: &State) {
        for (_, t) in &self.tables {
            t.retain_referenced(state);
        }
    }
}

/// The entities a request runs under.
#[derive(Debug, Default)]
pub struct Entities {
    consumers: Arc<Consumers>,
    indexes: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    tables: Arc<Tables>,
}

impl Entities {
    /// Indexes `state` (every DAO's index builder) over `tables`.
    pub fn build(state: &State, tables: Arc<Tables>) -> Entities {
        let mut indexes = HashMap::new();
        for d in dao::all() {
            if let Some(build) = d.index {
                let index = build(state);
                indexes.insert(Any::type_id(index.as_ref()), index);
            }
        }
        Entities {
            consumers: Arc::new(Consumers::new(&state.consumers)),
            indexes,
            tables,
        }
    }

    /// The consumers.
    pub fn consumers(&self) -> &Arc<Consumers> {
        &self.consumers
    }

    /// The index of type `T` a DAO registered (e.g. the acl plugin's groups per consumer).
    pub fn index<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.indexes
            .get(&TypeId::of::<T>())
            .and_then(|i| i.downcast_ref::<T>())
    }

    /// The runtime tables.
    pub fn tables(&self) -> &Arc<Tables> {
        &self.tables
    }
}
