//! Validation messages (GG's, exact) and gatecheck's extra rejections with their pointers.

use serde_json::{json, Value};

use super::messages::*;
use crate::Expression;

fn error(document: Value) -> (String, Option<String>) {
    let e = Expression::from_value(&document).expect_err("document should be rejected");
    (e.message, e.pointer)
}

fn rule(path: &str, methods: Value) -> Value {
    json!({"path": path, "conditions": [{"httpMethods": methods}]})
}

#[test]
fn null_is_no_expression() {
    let e = Expression::from_value(&Value::Null).unwrap();
    assert!(e.is_empty());
    assert!(e.find("GET", "/").is_none());
}

#[test]
fn gg_messages_verbatim() {
    assert_eq!(error(json!([])).0, "Empty expression not allowed");
    assert_eq!(error(json!({"path": "/x"})).0, EMPTY_EXPRESSION);
    assert_eq!(
        error(json!([{"conditions": []}])).0,
        "Path is missing or empty in expression"
    );
    assert_eq!(error(json!([rule("", json!(["GET"]))])).0, PATH_MISSING);
    assert_eq!(error(json!(["not an item"])).0, PATH_MISSING);
    assert_eq!(
        error(json!([rule("/a/??/b/??", json!(["GET"]))])).0,
        "Multiple ?? patterns in path are not supported"
    );
    assert_eq!(
        error(json!([
            rule("/a", json!(["GET"])),
            rule("/a", json!(["POST"]))
        ])),
        (
            "Duplicate path in expression".into(),
            Some("/1/path".into())
        )
    );
    assert_eq!(
        error(json!([{"path": "/a"}])),
        (
            "Conditions are missing in expression".into(),
            Some("/0/conditions".into())
        )
    );
    assert_eq!(
        error(json!([{"path": "/a", "conditions": []}])).0,
        CONDITIONS_MISSING
    );
    assert_eq!(
        error(json!([{"path": "/a", "conditions": [{"httpMethods": []}]}])),
        (
            "HTTP Methods are missing or empty from condition in expression".into(),
            Some("/0/conditions/0/httpMethods".into())
        )
    );
    assert_eq!(
        error(json!([{"path": "/a", "conditions": [{}]}])).0,
        METHODS_MISSING
    );
    assert_eq!(
        error(json!([{"path": "/a", "conditions": [
            {"httpMethods": ["GET", "POST"]}, {"httpMethods": ["POST"]}
        ]}])),
        (
            "Duplicate http method from conditions in expression".into(),
            Some("/0/conditions/1/httpMethods/0".into())
        )
    );
}

#[test]
fn duplicate_methods_use_set_semantics() {
    // GG merged by array index and accepted this; gatecheck does not
    // (docs/differences.md#duplicate-methods-as-a-set).
    let doc = json!([{"path": "/a", "conditions": [
        {"httpMethods": ["GET", "POST"]}, {"httpMethods": ["PUT"]}, {"httpMethods": ["GET"]}
    ]}]);
    assert_eq!(error(doc).0, DUPLICATE_METHOD);
    // The same method twice in one condition, or on different paths, is fine (as in GG).
    Expression::from_value(&json!([
        rule("/a", json!(["GET", "GET"])),
        rule("/b", json!(["GET"]))
    ]))
    .unwrap();
}

#[test]
fn gg_accepts_what_it_accepts() {
    // Only `/??` occurrences count.
    Expression::from_value(&json!([rule("/posts??/x/??", json!(["GET"]))])).unwrap();
    // No scope_expression: accepted (then no scope decision).
    let e = Expression::from_value(&json!([rule("/a", json!(["GET"]))])).unwrap();
    assert!(e
        .find("GET", "/a")
        .unwrap()
        .condition
        .scope_expression()
        .is_none());
    // Unknown condition keys are kept (UMA's ticketScopes).
    let e = Expression::from_value(&json!([{"path": "/a", "conditions": [
        {"httpMethods": ["GET"], "ticketScopes": ["read"]}
    ]}]))
    .unwrap();
    assert_eq!(
        e.find("GET", "/a").unwrap().condition.field("ticketScopes"),
        Some(&json!(["read"]))
    );
}

