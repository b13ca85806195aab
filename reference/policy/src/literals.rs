//! Literal edges of the matcher: one open-addressing table keyed by (parent node, segment) for
//! the whole tree, so following a literal segment costs one probe and never touches the parent
//! node itself.
//!
//! Keys of up to 16 bytes are stored inline as two words (no heap string to dereference). The
//! hash is rustc's Fx hash; keys come from the configuration only and a hit is always confirmed
//! by comparing parent, length and bytes, so collisions cannot route a request elsewhere.

use crate::tree::NodeId;

const INLINE: usize = 16;
const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The key's bytes as [`key_words`] packs them (inline keys), or `[index into long keys, 0]`.
    words: [u64; 2],
    len: u32,
    parent: NodeId,
    child: NodeId,
    /// The child has no literal children of its own (set by [`Edges::mark_literal_free`]): the
    /// next segment's lookup can skip this table, and the cache miss a probe costs.
    child_literal_free: bool,
}

const EMPTY_SLOT: Slot = Slot {
    words: [0, 0],
    len: EMPTY,
    parent: 0,
    child: 0,
    child_literal_free: false,
};

#[inline]
fn fx(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// The folded 64×64→128-bit multiply (as foldhash and wyhash mix): one multiplication mixes
/// both words into every bit of the result, low bits included.
#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Arbitrary odd constants (the fractional digits of pi), so that zero words still mix.
const SEED: [u64; 2] = [0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344];

#[inline]
fn word8(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(w)
}

#[inline]
fn word4(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_le_bytes(w))
}

/// A key of at most 16 bytes as two words, with two (possibly overlapping) loads: the first
/// and last 8 bytes, the first and last 4, or first/middle/last byte. Together with the length
/// this covers every byte, so equal words and lengths mean equal keys.
#[inline]
fn key_words(bytes: &[u8]) -> [u64; 2] {
    let n = bytes.len();
    match n {
        8..=16 => [word8(bytes, 0), word8(bytes, n - 8)],
        4..=7 => [word4(bytes, 0) | (word4(bytes, n - 4) << 32), 0],
        1..=3 => [
            u64::from(bytes[0]) | (u64::from(bytes[n / 2]) << 8) | (u64::from(bytes[n - 1]) << 16),
            0,
        ],
        _ => [0, 0],
    }
}

/// The segment's words (when short) and the hash of (parent, segment).
#[inline]
fn probe(parent: NodeId, segment: &str) -> ([u64; 2], u64) {
    let bytes = segment.as_bytes();
    let meta = (u64::from(parent) << 32) | bytes.len() as u64;
    if bytes.len() <= INLINE {
        let words = key_words(bytes);
        // One multiplication instead of a chain of three: the probe is most of a decision's
        // instructions on deep paths.
        (
            words,
            fold_mul(words[0] ^ SEED[0], words[1] ^ meta ^ SEED[1]),
        )
    } else {
        ([0, 0], long_key_hash(fx(0, meta), bytes))
    }
}

/// Keys longer than 16 bytes are rare in paths; kept out of line so the common probe stays
/// small enough to keep its values in registers.
#[cold]
#[inline(never)]
fn long_key_hash(mut hash: u64, bytes: &[u8]) -> u64 {
    for chunk in bytes.chunks(8) {
        let mut word = 0u64;
        for (i, b) in chunk.iter().enumerate() {
            word |= u64::from(*b) << (8 * i);
        }
        hash = fx(hash, word);
    }
    hash
}

/// The first slot to probe: the hash's high and low bits folded (a plain multiplicative hash
/// mixes its input into the high bits only, and keys that differ late, like
/// `orders1`/`orders2`, would cluster).
#[inline]
fn home(hash: u64, mask: usize) -> usize {
    ((hash >> 32) ^ hash) as usize & mask
}

/// Every literal edge of a tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Edges {
    /// Power-of-two open-addressing table, at most half full.
    slots: Vec<Slot>,
    /// Every edge in insertion order: (parent, key, child).
    all: Vec<(NodeId, Box<str>, NodeId)>,
}

impl Edges {
    /// The child of `parent` reached by the literal `segment`.
    #[inline]
    pub(crate) fn get(&self, parent: NodeId, segment: &str) -> Option<NodeId> {
        self.get_marked(parent, segment).map(|(child, _)| child)
    }

