//! Regexes of expression documents (`{regex}` path segments and `^...` scope entries): compiled
//! once at validation, searched (not anchored) at request time without allocating.

use std::collections::HashMap;
use std::sync::Arc;

use regex_automata::meta::Regex;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::Input;
use regex_syntax::ast;

use crate::simple::Simple;

/// Capture slots kept on the stack: group 0 plus 15 groups.
const INLINE_SLOTS: usize = 32;

/// A compiled regex with its source text. Clones share one compiled regex (and its search
/// caches), so a regex repeated across rules costs memory once.
#[derive(Debug, Clone)]
pub(crate) struct Pattern(Arc<Compiled>);

impl std::ops::Deref for Pattern {
    type Target = Compiled;
    fn deref(&self) -> &Compiled {
        &self.0
    }
}

/// Compiles each distinct regex of a document once.
#[derive(Default)]
pub(crate) struct Patterns(HashMap<String, Pattern>);

impl Patterns {
    /// The compiled regex for `source`, shared with earlier uses of the same text.
    pub(crate) fn compile(&mut self, source: &str) -> Result<Pattern, String> {
        if let Some(p) = self.0.get(source) {
            return Ok(p.clone());
        }
        let p = Pattern::compile(source)?;
        self.0.insert(source.to_owned(), p.clone());
        Ok(p)
    }
}

#[derive(Debug)]
pub(crate) struct Compiled {
    source: Box<str>,
    regex: Regex,
    /// Number of explicit capture groups (group 0 excluded).
    groups: usize,
    /// A literal every match starts the haystack with (`^abc...`): checked before the regex
    /// runs, so scopes like `openid` are dismissed without entering the regex engine.
    anchored_prefix: Option<Box<str>>,
    /// The same regex as a one-pass matcher, when it has that shape (most regexes of GG
    /// documents do): decided without the general engine and its cold per-regex state.
    simple: Option<Simple>,
}

impl Pattern {
    /// Compiles `source`; the error says what is wrong (and names PCRE-only constructs).
    pub(crate) fn compile(source: &str) -> Result<Pattern, String> {
        if let Some(construct) = unsupported_construct(source) {
            return Err(format!(
                "uses {construct}, which is not supported (gatecheck's regex engine has no \
                 back-tracking-only PCRE features)"
            ));
        }
        match Regex::new(source) {
            Ok(regex) => {
                let groups = regex
                    .group_info()
                    .group_len(regex_automata::PatternID::ZERO)
                    - 1;
                Ok(Pattern(Arc::new(Compiled {
                    source: source.into(),
                    regex,
                    groups,
                    anchored_prefix: anchored_prefix(source),
                    simple: Simple::compile(source).filter(|s| s.group_count() == groups),
                })))
            }
            Err(err) => Err(match err.syntax_error() {
                Some(regex_syntax::Error::Parse(e)) => e.kind().to_string(),
                Some(regex_syntax::Error::Translate(e)) => e.kind().to_string(),
                _ => err.to_string(),
            }),
        }
    }
}

impl Compiled {
    /// The regex as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether the regex matches anywhere in `haystack`.
    pub(crate) fn is_match(&self, haystack: &str) -> bool {
        if !self.may_match(haystack) {
            return false;
        }
        match &self.simple {
            Some(simple) => simple.is_match(haystack),
            None => self.regex.is_match(haystack),
        }
    }

    #[inline]
    fn may_match(&self, haystack: &str) -> bool {
        self.anchored_prefix
            .as_deref()
            .is_none_or(|prefix| haystack.starts_with(prefix))
    }

    /// The one-pass form the regex is decided with, when it has one.
    pub(crate) fn simple(&self) -> Option<&Simple> {
        self.simple.as_ref()
    }

    /// Index of the group named `name`, if the regex has one.
    pub(crate) fn group_index(&self, name: &str) -> Option<usize> {
        self.regex
            .group_info()
            .to_index(regex_automata::PatternID::ZERO, name)
    }

    /// Whether the regex anchors itself at both ends of the haystack (`^...$`, `\A...\z`).
    pub(crate) fn is_anchored_both_ends(&self) -> bool {
        let Ok(hir) = regex_syntax::parse(&self.source) else {
            return false;
        };
        let props = hir.properties();
        props
            .look_set_prefix()
            .contains(regex_syntax::hir::Look::Start)
            && props
                .look_set_suffix()
                .contains(regex_syntax::hir::Look::End)
    }

