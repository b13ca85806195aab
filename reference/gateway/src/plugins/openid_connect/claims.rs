//! Claims: paths into nested objects, values as Kong reads them, and the `*_required` rules
//! (`docs/kong.md#claims-based-authorization`).

use serde_json::{Map, Value};

use super::config::ClaimRule;

/// The value at `path` in `claims`.
pub fn lookup<'a>(claims: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = claims.get(first)?;
    for key in rest {
        value = value.as_object()?.get(key)?;
    }
    Some(value)
}

/// A claim's values: a space-separated string's words, an array's scalar elements, or a lone
/// scalar.
pub fn values(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether `claims` satisfy `rule`: some alternative has all of its values present.
pub fn satisfies(claims: &Map<String, Value>, rule: &ClaimRule) -> bool {
    let have = lookup(claims, &rule.claim).map(values).unwrap_or_default();
    rule.required
        .iter()
        .any(|all| all.iter().all(|needed| have.iter().any(|h| h == needed)))
}

/// The first rule `claims` do not satisfy.
pub fn first_unmet<'a>(
    claims: &Map<String, Value>,
    rules: &'a [ClaimRule],
) -> Option<&'a ClaimRule> {
    rules.iter().find(|rule| !satisfies(claims, rule))
}

/// A claim value as a header value: a string as is, a list joined with `, `, anything else as
/// JSON.
pub fn header_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|v| scalar(v).unwrap_or_else(|| v.to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        other => scalar(other).unwrap_or_else(|| other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(claim: &[&str], required: &[&str]) -> ClaimRule {
        ClaimRule {
            name: "scopes",
            claim: claim.iter().map(|s| (*s).to_owned()).collect(),
            required: required
                .iter()
                .map(|alt| alt.split_whitespace().map(str::to_owned).collect())
                .collect(),
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn spaces_are_and_elements_are_or() {
        let c = claims(json!({"scope": "openid profile email", "user": {"groups": ["employee"]}}));
        assert!(satisfies(&c, &rule(&["scope"], &["openid"])));
        assert!(satisfies(&c, &rule(&["scope"], &["openid email"])));
        assert!(!satisfies(&c, &rule(&["scope"], &["openid admin"])));
        assert!(satisfies(&c, &rule(&["scope"], &["admin", "email"])));
        assert!(!satisfies(&c, &rule(&["scope"], &["admin", "root"])));
        assert!(satisfies(&c, &rule(&["user", "groups"], &["employee"])));
        assert!(!satisfies(
            &c,
            &rule(&["user", "groups"], &["employee marketing"])
        ));
        assert!(!satisfies(&c, &rule(&["missing"], &["x"])));
        assert!(!satisfies(&c, &rule(&["scope", "deeper"], &["openid"])));
    }

    #[test]
    fn values_of_each_shape() {
        assert_eq!(values(&json!("a b")), vec!["a", "b"]);
        assert_eq!(
            values(&json!(["a b", 1, true, {"x": 1}])),
            vec!["a b", "1", "true"]
        );
        assert_eq!(values(&json!(7)), vec!["7"]);
        assert!(values(&json!(null)).is_empty());
        assert_eq!(header_value(&json!(["openid", "email"])), "openid, email");
        assert_eq!(header_value(&json!({"a": 1})), r#"{"a":1}"#);
    }
}
