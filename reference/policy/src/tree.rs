//! The compiled matcher: Gluu Gateway's path wildcard tree (`path-wildcard-tree.lua`).
//!
//! The method is the first segment, then the path's segments. Per segment one child is chosen,
//! by priority exact literal > regex children (registration order) > `?` > `??`, and there is no
//! backtracking: a chosen child is never revisited when the rest of the path fails. A `??` child is
//! consulted only when nothing else accepts the segment: it consumes the fewest segments after
//! which its subtree matches the rest to the end, else (when it carries a rule) all of them.
//! At the end of the path a `??` child's rule wins over the node's own rule (`/x/??` matches `/x`).

use crate::explain::{TraceEvent, Tracer};
use crate::literals::Edges;
use crate::pattern::Pattern;
use crate::Captures;

pub(crate) type NodeId = u32;
/// Index of a (path, condition) pair in the expression.
pub(crate) type RuleId = u32;

/// One segment of a registered path.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    Literal(Box<str>),
    /// `?`: exactly one segment, captured.
    One,
    /// `??`: zero or more segments, nothing captured.
    Multi,
    /// `{regex}`: one segment in which the regex is searched.
    Regex(Pattern),
}

impl Segment {
    /// How the segment is written in a path.
    pub(crate) fn display(&self) -> String {
        match self {
            Segment::Literal(s) => s.to_string(),
            Segment::One => "?".into(),
            Segment::Multi => "??".into(),
            Segment::Regex(p) => format!("{{{}}}", p.source()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// Number of literal children (the edges themselves live in [`Tree::edges`]).
    literal_children: u32,
    pub(crate) regexes: Vec<(Pattern, NodeId)>,
    pub(crate) one: Option<NodeId>,
    pub(crate) multi: Option<NodeId>,
    pub(crate) rule: Option<RuleId>,
    /// The `one` child has no literal children (set by [`Tree::finish`]).
    one_literal_free: bool,
}

impl Node {
    fn has_children(&self) -> bool {
        self.literal_children > 0
            || !self.regexes.is_empty()
            || self.one.is_some()
            || self.multi.is_some()
    }
}

/// The first request segment and the rest, if any (`"a/b"` → `("a", Some("b"))`).
#[inline]
pub(crate) fn split_first(rest: &str) -> (&str, Option<&str>) {
    // Segments are short: a byte loop beats `find`'s memchr, whose setup dominates here (and
    // an eight-bytes-at-a-time word trick, measured: most segments end in the short tail).
    match rest.bytes().position(|b| b == b'/') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    }
}

/// The request path's segments after the leading `/` (a path without one is matched as if it
/// had one). `"/"` is one empty segment; a trailing `/` adds a final empty segment.
#[inline]
pub(crate) fn path_segments(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

/// The compiled tree: node 0 is the root, whose children are the methods.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    pub(crate) edges: Edges,
    /// Whether the "no literal children" marks (edges' and `one_literal_free`) describe the
    /// tree as it is: [`Tree::finish`] sets them, any insertion makes them stale, and stale
    /// marks are not used.
    marked: bool,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            nodes: vec![Node::default()],
            edges: Edges::default(),
            marked: false,
        }
    }
}

impl Tree {
    /// Registers `segments` under `method` (`?` = any method); a later registration of the same
    /// position replaces the earlier rule, as in Gluu Gateway.
    pub(crate) fn insert(&mut self, method: &str, segments: &[Segment], rule: RuleId) {
        self.marked = false;
        let mut node = if method == "?" {
            self.child(0, &Segment::One)
        } else {
            self.child(0, &Segment::Literal(method.into()))
        };
        for segment in segments {
            node = self.child(node, segment);
        }
        self.nodes[node as usize].rule = Some(rule);
    }

