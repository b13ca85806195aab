//! Building a DAO record from Admin API or declarative input: generated fields (`id`,
//! `created_at`, `auto` keys and secrets), schema validation with Kong's messages, and the
//! foreign keys the store must resolve.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::dao::Dao;
use super::reader::{FieldErrors, ForeignRef};
use crate::schema::{ConfigError, Type};

/// A random value for an `auto` string field (Kong's `random_string`: 32 hex characters from the
/// operating system's generator).
pub fn random_string() -> String {
    Uuid::new_v4().simple().to_string()
}

/// Reads a foreign key as given: `{"id": ...}`, `{"name"|"username": ...}` or a bare id/name.
pub fn foreign_ref(value: &Value) -> Option<ForeignRef> {
    let by_text = |s: &str| match Uuid::parse_str(s) {
        Ok(u) => ForeignRef::Id(u),
        Err(_) => ForeignRef::Name(s.to_owned()),
    };
    match value {
        Value::String(s) => Some(by_text(s)),
        Value::Object(map) => ["id", "name", "username", "client_id"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map(by_text),
        _ => None,
    }
}

/// Kong's field errors (`field: message`, `@entity: [..]`) from schema errors.
pub fn field_errors(e: ConfigError) -> FieldErrors {
    let mut fields = FieldErrors::new();
    for err in e.errors() {
        if err.field == "@entity" {
            match fields
                .entry("@entity")
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(Value::String(err.message.clone())),
                other => *other = Value::Array(vec![Value::String(err.message.clone())]),
            }
        } else {
            fields
                .entry(err.field.clone())
                .or_insert(Value::String(err.message.clone()));
        }
    }
    fields
}

/// The input with generated fields filled and validated against the DAO's schema. `keep` is the
/// entity being replaced or patched (its id and creation time stay).
pub fn build(
    dao: &Dao,
    mut input: Map<String, Value>,
    lenient: bool,
    keep: Option<&Map<String, Value>>,
    now: i64,
) -> Result<Map<String, Value>, FieldErrors> {
    let schema = dao.fields();
    let kept = |name: &str| keep.and_then(|k| k.get(name)).cloned();
    if input.get("id").is_none_or(Value::is_null) {
        let id = kept("id").unwrap_or_else(|| Value::String(Uuid::new_v4().to_string()));
        input.insert("id".into(), id);
    }
    if schema.get("created_at").is_some() {
        let created = kept("created_at")
            .or_else(|| input.get("created_at").filter(|v| v.is_number()).cloned())
            .unwrap_or(Value::from(now));
        input.insert("created_at".into(), created);
    }
    if schema.get("updated_at").is_some() {
        input.insert("updated_at".into(), Value::from(now));
    }
    for (name, field) in schema.fields() {
        let absent = input.get(name).is_none_or(Value::is_null);
        if absent && field.is_auto() && matches!(field.ty(), Type::String) && name != "id" {
            input.insert(name.to_owned(), Value::String(random_string()));
        }
    }
    match schema.validate(&Value::Object(input), lenient) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(FieldErrors::new()),
        Err(e) => Err(field_errors(e)),
    }
}

/// The id a foreign key field of a stored record points at.
pub fn fk_id(record: &Map<String, Value>, field: &str) -> Option<Uuid> {
    record
        .get(field)?
        .get("id")?
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// A stored record's id.
pub fn id_of(record: &Map<String, Value>) -> Option<Uuid> {
    record
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// How Kong prints a unique key in `UNIQUE violation detected on '{...}'`.
pub fn unique_text(record: &Map<String, Value>, fields: &[&str]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|f| match record.get(*f) {
            Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
                Some(id) => format!("{f}={{id=\"{id}\"}}"),
                None => format!("{f}=null"),
            },
            Some(Value::String(s)) => format!("{f}=\"{s}\""),
            Some(Value::Null) | None => format!("{f}=null"),
            Some(other) => format!("{f}={other}"),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}
