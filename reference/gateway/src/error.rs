//! Admin API errors in Kong's format (`docs/kong.md#admin-api-error-format`).

use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::entities::FieldErrors;

/// A rejected Admin API call.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminError {
    /// 404 `{"message":"Not found"}`.
    NotFound,
    /// 404 with Kong's own message (`No plugin named 'x'`).
    NotFoundNamed(String),
    /// 400 code 2.
    Schema(FieldErrors),
    /// 400 code 3: an entity with this primary key exists.
    PrimaryKey(Uuid),
    /// 400 code 4: a reference to a missing entity.
    ForeignKey {
        /// Field holding the reference.
        field: &'static str,
        /// Referenced collection.
        collection: &'static str,
        /// The reference as Kong prints it, e.g. `{id="..."}`.
        reference: String,
    },
    /// 400 code 4 on delete: children still reference the entity.
    ForeignKeyInUse {
        /// Collection being deleted from.
        parent: &'static str,
        /// Collection still referencing it.
        child: &'static str,
    },
    /// 409 code 5.
    Unique {
        /// `UNIQUE violation detected on '...'`.
        message: String,
        /// Field messages.
        fields: Value,
    },
    /// 400 code 7.
    InvalidOffset {
        /// The offset as given.
        offset: String,
        /// Why it is not one this API issued, e.g. `bad base64 encoding`.
        reason: &'static str,
    },
    /// 400 code 9.
    InvalidSize,
    /// 400 code 14: a declarative config was refused.
    Declarative {
        /// Nested field errors.
        fields: Value,
        /// Kong's `flattened_errors`.
        flattened: Vec<Value>,
    },
    /// 400 for a body that cannot be parsed.
    BadBody(String),
    /// 413 for a body over the Admin API's size limit.
    TooLarge,
    /// 405.
    MethodNotAllowed,
}

impl AdminError {
    /// A unique violation on one field.
    pub fn unique(field: &str, value: &str) -> Self {
        AdminError::Unique {
            message: format!("UNIQUE violation detected on '{{{field}=\"{value}\"}}'"),
            fields: json!({ field: format!("already exists with value '{value}'") }),
        }
    }
}

/// Flattens `fields` into `path: message` strings (nested records joined with `.`).
pub fn flatten(fields: &Map<String, Value>, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in fields {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) => flatten(inner, &key, out),
            Value::String(s) if k == "@entity" && prefix.is_empty() => out.push(s.clone()),
            Value::Array(items) if k == "@entity" && prefix.is_empty() => out.extend(
                items
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned()),
            ),
            Value::String(s) => out.push(format!("{key}: {s}")),
            // Errors of array elements (Kong's 1-based positions; `null` where an element
            // was fine).
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{key}.{}", i + 1);
                    match item {
                        Value::Null => {}
                        Value::String(s) => out.push(format!("{at}: {s}")),
                        Value::Object(inner) => flatten(inner, &at, out),
                        other => out.push(format!("{at}: {other}")),
                    }
                }
            }
            other => out.push(format!("{key}: {other}")),
        }
    }
}

/// Kong's schema violation message for `fields`.
pub fn schema_message(fields: &Map<String, Value>) -> String {
    let mut parts = Vec::new();
    flatten(fields, "", &mut parts);
    if parts.len() == 1 {
        format!("schema violation ({})", parts[0])
    } else {
        format!("{} schema violations ({})", parts.len(), parts.join("; "))
    }
}

fn entity_errors_to_kong(fields: &FieldErrors) -> Value {
    let mut out = Map::new();
    for (k, v) in fields {
        if k == "@entity" && !v.is_array() {
            out.insert(k.clone(), json!([v]));
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            AdminError::NotFound => (StatusCode::NOT_FOUND, json!({"message": "Not found"})),
            AdminError::NotFoundNamed(message) => {
                (StatusCode::NOT_FOUND, json!({ "message": message }))
            }
            AdminError::Schema(fields) => (
                StatusCode::BAD_REQUEST,
                json!({"code": 2, "name": "schema violation", "message": schema_message(&fields),
                       "fields": entity_errors_to_kong(&fields)}),
            ),
            AdminError::PrimaryKey(id) => (
                StatusCode::BAD_REQUEST,
                json!({"code": 3, "name": "primary key violation",
                       "message": format!("primary key violation on key '{{id=\"{id}\"}}'"),
                       "fields": {"id": id}}),
            ),
            AdminError::ForeignKey {
                field,
                collection,
                reference,
            } => {
                let msg = format!(
                    "the foreign key '{reference}' does not reference an existing '{collection}' entity."
                );
                (
                    StatusCode::BAD_REQUEST,
                    json!({"code": 4, "name": "foreign key violation", "message": msg.clone(),
                           "fields": {field: msg}}),
                )
            }
            AdminError::ForeignKeyInUse { parent, child } => (
                StatusCode::BAD_REQUEST,
                json!({"code": 4, "name": "foreign key violation",
                       "message": format!("an existing '{child}' entity references this '{parent}' entity"),
                       "fields": {"@referenced_by": child}}),
            ),
            AdminError::Unique { message, fields } => (
                StatusCode::CONFLICT,
                json!({"code": 5, "name": "unique constraint violation", "message": message, "fields": fields}),
            ),
            AdminError::InvalidOffset { offset, reason } => (
                StatusCode::BAD_REQUEST,
                json!({"code": 7, "name": "invalid offset",
                       "message": format!("'{offset}' is not a valid offset: {reason}")}),
            ),
            AdminError::InvalidSize => (
                StatusCode::BAD_REQUEST,
                json!({"code": 9, "name": "invalid size",
                       "message": "size must be an integer between 1 and 1000"}),
            ),
            AdminError::Declarative { fields, flattened } => {
                let mut parts = Vec::new();
                if let Value::Object(map) = &fields {
                    flatten(map, "", &mut parts);
                }
                (
                    StatusCode::BAD_REQUEST,
                    json!({"code": 14, "name": "invalid declarative configuration",
                           "message": format!("declarative config is invalid: {}", parts.join("; ")),
                           "fields": fields, "flattened_errors": flattened}),
                )
            }
            AdminError::BadBody(msg) => (StatusCode::BAD_REQUEST, json!({"message": msg})),
            AdminError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"message": "Payload too large"}),
            ),
            AdminError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"message": "Method not allowed"}),
            ),
        };
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_kong() {
        let mut f = Map::new();
        f.insert("host".into(), json!("required field missing"));
        assert_eq!(
            schema_message(&f),
            "schema violation (host: required field missing)"
        );
        f.insert("config".into(), json!({"oxd_id": "required field missing"}));
        assert_eq!(
            schema_message(&f),
            "2 schema violations (host: required field missing; config.oxd_id: required field missing)"
        );
    }
}
