//! The JSON-logic subset of scope expressions (`and`, `or`, `!`, `!!`, `if`, `==`, `!=`, `var`)
//! with standard (json-logic-js) semantics, compiled once into a tree and evaluated against the
//! data entries' booleans without allocating (except when an array is compared with `==`).

use serde_json::Value;

use crate::jsvalue::{number_to_string, string_to_number};
use crate::pointer::child;
use crate::ValidationError;

/// The operators gatecheck evaluates.
pub const SUPPORTED_OPERATORS: [&str; 8] = ["and", "or", "!", "!!", "if", "==", "!=", "var"];

/// A compiled JSON-logic rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Logic {
    Null,
    Bool(bool),
    Num(f64),
    Str(Box<str>),
    /// A literal array: its elements are evaluated.
    Array(Vec<Logic>),
    Var {
        index: u64,
        default: Option<Box<Logic>>,
    },
    And(Vec<Logic>),
    Or(Vec<Logic>),
    Not(Vec<Logic>),
    NotNot(Vec<Logic>),
    If(Vec<Logic>),
    Eq(Vec<Logic>),
    Ne(Vec<Logic>),
}

/// A value produced while evaluating; arrays stay unevaluated references into the rule.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(&'a str),
    Arr(&'a [Logic]),
}

/// The booleans the data entries evaluate to (`var` index → value; out of range → `None`).
pub(crate) trait Data {
    fn get(&self, index: u64) -> Option<bool>;
}

impl Logic {
    /// Compiles `rule`; `pointer` names it in error messages.
    pub(crate) fn compile(rule: &Value, pointer: &str) -> Result<Logic, ValidationError> {
        Ok(match rule {
            Value::Null => Logic::Null,
            Value::Bool(b) => Logic::Bool(*b),
            Value::Number(n) => Logic::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Logic::Str(s.as_str().into()),
            Value::Array(items) => Logic::Array(compile_all(items, pointer)?),
            Value::Object(map) => {
                let mut entries = map.iter();
                let (op, args) = match (entries.next(), entries.next()) {
                    (Some(entry), None) => entry,
                    _ => {
                        return Err(invalid(
                            format!(
                            "A JSON-logic operation must be an object with exactly one operator \
                                 key, found {} keys",
                            map.len()
                        ),
                            pointer,
                        ))
                    }
                };
                let at = child(pointer, op);
                if op == "var" {
                    return compile_var(args, &at);
                }
                // json-logic-js wraps a non-array argument: `{"!": x}` is `{"!": [x]}`.
                let args = match args {
                    Value::Array(items) => compile_all(items, &at)?,
                    other => vec![Logic::compile(other, &at)?],
                };
                match op.as_str() {
                    "and" => Logic::And(args),
                    "or" => Logic::Or(args),
                    "!" => Logic::Not(args),
                    "!!" => Logic::NotNot(args),
                    "if" => Logic::If(args),
                    "==" => Logic::Eq(args),
                    "!=" => Logic::Ne(args),
                    other => {
                        return Err(invalid(
                            format!(
                                "Unsupported JSON-logic operator \"{other}\" (supported: {})",
                                SUPPORTED_OPERATORS.join(", ")
                            ),
                            &at,
                        ))
                    }
                }
            }
        })
    }

    /// Evaluates the rule against `data`.
    pub(crate) fn eval<'a>(&'a self, data: &dyn Data) -> Val<'a> {
        match self {
            Logic::Null => Val::Null,
            Logic::Bool(b) => Val::Bool(*b),
            Logic::Num(n) => Val::Num(*n),
            Logic::Str(s) => Val::Str(s),
            Logic::Array(items) => Val::Arr(items),
            Logic::Var { index, default } => match data.get(*index) {
                Some(b) => Val::Bool(b),
                None => default.as_ref().map_or(Val::Null, |d| d.eval(data)),
            },
            // First falsy value or the last value; no arguments → null.
            Logic::And(args) => {
                let mut last = Val::Null;
                for arg in args {
                    last = arg.eval(data);
                    if !last.truthy() {
                        return last;
                    }
                }
                last
            }
            Logic::Or(args) => {
                let mut last = Val::Null;
                for arg in args {
                    last = arg.eval(data);
                    if last.truthy() {
                        return last;
                    }
                }
                last
            }
            Logic::Not(args) => Val::Bool(!first(args, data).truthy()),
            Logic::NotNot(args) => Val::Bool(first(args, data).truthy()),
            Logic::If(args) => {
                let mut pairs = args.chunks_exact(2);
                for pair in &mut pairs {
                    if pair[0].eval(data).truthy() {
                        return pair[1].eval(data);
                    }
                }
                match pairs.remainder() {
                    [otherwise] => otherwise.eval(data),
                    _ => Val::Null,
                }
            }
            Logic::Eq(args) => Val::Bool(loose_eq(first(args, data), second(args, data), data)),
            Logic::Ne(args) => Val::Bool(!loose_eq(first(args, data), second(args, data), data)),
        }
    }
}

