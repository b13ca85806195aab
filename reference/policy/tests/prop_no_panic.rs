//! Property (b): validation, matching, scope decisions, explain and lint never panic, whatever
//! the JSON. Arbitrary JSON rarely gets past the first checks, so near-valid documents (right
//! shape, random content) are generated too.
//!
//! Cases: 512 arbitrary JSON documents; 384 near-valid documents × 8 requests each.

use gatecheck_policy::Expression;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        proptest::sample::select(vec![
            "/",
            "/??",
            "?",
            "??",
            "{x}",
            "GET",
            "^a$",
            "var",
            "and",
            "path",
            "conditions",
            "httpMethods"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "path",
                        "conditions",
                        "httpMethods",
                        "scope_expression",
                        "rule",
                        "data",
                        "var",
                        "and",
                        "or",
                        "!",
                        "!!",
                        "if",
                        "==",
                        "!=",
                        "in",
                        "required_acrs",
                        "no_auth",
                        "x",
                    ]),
                    inner
                ),
                0..5
            )
            .prop_map(|entries| Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => "[a-c]{0,2}",
        4 => Just("?".to_string()),
        2 => Just("??".to_string()),
        2 => Just("{^a$}".to_string()),
        2 => Just("{(?<PC1>\\d)}".to_string()),
        2 => Just("{é+}".to_string()),
        1 => Just("{(}".to_string()),
        1 => Just("{(a)\\1}".to_string()),
    ]
}

fn logic() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        60 => (0u64..4).prop_map(|i| json!({"var": i})),
        4 => any::<bool>().prop_map(Value::Bool),
        2 => Just(Value::Null),
        2 => Just(json!("x")),
        1 => Just(json!({"var": -1})),
        1 => Just(json!({"in": []})),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        (
            proptest::sample::select(vec!["and", "or", "!", "!!", "if", "==", "!="]),
            proptest::collection::vec(inner, 0..4),
            any::<bool>(),
        )
            .prop_map(|(op, args, wrap)| {
                if wrap || args.is_empty() {
                    json!({op: args})
                } else {
                    json!({op: args[0].clone()})
                }
            })
    })
}

fn near_valid() -> impl Strategy<Value = Value> {
    let condition = (
        prop_oneof![
            40 => proptest::sample::subsequence(vec!["GET", "POST", "?"], 1..3),
            1 => proptest::sample::subsequence(vec!["GET", "??", "{G}"], 0..3),
        ],
        logic(),
        proptest::collection::vec(
            prop_oneof![
                30 => proptest::sample::select(vec!["a", "b", "^a", "^(?<PC1>.)$", "^(?<PC2>a)(?<PC1>b)"]),
                1 => Just("^("),
            ],
            0..4,
        ),
        proptest::option::of(proptest::collection::vec(proptest::sample::select(vec!["otp", "otp", "otp", ""]), 1..2)),
    )
        .prop_map(|(methods, rule, data, acrs)| {
            let mut c = json!({"httpMethods": methods, "scope_expression": {"rule": rule, "data": data}});
            if let Some(acrs) = acrs {
                c["required_acrs"] = json!(acrs);
            }
            c
        })
        .boxed();
    let conditions = prop_oneof![
        4 => proptest::collection::vec(condition.clone(), 1..2),
        1 => proptest::collection::vec(condition, 2..3),
    ];
    let item = (
        proptest::collection::vec(segment(), 1..4),
        conditions,
        0u8..10,
    )
        .prop_map(|(segments, conditions, slash)| {
            let mut path: String = segments.iter().map(|s| format!("/{s}")).collect();
            if slash == 0 {
                path = path.trim_start_matches('/').to_string();
            }
            json!({"path": path, "conditions": conditions})
        });
    proptest::collection::vec(item, 1..5).prop_map(Value::Array)
}

fn exercise(expression: &Expression, method: &str, path: &str, scopes: &[String]) {
    if let Some(m) = expression.find(method, path) {
        if let Some(s) = m.condition.scope_expression() {
            let allowed = s.is_allowed(scopes, &m.captures);
            assert_eq!(s.explain(scopes, &m.captures).allowed, allowed);
        }
        let _ = m.condition.required_acrs();
    }
    let _ = expression.explain(method, path, scopes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(doc in arbitrary_json(), path in "[/a?é{}]{0,8}", scopes in proptest::collection::vec("[a-z:0-9]{0,4}", 0..3)) {
        let _ = Expression::parse(&doc.to_string());
        if let Ok(expression) = Expression::from_value(&doc) {
            exercise(&expression, "GET", &path, &scopes);
            let _ = expression.lint();
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[\\[\\]{}\":,/a-z0-9 ]{0,40}") {
        let _ = Expression::parse(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn near_valid_documents_never_panic(
        doc in near_valid(),
        requests in proptest::collection::vec(
            (proptest::sample::select(vec!["GET", "POST", "?", ""]), "[/ab?1é]{0,8}", proptest::collection::vec("(a|b|1|é){0,2}", 0..3)),
            8,
        ),
    ) {
        // About 30% of these documents pass validation (measured), the rest exercise rejections.
        if let Ok(expression) = Expression::from_value(&doc) {
            for (method, path, scopes) in &requests {
                exercise(&expression, method, path, scopes);
            }
            let _ = expression.lint();
        }
    }
}
