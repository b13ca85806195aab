//! gatecheck-policy: Gluu Gateway's path / scope / ACR expressions.
//!
//! One JSON document format serves `oauth_scope_expression`, `uma_scope_expression` and
//! `required_acrs_expression`. [`Expression::parse`] validates a document (with Gluu Gateway's
//! messages) and compiles it into a matcher; [`Expression::find`] picks the rule that protects a
//! `(method, path)` pair; [`ScopeExpression::is_allowed`] decides whether a token's scopes satisfy
//! the matched condition. [`Expression::explain`] says why, [`Expression::lint`] warns about rules
//! the matching semantics make unreachable.
//!
//! The crate is pure: no I/O, no async, no HTTP types. A decision ([`Expression::find`] then
//! [`ScopeExpression::is_allowed`]) allocates nothing: captures are slices of the request path
//! kept inline, regexes are compiled once per distinct text, JSON-logic is compiled to a tree.
//!
//! # Where gatecheck differs from Gluu Gateway 4.2
//! Each point is explained in `docs/differences.md#path-and-scope-expressions`.
//! - The `?` method never captures the method name: PC1 is the first *path* capture.
//! - Duplicate methods are detected with set semantics across a path's conditions.
//! - Rejected at validation (GG accepted them and failed or never matched later): invalid JSON, a
//!   path without a leading `/`, a `??` or `{regex}` method, a regex that does not compile or uses
//!   a PCRE-only construct (back-references, look-around, atomic groups, possessive quantifiers,
//!   recursion, conditionals, `\K`, `\G`), a JSON-logic operator other than `and`, `or`, `!`,
//!   `!!`, `if`, `==`, `!=`, `var`, a `var` that is not a non-negative integer, malformed
//!   `scope_expression`/`required_acrs`/`no_auth` values (including an empty `required_acrs`).
//! - JSON-logic follows json-logic-js for both `{"!": [x]}` and `{"!": x}` forms.
//! - A `PCk` group that did not take part in a scope regex match never equals a path capture.
//! - Regexes use the `regex` crate's engine: Unicode-aware classes (`\d` also matches non-ASCII
//!   digits), `$` only at the very end.
//! - A request path without a leading `/` is matched as if it had one.
//!
//! CONTRACT (used by the gateway before this crate is finished): the public signatures below are
//! stable; implementations may add items but must not change these.
#![warn(missing_docs)]

use std::fmt;

mod captures;
mod explain;
mod jsonlogic;
mod jsvalue;
mod lint;
mod literals;
mod pattern;
mod pointer;
mod scope;
mod simple;
mod tree;
mod validate;

pub use captures::Captures;
pub use explain::{Explanation, TraceEvent};
pub use jsonlogic::SUPPORTED_OPERATORS;
pub use lint::{Lint, LintKind};
pub use scope::{DataEntryExplanation, ScopeExplanation, ScopeExpression};
pub use validate::messages;

use explain::{NoTrace, Recorder};
use tree::{RuleId, Tree};

/// A validated, compiled expression document.
#[derive(Debug, Clone)]
pub struct Expression {
    tree: Tree,
    /// Every condition, indexed by `RuleId` (document order): a match reaches its condition,
    /// path included, in one indexed load rather than through the item's own vector.
    conditions: Vec<Condition>,
    items: Vec<Item>,
    document: serde_json::Value,
}

/// A path item; its conditions are a range of [`Expression::conditions`].
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) path: String,
    pub(crate) segments: Vec<tree::Segment>,
    pub(crate) conditions: std::ops::Range<usize>,
}

/// Why an expression document was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The message; for Gluu Gateway's own checks exactly GG's text
    /// (e.g. `Duplicate path in expression`).
    pub message: String,
    /// JSON pointer of the offending item (e.g. `/0/conditions/1/httpMethods`), when known.
    pub pointer: Option<String>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValidationError {}

/// One condition of a path rule (the part of a `conditions[]` entry besides `httpMethods`).
// `repr(C)` with the scope expression first: what a decision reads starts the struct.
#[derive(Debug, Clone)]
#[repr(C)]
pub struct Condition {
    /// The registered path of the condition's item (what [`Match::path`] gives).
    path: Box<str>,
    scope_expression: Option<ScopeExpression>,
    http_methods: Vec<String>,
    required_acrs: Option<Vec<String>>,
    no_auth: bool,
    fields: serde_json::Map<String, serde_json::Value>,
}

/// The result of matching a request against an [`Expression`].
#[derive(Debug, Clone)]
pub struct Match<'e, 'p> {
    /// The registered path string of the matched rule, e.g. `/transactions/?`.
    pub path: &'e str,
    /// The condition registered for the request's method.
    pub condition: &'e Condition,
    /// Which (path, condition) pair matched: an index that is stable for this expression and
    /// distinct per pair, so a cache can name the rule without copying its path.
    pub rule: usize,
    /// PC1..PCn.
    pub captures: Captures<'p>,
}

