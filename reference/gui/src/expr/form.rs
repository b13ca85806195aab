//! The builder as form fields, and its buttons.
//!
//! With prefix `P` (`scope` or `acr`):
//!
//! | field | what |
//! |---|---|
//! | `P.i.path` | path *i* |
//! | `P.i.j.c` | marks condition *j* of path *i* (hidden) |
//! | `P.i.j.methods` | ticked method checkboxes, in order |
//! | `P.i.j.acrs`, `P.i.j.acrs.new` | ACR values (tag input) |
//! | `P.i.j.no_auth` | the `no_auth` checkbox |
//! | `G.op` | the operator radio of group `G` (`P.i.j.g` is a condition's root group) |
//! | `G.k.s` | scope value *k* of group `G` |
//! | `G.k.op`, `G.k.*` | nested group *k* of group `G` |
//! | `G.new` | the scope entry box of group `G` |
//!
//! The buttons are `<button name="op" value="ACTION:ADDRESS">`: `add-path:P`,
//! `remove-path:P.i`, `add-condition:P.i`, `remove-condition:P.i.j`, `add-group:G`,
//! `remove-group:G.k`. The form posts back, the server applies the button to the submitted
//! content and renders the form again, so the builder works without JavaScript; the state is
//! the form itself. Ops are applied by the addresses the page was rendered with, so values
//! removed by the script (gaps in the numbering) never shift a button onto another element.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::{Builder, Condition, Group, Item, Kind, Op, PathRule, METHODS};
use crate::forms::FormData;

/// Nested groups deeper than this are not read (a form cannot make the server recurse deeper).
pub const MAX_DEPTH: usize = 6;
/// Paths, conditions per path and items per group read at most.
pub const MAX_ITEMS: usize = 200;

/// Child indices of every address: `P` → {0, 1}, `P.0` → {0}, `P.0.0.g` → {0, 2}, ...
struct Index<'f> {
    form: &'f FormData,
    children: HashMap<String, BTreeSet<usize>>,
}

impl<'f> Index<'f> {
    fn new(form: &'f FormData, prefix: &str) -> Self {
        let mut children: HashMap<String, BTreeSet<usize>> = HashMap::new();
        let start = format!("{prefix}.");
        for (k, _) in form.pairs() {
            if !k.starts_with(&start) {
                continue;
            }
            let mut parent = String::with_capacity(k.len());
            for (n, part) in k.split('.').enumerate() {
                if n > 0 {
                    if let Ok(i) = part.parse::<usize>() {
                        let set = children.entry(parent.clone()).or_default();
                        if set.len() < MAX_ITEMS {
                            set.insert(i);
                        }
                    }
                    parent.push('.');
                }
                parent.push_str(part);
            }
        }
        Self { form, children }
    }

    fn kids(&self, addr: &str) -> Vec<usize> {
        self.children
            .get(addr)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// Reads the builder from the form and applies the pressed button (`op`).
pub fn parse(form: &FormData, prefix: &str, kind: Kind) -> Builder {
    let index = Index::new(form, prefix);
    let op = form.op();
    let mut paths = Vec::new();
    for i in index.kids(prefix) {
        let addr = format!("{prefix}.{i}");
        if op == format!("remove-path:{addr}") || form.get(&format!("{addr}.path")).is_none() {
            continue;
        }
        let mut conditions = Vec::new();
        for j in index.kids(&addr) {
            let c = format!("{addr}.{j}");
            if !form.has(&format!("{c}.c")) || op == format!("remove-condition:{c}") {
                continue;
            }
            conditions.push(Condition {
                methods: form
                    .all(&format!("{c}.methods"))
                    .into_iter()
                    .filter(|m| METHODS.contains(m))
                    .fold(Vec::new(), |mut acc, m| {
                        if !acc.iter().any(|x: &String| x == m) {
                            acc.push(m.to_owned());
                        }
                        acc
                    }),
                scope: parse_group(&index, &format!("{c}.g"), op, 0),
                acrs: form.tags(&format!("{c}.acrs")),
                no_auth: form.has(&format!("{c}.no_auth")),
            });
        }
        if op == format!("add-condition:{addr}") {
            conditions.push(Condition::new());
        }
        paths.push(PathRule {
            path: form.text(&format!("{addr}.path")).to_owned(),
            conditions,
        });
    }
    if op == format!("add-path:{prefix}") {
        paths.push(PathRule {
            path: String::new(),
            conditions: vec![Condition::new()],
        });
    }
    Builder { kind, paths }
}

fn parse_group(index: &Index<'_>, addr: &str, op: &str, depth: usize) -> Group {
    let form = index.form;
    let mut group = Group::new(
        form.get(&format!("{addr}.op"))
            .and_then(Op::parse)
            .unwrap_or(Op::And),
    );
    for k in index.kids(addr) {
        let item = format!("{addr}.{k}");
        if form.has(&format!("{item}.op")) {
            if depth + 1 < MAX_DEPTH && op != format!("remove-group:{item}") {
                group
                    .items
                    .push(Item::Group(parse_group(index, &item, op, depth + 1)));
            }
        } else if let Some(v) = form.get(&format!("{item}.s")) {
            let v = v.trim();
            if !v.is_empty() {
                group.items.push(Item::Scope(v.to_owned()));
            }
        }
    }
    let entry = form.text(&format!("{addr}.new"));
    if !entry.is_empty() {
        group.items.push(Item::Scope(entry.to_owned()));
    }
    if op == format!("add-group:{addr}") && depth + 1 < MAX_DEPTH {
        group.items.push(Item::Group(Group::new(Op::Or)));
    }
    group
}

/// One row of a group's rendering: groups are flattened into open/value/close rows so the
/// template needs no recursion.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    /// `open`, `scope` or `close`.
    pub row: &'static str,
    /// The group's or value's address.
    pub addr: String,
    /// The operator (`open` rows).
    pub op: &'static str,
    /// The scope value (`scope` rows).
    pub value: String,
    /// Nesting depth (0 = the condition's root group).
    pub depth: usize,
    /// Whether another group may be nested here.
    pub can_nest: bool,
}

/// A method checkbox.
#[derive(Debug, Clone, Serialize)]
pub struct MethodBox {
    /// The method (`?` = any).
    pub method: &'static str,
    /// Ticked.
    pub checked: bool,
}

/// A condition as the template shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionView {
    /// `P.i.j`.
    pub addr: String,
    /// Checkboxes: the ticked methods first in their order, then the rest, so the submitted
    /// order is the expression's.
    pub methods: Vec<MethodBox>,
    /// The scope group rows.
    pub group: Vec<GroupRow>,
    /// ACR values.
    pub acrs: Vec<String>,
    /// `no_auth`.
    pub no_auth: bool,
}

