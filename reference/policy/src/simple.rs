//! A matcher for the regex shapes Gluu Gateway documents use, decided by looking at each byte
//! once: anchored at the start (`^`), then literals, character-class repetitions and
//! alternations of literals, each of which the next byte decides (no backtracking), optionally
//! anchored at the end (`$`). `^transactions:(?<PC1>[^:]+)$`, `^[0-9]+$` and
//! `^(daily|weekly|monthly)$` are of this shape.
//!
//! Why: with hundreds of rules a request meets regexes the CPU has not seen lately, and the
//! general engine's state (strategy, DFA tables, per-regex cache) is many cache lines away. Such a
//! pattern here is a few pieces in one allocation. Any regex not of this shape (or whose pieces
//! could need backtracking) is left to the general engine; the results are the same either way
//! (leftmost-first, as the `regex` crate), which a property test checks.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Positions recorded per match: one per piece boundary.
const MAX_PIECES: usize = 31;

#[derive(Debug, Clone)]
pub(crate) struct Simple {
    pieces: Box<[Piece]>,
    /// `(first piece, end piece)` of each capture group, in group order (group 1 first).
    groups: Box<[(u8, u8)]>,
    anchored_end: bool,
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(Box<[u8]>),
    /// Between `min` and `max` characters of the class, greedily.
    Class {
        set: CharSet,
        min: u32,
        max: u32,
    },
    /// One of the literals; they start with distinct bytes.
    Alternation(Box<[Box<[u8]>]>),
}

/// A set of characters: an ASCII bitmap, and either every non-ASCII character or none.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CharSet {
    ascii: u128,
    non_ascii: bool,
}

impl CharSet {
    #[inline]
    fn contains_lead(&self, byte: u8) -> bool {
        if byte < 0x80 {
            self.ascii & (1u128 << byte) != 0
        } else {
            self.non_ascii
        }
    }

    fn disjoint(&self, other: &CharSet) -> bool {
        self.ascii & other.ascii == 0 && !(self.non_ascii && other.non_ascii)
    }

    fn from_class(class: &Class) -> Option<CharSet> {
        let Class::Unicode(class) = class else {
            return None;
        };
        let mut ascii = 0u128;
        let mut non_ascii_count: u64 = 0;
        for range in class.ranges() {
            let (start, end) = (u32::from(range.start()), u32::from(range.end()));
            for c in start..=end.min(0x7F) {
                ascii |= 1u128 << c;
            }
            let (s, e) = (start.max(0x80), end);
            if s <= e {
                let mut n = u64::from(e - s + 1);
                if s <= 0xD7FF && e >= 0xE000 {
                    n -= 0x800;
                }
                non_ascii_count += n;
            }
        }
        let all_non_ascii = u64::from(0x10FFFFu32 - 0x80 + 1) - 0x800;
        let non_ascii = match non_ascii_count {
            0 => false,
            n if n == all_non_ascii => true,
            _ => return None,
        };
        Some(CharSet { ascii, non_ascii })
    }

    fn from_char_literal(bytes: &[u8]) -> Option<CharSet> {
        match bytes {
            [b] if *b < 0x80 => Some(CharSet {
                ascii: 1u128 << b,
                non_ascii: false,
            }),
            _ => None,
        }
    }
}

impl Piece {
    /// The bytes this piece can start with, when it cannot match empty.
    fn first(&self) -> Option<CharSet> {
        match self {
            Piece::Literal(l) => l.first().map(|&b| lead_set(b)),
            Piece::Class { set, min, .. } => (*min > 0).then_some(*set),
            Piece::Alternation(alts) => {
                let mut set = CharSet {
                    ascii: 0,
                    non_ascii: false,
                };
                for alt in alts.iter() {
                    let lead = lead_set(*alt.first()?);
                    set.ascii |= lead.ascii;
                    set.non_ascii |= lead.non_ascii;
                }
                Some(set)
            }
        }
    }
}

fn lead_set(byte: u8) -> CharSet {
    if byte < 0x80 {
        CharSet {
            ascii: 1u128 << byte,
            non_ascii: false,
        }
    } else {
        CharSet {
            ascii: 0,
            non_ascii: true,
        }
    }
}

