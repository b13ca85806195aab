//! Document validation: Gluu Gateway's checks with its exact messages (`check_expression` in
//! `kong-common.lua`), first failure wins, items in order; then, per item, gatecheck's extra
//! rejections (each naming the offending item with a JSON pointer). Validation also compiles
//! every regex and rule, so a document that passes cannot fail at request time.

use serde_json::{Map, Value};

use crate::pattern::Patterns;
use crate::pointer::child;
use crate::scope::ScopeExpression;
use crate::tree::Segment;
use crate::{Condition, ValidationError};

/// GG's messages, verbatim.
pub mod messages {
    /// `[]`, or any JSON object.
    pub const EMPTY_EXPRESSION: &str = "Empty expression not allowed";
    /// An item without a non-empty `path`.
    pub const PATH_MISSING: &str = "Path is missing or empty in expression";
    /// A path containing `/??` more than once.
    pub const MULTIPLE_MULTI_WILDCARDS: &str = "Multiple ?? patterns in path are not supported";
    /// The same path string in two items.
    pub const DUPLICATE_PATH: &str = "Duplicate path in expression";
    /// An item without conditions.
    pub const CONDITIONS_MISSING: &str = "Conditions are missing in expression";
    /// A condition without methods.
    pub const METHODS_MISSING: &str =
        "HTTP Methods are missing or empty from condition in expression";
    /// A method already used by an earlier condition of the same path.
    pub const DUPLICATE_METHOD: &str = "Duplicate http method from conditions in expression";
}

/// One validated `{path, conditions}` item.
#[derive(Debug, Clone)]
pub(crate) struct PathItem {
    pub(crate) path: String,
    pub(crate) segments: Vec<Segment>,
    pub(crate) conditions: Vec<Condition>,
}

fn fail<T>(message: impl Into<String>, pointer: impl Into<String>) -> Result<T, ValidationError> {
    Err(ValidationError {
        message: message.into(),
        pointer: Some(pointer.into()),
    })
}

/// Validates and compiles a decoded document. `null` is "no expression" (no rules).
pub(crate) fn validate(document: &Value) -> Result<Vec<PathItem>, ValidationError> {
    let items = match document {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) if !items.is_empty() => items,
        Value::Array(_) | Value::Object(_) => return fail(messages::EMPTY_EXPRESSION, ""),
        other => {
            return fail(
                format!("Expression must be a JSON array of {{\"path\", \"conditions\"}} items, found {other}"),
                "",
            )
        }
    };
    let empty = Map::new();
    let mut patterns = Patterns::default();
    let mut seen_paths: Vec<&str> = Vec::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let at = child("", k);
        let fields = item.as_object().unwrap_or(&empty);
        let path = gg_item_checks(fields, &at, &mut seen_paths)?;
        out.push(extra_item_checks(fields, path, &at, &mut patterns)?);
    }
    Ok(out)
}

/// GG's checks for one item, in GG's order; returns the path.
fn gg_item_checks<'d>(
    fields: &'d Map<String, Value>,
    at: &str,
    seen_paths: &mut Vec<&'d str>,
) -> Result<&'d str, ValidationError> {
    let path = match fields.get("path") {
        Some(Value::String(p)) if !p.is_empty() => p.as_str(),
        _ => return fail(messages::PATH_MISSING, child(at, "path")),
    };
    if path.matches("/??").count() > 1 {
        return fail(messages::MULTIPLE_MULTI_WILDCARDS, child(at, "path"));
    }
    if seen_paths.contains(&path) {
        return fail(messages::DUPLICATE_PATH, child(at, "path"));
    }
    seen_paths.push(path);
    let conditions = match fields.get("conditions") {
        Some(Value::Array(c)) if !c.is_empty() => c,
        _ => return fail(messages::CONDITIONS_MISSING, child(at, "conditions")),
    };
    // Set semantics across the conditions of one path (GG merged by array index:
    // docs/differences.md#duplicate-methods-as-a-set);
    // the same method twice inside one condition is accepted, as in GG.
    let mut seen_methods: Vec<&Value> = Vec::new();
    for (i, condition) in conditions.iter().enumerate() {
        let at = child(&child(at, "conditions"), i);
        let methods = match condition.get("httpMethods") {
            Some(Value::Array(m)) if !m.is_empty() => m,
            _ => return fail(messages::METHODS_MISSING, child(&at, "httpMethods")),
        };
        for (j, method) in methods.iter().enumerate() {
            if seen_methods.contains(&method) {
                return fail(
                    messages::DUPLICATE_METHOD,
                    child(&child(&at, "httpMethods"), j),
                );
            }
        }
        seen_methods.extend(methods.iter());
    }
    Ok(path)
}

