//! Lint: what the matching semantics do to a document that its author probably did not mean.
//!
//! For every rule (path × condition × method) the lint builds the requests of the rule's shape
//! (each `?` a fresh segment, each `{regex}` example strings of the regex, each `??` zero, one or
//! two fresh segments; for a `?` method, every method with its own rules plus a fresh one) and
//! runs them through the real matcher. A rule none of them reaches is unreachable; a rule some
//! of them miss is shadowed (typically by the no-backtracking rule). Regex segments that do not
//! anchor themselves are reported too. Lint never rejects a document.

use std::collections::HashSet;

use regex_syntax::hir::{Class, Hir, HirKind};
use serde::Serialize;

use crate::explain::{Recorder, TraceEvent};
use crate::pattern::Pattern;
use crate::pointer::child;
use crate::tree::Segment;
use crate::{Captures, Expression};

/// What a lint warns about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LintKind {
    /// No request of the rule's shape reaches the rule.
    Unreachable,
    /// Some requests of the rule's shape go to another rule or to none.
    Shadowed,
    /// A segment regex is searched, not anchored, so it accepts segments that merely contain a match.
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

/// Sample requests per rule, at most.
const MAX_SAMPLES: usize = 32;
/// Missed examples quoted per shadowed rule.
const MAX_EXAMPLES: usize = 2;

pub(crate) fn lint(expression: &Expression) -> Vec<Lint> {
    let mut lints = Vec::new();
    let fresh = Fresh::new(expression);
    let exact_methods: Vec<&str> = {
        let mut m: Vec<&str> = expression.tree.edges.children(0).map(|(k, _)| k).collect();
        m.sort_unstable();
        m
    };
    for (k, item) in expression.items.iter().enumerate() {
        let item_at = child("", k);
        lint_regexes(item, &item_at, &mut lints);
        let Some(samples) = sample_paths(&item.segments, &fresh) else {
            continue; // a regex we cannot produce examples for: no verdict
        };
        for (c, condition) in expression.item_conditions(item).iter().enumerate() {
            let at = child(&child(&item_at, "conditions"), c);
            for method in condition.http_methods() {
                let methods: Vec<&str> = if method == "?" {
                    exact_methods
                        .iter()
                        .copied()
                        .chain([fresh.method.as_str()])
                        .collect()
                } else {
                    vec![method.as_str()]
                };
                lint_rule(
                    expression,
                    &item.path,
                    &item.segments,
                    method,
                    &methods,
                    &samples,
                    &at,
                    &mut lints,
                );
            }
        }
    }
    lints
}

#[allow(clippy::too_many_arguments)]
fn lint_rule(
    expression: &Expression,
    path: &str,
    segments: &[Segment],
    method: &str,
    methods: &[&str],
    samples: &[String],
    at: &str,
    lints: &mut Vec<Lint>,
) {
    let rule_name = if method == "?" {
        format!("`{path}` (any method)")
    } else {
        format!("`{path}` ({method})")
    };
    let mut reached = false;
    let mut misses = Vec::new();
    for m in methods {
        for sample in samples {
            let mut captures = Captures::new();
            let mut trace = Recorder::default();
            let found = expression.tree.find(m, sample, &mut captures, &mut trace);
            let found_path = found.map(|rule| &*expression.conditions[rule as usize].path);
            if found_path == Some(path) {
                reached = true;
            } else {
                misses.push(describe_miss(
                    m, sample, found_path, method, segments, &trace.0,
                ));
            }
        }
    }
    if misses.is_empty() {
        return;
    }
    let exact = segments
        .iter()
        .all(|s| matches!(s, Segment::Literal(_) | Segment::One));
    let (kind, message) = if !reached {
        let verdict = if exact {
            "can never match"
        } else {
            "appears unreachable: no request of its shape reaches it"
        };
        (
            LintKind::Unreachable,
            format!("{rule_name} {verdict}: {}", misses[0]),
        )
    } else {
        let examples: Vec<&str> = misses
            .iter()
            .take(MAX_EXAMPLES)
            .map(String::as_str)
            .collect();
        (
            LintKind::Shadowed,
            format!(
                "{rule_name} does not get requests it looks meant to cover: {}",
                examples.join("; ")
            ),
        )
    };
    lints.push(Lint {
        kind,
        pointer: at.to_owned(),
        message,
    });
}

/// "GET /a/b goes to `/x` (why)".
fn describe_miss(
    method: &str,
    sample: &str,
    found: Option<&str>,
    rule_method: &str,
    segments: &[Segment],
    steps: &[TraceEvent],
) -> String {
    let destination = match found {
        Some(p) => format!("goes to `{p}`"),
        None => "matches no rule".to_owned(),
    };
    let reason = divergence(rule_method, segments, steps);
    format!("{method} {sample} {destination}{reason}")
}

