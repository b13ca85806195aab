//! The expression builder: Gluu Gateway's path/condition editor for `oauth_scope_expression` and
//! `required_acrs_expression`.
//!
//! A [`Builder`] is the form's content: paths, per path the conditions (HTTP methods, with `?`
//! for any), per condition either a scope group tree (AND / OR / NOT over scope values and
//! nested groups) or ACR values and `no_auth`. [`Builder::to_json`] writes GG's expression JSON
//! the way GG's UI does (`{"and": [...]}`, `{"or": [...]}`, `{"!": x}` for a NOT of one item and
//! `{"!": {"or": [...]}}` for a NOT of several; `data` in the order the values appear).
//! [`Builder::from_json`] reads a document back and refuses, with the reason, anything the
//! builder would not write back unchanged; such a document is edited as JSON instead.
//!
//! The form encoding (field names, the add/remove buttons) is in [`form`].

pub mod form;

use serde_json::{json, Map, Value};

/// Which expression the builder edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `oauth_scope_expression`: conditions carry scope expressions.
    Scope,
    /// `required_acrs_expression`: conditions carry ACR values and `no_auth`.
    Acr,
}

/// The HTTP methods offered as checkboxes (`?` = any method), in the order shown.
pub const METHODS: [&str; 10] = [
    "?", "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "CONNECT", "TRACE",
];

/// A JSON-logic operator of a scope group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Every item.
    And,
    /// Any item.
    Or,
    /// None of the items.
    Not,
}

impl Op {
    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::And => "and",
            Op::Or => "or",
            Op::Not => "not",
        }
    }

    /// From a form value.
    pub fn parse(s: &str) -> Option<Op> {
        match s {
            "and" => Some(Op::And),
            "or" => Some(Op::Or),
            "not" => Some(Op::Not),
            _ => None,
        }
    }
}

/// One item of a scope group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A scope value: a scope name, or a regex starting with `^`.
    Scope(String),
    /// A nested group.
    Group(Group),
}

/// A group of scope items combined by one operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The operator.
    pub op: Op,
    /// Scope values and nested groups, in order.
    pub items: Vec<Item>,
}

impl Group {
    /// An empty group.
    pub fn new(op: Op) -> Self {
        Self {
            op,
            items: Vec::new(),
        }
    }
}

/// One condition of a path: the methods it applies to and what it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// HTTP methods (`?` = any), in order.
    pub methods: Vec<String>,
    /// The scope expression (scope kind); an empty group means "no scope expression".
    pub scope: Group,
    /// Required ACR values (ACR kind).
    pub acrs: Vec<String>,
    /// No authentication at all for these requests (ACR kind).
    pub no_auth: bool,
}

impl Condition {
    /// A condition with nothing selected.
    pub fn new() -> Self {
        Self {
            methods: Vec::new(),
            scope: Group::new(Op::And),
            acrs: Vec::new(),
            no_auth: false,
        }
    }
}

impl Default for Condition {
    fn default() -> Self {
        Self::new()
    }
}

/// One protected path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    /// The path pattern (`/transactions/?`, `/payments/??`, `/x/{regex}`).
    pub path: String,
    /// Its conditions.
    pub conditions: Vec<Condition>,
}

/// The builder's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builder {
    /// Which expression.
    pub kind: Kind,
    /// The paths, in order.
    pub paths: Vec<PathRule>,
}

/// Why a document cannot be shown in the builder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotRepresentable(pub String);

fn nope<T>(why: impl Into<String>) -> Result<T, NotRepresentable> {
    Err(NotRepresentable(why.into()))
}

impl Builder {
    /// An empty builder (no paths: the expression is absent).
    pub fn new(kind: Kind) -> Self {
        Self {
            kind,
            paths: Vec::new(),
        }
    }

    /// The expression document; `None` when there are no paths (the field is left unset).
    pub fn to_json(&self) -> Option<Value> {
        if self.paths.is_empty() {
            return None;
        }
        let items = self
            .paths
            .iter()
            .map(|p| {
                let conditions: Vec<Value> = p
                    .conditions
                    .iter()
                    .map(|c| self.condition_json(c))
                    .collect();
                json!({"path": p.path, "conditions": conditions})
            })
            .collect();
        Some(Value::Array(items))
    }

    fn condition_json(&self, c: &Condition) -> Value {
        let mut m = Map::new();
        m.insert("httpMethods".into(), json!(c.methods));
        match self.kind {
            Kind::Scope => {
                if !c.scope.items.is_empty() {
                    let mut data = Vec::new();
                    let rule = group_json(&c.scope, &mut data);
                    m.insert(
                        "scope_expression".into(),
                        json!({"rule": rule, "data": data}),
                    );
                }
            }
            Kind::Acr => {
                if !c.acrs.is_empty() {
                    m.insert("required_acrs".into(), json!(c.acrs));
                }
                m.insert("no_auth".into(), Value::Bool(c.no_auth));
            }
        }
        Value::Object(m)
    }

