//! Plugin config validation: Kong-style field errors (`crate::schema`), the field types the Gluu
//! plugins share, and the field-by-field reader openid-connect's config still uses (to be ported
//! onto `crate::schema`).

use serde_json::{Map, Value};
use url::Url;

use crate::schema::{Field, Record};

pub use crate::schema::{ConfigError, FieldError};

/// A required absolute http(s) URL with a host (`oxd_url`, `op_url`).
pub fn http_url() -> Field {
    Field::string().required().len_min(1).validator(|v| {
        match Url::parse(v.as_str().unwrap_or_default()) {
            Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {
                Ok(())
            }
            Ok(_) => Err("missing host in url".into()),
            Err(e) => Err(format!("invalid url: {e}")),
        }
    })
}

/// `record` with the oxd client fields every Gluu plugin starts with: `oxd_id`, `oxd_url`,
/// `client_id`, `client_secret`, `op_url`.
pub fn oxd_client(record: Record) -> Record {
    let text = || Field::string().required().len_min(1);
    record
        .field("oxd_id", text())
        .field("oxd_url", http_url())
        .field("client_id", text())
        .field("client_secret", text())
        .field("op_url", http_url())
}

/// Reads a plugin's `config` object field by field, collecting every error and building the
/// effective config (defaults filled in) as it goes.
#[derive(Debug)]
pub struct ConfigReader<'a> {
    input: Map<String, Value>,
    output: Map<String, Value>,
    errors: Vec<FieldError>,
    _src: std::marker::PhantomData<&'a ()>,
}

