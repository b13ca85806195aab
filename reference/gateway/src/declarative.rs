//! Declarative configuration (`kong.yml`, `docs/kong.md#declarative-configuration`): YAML or JSON,
//! `_format_version`, children nested under their parents. The whole file becomes a new [`State`]
//! or is refused.

use serde_json::{json, Map, Value};

use crate::entities::consumer_groups;
use crate::entities::dao::{self, Dao, Storage};
use crate::error::AdminError;
use crate::plugins::PluginEnv;
use crate::store::{Kind, Scope, State};

const FORMAT_VERSIONS: &[&str] = &["1.1", "2.1", "3.0"];
const TOP_LEVEL: &[&str] = &[
    "_format_version",
    "_transform",
    "_comment",
    "_info",
    "services",
    "routes",
    "consumers",
    "plugins",
];

/// Deepest nesting a declarative document may have: serde's recursion limit, checked on YAML
/// before parsing (see `yaml_depth`).
const MAX_DEPTH: usize = 128;

/// Kong credential kinds a declarative file may nest under a consumer: those no registered DAO
/// declares are refused rather than silently ignored.
const CREDENTIALS: &[&str] = &[
    "acls",
    "oauth2_credentials",
    "keyauth_credentials",
    "basicauth_credentials",
    "jwt_secrets",
    "hmacauth_credentials",
    "mtls_auth_credentials",
];

/// Parses YAML or JSON text into a JSON value.
pub fn parse_text(text: &str) -> Result<Value, AdminError> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    crate::yaml_depth::check(text, MAX_DEPTH).map_err(|why| {
        declarative_error(
            "@entity",
            format!("failed parsing declarative configuration: {why}"),
        )
    })?;
    serde_yaml::from_str::<Value>(text).map_err(|e| {
        declarative_error(
            "@entity",
            format!("failed parsing declarative configuration: {e}"),
        )
    })
}

fn declarative_error(field: &str, message: String) -> AdminError {
    AdminError::Declarative {
        fields: json!({ field: message.clone() }),
        flattened: vec![
            json!({"entity_type": field, "errors": [{"type": "entity", "message": message}]}),
        ],
    }
}

struct Loader<'a> {
    state: State,
    env: &'a PluginEnv,
    fields: Map<String, Value>,
    flattened: Vec<Value>,
}

impl Loader<'_> {
    fn record(&mut self, path: String, kind: Kind, entity: &Map<String, Value>, err: AdminError) {
        let detail = match &err {
            AdminError::Schema(f) => Value::Object(f.clone()),
            AdminError::ForeignKey {
                field,
                collection,
                reference,
            } => json!({
                *field: format!("the foreign key '{reference}' does not reference an existing '{collection}' entity.")
            }),
            AdminError::Unique { fields, .. } => fields.clone(),
            AdminError::PrimaryKey(id) => {
                json!({"id": format!("uniqueness violation: 'id' {id} is duplicated")})
            }
            other => json!({"@entity": format!("{other:?}")}),
        };
        let mut errors = Vec::new();
        if let Value::Object(map) = &detail {
            let mut parts = Vec::new();
            crate::error::flatten(map, "", &mut parts);
            for p in parts {
                errors.push(json!({"type": "field", "message": p}));
            }
        }
        self.flattened.push(json!({
            "entity_type": kind.entity_name(),
            "entity_name": entity.get("name").or_else(|| entity.get("username")).cloned().unwrap_or(Value::Null),
            "entity": Value::Object(entity.clone()),
            "errors": errors,
        }));
        self.fields.insert(path, detail);
    }

    fn create(
        &mut self,
        path: String,
        kind: Kind,
        entity: Map<String, Value>,
        scope: Scope,
    ) -> Option<Value> {
        match self
            .state
            .create(kind, entity.clone(), false, scope, self.env)
        {
            Ok(v) => Some(v),
            Err(e) => {
                self.record(path, kind, &entity, e);
                None
            }
        }
    }
}

fn take_children(
    entity: &mut Map<String, Value>,
    key: &str,
) -> Result<Vec<Map<String, Value>>, String> {
    match entity.remove(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::Object(m) => Ok(strip_meta(m)),
                _ => Err(format!("{key}: expected an array of records")),
            })
            .collect(),
        Some(_) => Err(format!("{key}: expected an array")),
    }
}