impl Simple {
    /// The simple form of `source`, if it has one.
    pub(crate) fn compile(source: &str) -> Option<Simple> {
        let hir = regex_syntax::parse(source).ok()?;
        let items: &[Hir] = match hir.kind() {
            HirKind::Concat(items) => items,
            _ => return None,
        };
        let (first, mut rest) = items.split_first()?;
        if !matches!(first.kind(), HirKind::Look(Look::Start)) {
            return None;
        }
        let mut anchored_end = false;
        if let Some((last, init)) = rest.split_last() {
            if matches!(last.kind(), HirKind::Look(Look::End)) {
                anchored_end = true;
                rest = init;
            }
        }
        let mut pieces = Vec::new();
        let mut groups: Vec<(u32, u8, u8)> = Vec::new();
        for item in rest {
            if let HirKind::Capture(capture) = item.kind() {
                let start = pieces.len();
                match capture.sub.kind() {
                    HirKind::Concat(subs) => {
                        for sub in subs {
                            pieces.push(piece(sub)?);
                        }
                    }
                    _ => pieces.push(piece(&capture.sub)?),
                }
                groups.push((
                    capture.index,
                    u8::try_from(start).ok()?,
                    u8::try_from(pieces.len()).ok()?,
                ));
            } else {
                pieces.push(piece(item)?);
            }
            if pieces.len() > MAX_PIECES {
                return None;
            }
        }
        // Group indexes must be 1..=n in order (no group nested or hidden in a piece).
        if groups
            .iter()
            .enumerate()
            .any(|(i, &(index, s, e))| index as usize != i + 1 || s == e)
        {
            return None;
        }
        // Every variable-length class must give way to what follows on the next byte.
        for (i, p) in pieces.iter().enumerate() {
            if let Piece::Class { set, min, max } = p {
                if max == min {
                    continue;
                }
                match pieces.get(i + 1) {
                    None => {}
                    Some(next) => match next.first() {
                        Some(next_set) if set.disjoint(&next_set) => {}
                        _ => return None,
                    },
                }
            }
        }
        Some(Simple {
            pieces: pieces.into(),
            groups: groups.into_iter().map(|(_, s, e)| (s, e)).collect(),
            anchored_end,
        })
    }

    /// Number of capture groups.
    pub(crate) fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Matches at the start of `haystack`; on success `bounds[k]` is where piece k starts and
    /// `bounds[pieces]` where the match ends.
    #[inline]
    fn run(&self, haystack: &str, bounds: &mut [usize; MAX_PIECES + 1]) -> bool {
        let bytes = haystack.as_bytes();
        let mut at = 0;
        for (k, piece) in self.pieces.iter().enumerate() {
            bounds[k] = at;
            match piece {
                Piece::Literal(lit) => {
                    if !bytes[at..].starts_with(lit) {
                        return false;
                    }
                    at += lit.len();
                }
                Piece::Alternation(alts) => {
                    let Some(&next) = bytes.get(at) else {
                        return false;
                    };
                    match alts.iter().find(|a| a[0] == next) {
                        Some(a) if bytes[at..].starts_with(a) => at += a.len(),
                        _ => return false,
                    }
                }
                Piece::Class { set, min, max } => {
                    match class_span(|b| set.contains_lead(b), *min, *max, bytes, at) {
                        Some(end) => at = end,
                        None => return false,
                    }
                }
            }
        }
        bounds[self.pieces.len()] = at;
        !self.anchored_end || at == bytes.len()
    }

    /// Whether the pattern matches `haystack`.
    #[inline]
    pub(crate) fn is_match(&self, haystack: &str) -> bool {
        self.run(haystack, &mut [0; MAX_PIECES + 1])
    }

    /// On a match, calls `use_match` with the whole match's text and a lookup of group texts by
    /// group index (1-based). Returns whether it matched.
    #[inline]
    pub(crate) fn with_match<'h>(
        &self,
        haystack: &'h str,
        use_match: impl FnOnce(&'h str, &dyn Fn(usize) -> Option<&'h str>),
    ) -> bool {
        let mut bounds = [0; MAX_PIECES + 1];
        if !self.run(haystack, &mut bounds) {
            return false;
        }
        let end = bounds[self.pieces.len()];
        let group = |g: usize| {
            let &(s, e) = self.groups.get(g.checked_sub(1)?)?;
            haystack.get(bounds[s as usize]..bounds[e as usize])
        };
        use_match(&haystack[..end], &group);
        true
    }
}

/// Greedy repetition of a class from `at`: between `min` and `max` characters whose lead byte
/// `contains` accepts. Where it ends, or `None` when fewer than `min` are there. Shared by
/// [`Simple::run`] and [`ClassRun`], so the two cannot disagree.
#[inline]
fn class_span(
    contains: impl Fn(u8) -> bool,
    min: u32,
    max: u32,
    bytes: &[u8],
    mut at: usize,
) -> Option<usize> {
    let mut n = 0;
    while n < max {
        let Some(&b) = bytes.get(at) else { break };
        if !contains(b) {
            break;
        }
        at += utf8_len(b);
        n += 1;
    }
    (n >= min).then_some(at)
}