fn compile_all(items: &[Value], pointer: &str) -> Result<Vec<Logic>, ValidationError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| Logic::compile(item, &child(pointer, i)))
        .collect()
}

fn compile_var(args: &Value, pointer: &str) -> Result<Logic, ValidationError> {
    let bad = || {
        invalid(
            format!(
                "JSON-logic \"var\" must be a non-negative integer index into data (or [index, default]), found {args}"
            ),
            pointer,
        )
    };
    let index_of = |v: &Value| -> Option<u64> {
        v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        })
    };
    match args {
        Value::Array(items) => match items.as_slice() {
            [index] => Ok(Logic::Var {
                index: index_of(index).ok_or_else(bad)?,
                default: None,
            }),
            [index, default] => Ok(Logic::Var {
                index: index_of(index).ok_or_else(bad)?,
                default: Some(Box::new(Logic::compile(default, &child(pointer, 1))?)),
            }),
            _ => Err(bad()),
        },
        other => Ok(Logic::Var {
            index: index_of(other).ok_or_else(bad)?,
            default: None,
        }),
    }
}

fn invalid(message: String, pointer: &str) -> ValidationError {
    ValidationError {
        message,
        pointer: Some(pointer.to_owned()),
    }
}

fn first<'a>(args: &'a [Logic], data: &dyn Data) -> Val<'a> {
    args.first().map_or(Val::Null, |a| a.eval(data))
}

/// A missing second argument is `undefined`, which compares like `null` under `==`.
fn second<'a>(args: &'a [Logic], data: &dyn Data) -> Val<'a> {
    args.get(1).map_or(Val::Null, |a| a.eval(data))
}

impl Val<'_> {
    /// json-logic-js truthiness: JavaScript's, except that an empty array is falsy.
    pub(crate) fn truthy(&self) -> bool {
        match *self {
            Val::Null => false,
            Val::Bool(b) => b,
            Val::Num(n) => n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Arr(items) => !items.is_empty(),
        }
    }

    /// The value as JSON (arrays evaluated), for explanations.
    pub(crate) fn to_json(self, data: &dyn Data) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(b),
            Val::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Value::from(n as i64),
            Val::Num(n) => serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
            Val::Str(s) => Value::String(s.to_owned()),
            Val::Arr(items) => {
                Value::Array(items.iter().map(|i| i.eval(data).to_json(data)).collect())
            }
        }
    }
}

/// JavaScript `a == b` (Abstract Equality Comparison) over JSON-logic values. Two arrays are
/// never equal: each evaluation of a literal array is a new object.
pub(crate) fn loose_eq(a: Val<'_>, b: Val<'_>, data: &dyn Data) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Arr(_), Val::Arr(_)) => false,
        (Val::Num(x), Val::Str(y)) | (Val::Str(y), Val::Num(x)) => x == string_to_number(y),
        (Val::Bool(x), other) => loose_eq(Val::Num(f64::from(u8::from(x))), other, data),
        (other, Val::Bool(y)) => loose_eq(other, Val::Num(f64::from(u8::from(y))), data),
        (Val::Arr(items), other) | (other, Val::Arr(items)) => {
            let joined = join(items, data);
            loose_eq(Val::Str(&joined), other, data)
        }
    }
}

