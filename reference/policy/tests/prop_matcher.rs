//! Property (a): the compiled matcher agrees with a small reference matcher that recurses over
//! the registered segment patterns directly (no tree, no hashing), implementing the same
//! priority (literal > regex in registration order > `?` > `??`), no backtracking, `??`
//! continuation (fewest segments first, else the `??` rule), end-of-path `??` preference and
//! capture rules.
//!
//! Cases: 384 generated expression sets × 24 generated requests each.

use gatecheck_policy::Expression;
use proptest::prelude::*;
use regex::Regex;
use serde_json::json;

#[derive(Debug, Clone, PartialEq)]
enum Pat {
    Lit(&'static str),
    One,
    Multi,
    Re(&'static str),
}

const LITERALS: [&str; 8] = ["a", "b", "c", "", "d", "e", "f", "a-long-segment-name"];
const REGEXES: [&str; 5] = ["^a$", "b", "^(a|c)$", "(?<PC1>a)(b)?", "\\d"];
const METHODS: [&str; 3] = ["GET", "POST", "?"];
const REQUEST_SEGMENTS: [&str; 14] = [
    "a",
    "b",
    "c",
    "",
    "?",
    "??",
    "1",
    "ab",
    "x",
    "ba2",
    "d",
    "e",
    "f",
    "a-long-segment-name",
];
const REQUEST_METHODS: [&str; 4] = ["GET", "POST", "PUT", "?"];

#[derive(Debug, Clone)]
struct Rule {
    path: String,
    pats: Vec<Pat>,
    methods: Vec<&'static str>,
}

fn pat() -> impl Strategy<Value = Pat> {
    prop_oneof![
        6 => proptest::sample::select(&LITERALS[..]).prop_map(Pat::Lit),
        2 => Just(Pat::One),
        2 => Just(Pat::Multi),
        2 => proptest::sample::select(&REGEXES[..]).prop_map(Pat::Re),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        proptest::collection::vec(pat(), 1..=4),
        proptest::sample::subsequence(&METHODS[..], 1..=2),
    )
        .prop_map(|(mut pats, methods)| {
            // At most one `??` per path (GG rejects more).
            let mut seen_multi = false;
            pats.retain(|p| {
                let keep = !(*p == Pat::Multi && seen_multi);
                seen_multi |= *p == Pat::Multi;
                keep
            });
            let path = pats
                .iter()
                .map(|p| match p {
                    Pat::Lit(s) => s.to_string(),
                    Pat::One => "?".into(),
                    Pat::Multi => "??".into(),
                    Pat::Re(r) => format!("{{{r}}}"),
                })
                .fold(String::new(), |acc, s| acc + "/" + &s);
            Rule {
                path,
                pats,
                methods,
            }
        })
}

fn rules() -> impl Strategy<Value = Vec<Rule>> {
    proptest::collection::vec(rule(), 1..=10).prop_map(|mut rules| {
        let mut seen = Vec::new();
        rules.retain(|r| {
            let fresh = !seen.contains(&r.path);
            seen.push(r.path.clone());
            fresh
        });
        rules
    })
}

fn request() -> impl Strategy<Value = (&'static str, String)> {
    (
        proptest::sample::select(&REQUEST_METHODS[..]),
        proptest::collection::vec(proptest::sample::select(&REQUEST_SEGMENTS[..]), 0..=5),
        any::<bool>(),
    )
        .prop_map(|(method, segments, trailing_slash)| {
            let mut path = String::new();
            for s in &segments {
                path.push('/');
                path.push_str(s);
            }
            if trailing_slash || path.is_empty() {
                path.push('/');
            }
            (method, path)
        })
}

/// The reference matcher: rules that share a prefix of patterns form the "node" we are at.
struct Reference<'r> {
    rules: &'r [Rule],
}

type Found = Option<(String, Vec<String>)>;

impl<'r> Reference<'r> {
    fn find(&self, method: &str, path: &str) -> Found {
        let exact: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.methods.contains(&method))
            .collect();
        let group = if !exact.is_empty() {
            exact
        } else {
            self.rules
                .iter()
                .filter(|r| r.methods.contains(&"?"))
                .collect()
        };
        if group.is_empty() {
            return None;
        }
        let path = path.strip_prefix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        let mut captures = Vec::new();
        self.walk(&group, 0, &segments, &mut captures)
            .map(|rule| (rule.path.clone(), captures))
    }