impl ConfigReader<'_> {
    /// Starts reading `config` (`null`/absent = empty object).
    pub fn new(config: &Value) -> Result<Self, ConfigError> {
        let input = match config {
            Value::Null => Map::new(),
            Value::Object(map) => map.clone(),
            _ => return Err(ConfigError::field("@entity", "expected a record")),
        };
        Ok(Self {
            input,
            output: Map::new(),
            errors: Vec::new(),
            _src: std::marker::PhantomData,
        })
    }

    /// Records an error on `field`.
    pub fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        match self.input.remove(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// A string field; `default` when absent. Missing and no default → `required field missing`.
    pub fn string(&mut self, name: &str, default: Option<&str>) -> Option<String> {
        let value = match self.take(name) {
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.error(name, "expected a string");
                return None;
            }
            None => default.map(str::to_owned),
        };
        match value {
            Some(s) => {
                self.output
                    .insert(name.to_owned(), Value::String(s.clone()));
                Some(s)
            }
            None => {
                self.error(name, "required field missing");
                None
            }
        }
    }

    /// An optional string field (null when absent).
    pub fn optional_string(&mut self, name: &str) -> Option<String> {
        match self.take(name) {
            Some(Value::String(s)) => {
                self.output
                    .insert(name.to_owned(), Value::String(s.clone()));
                Some(s)
            }
            Some(_) => {
                self.error(name, "expected a string");
                None
            }
            None => {
                self.output.insert(name.to_owned(), Value::Null);
                None
            }
        }
    }

    /// A required non-empty string.
    pub fn required_string(&mut self, name: &str) -> Option<String> {
        let s = self.string(name, None)?;
        if s.is_empty() {
            self.error(name, "length must be at least 1");
            return None;
        }
        Some(s)
    }

    /// A required absolute http(s) URL.
    pub fn url(&mut self, name: &str) -> Option<Url> {
        let s = self.required_string(name)?;
        match Url::parse(&s) {
            Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {
                Some(u)
            }
            Ok(_) => {
                self.error(name, "missing host in url");
                None
            }
            Err(e) => {
                self.error(name, format!("invalid url: {e}"));
                None
            }
        }
    }

    /// A boolean with a default; `"true"`/`"false"` strings (form bodies) are accepted.
    pub fn boolean(&mut self, name: &str, default: bool) -> bool {
        let value = match self.take(name) {
            None => default,
            Some(Value::Bool(b)) => b,
            Some(Value::String(s)) if s == "true" => true,
            Some(Value::String(s)) if s == "false" => false,
            Some(_) => {
                self.error(name, "expected a boolean");
                default
            }
        };
        self.output.insert(name.to_owned(), Value::Bool(value));
        value
    }

    /// A string that must be one of `choices`.
    pub fn one_of(&mut self, name: &str, choices: &[&str], default: &str) -> Option<String> {
        let s = self.string(name, Some(default))?;
        if choices.contains(&s.as_str()) {
            Some(s)
        } else {
            self.error(name, format!("expected one of: {}", choices.join(", ")));
            None
        }
    }

    /// A raw JSON field taken as is (validated by the caller); stored under `name` as given.
    pub fn raw(&mut self, name: &str) -> Option<Value> {
        let v = self.take(name);
        self.output
            .insert(name.to_owned(), v.clone().unwrap_or(Value::Null));
        v
    }

    /// An array of strings (`default` when absent); a lone string counts as a one-element
    /// array, as Kong coerces a form field given once. Each element must be in `choices` when
    /// `choices` is not empty.
    pub fn string_array(&mut self, name: &str, default: &[&str], choices: &[&str]) -> Vec<String> {
        let values: Vec<String> = match self.take(name) {
            None => default.iter().map(|s| (*s).to_owned()).collect(),
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s),
                        _ => self.error(format!("{name}.{}", i + 1), "expected a string"),
                    }
                }
                out
            }
            Some(_) => {
                self.error(name, "expected an array");
                Vec::new()
            }
        };
        if !choices.is_empty() {
            for (i, v) in values.iter().enumerate() {
                if !choices.contains(&v.as_str()) {
                    self.error(
                        format!("{name}.{}", i + 1),
                        format!("expected one of: {}", choices.join(", ")),
                    );
                }
            }
        }
        self.output.insert(
            name.to_owned(),
            Value::Array(values.iter().cloned().map(Value::String).collect()),
        );
        values
    }

    /// An optional integer in `min..=max` (null when absent); numeric strings (form bodies)
    /// are accepted.
    pub fn optional_integer(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let value = match self.take(name) {
            None => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(i),
                None => {
                    self.error(name, "expected an integer");
                    None
                }
            },
            Some(Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(i) => Some(i),
                Err(_) => {
                    self.error(name, "expected an integer");
                    None
                }
            },
            Some(_) => {
                self.error(name, "expected an integer");
                None
            }
        };
        let value = value.filter(|i| {
            let ok = (min..=max).contains(i);
            if !ok {
                self.error(name, format!("value should be between {min} and {max}"));
            }
            ok
        });
        self.output
            .insert(name.to_owned(), value.map_or(Value::Null, Value::from));
        value
    }

    /// An integer in `min..=max` with a default.
    pub fn integer(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        match self.optional_integer(name, min, max) {
            Some(i) => i,
            None => {
                self.output.insert(name.to_owned(), Value::from(default));
                default
            }
        }
    }

    /// Stores `value` as the effective value of `name` (after a caller's own validation of a
    /// [`ConfigReader::raw`] field).
    pub fn put(&mut self, name: &str, value: Value) {
        self.output.insert(name.to_owned(), value);
    }

    /// Ends reading: unknown fields are errors; returns the effective config.
    pub fn finish(mut self) -> Result<Value, ConfigError> {
        let unknown: Vec<String> = self.input.keys().cloned().collect();
        for name in unknown {
            self.error(name, "unknown field");
        }
        if self.errors.is_empty() {
            Ok(Value::Object(self.output))
        } else {
            Err(ConfigError::Invalid(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_error_and_fills_defaults() {
        let mut r = ConfigReader::new(&json!({"a": 1, "b": "x", "zzz": 1})).unwrap();
        assert!(r.string("a", None).is_none());
        assert_eq!(r.string("b", None).as_deref(), Some("x"));
        assert!(r.required_string("c").is_none());
        assert!(r.boolean("d", true));
        let err = r.finish().unwrap_err();
        let ConfigError::Invalid(fields) = err else {
            panic!()
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["a", "c", "zzz"]);
    }

    #[test]
    fn url_must_be_http_with_host() {
        let mut r = ConfigReader::new(&json!({"u": "ftp:x", "v": "https://op.example"})).unwrap();
        assert!(r.url("u").is_none());
        assert!(r.url("v").is_some());
        assert!(r.finish().is_err());
        let mut r = ConfigReader::new(&json!({"b": "true"})).unwrap();
        assert!(r.boolean("b", false));
        assert_eq!(r.finish().unwrap(), json!({"b": true}));
    }
}
