//! Property (c): the compiled JSON-logic evaluator agrees with a naive evaluator that walks the
//! rule's JSON directly, following json-logic-js (`apply`, `truthy`, JavaScript `==`), on
//! generated rules over generated data booleans. Compared: the rule's value (from explain) and
//! the access decision (`is_allowed`).
//!
//! Cases: 1024 generated rules × 4 scope sets each.

use gatecheck_policy::{Captures, Expression};
use proptest::prelude::*;
use serde_json::{json, Value};

/// The naive evaluator's values: JavaScript values a JSON-logic rule can produce.
#[derive(Debug, Clone)]
enum Js {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Js>),
}

fn truthy(v: &Js) -> bool {
    match v {
        Js::Null => false,
        Js::Bool(b) => *b,
        Js::Num(n) => *n != 0.0 && !n.is_nan(),
        Js::Str(s) => !s.is_empty(),
        Js::Arr(a) => !a.is_empty(),
    }
}

fn to_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        0.0
    } else {
        t.parse().unwrap_or(f64::NAN)
    }
}

fn to_string(v: &Js) -> String {
    match v {
        Js::Null => String::new(),
        Js::Bool(b) => b.to_string(),
        Js::Num(n) if n.fract() == 0.0 => format!("{}", *n as i64),
        Js::Num(n) => format!("{n}"),
        Js::Str(s) => s.clone(),
        Js::Arr(items) => items.iter().map(to_string).collect::<Vec<_>>().join(","),
    }
}

/// ECMAScript Abstract Equality Comparison, step by step.
fn loose_eq(x: &Js, y: &Js) -> bool {
    match (x, y) {
        // 1. Same type: strict equality (arrays are distinct objects).
        (Js::Null, Js::Null) => true,
        (Js::Bool(a), Js::Bool(b)) => a == b,
        (Js::Num(a), Js::Num(b)) => a == b,
        (Js::Str(a), Js::Str(b)) => a == b,
        (Js::Arr(_), Js::Arr(_)) => false,
        // 2./3. null only equals null/undefined.
        (Js::Null, _) | (_, Js::Null) => false,
        // 5. number and string.
        (Js::Num(a), Js::Str(b)) => *a == to_number(b),
        (Js::Str(a), Js::Num(b)) => to_number(a) == *b,
        // 9./10. booleans become numbers.
        (Js::Bool(a), _) => loose_eq(&Js::Num(if *a { 1.0 } else { 0.0 }), y),
        (_, Js::Bool(b)) => loose_eq(x, &Js::Num(if *b { 1.0 } else { 0.0 })),
        // 11./12. an object against a primitive becomes a primitive (array → join).
        (Js::Arr(_), _) => loose_eq(&Js::Str(to_string(x)), y),
        (_, Js::Arr(_)) => loose_eq(x, &Js::Str(to_string(y))),
    }
}

/// json-logic-js `apply`.
fn apply(logic: &Value, data: &[bool]) -> Js {
    match logic {
        Value::Array(items) => Js::Arr(items.iter().map(|i| apply(i, data)).collect()),
        Value::Null => Js::Null,
        Value::Bool(b) => Js::Bool(*b),
        Value::Number(n) => Js::Num(n.as_f64().unwrap()),
        Value::String(s) => Js::Str(s.clone()),
        Value::Object(map) => {
            let (op, values) = map.iter().next().unwrap();
            let values: Vec<Value> = match values {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            match op.as_str() {
                "if" => {
                    let mut i = 0;
                    while i + 1 < values.len() {
                        if truthy(&apply(&values[i], data)) {
                            return apply(&values[i + 1], data);
                        }
                        i += 2;
                    }
                    if values.len() == i + 1 {
                        apply(&values[i], data)
                    } else {
                        Js::Null
                    }
                }
                "and" => {
                    let mut current = Js::Null;
                    for v in &values {
                        current = apply(v, data);
                        if !truthy(&current) {
                            return current;
                        }
                    }
                    current
                }
                "or" => {
                    let mut current = Js::Null;
                    for v in &values {
                        current = apply(v, data);
                        if truthy(&current) {
                            return current;
                        }
                    }
                    current
                }
                _ => {
                    let args: Vec<Js> = values.iter().map(|v| apply(v, data)).collect();
                    let arg = |i: usize| args.get(i).cloned().unwrap_or(Js::Null);
                    match op.as_str() {
                        "var" => {
                            let Js::Num(index) = arg(0) else {
                                unreachable!()
                            };
                            data.get(index as usize).map_or(arg(1), |b| Js::Bool(*b))
                        }
                        "!" => Js::Bool(!truthy(&arg(0))),
                        "!!" => Js::Bool(truthy(&arg(0))),
                        "==" => Js::Bool(loose_eq(&arg(0), &arg(1))),
                        "!=" => Js::Bool(!loose_eq(&arg(0), &arg(1))),
                        other => unreachable!("{other}"),
                    }
                }
            }
        }
    }
}

fn to_json(v: &Js) -> Value {
    match v {
        Js::Null => Value::Null,
        Js::Bool(b) => json!(b),
        Js::Num(n) => json!(n),
        Js::Str(s) => json!(s),
        Js::Arr(items) => Value::Array(items.iter().map(to_json).collect()),
    }
}

/// Numbers compared as f64 (the evaluator prints integral numbers as integers).
fn normalise(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

const DATA: usize = 3;

fn rule() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => (0u64..=(DATA as u64)).prop_map(|i| json!({"var": i})),
        1 => (0u64..=(DATA as u64), proptest::sample::select(vec![json!("d"), json!(0), json!(true)]))
            .prop_map(|(i, d)| json!({"var": [i, d]})),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
        1 => proptest::sample::select(vec![0.0, 1.0, 2.0, -1.0, 0.5]).prop_map(|n| json!(n)),
        1 => proptest::sample::select(vec!["", "0", "1", " 1 ", "a", "true", "1,2", "0.5"]).prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            6 => (
                proptest::sample::select(vec!["and", "or", "!", "!!", "if", "==", "!="]),
                proptest::collection::vec(inner.clone(), 0..4),
                any::<bool>(),
            )
                .prop_map(|(op, args, array_form)| {
                    if array_form || args.len() != 1 {
                        json!({op: args})
                    } else {
                        json!({op: args[0].clone()})
                    }
                }),
            1 => proptest::collection::vec(inner, 0..3).prop_map(Value::Array),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn evaluator_agrees_with_naive_json_logic(rule in rule(), masks in proptest::collection::vec(0u8..8, 4)) {
        let doc = json!([{"path": "/r", "conditions": [{"httpMethods": ["GET"],
            "scope_expression": {"rule": rule, "data": ["s0", "s1", "s2"]}}]}]);
        let expression = Expression::from_value(&doc).unwrap();
        let condition = expression.find("GET", "/r").unwrap().condition;
        let scope = condition.scope_expression().unwrap();
        for mask in masks {
            let data: Vec<bool> = (0..DATA).map(|i| mask & (1 << i) != 0).collect();
            let scopes: Vec<String> = (0..DATA).filter(|i| data[*i]).map(|i| format!("s{i}")).collect();
            let naive = apply(&rule, &data);
            let explained = scope.explain(&scopes, &Captures::new());
            prop_assert_eq!(normalise(&explained.value), normalise(&to_json(&naive)), "rule {} data {:?}", rule, data);
            prop_assert_eq!(scope.is_allowed(&scopes, &Captures::new()), truthy(&naive), "rule {} data {:?}", rule, data);
        }
    }
}