    /// `group` = the rules whose first `depth` patterns were chosen so far.
    fn walk(
        &self,
        group: &[&'r Rule],
        depth: usize,
        segments: &[&str],
        captures: &mut Vec<String>,
    ) -> Option<&'r Rule> {
        let Some((segment, rest)) = segments.split_first() else {
            // End of path: a `??` child's rule wins over the node's own.
            let multi = children(group, depth, &Pat::Multi);
            return own_rule(&multi, depth + 1).or_else(|| own_rule(group, depth));
        };
        let literal = match *segment {
            "?" => Pat::One,
            "??" => Pat::Multi,
            s => Pat::Lit(leak(s)),
        };
        let by_literal = children(group, depth, &literal);
        if !by_literal.is_empty() {
            return self.walk(&by_literal, depth + 1, rest, captures);
        }
        for re in regex_children(group, depth) {
            let regex = Regex::new(re).unwrap();
            if let Some(c) = regex.captures(segment) {
                if c.len() == 1 {
                    captures.push(c[0].to_string());
                } else {
                    for i in 1..c.len() {
                        captures.push(c.get(i).map_or(String::new(), |m| m.as_str().to_string()));
                    }
                }
                let next = children(group, depth, &Pat::Re(re));
                return self.walk(&next, depth + 1, rest, captures);
            }
        }
        let one = children(group, depth, &Pat::One);
        if !one.is_empty() {
            captures.push(segment.to_string());
            return self.walk(&one, depth + 1, rest, captures);
        }
        let multi = children(group, depth, &Pat::Multi);
        if multi.is_empty() {
            return None;
        }
        if multi.iter().any(|r| r.pats.len() > depth + 1) {
            for skip in 0..segments.len() {
                // Captures after a `??` are discarded: the continuation collects none.
                if let Some(rule) = self.walk_to_end(&multi, depth + 1, &segments[skip..]) {
                    return Some(rule);
                }
            }
        }
        own_rule(&multi, depth + 1)
    }

    /// Inside a `??` subtree: same priorities, must consume every segment, no end preference.
    fn walk_to_end(&self, group: &[&'r Rule], depth: usize, segments: &[&str]) -> Option<&'r Rule> {
        let Some((segment, rest)) = segments.split_first() else {
            return own_rule(group, depth);
        };
        let literal = match *segment {
            "?" => Pat::One,
            "??" => Pat::Multi,
            s => Pat::Lit(leak(s)),
        };
        let by_literal = children(group, depth, &literal);
        if !by_literal.is_empty() {
            return self.walk_to_end(&by_literal, depth + 1, rest);
        }
        for re in regex_children(group, depth) {
            if Regex::new(re).unwrap().is_match(segment) {
                let next = children(group, depth, &Pat::Re(re));
                return self.walk_to_end(&next, depth + 1, rest);
            }
        }
        let one = children(group, depth, &Pat::One);
        if !one.is_empty() {
            return self.walk_to_end(&one, depth + 1, rest);
        }
        None
    }
}

fn leak(s: &str) -> &'static str {
    REQUEST_SEGMENTS
        .iter()
        .chain(LITERALS.iter())
        .find(|l| **l == s)
        .copied()
        .unwrap_or("\u{0}never")
}

fn children<'r>(group: &[&'r Rule], depth: usize, pat: &Pat) -> Vec<&'r Rule> {
    group
        .iter()
        .copied()
        .filter(|r| r.pats.get(depth) == Some(pat))
        .collect()
}

fn own_rule<'r>(group: &[&'r Rule], depth: usize) -> Option<&'r Rule> {
    group.iter().copied().find(|r| r.pats.len() == depth)
}

/// Regex patterns at this position in the order they were first registered.
fn regex_children(group: &[&Rule], depth: usize) -> Vec<&'static str> {
    let mut out = Vec::new();
    for r in group {
        if let Some(Pat::Re(re)) = r.pats.get(depth) {
            if !out.contains(re) {
                out.push(*re);
            }
        }
    }
    out
}

fn document(rules: &[Rule]) -> serde_json::Value {
    json!(rules
        .iter()
        .map(|r| json!({"path": r.path, "conditions": [{"httpMethods": r.methods}]}))
        .collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn compiled_matcher_agrees_with_reference(
        rules in rules(),
        requests in proptest::collection::vec(request(), 24),
    ) {
        let expression = Expression::from_value(&document(&rules)).unwrap();
        let reference = Reference { rules: &rules };
        for (method, path) in &requests {
            let got = expression
                .find(method, path)
                .map(|m| (m.path.to_string(), m.captures.to_vec()));
            let want = reference.find(method, path);
            prop_assert_eq!(&got, &want, "{} {} with {:?}", method, path, rules.iter().map(|r| (&r.path, &r.methods)).collect::<Vec<_>>());
            // The explanation describes the same decision.
            let (explained, why) = expression.explain::<&str>(method, path, &[]);
            prop_assert_eq!(explained.map(|m| m.path.to_string()), got.as_ref().map(|g| g.0.clone()));
            prop_assert_eq!(why.matched_path, got.map(|g| g.0));
        }
    }
}

#[test]
fn reference_matcher_sanity() {
    // The reference itself on the example.
    let rules = vec![
        Rule {
            path: "/path/??".into(),
            pats: vec![Pat::Lit("a"), Pat::Multi],
            methods: vec!["?"],
        },
        Rule {
            path: "/path/?/x".into(),
            pats: vec![Pat::Lit("a"), Pat::One, Pat::Lit("b")],
            methods: vec!["?"],
        },
    ];
    let r = Reference { rules: &rules };
    assert_eq!(r.find("GET", "/a/c/c"), None);
    assert_eq!(
        r.find("GET", "/a/c/b"),
        Some(("/path/?/x".into(), vec!["c".into()]))
    );
    assert_eq!(r.find("GET", "/a"), Some(("/path/??".into(), vec![])));
}