    /// [`get`](Self::get), and whether the child is marked as having no literal children.
    #[inline(always)]
    pub(crate) fn get_marked(&self, parent: NodeId, segment: &str) -> Option<(NodeId, bool)> {
        if self.slots.is_empty() {
            return None;
        }
        let (words, hash) = probe(parent, segment);
        let mask = self.slots.len() - 1;
        let mut i = home(hash, mask);
        loop {
            let slot = &self.slots[i];
            if slot.len == EMPTY {
                return None;
            }
            if slot.parent == parent
                && slot.len as usize == segment.len()
                && self.same_key(slot, &words, segment)
            {
                return Some((slot.child, slot.child_literal_free));
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    fn same_key(&self, slot: &Slot, words: &[u64; 2], segment: &str) -> bool {
        if segment.len() <= INLINE {
            slot.words == *words
        } else {
            self.same_long_key(slot, segment)
        }
    }

    #[cold]
    #[inline(never)]
    fn same_long_key(&self, slot: &Slot, segment: &str) -> bool {
        self.all
            .get(slot.words[0] as usize)
            .is_some_and(|(_, k, _)| &**k == segment)
    }

    /// Adds an edge; the caller never adds the same (parent, key) twice.
    pub(crate) fn insert(&mut self, parent: NodeId, key: &str, child: NodeId) {
        self.all.push((parent, key.into(), child));
        if (self.all.len() * 2) > self.slots.len() {
            // At most half full: an absent key (a near miss) ends its probe at an empty slot soon.
            let capacity = (self.all.len() * 2).next_power_of_two().max(8);
            self.slots = vec![EMPTY_SLOT; capacity];
            for index in 0..self.all.len() {
                self.place(index);
            }
        } else {
            self.place(self.all.len() - 1);
        }
    }

    fn place(&mut self, index: usize) {
        let (parent, key, child) = &self.all[index];
        let (words, hash) = probe(*parent, key);
        let slot = Slot {
            words: if key.len() <= INLINE {
                words
            } else {
                [index as u64, 0]
            },
            len: u32::try_from(key.len()).unwrap_or(EMPTY - 1),
            parent: *parent,
            child: *child,
            child_literal_free: false,
        };
        let mask = self.slots.len() - 1;
        let mut i = home(hash, mask);
        while self.slots[i].len != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    /// Marks every edge whose child `literal_free` says has no literal children, and unmarks
    /// the others. An unmarked edge only costs a probe; the tree calls this once it is built.
    pub(crate) fn mark_literal_free(&mut self, literal_free: impl Fn(NodeId) -> bool) {
        for slot in &mut self.slots {
            if slot.len != EMPTY {
                slot.child_literal_free = literal_free(slot.child);
            }
        }
    }

    /// The literal children of `parent`, in insertion order (not on the request path).
    pub(crate) fn children(&self, parent: NodeId) -> impl Iterator<Item = (&str, NodeId)> + '_ {
        self.all
            .iter()
            .filter(move |(p, _, _)| *p == parent)
            .map(|(_, k, c)| (&**k, *c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_short_long_and_empty_keys_per_parent() {
        let mut e = Edges::default();
        let keys = [
            "a",
            "",
            "a-rather-long-segment-name",
            "exactly16bytes!!",
            "x\0",
        ];
        let mut next = 100;
        for parent in 0..30 {
            for key in keys {
                e.insert(parent, key, next);
                next += 1;
            }
        }
        let mut expected = 100;
        for parent in 0..30 {
            for key in keys {
                assert_eq!(e.get(parent, key), Some(expected), "{parent} {key:?}");
                expected += 1;
            }
        }
        assert_eq!(e.get(30, "a"), None);
        assert_eq!(e.get(0, "b"), None);
        assert_eq!(e.get(0, "a-rather-long-segment-nam"), None);
        assert_eq!(e.get(0, "x"), None);
        assert_eq!(e.get(0, "a\0"), None);
        assert_eq!(e.children(3).count(), keys.len());
        assert_eq!(Edges::default().get(0, ""), None);
    }

    #[test]
    fn marks_say_which_children_are_literal_free() {
        let mut e = Edges::default();
        for (i, key) in ["a", "b", "a-rather-long-segment-name"].iter().enumerate() {
            e.insert(0, key, 10 + i as NodeId);
        }
        assert_eq!(
            e.get_marked(0, "a"),
            Some((10, false)),
            "unmarked by default"
        );
        e.mark_literal_free(|child| child != 11);
        assert_eq!(e.get_marked(0, "a"), Some((10, true)));
        assert_eq!(e.get_marked(0, "b"), Some((11, false)));
        assert_eq!(
            e.get_marked(0, "a-rather-long-segment-name"),
            Some((12, true))
        );
        // Growing the table drops the marks (never leaves a wrong one).
        for i in 0..20 {
            e.insert(1, &format!("k{i}"), 100 + i);
        }
        assert_eq!(e.get_marked(0, "a"), Some((10, false)));
    }

    #[test]
    fn keys_differing_late_spread_over_the_table() {
        // `orders1`..`orders999` under one parent: no probe sequence longer than a few slots.
        let mut e = Edges::default();
        for i in 0..1000 {
            e.insert(7, &format!("orders{i}"), i);
        }
        let mask = e.slots.len() - 1;
        let longest = (0..1000)
            .map(|i| {
                let key = format!("orders{i}");
                let (_, hash) = probe(7, &key);
                let mut at = home(hash, mask);
                let mut n = 1;
                while e.slots[at].child != i {
                    at = (at + 1) & mask;
                    n += 1;
                }
                n
            })
            .max()
            .unwrap();
        assert!(longest <= 16, "longest probe {longest}");
    }
}
