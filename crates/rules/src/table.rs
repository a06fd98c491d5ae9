//! A linear-probing hash table of fingerprint-keyed entries, for the hot lookups of a decision:
//! accounts by id and window keys.
//!
//! Why not `hashbrown`: a decision is bound by memory latency (a few random reads into tables of
//! megabytes), and here the first probe's address is a function of the key alone. That lets the
//! engine [`touch`](ProbeTable::touch) every entry a transaction will need before it starts
//! working on any, so that the cache misses overlap instead of queueing one behind the other;
//! and an entry carries its own key, so a lookup reads one cache line, not a control byte and a
//! bucket. Keys are 64-bit fingerprints, already well mixed; 0 marks an empty entry (a key of 0
//! is stored as 1).

/// An entry of a [`ProbeTable`]: it knows its key; the default value is the empty entry.
pub(crate) trait Entry: Default {
    fn key(&self) -> u64;
}

/// The key as stored: never 0, which marks an empty entry.
#[inline]
pub(crate) fn stored(key: u64) -> u64 {
    key.max(1)
}

/// Entries in a power-of-two array, probed linearly from `key & mask`, at most 3/4 full;
/// removal shifts the following entries back (no tombstones).
#[derive(Clone, Default)]
pub(crate) struct ProbeTable<T> {
    entries: Vec<T>,
    len: usize,
}

impl<T: Entry> ProbeTable<T> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut t = ProbeTable {
            entries: Vec::new(),
            len: 0,
        };
        if n > 0 {
            t.resize((n * 4 / 3 + 1).next_power_of_two().max(16));
        }
        t
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of entries, free ones included (a power of two, or 0).
    pub(crate) fn buckets(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (key as usize) & (self.entries.len() - 1)
    }

    /// Reads the entry where `key` would be looked up first, to bring it into cache while the
    /// caller prepares other work. The read is kept (`black_box`), its value unused.
    #[inline]
    pub(crate) fn touch(&self, key: u64) {
        if !self.entries.is_empty() {
            std::hint::black_box(self.entries[self.home(stored(key))].key());
        }
    }

    /// Position of `key`, if present.
    #[inline]
    pub(crate) fn find(&self, key: u64) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let key = stored(key);
        let mask = self.entries.len() - 1;
        let mut i = self.home(key);
        loop {
            let k = self.entries[i].key();
            if k == key {
                return Some(i);
            }
            if k == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.entries.get(i).filter(|e| e.key() != 0)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.entries.get_mut(i).filter(|e| e.key() != 0)
    }

    /// Makes room for `n` entries without growing (a growth rehashes every entry).
    pub(crate) fn reserve(&mut self, n: usize) {
        if n * 4 > self.entries.len() * 3 {
            self.resize((n * 4 / 3 + 1).next_power_of_two().max(16));
        }
    }

    /// Inserts an entry whose key is not present (its key must already be [`stored`]); returns
    /// its position.
    pub(crate) fn insert(&mut self, entry: T) -> usize {
        if (self.len + 1) * 4 > self.entries.len() * 3 {
            self.resize((self.entries.len() * 2).max(16));
        }
        self.len += 1;
        self.place(entry)
    }

    fn place(&mut self, entry: T) -> usize {
        let mask = self.entries.len() - 1;
        let mut i = self.home(entry.key());
        while self.entries[i].key() != 0 {
            i = (i + 1) & mask;
        }
        self.entries[i] = entry;
        i
    }

    fn resize(&mut self, buckets: usize) {
        let mut bigger = Vec::with_capacity(buckets);
        bigger.resize_with(buckets, T::default);
        let old = std::mem::replace(&mut self.entries, bigger);
        for e in old {
            if e.key() != 0 {
                self.place(e);
            }
        }
    }

    /// Removes the entry at `i` and returns it. Later entries of the same probe run move back
    /// to fill the hole, so another entry may now sit at `i` (a sweep looks at `i` again).
    pub(crate) fn remove_at(&mut self, i: usize) -> T {
        let mask = self.entries.len() - 1;
        let removed = std::mem::take(&mut self.entries[i]);
        self.len -= 1;
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let k = self.entries[j].key();
            if k == 0 {
                break;
            }
            let home = self.home(k);
            // Move j into the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.entries[hole] = std::mem::take(&mut self.entries[j]);
                hole = j;
            }
            j = (j + 1) & mask;
        }
        removed
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().filter(|e| e.key() != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug, Clone, PartialEq)]
    struct E(u64, u32);

    impl Entry for E {
        fn key(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn behaves_like_a_map_under_churn() {
        let mut t: ProbeTable<E> = ProbeTable::with_capacity(0);
        let mut m = std::collections::HashMap::new();
        let mut s: u64 = 7;
        for step in 0..200_000u32 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // A few thousand keys in a small table: probe runs form and wrap around.
            let key = stored(((s % 3_000).wrapping_mul(2_654_435_761)) & 0xffff_ffff);
            match t.find(key) {
                Some(i) if s.is_multiple_of(3) => {
                    assert_eq!(t.remove_at(i).1, m.remove(&key).unwrap());
                }
                Some(i) => assert_eq!(t.get(i).unwrap().1, m[&key]),
                None => {
                    assert!(!m.contains_key(&key));
                    t.insert(E(key, step));
                    m.insert(key, step);
                }
            }
            assert_eq!(t.len(), m.len());
        }
        for (k, v) in &m {
            assert_eq!(t.get(t.find(*k).unwrap()).unwrap().1, *v);
        }
        assert_eq!(t.iter().count(), m.len());
        assert!(t.len() * 4 <= t.buckets() * 3);
        assert_eq!(t.find(12_345), None);
    }
}
