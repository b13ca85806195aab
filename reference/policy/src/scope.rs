//! Scope expressions (`{"rule": <JSON-logic>, "data": [...]}`): each data entry becomes a boolean
//! against the token's scopes (plain string: exact membership; `^...`: regex searched in each
//! scope, with the `PC1`..`PC9` groups checked against the path captures), then the rule decides.

use std::cell::Cell;

use serde::Serialize;
use serde_json::Value;

use crate::jsonlogic::{Data, Logic};
use crate::pattern::{Pattern, Patterns};
use crate::pointer::child;
use crate::simple::ClassRun;
use crate::{Captures, ValidationError};

/// Named groups checked against path captures: `PC1` ↔ PC1 ... `PC9` ↔ PC9.
const PC_GROUPS: usize = 9;

/// A compiled `{"rule": <JSON-logic>, "data": [...]}` scope expression.
// `repr(C)` with `fast` first: a decision reads only `fast` (and, through it, its terms), so
// that part starts the struct and shares the cache line the condition itself starts on.
#[derive(Debug, Clone)]
#[repr(C)]
pub struct ScopeExpression {
    /// The decision of the common shapes (see [`Fast`]); `None` for any other rule.
    fast: Option<Fast>,
    rule: Logic,
    data: Vec<DataEntry>,
    source: Value,
}

#[derive(Debug, Clone)]
enum DataEntry {
    /// Granted iff a token scope equals it exactly.
    Scope(Box<str>),
    /// Searched in each token scope; `pc_groups` are `(k, group index)` for each `PCk` group.
    Regex {
        pattern: Pattern,
        pc_groups: Vec<(usize, usize)>,
        max_group: usize,
        /// For the common shape `^prefix(?<PCk>...)$`: (prefix, k). Group k is then the scope
        /// minus the prefix, so comparing that with capture k and asking the regex only whether
        /// it matches decides without extracting groups.
        tail_group: Option<(Box<str>, usize)>,
    },
}

/// Longest scope, or regex prefix, a [`Term`] keeps inline.
const INLINE_KEY: usize = 22;

/// The rules Gluu Gateway documents write, `{"and"|"or": [t, ...]}` or a single `t`, where each
/// `t` is `{"var": i}`, `{"!": {"var": i}}` or `{"!!": {"var": i}}` with `i` a data entry,
/// decided term by term with each entry's data inline. With hundreds of rules a decision meets
/// a rule the CPU has not seen lately: the general form (a `Logic` tree, the data vector, each
/// entry's heap string or shared regex) is a pointer chase over a dozen cache lines; this is
/// one allocation of a few lines. Its truth value is the general evaluation's: `and`/`or` of
/// booleans is truthy iff all/any of them is true (the arguments are never empty here), and a
/// `var` in range is its entry's boolean. `is_allowed` against `explain` (the general path)
/// is checked by a property test.
#[derive(Debug, Clone)]
struct Fast {
    /// `or` (else `and`, or a single term).
    any: bool,
    terms: Box<[Term]>,
}

// One cache line each (64 bytes with its inline key), aligned so no term straddles two.
#[derive(Debug, Clone)]
#[repr(align(64))]
struct Term {
    /// `{"!": {"var": i}}`.
    negate: bool,
    kind: TermKind,
}

#[derive(Debug, Clone)]
enum TermKind {
    /// A plain scope entry: granted iff a token scope is exactly `key[..len]`.
    Scope { key: [u8; INLINE_KEY], len: u8 },
    /// A `^prefix(?<PCk>class-repetition)$` entry (`prefix` = `prefix[..len]`, `capture` =
    /// k - 1): a token scope grants iff it is the prefix followed by the path capture (any
    /// text when there are no path captures) and that text is one match of `run`, which is
    /// what the regex decides.
    Tail {
        prefix: [u8; INLINE_KEY],
        len: u8,
        capture: u8,
        run: ClassRun,
    },
    /// Any other entry: the general evaluation of data entry `i`.
    Entry(u32),
}