/// `Array.prototype.join(",")` (what `ToPrimitive` gives for an array).
fn join(items: &[Logic], data: &dyn Data) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item.eval(data) {
            Val::Null => {}
            Val::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Val::Num(n) => out.push_str(&number_to_string(n)),
            Val::Str(s) => out.push_str(s),
            Val::Arr(inner) => out.push_str(&join(inner, data)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    impl Data for Vec<bool> {
        fn get(&self, index: u64) -> Option<bool> {
            usize::try_from(index)
                .ok()
                .and_then(|i| self.as_slice().get(i).copied())
        }
    }

    fn eval(rule: Value, data: &[bool]) -> Value {
        let logic = Logic::compile(&rule, "/rule").unwrap();
        let data = data.to_vec();
        logic.eval(&data).to_json(&data)
    }

    #[test]
    fn and_or_return_the_deciding_value() {
        assert_eq!(
            eval(json!({"and": [{"var": 0}, {"var": 1}]}), &[true, false]),
            json!(false)
        );
        assert_eq!(eval(json!({"and": [{"var": 0}, "x"]}), &[true]), json!("x"));
        assert_eq!(eval(json!({"and": []}), &[]), Value::Null);
        assert_eq!(
            eval(json!({"or": [{"var": 0}, 0, "y"]}), &[false]),
            json!("y")
        );
        assert_eq!(eval(json!({"or": []}), &[]), Value::Null);
        assert_eq!(eval(json!({"or": [false, 0]}), &[]), json!(0));
    }

    #[test]
    fn ui_generated_rules() {
        let rule = json!({"and": [{"var": 0}, {"or": [{"var": 1}, {"var": 2}]}]});
        assert_eq!(eval(rule.clone(), &[true, false, true]), json!(true));
        assert_eq!(eval(rule, &[true, false, false]), json!(false));
        let negated = json!({"!": {"or": [{"var": 0}, {"var": 1}]}});
        assert_eq!(eval(negated.clone(), &[false, false]), json!(true));
        assert_eq!(eval(negated, &[false, true]), json!(false));
    }

    #[test]
    fn not_and_double_not_accept_both_forms() {
        // GG's engine got the array forms wrong; gatecheck follows JSON-logic
        // (docs/differences.md#standard-json-logic).
        assert_eq!(eval(json!({"!": [{"var": 0}]}), &[false]), json!(true));
        assert_eq!(eval(json!({"!": {"var": 0}}), &[false]), json!(true));
        assert_eq!(eval(json!({"!!": [{"var": 0}]}), &[false]), json!(false));
        assert_eq!(eval(json!({"!!": {"var": 0}}), &[true]), json!(true));
        assert_eq!(eval(json!({"!": []}), &[]), json!(true));
        assert_eq!(eval(json!({"!!": [[]]}), &[]), json!(false));
        assert_eq!(eval(json!({"!!": [[0]]}), &[]), json!(true));
    }

    #[test]
    fn if_picks_the_first_truthy_branch() {
        let rule = json!({"if": [{"var": 0}, "a", {"var": 1}, "b", "c"]});
        assert_eq!(eval(rule.clone(), &[true, true]), json!("a"));
        assert_eq!(eval(rule.clone(), &[false, true]), json!("b"));
        assert_eq!(eval(rule, &[false, false]), json!("c"));
        assert_eq!(eval(json!({"if": [false, 1]}), &[]), Value::Null);
        assert_eq!(eval(json!({"if": []}), &[]), Value::Null);
        assert_eq!(eval(json!({"if": "x"}), &[]), json!("x"));
    }

    #[test]
    fn equality_is_javascript_loose_equality() {
        for (rule, expected) in [
            (json!({"==": [{"var": 0}, true]}), true),
            (json!({"==": [1, "1"]}), true),
            (json!({"==": [1, " 1 "]}), true),
            (json!({"==": [0, ""]}), true),
            (json!({"==": [true, "1"]}), true),
            (json!({"==": [false, "0"]}), true),
            (json!({"==": [null, false]}), false),
            (json!({"==": [null, null]}), true),
            (json!({"==": [null]}), true),
            (json!({"==": []}), true),
            (json!({"==": [1]}), false),
            (json!({"==": [[1], [1]]}), false),
            (json!({"==": [[1, 2], "1,2"]}), true),
            (json!({"==": [[], false]}), true),
            (json!({"==": [[null], ""]}), true),
            (json!({"==": [[[1, 2], 3], "1,2,3"]}), true),
            (json!({"==": ["a", "b"]}), false),
            (json!({"==": ["abc", 0]}), false),
            (json!({"!=": [1, 2]}), true),
            (json!({"!=": [1, "1"]}), false),
        ] {
            assert_eq!(eval(rule.clone(), &[true]), json!(expected), "{rule}");
        }
    }

    #[test]
    fn var_out_of_range_is_null_or_default() {
        assert_eq!(eval(json!({"var": 3}), &[true]), Value::Null);
        assert_eq!(eval(json!({"var": [0]}), &[true]), json!(true));
        assert_eq!(eval(json!({"var": [5, "d"]}), &[true]), json!("d"));
        assert_eq!(eval(json!({"var": 1.0}), &[true, false]), json!(false));
    }

    #[test]
    fn truthiness() {
        for (v, t) in [
            (json!(0), false),
            (json!(""), false),
            (json!([]), false),
            (json!(null), false),
            (json!("0"), true),
            (json!([0]), true),
            (json!(-1), true),
        ] {
            assert_eq!(eval(json!({"!!": [v.clone()]}), &[]), json!(t), "{v}");
        }
    }

    #[test]
    fn rejects_unsupported_operators_with_their_pointer() {
        let err = Logic::compile(&json!({"and": [{"in": ["a", "b"]}]}), "/0/rule").unwrap_err();
        assert!(
            err.message
                .contains("Unsupported JSON-logic operator \"in\""),
            "{}",
            err.message
        );
        assert_eq!(err.pointer.as_deref(), Some("/0/rule/and/0/in"));
        let err = Logic::compile(&json!({"and": [], "or": []}), "/r").unwrap_err();
        assert!(err.message.contains("exactly one operator"));
        assert!(Logic::compile(&json!({}), "/r").is_err());
    }

    #[test]
    fn rejects_vars_that_are_not_non_negative_integers() {
        for bad in [
            json!(-1),
            json!(1.5),
            json!("0"),
            json!(null),
            json!([]),
            json!([0, 1, 2]),
            json!({"var": 0}),
        ] {
            let err = Logic::compile(&json!({"or": [{"var": bad.clone()}]}), "/rule").unwrap_err();
            assert!(
                err.message.contains("non-negative integer"),
                "{bad}: {}",
                err.message
            );
            assert_eq!(err.pointer.as_deref(), Some("/rule/or/0/var"));
        }
    }
}
