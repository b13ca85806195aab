//! Lint (placeholder until the analysis lands).
use serde::Serialize;

/// What a lint warns about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LintKind {
    /// No request can reach the rule.
    Unreachable,
    /// Some requests of the rule's shape go elsewhere or nowhere.
    Shadowed,
    /// A segment regex is searched, not anchored.
    UnanchoredRegex,
}

/// A warning about an expression document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lint {
    /// The kind of warning.
    pub kind: LintKind,
    /// JSON pointer of the item concerned.
    pub pointer: String,
    /// What is wrong, with an example request.
    pub message: String,
}

pub(crate) fn lint(_expression: &crate::Expression) -> Vec<Lint> {
    Vec::new()
}