    /// Searches `haystack`; on a match calls `each` with every group's text in order
    /// (`None` for a group that did not participate) or, for a regex without groups, with the
    /// whole match. Returns whether it matched.
    pub(crate) fn captures<'h>(
        &self,
        haystack: &'h str,
        mut each: impl FnMut(Option<&'h str>),
    ) -> bool {
        if let Some(simple) = &self.simple {
            return simple.with_match(haystack, |whole, group| {
                if self.groups == 0 {
                    each(Some(whole));
                }
                for g in 1..=self.groups {
                    each(group(g));
                }
            });
        }
        if self.groups == 0 {
            return match self.regex.find(haystack) {
                Some(m) => {
                    each(haystack.get(m.range()));
                    true
                }
                None => false,
            };
        }
        self.with_slots(haystack, self.groups, |slots| {
            for group in 1..=self.groups {
                each(slot_text(haystack, slots, group));
            }
        })
    }

    /// Searches `haystack` and, on a match, hands `check` a lookup of group texts by index.
    /// Only the groups up to `max_group` are resolved.
    pub(crate) fn match_groups<'h>(
        &self,
        haystack: &'h str,
        max_group: usize,
        check: impl FnOnce(&dyn Fn(usize) -> Option<&'h str>) -> bool,
    ) -> bool {
        if !self.may_match(haystack) {
            return false;
        }
        if let Some(simple) = &self.simple {
            let mut verdict = false;
            let matched = simple.with_match(haystack, |_, group| verdict = check(group));
            return matched && verdict;
        }
        let mut verdict = false;
        let matched = self.with_slots(haystack, max_group, |slots| {
            verdict = check(&|group| slot_text(haystack, slots, group));
        });
        matched && verdict
    }

    fn with_slots(
        &self,
        haystack: &str,
        max_group: usize,
        use_slots: impl FnOnce(&[Option<NonMaxUsize>]),
    ) -> bool {
        let needed = 2 * (max_group + 1);
        let input = Input::new(haystack);
        if needed <= INLINE_SLOTS {
            let mut slots = [None; INLINE_SLOTS];
            let slots = &mut slots[..needed];
            if self.regex.search_slots(&input, slots).is_none() {
                return false;
            }
            use_slots(slots);
        } else {
            // Rare: a regex with more than 15 groups. Correct, just not allocation-free.
            let mut slots = vec![None; needed];
            if self.regex.search_slots(&input, &mut slots).is_none() {
                return false;
            }
            use_slots(&slots);
        }
        true
    }
}

/// The literal right after a leading `^` (`^transactions:.+$` → `transactions:`), if any.
fn anchored_prefix(source: &str) -> Option<Box<str>> {
    use regex_syntax::hir::{HirKind, Look};
    let hir = regex_syntax::parse(source).ok()?;
    let HirKind::Concat(items) = hir.kind() else {
        return None;
    };
    match (
        items.first().map(|h| h.kind()),
        items.get(1).map(|h| h.kind()),
    ) {
        (Some(HirKind::Look(Look::Start)), Some(HirKind::Literal(lit))) => {
            std::str::from_utf8(&lit.0).ok().map(Into::into)
        }
        _ => None,
    }
}

fn slot_text<'h>(
    haystack: &'h str,
    slots: &[Option<NonMaxUsize>],
    group: usize,
) -> Option<&'h str> {
    let start = slots.get(2 * group).copied().flatten()?.get();
    let end = slots.get(2 * group + 1).copied().flatten()?.get();
    haystack.get(start..end)
}

