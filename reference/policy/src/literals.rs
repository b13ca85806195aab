//! Literal children of a matcher node, looked up once per request segment.
//!
//! Keys of up to 16 bytes are stored inline as two words, so a lookup compares words without
//! dereferencing a heap string; a node with more than a few children uses an open-addressing
//! table keyed by the Fx hash (rustc's). Keys come from the configuration only, and a hit is
//! always confirmed by comparing the key, so hash collisions cannot route a request elsewhere.

use crate::tree::NodeId;

/// Children scanned linearly up to this many; hashed beyond.
const FEW: usize = 4;
const INLINE: usize = 16;
const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The key's bytes zero-padded (inline keys), or `[index into long keys, 0]`.
    words: [u64; 2],
    hash: u64,
    len: u32,
    child: NodeId,
}

const EMPTY_SLOT: Slot = Slot {
    words: [0, 0],
    hash: 0,
    len: EMPTY,
    child: 0,
};

/// A segment prepared for lookups: its length, inline words and hash.
struct Probe<'s> {
    segment: &'s str,
    words: [u64; 2],
    hash: u64,
}

impl<'s> Probe<'s> {
    #[inline]
    fn new(segment: &'s str, hashed: bool) -> Self {
        let bytes = segment.as_bytes();
        let mut words = [0u64; 2];
        if bytes.len() <= INLINE {
            // Assembled byte by byte: a variable-length copy into a buffer followed by a word
            // load stalls on store forwarding.
            for (i, b) in bytes.iter().enumerate() {
                words[i / 8] |= u64::from(*b) << (8 * (i % 8));
            }
        }
        let hash = if !hashed {
            0
        } else if bytes.len() <= INLINE {
            fx(fx(fx(0, words[0]), words[1]), bytes.len() as u64)
        } else {
            let mut h = 0;
            for chunk in bytes.chunks(8) {
                let mut word = 0u64;
                for (i, b) in chunk.iter().enumerate() {
                    word |= u64::from(*b) << (8 * i);
                }
                h = fx(h, word);
            }
            fx(h, bytes.len() as u64)
        };
        Probe {
            segment,
            words,
            hash,
        }
    }
}

#[inline]
fn fx(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// The literal children of one node.
#[derive(Debug, Clone, Default)]
pub(crate) struct Literals {
    /// Up to `FEW` entries in insertion order, or a power-of-two open-addressing table.
    slots: Vec<Slot>,
    hashed: bool,
    /// Every key, in insertion order (for iteration and for keys longer than `INLINE`).
    keys: Vec<(Box<str>, NodeId)>,
}

impl Literals {
    #[inline]
    pub(crate) fn get(&self, segment: &str) -> Option<NodeId> {
        if self.keys.is_empty() {
            return None;
        }
        let probe = Probe::new(segment, self.hashed);
        if !self.hashed {
            return self
                .slots
                .iter()
                .find(|s| self.matches(s, &probe))
                .map(|s| s.child);
        }
        let mask = self.slots.len() - 1;
        let mut i = probe.hash as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.len == EMPTY {
                return None;
            }
            if slot.hash == probe.hash && self.matches(slot, &probe) {
                return Some(slot.child);
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    fn matches(&self, slot: &Slot, probe: &Probe<'_>) -> bool {
        if slot.len as usize != probe.segment.len() {
            return false;
        }
        if probe.segment.len() <= INLINE {
            slot.words == probe.words
        } else {
            self.keys
                .get(slot.words[0] as usize)
                .is_some_and(|(k, _)| &**k == probe.segment)
        }
    }

    /// Adds a child; the caller never inserts a key twice.
    pub(crate) fn insert(&mut self, key: &str, child: NodeId) {
        self.keys.push((key.into(), child));
        let fits = self.hashed && self.keys.len() * 2 <= self.slots.len();
        if !fits {
            self.rebuild();
            return;
        }
        let slot = Self::slot_of(self.keys.len() - 1, key, child);
        let mask = self.slots.len() - 1;
        let mut i = slot.hash as usize & mask;
        while self.slots[i].len != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn slot_of(index: usize, key: &str, child: NodeId) -> Slot {
        let probe = Probe::new(key, true);
        Slot {
            words: if key.len() <= INLINE {
                probe.words
            } else {
                [index as u64, 0]
            },
            hash: probe.hash,
            len: u32::try_from(key.len()).unwrap_or(EMPTY - 1),
            child,
        }
    }

    fn rebuild(&mut self) {
        let slot_of = Self::slot_of;
        let slots: Vec<Slot> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, (k, c))| slot_of(i, k, *c))
            .collect();
        if slots.len() <= FEW {
            self.slots = slots;
            self.hashed = false;
            return;
        }
        // Room to grow: the table is rebuilt when it would pass half full.
        let capacity = (slots.len() * 4).next_power_of_two();
        let mut table = vec![EMPTY_SLOT; capacity];
        for slot in slots {
            let mut i = slot.hash as usize & (capacity - 1);
            while table[i].len != EMPTY {
                i = (i + 1) & (capacity - 1);
            }
            table[i] = slot;
        }
        self.slots = table;
        self.hashed = true;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The children in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, NodeId)> + '_ {
        self.keys.iter().map(|(k, c)| (&**k, *c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_short_long_and_empty_keys_in_both_layouts() {
        for n in [1usize, 3, 4, 5, 40] {
            let mut l = Literals::default();
            let keys: Vec<String> = (0..n)
                .map(|i| match i % 3 {
                    0 => format!("k{i}"),
                    1 => format!("a-rather-long-segment-name-{i}"),
                    _ => "x".repeat(i % 17),
                })
                .collect();
            let mut unique = Vec::new();
            for k in &keys {
                if !unique.contains(k) {
                    unique.push(k.clone());
                }
            }
            for (i, k) in unique.iter().enumerate() {
                l.insert(k, i as NodeId);
            }
            for (i, k) in unique.iter().enumerate() {
                assert_eq!(l.get(k), Some(i as NodeId), "{n}: {k}");
            }
            assert_eq!(l.get("missing"), None);
            assert_eq!(l.get("a-rather-long-segment-name-"), None);
            assert_eq!(l.iter().count(), unique.len());
        }
        assert_eq!(Literals::default().get(""), None);
    }

    #[test]
    fn equal_padding_does_not_confuse_keys() {
        let mut l = Literals::default();
        l.insert("a", 1);
        l.insert("a\0", 2);
        assert_eq!(l.get("a"), Some(1));
        assert_eq!(l.get("a\0"), Some(2));
        assert_eq!(l.get("a\0\0"), None);
    }
}
