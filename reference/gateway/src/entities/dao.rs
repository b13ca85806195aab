//! The entity registry: every entity kind beyond the four core ones (services, routes,
//! consumers, plugins) is a [`Dao`] declared by the code that owns it — a plugin folder for its
//! credentials (`acl`'s `acls`, `oauth2`'s `oauth2_credentials` and `oauth2_tokens`), the core for
//! consumer groups — as Kong's `daos.lua` files do. The store, the Admin API (`/{name}`,
//! `/{name}/{key}`, `/{parent}/{key}/{name}[/{key}]` for each foreign key), declarative configs
//! (top-level and nested under the parent) and `GET /schemas/{name}` all work from the
//! declaration; nothing else needs a new arm.

use std::any::Any;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::AdminError;
use crate::schema::{Field, Record, Type};
use crate::store::State;

use super::reader::FieldErrors;

/// What a write hook may know about the write.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// The keys the client sent (not the merged entity): a hook transforms only what was given.
    pub sent: &'a Map<String, Value>,
    /// Whether this replaces an existing entity.
    pub replacing: bool,
}

/// Rewrites a validated entity before it is stored (e.g. hashes a secret, Kong's
/// `transformations`).
pub type OnWrite = fn(&mut Map<String, Value>, Write<'_>) -> Result<(), FieldErrors>;

/// Builds a typed lookup of a DAO's records for the request path (held by the runtime snapshot,
/// fetched by plugins with [`super::Entities::index`]).
pub type IndexBuilder = fn(&State) -> Arc<dyn Any + Send + Sync>;

/// A table whose records are written while proxying (tokens, codes) and so live outside the
/// configuration state: a change to them must not rebuild routers and plugin chains.
pub trait RuntimeTable: Send + Sync + std::fmt::Debug {
    /// Every live record, oldest first, as the Admin API shows them.
    fn list(&self) -> Vec<Value>;
    /// One live record by id or endpoint key.
    fn get(&self, key: &str) -> Option<Value>;
    /// `POST`: creates a record from Admin API input, against the current configuration.
    fn create(&self, input: Map<String, Value>, state: &State) -> Result<Value, AdminError>;
    /// `DELETE`: removes a record; `false` when absent.
    fn delete(&self, key: &str) -> bool;
    /// Drops records whose references no longer exist in `state` (cascading deletes of
    /// credentials, consumers and services made by a configuration change).
    fn retain_referenced(&self, state: &State);
    /// The table as `Any`, for the plugin that owns it.
    fn as_any(&self) -> &dyn Any;
    /// The table as the token lookup openid-connect's `kong_oauth2` method uses, if it is one
    /// (`oauth2_tokens`).
    fn kong_oauth2_tokens(
        &self,
    ) -> Option<Arc<dyn crate::plugins::openid_connect::kong_oauth2::KongOAuth2Tokens>> {
        None
    }
}

/// Where a DAO's records live.
#[derive(Clone, Copy)]
pub enum Storage {
    /// In the configuration state: written through the Admin API and declarative configs,
    /// copied and swapped in whole with everything else.
    Config,
    /// In a [`RuntimeTable`] the gateway creates once and keeps across configuration changes.
    Runtime(fn() -> Arc<dyn RuntimeTable>),
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Storage::Config => "Config",
            Storage::Runtime(_) => "Runtime",
        })
    }
}

/// One entity kind.
#[derive(Debug)]
pub struct Dao {
    /// Collection name: the declarative key and Kong's entity name (`acls`).
    pub name: &'static str,
    /// URL segment (`oauth2` for `oauth2_credentials`), Kong's `admin_api_name`.
    pub admin_name: &'static str,
    /// Singular name in declarative error reports (`acl`).
    pub entity_name: &'static str,
    /// The fields, `id` first. Foreign keys are [`Field::foreign`] fields.
    pub schema: fn() -> &'static Record,
    /// A unique field that names an entity in URLs besides its id (`client_id`, `name`).
    pub endpoint_key: Option<&'static str>,
    /// A field that names an entity within its parent in nested URLs (`group` in
    /// `/consumers/{c}/acls/{group}`).
    pub scoped_key: Option<&'static str>,
    /// Fields unique together (Kong's `cache_key`), e.g. `["consumer", "group"]`.
    pub unique_together: &'static [&'static str],
    /// Runs on every write after validation.
    pub on_write: Option<OnWrite>,
    /// Builds the runtime lookup plugins use.
    pub index: Option<IndexBuilder>,
    /// Where the records live.
    pub storage: Storage,
    /// Whether the generic Admin API endpoints exist (memberships have their own).
    pub generic_admin: bool,
    /// Whether `GET /config` exports the records.
    pub export: bool,
}

impl Dao {
    /// The schema.
    pub fn fields(&self) -> &'static Record {
        (self.schema)()
    }

    /// Foreign keys: (field, referenced collection, cascade on delete).
    pub fn foreign_keys(&self) -> impl Iterator<Item = (&'static str, &'static str, bool)> {
        self.fields().fields().filter_map(|(name, f)| match f.ty() {
            Type::Foreign { reference, cascade } => Some((name, *reference, *cascade)),
            _ => None,
        })
    }

    /// The foreign key field referencing `collection`, if any.
    pub fn foreign_key_to(&self, collection: &str) -> Option<&'static str> {
        self.foreign_keys()
            .find(|(_, reference, _)| *reference == collection)
            .map(|(name, _, _)| name)
    }

    /// `GET /schemas/{name}` in Kong's format.
    pub fn kong_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("fields".into(), self.fields().kong_fields());
        Value::Object(out)
    }
}

/// Kong's common entity fields: `id` (generated) and `created_at` (set by the store).
pub fn id_field() -> Field {
    Field::uuid().auto()
}

/// `created_at`, set by the store.
pub fn created_at_field() -> Field {
    Field::integer().auto()
}

/// `tags`: a set of strings.
pub fn tags_field() -> Field {
    Field::set(Field::string())
}

/// The core DAOs (consumer groups and their memberships) and every plugin's.
pub fn all() -> impl Iterator<Item = &'static Dao> {
    super::consumer_groups::DAOS.iter().copied().chain(
        crate::plugins::REGISTRY
            .iter()
            .flat_map(|p| p.daos.iter().copied()),
    )
}

/// The DAO named `name` (collection name).
pub fn by_name(name: &str) -> Option<&'static Dao> {
    all().find(|d| d.name == name)
}

/// The DAO whose Admin API segment is `segment`.
pub fn by_admin_name(segment: &str) -> Option<&'static Dao> {
    all().find(|d| d.generic_admin && d.admin_name == segment)
}