/// Where the matcher left the rule's own nodes, when that explains the miss.
fn divergence(rule_method: &str, segments: &[Segment], steps: &[TraceEvent]) -> String {
    for step in steps {
        match step {
            TraceEvent::Method {
                method,
                node: Some("exact"),
            } if rule_method == "?" => {
                return format!(
                    " ({method} has rules of its own, so any-method rules are never consulted for {method})"
                );
            }
            TraceEvent::Candidate {
                index,
                segment,
                node,
                matched: true,
                inside_multi: false,
            } => {
                let Some(own) = segments.get(*index) else {
                    break;
                };
                let own_node = match own {
                    Segment::Literal(s) => format!("literal {s:?}"),
                    Segment::One => "?".to_owned(),
                    // A `??` never competes: any node accepting its segment diverged.
                    Segment::Multi => "??".to_owned(),
                    Segment::Regex(p) => format!("{{{}}}", p.source()),
                };
                if *node != own_node {
                    return format!(
                        " (segment `{segment}` is taken by the higher-priority node {node}, and matching never backtracks)"
                    );
                }
            }
            _ => {}
        }
    }
    String::new()
}

fn lint_regexes(item: &crate::Item, at: &str, lints: &mut Vec<Lint>) {
    for segment in &item.segments {
        let Segment::Regex(pattern) = segment else {
            continue;
        };
        if pattern.is_anchored_both_ends() {
            continue;
        }
        let example = examples(pattern)
            .into_iter()
            .map(|e| format!("x{e}x"))
            .find(|e| pattern.is_match(e))
            .map(|e| format!(" (e.g. `{e}`)"))
            .unwrap_or_default();
        lints.push(Lint {
            kind: LintKind::UnanchoredRegex,
            pointer: child(at, "path"),
            message: format!(
                "segment regex `{}` in `{}` is not anchored: it is searched in the segment, so it also \
                 accepts segments that merely contain a match{example}; write `{{^(?:{})$}}` to match \
                 whole segments",
                segment.display(),
                item.path,
                pattern.source()
            ),
        });
    }
}

/// Segment values and a method that appear nowhere in the document.
struct Fresh {
    segments: Vec<String>,
    method: String,
}

impl Fresh {
    fn new(expression: &Expression) -> Fresh {
        let mut used: HashSet<&str> = HashSet::new();
        for item in &expression.items {
            for segment in &item.segments {
                if let Segment::Literal(s) = segment {
                    used.insert(s);
                }
            }
            for condition in expression.item_conditions(item) {
                used.extend(condition.http_methods().iter().map(String::as_str));
            }
        }
        let pick = |preferred: &[&str], stem: &str, n: usize| -> Vec<String> {
            preferred
                .iter()
                .map(|s| s.to_string())
                .chain((0..).map(|i| format!("{stem}{i}")))
                .filter(|s| !used.contains(s.as_str()))
                .take(n)
                .collect()
        };
        let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
        Fresh {
            segments: pick(&["a", "b", "c", "d", "e"], "seg", 2),
            method: pick(&methods, "METHOD", 1).remove(0),
        }
    }
}

/// Request paths of the rule's shape; `None` when a regex yields no usable example.
fn sample_paths(segments: &[Segment], fresh: &Fresh) -> Option<Vec<String>> {
    let mut paths: Vec<Vec<String>> = vec![Vec::new()];
    for segment in segments {
        let options: Vec<Vec<String>> = match segment {
            Segment::Literal(s) => vec![vec![s.to_string()]],
            Segment::One => vec![vec![fresh.segments[0].clone()]],
            Segment::Multi => vec![
                vec![],
                vec![fresh.segments[0].clone()],
                vec![fresh.segments[0].clone(), fresh.segments[1].clone()],
            ],
            Segment::Regex(p) => {
                let examples = examples(p);
                if examples.is_empty() {
                    return None;
                }
                examples.into_iter().map(|e| vec![e]).collect()
            }
        };
        let mut next = Vec::new();
        for path in &paths {
            for option in &options {
                if next.len() < MAX_SAMPLES {
                    let mut p = path.clone();
                    p.extend(option.iter().cloned());
                    next.push(p);
                }
            }
        }
        paths = next;
    }
    Some(
        paths
            .into_iter()
            .map(|segments| format!("/{}", segments.join("/")))
            .collect(),
    )
}

