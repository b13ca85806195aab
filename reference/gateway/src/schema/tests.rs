use serde_json::{json, Value};

use super::*;

fn fields_of(e: ConfigError) -> Vec<(String, String)> {
    e.errors()
        .iter()
        .map(|f| (f.field.clone(), f.message.clone()))
        .collect()
}

fn acl_like() -> PluginSchema {
    PluginSchema::new(
        Record::new()
            .field("allow", Field::array(Field::string()))
            .field("deny", Field::array(Field::string()))
            .field("hide", Field::boolean().default(false)),
    )
    .check(Check::only_one_of(&["config.allow", "config.deny"]))
    .check(Check::at_least_one_of(&["config.allow", "config.deny"]))
}

#[test]
fn effective_config_lists_every_field_with_defaults_or_null() {
    let out = acl_like().validate(&json!({"deny": ["a"]}), false).unwrap();
    assert_eq!(out, json!({"allow": null, "deny": ["a"], "hide": false}));
}

#[test]
fn entity_checks_report_under_entity_with_kong_messages() {
    let err = acl_like()
        .validate(&json!({"allow": ["a"], "deny": ["b"]}), false)
        .unwrap_err();
    assert_eq!(
        fields_of(err),
        [(
            "@entity".to_owned(),
            "only one of these fields must be non-empty: 'config.allow', 'config.deny'".to_owned()
        )]
    );
    let err = acl_like()
        .validate(&json!({"allow": []}), false)
        .unwrap_err();
    assert_eq!(
        fields_of(err)[0].1,
        "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"
    );
}

#[test]
fn every_field_error_is_reported() {
    let schema = Record::new()
        .field("a", Field::string().required())
        .field("b", Field::integer().between(1, 10))
        .field("c", Field::string().one_of(&["x", "y"]))
        .field("d", Field::array(Field::string()));
    let err = schema
        .validate(&json!({"b": 11, "c": "z", "d": ["ok", 3], "e": 1}), false)
        .unwrap_err();
    assert_eq!(
        fields_of(err),
        [
            ("a".into(), "required field missing".into()),
            ("b".into(), "value should be between 1 and 10".into()),
            ("c".into(), "expected one of: x, y".into()),
            ("d.2".into(), "expected a string".into()),
            ("e".into(), "unknown field".into()),
        ]
    );
}

#[test]
fn types_are_checked() {
    let schema = Record::new()
        .field("s", Field::string())
        .field("b", Field::boolean())
        .field("i", Field::integer())
        .field("n", Field::number())
        .field("r", Field::record(Record::new()))
        .field("m", Field::map(Field::string(), Field::integer()));
    let err = schema
        .validate(
            &json!({"s": 1, "b": "yes", "i": 1.5, "n": "1", "r": [], "m": {"k": "v"}}),
            false,
        )
        .unwrap_err();
    assert_eq!(
        fields_of(err),
        [
            ("s".into(), "expected a string".into()),
            ("b".into(), "expected a boolean".into()),
            ("i".into(), "expected an integer".into()),
            ("n".into(), "expected a number".into()),
            ("r".into(), "expected a record".into()),
            ("m.k".into(), "expected an integer".into()),
        ]
    );
    assert!(schema.validate(&json!([1]), false).is_err());
}

#[test]
fn form_values_are_coerced_only_when_lenient() {
    let schema = Record::new()
        .field("i", Field::integer())
        .field("n", Field::number())
        .field("b", Field::boolean())
        .field("a", Field::array(Field::string()));
    let input = json!({"i": "5", "n": "2.5", "b": "true", "a": "one"});
    assert_eq!(
        schema.validate(&input, true).unwrap(),
        json!({"i": 5, "n": 2.5, "b": true, "a": ["one"]})
    );
    assert!(schema.validate(&input, false).is_err());
}

#[test]
fn nested_records_fill_defaults_and_name_paths() {
    let schema = Record::new().field(
        "redis",
        Field::record(
            Record::new()
                .field("host", Field::string().required())
                .field("port", Field::integer().default(6379)),
        )
        .required(),
    );
    let err = schema.validate(&json!({}), false).unwrap_err();
    assert_eq!(
        fields_of(err),
        [("redis.host".into(), "required field missing".into())]
    );
    let out = schema
        .validate(&json!({"redis": {"host": "h"}}), false)
        .unwrap();
    assert_eq!(out, json!({"redis": {"host": "h", "port": 6379}}));
}

