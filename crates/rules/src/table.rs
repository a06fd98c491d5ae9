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

/// Starts loading the cache line of `v` without waiting for it (a no-op where there is no
/// prefetch instruction).
#[inline(always)]
pub(crate) fn prefetch<T>(v: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint; it never faults and `v` is a valid reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(v).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = v;
    }
}

/// Size of a huge page (x86-64).
const HUGE_PAGE: usize = 2 << 20;

/// Asks the kernel to back a large, not yet written allocation with huge pages where it can (a
/// hint: ignored where unsupported or refused). A lookup is a random read into megabytes: with
/// 4 KiB pages nearly every one also misses the TLB.
pub(crate) fn huge_pages(start: *const u8, len: usize) {
    if len < 2 * HUGE_PAGE {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        // Only the whole huge pages inside the allocation.
        let from = (start as usize).next_multiple_of(HUGE_PAGE);
        let to = (start as usize + len) / HUGE_PAGE * HUGE_PAGE;
        if to > from {
            // SAFETY: madvise(MADV_HUGEPAGE) on whole pages of memory this process owns (the
            // allocation just made) changes no contents and no access rights; its result is
            // ignored (a refusal only means ordinary pages).
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = start;
    }
}

/// Entries in a power-of-two array, probed linearly from `key & mask`, at most 3/4 full;
/// removal shifts the following entries back (no tombstones).
#[derive(Clone, Default)]
pub(crate) struct ProbeTable<T> {
    /// The memory of the entries: `buckets` of them from `base`, placed so that large tables
    /// start on a huge-page boundary (the slack before `base` holds empty entries).
    store: Vec<T>,
    base: usize,
    buckets: usize,
    len: usize,
}

impl<T: Entry> ProbeTable<T> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut t = ProbeTable {
            store: Vec::new(),
            base: 0,
            buckets: 0,
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

    #[inline]
    fn entries(&self) -> &[T] {
        &self.store[self.base..self.base + self.buckets]
    }

    #[inline]
    fn entries_mut(&mut self) -> &mut [T] {
        &mut self.store[self.base..self.base + self.buckets]
    }

    /// Number of entries, free ones included (a power of two, or 0).
    pub(crate) fn buckets(&self) -> usize {
        self.buckets
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (key as usize) & (self.buckets - 1)
    }

    /// Starts bringing the entry where `key` would be looked up first into cache, while the
    /// caller prepares other work (a prefetch: it does not wait for the line).
    #[inline]
    pub(crate) fn touch(&self, key: u64) {
        if let Some(e) = self.entries().get(self.home_or_0(stored(key))) {
            prefetch(e);
        }
    }

    #[inline]
    fn home_or_0(&self, key: u64) -> usize {
        (key as usize) & self.buckets.wrapping_sub(1)
    }

    /// Position of `key`, if present.
    #[inline]
    pub(crate) fn find(&self, key: u64) -> Option<usize> {
        if self.buckets == 0 {
            return None;
        }
        let key = stored(key);
        let mask = self.buckets - 1;
        let mut i = self.home(key);
        loop {
            let k = self.entries()[i].key();
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
        self.entries().get(i).filter(|e| e.key() != 0)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.entries_mut().get_mut(i).filter(|e| e.key() != 0)
    }

    /// Makes room for `n` entries without growing (a growth rehashes every entry).
    pub(crate) fn reserve(&mut self, n: usize) {
        if n * 4 > self.buckets * 3 {
            self.resize((n * 4 / 3 + 1).next_power_of_two().max(16));
        }
    }

    /// Inserts an entry whose key is not present (its key must already be [`stored`]); returns
    /// its position.
    pub(crate) fn insert(&mut self, entry: T) -> usize {
        if (self.len + 1) * 4 > self.buckets * 3 {
            self.resize((self.buckets * 2).max(16));
        }
        self.len += 1;
        self.place(entry)
    }

    fn place(&mut self, entry: T) -> usize {
        let mask = self.buckets - 1;
        let mut i = self.home(entry.key());
        while self.entries()[i].key() != 0 {
            i = (i + 1) & mask;
        }
        self.entries_mut()[i] = entry;
        i
    }

    fn resize(&mut self, buckets: usize) {
        let size = std::mem::size_of::<T>().max(1);
        let bytes = buckets * size;
        // A large table gets room to start on a huge-page boundary.
        let slack = if bytes >= 2 * HUGE_PAGE {
            HUGE_PAGE / size + 1
        } else {
            0
        };
        let mut bigger: Vec<T> = Vec::with_capacity(buckets + slack);
        let addr = bigger.as_ptr() as usize;
        let base = if slack > 0 {
            (addr.next_multiple_of(HUGE_PAGE) - addr).div_ceil(size)
        } else {
            0
        };
        let base = if base <= slack { base } else { 0 };
        huge_pages(bigger.as_ptr().cast(), (buckets + slack) * size);
        bigger.resize_with(buckets + slack, T::default);
        let old = std::mem::replace(&mut self.store, bigger);
        let (old_base, old_buckets) = (self.base, self.buckets);
        self.base = base;
        self.buckets = buckets;
        for e in old.into_iter().skip(old_base).take(old_buckets) {
            if e.key() != 0 {
                self.place(e);
            }
        }
    }

    /// Removes the entry at `i` and returns it. Later entries of the same probe run move back
    /// to fill the hole, so another entry may now sit at `i` (a sweep looks at `i` again).
    pub(crate) fn remove_at(&mut self, i: usize) -> T {
        let mask = self.buckets - 1;
        let removed = std::mem::take(&mut self.entries_mut()[i]);
        self.len -= 1;
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let k = self.entries()[j].key();
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
                let moved = std::mem::take(&mut self.entries_mut()[j]);
                self.entries_mut()[hole] = moved;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        removed
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries().iter().filter(|e| e.key() != 0)
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