#[test]
fn first_failure_wins_in_item_order() {
    let doc = json!([
        rule("/ok", json!(["GET"])),
        {"path": "/a/{(}", "conditions": [{"httpMethods": ["GET"]}]},
        rule("/ok", json!(["GET"])),
    ]);
    let (message, pointer) = error(doc);
    assert!(message.starts_with("Invalid segment regex"), "{message}");
    assert_eq!(pointer.as_deref(), Some("/1/path"));
    // Within an item GG's checks come first.
    let doc = json!([{"path": "a/??/??", "conditions": []}]);
    assert_eq!(error(doc).0, MULTIPLE_MULTI_WILDCARDS);
}

#[test]
fn invalid_json_names_the_error() {
    let e = Expression::parse("[{\"path\": \"/a\",}]").unwrap_err();
    assert!(
        e.message.starts_with("Invalid JSON in expression:"),
        "{}",
        e.message
    );
    assert!(e.message.contains("line 1"), "{}", e.message);
    assert_eq!(e.pointer.as_deref(), Some(""));
    assert!(Expression::parse("").is_err());
}

#[test]
fn extra_rejections_name_the_offending_item() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!("x"), "must be a JSON array", ""),
        (
            json!([rule("transactions/?", json!(["GET"]))]),
            "must start with \"/\"",
            "/0/path",
        ),
        (
            json!([rule("/a", json!(["??"]))]),
            "\"??\" is not supported",
            "/0/conditions/0/httpMethods/0",
        ),
        (
            json!([rule("/a", json!(["GET", "{G.*}"]))]),
            "regex methods are not supported",
            "/0/conditions/0/httpMethods/1",
        ),
        (
            json!([rule("/a", json!([1]))]),
            "non-empty string",
            "/0/conditions/0/httpMethods/0",
        ),
        (
            json!([rule("/a", json!([""]))]),
            "non-empty string",
            "/0/conditions/0/httpMethods/0",
        ),
        (
            json!([rule("/a/{[}", json!(["GET"]))]),
            "Invalid segment regex \"{[}\"",
            "/0/path",
        ),
        (
            json!([rule("/a/{(x)\\1}", json!(["GET"]))]),
            "back-reference, which is not supported",
            "/0/path",
        ),
        (
            json!([rule("/a/{a(?=b)}", json!(["GET"]))]),
            "look-around",
            "/0/path",
        ),
        (
            json!([{"path": "/a", "conditions": [{"httpMethods": ["GET"],
                "scope_expression": {"rule": {"and": [{"var": -1}]}, "data": ["x"]}}]}]),
            "non-negative integer",
            "/0/conditions/0/scope_expression/rule/and/0/var",
        ),
        (
            json!([{"path": "/a", "conditions": [{"httpMethods": ["GET"],
                "scope_expression": {"rule": {"in": ["x", {"var": 0}]}, "data": ["x"]}}]}]),
            "Unsupported JSON-logic operator \"in\"",
            "/0/conditions/0/scope_expression/rule/in",
        ),
        (
            json!([{"path": "/a", "conditions": [{"httpMethods": ["GET"],
                "scope_expression": {"rule": {"var": 0}, "data": ["^(?<PC1>a"]}}]}]),
            "Invalid scope regex",
            "/0/conditions/0/scope_expression/data/0",
        ),
        (
            json!([{"path": "/a", "conditions": [{"httpMethods": ["GET"], "required_acrs": []}]}]),
            "required_acrs must be a non-empty array",
            "/0/conditions/0/required_acrs",
        ),
        (
            json!([{"path": "/a", "conditions": [{"httpMethods": ["GET"], "required_acrs": ["otp", 3]}]}]),
            "required_acrs entries",
            "/0/conditions/0/required_acrs/1",
        ),
        (
            json!([{"path": "/a", "conditions": [{"httpMethods": ["GET"], "no_auth": "yes"}]}]),
            "no_auth must be true or false",
            "/0/conditions/0/no_auth",
        ),
    ];
    for (doc, message, pointer) in cases {
        let (got, at) = error(doc.clone());
        assert!(got.contains(message), "{doc}: {got}");
        assert_eq!(at.as_deref(), Some(pointer), "{doc}: {got}");
    }
}

#[test]
fn pointer_escapes_keys() {
    let doc = json!([{"path": "/a", "conditions": [{"httpMethods": ["GET"],
        "scope_expression": {"rule": {"a/b": []}, "data": []}}]}]);
    assert_eq!(
        error(doc).1.as_deref(),
        Some("/0/conditions/0/scope_expression/rule/a~1b")
    );
}