/// A class repetition (`[^:]+`, `[0-9]{1,9}`) as plain words, small enough to sit next to the
/// data that uses it: the tail of a `^prefix(?<PCk>class)$` scope regex, checked without the
/// pattern's own allocations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClassRun {
    ascii: [u64; 2],
    non_ascii: bool,
    min: u32,
    max: u32,
}

impl ClassRun {
    /// Whether all of `bytes` (a whole `str`'s, or its tail after a complete UTF-8 prefix) is
    /// one match of the repetition.
    #[inline]
    pub(crate) fn matches_all(&self, bytes: &[u8]) -> bool {
        let contains = |b: u8| match b {
            0..=63 => self.ascii[0] & (1u64 << b) != 0,
            64..=127 => self.ascii[1] & (1u64 << (b - 64)) != 0,
            _ => self.non_ascii,
        };
        class_span(contains, self.min, self.max, bytes, 0) == Some(bytes.len())
    }
}

impl Simple {
    /// For `^literal(class-repetition)$` with that group as the only one (the spontaneous-scope
    /// shape `^orders:(?<PC1>[^:]+)$`): the literal and the repetition. A haystack matches iff
    /// it starts with the literal and the rest is one [`ClassRun`] match.
    pub(crate) fn literal_then_class(&self) -> Option<(&[u8], ClassRun)> {
        match (&*self.pieces, &*self.groups, self.anchored_end) {
            ([Piece::Literal(literal), Piece::Class { set, min, max }], [(1, 2)], true) => Some((
                literal,
                ClassRun {
                    ascii: [set.ascii as u64, (set.ascii >> 64) as u64],
                    non_ascii: set.non_ascii,
                    min: *min,
                    max: *max,
                },
            )),
            _ => None,
        }
    }
}

fn piece(hir: &Hir) -> Option<Piece> {
    match hir.kind() {
        HirKind::Literal(lit) if !lit.0.is_empty() => Some(Piece::Literal(lit.0.clone())),
        HirKind::Class(class) => Some(Piece::Class {
            set: CharSet::from_class(class)?,
            min: 1,
            max: 1,
        }),
        HirKind::Repetition(rep) if rep.greedy => {
            let set = match rep.sub.kind() {
                HirKind::Class(class) => CharSet::from_class(class)?,
                HirKind::Literal(lit) => CharSet::from_char_literal(&lit.0)?,
                _ => return None,
            };
            Some(Piece::Class {
                set,
                min: rep.min,
                max: rep.max.unwrap_or(u32::MAX),
            })
        }
        HirKind::Alternation(alts) => {
            let mut literals: Vec<Box<[u8]>> = Vec::with_capacity(alts.len());
            for alt in alts {
                match alt.kind() {
                    HirKind::Literal(lit) if !lit.0.is_empty() => {
                        if literals.iter().any(|l| l[0] == lit.0[0]) {
                            return None;
                        }
                        literals.push(lit.0.clone());
                    }
                    _ => return None,
                }
            }
            Some(Piece::Alternation(literals.into()))
        }
        _ => None,
    }
}

