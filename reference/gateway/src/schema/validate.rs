//! Validation of a value against a [`Record`], with Kong's messages
//! (`kong/db/schema/init.lua`'s `validation_errors`).

use serde_json::{Map, Number, Value};

use super::{Check, Field, Record, Type};

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Field path, dotted, arrays 1-based (`custom_headers.1.format`); `@entity` for checks over
    /// several fields.
    pub field: String,
    /// What is wrong, e.g. `required field missing`.
    pub message: String,
}

/// Why a plugin config (or an entity) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No plugin of that name exists.
    #[error("plugin '{0}' not enabled; add it to the 'plugins' configuration property")]
    UnknownPlugin(String),
    /// Fields failed validation.
    #[error("{}", display_fields(.0))]
    Invalid(Vec<FieldError>),
}

fn display_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| {
            if e.field == "@entity" {
                e.message.clone()
            } else {
                format!("config.{}: {}", e.field, e.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl ConfigError {
    /// A single-field error.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The field errors (none for an unknown plugin).
    pub fn errors(&self) -> &[FieldError] {
        match self {
            ConfigError::Invalid(errors) => errors,
            ConfigError::UnknownPlugin(_) => &[],
        }
    }

    /// Both sets of errors (an unknown plugin wins).
    pub fn merge(self, other: ConfigError) -> ConfigError {
        match (self, other) {
            (ConfigError::Invalid(mut a), ConfigError::Invalid(b)) => {
                a.extend(b);
                ConfigError::Invalid(a)
            }
            (e @ ConfigError::UnknownPlugin(_), _) | (_, e @ ConfigError::UnknownPlugin(_)) => e,
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn error(errors: &mut Vec<FieldError>, field: String, message: impl Into<String>) {
    errors.push(FieldError {
        field,
        message: message.into(),
    });
}

/// Kong's `is_nonempty`: not null, not an empty string, array or object.
pub(crate) fn is_nonempty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

fn get_path<'a>(record: &'a Map<String, Value>, dotted: &str) -> Option<&'a Value> {
    let mut parts = dotted.split('.');
    let mut current = record.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

fn quoted(names: &[&str], prefix: &str) -> String {
    names
        .iter()
        .map(|n| format!("'{}'", join(prefix, n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `checks` over a validated record at `path`.
pub(crate) fn checks(
    checks: &[Check],
    path: &str,
    record: &Map<String, Value>,
    errors: &mut Vec<FieldError>,
) {
    for check in checks {
        match check {
            Check::OnlyOneOf(names) => {
                let set = names
                    .iter()
                    .filter(|n| is_nonempty(get_path(record, n)))
                    .count();
                if set > 1 {
                    error(
                        errors,
                        "@entity".into(),
                        format!(
                            "only one of these fields must be non-empty: {}",
                            quoted(names, path)
                        ),
                    );
                }
            }
            Check::AtLeastOneOf(names) => {
                if !names.iter().any(|n| is_nonempty(get_path(record, n))) {
                    error(
                        errors,
                        "@entity".into(),
                        format!(
                            "at least one of these fields must be non-empty: {}",
                            quoted(names, path)
                        ),
                    );
                }
            }
            Check::Conditional {
                if_field,
                if_value,
                then_field,
            } => {
                if get_path(record, if_field) == Some(if_value)
                    && !is_nonempty(get_path(record, then_field))
                {
                    error(errors, join(path, then_field), "required field missing");
                    error(
                        errors,
                        "@entity".into(),
                        format!(
                            "failed conditional validation given value of field '{}'",
                            join(path, if_field)
                        ),
                    );
                }
            }
            Check::Custom(check) => {
                if let Err(message) = check(record) {
                    let at = if path.is_empty() { "@entity" } else { path };
                    error(errors, at.to_owned(), message);
                }
            }
            Check::CustomOn(field, check) => {
                if let Err(message) = check(record) {
                    error(errors, join(path, field), message);
                }
            }
        }
    }
}

/// Validates `input` as `schema` at `path`; returns the effective record.
pub(crate) fn record(
    schema: &Record,
    path: &str,
    input: &Value,
    lenient: bool,
    errors: &mut Vec<FieldError>,
) -> Value {
    let empty = Map::new();
    let input = match input {
        Value::Null => &empty,
        Value::Object(map) => map,
        _ => {
            let at = if path.is_empty() { "@entity" } else { path };
            error(errors, at.to_owned(), "expected a record");
            return Value::Null;
        }
    };
    let before = errors.len();
    let mut out = Map::new();
    for (name, field) in &schema.fields {
        let value = field_value(field, &join(path, name), input.get(*name), lenient, errors);
        out.insert((*name).to_owned(), value);
    }
    for name in input.keys() {
        if schema.get(name).is_none() {
            error(errors, join(path, name), "unknown field");
        }
    }
    // Checks over several fields only make sense once every field is well-formed.
    if errors.len() == before {
        checks(&schema.checks, path, &out, errors);
    }
    Value::Object(out)
}

fn field_value(
    field: &Field,
    path: &str,
    input: Option<&Value>,
    lenient: bool,
    errors: &mut Vec<FieldError>,
) -> Value {
    let value = match input {
        // An optional field with a default (Kong's `required = false, default = ...`) keeps an
        // explicit null: Kong fills defaults only for absent fields (`login_tokens: null`).
        Some(Value::Null) if !field.required && field.default.is_some() => return Value::Null,
        None | Some(Value::Null) => match (&field.default, &field.ty) {
            (Some(default), _) => default.clone(),
            // An absent record is its fields' defaults (Kong fills nested defaults).
            (None, Type::Record(rec)) if field.required => {
                return record(rec, path, &Value::Null, lenient, errors);
            }
            (None, _) if field.required && !field.auto => {
                error(errors, path.to_owned(), "required field missing");
                return Value::Null;
            }
            (None, _) => return Value::Null,
        },
        Some(v) => v.clone(),
    };
    if field.eq_null {
        error(errors, path.to_owned(), "value must be null");
        return Value::Null;
    }
    let value = typed(field, path, value, lenient, errors);
    if value.is_null() {
        return value;
    }
    constraints(field, path, &value, errors);
    value
}

fn typed(
    field: &Field,
    path: &str,
    value: Value,
    lenient: bool,
    errors: &mut Vec<FieldError>,
) -> Value {
    let mismatch = |errors: &mut Vec<FieldError>, what: &str| {
        error(errors, path.to_owned(), format!("expected {what}"));
        Value::Null
    };
    match &field.ty {
        Type::String => match value {
            Value::String(_) => value,
            Value::Number(n) if lenient => Value::String(n.to_string()),
            _ => mismatch(errors, "a string"),
        },
        Type::Boolean => match value {
            Value::Bool(_) => value,
            Value::String(s) if s == "true" => Value::Bool(true),
            Value::String(s) if s == "false" => Value::Bool(false),
            _ => mismatch(errors, "a boolean"),
        },
        Type::Integer => match value {
            Value::Number(ref n) if n.is_i64() || n.is_u64() => value,
            Value::Number(ref n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                Value::Number(Number::from(n.as_f64().unwrap_or_default() as i64))
            }
            Value::String(s) if lenient => match s.trim().parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => mismatch(errors, "an integer"),
            },
            _ => mismatch(errors, "an integer"),
        },
        Type::Number => match value {
            Value::Number(_) => value,
            Value::String(s) if lenient => match s.trim().parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
                Ok(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
                Err(_) => mismatch(errors, "a number"),
            },
            _ => mismatch(errors, "a number"),
        },
        Type::Array(element) | Type::Set(element) => {
            let is_set = matches!(field.ty, Type::Set(_));
            let items = match value {
                Value::Array(items) => items,
                Value::String(s) if field.comma_separated => s
                    .split(',')
                    .map(|p| Value::String(p.trim().to_owned()))
                    .collect(),
                // A form body's `x=a` is a one-element array; `x[1]=a` arrives as an array.
                Value::String(_) if lenient => vec![value],
                Value::Object(map) if lenient => map.into_values().collect(),
                _ => return mismatch(errors, if is_set { "a set" } else { "an array" }),
            };
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let at = format!("{path}.{}", i + 1);
                let v = field_value(element, &at, Some(&item), lenient, errors);
                if is_set && out.contains(&v) {
                    continue;
                }
                out.push(v);
            }
            Value::Array(out)
        }
        Type::Map(keys, values) => {
            let Value::Object(map) = value else {
                return mismatch(errors, "a map");
            };
            let mut out = Map::new();
            for (k, v) in map {
                let at = join(path, &k);
                field_value(keys, &at, Some(&Value::String(k.clone())), lenient, errors);
                let v = field_value(values, &at, Some(&v), lenient, errors);
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Type::Record(rec) => record(rec, path, &value, lenient, errors),
        Type::Foreign { .. } => match value {
            Value::Object(ref map) if map.contains_key("id") => value,
            Value::String(id) => serde_json::json!({ "id": id }),
            _ => mismatch(errors, "a record with an 'id'"),
        },
        Type::Json => value,
    }
}

fn constraints(field: &Field, path: &str, value: &Value, errors: &mut Vec<FieldError>) {
    let before = errors.len();
    if let Some(choices) = &field.one_of {
        if !choices.contains(value) {
            let list = choices
                .iter()
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", ");
            error(errors, path.to_owned(), format!("expected one of: {list}"));
        }
    }
    if let Some((min, max)) = field.between {
        let inside = match value {
            Value::Number(n) => n
                .as_f64()
                .is_some_and(|f| f >= min as f64 && f <= max as f64),
            _ => true,
        };
        if !inside {
            error(
                errors,
                path.to_owned(),
                format!("value should be between {min} and {max}"),
            );
        }
    }
    if let Some(min) = field.len_min {
        let len = match value {
            Value::String(s) => Some(s.chars().count()),
            Value::Array(a) => Some(a.len()),
            _ => None,
        };
        if len.is_some_and(|l| l < min) {
            error(
                errors,
                path.to_owned(),
                format!("length must be at least {min}"),
            );
        }
    }
    if let (Some(prefix), Value::String(s)) = (field.starts_with, value) {
        if !s.starts_with(prefix) {
            error(
                errors,
                path.to_owned(),
                format!("should start with: {prefix}"),
            );
        }
    }
    if let (true, Value::String(s)) = (field.uuid, value) {
        if uuid::Uuid::parse_str(s).is_err() {
            error(errors, path.to_owned(), "expected a valid UUID");
        }
    }
    if errors.len() == before {
        if let Some(check) = field.validator {
            if let Err(message) = check(value) {
                error(errors, path.to_owned(), message);
            }
        }
    }
}
