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

/// `None` in a [`Node`]'s id fields.
const NONE: u32 = u32::MAX;
/// [`Node::meta`]'s flag: the `one` child has no literal children (set by [`Tree::finish`]).
const ONE_LITERAL_FREE: u32 = 1 << 31;

/// A node of the tree, 16 bytes: four to a cache line. At a thousand rules the nodes a decision
/// visits are rarely in L1, and each line a node straddles is a miss; what only building or the
/// rare paths need (the literal child count, the regex children) lives beside the nodes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    one: NodeId,
    multi: NodeId,
    rule: RuleId,
    /// The regex children's index in [`Tree::regexes`] (`!ONE_LITERAL_FREE` when none), and the
    /// [`ONE_LITERAL_FREE`] flag.
    meta: u32,
}

impl Default for Node {
    fn default() -> Self {
        Node {
            one: NONE,
            multi: NONE,
            rule: NONE,
            meta: !ONE_LITERAL_FREE,
        }
    }
}

#[inline]
fn some(id: u32) -> Option<u32> {
    (id != NONE).then_some(id)
}

impl Node {
    /// The `?` child.
    #[inline]
    pub(crate) fn one(&self) -> Option<NodeId> {
        some(self.one)
    }

    /// The `??` child.
    #[inline]
    pub(crate) fn multi(&self) -> Option<NodeId> {
        some(self.multi)
    }

    /// The rule registered at this node.
    #[inline]
    pub(crate) fn rule(&self) -> Option<RuleId> {
        some(self.rule)
    }

    /// Whether the `?` child has no literal children (meaningful once the tree is marked).
    #[inline]
    pub(crate) fn one_literal_free(&self) -> bool {
        self.meta & ONE_LITERAL_FREE != 0
    }

    /// The index of the regex children in [`Tree::regexes`].
    #[inline]
    fn regex_list(&self) -> Option<usize> {
        let index = self.meta & !ONE_LITERAL_FREE;
        (index != !ONE_LITERAL_FREE).then_some(index as usize)
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
    /// Each node's number of literal children (the edges themselves live in [`Tree::edges`]).
    pub(crate) literal_children: Vec<u32>,
    /// The regex children of the nodes that have any, in registration order.
    regexes: Vec<Vec<(Pattern, NodeId)>>,
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
            literal_children: vec![0],
            regexes: Vec::new(),
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
        self.nodes[node as usize].rule = rule;
    }

    /// Marks the children that have no literal children, once every rule is inserted: the
    /// step into such a child then skips the literal lookup for the next segment (one probe of
    /// the edge table, usually a cache miss, for each `?` or `{regex}` segment after a literal
    /// or a `?`). A request segment spelled `?` or `??` still reaches the wildcard child.
    pub(crate) fn finish(&mut self) {
        let free = &self.literal_children;
        let is_free = |id: NodeId| free.get(id as usize).is_some_and(|&n| n == 0);
        self.edges.mark_literal_free(is_free);
        for node in &mut self.nodes {
            if node.one().is_some_and(is_free) {
                node.meta |= ONE_LITERAL_FREE;
            } else {
                node.meta &= !ONE_LITERAL_FREE;
            }
        }
        self.marked = true;
    }

    fn child(&mut self, parent: NodeId, segment: &Segment) -> NodeId {
        let existing = {
            let node = self.node(parent);
            match segment {
                Segment::Literal(s) => self.edges.get(parent, s),
                Segment::One => node.one(),
                Segment::Multi => node.multi(),
                Segment::Regex(p) => self
                    .regex_children(node)
                    .iter()
                    .find(|(q, _)| q.source() == p.source())
                    .map(|&(_, id)| id),
            }
        };
        if let Some(id) = existing {
            return id;
        }
        // Ids stop below `NONE`; a tree that large (four billion nodes) is not built in memory.
        let id = NodeId::try_from(self.nodes.len()).unwrap_or(NONE - 1);
        self.nodes.push(Node::default());
        self.literal_children.push(0);
        match segment {
            Segment::Literal(s) => {
                self.literal_children[parent as usize] += 1;
                self.edges.insert(parent, s, id);
            }
            Segment::One => self.nodes[parent as usize].one = id,
            Segment::Multi => self.nodes[parent as usize].multi = id,
            Segment::Regex(p) => match self.nodes[parent as usize].regex_list() {
                Some(list) => self.regexes[list].push((p.clone(), id)),
                None => {
                    let list = u32::try_from(self.regexes.len()).unwrap_or(!ONE_LITERAL_FREE);
                    let node = &mut self.nodes[parent as usize];
                    node.meta = (node.meta & ONE_LITERAL_FREE) | (list & !ONE_LITERAL_FREE);
                    self.regexes.push(vec![(p.clone(), id)]);
                }
            },
        }
        id
    }

    /// The regex children of `node`, in registration order.
    #[inline]
    pub(crate) fn regex_children(&self, node: &Node) -> &[(Pattern, NodeId)] {
        node.regex_list()
            .and_then(|list| self.regexes.get(list))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether the node has any child.
    fn has_children(&self, id: NodeId) -> bool {
        let node = self.node(id);
        self.literal_children[id as usize] > 0
            || node.regex_list().is_some()
            || node.one().is_some()
            || node.multi().is_some()
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
                return self.node(node).one().map(|id| (id, false));
            }
            if bytes == b"??" {
                return self.node(node).multi().map(|id| (id, false));
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
                        node: self.node(0).one().map(|_| "?"),
                    });
                }
                self.node(0).one()?
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
        if let Some(rule) = node.multi().and_then(|m| self.node(m).rule()) {
            if T::ON {
                trace.event(TraceEvent::End {
                    rule: "the ?? child's rule (it also matches the end of the path)",
                });
            }
            return Some(rule);
        }
        if T::ON {
            trace.event(TraceEvent::End {
                rule: if node.rule().is_some() {
                    "the node's own rule"
                } else {
                    "none: no rule ends here"
                },
            });
        }
        node.rule()
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
        for (pattern, id) in self.regex_children(node) {
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
        if let Some(id) = node.one() {
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
            return Step::Child(id, node.one_literal_free());
        }
        match node.multi() {
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
        if self.has_children(multi) {
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
                matched: node.rule().is_some(),
            });
        }
        node.rule()
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
        self.node(node_id).rule()
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