    /// Marks the children that have no literal children, once every rule is inserted: the
    /// step into such a child then skips the literal lookup for the next segment (one probe of
    /// the edge table, usually a cache miss, for each `?` or `{regex}` segment after a literal
    /// or a `?`). A request segment spelled `?` or `??` still reaches the wildcard child.
    pub(crate) fn finish(&mut self) {
        let free: Vec<bool> = self.nodes.iter().map(|n| n.literal_children == 0).collect();
        let is_free = |id: NodeId| free.get(id as usize).copied().unwrap_or(false);
        self.edges.mark_literal_free(is_free);
        for node in &mut self.nodes {
            node.one_literal_free = node.one.is_some_and(is_free);
        }
        self.marked = true;
    }

    fn child(&mut self, parent: NodeId, segment: &Segment) -> NodeId {
        let existing = {
            let node = &self.nodes[parent as usize];
            match segment {
                Segment::Literal(s) => self.edges.get(parent, s),
                Segment::One => node.one,
                Segment::Multi => node.multi,
                Segment::Regex(p) => node
                    .regexes
                    .iter()
                    .find(|(q, _)| q.source() == p.source())
                    .map(|&(_, id)| id),
            }
        };
        if let Some(id) = existing {
            return id;
        }
        let id = NodeId::try_from(self.nodes.len()).unwrap_or(NodeId::MAX);
        self.nodes.push(Node::default());
        let node = &mut self.nodes[parent as usize];
        match segment {
            Segment::Literal(s) => {
                node.literal_children += 1;
                self.edges.insert(parent, s, id);
            }
            Segment::One => node.one = Some(id),
            Segment::Multi => node.multi = Some(id),
            Segment::Regex(p) => node.regexes.push((p.clone(), id)),
        }
        id
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The literal lookup; a request segment spelled `?` or `??` reaches the wildcard child of
    /// that spelling, as in Gluu Gateway where wildcards are stored under those keys.
    #[inline]
    pub(crate) fn literal(&self, node: NodeId, segment: &str) -> Option<NodeId> {
        self.literal_marked(node, false, segment).map(|(id, _)| id)
    }

    /// [`literal`](Self::literal) knowing whether `node` is marked literal-free (then nothing
    /// but `?` and `??` is looked up), and whether the child found is.
    #[inline]
    fn literal_marked(
        &self,
        node: NodeId,
        literal_free: bool,
        segment: &str,
    ) -> Option<(NodeId, bool)> {
        let bytes = segment.as_bytes();
        // One test of the first byte keeps the `?`/`??` spellings off the common path.
        if bytes.first() == Some(&b'?') && bytes.len() <= 2 {
            if bytes == b"?" {
                return self.node(node).one.map(|id| (id, false));
            }
            if bytes == b"??" {
                return self.node(node).multi.map(|id| (id, false));
            }
        }
        if literal_free {
            return None;
        }
        self.edges.get_marked(node, segment)
    }

    /// The rule for `(method, path)`, collecting PC1..PCn into `captures`.
    pub(crate) fn find<'p, T: Tracer>(
        &self,
        method: &str,
        path: &'p str,
        captures: &mut Captures<'p>,
        trace: &mut T,
    ) -> Option<RuleId> {
        // The method is matched first: an exact method subtree hides the `?` one.
        let mut node_id = match self.literal(0, method) {
            Some(id) => {
                if T::ON {
                    trace.event(TraceEvent::Method {
                        method: method.to_owned(),
                        node: Some(if method == "?" { "?" } else { "exact" }),
                    });
                }
                id
            }
            None => {
                if T::ON {
                    trace.event(TraceEvent::Method {
                        method: method.to_owned(),
                        node: self.node(0).one.map(|_| "?"),
                    });
                }
                self.node(0).one?
            }
        };
        let mut rest = Some(path_segments(path));
        let mut index = 0;
        // Whether the current node is known to have no literal children.
        let mut literal_free = false;
        while let Some(current) = rest {
            let (segment, next) = split_first(current);
            let step = self.step(
                node_id,
                literal_free,
                index,
                segment,
                Some(&mut *captures),
                false,
                trace,
            );
            node_id = match step {
                Step::Child(id, free) => {
                    literal_free = free && self.marked;
                    id
                }
                Step::Multi(multi) => return self.match_multi(multi, index, current, trace),
                Step::None => return None,
            };
            rest = next;
            index += 1;
        }
        let node = self.node(node_id);
        if let Some(rule) = node.multi.and_then(|m| self.node(m).rule) {
            if T::ON {
                trace.event(TraceEvent::End {
                    rule: "the ?? child's rule (it also matches the end of the path)",
                });
            }
            return Some(rule);
        }
        if T::ON {
            trace.event(TraceEvent::End {
                rule: if node.rule.is_some() {
                    "the node's own rule"
                } else {
                    "none: no rule ends here"
                },
            });
        }
        node.rule
    }

