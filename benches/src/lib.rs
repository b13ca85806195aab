#![warn(missing_docs)]
//! Workloads for gatecheck's benchmarks, and the naive baseline the policy engine is measured
//! against.
//!
//! [`workload`] generates, deterministically, an expression document of N paths mixing literal,
//! `?`, `??` and `{regex}` segments with plain and regex scopes (some with `PC1` capture checks),
//! and a request mix with the same shape at every N. [`LinearScan`] decides the same requests
//! the way one would without compiling: per request, try each rule in order, regex per segment,
//! and walk the JSON-logic rule.

use regex::Regex;
use serde_json::{json, Value};

pub mod gg;
pub use gg::gg_workload;

/// One request of a workload.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method.
    pub method: &'static str,
    /// Normalised request path.
    pub path: String,
    /// The token's scopes.
    pub scopes: Vec<String>,
}

/// An expression document and requests to decide against it.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The expression document.
    pub document: Value,
    /// The requests, in the order the benchmark cycles through them.
    pub requests: Vec<Request>,
}

impl Workload {
    /// The workload as one JSON object, for other implementations to replay (the LuaJIT driver
    /// of `benches/policy-gg/`): `document`, `requests` (`method`, `path`, `scopes`) and
    /// `expected`, gatecheck's decision for each request (`null` = no rule, else whether it is
    /// allowed).
    pub fn to_json(&self, expression: &gatecheck_policy::Expression) -> Value {
        let requests: Vec<Value> = self
            .requests
            .iter()
            .map(|r| json!({"method": r.method, "path": r.path, "scopes": r.scopes}))
            .collect();
        let expected: Vec<Value> = self
            .requests
            .iter()
            .map(|r| match decide(expression, r) {
                None => Value::Null,
                Some(None) => Value::String("unprotected".into()),
                Some(Some(allowed)) => Value::Bool(allowed),
            })
            .collect();
        json!({"document": self.document, "requests": requests, "expected": expected})
    }
}

/// SplitMix64: small, deterministic, good enough to pick workload shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Rule shapes, cycled through by path index.
const KINDS: usize = 5;

/// A document of `paths` rules under `/svcG/resI/...` and `requests` requests hitting them
/// (about one in ten matches nothing, about one in four is denied).
pub fn workload(paths: usize, requests: usize, seed: u64) -> Workload {
    let groups = (paths as f64).sqrt().ceil() as usize;
    let prefix = |i: usize| format!("/svc{}/res{i}", i % groups);
    let mut items = Vec::with_capacity(paths);
    for i in 0..paths {
        let (path, rule, data) = match i % KINDS {
            0 => (
                format!("{}/items", prefix(i)),
                json!({"and": [{"var": 0}]}),
                json!([format!("res{i}:read")]),
            ),
            1 => (
                format!("{}/?", prefix(i)),
                json!({"and": [{"var": 0}]}),
                json!([format!("^res{i}:(?<PC1>[^:]+)$")]),
            ),
            2 => (
                format!("{}/??", prefix(i)),
                json!({"or": [{"var": 0}, {"var": 1}]}),
                json!([format!("res{i}:read"), "admin"]),
            ),
            3 => (
                format!("{}/{{^(daily|monthly)$}}/?", prefix(i)),
                json!({"and": [{"var": 0}, {"var": 1}]}),
                json!(["^reports:(?<PC1>daily|monthly)$", format!("res{i}:read")]),
            ),
            _ => (
                format!("{}/?/details", prefix(i)),
                json!({"and": [{"var": 0}, {"!": {"var": 1}}]}),
                json!([format!("^res{i}:(?<PC1>\\d+)$"), "suspended"]),
            ),
        };
        items.push(
            json!({"path": path, "conditions": [{"httpMethods": ["GET", "POST"],
            "scope_expression": {"rule": rule, "data": data}}]}),
        );
    }
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(requests);
    for _ in 0..requests {
        let i = rng.below(paths);
        let id = 100 + rng.below(900);
        let deny = rng.below(4) == 0;
        let granted = if deny {
            format!("res{i}:none")
        } else {
            format!("res{i}:read")
        };
        let (path, scopes) = match i % KINDS {
            0 => (format!("{}/items", prefix(i)), vec![granted]),
            1 => {
                let scope = if deny {
                    format!("res{i}:other")
                } else {
                    format!("res{i}:{id}")
                };
                (format!("{}/{id}", prefix(i)), vec![scope])
            }
            2 => (format!("{}/a/b/{id}", prefix(i)), vec![granted]),
            3 => (
                format!("{}/daily/{id}", prefix(i)),
                vec!["reports:daily".to_string(), granted],
            ),
            _ => {
                let scope = if deny {
                    format!("res{i}:1")
                } else {
                    format!("res{i}:{id}")
                };
                (format!("{}/{id}/details", prefix(i)), vec![scope])
            }
        };
        let path = if rng.below(10) == 0 {
            format!("/svc{}/unknown/{id}", i % groups)
        } else {
            path
        };
        let mut all = vec!["openid".to_string(), "profile".to_string()];
        all.extend(scopes);
        out.push(Request {
            method: if rng.below(2) == 0 { "GET" } else { "POST" },
            path,
            scopes: all,
        });
    }
    Workload {
        document: Value::Array(items),
        requests: out,
    }
}