/// Length of the UTF-8 sequence a lead byte starts (the haystack is a `str`).
#[inline]
fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(s: &Simple, h: &str) -> Option<Vec<Option<String>>> {
        let mut out = None;
        s.with_match(h, |whole, g| {
            let mut v = vec![Some(whole.to_string())];
            v.extend((1..=s.group_count()).map(|i| g(i).map(str::to_owned)));
            out = Some(v);
        });
        out
    }

    #[test]
    fn takes_the_shapes_of_gluu_gateway_documents() {
        for source in [
            "^transactions:(?<PC1>[^:]+)$",
            "^orders1:(?<PC1>[^:]+):(?<PC2>[0-9]+)$",
            "^[0-9]+$",
            "^(daily|weekly|monthly)$",
            "^reports:(?<PC1>daily|weekly|monthly)$",
            "^transactions:.+$",
            "^admin",
            "^(?i)abc$",
        ] {
            assert!(Simple::compile(source).is_some(), "{source}");
        }
    }

    #[test]
    fn leaves_what_could_backtrack_or_search_to_the_general_engine() {
        for source in [
            "abc",                  // unanchored: a search
            "^[a-z]+b$",            // the class could give back the b
            "^(a|ab)$",             // alternatives share a first byte
            "^\\d+$",               // Unicode digits: some non-ASCII characters only
            "^(ab)+$",              // a repeated group
            "^a+?b",                // lazy
            "^x(a)?$",              // an optional group
            "^a|b$",                // alternation at the top
            "^(?-u:[\\x00-\\xFF])", // bytes, not characters
        ] {
            assert!(Simple::compile(source).is_none(), "{source}");
        }
    }

    #[test]
    fn matches_like_the_regex_crate() {
        let cases = [
            ("^transactions:(?<PC1>[^:]+)$", "transactions:123"),
            ("^transactions:(?<PC1>[^:]+)$", "transactions:1:2"),
            ("^transactions:(?<PC1>[^:]+)$", "transactions:"),
            ("^transactions:(?<PC1>[^:]+)$", "transactions:é€𝄞"),
            ("^o:(?<PC1>[^:]+):(?<PC2>[0-9]+)$", "o:ab:12"),
            ("^o:(?<PC1>[^:]+):(?<PC2>[0-9]+)$", "o:ab:12x"),
            ("^(daily|weekly|monthly)$", "weekly"),
            ("^(daily|weekly|monthly)$", "week"),
            ("^(daily|weekly|monthly)$", "dailyx"),
            ("^[0-9]{2,3}", "12345"),
            ("^[0-9]{2,3}", "1"),
            ("^a.b", "a\nb"),
            ("^a.b", "aéb"),
            ("^(?i)abc$", "AbC"),
            ("^admin", "administrator"),
        ];
        for (source, haystack) in cases {
            let simple = Simple::compile(source).unwrap();
            let regex = regex::Regex::new(source).unwrap();
            let expected = regex.captures(haystack).map(|c| {
                c.iter()
                    .map(|m| m.map(|m| m.as_str().to_owned()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(
                groups(&simple, haystack),
                expected,
                "{source} on {haystack:?}"
            );
            assert_eq!(simple.is_match(haystack), regex.is_match(haystack));
        }
    }

    #[test]
    fn literal_then_class_is_the_regex_on_the_rest() {
        for (source, literal) in [
            ("^orders:(?<PC1>[^:]+)$", "orders:"),
            ("^o:(?<PC1>[0-9]{2,3})$", "o:"),
            ("^o:(?<PC1>.+)$", "o:"),
        ] {
            let simple = Simple::compile(source).unwrap();
            let regex = regex::Regex::new(source).unwrap();
            let (lit, run) = simple.literal_then_class().unwrap();
            assert_eq!(lit, literal.as_bytes());
            for rest in ["", "1", "12", "123", "1234", "a:b", "é€", "1\n", ":"] {
                let haystack = format!("{literal}{rest}");
                assert_eq!(
                    run.matches_all(rest.as_bytes()),
                    regex.is_match(&haystack),
                    "{source} {rest:?}"
                );
            }
        }
        for source in [
            "^o:(?<PC1>[^:]+):$",
            "^o:(?<PC1>ab|cd)$",
            "^o:[0-9]+$",
            "^o:(?<PC1>[0-9]+)",
            "^(?<PC1>[0-9]+)$",
        ] {
            let simple = Simple::compile(source).unwrap();
            assert!(simple.literal_then_class().is_none(), "{source}");
        }
    }

    proptest::proptest! {
        /// Whatever shape `compile` accepts decides and captures exactly as the regex crate.
        #[test]
        fn accepted_patterns_agree_with_the_regex_crate(
            pieces in proptest::collection::vec(
                (0..9usize, 0..5usize, proptest::bool::ANY), 1..5),
            anchored_end in proptest::bool::ANY,
            haystacks in proptest::collection::vec("[ab:01xyzé\\nd]{0,8}", 1..8),
        ) {
            const ATOMS: [&str; 9] =
                ["a", "ab", ":", "é", "[^:]", "[0-9]", "[a-z]", ".", "(?:x|yz)"];
            const QUANTIFIERS: [&str; 5] = ["", "+", "*", "{1,2}", "{2}"];
            let mut source = String::from("^");
            for (atom, quantifier, capture) in pieces {
                let piece = format!("{}{}", ATOMS[atom], if atom >= 4 { QUANTIFIERS[quantifier] } else { "" });
                if capture {
                    source.push_str(&format!("({piece})"));
                } else {
                    source.push_str(&piece);
                }
            }
            if anchored_end {
                source.push('$');
            }
            let regex = regex::Regex::new(&source).unwrap();
            if let Some(simple) = Simple::compile(&source) {
                proptest::prop_assert_eq!(simple.group_count(), regex.captures_len() - 1);
                for haystack in &haystacks {
                    let expected = regex.captures(haystack).map(|c| {
                        c.iter().map(|m| m.map(|m| m.as_str().to_owned())).collect::<Vec<_>>()
                    });
                    proptest::prop_assert_eq!(groups(&simple, haystack), expected, "{} on {:?}", source, haystack);
                }
            }
        }
    }
}