impl Fast {
    fn compile(rule: &Logic, data: &[DataEntry]) -> Option<Fast> {
        let (any, args) = match rule {
            Logic::And(args) => (false, args.as_slice()),
            Logic::Or(args) => (true, args.as_slice()),
            single => (false, std::slice::from_ref(single)),
        };
        if args.is_empty() {
            return None;
        }
        let terms = args
            .iter()
            .map(|arg| Term::compile(arg, data))
            .collect::<Option<Box<[Term]>>>()?;
        Some(Fast { any, terms })
    }

    #[inline]
    fn is_allowed<S: AsRef<str>>(
        &self,
        data: &[DataEntry],
        scopes: &[S],
        captures: &Captures<'_>,
    ) -> bool {
        for term in self.terms.iter() {
            if term.value(data, scopes, captures) == self.any {
                return self.any;
            }
        }
        !self.any
    }
}

impl Term {
    fn compile(arg: &Logic, data: &[DataEntry]) -> Option<Term> {
        let var = |logic: &Logic| match logic {
            Logic::Var { index, .. } => usize::try_from(*index).ok(),
            _ => None,
        };
        let (negate, index) = match arg {
            Logic::Not(args) | Logic::NotNot(args) => match args.as_slice() {
                [inner] => (matches!(arg, Logic::Not(_)), var(inner)?),
                _ => return None,
            },
            other => (false, var(other)?),
        };
        // Out of range, a `var` is its default or null: left to the general form.
        let entry = data.get(index)?;
        let general = TermKind::Entry(u32::try_from(index).ok()?);
        let kind = match entry {
            DataEntry::Scope(scope) => {
                inline(scope.as_bytes()).map_or(general, |(key, len)| TermKind::Scope { key, len })
            }
            DataEntry::Regex {
                pattern,
                tail_group: Some((prefix, k)),
                ..
            } => match (
                pattern.simple().and_then(|s| s.literal_then_class()),
                inline(prefix.as_bytes()),
                u8::try_from(k - 1),
            ) {
                (Some((literal, run)), Some((key, len)), Ok(capture))
                    if literal == prefix.as_bytes() =>
                {
                    TermKind::Tail {
                        prefix: key,
                        len,
                        capture,
                        run,
                    }
                }
                _ => general,
            },
            DataEntry::Regex { .. } => general,
        };
        Some(Term { negate, kind })
    }

    #[inline]
    fn value<S: AsRef<str>>(
        &self,
        data: &[DataEntry],
        scopes: &[S],
        captures: &Captures<'_>,
    ) -> bool {
        let value = match &self.kind {
            TermKind::Scope { key, len } => {
                let key = &key[..usize::from(*len)];
                scopes.iter().any(|s| s.as_ref().as_bytes() == key)
            }
            TermKind::Tail {
                prefix,
                len,
                capture,
                run,
            } => {
                let prefix = &prefix[..usize::from(*len)];
                let wanted = captures.get(usize::from(*capture)).map(str::as_bytes);
                let any_text = captures.is_empty();
                scopes.iter().any(|s| {
                    s.as_ref()
                        .as_bytes()
                        .strip_prefix(prefix)
                        .is_some_and(|rest| {
                            (any_text || wanted == Some(rest)) && run.matches_all(rest)
                        })
                })
            }
            TermKind::Entry(i) => data
                .get(*i as usize)
                .is_some_and(|e| e.evaluate(scopes, captures, false, &mut |_, _| {})),
        };
        value != self.negate
    }
}

/// `bytes` as an inline key, when short enough.
fn inline(bytes: &[u8]) -> Option<([u8; INLINE_KEY], u8)> {
    let mut key = [0u8; INLINE_KEY];
    key.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some((key, u8::try_from(bytes.len()).ok()?))
}

/// Why a scope expression granted or denied access.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeExplanation {
    /// Each data entry and the boolean it became.
    pub data: Vec<DataEntryExplanation>,
    /// The JSON-logic rule as written.
    pub rule: Value,
    /// The rule's value for those booleans.
    pub value: Value,
    /// Whether `value` is truthy, i.e. access is granted.
    pub allowed: bool,
}

/// How one data entry was decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataEntryExplanation {
    /// The entry as written (a scope, or a regex starting with `^`).
    pub entry: String,
    /// The boolean it became.
    pub value: bool,
    /// The token scope that satisfied it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_scope: Option<String>,
    /// Token scopes the regex matched but whose `PCk` groups disagreed with the path captures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected_by_captures: Vec<String>,
}

