//! Kong-style schemas: the one description of a plugin's `config` or of an entity's fields, from
//! which both validation (with Kong's messages, `docs/kong.md#admin-api-error-format`) and the
//! Admin API's `GET /schemas/...` answers (Kong's JSON format) are derived, so the two cannot
//! disagree.
//!
//! A schema is built once (usually in a `LazyLock`) from [`Field`] constructors:
//!
//! ```
//! use gatecheck_gateway::schema::{Check, Field, Record};
//! let config = Record::new()
//!     .field("allow", Field::array(Field::string()))
//!     .field("deny", Field::array(Field::string()))
//!     .field("hide_groups_header", Field::boolean().default(false))
//!     .check(Check::only_one_of(&["allow", "deny"]));
//! let effective = config.validate(&serde_json::json!({"deny": ["openid"]}), false).unwrap();
//! assert_eq!(effective["hide_groups_header"], false);
//! assert_eq!(effective["allow"], serde_json::Value::Null);
//! ```
//!
//! [`Record::validate`] returns the effective value: every declared field present, absent ones
//! with their default (or `null`), so the Admin API shows what is enforced. Every problem is
//! reported (not only the first), each under the field it concerns; checks that concern several
//! fields report under `@entity`, as Kong does.

use serde_json::{Map, Value};

mod json;
mod validate;

pub use validate::{ConfigError, FieldError};

/// A custom check of one value; the error is the message shown for the field.
pub type Validator = fn(&Value) -> Result<(), String>;

/// A custom check of a whole record (all its fields already validated); the error is reported
/// on the record itself (Kong's `custom_validator` on a record).
pub type RecordValidator = fn(&Map<String, Value>) -> Result<(), String>;

/// A field's type, as Kong names it.
#[derive(Debug, Clone)]
pub enum Type {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `integer`.
    Integer,
    /// `number`.
    Number,
    /// `array` of elements.
    Array(Box<Field>),
    /// `set`: an array whose duplicates are dropped.
    Set(Box<Field>),
    /// `map` from keys to values.
    Map(Box<Field>, Box<Field>),
    /// `record` with named fields.
    Record(Record),
    /// `foreign`: a reference `{"id": ...}` to an entity of the named collection.
    Foreign {
        /// The referenced collection, e.g. `consumers`.
        reference: &'static str,
        /// Whether deleting the referenced entity deletes this one (`on_delete = "cascade"`).
        cascade: bool,
    },
    /// `json`: any JSON value, checked by the field's validator only.
    Json,
}

impl Type {
    fn kong_name(&self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Boolean => "boolean",
            Type::Integer => "integer",
            Type::Number => "number",
            Type::Array(_) => "array",
            Type::Set(_) => "set",
            Type::Map(..) => "map",
            Type::Record(_) => "record",
            Type::Foreign { .. } => "foreign",
            Type::Json => "json",
        }
    }
}

/// One field: its type and constraints.
#[derive(Debug, Clone)]
pub struct Field {
    pub(crate) ty: Type,
    pub(crate) required: bool,
    pub(crate) default: Option<Value>,
    pub(crate) one_of: Option<Vec<Value>>,
    pub(crate) between: Option<(i64, i64)>,
    pub(crate) len_min: Option<usize>,
    pub(crate) starts_with: Option<&'static str>,
    pub(crate) uuid: bool,
    pub(crate) auto: bool,
    pub(crate) unique: bool,
    pub(crate) eq_null: bool,
    pub(crate) comma_separated: bool,
    pub(crate) description: Option<&'static str>,
    pub(crate) validator: Option<Validator>,
}

impl Field {
    fn of(ty: Type) -> Field {
        Field {
            ty,
            required: false,
            default: None,
            one_of: None,
            between: None,
            len_min: None,
            starts_with: None,
            uuid: false,
            auto: false,
            unique: false,
            eq_null: false,
            comma_separated: false,
            description: None,
            validator: None,
        }
    }

    /// A string.
    pub fn string() -> Field {
        Field::of(Type::String)
    }

    /// A boolean (`"true"`/`"false"` strings from form bodies are accepted).
    pub fn boolean() -> Field {
        Field::of(Type::Boolean)
    }

    /// An integer.
    pub fn integer() -> Field {
        Field::of(Type::Integer)
    }

    /// A number (integer or decimal).
    pub fn number() -> Field {
        Field::of(Type::Number)
    }

    /// An array of `element`s.
    pub fn array(element: Field) -> Field {
        Field::of(Type::Array(Box::new(element)))
    }

    /// A set of `element`s (duplicates dropped, first occurrence kept).
    pub fn set(element: Field) -> Field {
        Field::of(Type::Set(Box::new(element)))
    }

