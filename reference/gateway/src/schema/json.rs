//! Kong's JSON rendering of schemas (`GET /schemas/plugins/{name}`, `GET /schemas/{entity}`):
//! `{"fields": [{"name": {"type": ..., ...}}, ...], "entity_checks": [...]}`.

use serde_json::{json, Map, Value};

use super::{Check, Field, PluginSchema, Record, Type};

/// `[{"name": {...}}, ...]` for a record's fields.
pub(crate) fn fields(record: &Record) -> Value {
    Value::Array(
        record
            .fields
            .iter()
            .map(|(name, f)| json!({ *name: field(f) }))
            .collect(),
    )
}

fn field(f: &Field) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), Value::from(f.ty.kong_name()));
    if f.required {
        out.insert("required".into(), Value::Bool(true));
    }
    if let Some(d) = &f.default {
        out.insert("default".into(), d.clone());
    }
    if let Some(choices) = &f.one_of {
        out.insert("one_of".into(), Value::Array(choices.clone()));
    }
    if let Some((min, max)) = f.between {
        out.insert("between".into(), json!([min, max]));
    }
    if let Some(n) = f.len_min {
        out.insert("len_min".into(), Value::from(n));
    }
    if let Some(p) = f.starts_with {
        out.insert("starts_with".into(), Value::from(p));
    }
    if f.uuid {
        out.insert("uuid".into(), Value::Bool(true));
    }
    if f.auto {
        out.insert("auto".into(), Value::Bool(true));
    }
    if f.unique {
        out.insert("unique".into(), Value::Bool(true));
    }
    if f.eq_null {
        out.insert("eq".into(), Value::Null);
    }
    if let Some(d) = f.description {
        out.insert("description".into(), Value::from(d));
    }
    match &f.ty {
        Type::Array(e) | Type::Set(e) => {
            out.insert("elements".into(), field(e));
        }
        Type::Map(k, v) => {
            out.insert("keys".into(), field(k));
            out.insert("values".into(), field(v));
        }
        Type::Record(r) => {
            out.insert("fields".into(), fields(r));
            let list = checks(&r.checks);
            if list.as_array().is_some_and(|l| !l.is_empty()) {
                out.insert("entity_checks".into(), list);
            }
        }
        Type::Foreign { reference, cascade } => {
            out.insert("reference".into(), Value::from(*reference));
            if *cascade {
                out.insert("on_delete".into(), Value::from("cascade"));
            }
        }
        _ => {}
    }
    Value::Object(out)
}

/// Kong's `entity_checks` list; custom record checks have no declarative form and are left out.
pub(crate) fn checks(list: &[Check]) -> Value {
    Value::Array(
        list.iter()
            .filter_map(|c| match c {
                Check::OnlyOneOf(names) => Some(json!({ "only_one_of": names })),
                Check::AtLeastOneOf(names) => Some(json!({ "at_least_one_of": names })),
                Check::Conditional {
                    if_field,
                    if_value,
                    then_field,
                } => Some(json!({ "conditional": {
                    "if_field": if_field,
                    "if_match": {"eq": if_value},
                    "then_field": then_field,
                    "then_match": {"required": true},
                }})),
                Check::Custom(_) | Check::CustomOn(..) => None,
            })
            .collect(),
    )
}

/// A plugin's schema: `consumer` (when it cannot be consumer-scoped), `protocols`, `config`.
pub(crate) fn plugin(schema: &PluginSchema) -> Value {
    let mut list = Vec::new();
    if !schema.consumer_scope {
        list.push(json!({"consumer": field(&Field::foreign("consumers").must_be_null())}));
    }
    let protocols = ["grpc", "grpcs", "http", "https"];
    list.push(json!({"protocols": field(
        &Field::set(Field::string().one_of(&protocols)).default(json!(protocols))
    )}));
    list.push(json!({"config": field(&Field::record(schema.config.clone()).required())}));
    let mut out = Map::new();
    out.insert("fields".into(), Value::Array(list));
    let list = checks(&schema.checks);
    if list.as_array().is_some_and(|l| !l.is_empty()) {
        out.insert("entity_checks".into(), list);
    }
    Value::Object(out)
}
