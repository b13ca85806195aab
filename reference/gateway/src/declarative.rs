//! Declarative configuration (`kong.yml`, `docs/kong.md#declarative-configuration`): YAML or JSON,
//! `_format_version`, children nested under their parents. The whole file becomes a new [`State`]
//! or is refused.

use serde_json::{json, Map, Value};

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
            "entity_type": kind.as_str().trim_end_matches('s'),
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
    if let Some(unknown) = doc.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
        return Err(declarative_error(unknown, "unknown field".into()));
    }
    let mut loader = Loader {
        state: State::default(),
        env,
        fields: Map::new(),
        flattened: Vec::new(),
    };
    let mut doc = doc.clone();
    let top = |doc: &mut Map<String, Value>, key: &str| take_children(doc, key);
    let services = top(&mut doc, "services").map_err(|e| declarative_error("services", e))?;
    let consumers = top(&mut doc, "consumers").map_err(|e| declarative_error("consumers", e))?;
    let routes = top(&mut doc, "routes").map_err(|e| declarative_error("routes", e))?;
    let plugins = top(&mut doc, "plugins").map_err(|e| declarative_error("plugins", e))?;

    let mut deferred_plugins: Vec<(String, Map<String, Value>, Scope)> = Vec::new();
    let mut deferred_routes: Vec<(String, Map<String, Value>, Scope)> = Vec::new();
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
        let Some(created) = loader.create(path.clone(), Kind::Services, service, Scope::All) else {
            continue;
        };
        let Some(id) = created
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
        else {
            continue;
        };
        for (j, r) in nested_routes.into_iter().enumerate() {
            deferred_routes.push((format!("{path}.routes.{j}"), r, Scope::Service(id)));
        }
        for (j, p) in nested_plugins.into_iter().enumerate() {
            deferred_plugins.push((format!("{path}.plugins.{j}"), p, Scope::Service(id)));
        }
    }
    for (i, consumer) in consumers.into_iter().enumerate() {
        // Nested credentials/ACLs would be silently unenforced: refuse them.
        let unsupported = [
            "acls",
            "keyauth_credentials",
            "basicauth_credentials",
            "jwt_secrets",
            "oauth2_credentials",
            "plugins",
        ];
        if let Some(key) = consumer.keys().find(|k| unsupported.contains(&k.as_str())) {
            let message = format!(
                "'{key}' is not supported by this gateway (only the Gluu plugins run here)"
            );
            loader
                .fields
                .insert(format!("consumers.{i}.{key}"), json!(message));
            continue;
        }
        loader.create(
            format!("consumers.{i}"),
            Kind::Consumers,
            consumer,
            Scope::All,
        );
    }
    for (i, r) in routes.into_iter().enumerate() {
        deferred_routes.push((format!("routes.{i}"), r, Scope::All));
    }
    for (path, mut route, scope) in deferred_routes {
        let nested_plugins = match take_children(&mut route, "plugins") {
            Ok(p) => p,
            Err(e) => {
                loader.fields.insert(path, json!(e));
                continue;
            }
        };
        let Some(created) = loader.create(path.clone(), Kind::Routes, route, scope) else {
            continue;
        };
        let Some(id) = created
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
        else {
            continue;
        };
        for (j, p) in nested_plugins.into_iter().enumerate() {
            deferred_plugins.push((format!("{path}.plugins.{j}"), p, Scope::Route(id)));
        }
    }
    for (i, p) in plugins.into_iter().enumerate() {
        deferred_plugins.push((format!("plugins.{i}"), p, Scope::All));
    }
    for (path, plugin, scope) in deferred_plugins {
        loader.create(path, Kind::Plugins, plugin, scope);
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

/// The state as a declarative document (`GET /config`).
pub fn export(state: &State) -> Value {
    let services: Vec<Value> = state.list(Kind::Services, Scope::All);
    let routes: Vec<Value> = state.list(Kind::Routes, Scope::All);
    let consumers: Vec<Value> = state.list(Kind::Consumers, Scope::All);
    let plugins: Vec<Value> = state.list(Kind::Plugins, Scope::All);
    json!({
        "_format_version": "3.0",
        "services": services,
        "routes": routes,
        "consumers": consumers,
        "plugins": plugins,
    })
}
