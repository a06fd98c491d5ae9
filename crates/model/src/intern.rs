//! String interning: every distinct string stored once in one arena, named by a dense `u32`.
//! Account ids, device ids, ATM ids and attribute values become small integers the engines can
//! index arrays with.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

/// A dense id into an [`Interner`], in first-seen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

#[derive(Clone, Default)]
pub struct Interner {
    bytes: String,
    /// `ends[i]` is where string `i` ends in `bytes`; it starts where `i - 1` ends.
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        let i = sym.0 as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    pub fn get(&self, s: &str) -> Option<Sym> {
        let h = self.hasher.hash_one(s);
        self.table
            .find(h, |&id| self.resolve(Sym(id)) == s)
            .map(|&id| Sym(id))
    }

    /// The id of `s`, adding it if new. Panics only past 4 billion distinct strings.
    pub fn intern(&mut self, s: &str) -> Sym {
        let h = self.hasher.hash_one(s);
        let (bytes, ends) = (&self.bytes, &self.ends);
        let resolve = |id: u32| {
            let i = id as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &bytes[start..ends[i]]
        };
        if let Some(&id) = self.table.find(h, |&id| resolve(id) == s) {
            return Sym(id);
        }
        let id = u32::try_from(self.ends.len()).expect("more than 4 billion distinct strings");
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
        let hasher = &self.hasher;
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table.insert_unique(h, id, |&id| {
            let i = id as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            hasher.hash_one(&bytes[start..ends[i]])
        });
        Sym(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Sym, &str)> {
        (0..self.len() as u32).map(move |i| (Sym(i), self.resolve(Sym(i))))
    }

    /// Adds every string of `other` and returns, for each of `other`'s ids, its id here. Used to
    /// merge the interners that parallel parsers fill chunk by chunk.
    pub fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        other.iter().map(|(_, s)| self.intern(s).0).collect()
    }

    /// Releases spare capacity once loading is done.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
        let hasher = &self.hasher;
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table.shrink_to_fit(|&id| {
            let i = id as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            hasher.hash_one(&bytes[start..ends[i]])
        });
    }

    /// Bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8 + self.table.capacity() * 5
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
