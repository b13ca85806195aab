//! The configuration state (services, routes, consumers, plugins and every registered DAO's
//! records) and every write to it, with Kong's uniqueness, foreign-key and cascade rules. Writes
//! happen on a copy that is swapped in whole.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::entities::dao::{self, Dao, Storage, Write};
use crate::entities::records;
use crate::entities::{Consumer, FieldErrors, Fk, ForeignRef, PluginEntity, Route, Service};
use crate::error::AdminError;
use crate::plugins::{self, ConfigError, Plugin, PluginEnv};

/// A plugin entity and the instance enforcing it.
#[derive(Debug, Clone)]
pub struct PluginRecord {
    /// The entity as the Admin API shows it.
    pub entity: PluginEntity,
    /// The running instance.
    pub instance: Arc<dyn Plugin>,
}

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Services in creation order.
    pub services: Vec<Service>,
    /// Routes in creation order.
    pub routes: Vec<Route>,
    /// Consumers in creation order.
    pub consumers: Vec<Consumer>,
    /// Plugins in creation order.
    pub plugins: Vec<PluginRecord>,
    /// Each configuration DAO's records (validated entity JSON) in creation order.
    records: BTreeMap<&'static str, Vec<Map<String, Value>>>,
}

/// An entity collection: one of the four core ones, or a registered DAO.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `/services`
    Services,
    /// `/routes`
    Routes,
    /// `/consumers`
    Consumers,
    /// `/plugins`
    Plugins,
    /// A DAO of the registry (`entities::dao`).
    Dao(&'static Dao),
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Kind {}

impl Kind {
    /// Collection name as in declarative configs and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Services => "services",
            Kind::Routes => "routes",
            Kind::Consumers => "consumers",
            Kind::Plugins => "plugins",
            Kind::Dao(d) => d.name,
        }
    }

    /// The collection named `name` (the collection name, not an Admin API segment).
    pub fn by_name(name: &str) -> Option<Kind> {
        match name {
            "services" => Some(Kind::Services),
            "routes" => Some(Kind::Routes),
            "consumers" => Some(Kind::Consumers),
            "plugins" => Some(Kind::Plugins),
            other => dao::by_name(other).map(Kind::Dao),
        }
    }

    /// The collection an Admin API path segment names (`oauth2` → `oauth2_credentials`).
    pub fn by_segment(segment: &str) -> Option<Kind> {
        match segment {
            "services" | "routes" | "consumers" | "plugins" => Kind::by_name(segment),
            other => dao::by_admin_name(other).map(Kind::Dao),
        }
    }

    /// Singular name in declarative error reports.
    pub fn entity_name(self) -> &'static str {
        match self {
            Kind::Services => "service",
            Kind::Routes => "route",
            Kind::Consumers => "consumer",
            Kind::Plugins => "plugin",
            Kind::Dao(d) => d.entity_name,
        }
    }

    /// The field naming an entity besides its id (PUT by name, lookups by name).
    fn name_field(self) -> Option<&'static str> {
        match self {
            Kind::Services | Kind::Routes => Some("name"),
            Kind::Consumers => Some("username"),
            Kind::Plugins => Some("instance_name"),
            Kind::Dao(d) => d.endpoint_key,
        }
    }

    /// The field of a `child` entity that references this collection, if the child can be
    /// nested under it (`/services/{s}/routes`, `/consumers/{c}/acls`, ...).
    pub fn child_field(self, child: Kind) -> Option<&'static str> {
        match (self, child) {
            (Kind::Services, Kind::Routes) => Some("service"),
            (Kind::Services, Kind::Plugins) => Some("service"),
            (Kind::Routes, Kind::Plugins) => Some("route"),
            (Kind::Consumers, Kind::Plugins) => Some("consumer"),
            (parent, Kind::Dao(d)) => d.foreign_key_to(parent.as_str()),
            _ => None,
        }
    }
}