/// The decision for a request: `None` = no rule; `Some(None)` = rule without scope expression;
/// `Some(Some(allowed))`.
pub type Decision = Option<Option<bool>>;

/// Decides with the compiled engine.
pub fn decide(expression: &gatecheck_policy::Expression, request: &Request) -> Decision {
    expression.find(request.method, &request.path).map(|m| {
        m.condition
            .scope_expression()
            .map(|s| s.is_allowed(&request.scopes, &m.captures))
    })
}

/// The naive baseline: rules in document order, each tried against the whole request.
pub struct LinearScan {
    rules: Vec<LinearRule>,
}

struct LinearRule {
    methods: Vec<String>,
    segments: Vec<Seg>,
    scope: Option<(Value, Vec<Entry>)>,
}

enum Seg {
    Lit(String),
    One,
    Multi,
    Re(Regex),
}

enum Entry {
    Scope(String),
    Regex(Regex),
}

impl LinearScan {
    /// Builds the rule list from a (valid) document; regexes are compiled here, once.
    pub fn new(document: &Value) -> LinearScan {
        let mut rules = Vec::new();
        for item in document.as_array().into_iter().flatten() {
            let path = item["path"].as_str().unwrap_or_default();
            let segments = path
                .trim_start_matches('/')
                .split('/')
                .map(|s| match s {
                    "?" => Seg::One,
                    "??" => Seg::Multi,
                    _ if s.len() > 2 && s.starts_with('{') && s.ends_with('}') => {
                        Seg::Re(Regex::new(&s[1..s.len() - 1]).expect("valid segment regex"))
                    }
                    _ => Seg::Lit(s.to_string()),
                })
                .collect::<Vec<_>>();
            for condition in item["conditions"].as_array().into_iter().flatten() {
                let methods = condition["httpMethods"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect();
                let scope = condition.get("scope_expression").map(|s| {
                    let entries = s["data"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(|d| {
                            if d.starts_with('^') {
                                Entry::Regex(Regex::new(d).expect("valid scope regex"))
                            } else {
                                Entry::Scope(d.to_string())
                            }
                        })
                        .collect();
                    (s["rule"].clone(), entries)
                });
                rules.push(LinearRule {
                    methods,
                    segments: segments.iter().map(Seg::clone_shallow).collect(),
                    scope,
                });
            }
        }
        LinearScan { rules }
    }

    /// Decides a request: first rule (in order) whose method and segments match.
    pub fn decide(&self, request: &Request) -> Decision {
        let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        for rule in &self.rules {
            if !rule.methods.iter().any(|m| m == request.method || m == "?") {
                continue;
            }
            let mut captures = Vec::new();
            if match_segments(&rule.segments, &segments, &mut captures) {
                return Some(rule.scope.as_ref().map(|(logic, entries)| {
                    let data: Vec<bool> = entries
                        .iter()
                        .map(|e| entry_value(e, &request.scopes, &captures))
                        .collect();
                    truthy(&apply(logic, &data))
                }));
            }
        }
        None
    }
}

impl Seg {
    fn clone_shallow(&self) -> Seg {
        match self {
            Seg::Lit(s) => Seg::Lit(s.clone()),
            Seg::One => Seg::One,
            Seg::Multi => Seg::Multi,
            Seg::Re(r) => Seg::Re(r.clone()),
        }
    }
}

fn match_segments(pattern: &[Seg], segments: &[&str], captures: &mut Vec<String>) -> bool {
    let Some((first, rest)) = pattern.split_first() else {
        return segments.is_empty();
    };
    match first {
        Seg::Multi => {
            (0..=segments.len()).any(|k| match_segments(rest, &segments[k..], &mut Vec::new()))
        }
        _ => {
            let Some((segment, others)) = segments.split_first() else {
                return false;
            };
            match first {
                Seg::Lit(l) if l == segment => {}
                Seg::One => captures.push(segment.to_string()),
                Seg::Re(re) => match re.captures(segment) {
                    Some(c) if c.len() == 1 => captures.push(c[0].to_string()),
                    Some(c) => captures.extend(
                        (1..c.len()).map(|i| c.get(i).map_or("", |m| m.as_str()).to_string()),
                    ),
                    None => return false,
                },
                _ => return false,
            }
            match_segments(rest, others, captures)
        }
    }
}

fn entry_value(entry: &Entry, scopes: &[String], captures: &[String]) -> bool {
    match entry {
        Entry::Scope(s) => scopes.iter().any(|t| t == s),
        Entry::Regex(re) => scopes.iter().any(|t| match re.captures(t) {
            None => false,
            Some(_) if captures.is_empty() => true,
            Some(c) => (1..=9).all(|k| match c.name(&format!("PC{k}")) {
                None => re.capture_names().flatten().all(|n| n != format!("PC{k}")),
                Some(v) => captures.get(k - 1).is_some_and(|p| p == v.as_str()),
            }),
        }),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// The JSON-logic subset the workload uses, walking the JSON each time.
fn apply(logic: &Value, data: &[bool]) -> Value {
    let Some((op, args)) = logic.as_object().and_then(|m| m.iter().next()) else {
        return logic.clone();
    };
    let args: Vec<Value> = match args {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    match op.as_str() {
        "var" => args[0]
            .as_u64()
            .and_then(|i| data.get(i as usize))
            .map_or(Value::Null, |b| Value::Bool(*b)),
        "and" => {
            let mut last = Value::Null;
            for a in &args {
                last = apply(a, data);
                if !truthy(&last) {
                    break;
                }
            }
            last
        }
        "or" => {
            let mut last = Value::Null;
            for a in &args {
                last = apply(a, data);
                if truthy(&last) {
                    break;
                }
            }
            last
        }
        "!" => Value::Bool(!args.first().is_some_and(|a| truthy(&apply(a, data)))),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatecheck_policy::Expression;

    #[test]
    fn workloads_are_deterministic_and_valid() {
        let a = workload(100, 50, 7);
        let b = workload(100, 50, 7);
        assert_eq!(a.document, b.document);
        assert_eq!(
            a.requests.iter().map(|r| &r.path).collect::<Vec<_>>(),
            b.requests.iter().map(|r| &r.path).collect::<Vec<_>>()
        );
        let e = Expression::from_value(&a.document).unwrap();
        assert_eq!(e.rules().count(), 100);
    }

    #[test]
    fn linear_scan_and_compiled_engine_decide_alike() {
        for paths in [10, 100, 1000] {
            let w = workload(paths, 2000, 42);
            let compiled = Expression::from_value(&w.document).unwrap();
            let naive = LinearScan::new(&w.document);
            let (mut matched, mut allowed, mut denied) = (0, 0, 0);
            for r in &w.requests {
                let d = decide(&compiled, r);
                assert_eq!(d, naive.decide(r), "{} {} {:?}", r.method, r.path, r.scopes);
                match d {
                    Some(Some(true)) => allowed += 1,
                    Some(Some(false)) => denied += 1,
                    _ => {}
                }
                matched += usize::from(d.is_some());
            }
            // The mix exercises grants, denials and misses at every size.
            assert!(
                matched > 1500 && allowed > 1000 && denied > 200,
                "{paths}: {matched} {allowed} {denied}"
            );
        }
    }
}