impl Expression {
    /// Parses, validates and compiles an expression document given as JSON text.
    pub fn parse(json: &str) -> Result<Expression, ValidationError> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| ValidationError {
            message: format!("Invalid JSON in expression: {e}"),
            pointer: Some(String::new()),
        })?;
        Expression::from_value(&value)
    }

    /// Validates and compiles an already-decoded JSON document. `null` means "no expression":
    /// nothing is protected.
    pub fn from_value(value: &serde_json::Value) -> Result<Expression, ValidationError> {
        let validated = validate::validate(value)?;
        let mut tree = Tree::default();
        let mut conditions = Vec::new();
        let mut items = Vec::with_capacity(validated.len());
        for item in validated {
            let start = conditions.len();
            for mut condition in item.conditions {
                // `RuleId::MAX` is the tree's "no rule".
                let rule = RuleId::try_from(conditions.len())
                    .ok()
                    .filter(|&r| r < RuleId::MAX)
                    .ok_or_else(|| ValidationError {
                        message: "Expression has too many rules".into(),
                        pointer: None,
                    })?;
                for method in &condition.http_methods {
                    tree.insert(method, &item.segments, rule);
                }
                condition.path = item.path.as_str().into();
                conditions.push(condition);
            }
            items.push(Item {
                path: item.path,
                segments: item.segments,
                conditions: start..conditions.len(),
            });
        }
        tree.finish();
        Ok(Expression {
            tree,
            conditions,
            items,
            document: value.clone(),
        })
    }

    /// Finds the rule protecting `(method, path)`; `path` is the normalised request path
    /// (no query). `None` when no rule matches.
    pub fn find<'e, 'p>(&'e self, method: &str, path: &'p str) -> Option<Match<'e, 'p>> {
        let mut captures = Captures::new();
        let rule = self.tree.find(method, path, &mut captures, &mut NoTrace)?;
        Some(self.to_match(rule, captures))
    }

    /// [`find`](Self::find) plus the reasons: every candidate node tried, the rule found and,
    /// when its condition has a scope expression, each data entry's boolean for `scopes` and the
    /// rule's value.
    pub fn explain<'e, 'p, S: AsRef<str>>(
        &'e self,
        method: &str,
        path: &'p str,
        scopes: &[S],
    ) -> (Option<Match<'e, 'p>>, Explanation) {
        let mut captures = Captures::new();
        let mut recorder = Recorder::default();
        let found = self
            .tree
            .find(method, path, &mut captures, &mut recorder)
            .map(|rule| self.to_match(rule, captures));
        let scope = found.as_ref().and_then(|m| {
            m.condition
                .scope_expression()
                .map(|s| s.explain(scopes, &m.captures))
        });
        let explanation = Explanation {
            steps: recorder.0,
            matched_path: found.as_ref().map(|m| m.path.to_owned()),
            captures: found
                .as_ref()
                .map(|m| m.captures.to_vec())
                .unwrap_or_default(),
            scope,
        };
        (found, explanation)
    }

    /// Warnings about the document: rules that can never match, requests of a rule's shape that
    /// the no-backtracking rule sends elsewhere, unanchored segment regexes. Never errors.
    pub fn lint(&self) -> Vec<Lint> {
        lint::lint(self)
    }

    /// The registered paths with their conditions, in document order.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &[Condition])> {
        self.items
            .iter()
            .map(|i| (i.path.as_str(), self.item_conditions(i)))
    }

    /// Whether the document has no rules (it was `null`).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The document as given (e.g. for UMA resource registration).
    pub fn document(&self) -> &serde_json::Value {
        &self.document
    }

    /// The conditions of one item.
    pub(crate) fn item_conditions(&self, item: &Item) -> &[Condition] {
        self.conditions
            .get(item.conditions.clone())
            .unwrap_or_default()
    }

    fn to_match<'p>(&self, rule: RuleId, captures: Captures<'p>) -> Match<'_, 'p> {
        let condition = &self.conditions[rule as usize];
        Match {
            path: &condition.path,
            condition,
            rule: rule as usize,
            captures,
        }
    }
}

impl Condition {
    /// The condition's scope expression, if it has one.
    pub fn scope_expression(&self) -> Option<&ScopeExpression> {
        self.scope_expression.as_ref()
    }

    /// `required_acrs` of the condition (ACR expressions); `None` when absent.
    pub fn required_acrs(&self) -> Option<&[String]> {
        self.required_acrs.as_deref()
    }

    /// `no_auth` of the condition (ACR expressions); `false` when absent.
    pub fn no_auth(&self) -> bool {
        self.no_auth
    }

    /// The condition's methods (`?` = any), without repeats.
    pub fn http_methods(&self) -> &[String] {
        &self.http_methods
    }

    /// Any field of the condition as written (e.g. UMA's `ticketScopes`).
    pub fn field(&self, name: &str) -> Option<&serde_json::Value> {
        self.fields.get(name)
    }
}