impl ScopeExpression {
    /// Compiles a `scope_expression` object; `pointer` locates it in the document.
    #[cfg(test)]
    pub(crate) fn compile(
        value: &Value,
        pointer: &str,
    ) -> Result<ScopeExpression, ValidationError> {
        Self::compile_with(value, pointer, &mut Patterns::default())
    }

    /// Compiles a `scope_expression` object, sharing regexes through `patterns`.
    pub(crate) fn compile_with(
        value: &Value,
        pointer: &str,
        patterns: &mut Patterns,
    ) -> Result<ScopeExpression, ValidationError> {
        let invalid = |message: String, at: String| ValidationError {
            message,
            pointer: Some(at),
        };
        let Value::Object(map) = value else {
            return Err(invalid(
                "scope_expression must be an object with \"rule\" and \"data\"".into(),
                pointer.into(),
            ));
        };
        let Some(rule) = map.get("rule") else {
            return Err(invalid(
                "scope_expression has no \"rule\"".into(),
                pointer.into(),
            ));
        };
        let data_pointer = child(pointer, "data");
        let Some(Value::Array(entries)) = map.get("data") else {
            return Err(invalid(
                "scope_expression \"data\" must be an array of scopes or ^regexes".into(),
                data_pointer,
            ));
        };
        let mut data = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let at = child(&data_pointer, i);
            let Value::String(entry) = entry else {
                return Err(invalid(
                    format!("scope_expression data entries must be strings, found {entry}"),
                    at,
                ));
            };
            data.push(DataEntry::compile(entry, patterns).map_err(|e| invalid(e, at))?);
        }
        let rule = Logic::compile(rule, &child(pointer, "rule"))?;
        Ok(ScopeExpression {
            fast: Fast::compile(&rule, &data),
            rule,
            data,
            source: value.clone(),
        })
    }

    /// Whether a token with `scopes` may access a path that produced `captures`.
    pub fn is_allowed<S: AsRef<str>>(&self, scopes: &[S], captures: &Captures<'_>) -> bool {
        if let Some(fast) = &self.fast {
            return fast.is_allowed(&self.data, scopes, captures);
        }
        let data = LazyData::new(self.data.len(), |i| {
            self.data[i].evaluate(scopes, captures, false, &mut |_, _| {})
        });
        self.rule.eval(&data).truthy()
    }

    /// [`is_allowed`](Self::is_allowed) with the reasons: every data entry's boolean (and the
    /// scope that satisfied it) and the rule's value.
    pub fn explain<S: AsRef<str>>(
        &self,
        scopes: &[S],
        captures: &Captures<'_>,
    ) -> ScopeExplanation {
        let mut entries = Vec::with_capacity(self.data.len());
        let mut booleans = Vec::with_capacity(self.data.len());
        for entry in &self.data {
            let mut matched_scope = None;
            let mut rejected = Vec::new();
            let value = entry.evaluate(scopes, captures, true, &mut |scope, accepted| {
                if accepted {
                    matched_scope = Some(scope.to_owned());
                } else {
                    rejected.push(scope.to_owned());
                }
            });
            booleans.push(value);
            entries.push(DataEntryExplanation {
                entry: entry.source().to_owned(),
                value,
                matched_scope,
                rejected_by_captures: rejected,
            });
        }
        let data = Booleans(booleans);
        let result = self.rule.eval(&data);
        ScopeExplanation {
            data: entries,
            rule: self.source.get("rule").cloned().unwrap_or(Value::Null),
            value: result.to_json(&data),
            allowed: result.truthy(),
        }
    }

    /// The data entries as written.
    pub fn data(&self) -> impl Iterator<Item = &str> {
        self.data.iter().map(DataEntry::source)
    }

    /// The scope expression as written in the document.
    pub fn as_json(&self) -> &Value {
        &self.source
    }
}