/// gatecheck's rejections beyond GG for an item that passed GG's checks; compiles it.
fn extra_item_checks(
    fields: &Map<String, Value>,
    path: &str,
    at: &str,
    patterns: &mut Patterns,
) -> Result<PathItem, ValidationError> {
    let path_at = child(at, "path");
    let Some(rest) = path.strip_prefix('/') else {
        return fail(
            format!("Path \"{path}\" must start with \"/\" (otherwise it can never match)"),
            path_at,
        );
    };
    let mut segments = Vec::new();
    for segment in rest.split('/') {
        segments.push(
            parse_segment(segment, patterns).map_err(|message| ValidationError {
                message: format!("{message} in path \"{path}\""),
                pointer: Some(path_at.clone()),
            })?,
        );
    }
    let mut conditions = Vec::new();
    if let Some(Value::Array(items)) = fields.get("conditions") {
        for (i, condition) in items.iter().enumerate() {
            let at = child(&child(at, "conditions"), i);
            conditions.push(compile_condition(condition, &at, patterns)?);
        }
    }
    Ok(PathItem {
        path: path.to_owned(),
        segments,
        conditions,
    })
}

fn parse_segment(segment: &str, patterns: &mut Patterns) -> Result<Segment, String> {
    Ok(match segment {
        "?" => Segment::One,
        "??" => Segment::Multi,
        _ => match regex_of(segment) {
            Some(source) => Segment::Regex(
                patterns
                    .compile(source)
                    .map_err(|e| format!("Invalid segment regex \"{{{source}}}\": {e}"))?,
            ),
            None => Segment::Literal(segment.into()),
        },
    })
}

/// `{regex}` → `regex` (GG's `^{(.+)}$`).
fn regex_of(segment: &str) -> Option<&str> {
    segment
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .filter(|s| !s.is_empty())
}

fn compile_condition(
    condition: &Value,
    at: &str,
    patterns: &mut Patterns,
) -> Result<Condition, ValidationError> {
    let empty = Map::new();
    let fields = condition.as_object().unwrap_or(&empty);
    let methods_at = child(at, "httpMethods");
    let mut http_methods = Vec::new();
    if let Some(Value::Array(methods)) = fields.get("httpMethods") {
        for (j, method) in methods.iter().enumerate() {
            let method_at = child(&methods_at, j);
            let method = match method {
                Value::String(m) if !m.is_empty() => m.as_str(),
                other => {
                    return fail(
                        format!("HTTP method must be a non-empty string, found {other}"),
                        method_at,
                    )
                }
            };
            if method == "??" {
                return fail(
                    "HTTP method \"??\" is not supported (use \"?\" for any method)",
                    method_at,
                );
            }
            if regex_of(method).is_some() {
                return fail(
                    format!("HTTP method \"{method}\": regex methods are not supported (use an exact method or \"?\")"),
                    method_at,
                );
            }
            if !http_methods.iter().any(|m| m == method) {
                http_methods.push(method.to_owned());
            }
        }
    }
    let scope_expression = match fields.get("scope_expression") {
        None | Some(Value::Null) => None,
        Some(value) => Some(ScopeExpression::compile_with(
            value,
            &child(at, "scope_expression"),
            patterns,
        )?),
    };
    let required_acrs = match fields.get("required_acrs") {
        None | Some(Value::Null) => None,
        Some(Value::Array(acrs)) if !acrs.is_empty() => {
            let mut out = Vec::with_capacity(acrs.len());
            for (j, acr) in acrs.iter().enumerate() {
                match acr {
                    Value::String(acr) if !acr.is_empty() => out.push(acr.clone()),
                    other => {
                        return fail(
                            format!(
                                "required_acrs entries must be non-empty strings, found {other}"
                            ),
                            child(&child(at, "required_acrs"), j),
                        )
                    }
                }
            }
            Some(out)
        }
        Some(other) => {
            return fail(
                format!("required_acrs must be a non-empty array of ACR values, found {other}"),
                child(at, "required_acrs"),
            )
        }
    };
    let no_auth = match fields.get("no_auth") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return fail(
                format!("no_auth must be true or false, found {other}"),
                child(at, "no_auth"),
            )
        }
    };
    Ok(Condition {
        // Set when the expression is assembled (the item's path).
        path: Box::default(),
        http_methods,
        scope_expression,
        required_acrs,
        no_auth,
        fields: fields.clone(),
    })
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