    /// A map from `keys` to `values`.
    pub fn map(keys: Field, values: Field) -> Field {
        Field::of(Type::Map(Box::new(keys), Box::new(values)))
    }

    /// A record.
    pub fn record(record: Record) -> Field {
        Field::of(Type::Record(record))
    }

    /// A foreign key to `reference` (a collection name such as `consumers`).
    pub fn foreign(reference: &'static str) -> Field {
        Field::of(Type::Foreign {
            reference,
            cascade: false,
        })
    }

    /// Any JSON value (check it with [`Field::validator`]).
    pub fn json() -> Field {
        Field::of(Type::Json)
    }

    /// A UUID string (Kong's `typedefs.uuid`).
    pub fn uuid() -> Field {
        let mut f = Field::string();
        f.uuid = true;
        f
    }

    /// Must be present (after defaults).
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    /// The value used when the field is absent or `null`; makes the field required, as in
    /// Kong's schemas (`required = true, default = ...`).
    pub fn default(mut self, value: impl Into<Value>) -> Field {
        self.default = Some(value.into());
        self.required = true;
        self
    }

    /// A default that leaves the field optional (an explicit `null` stays accepted).
    pub fn optional_default(mut self, value: impl Into<Value>) -> Field {
        self.default = Some(value.into());
        self
    }

    /// The value must be one of `choices`.
    pub fn one_of<V: Into<Value> + Clone>(mut self, choices: &[V]) -> Field {
        self.one_of = Some(choices.iter().cloned().map(Into::into).collect());
        self
    }

    /// An integer or number within `min..=max`.
    pub fn between(mut self, min: i64, max: i64) -> Field {
        self.between = Some((min, max));
        self
    }

    /// A string (or array) at least `n` long.
    pub fn len_min(mut self, n: usize) -> Field {
        self.len_min = Some(n);
        self
    }

    /// A string that must start with `prefix`.
    pub fn starts_with(mut self, prefix: &'static str) -> Field {
        self.starts_with = Some(prefix);
        self
    }

    /// Generated when absent (entities: ids, keys, secrets).
    pub fn auto(mut self) -> Field {
        self.auto = true;
        self
    }

    /// Unique among the entities of its collection.
    pub fn unique(mut self) -> Field {
        self.unique = true;
        self
    }

    /// Deleting the referenced entity deletes this one (foreign keys).
    pub fn cascade(mut self) -> Field {
        if let Type::Foreign { cascade, .. } = &mut self.ty {
            *cascade = true;
        }
        self
    }

    /// Must be `null` (Kong's `typedefs.no_consumer`: the plugin cannot be scoped to one).
    pub fn must_be_null(mut self) -> Field {
        self.eq_null = true;
        self
    }

    /// An array that may also be given as one comma-separated string (`"openid, email"`).
    pub fn comma_separated(mut self) -> Field {
        self.comma_separated = true;
        self
    }

    /// What the field means (shown by the Admin GUI).
    pub fn description(mut self, text: &'static str) -> Field {
        self.description = Some(text);
        self
    }

    /// A custom check run after the type and constraint checks.
    pub fn validator(mut self, check: Validator) -> Field {
        self.validator = Some(check);
        self
    }

    /// The type.
    pub fn ty(&self) -> &Type {
        &self.ty
    }

    /// The default, if any.
    pub fn default_value(&self) -> Option<&Value> {
        self.default.as_ref()
    }

    /// Whether the field is generated when absent.
    pub fn is_auto(&self) -> bool {
        self.auto
    }

    /// Whether the field is unique in its collection.
    pub fn is_unique(&self) -> bool {
        self.unique
    }

    /// Whether the field is required.
    pub fn is_required(&self) -> bool {
        self.required
    }
}