impl DataEntry {
    fn compile(entry: &str, patterns: &mut Patterns) -> Result<DataEntry, String> {
        if !entry.starts_with('^') {
            return Ok(DataEntry::Scope(entry.into()));
        }
        let pattern = patterns
            .compile(entry)
            .map_err(|e| format!("Invalid scope regex \"{entry}\": {e}"))?;
        let pc_groups: Vec<(usize, usize)> = (1..=PC_GROUPS)
            .filter_map(|k| pattern.group_index(&format!("PC{k}")).map(|g| (k, g)))
            .collect();
        let max_group = pc_groups.iter().map(|&(_, g)| g).max().unwrap_or(0);
        let tail_group = match pc_groups.as_slice() {
            [(k, _)] => prefix_then_group_to_end(entry, &format!("PC{k}")).map(|p| (p, *k)),
            _ => None,
        };
        Ok(DataEntry::Regex {
            pattern,
            pc_groups,
            max_group,
            tail_group,
        })
    }

    fn source(&self) -> &str {
        match self {
            DataEntry::Scope(s) => s,
            DataEntry::Regex { pattern, .. } => pattern.source(),
        }
    }

    /// The entry's boolean. `seen(scope, accepted)` hears about the satisfying scope (accepted)
    /// and about scopes rejected only because their `PCk` groups disagreed with the captures.
    fn evaluate<S: AsRef<str>>(
        &self,
        scopes: &[S],
        captures: &Captures<'_>,
        report_rejections: bool,
        seen: &mut dyn FnMut(&str, bool),
    ) -> bool {
        match self {
            DataEntry::Scope(wanted) => match scopes.iter().find(|s| s.as_ref() == &**wanted) {
                Some(scope) => {
                    seen(scope.as_ref(), true);
                    true
                }
                None => false,
            },
            DataEntry::Regex {
                pattern,
                pc_groups,
                max_group,
                tail_group,
            } => {
                for scope in scopes {
                    let scope = scope.as_ref();
                    if pc_groups.is_empty() || captures.is_empty() {
                        if pattern.is_match(scope) {
                            seen(scope, true);
                            return true;
                        }
                        continue;
                    }
                    if let Some((prefix, k)) = tail_group {
                        let agrees = scope
                            .strip_prefix(&**prefix)
                            .is_some_and(|rest| captures.get(k - 1) == Some(rest));
                        if agrees && pattern.is_match(scope) {
                            seen(scope, true);
                            return true;
                        }
                        if !agrees && report_rejections && pattern.is_match(scope) {
                            seen(scope, false);
                        }
                        continue;
                    }
                    let mut regex_matched = false;
                    let accepted = pattern.match_groups(scope, *max_group, |group| {
                        regex_matched = true;
                        // Every PCk group present in the regex must equal path capture k.
                        pc_groups
                            .iter()
                            .all(|&(k, g)| matches!((group(g), captures.get(k - 1)), (Some(v), Some(c)) if v == c))
                    });
                    if accepted {
                        seen(scope, true);
                        return true;
                    }
                    if regex_matched {
                        seen(scope, false);
                    }
                }
                false
            }
        }
    }
}

/// `^prefix(?<name>...)$` → `prefix`, when that is the regex's whole shape.
fn prefix_then_group_to_end(source: &str, name: &str) -> Option<Box<str>> {
    use regex_syntax::hir::{HirKind, Look};
    let hir = regex_syntax::parse(source).ok()?;
    let HirKind::Concat(items) = hir.kind() else {
        return None;
    };
    match items
        .iter()
        .map(|h| h.kind())
        .collect::<Vec<_>>()
        .as_slice()
    {
        [HirKind::Look(Look::Start), HirKind::Literal(prefix), HirKind::Capture(group), HirKind::Look(Look::End)]
            if group.name.as_deref() == Some(name) =>
        {
            std::str::from_utf8(&prefix.0).ok().map(Into::into)
        }
        _ => None,
    }
}

/// Data entries evaluated on first use and remembered (the first 64; later ones are cheap to
/// recompute and rare), so a decision allocates nothing.
struct LazyData<F> {
    len: usize,
    known: Cell<u64>,
    values: Cell<u64>,
    compute: F,
}

impl<F: Fn(usize) -> bool> LazyData<F> {
    fn new(len: usize, compute: F) -> Self {
        LazyData {
            len,
            known: Cell::new(0),
            values: Cell::new(0),
            compute,
        }
    }
}

