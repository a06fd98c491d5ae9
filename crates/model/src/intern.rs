//! String interning: every distinct string stored once in one arena, named by a dense `u32`.
//! Account ids, device ids, ATM ids and attribute values become small integers the engines can
//! index arrays with.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

/// A dense id into an [`Interner`], in first-seen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

/// Keys up to this long live inside the hash table entry itself, so that a lookup touches one
/// cache line instead of chasing into the arena: most ids (accounts, devices, ATMs) are short.
const INLINE: usize = 22;

#[derive(Clone, Copy)]
struct Slot {
    id: u32,
    /// Key length if it is inline, `u8::MAX` otherwise.
    len: u8,
    bytes: [u8; INLINE],
    /// High bits of the hash, to reject most mismatches of long keys without the arena.
    tag: u8,
}

#[derive(Clone, Default)]
pub struct Interner {
    bytes: String,
    /// `ends[i]` is where string `i` ends in `bytes`; it starts where `i - 1` ends.
    ends: Vec<usize>,
    table: HashTable<Slot>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

fn arena_get<'a>(bytes: &'a str, ends: &[usize], id: u32) -> &'a str {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `n` strings without the table growing.
    pub fn with_capacity(n: usize) -> Self {
        Interner {
            table: HashTable::with_capacity(n),
            ends: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        arena_get(&self.bytes, &self.ends, sym.0)
    }

    #[inline]
    fn matches(bytes: &str, ends: &[usize], slot: &Slot, s: &str, tag: u8) -> bool {
        if (slot.len as usize) <= INLINE {
            slot.len as usize == s.len() && &slot.bytes[..s.len()] == s.as_bytes()
        } else {
            slot.tag == tag && s.len() > INLINE && arena_get(bytes, ends, slot.id) == s
        }
    }

    pub fn get(&self, s: &str) -> Option<Sym> {
        let h = self.hasher.hash_one(s);
        let tag = (h >> 56) as u8;
        self.table
            .find(h, |slot| {
                Self::matches(&self.bytes, &self.ends, slot, s, tag)
            })
            .map(|slot| Sym(slot.id))
    }

    /// The id of `s`, adding it if new. Panics only past 4 billion distinct strings.
    pub fn intern(&mut self, s: &str) -> Sym {
        let h = self.hasher.hash_one(s);
        let tag = (h >> 56) as u8;
        let (bytes, ends) = (&self.bytes, &self.ends);
        if let Some(slot) = self
            .table
            .find(h, |slot| Self::matches(bytes, ends, slot, s, tag))
        {
            return Sym(slot.id);
        }
        let id = u32::try_from(self.ends.len()).expect("more than 4 billion distinct strings");
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
        let mut slot = Slot {
            id,
            len: u8::MAX,
            bytes: [0; INLINE],
            tag,
        };
        if s.len() <= INLINE {
            slot.len = s.len() as u8;
            slot.bytes[..s.len()].copy_from_slice(s.as_bytes());
        }
        let hasher = &self.hasher;
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table.insert_unique(h, slot, |slot| {
            hasher.hash_one(arena_get(bytes, ends, slot.id))
        });
        Sym(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Sym, &str)> {
        (0..self.len() as u32).map(move |i| (Sym(i), self.resolve(Sym(i))))
    }

    /// Adds every string of `other` and returns, for each of `other`'s ids, its id here. Used to
    /// merge the interners that parallel parsers fill chunk by chunk.
    pub fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        let hasher = &self.hasher;
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table.reserve(other.len(), |slot| {
            hasher.hash_one(arena_get(bytes, ends, slot.id))
        });
        other.iter().map(|(_, s)| self.intern(s).0).collect()
    }

    /// Releases spare capacity once loading is done.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
        let hasher = &self.hasher;
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table
            .shrink_to_fit(|slot| hasher.hash_one(arena_get(bytes, ends, slot.id)));
    }

    /// Bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * 8
            + self.table.capacity() * (std::mem::size_of::<Slot>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_in_first_seen_order() {
        let mut i = Interner::new();
        assert_eq!(i.intern("b"), Sym(0));
        assert_eq!(i.intern("a"), Sym(1));
        assert_eq!(i.intern("b"), Sym(0));
        assert_eq!(i.intern(""), Sym(2));
        assert_eq!(i.resolve(Sym(1)), "a");
        assert_eq!(i.resolve(Sym(2)), "");
        assert_eq!(i.get("a"), Some(Sym(1)));
        assert_eq!(i.get("c"), None);
        for n in 0..10_000 {
            i.intern(&n.to_string());
        }
        assert_eq!(i.get("9999").map(|s| i.resolve(s)), Some("9999"));
        let long = "a-key-longer-than-twenty-two-bytes-lives-in-the-arena";
        let id = i.intern(long);
        assert_eq!(i.intern(long), id);
        assert_eq!(i.get(long), Some(id));
        assert_eq!(i.get(&long[..long.len() - 1]), None);
        assert_eq!(i.resolve(id), long);
        i.shrink_to_fit();
        assert_eq!(i.get("5000").map(|s| i.resolve(s)), Some("5000"));
    }

    #[test]
    fn absorb_remaps() {
        let mut global = Interner::new();
        global.intern("x");
        let mut local = Interner::new();
        local.intern("y");
        local.intern("x");
        assert_eq!(global.absorb(&local), vec![1, 0]);
    }
}