/// Up to three strings the regex matches (one per top-level alternative), without `/`.
fn examples(pattern: &Pattern) -> Vec<String> {
    let Ok(hir) = regex_syntax::parse(pattern.source()) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for choice in 0..3 {
        let mut s = String::new();
        if !example(&hir, choice, &mut s) {
            continue;
        }
        if !s.contains('/') && pattern.is_match(&s) && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Appends a string `hir` matches, taking alternative `choice` (mod count) at alternations.
fn example(hir: &Hir, choice: usize, out: &mut String) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) => {
                out.push_str(s);
                true
            }
            Err(_) => false,
        },
        HirKind::Class(Class::Unicode(class)) => {
            let pick = class
                .iter()
                .flat_map(|r| [r.start(), r.end()])
                .find(|c| c.is_alphanumeric())
                .or_else(|| {
                    class
                        .iter()
                        .map(|r| r.start())
                        .find(|c| *c != '/' && !c.is_control())
                });
            match pick {
                Some(c) => {
                    out.push(c);
                    true
                }
                None => false,
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            match class.iter().map(|r| r.start()).find(u8::is_ascii_graphic) {
                Some(b) => {
                    out.push(char::from(b));
                    true
                }
                None => false,
            }
        }
        HirKind::Repetition(rep) => {
            for _ in 0..rep.min.min(8) {
                if !example(&rep.sub, choice, out) {
                    return false;
                }
            }
            true
        }
        HirKind::Capture(cap) => example(&cap.sub, choice, out),
        HirKind::Concat(items) => items.iter().all(|h| example(h, choice, out)),
        HirKind::Alternation(items) => match items.get(choice % items.len().max(1)) {
            Some(h) => example(h, choice, out),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn lints(items: Value) -> Vec<Lint> {
        Expression::from_value(&items).unwrap().lint()
    }

    fn any(path: &str) -> Value {
        json!({"path": path, "conditions": [{"httpMethods": ["?"]}]})
    }

    #[test]
    fn issue_example_multi_shadowed_by_one() {
        let l = lints(json!([any("/path/??"), any("/path/?/image.jpg")]));
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].kind, LintKind::Shadowed);
        assert_eq!(l[0].pointer, "/0/conditions/0");
        assert!(
            l[0].message.contains("GET /path/a/b matches no rule"),
            "{}",
            l[0].message
        );
        assert!(
            l[0].message.contains("taken by the higher-priority node ?"),
            "{}",
            l[0].message
        );
    }

    #[test]
    fn a_rule_hidden_by_a_multi_at_the_end_never_matches() {
        let l = lints(json!([any("/x"), any("/x/??")]));
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].kind, LintKind::Unreachable);
        assert_eq!(l[0].pointer, "/0/conditions/0");
        assert!(
            l[0].message.contains("`/x` (any method) can never match"),
            "{}",
            l[0].message
        );
        assert!(l[0].message.contains("goes to `/x/??`"), "{}", l[0].message);
    }

    #[test]
    fn multi_continuation_unreachable_next_to_one() {
        let l = lints(json!([any("/path/??/image.jpg"), any("/path/?/image.jpg")]));
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].kind, LintKind::Unreachable);
        assert!(
            l[0].message.contains("appears unreachable"),
            "{}",
            l[0].message
        );
    }

    #[test]
    fn regex_order_shadowing() {
        let l = lints(json!([any("/a/{^.*$}"), any("/a/{^\\d+$}")]));
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].kind, LintKind::Unreachable);
        assert_eq!(l[0].pointer, "/1/conditions/0");
    }

    #[test]
    fn exact_method_hides_any_method_rules() {
        let l = lints(json!([
            {"path": "/payments/??", "conditions": [{"httpMethods": ["GET"]}]},
            any("/??")
        ]));
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].kind, LintKind::Shadowed);
        assert!(
            l[0].message.contains("GET has rules of its own"),
            "{}",
            l[0].message
        );
    }

    #[test]
    fn unanchored_segment_regexes() {
        let l = lints(json!([any("/p/{abc|xyz}/i"), any("/q/{^\\d+$}")]));
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].kind, LintKind::UnanchoredRegex);
        assert_eq!(l[0].pointer, "/0/path");
        assert!(l[0].message.contains("`xabcx`"), "{}", l[0].message);
    }

    #[test]
    fn clean_documents_have_no_lints() {
        let l = lints(json!([
            any("/??"),
            any("/folder/file.ext"),
            any("/transactions/?"),
            any("/users/?/{^(todos|photos)$}"),
        ]));
        assert!(l.is_empty(), "{l:#?}");
        let steppedup = json!([
            {"path": "/payments/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["otp"]}]},
            {"path": "/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["auth_ldap_server"]}]}
        ]);
        assert!(lints(steppedup).is_empty());
    }
}