impl<F: Fn(usize) -> bool> Data for LazyData<F> {
    fn get(&self, index: u64) -> Option<bool> {
        let i = usize::try_from(index).ok().filter(|&i| i < self.len)?;
        if i >= 64 {
            return Some((self.compute)(i));
        }
        let bit = 1u64 << i;
        if self.known.get() & bit != 0 {
            return Some(self.values.get() & bit != 0);
        }
        let value = (self.compute)(i);
        self.known.set(self.known.get() | bit);
        if value {
            self.values.set(self.values.get() | bit);
        }
        Some(value)
    }
}

struct Booleans(Vec<bool>);

impl Data for Booleans {
    fn get(&self, index: u64) -> Option<bool> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.0.as_slice().get(i).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope(value: Value) -> ScopeExpression {
        ScopeExpression::compile(&value, "/0/conditions/0/scope_expression").unwrap()
    }

    fn caps<'a>(items: &[&'a str]) -> Captures<'a> {
        items.iter().copied().collect()
    }

    #[test]
    fn plain_entries_need_an_exact_scope() {
        let s = scope(json!({"rule": {"and": [{"var": 0}]}, "data": ["ab"]}));
        assert!(s.is_allowed(&["x", "ab"], &Captures::new()));
        assert!(!s.is_allowed(&["a", "abc", "AB"], &Captures::new()));
        assert!(!s.is_allowed::<&str>(&[], &Captures::new()));
    }

    #[test]
    fn gg_oauth_pep_example_or_with_negation() {
        // From GG's oauth-pep: {"or": [var0, var1, {"!": var2}]} over admin, hrr, employee.
        let s = scope(
            json!({"rule": {"or": [{"var": 0}, {"var": 1}, {"!": {"var": 2}}]},
                             "data": ["admin", "hrr", "employee"]}),
        );
        assert!(s.is_allowed(&["admin"], &Captures::new()));
        assert!(s.is_allowed(&["hrr", "employee"], &Captures::new()));
        assert!(s.is_allowed(&["guest"], &Captures::new()));
        assert!(!s.is_allowed(&["employee"], &Captures::new()));
    }

    #[test]
    fn regex_entries_are_searched_in_each_scope() {
        let s = scope(json!({"rule": {"and": [{"var": 0}]}, "data": ["^transactions:.+$"]}));
        assert!(s.is_allowed(&["openid", "transactions:123"], &caps(&["123"])));
        assert!(!s.is_allowed(&["transactions:"], &Captures::new()));
        assert!(!s.is_allowed(&["my-transactions:1"], &Captures::new()));
    }

    #[test]
    fn pc_groups_must_equal_the_path_captures() {
        let s = scope(json!({"rule": {"and": [{"var": 0}]},
                             "data": ["^transactions:(?<PC1>[^:]+)$"]}));
        assert!(s.is_allowed(&["transactions:123"], &caps(&["123"])));
        assert!(!s.is_allowed(&["transactions:456"], &caps(&["123"])));
        // The first scope fails the capture check, the next one passes.
        assert!(s.is_allowed(&["transactions:456", "transactions:123"], &caps(&["123"])));
        // No path captures: the regex alone decides.
        assert!(s.is_allowed(&["transactions:456"], &Captures::new()));
    }

    #[test]
    fn several_pc_groups_and_missing_captures() {
        let s = scope(json!({"rule": {"var": 0},
                             "data": ["^(?<PC2>[a-z]+):(?<PC1>\\d+)$"]}));
        assert!(s.is_allowed(&["photos:7"], &caps(&["7", "photos"])));
        assert!(!s.is_allowed(&["photos:7"], &caps(&["7", "todos"])));
        // PC2 present in the regex but the path has only one capture: no match.
        assert!(!s.is_allowed(&["photos:7"], &caps(&["7"])));
    }

    #[test]
    fn tail_group_shortcut_agrees_with_group_extraction() {
        assert_eq!(
            prefix_then_group_to_end("^res:(?<PC1>\\d+)$", "PC1").as_deref(),
            Some("res:")
        );
        assert_eq!(
            prefix_then_group_to_end("^res:(?<PC1>\\d+):x$", "PC1"),
            None
        );
        assert_eq!(prefix_then_group_to_end("^res:(?<PC2>\\d+)$", "PC1"), None);
        assert_eq!(prefix_then_group_to_end("res:(?<PC1>\\d+)$", "PC1"), None);
        let fast = scope(json!({"rule": {"var": 0}, "data": ["^res:(?<PC1>\\d+)$"]}));
        // The same decision through group extraction (the extra group defeats the shortcut).
        let slow = scope(json!({"rule": {"var": 0}, "data": ["^res:(?<PC1>\\d+)$()"]}));
        for (scopes, capture) in [
            (vec!["res:12"], "12"),
            (vec!["res:12"], "13"),
            (vec!["res:abc"], "abc"),
            (vec!["xres:12"], "12"),
            (vec!["openid", "res:13", "res:12"], "12"),
            (vec![], "12"),
        ] {
            let captures = caps(&[capture]);
            assert_eq!(
                fast.is_allowed(&scopes, &captures),
                slow.is_allowed(&scopes, &captures),
                "{scopes:?} {capture}"
            );
            assert_eq!(fast.explain(&scopes, &captures), {
                let mut e = slow.explain(&scopes, &captures);
                e.data[0].entry = fast.data().next().unwrap().to_owned();
                e.rule = fast.as_json()["rule"].clone();
                e
            });
        }
        assert!(fast.is_allowed(&["res:12"], &caps(&["12"])));
        assert!(!fast.is_allowed(&["res:abc"], &caps(&["abc"])));
    }

    fn term_kinds(s: &ScopeExpression) -> Option<(bool, Vec<(bool, &'static str)>)> {
        s.fast.as_ref().map(|f| {
            let kinds = f
                .terms
                .iter()
                .map(|t| {
                    let kind = match t.kind {
                        TermKind::Scope { .. } => "scope",
                        TermKind::Tail { .. } => "tail",
                        TermKind::Entry(_) => "entry",
                    };
                    (t.negate, kind)
                })
                .collect();
            (f.any, kinds)
        })
    }

    #[test]
    fn a_term_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Term>(), 64);
    }

    #[test]
    fn fast_form_takes_and_or_of_vars_and_leaves_the_rest() {
        let data = json!([
            "read",
            "^orders:(?<PC1>[^:]+)$",
            "^r:(?<PC1>ab|c)$",
            "a-scope-longer-than-the-inline-key"
        ]);
        let kinds = |rule: Value| term_kinds(&scope(json!({"rule": rule, "data": data})));
        assert_eq!(
            kinds(json!({"or": [{"var": 0}, {"!": {"var": 1}}, {"!!": [{"var": 2}]}, {"var": 3}]})),
            Some((
                true,
                vec![
                    (false, "scope"),
                    (true, "tail"),
                    (false, "entry"),
                    (false, "entry")
                ]
            ))
        );
        assert_eq!(
            kinds(json!({"var": 1})),
            Some((false, vec![(false, "tail")]))
        );
        assert_eq!(
            kinds(json!({"!": [{"var": 0}]})),
            Some((false, vec![(true, "scope")]))
        );
        for general in [
            json!({"and": []}),
            json!({"var": 4}),
            json!({"var": [9, true]}),
            json!({"and": [{"var": 0}, true]}),
            json!({"!": [{"var": 0}, {"var": 1}]}),
            json!({"and": [{"or": [{"var": 0}]}]}),
            json!({"if": [{"var": 0}, true, false]}),
            json!(true),
        ] {
            assert_eq!(kinds(general.clone()), None, "{general}");
        }
    }

    proptest::proptest! {
        /// The fast form decides as the general evaluation (`explain`, which never takes it)
        /// on rules of its shapes over plain, tail-shaped and other regex entries.
        #[test]
        fn fast_form_agrees_with_the_general_evaluation(
            any in proptest::bool::ANY,
            terms in proptest::collection::vec((0..7u64, 0..3usize), 1..4),
            scopes in proptest::collection::vec(
                proptest::sample::select(vec![
                    "read", "o:1", "o:12", "o:", "o:1:2", "o:é", "xo:1", "r:a", "r:ab", "r:c", "p:ab",
                    "p:abc", "p:a", "openid",
                ]),
                0..4,
            ),
            captures in proptest::collection::vec(
                proptest::sample::select(vec!["1", "12", "1:2", "é", "a", "ab", ""]), 0..3),
        ) {
            const DATA: [&str; 7] = [
                "read",
                "^o:(?<PC1>[^:]+)$",
                "^o:(?<PC1>[0-9]{1,1})$",
                "^p:(?<PC2>.{2,2})$",
                "^r:(?<PC1>ab|c)$",
                "^o:(?<PC1>[0-9]+):(?<PC2>[0-9]+)$",
                "^o:.+$",
            ];
            let args: Vec<Value> = terms
                .iter()
                .map(|&(i, wrap)| match wrap {
                    0 => json!({"var": i}),
                    1 => json!({"!": {"var": i}}),
                    _ => json!({"!!": [{"var": i}]}),
                })
                .collect();
            let rule = json!({if any { "or" } else { "and" }: args});
            let s = scope(json!({"rule": rule, "data": DATA}));
            proptest::prop_assert!(s.fast.is_some());
            let captures = caps(&captures);
            proptest::prop_assert_eq!(
                s.is_allowed(&scopes, &captures),
                s.explain(&scopes, &captures).allowed,
                "{} {:?} {:?}", rule, scopes, captures
            );
        }
    }

    #[test]
    fn regex_without_pc_groups_ignores_captures() {
        let s = scope(json!({"rule": {"var": 0}, "data": ["^read:(\\d+)$"]}));
        assert!(s.is_allowed(&["read:1"], &caps(&["999"])));
    }

    #[test]
    fn explain_reports_booleans_scopes_and_rule_value() {
        let s = scope(json!({"rule": {"and": [{"var": 0}, {"var": 1}]},
                             "data": ["^transactions:(?<PC1>.+)$", "openid"]}));
        let e = s.explain(&["transactions:9", "transactions:1"], &caps(&["1"]));
        assert!(e.data[0].value);
        assert_eq!(e.data[0].matched_scope.as_deref(), Some("transactions:1"));
        assert_eq!(
            e.data[0].rejected_by_captures,
            vec!["transactions:9".to_string()]
        );
        assert!(!e.data[1].value);
        assert_eq!(e.value, json!(false));
        assert!(!e.allowed);
        assert_eq!(e.rule, json!({"and": [{"var": 0}, {"var": 1}]}));
    }

    #[test]
    fn lazy_data_handles_more_than_64_entries() {
        let data: Vec<String> = (0..70).map(|i| format!("s{i}")).collect();
        let s =
            scope(json!({"rule": {"and": [{"var": 69}, {"var": 3}, {"var": 3}]}, "data": data}));
        assert!(s.is_allowed(&["s3", "s69"], &Captures::new()));
        assert!(!s.is_allowed(&["s3"], &Captures::new()));
    }

    #[test]
    fn rejects_malformed_scope_expressions_with_pointers() {
        let at = "/0/conditions/0/scope_expression";
        for (value, message, pointer) in [
            (json!("x"), "must be an object", at.to_string()),
            (json!({"data": []}), "no \"rule\"", at.to_string()),
            (
                json!({"rule": true}),
                "\"data\" must be an array",
                format!("{at}/data"),
            ),
            (
                json!({"rule": true, "data": [1]}),
                "must be strings",
                format!("{at}/data/0"),
            ),
            (
                json!({"rule": true, "data": ["^(x"]}),
                "Invalid scope regex \"^(x\"",
                format!("{at}/data/0"),
            ),
            (
                json!({"rule": true, "data": ["^(a)\\1"]}),
                "back-reference",
                format!("{at}/data/0"),
            ),
            (
                json!({"rule": {"in": []}, "data": []}),
                "Unsupported JSON-logic operator",
                format!("{at}/rule/in"),
            ),
        ] {
            let err = ScopeExpression::compile(&value, at).unwrap_err();
            assert!(err.message.contains(message), "{value}: {}", err.message);
            assert_eq!(err.pointer, Some(pointer), "{value}");
        }
    }
}