/// A path as the template shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PathView {
    /// `P.i`.
    pub addr: String,
    /// 1-based number shown.
    pub number: usize,
    /// The path text.
    pub path: String,
    /// Its conditions.
    pub conditions: Vec<ConditionView>,
}

/// The builder as the template shows it.
pub fn view(b: &Builder, prefix: &str) -> Vec<PathView> {
    b.paths
        .iter()
        .enumerate()
        .map(|(i, p)| PathView {
            addr: format!("{prefix}.{i}"),
            number: i + 1,
            path: p.path.clone(),
            conditions: p
                .conditions
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let addr = format!("{prefix}.{i}.{j}");
                    let mut methods: Vec<MethodBox> = c
                        .methods
                        .iter()
                        .filter_map(|m| METHODS.iter().find(|x| **x == m))
                        .map(|m| MethodBox {
                            method: m,
                            checked: true,
                        })
                        .collect();
                    methods.extend(
                        METHODS
                            .iter()
                            .filter(|m| !c.methods.iter().any(|x| x == *m))
                            .map(|m| MethodBox {
                                method: m,
                                checked: false,
                            }),
                    );
                    let mut group = Vec::new();
                    group_rows(&c.scope, &format!("{addr}.g"), 0, &mut group);
                    ConditionView {
                        addr,
                        methods,
                        group,
                        acrs: c.acrs.clone(),
                        no_auth: c.no_auth,
                    }
                })
                .collect(),
        })
        .collect()
}

fn group_rows(g: &Group, addr: &str, depth: usize, out: &mut Vec<GroupRow>) {
    let row = |row, addr: String, op: &'static str, value: String| GroupRow {
        row,
        addr,
        op,
        value,
        depth,
        can_nest: depth + 1 < MAX_DEPTH,
    };
    out.push(row("open", addr.to_owned(), g.op.as_str(), String::new()));
    for (k, item) in g.items.iter().enumerate() {
        let item_addr = format!("{addr}.{k}");
        match item {
            Item::Scope(s) => out.push(row("scope", item_addr, "", s.clone())),
            Item::Group(inner) => group_rows(inner, &item_addr, depth + 1, out),
        }
    }
    out.push(row("close", addr.to_owned(), g.op.as_str(), String::new()));
}

/// The form fields a browser would submit for `b` (what [`view`] renders, every value in its
/// own field): lets tests check that render → submit → parse is the identity.
pub fn fields(b: &Builder, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, p) in b.paths.iter().enumerate() {
        let addr = format!("{prefix}.{i}");
        out.push((format!("{addr}.path"), p.path.clone()));
        for (j, c) in p.conditions.iter().enumerate() {
            let c_addr = format!("{addr}.{j}");
            out.push((format!("{c_addr}.c"), "1".into()));
            for m in &c.methods {
                out.push((format!("{c_addr}.methods"), m.clone()));
            }
            match b.kind {
                Kind::Scope => group_fields(&c.scope, &format!("{c_addr}.g"), &mut out),
                Kind::Acr => {
                    for a in &c.acrs {
                        out.push((format!("{c_addr}.acrs"), a.clone()));
                    }
                    if c.no_auth {
                        out.push((format!("{c_addr}.no_auth"), "on".into()));
                    }
                }
            }
        }
    }
    out
}

fn group_fields(g: &Group, addr: &str, out: &mut Vec<(String, String)>) {
    out.push((format!("{addr}.op"), g.op.as_str().into()));
    for (k, item) in g.items.iter().enumerate() {
        let item_addr = format!("{addr}.{k}");
        match item {
            Item::Scope(s) => out.push((format!("{item_addr}.s"), s.clone())),
            Item::Group(inner) => group_fields(inner, &item_addr, out),
        }
    }
    out.push((format!("{addr}.new"), String::new()));
}
