//! Explanations: the matcher reports what it tried through a [`Tracer`]; the fast path uses a
//! tracer that is compiled away, [`Expression::explain`](crate::Expression::explain) one that
//! records, so an explanation always describes the algorithm that decides.

use serde::Serialize;

use crate::scope::ScopeExplanation;

/// One step of a match, in the order the matcher took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum TraceEvent {
    /// The method lookup: `node` is `exact`, `?` (any-method rules) or none.
    Method {
        /// The request method.
        method: String,
        /// Which method subtree was entered.
        node: Option<&'static str>,
    },
    /// A candidate node tried for a path segment.
    Candidate {
        /// 0-based index of the path segment.
        index: usize,
        /// The path segment.
        segment: String,
        /// The candidate: `literal "x"`, `{regex}` or `?`.
        node: String,
        /// Whether it accepted the segment (the first that does is taken, no backtracking).
        matched: bool,
        /// Whether this happened while trying a continuation after a `??`.
        inside_multi: bool,
    },
    /// A `??` tried consuming `skip` segments before its continuation.
    MultiSkip {
        /// Segments consumed by the `??`.
        skip: usize,
        /// Whether the continuation then matched to the end of the path.
        matched: bool,
    },
    /// No continuation matched: the `??` node's own rule covers the rest of the path, if it has one.
    MultiRule {
        /// Whether the `??` node carries a rule.
        matched: bool,
    },
    /// Every segment was consumed: which rule applies at the final node.
    End {
        /// The rule chosen at the end.
        rule: &'static str,
    },
}

/// Receives the matcher's steps.
pub(crate) trait Tracer {
    /// Whether events are wanted (a constant, so disabled tracing costs nothing).
    const ON: bool;
    fn event(&mut self, event: TraceEvent);
}

/// The fast path: records nothing.
pub(crate) struct NoTrace;

impl Tracer for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn event(&mut self, _event: TraceEvent) {}
}

/// Records every step.
#[derive(Default)]
pub(crate) struct Recorder(pub(crate) Vec<TraceEvent>);

impl Tracer for Recorder {
    const ON: bool = true;
    fn event(&mut self, event: TraceEvent) {
        self.0.push(event);
    }
}

/// Why a request got its decision: the matcher's steps, the rule it found, and (when the rule's
/// condition has a scope expression and scopes were given) the scope decision's reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The matcher's steps in order.
    pub steps: Vec<TraceEvent>,
    /// The registered path of the matched rule, if any.
    pub matched_path: Option<String>,
    /// PC1..PCn of the match.
    pub captures: Vec<String>,
    /// The scope decision, when the matched condition has a scope expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeExplanation>,
}
