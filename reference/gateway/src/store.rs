//! The configuration state (services, routes, consumers, plugins) and every write to it, with
//! Kong's uniqueness and foreign-key rules. Writes happen on a copy that is swapped in whole.

use std::sync::Arc;

use serde_json::{Map, Value};
use uuid::Uuid;

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
}

/// The entity collections of the Admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/services`
    Services,
    /// `/routes`
    Routes,
    /// `/consumers`
    Consumers,
    /// `/plugins`
    Plugins,
}

impl Kind {
    /// Collection name as in URLs and declarative configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Services => "services",
            Kind::Routes => "routes",
            Kind::Consumers => "consumers",
            Kind::Plugins => "plugins",
        }
    }
}

/// A parent scope for nested endpoints (`/services/{x}/routes`, `/routes/{x}/plugins`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No parent.
    All,
    /// Children of this service.
    Service(Uuid),
    /// Children of this route.
    Route(Uuid),
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl State {
    fn find_service(&self, key: &str) -> Option<usize> {
        let id = Uuid::parse_str(key).ok();
        self.services
            .iter()
            .position(|s| Some(s.id) == id || s.name.as_deref() == Some(key))
    }

    fn find_route(&self, key: &str) -> Option<usize> {
        let id = Uuid::parse_str(key).ok();
        self.routes
            .iter()
            .position(|r| Some(r.id) == id || r.name.as_deref() == Some(key))
    }

    fn find_consumer(&self, key: &str) -> Option<usize> {
        let id = Uuid::parse_str(key).ok();
        self.consumers
            .iter()
            .position(|c| Some(c.id) == id || c.username.as_deref() == Some(key))
    }

    fn find_plugin(&self, key: &str) -> Option<usize> {
        let id = Uuid::parse_str(key).ok();
        self.plugins
            .iter()
            .position(|p| Some(p.entity.id) == id || p.entity.instance_name.as_deref() == Some(key))
    }

    fn position(&self, kind: Kind, key: &str) -> Option<usize> {
        match kind {
            Kind::Services => self.find_service(key),
            Kind::Routes => self.find_route(key),
            Kind::Consumers => self.find_consumer(key),
            Kind::Plugins => self.find_plugin(key),
        }
    }

    /// Resolves a nested endpoint's parent (`kind` = services or routes).
    pub fn scope(&self, kind: Kind, key: &str) -> Result<Scope, AdminError> {
        match kind {
            Kind::Services => self
                .find_service(key)
                .map(|i| Scope::Service(self.services[i].id))
                .ok_or(AdminError::NotFound),
            Kind::Routes => self
                .find_route(key)
                .map(|i| Scope::Route(self.routes[i].id))
                .ok_or(AdminError::NotFound),
            _ => Err(AdminError::NotFound),
        }
    }

    /// Every entity of `kind` under `scope`, as JSON, in creation order.
    pub fn list(&self, kind: Kind, scope: Scope) -> Vec<Value> {
        match kind {
            Kind::Services => self.services.iter().map(to_value).collect(),
            Kind::Routes => self
                .routes
                .iter()
                .filter(|r| match scope {
                    Scope::Service(id) => r.service.map(|f| f.id) == Some(id),
                    _ => true,
                })
                .map(to_value)
                .collect(),
            Kind::Consumers => self.consumers.iter().map(to_value).collect(),
            Kind::Plugins => self
                .plugins
                .iter()
                .filter(|p| match scope {
                    Scope::Service(id) => p.entity.service.map(|f| f.id) == Some(id),
                    Scope::Route(id) => p.entity.route.map(|f| f.id) == Some(id),
                    Scope::All => true,
                })
                .map(|p| to_value(&p.entity))
                .collect(),
        }
    }

    /// One entity as JSON.
    pub fn get(&self, kind: Kind, key: &str) -> Option<Value> {
        let i = self.position(kind, key)?;
        Some(match kind {
            Kind::Services => to_value(&self.services[i]),
            Kind::Routes => to_value(&self.routes[i]),
            Kind::Consumers => to_value(&self.consumers[i]),
            Kind::Plugins => to_value(&self.plugins[i].entity),
        })
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
        match scope {
            Scope::Service(id) => {
                input.insert("service".into(), serde_json::json!({ "id": id }));
            }
            Scope::Route(id) => {
                input.insert("route".into(), serde_json::json!({ "id": id }));
            }
            Scope::All => {}
        }
        if let Some(id) = input.get("id").and_then(Value::as_str) {
            if let Ok(id) = Uuid::parse_str(id) {
                if self.position(kind, &id.to_string()).is_some() {
                    return Err(AdminError::PrimaryKey(id));
                }
            }
        }
        self.write(kind, input, lenient, None, env)
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
        let current = self.get(kind, key).ok_or(AdminError::NotFound)?;
        let Value::Object(mut merged) = current else {
            return Err(AdminError::NotFound);
        };
        if kind == Kind::Services && input.contains_key("url") {
            for f in ["protocol", "host", "port", "path"] {
                merged.remove(f);
            }
        }
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
        self.write(kind, strip_output_only(kind, merged), lenient, Some(i), env)
    }

    /// `PUT`: creates or replaces the entity named/identified by `key`.
    pub fn upsert(
        &mut self,
        kind: Kind,
        key: &str,
        mut input: Map<String, Value>,
        lenient: bool,
        env: &PluginEnv,
    ) -> Result<Value, AdminError> {
        let existing = self.position(kind, key);
        match Uuid::parse_str(key) {
            Ok(id) => {
                input.insert("id".into(), Value::String(id.to_string()));
            }
            Err(_) => {
                let name_field = match kind {
                    Kind::Consumers => "username",
                    Kind::Plugins => "instance_name",
                    _ => "name",
                };
                input.insert(name_field.into(), Value::String(key.to_owned()));
                if let Some(i) = existing {
                    input.insert("id".into(), Value::String(self.id_at(kind, i).to_string()));
                }
            }
        }
        if let Some(i) = existing {
            let created = match kind {
                Kind::Services => self.services[i].created_at,
                Kind::Routes => self.routes[i].created_at,
                Kind::Consumers => self.consumers[i].created_at,
                Kind::Plugins => self.plugins[i].entity.created_at,
            };
            input.insert("created_at".into(), Value::from(created));
        }
        self.write(kind, input, lenient, existing, env)
    }

    /// `DELETE`: removes the entity (plugins scoped to it go with it). Absent → `Ok(false)`.
    pub fn delete(&mut self, kind: Kind, key: &str) -> Result<bool, AdminError> {
        let Some(i) = self.position(kind, key) else {
            return Ok(false);
        };
        match kind {
            Kind::Services => {
                let id = self.services[i].id;
                if self
                    .routes
                    .iter()
                    .any(|r| r.service.map(|f| f.id) == Some(id))
                {
                    return Err(AdminError::ForeignKeyInUse {
                        parent: "services",
                        child: "routes",
                    });
                }
                self.plugins
                    .retain(|p| p.entity.service.map(|f| f.id) != Some(id));
                self.services.remove(i);
            }
            Kind::Routes => {
                let id = self.routes[i].id;
                self.plugins
                    .retain(|p| p.entity.route.map(|f| f.id) != Some(id));
                self.routes.remove(i);
            }
            Kind::Consumers => {
                let id = self.consumers[i].id;
                self.plugins
                    .retain(|p| p.entity.consumer.map(|f| f.id) != Some(id));
                self.consumers.remove(i);
            }
            Kind::Plugins => {
                self.plugins.remove(i);
            }
        }
        Ok(true)
    }

    fn id_at(&self, kind: Kind, i: usize) -> Uuid {
        match kind {
            Kind::Services => self.services[i].id,
            Kind::Routes => self.routes[i].id,
            Kind::Consumers => self.consumers[i].id,
            Kind::Plugins => self.plugins[i].entity.id,
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
    fn write(
        &mut self,
        kind: Kind,
        input: Map<String, Value>,
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
                    self.unique(kind, at, "name", name, |s| {
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
                    self.unique(kind, at, "name", name, |s| {
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
                    self.unique(kind, at, "username", name, |s| {
                        s.consumers.iter().map(|x| x.username.as_deref()).collect()
                    })?;
                }
                if let Some(custom) = &consumer.custom_id {
                    self.unique(kind, at, "custom_id", custom, |s| {
                        s.consumers.iter().map(|x| x.custom_id.as_deref()).collect()
                    })?;
                }
                let v = to_value(&consumer);
                place(&mut self.consumers, at, consumer);
                Ok(v)
            }
            Kind::Plugins => {
                let (mut entity, refs) = PluginEntity::from_input(input, lenient, keep_id)
                    .map_err(AdminError::Schema)?;
                if let Some(r) = &refs.service {
                    entity.service = Some(self.resolve(Kind::Services, "service", r)?);
                }
                if let Some(r) = &refs.route {
                    entity.route = Some(self.resolve(Kind::Routes, "route", r)?);
                }
                if let Some(r) = &refs.consumer {
                    entity.consumer = Some(self.resolve(Kind::Consumers, "consumer", r)?);
                }
                if !plugins::KNOWN.iter().any(|(n, _)| *n == entity.name) {
                    let mut fields = FieldErrors::new();
                    fields.insert(
                        "name".into(),
                        Value::String(format!("plugin '{}' not enabled; add it to the 'plugins' configuration property", entity.name)),
                    );
                    return Err(AdminError::Schema(fields));
                }
                if entity.consumer.is_some() {
                    let mut fields = FieldErrors::new();
                    fields.insert(
                        "consumer".into(),
                        Value::String("value must be null".into()),
                    );
                    return Err(AdminError::Schema(fields));
                }
                // Reuse the running instance (and its caches) when nothing it depends on changed.
                let reuse = at.map(|i| &self.plugins[i]).filter(|old| {
                    old.entity.name == entity.name && old.entity.config == entity.config
                });
                let instance = match reuse {
                    Some(old) => old.instance.clone(),
                    None => {
                        let configured = plugins::configure(&entity.name, &entity.config, env)
                            .map_err(config_errors)?;
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
                            "UNIQUE violation detected on '{{consumer=null,name=\"{}\",route={},service={}}}'",
                            entity.name,
                            fk_text(entity.route),
                            fk_text(entity.service)
                        ),
                        fields: serde_json::json!({ "name": format!("already exists with value '{}'", entity.name) }),
                    });
                }
                if let Some(name) = &entity.instance_name {
                    if self.plugins.iter().enumerate().any(|(i, p)| {
                        Some(i) != at && p.entity.instance_name.as_deref() == Some(name)
                    }) {
                        return Err(AdminError::unique("instance_name", name));
                    }
                }
                let v = to_value(&entity);
                place(&mut self.plugins, at, PluginRecord { entity, instance });
                Ok(v)
            }
        }
    }

    fn unique(
        &self,
        _kind: Kind,
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

/// Fields the API shows but does not take back as input on PATCH.
fn strip_output_only(kind: Kind, mut map: Map<String, Value>) -> Map<String, Value> {
    map.remove("updated_at");
    if kind == Kind::Plugins {
        // Foreign keys are re-resolved from `{"id": ...}`.
    }
    map
}

fn config_errors(e: ConfigError) -> AdminError {
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
            for e in errors {
                config.entry(e.field).or_insert(Value::String(e.message));
            }
            fields.insert("config".into(), Value::Object(config));
        }
    }
    AdminError::Schema(fields)
}
