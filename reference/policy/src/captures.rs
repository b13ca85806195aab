//! Path captures PC1..PCn: slices of the request path, kept inline for the common case.

use std::fmt;
use std::hash::{Hash, Hasher};

/// Captures kept without allocation; Gluu Gateway documents at most 9 (PC1..PC9).
pub(crate) const INLINE_CAPTURES: usize = 9;

/// Path captures PC1..PCn of a match; slices of the request path.
///
/// Up to nine captures are stored inline (no allocation); more spill into a vector.
#[derive(Clone)]
pub struct Captures<'p> {
    inline: [&'p str; INLINE_CAPTURES],
    len: usize,
    spill: Vec<&'p str>,
}

impl Default for Captures<'_> {
    fn default() -> Self {
        Captures {
            inline: [""; INLINE_CAPTURES],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl<'p> Captures<'p> {
    /// No captures.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a capture (the next PCk).
    pub fn push(&mut self, capture: &'p str) {
        if self.len < INLINE_CAPTURES {
            self.inline[self.len] = capture;
        } else {
            self.spill.push(capture);
        }
        self.len += 1;
    }

    /// Number of captures.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no captures.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Capture `i` (0-based: `get(0)` is PC1).
    pub fn get(&self, i: usize) -> Option<&'p str> {
        if i >= self.len {
            None
        } else if i < INLINE_CAPTURES {
            Some(self.inline[i])
        } else {
            self.spill.get(i - INLINE_CAPTURES).copied()
        }
    }

    /// The captures in order.
    pub fn iter(&self) -> impl Iterator<Item = &'p str> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }

    /// The captures as owned strings (for logging, caching or JSON output).
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl<'p> FromIterator<&'p str> for Captures<'p> {
    fn from_iter<I: IntoIterator<Item = &'p str>>(iter: I) -> Self {
        let mut captures = Captures::new();
        for capture in iter {
            captures.push(capture);
        }
        captures
    }
}

impl PartialEq for Captures<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Captures<'_> {}

impl Hash for Captures<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        for capture in self.iter() {
            capture.hash(state);
        }
    }
}

impl fmt::Debug for Captures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_spilled_captures_keep_their_order() {
        let names: Vec<String> = (1..=12).map(|i| format!("c{i}")).collect();
        let captures: Captures<'_> = names.iter().map(String::as_str).collect();
        assert_eq!(captures.len(), 12);
        assert_eq!(captures.get(0), Some("c1"));
        assert_eq!(captures.get(8), Some("c9"));
        assert_eq!(captures.get(9), Some("c10"));
        assert_eq!(captures.get(11), Some("c12"));
        assert_eq!(captures.get(12), None);
        assert_eq!(captures.to_vec(), names);
    }

    #[test]
    fn equality_ignores_unused_inline_slots() {
        let mut a = Captures::new();
        a.push("x");
        let b: Captures<'_> = ["x"].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, Captures::new());
        assert!(Captures::new().is_empty());
    }
}