    /// Reads a document into the builder; refuses what the builder would not write back
    /// unchanged (the reason says what).
    pub fn from_json(kind: Kind, doc: &Value) -> Result<Builder, NotRepresentable> {
        let builder = match doc {
            Value::Null => Builder::new(kind),
            Value::Array(items) if !items.is_empty() => {
                let paths = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| read_path(kind, item).map_err(|e| at(i, e)))
                    .collect::<Result<Vec<_>, _>>()?;
                Builder { kind, paths }
            }
            _ => return nope("the expression is not a non-empty array of paths"),
        };
        if builder.to_json().as_ref() != Some(doc) && !doc.is_null() {
            return nope(
                "the builder would write this expression differently (key or value order, unused data, extra fields)",
            );
        }
        Ok(builder)
    }
}

fn at(i: usize, e: NotRepresentable) -> NotRepresentable {
    NotRepresentable(format!("path {}: {}", i + 1, e.0))
}

fn read_path(kind: Kind, item: &Value) -> Result<PathRule, NotRepresentable> {
    let Some(obj) = item.as_object() else {
        return nope("not an object");
    };
    if let Some(k) = obj.keys().find(|k| *k != "path" && *k != "conditions") {
        return nope(format!("has the field {k:?} the builder does not edit"));
    }
    let path = match obj.get("path") {
        Some(Value::String(p)) => p.clone(),
        _ => return nope("no path string"),
    };
    let conditions = match obj.get("conditions") {
        Some(Value::Array(c)) => c
            .iter()
            .enumerate()
            .map(|(j, c)| {
                read_condition(kind, c)
                    .map_err(|e| NotRepresentable(format!("condition {}: {}", j + 1, e.0)))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return nope("no conditions array"),
    };
    Ok(PathRule { path, conditions })
}

fn read_condition(kind: Kind, c: &Value) -> Result<Condition, NotRepresentable> {
    let Some(obj) = c.as_object() else {
        return nope("not an object");
    };
    let allowed: &[&str] = match kind {
        Kind::Scope => &["httpMethods", "scope_expression"],
        Kind::Acr => &["httpMethods", "required_acrs", "no_auth"],
    };
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return nope(format!("has the field {k:?} the builder does not edit"));
    }
    let mut cond = Condition::new();
    cond.methods = strings(obj.get("httpMethods"), "httpMethods")?;
    if let Some(m) = cond.methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
        return nope(format!(
            "the method {m:?} is not one of the builder's checkboxes"
        ));
    }
    match kind {
        Kind::Scope => {
            if let Some(se) = obj.get("scope_expression") {
                cond.scope = read_scope_expression(se)?;
            }
        }
        Kind::Acr => {
            if let Some(acrs) = obj.get("required_acrs") {
                cond.acrs = strings(Some(acrs), "required_acrs")?;
            }
            cond.no_auth = match obj.get("no_auth") {
                Some(Value::Bool(b)) => *b,
                _ => return nope("no_auth is not true or false"),
            };
        }
    }
    Ok(cond)
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>, NotRepresentable> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                _ => nope(format!("{what} has a value that is not a string")),
            })
            .collect(),
        _ => nope(format!("{what} is not an array")),
    }
}

fn read_scope_expression(se: &Value) -> Result<Group, NotRepresentable> {
    let (Some(rule), Some(Value::Array(data))) = (se.get("rule"), se.get("data")) else {
        return nope("scope_expression needs a rule and a data array");
    };
    let data: Vec<String> = data
        .iter()
        .map(|d| match d {
            Value::String(s) => Ok(s.clone()),
            _ => nope("a data entry is not a string"),
        })
        .collect::<Result<_, _>>()?;
    let mut next = 0;
    let group = read_group(rule, &data, &mut next, 0)?;
    if next != data.len() {
        return nope("data has entries no rule uses");
    }
    Ok(group)
}

