//! Field-by-field reading of an entity's JSON input with Kong's error messages.

use serde_json::{Map, Value};
use uuid::Uuid;

/// Field → message (or nested object of messages), as Kong's `fields`.
pub type FieldErrors = Map<String, Value>;

/// Reads fields out of an input object; every problem is recorded, none stops reading.
#[derive(Debug)]
pub struct Reader {
    input: Map<String, Value>,
    /// Errors so far.
    pub errors: FieldErrors,
    lenient: bool,
}

impl Reader {
    /// `lenient`: values came from a form body (strings for numbers/booleans, a single value for
    /// an array).
    pub fn new(input: Map<String, Value>, lenient: bool) -> Self {
        Self {
            input,
            errors: Map::new(),
            lenient,
        }
    }

    /// Records `message` on `field`.
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_insert(Value::String(message.into()));
    }

    /// Removes and returns a field (null = absent).
    pub fn take(&mut self, field: &str) -> Option<Value> {
        match self.input.remove(field) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// Whether the input still has `field` (non-null).
    pub fn has(&self, field: &str) -> bool {
        self.input.get(field).is_some_and(|v| !v.is_null())
    }

    /// Optional string.
    pub fn string(&mut self, field: &str) -> Option<String> {
        match self.take(field)? {
            Value::String(s) => Some(s),
            Value::Number(n) if self.lenient => Some(n.to_string()),
            _ => {
                self.error(field, "expected a string");
                None
            }
        }
    }

    /// Optional name-like string (Kong's `name` type).
    pub fn name(&mut self, field: &str) -> Option<String> {
        let s = self.string(field)?;
        if s.is_empty() {
            self.error(field, "length must be at least 1");
            return None;
        }
        if let Some(bad) = s
            .chars()
            .find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "._-~".contains(*c)))
        {
            let _ = bad;
            self.error(
                field,
                format!("invalid value '{s}': the only accepted ascii characters are alphanumerics or ., -, _, and ~"),
            );
            return None;
        }
        Some(s)
    }

    /// Integer in `min..=max`, `default` when absent.
    pub fn integer(&mut self, field: &str, default: i64, min: i64, max: i64) -> i64 {
        let value = match self.take(field) {
            None => return default,
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) if self.lenient => s.trim().parse().ok(),
            Some(_) => None,
        };
        match value {
            Some(v) if (min..=max).contains(&v) => v,
            Some(_) => {
                self.error(field, format!("value should be between {min} and {max}"));
                default
            }
            None => {
                self.error(field, "expected an integer");
                default
            }
        }
    }

    /// Boolean, `default` when absent.
    pub fn boolean(&mut self, field: &str, default: bool) -> bool {
        match self.take(field) {
            None => default,
            Some(Value::Bool(b)) => b,
            Some(Value::String(s)) if self.lenient && s == "true" => true,
            Some(Value::String(s)) if self.lenient && s == "false" => false,
            Some(_) => {
                self.error(field, "expected a boolean");
                default
            }
        }
    }

    /// Optional boolean.
    pub fn optional_boolean(&mut self, field: &str) -> Option<bool> {
        if !self.has(field) {
            self.take(field);
            return None;
        }
        Some(self.boolean(field, false))
    }

    /// Optional array of strings (a single string is accepted from forms).
    pub fn strings(&mut self, field: &str) -> Option<Vec<String>> {
        let items = match self.take(field)? {
            Value::Array(items) => items,
            Value::String(s) if self.lenient => vec![Value::String(s)],
            Value::Object(map) if self.lenient => map.into_values().collect(),
            _ => {
                self.error(field, "expected an array");
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::String(s) => out.push(s),
                _ => {
                    self.error(field, "expected a string");
                    return None;
                }
            }
        }
        Some(out)
    }

    /// Optional UUID.
    pub fn uuid(&mut self, field: &str) -> Option<Uuid> {
        match self.take(field)? {
            Value::String(s) => match Uuid::parse_str(&s) {
                Ok(u) => Some(u),
                Err(_) => {
                    self.error(field, "expected a valid UUID");
                    None
                }
            },
            _ => {
                self.error(field, "expected a string");
                None
            }
        }
    }

    /// Optional foreign key `{"id": ...}` (also `{"name": ...}` / `{"username": ...}` as written
    /// by declarative configs and forms; resolved by the caller).
    pub fn foreign(&mut self, field: &str) -> Option<ForeignRef> {
        match self.take(field)? {
            Value::Object(map) => {
                if let Some(id) = map.get("id").and_then(Value::as_str) {
                    match Uuid::parse_str(id) {
                        Ok(u) => return Some(ForeignRef::Id(u)),
                        Err(_) => return Some(ForeignRef::Name(id.to_owned())),
                    }
                }
                for key in ["name", "username"] {
                    if let Some(name) = map.get(key).and_then(Value::as_str) {
                        return Some(ForeignRef::Name(name.to_owned()));
                    }
                }
                self.error(field, "expected a record with an 'id'");
                None
            }
            Value::String(s) => Some(match Uuid::parse_str(&s) {
                Ok(u) => ForeignRef::Id(u),
                Err(_) => ForeignRef::Name(s),
            }),
            _ => {
                self.error(field, "expected a record");
                None
            }
        }
    }

    /// Unix timestamp fields are read-only in practice; accepted when given (e.g. declarative).
    pub fn timestamp(&mut self, field: &str) -> Option<i64> {
        match self.take(field)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            _ => {
                self.error(field, "expected an integer");
                None
            }
        }
    }

    /// Ends reading: leftover fields are `unknown field`.
    pub fn finish(mut self) -> Result<(), FieldErrors> {
        let leftovers: Vec<String> = self.input.keys().cloned().collect();
        for field in leftovers {
            self.error(&field, "unknown field");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// A reference to another entity, by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForeignRef {
    /// By primary key.
    Id(Uuid),
    /// By name (service/route `name`, consumer `username`).
    Name(String),
}