#[test]
fn sets_drop_duplicates_and_validators_run_last() {
    fn no_spaces(v: &Value) -> Result<(), String> {
        match v.as_str() {
            Some(s) if s.contains(' ') => Err(format!("'{s}' contains a space")),
            _ => Ok(()),
        }
    }
    let schema = Record::new().field(
        "s",
        Field::set(Field::string().validator(no_spaces)).default(json!([])),
    );
    assert_eq!(
        schema
            .validate(&json!({"s": ["a", "a", "b"]}), false)
            .unwrap(),
        json!({"s": ["a", "b"]})
    );
    let err = schema.validate(&json!({"s": ["a b"]}), false).unwrap_err();
    assert_eq!(
        fields_of(err),
        [("s.1".into(), "'a b' contains a space".into())]
    );
}

#[test]
fn conditional_and_custom_checks() {
    fn some_flow(r: &serde_json::Map<String, Value>) -> Result<(), String> {
        if r.get("x") == Some(&json!(true)) || r.get("y") == Some(&json!(true)) {
            Ok(())
        } else {
            Err("at least one of these fields must be true: x, y".into())
        }
    }
    let schema = Record::new()
        .field("x", Field::boolean().default(false))
        .field("y", Field::boolean().default(false))
        .field("scopes", Field::array(Field::string()))
        .check(Check::required_if("x", true, "scopes"))
        .check(Check::Custom(some_flow));
    let err = schema.validate(&json!({}), false).unwrap_err();
    assert_eq!(
        fields_of(err),
        [(
            "@entity".into(),
            "at least one of these fields must be true: x, y".into()
        )]
    );
    let err = schema.validate(&json!({"x": true}), false).unwrap_err();
    assert_eq!(
        fields_of(err),
        [
            ("scopes".into(), "required field missing".into()),
            (
                "@entity".into(),
                "failed conditional validation given value of field 'x'".into()
            ),
        ]
    );
    assert!(schema
        .validate(&json!({"x": true, "scopes": ["a"]}), false)
        .is_ok());
}

#[test]
fn plugin_json_is_kongs_format() {
    let schema = acl_like();
    let out = schema.kong_json();
    assert_eq!(
        out["fields"][0],
        json!({"consumer": {"type": "foreign", "reference": "consumers", "eq": null}})
    );
    assert_eq!(out["fields"][1]["protocols"]["type"], "set");
    let config = &out["fields"][2]["config"];
    assert_eq!(config["type"], "record");
    assert_eq!(config["required"], true);
    assert_eq!(
        config["fields"],
        json!([
            {"allow": {"type": "array", "elements": {"type": "string"}}},
            {"deny": {"type": "array", "elements": {"type": "string"}}},
            {"hide": {"type": "boolean", "required": true, "default": false}},
        ])
    );
    assert_eq!(
        out["entity_checks"],
        json!([{"only_one_of": ["config.allow", "config.deny"]},
               {"at_least_one_of": ["config.allow", "config.deny"]}])
    );
    let scoped = PluginSchema::new(Record::new())
        .consumer_scoped()
        .kong_json();
    assert!(scoped["fields"][0].get("consumer").is_none());
}

#[test]
fn parse_gives_the_typed_config() {
    #[derive(serde::Deserialize)]
    struct Acl {
        deny: Option<Vec<String>>,
        hide: bool,
    }
    let (effective, acl): (Value, Acl) = acl_like().parse(&json!({"deny": ["x"]})).unwrap();
    assert_eq!(acl.deny.as_deref(), Some(&["x".to_owned()][..]));
    assert!(!acl.hide);
    assert_eq!(effective["allow"], Value::Null);
}

#[test]
fn a_custom_check_can_blame_one_field() {
    fn cookie_needs_name(r: &serde_json::Map<String, Value>) -> Result<(), String> {
        let wants = r["where"]
            .as_array()
            .is_some_and(|w| w.contains(&json!("cookie")));
        if wants && r["cookie_name"].is_null() {
            Err("required field missing".into())
        } else {
            Ok(())
        }
    }
    let schema = Record::new()
        .field(
            "where",
            Field::array(Field::string()).default(json!(["header"])),
        )
        .field("cookie_name", Field::string())
        .check(Check::custom_on("cookie_name", cookie_needs_name));
    assert!(schema.validate(&json!({}), false).is_ok());
    let err = schema
        .validate(&json!({"where": ["cookie"]}), false)
        .unwrap_err();
    assert_eq!(
        fields_of(err),
        [("cookie_name".into(), "required field missing".into())]
    );
    // Custom checks have no declarative form in Kong's JSON.
    assert_eq!(
        PluginSchema::new(schema).kong_json()["fields"][2]["config"].get("entity_checks"),
        None
    );
}