/// Reads a JSON-logic group; `next` is the `var` index the next value must have (the builder
/// numbers values in order).
fn read_group(
    rule: &Value,
    data: &[String],
    next: &mut usize,
    depth: usize,
) -> Result<Group, NotRepresentable> {
    if depth >= form::MAX_DEPTH {
        return nope(format!(
            "groups are nested deeper than the builder shows ({})",
            form::MAX_DEPTH
        ));
    }
    let Some(obj) = rule.as_object().filter(|o| o.len() == 1) else {
        return nope(format!("the rule {rule} is not an and/or/! group"));
    };
    let (op, arg) = obj.iter().next().expect("one entry");
    match op.as_str() {
        "and" | "or" => {
            let Value::Array(items) = arg else {
                return nope(format!("{op} needs an array"));
            };
            let op = if op == "and" { Op::And } else { Op::Or };
            let items = items
                .iter()
                .map(|i| read_item(i, data, next, depth))
                .collect::<Result<_, _>>()?;
            Ok(Group { op, items })
        }
        "!" => {
            // {"!": {"or": [a, b, ...]}} is a NOT of several items; {"!": x} a NOT of one.
            if let Some(Value::Array(items)) = arg.get("or") {
                if arg.as_object().is_some_and(|o| o.len() == 1) && items.len() >= 2 {
                    let items = items
                        .iter()
                        .map(|i| read_item(i, data, next, depth))
                        .collect::<Result<_, _>>()?;
                    return Ok(Group { op: Op::Not, items });
                }
            }
            Ok(Group {
                op: Op::Not,
                items: vec![read_item(arg, data, next, depth)?],
            })
        }
        other => nope(format!(
            "the operator {other:?} is not one the builder writes"
        )),
    }
}

fn read_item(
    v: &Value,
    data: &[String],
    next: &mut usize,
    depth: usize,
) -> Result<Item, NotRepresentable> {
    if let Some(var) = v.get("var") {
        if v.as_object().is_some_and(|o| o.len() == 1) {
            let index = var.as_u64().map(|n| n as usize);
            if index != Some(*next) {
                return nope(format!(
                    "{{\"var\": {var}}} is out of order (the builder numbers values 0, 1, 2, ...)"
                ));
            }
            let Some(value) = data.get(*next) else {
                return nope(format!("{{\"var\": {var}}} has no data entry"));
            };
            *next += 1;
            return Ok(Item::Scope(value.clone()));
        }
    }
    read_group(v, data, next, depth + 1).map(Item::Group)
}

fn group_json(g: &Group, data: &mut Vec<String>) -> Value {
    let items: Vec<Value> = g
        .items
        .iter()
        .map(|i| match i {
            Item::Scope(s) => {
                data.push(s.clone());
                json!({"var": data.len() - 1})
            }
            Item::Group(inner) => group_json(inner, data),
        })
        .collect();
    match g.op {
        Op::And => json!({"and": items}),
        Op::Or => json!({"or": items}),
        Op::Not if items.len() == 1 => {
            json!({"!": items.into_iter().next().expect("one item")})
        }
        Op::Not => json!({"!": {"or": items}}),
    }
}

/// The builder-level problems the policy engine cannot name: empty groups and NOT groups whose
/// meaning would change. Field address (see [`form`]) → message.
pub fn builder_errors(b: &Builder, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, p) in b.paths.iter().enumerate() {
        for (j, c) in p.conditions.iter().enumerate() {
            if b.kind == Kind::Scope && !c.scope.items.is_empty() {
                group_errors(&c.scope, &format!("{prefix}.{i}.{j}.g"), &mut out);
            }
            if b.kind == Kind::Acr && !c.no_auth && c.acrs.is_empty() {
                out.push((
                    format!("{prefix}.{i}.{j}.acrs"),
                    "Add an ACR value, or tick no_auth".to_owned(),
                ));
            }
        }
    }
    out
}

fn group_errors(g: &Group, at: &str, out: &mut Vec<(String, String)>) {
    for (k, item) in g.items.iter().enumerate() {
        if let Item::Group(inner) = item {
            let inner_at = format!("{at}.{k}");
            if inner.items.is_empty() {
                out.push((
                    inner_at.clone(),
                    "This group has no scope values".to_owned(),
                ));
            }
            group_errors(inner, &inner_at, out);
        }
    }
}

/// The builder form address of a policy validation error's JSON pointer, e.g.
/// `/0/conditions/1/httpMethods/2` → `scope.0.1.methods`.
pub fn address_of(prefix: &str, pointer: Option<&str>) -> String {
    let parts: Vec<&str> = pointer
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match parts.as_slice() {
        [i, "path", ..] => format!("{prefix}.{i}.path"),
        [i, "conditions", j, "httpMethods", ..] => format!("{prefix}.{i}.{j}.methods"),
        [i, "conditions", j, "scope_expression", ..] => format!("{prefix}.{i}.{j}.g"),
        [i, "conditions", j, "required_acrs", ..] | [i, "conditions", j, "no_auth", ..] => {
            format!("{prefix}.{i}.{j}.acrs")
        }
        [i, "conditions", j, ..] => format!("{prefix}.{i}.{j}.methods"),
        [i, "conditions"] => format!("{prefix}.{i}.conditions"),
        [i, ..] => format!("{prefix}.{i}.path"),
        [] => prefix.to_owned(),
    }
}

#[cfg(test)]
mod tests;
