//! gatecheck-policy: Gluu Gateway's path / scope / ACR expressions.
//!
//! One JSON document format serves `oauth_scope_expression`, `uma_scope_expression` and
//! `required_acrs_expression`. [`Expression::parse`] validates a document (with Gluu Gateway's
//! messages) and compiles it into a matcher; [`Expression::find`] picks the rule that protects a
//! `(method, path)` pair; [`ScopeExpression::is_allowed`] decides whether a token's scopes satisfy
//! the matched condition.
//!
//! The crate is pure: no I/O, no async, no HTTP types.
//!
//! CONTRACT (used by the gateway before this crate is finished): the public signatures below are
//! stable; implementations may add items but must not change these.

use std::fmt;

/// A validated, compiled expression document.
#[derive(Debug, Clone)]
pub struct Expression {
    _private: (),
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
#[derive(Debug, Clone)]
pub struct Condition {
    _private: (),
}

/// A compiled `{"rule": <JSON-logic>, "data": [...]}` scope expression.
#[derive(Debug, Clone)]
pub struct ScopeExpression {
    _private: (),
}

/// Path captures PC1..PCn of a match; slices of the request path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captures<'p> {
    _p: std::marker::PhantomData<&'p str>,
}

/// The result of matching a request against an [`Expression`].
#[derive(Debug, Clone)]
pub struct Match<'e, 'p> {
    /// The registered path string of the matched rule, e.g. `/transactions/?`.
    pub path: &'e str,
    /// The condition registered for the request's method.
    pub condition: &'e Condition,
    /// PC1..PCn.
    pub captures: Captures<'p>,
}

impl Expression {
    /// Parses, validates and compiles an expression document given as JSON text.
    pub fn parse(json: &str) -> Result<Expression, ValidationError> {
        let _ = json;
        todo!("policy: parse")
    }

    /// Validates and compiles an already-decoded JSON document.
    pub fn from_value(value: &serde_json::Value) -> Result<Expression, ValidationError> {
        let _ = value;
        todo!("policy: from_value")
    }

    /// Finds the rule protecting `(method, path)`; `path` is the normalised request path
    /// (no query). `None` when no rule matches.
    pub fn find<'e, 'p>(&'e self, method: &str, path: &'p str) -> Option<Match<'e, 'p>> {
        let _ = (method, path);
        todo!("policy: find")
    }
}

impl Condition {
    /// The condition's scope expression, if it has one.
    pub fn scope_expression(&self) -> Option<&ScopeExpression> {
        todo!("policy: scope_expression")
    }

    /// `required_acrs` of the condition (ACR expressions); `None` when absent.
    pub fn required_acrs(&self) -> Option<&[String]> {
        todo!("policy: required_acrs")
    }

    /// `no_auth` of the condition (ACR expressions); `false` when absent.
    pub fn no_auth(&self) -> bool {
        todo!("policy: no_auth")
    }
}

impl ScopeExpression {
    /// Whether a token with `scopes` may access a path that produced `captures`.
    pub fn is_allowed<S: AsRef<str>>(&self, scopes: &[S], captures: &Captures<'_>) -> bool {
        let _ = (scopes, captures);
        todo!("policy: is_allowed")
    }
}

impl<'p> Captures<'p> {
    /// Number of captures.
    pub fn len(&self) -> usize {
        todo!("policy: captures len")
    }

    /// True when there are no captures.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Capture `i` (0-based: `get(0)` is PC1).
    pub fn get(&self, i: usize) -> Option<&'p str> {
        let _ = i;
        todo!("policy: captures get")
    }

    /// The captures in order.
    pub fn iter(&self) -> impl Iterator<Item = &'p str> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}