/// A parent scope for nested endpoints (`/services/{x}/routes`, `/consumers/{c}/acls`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No parent.
    All,
    /// Children of the entity `id` of this collection.
    Under(Kind, Uuid),
}

impl Scope {
    /// Children of a service.
    pub fn service(id: Uuid) -> Scope {
        Scope::Under(Kind::Services, id)
    }

    /// Children of a route.
    pub fn route(id: Uuid) -> Scope {
        Scope::Under(Kind::Routes, id)
    }

    /// Children of a consumer.
    pub fn consumer(id: Uuid) -> Scope {
        Scope::Under(Kind::Consumers, id)
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn fk_of(entity: &Value, field: &str) -> Option<Uuid> {
    entity
        .get(field)?
        .get("id")?
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
}

fn now() -> i64 {
    crate::entities::now()
}

impl State {
    /// The records of a configuration DAO.
    pub fn records(&self, dao: &Dao) -> &[Map<String, Value>] {
        self.records.get(dao.name).map_or(&[], Vec::as_slice)
    }

    fn records_mut(&mut self, dao: &'static Dao) -> &mut Vec<Map<String, Value>> {
        self.records.entry(dao.name).or_default()
    }

    fn position(&self, kind: Kind, key: &str) -> Option<usize> {
        let id = Uuid::parse_str(key).ok();
        match kind {
            Kind::Services => self
                .services
                .iter()
                .position(|s| Some(s.id) == id || s.name.as_deref() == Some(key)),
            Kind::Routes => self
                .routes
                .iter()
                .position(|r| Some(r.id) == id || r.name.as_deref() == Some(key)),
            Kind::Consumers => self
                .consumers
                .iter()
                .position(|c| Some(c.id) == id || c.username.as_deref() == Some(key)),
            Kind::Plugins => self.plugins.iter().position(|p| {
                Some(p.entity.id) == id || p.entity.instance_name.as_deref() == Some(key)
            }),
            Kind::Dao(d) => self.records(d).iter().position(|r| {
                (id.is_some() && records::id_of(r) == id)
                    || d.endpoint_key
                        .is_some_and(|k| r.get(k).and_then(Value::as_str) == Some(key))
            }),
        }
    }

    /// Where `key` (id, name, or the DAO's scoped key) is among the children of `scope`.
    fn position_in(&self, kind: Kind, scope: Scope, key: &str) -> Option<usize> {
        let Scope::Under(parent, parent_id) = scope else {
            return self.position(kind, key);
        };
        let field = parent.child_field(kind)?;
        let id = Uuid::parse_str(key).ok();
        let under = |v: &Value| fk_of(v, field) == Some(parent_id);
        match kind {
            Kind::Dao(d) => self.records(d).iter().position(|r| {
                let value = Value::Object(r.clone());
                under(&value)
                    && ((id.is_some() && records::id_of(r) == id)
                        || [d.endpoint_key, d.scoped_key]
                            .iter()
                            .flatten()
                            .any(|k| r.get(*k).and_then(Value::as_str) == Some(key)))
            }),
            _ => {
                let i = self.position(kind, key)?;
                under(&self.value_at(kind, i)).then_some(i)
            }
        }
    }

    fn value_at(&self, kind: Kind, i: usize) -> Value {
        match kind {
            Kind::Services => to_value(&self.services[i]),
            Kind::Routes => to_value(&self.routes[i]),
            Kind::Consumers => to_value(&self.consumers[i]),
            Kind::Plugins => to_value(&self.plugins[i].entity),
            Kind::Dao(d) => Value::Object(self.records(d)[i].clone()),
        }
    }

    fn id_at(&self, kind: Kind, i: usize) -> Uuid {
        match kind {
            Kind::Services => self.services[i].id,
            Kind::Routes => self.routes[i].id,
            Kind::Consumers => self.consumers[i].id,
            Kind::Plugins => self.plugins[i].entity.id,
            Kind::Dao(d) => records::id_of(&self.records(d)[i]).unwrap_or_default(),
        }
    }

    fn len(&self, kind: Kind) -> usize {
        match kind {
            Kind::Services => self.services.len(),
            Kind::Routes => self.routes.len(),
            Kind::Consumers => self.consumers.len(),
            Kind::Plugins => self.plugins.len(),
            Kind::Dao(d) => self.records(d).len(),
        }
    }

    /// The primary key of the entity `key` names, if any.
    pub fn id_of(&self, kind: Kind, key: &str) -> Option<Uuid> {
        self.position(kind, key).map(|i| self.id_at(kind, i))
    }

    /// Resolves a nested endpoint's parent.
    pub fn scope(&self, kind: Kind, key: &str) -> Result<Scope, AdminError> {
        self.id_of(kind, key)
            .map(|id| Scope::Under(kind, id))
            .ok_or(AdminError::NotFound)
    }

    /// Every entity of `kind` under `scope`, as JSON, in creation order.
    pub fn list(&self, kind: Kind, scope: Scope) -> Vec<Value> {
        let all = (0..self.len(kind)).map(|i| self.value_at(kind, i));
        match scope {
            Scope::All => all.collect(),
            Scope::Under(parent, id) => match parent.child_field(kind) {
                Some(field) => all.filter(|v| fk_of(v, field) == Some(id)).collect(),
                None => Vec::new(),
            },
        }
    }

    /// One entity as JSON.
    pub fn get(&self, kind: Kind, key: &str) -> Option<Value> {
        self.position(kind, key).map(|i| self.value_at(kind, i))
    }

    /// One entity under `scope` as JSON.
    pub fn get_in(&self, kind: Kind, scope: Scope, key: &str) -> Option<Value> {
        self.position_in(kind, scope, key)
            .map(|i| self.value_at(kind, i))
    }

    /// `POST`: creates an entity (scope sets the parent foreign key).
    pub fn create(
        &mut self,
        kind: Kind,
        mut input: Map<String, Value>,
        lenient: bool,
        scope: Scope,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        if let Scope::Under(parent, id) = scope {
            let field = parent.child_field(kind).ok_or(AdminError::NotFound)?;
            input.insert(field.into(), serde_json::json!({ "id": id }));
        }
        if let Some(id) = input.get("id").and_then(Value::as_str) {
            if let Ok(id) = Uuid::parse_str(id) {
                if self.position(kind, &id.to_string()).is_some() {
                    return Err(AdminError::PrimaryKey(id));
                }
            }
        }
        let sent = input.clone();
        self.write(kind, input, &sent, lenient, None, env)
    }

    /// `PATCH`: merges `input` into the existing entity.
    pub fn update(
        &mut self,
        kind: Kind,
        key: &str,
        input: Map<String, Value>,
        lenient: bool,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        let i = self.position(kind, key).ok_or(AdminError::NotFound)?;
        self.update_at(kind, i, input, lenient, env)
    }

    /// `PATCH` on a nested endpoint (`/consumers/{c}/acls/{group}`).
    pub fn update_in(
        &mut self,
        kind: Kind,
        scope: Scope,
        key: &str,
        input: Map<String, Value>,
        lenient: bool,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        let i = self
            .position_in(kind, scope, key)
            .ok_or(AdminError::NotFound)?;
        self.update_at(kind, i, input, lenient, env)
    }

    fn update_at(
        &mut self,
        kind: Kind,
        i: usize,
        input: Map<String, Value>,
        lenient: bool,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        let Value::Object(mut merged) = self.value_at(kind, i) else {
            return Err(AdminError::NotFound);
        };
        if kind == Kind::Services && input.contains_key("url") {
            for f in ["protocol", "host", "port", "path"] {
                merged.remove(f);
            }
        }
        let sent = input.clone();
        for (k, v) in input {
            match (merged.get_mut(&k), v) {
                (Some(Value::Object(existing)), Value::Object(patch)) if k == "config" => {
                    for (ck, cv) in patch {
                        existing.insert(ck, cv);
                    }
                }
                (_, v) => {
                    merged.insert(k, v);
                }
            }
        }
        let id = self.id_at(kind, i);
        merged.insert("id".into(), Value::String(id.to_string()));
        merged.remove("updated_at");
        self.write(kind, merged, &sent, lenient, Some(i), env)
    }

    /// `PUT`: creates or replaces the entity named/identified by `key`.
    pub fn upsert(
        &mut self,
        kind: Kind,
        key: &str,
        input: Map<String, Value>,
        lenient: bool,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        let existing = self.position(kind, key);
        self.upsert_at(
            kind,
            Scope::All,
            key,
            existing,
            kind.name_field(),
            input,
            lenient,
            env,
        )
    }

    /// `PUT` on a nested endpoint: the parent's foreign key is set, and `key` is an id or the
    /// DAO's scoped key (`group` for acls).
    pub fn upsert_in(
        &mut self,
        kind: Kind,
        scope: Scope,
        key: &str,
        input: Map<String, Value>,
        lenient: bool,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        let existing = self.position_in(kind, scope, key);
        let name_field = match kind {
            Kind::Dao(d) => d.scoped_key.or(d.endpoint_key),
            other => other.name_field(),
        };
        self.upsert_at(kind, scope, key, existing, name_field, input, lenient, env)
    }

    #[allow(clippy::too_many_arguments)]
    fn upsert_at(
        &mut self,
        kind: Kind,
        scope: Scope,
        key: &str,
        existing: Option<usize>,
        name_field: Option<&'static str>,
        mut input: Map<String, Value>,
        lenient: bool,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        match Uuid::parse_str(key) {
            Ok(id) => {
                input.insert("id".into(), Value::String(id.to_string()));
            }
            Err(_) => {
                let field = name_field.ok_or(AdminError::NotFound)?;
                input.insert(field.into(), Value::String(key.to_owned()));
                if let Some(i) = existing {
                    input.insert("id".into(), Value::String(self.id_at(kind, i).to_string()));
                }
            }
        }
        if let Scope::Under(parent, id) = scope {
            let field = parent.child_field(kind).ok_or(AdminError::NotFound)?;
            input.insert(field.into(), serde_json::json!({ "id": id }));
        }
        if let Some(i) = existing {
            if let Some(created) = self.value_at(kind, i).get("created_at") {
                input.insert("created_at".into(), created.clone());
            }
        } else if let Ok(id) = Uuid::parse_str(key) {
            // An id that exists elsewhere (another parent) cannot be taken over.
            if self.position(kind, &id.to_string()).is_some() {
                return Err(AdminError::PrimaryKey(id));
            }
        }
        let sent = input.clone();
        self.write(kind, input, &sent, lenient, existing, env)
    }

    /// `DELETE`: removes the entity and everything that goes with it (plugins scoped to it,
    /// DAO records whose foreign key cascades). Absent → `Ok(false)`.
    pub fn delete(&mut self, kind: Kind, key: &str) -> Result<bool, AdminError> {
        match self.position(kind, key) {
            Some(i) => self.delete_at(kind, i).map(|()| true),
            None => Ok(false),
        }
    }

    /// `DELETE` on a nested endpoint.
    pub fn delete_in(&mut self, kind: Kind, scope: Scope, key: &str) -> Result<bool, AdminError> {
        match self.position_in(kind, scope, key) {
            Some(i) => self.delete_at(kind, i).map(|()| true),
            None => Ok(false),
        }
    }

    fn delete_at(&mut self, kind: Kind, i: usize) -> Result<(), AdminError> {
        let id = self.id_at(kind, i);
        if kind == Kind::Services
            && self
                .routes
                .iter()
                .any(|r| r.service.map(|f| f.id) == Some(id))
        {
            return Err(AdminError::ForeignKeyInUse {
                parent: "services",
                child: "routes",
            });
        }
        for d in dao::all() {
            if !matches!(d.storage, Storage::Config) {
                continue;
            }
            for (field, reference, cascade) in d.foreign_keys() {
                if reference == kind.as_str()
                    && !cascade
                    && self
                        .records(d)
                        .iter()
                        .any(|r| records::fk_id(r, field) == Some(id))
                {
                    return Err(AdminError::ForeignKeyInUse {
                        parent: kind.as_str(),
                        child: d.name,
                    });
                }
            }
        }
        match kind {
            Kind::Services => {
                self.services.remove(i);
            }
            Kind::Routes => {
                self.routes.remove(i);
            }
            Kind::Consumers => {
                self.consumers.remove(i);
            }
            Kind::Plugins => {
                self.plugins.remove(i);
            }
            Kind::Dao(d) => {
                self.records_mut(d).remove(i);
            }
        }
        self.cascade(kind, id);
        Ok(())
    }

    /// Removes what referenced the deleted entity `id` of `kind`, and what referenced those.
    fn cascade(&mut self, kind: Kind, id: Uuid) {
        let mut gone = vec![(kind.as_str(), id)];
        while let Some((collection, id)) = gone.pop() {
            let field = match collection {
                "services" => Some("service"),
                "routes" => Some("route"),
                "consumers" => Some("consumer"),
                _ => None,
            };
            if let Some(field) = field {
                self.plugins.retain(|p| {
                    let fk = match field {
                        "service" => p.entity.service,
                        "route" => p.entity.route,
                        _ => p.entity.consumer,
                    };
                    fk.map(|f| f.id) != Some(id)
                });
            }
            for d in dao::all() {
                if !matches!(d.storage, Storage::Config) {
                    continue;
                }
                let fields: Vec<&str> = d
                    .foreign_keys()
                    .filter(|(_, reference, cascade)| *reference == collection && *cascade)
                    .map(|(f, _, _)| f)
                    .collect();
                if fields.is_empty() {
                    continue;
                }
                let list = self.records_mut(d);
                let mut kept = Vec::with_capacity(list.len());
                for r in list.drain(..) {
                    if fields.iter().any(|f| records::fk_id(&r, f) == Some(id)) {
                        if let Some(rid) = records::id_of(&r) {
                            gone.push((d.name, rid));
                        }
                    } else {
                        kept.push(r);
                    }
                }
                *list = kept;
            }
        }
    }

    fn resolve(&self, kind: Kind, field: &'static str, r: &ForeignRef) -> Result<Fk, AdminError> {
        let found = match r {
            ForeignRef::Id(id) => self.position(kind, &id.to_string()),
            ForeignRef::Name(name) => self.position(kind, name),
        };
        match found {
            Some(i) => Ok(Fk {
                id: self.id_at(kind, i),
            }),
            None => Err(AdminError::ForeignKey {
                field,
                collection: kind.as_str(),
                reference: match r {
                    ForeignRef::Id(id) => format!("{{id=\"{id}\"}}"),
                    ForeignRef::Name(n) => format!("{{name=\"{n}\"}}"),
                },
            }),
        }
    }

    /// Validates `input` as a whole entity and stores it at `at` (replace) or at the end.
    /// `sent` is what the client sent (write hooks transform only that).
    fn write(
        &mut self,
        kind: Kind,
        input: Map<String, Value>,
        sent: &Map<String, Value>,
        lenient: bool,
        at: Option<usize>,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        let keep_id = at.map(|i| self.id_at(kind, i));
        match kind {
            Kind::Services => {
                let service =
                    Service::from_input(input, lenient, keep_id).map_err(AdminError::Schema)?;
                if let Some(name) = &service.name {
                    self.unique(at, "name", name, |s| {
                        s.services.iter().map(|x| x.name.as_deref()).collect()
                    })?;
                }
                let v = to_value(&service);
                place(&mut self.services, at, service);
                Ok(v)
            }
            Kind::Routes => {
                let (mut route, service) =
                    Route::from_input(input, lenient, keep_id).map_err(AdminError::Schema)?;
                route.service = match &service {
                    Some(r) => Some(self.resolve(Kind::Services, "service", r)?),
                    None => None,
                };
                if let Some(name) = &route.name {
                    self.unique(at, "name", name, |s| {
                        s.routes.iter().map(|x| x.name.as_deref()).collect()
                    })?;
                }
                let v = to_value(&route);
                place(&mut self.routes, at, route);
                Ok(v)
            }
            Kind::Consumers => {
                let consumer =
                    Consumer::from_input(input, lenient, keep_id).map_err(AdminError::Schema)?;
                if let Some(name) = &consumer.username {
                    self.unique(at, "username", name, |s| {
                        s.consumers.iter().map(|x| x.username.as_deref()).collect()
                    })?;
                }
                if let Some(custom) = &consumer.custom_id {
                    self.unique(at, "custom_id", custom, |s| {
                        s.consumers.iter().map(|x| x.custom_id.as_deref()).collect()
                    })?;
                }
                let v = to_value(&consumer);
                place(&mut self.consumers, at, consumer);
                Ok(v)
            }
            Kind::Plugins => self.write_plugin(input, lenient, at, keep_id, env),
            Kind::Dao(d) => self.write_record(d, input, sent, lenient, at),
        }
    }

    fn write_plugin(
        &mut self,
        input: Map<String, Value>,
        lenient: bool,
        at: Option<usize>,
        keep_id: Option<Uuid>,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        let (mut entity, refs) =
            PluginEntity::from_input(input, lenient, keep_id).map_err(AdminError::Schema)?;
        if let Some(r) = &refs.service {
            entity.service = Some(self.resolve(Kind::Services, "service", r)?);
        }
        if let Some(r) = &refs.route {
            entity.route = Some(self.resolve(Kind::Routes, "route", r)?);
        }
        if let Some(r) = &refs.consumer {
            entity.consumer = Some(self.resolve(Kind::Consumers, "consumer", r)?);
        }
        let Some(spec) = plugins::spec(&entity.name) else {
            return Err(config_errors(ConfigError::UnknownPlugin(entity.name)));
        };
        let schema = spec.schema.map(|s| s());
        if entity.consumer.is_some() && !schema.is_some_and(|s| s.consumer_scope) {
            let mut fields = FieldErrors::new();
            fields.insert(
                "consumer".into(),
                Value::String("value must be null".into()),
            );
            return Err(AdminError::Schema(fields));
        }
        if let (true, Some(schema)) = (lenient, schema) {
            // Form bodies carry every value as text: read it as the schema's types first.
            entity.config = schema
                .validate(&entity.config, true)
                .map_err(config_errors)?;
        }
        // Reuse the running instance (and its caches) when nothing it depends on changed.
        let reuse = at
            .map(|i| &self.plugins[i])
            .filter(|old| old.entity.name == entity.name && old.entity.config == entity.config);
        let instance = match reuse {
            Some(old) => old.instance.clone(),
            None => {
                let configured = (spec.configure)(&entity.config, env).map_err(config_errors)?;
                entity.config = configured.config;
                configured.plugin
            }
        };
        let clash = self.plugins.iter().enumerate().any(|(i, p)| {
            Some(i) != at
                && p.entity.name == entity.name
                && p.entity.service == entity.service
                && p.entity.route == entity.route
                && p.entity.consumer == entity.consumer
        });
        if clash {
            return Err(AdminError::Unique {
                message: format!(
                    "UNIQUE violation detected on '{{consumer={},name=\"{}\",route={},service={}}}'",
                    fk_text(entity.consumer),
                    entity.name,
                    fk_text(entity.route),
                    fk_text(entity.service)
                ),
                fields: serde_json::json!({ "name": format!("already exists with value '{}'", entity.name) }),
            });
        }
        if let Some(schema) = schema {
            self.check_unique_config(schema, &entity, at)?;
        }
        if let Some(name) = &entity.instance_name {
            if self
                .plugins
                .iter()
                .enumerate()
                .any(|(i, p)| Some(i) != at && p.entity.instance_name.as_deref() == Some(name))
            {
                return Err(AdminError::unique("instance_name", name));
            }
        }
        let v = to_value(&entity);
        place(&mut self.plugins, at, PluginRecord { entity, instance });
        Ok(v)
    }

    /// Config fields the plugin's schema marks unique (Kong's `unique = true`, such as
    /// `oauth2`'s `provision_key`) are unique among the plugins of that name: a second one is
    /// Kong's 409 unique violation naming `config.<field>`.
    fn check_unique_config(
        &self,
        schema: &crate::schema::PluginSchema,
        entity: &PluginEntity,
        at: Option<usize>,
    ) -> Result<(), AdminError> {
        for (field, _) in schema.config.fields().filter(|(_, f)| f.is_unique()) {
            let value = &entity.config[field];
            if value.is_null() {
                continue;
            }
            let taken = self.plugins.iter().enumerate().any(|(i, p)| {
                Some(i) != at && p.entity.name == entity.name && &p.entity.config[field] == value
            });
            if taken {
                let shown = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                return Err(AdminError::Unique {
                    message: format!(
                        "UNIQUE violation detected on '{{config={{{field}=\"{shown}\"}}}}'"
                    ),
                    fields: serde_json::json!({
                        "config": { field: format!("already exists with value '{shown}'") }
                    }),
                });
            }
        }
        Ok(())
    }

    fn write_record(
        &mut self,
        dao: &'static Dao,
        mut input: Map<String, Value>,
        sent: &Map<String, Value>,
        lenient: bool,
        at: Option<usize>,
    ) -> Result<Value, AdminError> {
        if !matches!(dao.storage, Storage::Config) {
            return Err(AdminError::MethodNotAllowed);
        }
        // Foreign keys may be given by name (declarative configs, forms); the stored form is
        // always `{"id": ...}`. A malformed one is left for the schema to report.
        let mut unresolved = None;
        for (field, reference, _) in dao.foreign_keys() {
            let Some(value) = input.get(field).filter(|v| !v.is_null()) else {
                continue;
            };
            let (Some(r), Some(kind)) = (records::foreign_ref(value), Kind::by_name(reference))
            else {
                continue;
            };
            match self.resolve(kind, field, &r) {
                Ok(fk) => {
                    input.insert(field.into(), serde_json::json!({ "id": fk.id }));
                }
                Err(e) => {
                    unresolved.get_or_insert(e);
                    input.remove(field);
                }
            }
        }
        let keep = at.map(|i| self.records(dao)[i].clone());
        let built = records::build(dao, input, lenient, keep.as_ref(), now());
        let mut record = match (built, unresolved) {
            (Ok(r), None) => r,
            (Ok(_), Some(e)) => return Err(e),
            (Err(fields), None) => return Err(AdminError::Schema(fields)),
            (Err(mut fields), Some(e)) => {
                // The reference was given and is well-formed; only its target is missing.
                if let AdminError::ForeignKey { field, .. } = &e {
                    fields.remove(*field);
                }
                return Err(if fields.is_empty() {
                    e
                } else {
                    AdminError::Schema(fields)
                });
            }
        };
        if let Some(hook) = dao.on_write {
            hook(
                &mut record,
                Write {
                    sent,
                    replacing: at.is_some(),
                },
            )
            .map_err(AdminError::Schema)?;
        }
        let others = || {
            self.records(dao)
                .iter()
                .enumerate()
                .filter(move |(i, _)| Some(*i) != at)
                .map(|(_, r)| r)
        };
        for (name, field) in dao.fields().fields() {
            if !field.is_unique() {
                continue;
            }
            let Some(value) = record.get(name).filter(|v| !v.is_null()) else {
                continue;
            };
            if others().any(|r| r.get(name) == Some(value)) {
                let shown = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                return Err(AdminError::unique(name, &shown));
            }
        }
        let together = dao.unique_together;
        if !together.is_empty()
            && others().any(|r| together.iter().all(|f| r.get(*f) == record.get(*f)))
        {
            return Err(AdminError::Unique {
                message: format!(
                    "UNIQUE violation detected on '{}'",
                    records::unique_text(&record, together)
                ),
                fields: Value::Object(
                    together
                        .iter()
                        .map(|f| {
                            (
                                (*f).to_owned(),
                                Value::String("already exists with this value".into()),
                            )
                        })
                        .collect(),
                ),
            });
        }
        let v = Value::Object(record.clone());
        let list = self.records_mut(dao);
        place(list, at, record);
        Ok(v)
    }

    fn unique(
        &self,
        at: Option<usize>,
        field: &str,
        value: &str,
        values: impl Fn(&State) -> Vec<Option<&str>>,
    ) -> Result<(), AdminError> {
        let taken = values(self)
            .iter()
            .enumerate()
            .any(|(i, v)| Some(i) != at && *v == Some(value));
        if taken {
            Err(AdminError::unique(field, value))
        } else {
            Ok(())
        }
    }
}

fn fk_text(fk: Option<Fk>) -> String {
    match fk {
        Some(f) => format!("{{id=\"{}\"}}", f.id),
        None => "null".into(),
    }
}

fn place<T>(items: &mut Vec<T>, at: Option<usize>, item: T) {
    match at {
        Some(i) => items[i] = item,
        None => items.push(item),
    }
}

/// Kong's schema-violation fields for a rejected plugin config: field errors under `config`,
/// checks over several fields under `@entity`.
pub fn config_errors(e: ConfigError) -> AdminError {
    let mut fields = FieldErrors::new();
    match e {
        ConfigError::UnknownPlugin(name) => {
            fields.insert(
                "name".into(),
                Value::String(format!(
                    "plugin '{name}' not enabled; add it to the 'plugins' configuration property"
                )),
            );
        }
        ConfigError::Invalid(errors) => {
            let mut config = Map::new();
            let mut entity = Vec::new();
            for e in errors {
                if e.field == "@entity" {
                    entity.push(Value::String(e.message));
                } else {
                    nest(&mut config, &e.field, e.message);
                }
            }
            if !config.is_empty() {
                fields.insert("config".into(), Value::Object(config));
            }
            if !entity.is_empty() {
                fields.insert("@entity".into(), Value::Array(entity));
            }
        }
    }
    AdminError::Schema(fields)
}

/// Puts `message` at the dotted `path` of `fields` as Kong nests its errors: records as
/// objects, array elements (1-based segments) as arrays, so a bad second element of
/// `scopes_required` is `{"scopes_required": [null, "expected a string"]}`. The first error
/// for a place wins.
fn nest(fields: &mut Map<String, Value>, path: &str, message: String) {
    let mut segments = path.split('.');
    let Some(first) = segments.next() else {
        return;
    };
    let rest: Vec<&str> = segments.collect();
    let mut slot = fields.entry(first.to_owned()).or_insert(Value::Null);
    for segment in rest {
        slot = match segment.parse::<usize>() {
            // Positions come from the validator walking a bounded body; the cap keeps a
            // stray huge number from sizing an array.
            Ok(index) if (1..=10_000).contains(&index) => {
                if !slot.is_array() {
                    if !slot.is_null() {
                        return;
                    }
                    *slot = Value::Array(Vec::new());
                }
                let Value::Array(items) = slot else { return };
                if items.len() < index {
                    items.resize(index, Value::Null);
                }
                &mut items[index - 1]
            }
            _ => {
                if !slot.is_object() {
                    if !slot.is_null() {
                        return;
                    }
                    *slot = Value::Object(Map::new());
                }
                let Value::Object(map) = slot else { return };
                map.entry(segment.to_owned()).or_insert(Value::Null)
            }
        };
    }
    if slot.is_null() {
        *slot = Value::String(message);
    }
}

#[cfg(test)]
mod tests;