/// Names a PCRE construct the engine cannot run (back-references, look-around, atomic groups,
/// possessive quantifiers, recursion, conditionals, `\K`, `\G`), if `source` uses one.
fn unsupported_construct(source: &str) -> Option<&'static str> {
    if let Err(err) = ast::parse::Parser::new().parse(source) {
        match err.kind() {
            ast::ErrorKind::UnsupportedBackreference => return Some("a back-reference"),
            ast::ErrorKind::UnsupportedLookAround => {
                return Some("look-around (look-ahead/look-behind)")
            }
            _ => {}
        }
    }
    // PCRE-only syntax: some fails to parse, some (e.g. `a++`) parses with another meaning.
    let bytes = source.as_bytes();
    let mut in_class = false;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        match bytes[i] {
            b'\\' => {
                match bytes.get(i + 1) {
                    Some(b'k') | Some(b'g') if !in_class => return Some("a back-reference"),
                    Some(b'K') if !in_class => return Some("\\K (match reset)"),
                    Some(b'G') if !in_class => return Some("\\G (previous match anchor)"),
                    _ => {}
                }
                i += 2;
                continue;
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            _ if in_class => {}
            b'(' => {
                if rest.starts_with(b"(?>") {
                    return Some("an atomic group");
                }
                if rest.starts_with(b"(?(") {
                    return Some("a conditional group");
                }
                let numbered_recursion =
                    rest.starts_with(b"(?") && rest.get(2).is_some_and(u8::is_ascii_digit);
                if numbered_recursion
                    || rest.starts_with(b"(?R)")
                    || rest.starts_with(b"(?&")
                    || rest.starts_with(b"(?P>")
                {
                    return Some("recursion");
                }
                if rest.starts_with(b"(?|") {
                    return Some("a branch-reset group");
                }
            }
            b'*' | b'+' | b'?' | b'}' if bytes.get(i + 1) == Some(&b'+') => {
                return Some("a possessive quantifier");
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_unanchored_and_captures_whole_match_without_groups() {
        let p = Pattern::compile(r"\d\d\d").unwrap();
        let mut got = Vec::new();
        assert!(p.captures("12345", |c| got.push(c)));
        assert_eq!(got, vec![Some("123")]);
        assert!(Pattern::compile("abc|xyz").unwrap().is_match("xabcx"));
    }

    #[test]
    fn captures_groups_in_order_including_named_ones() {
        let p = Pattern::compile(r"^(?<PC1>[a-z]+)-(\d+)(x)?$").unwrap();
        let mut got = Vec::new();
        assert!(p.captures("abc-42", |c| got.push(c)));
        assert_eq!(got, vec![Some("abc"), Some("42"), None]);
        assert_eq!(p.group_index("PC1"), Some(1));
        assert_eq!(p.group_index("PC2"), None);
        assert!(!p.captures("nope", |_| unreachable!()));
    }

    #[test]
    fn many_groups_fall_back_to_heap_slots() {
        let source = "(a)".repeat(20);
        let p = Pattern::compile(&source).unwrap();
        let mut n = 0;
        assert!(p.captures(&"a".repeat(20), |c| {
            assert_eq!(c, Some("a"));
            n += 1;
        }));
        assert_eq!(n, 20);
    }

    #[test]
    fn names_unsupported_pcre_constructs() {
        for (source, construct) in [
            (r"(a)\1", "back-reference"),
            (r"(?<n>a)\k<n>", "back-reference"),
            (r"a(?=b)", "look-around"),
            (r"(?<!a)b", "look-around"),
            (r"(?>ab)", "atomic group"),
            (r"a++", "possessive"),
            (r"a\Kb", "\\K"),
            (r"(?R)", "recursion"),
            (r"(?(1)a|b)", "conditional"),
        ] {
            let err = Pattern::compile(source).unwrap_err();
            assert!(err.contains(construct), "{source}: {err}");
            assert!(err.contains("not supported"), "{source}: {err}");
        }
    }

    #[test]
    fn reports_plain_syntax_errors() {
        let err = Pattern::compile("(abc").unwrap_err();
        assert!(err.contains("unclosed group"), "{err}");
        assert!(Pattern::compile("[a-").is_err());
    }

    #[test]
    fn anchored_literal_prefixes_prefilter_without_changing_results() {
        assert_eq!(
            anchored_prefix("^transactions:.+$").as_deref(),
            Some("transactions:")
        );
        assert_eq!(
            anchored_prefix("^res7:(?<PC1>[^:]+)$").as_deref(),
            Some("res7:")
        );
        assert_eq!(anchored_prefix("^(a|b)"), None);
        assert_eq!(anchored_prefix("abc"), None);
        assert_eq!(anchored_prefix("(?i)^abc"), None);
        assert_eq!(anchored_prefix("(?m)^abc"), None);
        let p = Pattern::compile("^transactions:(?<PC1>.+)$").unwrap();
        assert!(!p.is_match("openid"));
        assert!(p.is_match("transactions:1"));
        assert!(p.match_groups("transactions:1", 1, |g| g(1) == Some("1")));
        assert!(!p.match_groups("xtransactions:1", 1, |_| true));
    }

    #[test]
    fn knows_whether_it_is_anchored() {
        assert!(Pattern::compile(r"^\d+$").unwrap().is_anchored_both_ends());
        assert!(Pattern::compile(r"^(abc|xyz)$")
            .unwrap()
            .is_anchored_both_ends());
        assert!(!Pattern::compile(r"^abc|xyz$")
            .unwrap()
            .is_anchored_both_ends());
        assert!(!Pattern::compile(r"abc").unwrap().is_anchored_both_ends());
        assert!(!Pattern::compile(r"^abc").unwrap().is_anchored_both_ends());
    }
}