    /// Picks the child for one segment by priority. `captures` is `None` inside a `??` subtree
    /// (nothing after a `??` is captured). With `inside_multi`, a `??` child is not consulted.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn step<'p, T: Tracer>(
        &self,
        node_id: NodeId,
        literal_free: bool,
        index: usize,
        segment: &'p str,
        mut captures: Option<&mut Captures<'p>>,
        inside_multi: bool,
        trace: &mut T,
    ) -> Step {
        let found = self.literal_marked(node_id, literal_free, segment);
        if T::ON {
            trace.event(TraceEvent::Candidate {
                index,
                segment: segment.to_owned(),
                node: format!("literal {segment:?}"),
                matched: found.is_some(),
                inside_multi,
            });
        }
        if let Some((id, free)) = found {
            return Step::Child(id, free);
        }
        let node = self.node(node_id);
        for (pattern, id) in &node.regexes {
            let matched = match captures {
                Some(ref mut caps) => pattern.captures(segment, |c| caps.push(c.unwrap_or(""))),
                None => pattern.is_match(segment),
            };
            if T::ON {
                trace.event(TraceEvent::Candidate {
                    index,
                    segment: segment.to_owned(),
                    node: format!("{{{}}}", pattern.source()),
                    matched,
                    inside_multi,
                });
            }
            if matched {
                return Step::Child(*id, false);
            }
        }
        if let Some(id) = node.one {
            if T::ON {
                trace.event(TraceEvent::Candidate {
                    index,
                    segment: segment.to_owned(),
                    node: "?".into(),
                    matched: true,
                    inside_multi,
                });
            }
            if let Some(caps) = captures {
                caps.push(segment);
            }
            return Step::Child(id, node.one_literal_free);
        }
        match node.multi {
            Some(id) if !inside_multi => Step::Multi(id),
            _ => Step::None,
        }
    }

    /// A `??` child takes over at segment `index` (`current` = that segment and the rest).
    fn match_multi<T: Tracer>(
        &self,
        multi: NodeId,
        index: usize,
        current: &str,
        trace: &mut T,
    ) -> Option<RuleId> {
        let node = self.node(multi);
        if node.has_children() {
            // Shortest first: skip 0, 1, 2, ... segments, then the subtree must match to the end.
            let mut start = Some(current);
            let mut skip = 0;
            while let Some(s) = start {
                let rule = self.match_to_end(multi, index + skip, s, trace);
                if T::ON {
                    trace.event(TraceEvent::MultiSkip {
                        skip,
                        matched: rule.is_some(),
                    });
                }
                if rule.is_some() {
                    return rule;
                }
                start = split_first(s).1;
                skip += 1;
            }
        }
        if T::ON {
            trace.event(TraceEvent::MultiRule {
                matched: node.rule.is_some(),
            });
        }
        node.rule
    }

    fn match_to_end<T: Tracer>(
        &self,
        from: NodeId,
        mut index: usize,
        segments: &str,
        trace: &mut T,
    ) -> Option<RuleId> {
        let mut node_id = from;
        let mut rest = Some(segments);
        while let Some(current) = rest {
            let (segment, next) = split_first(current);
            node_id = match self.step(node_id, false, index, segment, None, true, trace) {
                Step::Child(id, _) => id,
                Step::Multi(_) | Step::None => return None,
            };
            rest = next;
            index += 1;
        }
        self.node(node_id).rule
    }
}

enum Step {
    /// The child, and whether it is marked as having no literal children.
    Child(NodeId, bool),
    Multi(NodeId),
    None,
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