fn strip_meta(mut m: Map<String, Value>) -> Map<String, Value> {
    m.remove("_comment");
    m.remove("_ignore");
    m
}

fn id_of(created: &Value) -> Option<uuid::Uuid> {
    created
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
}

/// The configuration DAOs a declarative file may hold (top-level, and nested under a parent).
fn config_daos() -> impl Iterator<Item = &'static Dao> {
    dao::all().filter(|d| matches!(d.storage, Storage::Config))
}

/// Entities to create once their parents exist, with their path in the file.
#[derive(Default)]
struct Deferred {
    routes: Vec<(String, Map<String, Value>, Scope)>,
    plugins: Vec<(String, Map<String, Value>, Scope)>,
    records: Vec<(String, &'static Dao, Map<String, Value>, Scope)>,
}

/// Builds a whole new state from a declarative document.
pub fn load(doc: &Value, env: &PluginEnv) -> Result<State, AdminError> {
    let Value::Object(doc) = doc else {
        return Err(declarative_error("@entity", "expected an object".into()));
    };
    match doc.get("_format_version") {
        Some(Value::String(v)) if FORMAT_VERSIONS.contains(&v.as_str()) => {}
        Some(Value::String(v)) => {
            return Err(declarative_error(
                "_format_version",
                format!("expected one of: {}; got '{v}'", FORMAT_VERSIONS.join(", ")),
            ))
        }
        Some(_) => {
            return Err(declarative_error(
                "_format_version",
                "expected a string".into(),
            ))
        }
        None => {
            return Err(declarative_error(
                "_format_version",
                "required field missing".into(),
            ))
        }
    }
    let known = |k: &str| TOP_LEVEL.contains(&k) || config_daos().any(|d| d.name == k);
    if let Some(unknown) = doc.keys().find(|k| !known(k)) {
        return Err(declarative_error(unknown, "unknown field".into()));
    }
    let mut loader = Loader {
        state: State::default(),
        env,
        fields: Map::new(),
        flattened: Vec::new(),
    };
    let mut doc = doc.clone();
    let top = |doc: &mut Map<String, Value>, key: &str| {
        take_children(doc, key).map_err(|e| declarative_error(key, e))
    };
    let services = top(&mut doc, "services")?;
    let consumers = top(&mut doc, "consumers")?;
    let routes = top(&mut doc, "routes")?;
    let plugins = top(&mut doc, "plugins")?;
    let mut deferred = Deferred::default();
    for d in config_daos() {
        for (i, r) in top(&mut doc, d.name)?.into_iter().enumerate() {
            deferred
                .records
                .push((format!("{}.{i}", d.name), d, r, Scope::All));
        }
    }

    for (i, mut service) in services.into_iter().enumerate() {
        let path = format!("services.{i}");
        let nested_routes = take_children(&mut service, "routes");
        let nested_plugins = take_children(&mut service, "plugins");
        let (Ok(nested_routes), Ok(nested_plugins)) = (nested_routes, nested_plugins) else {
            loader
                .fields
                .insert(path, json!("routes/plugins: expected arrays of records"));
            continue;
        };
        let Some(id) = loader
            .create(path.clone(), Kind::Services, service, Scope::All)
            .as_ref()
            .and_then(id_of)
        else {
            continue;
        };
        for (j, r) in nested_routes.into_iter().enumerate() {
            deferred
                .routes
                .push((format!("{path}.routes.{j}"), r, Scope::service(id)));
        }
        for (j, p) in nested_plugins.into_iter().enumerate() {
            deferred
                .plugins
                .push((format!("{path}.plugins.{j}"), p, Scope::service(id)));
        }
    }
    for (i, mut consumer) in consumers.into_iter().enumerate() {
        let path = format!("consumers.{i}");
        let unsupported =
            |k: &&String| CREDENTIALS.contains(&k.as_str()) && dao::by_name(k).is_none();
        if let Some(key) = consumer.keys().find(unsupported) {
            let message = format!(
                "'{key}' is not supported by this gateway (it has no plugin for these credentials)"
            );
            loader
                .fields
                .insert(format!("{path}.{key}"), json!(message));
            continue;
        }
        let nested_plugins = take_children(&mut consumer, "plugins");
        let groups = take_children(&mut consumer, "groups");
        let (Ok(nested_plugins), Ok(groups)) = (nested_plugins, groups) else {
            loader
                .fields
                .insert(path, json!("plugins/groups: expected arrays of records"));
            continue;
        };
        let mut nested = Vec::new();
        for d in config_daos() {
            if Kind::Consumers.child_field(Kind::Dao(d)).is_none() || !consumer.contains_key(d.name)
            {
                continue;
            }
            match take_children(&mut consumer, d.name) {
                Ok(children) => nested.push((d, children)),
                Err(e) => {
                    loader.fields.insert(format!("{path}.{}", d.name), json!(e));
                }
            }
        }
        let Some(id) = loader
            .create(path.clone(), Kind::Consumers, consumer, Scope::All)
            .as_ref()
            .and_then(id_of)
        else {
            continue;
        };
        for (j, p) in nested_plugins.into_iter().enumerate() {
            deferred
                .plugins
                .push((format!("{path}.plugins.{j}"), p, Scope::consumer(id)));
        }
        for (d, children) in nested {
            for (j, r) in children.into_iter().enumerate() {
                deferred.records.push((
                    format!("{path}.{}.{j}", d.name),
                    d,
                    r,
                    Scope::consumer(id),
                ));
            }
        }
        // Kong's `consumers[].groups: [{name: gold}]`: memberships by group name.
        for (j, mut g) in groups.into_iter().enumerate() {
            let group = g
                .remove("name")
                .or_else(|| g.remove("id"))
                .unwrap_or(Value::Null);
            let mut m = Map::new();
            m.insert("consumer_group".into(), group);
            m.insert("consumer".into(), json!({ "id": id }));
            deferred.records.push((
                format!("{path}.groups.{j}"),
                &consumer_groups::MEMBERSHIPS,
                m,
                Scope::All,
            ));
        }
    }
    for (i, r) in routes.into_iter().enumerate() {
        deferred.routes.push((format!("routes.{i}"), r, Scope::All));
    }
    for (path, mut route, scope) in std::mem::take(&mut deferred.routes) {
        let nested_plugins = match take_children(&mut route, "plugins") {
            Ok(p) => p,
            Err(e) => {
                loader.fields.insert(path, json!(e));
                continue;
            }
        };
        let Some(id) = loader
            .create(path.clone(), Kind::Routes, route, scope)
            .as_ref()
            .and_then(id_of)
        else {
            continue;
        };
        for (j, p) in nested_plugins.into_iter().enumerate() {
            deferred
                .plugins
                .push((format!("{path}.plugins.{j}"), p, Scope::route(id)));
        }
    }
    for (i, p) in plugins.into_iter().enumerate() {
        deferred
            .plugins
            .push((format!("plugins.{i}"), p, Scope::All));
    }
    for (path, plugin, scope) in std::mem::take(&mut deferred.plugins) {
        loader.create(path, Kind::Plugins, plugin, scope);
    }
    // Registry order puts groups before memberships; every record's parents exist by now.
    let order = |d: &Dao| config_daos().position(|x| std::ptr::eq(x, d));
    deferred.records.sort_by_key(|(_, d, _, _)| order(d));
    for (path, d, record, scope) in deferred.records {
        loader.create(path, Kind::Dao(d), record, scope);
    }
    if loader.fields.is_empty() {
        Ok(loader.state)
    } else {
        Err(AdminError::Declarative {
            fields: Value::Object(loader.fields),
            flattened: loader.flattened,
        })
    }
}

/// The state as a declarative document (`GET /config`): the core collections, then every
/// exported DAO that has records (top-level, foreign keys by id).
pub fn export(state: &State) -> Value {
    let mut doc = Map::new();
    doc.insert("_format_version".into(), json!("3.0"));
    for kind in [Kind::Services, Kind::Routes, Kind::Consumers, Kind::Plugins] {
        doc.insert(
            kind.as_str().into(),
            Value::Array(state.list(kind, Scope::All)),
        );
    }
    for d in config_daos().filter(|d| d.export) {
        let records = state.list(Kind::Dao(d), Scope::All);
        if !records.is_empty() {
            doc.insert(d.name.into(), Value::Array(records));
        }
    }
    Value::Object(doc)
}