/// A check over several fields of a record (Kong's `entity_checks`).
#[derive(Debug, Clone)]
pub enum Check {
    /// At most one of the fields is non-empty.
    OnlyOneOf(Vec<&'static str>),
    /// At least one of the fields is non-empty.
    AtLeastOneOf(Vec<&'static str>),
    /// When `if_field` equals `if_value`, `then_field` must be non-empty.
    Conditional {
        /// The field whose value triggers the check.
        if_field: &'static str,
        /// The triggering value.
        if_value: Value,
        /// The field then required.
        then_field: &'static str,
    },
    /// A check of the whole record, reported on the record itself.
    Custom(RecordValidator),
    /// A check of the whole record whose failure is the named field's fault (e.g. a field
    /// required only when another one holds some value), reported on that field.
    CustomOn(&'static str, RecordValidator),
}

impl Check {
    /// [`Check::OnlyOneOf`].
    pub fn only_one_of(fields: &[&'static str]) -> Check {
        Check::OnlyOneOf(fields.to_vec())
    }

    /// [`Check::AtLeastOneOf`].
    pub fn at_least_one_of(fields: &[&'static str]) -> Check {
        Check::AtLeastOneOf(fields.to_vec())
    }

    /// [`Check::CustomOn`]: `check` over the whole record, its error reported on `field`.
    pub fn custom_on(field: &'static str, check: RecordValidator) -> Check {
        Check::CustomOn(field, check)
    }

    /// [`Check::Conditional`] with a required `then_field`.
    pub fn required_if(
        if_field: &'static str,
        if_value: impl Into<Value>,
        then_field: &'static str,
    ) -> Check {
        Check::Conditional {
            if_field,
            if_value: if_value.into(),
            then_field,
        }
    }
}

/// A record: named fields in declaration order, and the checks over them.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub(crate) fields: Vec<(&'static str, Field)>,
    pub(crate) checks: Vec<Check>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// Adds a field.
    pub fn field(mut self, name: &'static str, field: Field) -> Record {
        self.fields.push((name, field));
        self
    }

    /// Adds a check.
    pub fn check(mut self, check: Check) -> Record {
        self.checks.push(check);
        self
    }

    /// The fields in declaration order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &Field)> {
        self.fields.iter().map(|(n, f)| (*n, f))
    }

    /// The field `name`.
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, f)| f)
    }

    /// Validates `input` (absent/`null` = empty object) and returns the effective record.
    /// `lenient`: the input came from a form body, so numbers may be strings and a single value
    /// stands for a one-element array.
    pub fn validate(&self, input: &Value, lenient: bool) -> Result<Value, ConfigError> {
        let mut errors = Vec::new();
        let out = validate::record(self, "", input, lenient, &mut errors);
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(ConfigError::Invalid(errors))
        }
    }

    /// Kong's JSON of this record's fields: `[{"name": {...}}, ...]`.
    pub fn kong_fields(&self) -> Value {
        json::fields(self)
    }
}

/// A plugin's schema: its `config` record, whether it may be scoped to a consumer, and checks
/// over the whole plugin entity (whose field names start with `config.`).
#[derive(Debug, Clone)]
pub struct PluginSchema {
    /// The `config` record.
    pub config: Record,
    /// Whether the plugin may be scoped to a consumer (Kong: not `typedefs.no_consumer`).
    pub consumer_scope: bool,
    /// Checks over the plugin entity, e.g. `only_one_of config.allow, config.deny`.
    pub checks: Vec<Check>,
}

impl PluginSchema {
    /// A plugin that cannot be scoped to a consumer (every authentication plugin).
    pub fn new(config: Record) -> PluginSchema {
        PluginSchema {
            config,
            consumer_scope: false,
            checks: Vec::new(),
        }
    }

    /// Allows consumer-scoped instances (`/consumers/{c}/plugins`).
    pub fn consumer_scoped(mut self) -> PluginSchema {
        self.consumer_scope = true;
        self
    }

    /// Adds a check over the plugin entity (field names `config.x`).
    pub fn check(mut self, check: Check) -> PluginSchema {
        self.checks.push(check);
        self
    }

    /// Validates a plugin's `config` and returns the effective config; errors name fields
    /// relative to `config` (entity checks under `@entity`).
    pub fn validate(&self, config: &Value, lenient: bool) -> Result<Value, ConfigError> {
        let mut errors = Vec::new();
        let out = validate::record(&self.config, "", config, lenient, &mut errors);
        let mut entity = Map::new();
        entity.insert("config".into(), out);
        validate::checks(&self.checks, "", &entity, &mut errors);
        let Some(out) = entity.remove("config") else {
            return Err(ConfigError::Invalid(errors));
        };
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(ConfigError::Invalid(errors))
        }
    }

    /// Validates and deserializes the effective config into the plugin's own type.
    pub fn parse<T: serde::de::DeserializeOwned>(
        &self,
        config: &Value,
    ) -> Result<(Value, T), ConfigError> {
        let effective = self.validate(config, false)?;
        let typed = serde_json::from_value(effective.clone()).map_err(|e| {
            ConfigError::field("@entity", format!("configuration not understood: {e}"))
        })?;
        Ok((effective, typed))
    }

    /// `GET /schemas/plugins/{name}` in Kong's format.
    pub fn kong_json(&self) -> Value {
        json::plugin(self)
    }
}

#[cfg(test)]
mod tests;
