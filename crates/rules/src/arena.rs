//! Where the events of a window live: every key's events in blocks of one arena per window.
//!
//! Why not a `VecDeque` a key: a decision is bound by memory latency, and the events of a key
//! are read by every transaction that feeds it. Small heap buffers sit on ordinary 4 KiB pages
//! among everything else the process allocates, so reading them misses the TLB as well as the
//! cache. An arena is one allocation, backed by huge pages where the kernel allows, with a free
//! list per block size so that steady state neither allocates nor fragments.
//!
//! A key's events are contiguous and oldest first (a slice), so scans and binary searches are
//! plain slice operations; expiry advances the start of the block, and the live events move
//! back to its beginning only when it is at most half full (amortised O(1) a push).

use crate::table::huge_pages;

/// One event: time in seconds, and the value (a number for `sum`/`max`, a fingerprint for
/// `distinct`, 0 for `count`).
pub(crate) type Ev = (i64, u64);

/// The smallest block holds `1 << MIN_SHIFT` events: 4 events, one cache line.
const MIN_SHIFT: u32 = 2;

/// The arena is chunks of `1 << CHUNK_SHIFT` events (4 MiB, two huge pages). It grows a chunk
/// at a time, so growing never copies what is there (no pause while deciding) and never needs
/// twice the memory; a block larger than a chunk gets a chunk of its own.
const CHUNK_SHIFT: u32 = 18;
const CHUNK: usize = 1 << CHUNK_SHIFT;

/// Events of one key: `len` of them from `start + head` in the arena, inside a block of
/// `capacity(class)` events from `start`. `start` is a position in the arena: chunk
/// `start >> CHUNK_SHIFT`, offset `start % CHUNK` (a block never crosses a chunk).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Block {
    start: usize,
    head: u32,
    len: u32,
    class: u8,
}

/// The class of an entry that owns no block (a free table entry).
const NO_CLASS: u8 = u8::MAX;

impl Default for Block {
    fn default() -> Self {
        Block {
            start: 0,
            head: 0,
            len: 0,
            class: NO_CLASS,
        }
    }
}

fn capacity(class: u8) -> usize {
    1 << (u32::from(class) + MIN_SHIFT)
}

/// The smallest class that holds `n` events.
fn class_for(n: usize) -> u8 {
    let bits = n.max(1).next_power_of_two().trailing_zeros();
    bits.saturating_sub(MIN_SHIFT) as u8
}

/// The largest class that fits in `n` events (`n >= 4`).
fn class_within(n: usize) -> u8 {
    (usize::BITS - 1 - n.leading_zeros()).saturating_sub(MIN_SHIFT) as u8
}

/// The blocks of one window.
#[derive(Clone, Default)]
pub(crate) struct Arena {
    /// Chunk `i` holds positions `i << CHUNK_SHIFT ..`; a large block's own chunk is followed by
    /// empty placeholders for the positions it spans.
    chunks: Vec<Vec<Ev>>,
    /// The chunk blocks are cut from, and how much of it is cut.
    current: Option<usize>,
    used: usize,
    /// Starts of free blocks, per class.
    free: Vec<Vec<usize>>,
}

/// A new chunk of `n` events, asked to be backed by huge pages before it is first written.
fn chunk(n: usize) -> Vec<Ev> {
    let mut c: Vec<Ev> = Vec::with_capacity(n);
    huge_pages(c.as_ptr().cast(), n * std::mem::size_of::<Ev>());
    c.resize(n, (0, 0));
    c
}

impl Arena {
    /// A block with room for `n` events.
    pub(crate) fn alloc(&mut self, n: usize) -> Block {
        let class = class_for(n);
        let start = match self.free.get_mut(usize::from(class)).and_then(Vec::pop) {
            Some(start) => start,
            None => self
                .split(class)
                .unwrap_or_else(|| self.cut(capacity(class))),
        };
        Block {
            start,
            head: 0,
            len: 0,
            class,
        }
    }

    /// A free block of `class`, split off the smallest larger free block (the other halves go to
    /// the free lists): blocks freed by keys that shrank serve keys that grow, so that the arena
    /// stops growing once the live events do. Only blocks inside one chunk are split.
    fn split(&mut self, class: u8) -> Option<usize> {
        let max = class_within(CHUNK);
        let from = (class + 1..=max)
            .find(|&k| self.free.get(usize::from(k)).is_some_and(|l| !l.is_empty()))?;
        let start = self.free[usize::from(from)].pop()?;
        for k in (class..from).rev() {
            self.release(Block {
                start: start + capacity(k),
                head: 0,
                len: 0,
                class: k,
            });
        }
        Some(start)
    }

    /// A fresh block of `size` events (a power of two).
    fn cut(&mut self, size: usize) -> usize {
        if size > CHUNK {
            let at = self.chunks.len();
            self.chunks.push(chunk(size));
            self.chunks
                .extend(std::iter::repeat_with(Vec::new).take(size / CHUNK - 1));
            return at << CHUNK_SHIFT;
        }
        let current = match self.current {
            Some(c) if CHUNK - self.used >= size => c,
            _ => {
                self.retire_rest();
                self.chunks.push(chunk(CHUNK));
                self.current = Some(self.chunks.len() - 1);
                self.used = 0;
                self.chunks.len() - 1
            }
        };
        let start = (current << CHUNK_SHIFT) + self.used;
        self.used += size;
        start
    }

    /// Puts what is left of the current chunk into the free lists, largest blocks first.
    fn retire_rest(&mut self) {
        let Some(c) = self.current else { return };
        while CHUNK - self.used >= capacity(0) {
            let class = class_within(CHUNK - self.used);
            self.release(Block {
                start: (c << CHUNK_SHIFT) + self.used,
                head: 0,
                len: 0,
                class,
            });
            self.used += capacity(class);
        }
    }

    /// Gives a block back for reuse by a key of the same size.
    pub(crate) fn release(&mut self, block: Block) {
        if block.class == NO_CLASS {
            return;
        }
        let class = usize::from(block.class);
        if self.free.len() <= class {
            self.free.resize_with(class + 1, Vec::new);
        }
        self.free[class].push(block.start);
    }

    /// Makes room for about `events` more events before deciding, so that no chunk is added
    /// (and first touched) while deciding.
    pub(crate) fn reserve(&mut self, events: usize) {
        let spare = self.current.map_or(0, |_| CHUNK - self.used);
        let mut more = events.saturating_sub(spare);
        if more == 0 {
            return;
        }
        self.retire_rest();
        self.current = None;
        while more > 0 {
            self.chunks.push(chunk(CHUNK));
            let c = self.chunks.len() - 1;
            more = more.saturating_sub(CHUNK);
            if more > 0 {
                self.release(Block {
                    start: c << CHUNK_SHIFT,
                    head: 0,
                    len: 0,
                    class: class_within(CHUNK),
                });
            } else {
                self.current = Some(c);
                self.used = 0;
            }
        }
    }

    /// Bytes the arena holds (free blocks included).
    pub(crate) fn bytes(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum::<usize>() * std::mem::size_of::<Ev>()
    }

    /// `len` events from position `from` of the block at `start` (a large block's positions
    /// all live in the chunk of its start).
    #[inline]
    fn slice(&self, start: usize, from: usize, len: usize) -> &[Ev] {
        let c = &self.chunks[start >> CHUNK_SHIFT];
        let off = (start & (CHUNK - 1)) + from;
        &c[off..off + len]
    }

    #[inline]
    fn slice_mut(&mut self, start: usize, from: usize, len: usize) -> &mut [Ev] {
        let c = &mut self.chunks[start >> CHUNK_SHIFT];
        let off = (start & (CHUNK - 1)) + from;
        &mut c[off..off + len]
    }

    /// Copies `len` events from position `from` of the block at `a` to the start of the block
    /// at `b`.
    fn copy(&mut self, a: usize, from: usize, b: usize, len: usize) {
        let (cf, ct) = (a >> CHUNK_SHIFT, b >> CHUNK_SHIFT);
        let (of, ot) = ((a & (CHUNK - 1)) + from, b & (CHUNK - 1));
        if cf == ct {
            self.chunks[cf].copy_within(of..of + len, ot);
        } else if cf < ct {
            let (a, b) = self.chunks.split_at_mut(ct);
            b[0][ot..ot + len].copy_from_slice(&a[cf][of..of + len]);
        } else {
            let (a, b) = self.chunks.split_at_mut(cf);
            a[ct][ot..ot + len].copy_from_slice(&b[0][of..of + len]);
        }
    }
}

impl Block {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The events, oldest first.
    #[inline]
    pub(crate) fn events<'a>(&self, arena: &'a Arena) -> &'a [Ev] {
        if self.class == NO_CLASS {
            return &[];
        }
        arena.slice(self.start, self.head as usize, self.len())
    }

    #[inline]
    pub(crate) fn front(&self, arena: &Arena) -> Option<Ev> {
        self.events(arena).first().copied()
    }

    #[inline]
    pub(crate) fn back(&self, arena: &Arena) -> Option<Ev> {
        self.events(arena).last().copied()
    }

    /// Drops the oldest event.
    #[inline]
    pub(crate) fn pop_front(&mut self) {
        if self.len > 0 {
            self.len -= 1;
            self.head = if self.len == 0 { 0 } else { self.head + 1 };
        }
    }

    /// Appends the newest event.
    #[inline]
    pub(crate) fn push(&mut self, arena: &mut Arena, ev: Ev) {
        self.room_for_one(arena);
        arena.slice_mut(self.start, self.head as usize + self.len(), 1)[0] = ev;
        self.len += 1;
    }

    /// Inserts an event at position `i` of the events (`i <= len`).
    pub(crate) fn insert(&mut self, arena: &mut Arena, i: usize, ev: Ev) {
        let i = i.min(self.len());
        self.room_for_one(arena);
        let events = arena.slice_mut(self.start, self.head as usize, self.len() + 1);
        events.copy_within(i..events.len() - 1, i + 1);
        events[i] = ev;
        self.len += 1;
    }

    /// Removes the event at position `i` of the events.
    pub(crate) fn remove(&mut self, arena: &mut Arena, i: usize) {
        if i >= self.len() {
            return;
        }
        arena
            .slice_mut(self.start, self.head as usize, self.len())
            .copy_within(i + 1.., i);
        self.len -= 1;
        if self.len == 0 {
            self.head = 0;
        }
    }

    /// Makes room for one more event at the end: moves the events to the start of the block
    /// when it is at most half full, else moves them into a block twice the size.
    fn room_for_one(&mut self, arena: &mut Arena) {
        if self.class == NO_CLASS {
            *self = arena.alloc(1);
            return;
        }
        let cap = capacity(self.class);
        if self.head as usize + self.len() < cap {
            return;
        }
        if self.len() <= cap / 2 {
            arena
                .slice_mut(self.start, 0, cap)
                .copy_within(self.head as usize.., 0);
            self.head = 0;
            return;
        }
        let bigger = arena.alloc(cap * 2);
        arena.copy(self.start, self.head as usize, bigger.start, self.len());
        arena.release(*self);
        *self = Block {
            len: self.len,
            ..bigger
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A block behaves like a deque under pushes, pops, inserts and removes, through growth and
    /// compaction, with other blocks of the same arena moving around it.
    #[test]
    fn a_block_behaves_like_a_deque() {
        let mut arena = Arena::default();
        let mut blocks = [arena.alloc(1), arena.alloc(4), arena.alloc(9)];
        let mut model: [VecDeque<Ev>; 3] = Default::default();
        let mut seed: u64 = 7;
        for step in 0..20_000u64 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let b = (seed >> 40) as usize % 3;
            let ev = (step as i64, seed);
            match (seed >> 20) % 10 {
                0..=4 => {
                    blocks[b].push(&mut arena, ev);
                    model[b].push_back(ev);
                }
                5..=6 => {
                    blocks[b].pop_front();
                    model[b].pop_front();
                }
                7 => {
                    let i = (seed >> 8) as usize % (model[b].len() + 1);
                    blocks[b].insert(&mut arena, i, ev);
                    model[b].insert(i, ev);
                }
                8 if !model[b].is_empty() => {
                    let i = (seed >> 8) as usize % model[b].len();
                    blocks[b].remove(&mut arena, i);
                    model[b].remove(i);
                }
                _ => {
                    // A key freed and a new one taking its place.
                    let n = (seed >> 12) as usize % 20;
                    arena.release(blocks[b]);
                    blocks[b] = arena.alloc(n);
                    model[b].clear();
                }
            }
            for (block, m) in blocks.iter().zip(&model) {
                assert!(block.events(&arena).iter().eq(m.iter()), "step {step}");
                assert_eq!(block.front(&arena), m.front().copied());
                assert_eq!(block.back(&arena), m.back().copied());
            }
        }
    }

    /// A key larger than a chunk gets a chunk of its own; keys beside it are untouched, and
    /// reserved room is used before new chunks are made.
    #[test]
    fn large_keys_and_reserved_room() {
        let mut arena = Arena::default();
        arena.reserve(3 * CHUNK / 2);
        let reserved = arena.bytes();
        assert_eq!(reserved, 2 * CHUNK * std::mem::size_of::<Ev>());
        let mut small = arena.alloc(4);
        let mut big = arena.alloc(4);
        for t in 0..(CHUNK as i64 * 3) {
            big.push(&mut arena, (t, t as u64));
            if t % 1_000 == 0 {
                small.push(&mut arena, (t, 1));
            }
        }
        let events = big.events(&arena);
        assert_eq!(events.len(), CHUNK * 3);
        assert!(events.iter().enumerate().all(|(i, e)| e.0 == i as i64));
        assert_eq!(small.len(), CHUNK * 3 / 1_000 + 1);
        assert!(small
            .events(&arena)
            .iter()
            .all(|e| e.1 == 1 && e.0 % 1_000 == 0));
        big.pop_front();
        assert_eq!(big.front(&arena), Some((1, 1)));
        arena.release(big);
        let again = arena.alloc(CHUNK * 4);
        assert_eq!(again.start, big.start, "the large block is reused");
    }

    /// A large freed block is split for small keys instead of the arena growing.
    #[test]
    fn large_free_blocks_serve_small_keys() {
        let mut arena = Arena::default();
        let big = arena.alloc(1_024);
        let bytes = arena.bytes();
        arena.release(big);
        let small: Vec<Block> = (0..256).map(|_| arena.alloc(4)).collect();
        assert_eq!(arena.bytes(), bytes, "no new chunk");
        let mut starts: Vec<usize> = small.iter().map(|b| b.start).collect();
        starts.sort_unstable();
        starts.dedup();
        assert_eq!(starts.len(), 256, "no block handed out twice");
        assert!(starts
            .iter()
            .all(|&s| s >= big.start && s < big.start + 1_024));
    }

    #[test]
    fn freed_blocks_are_reused_and_steady_state_does_not_grow() {
        let mut arena = Arena::default();
        let mut b = arena.alloc(4);
        for t in 0..100_000i64 {
            b.push(&mut arena, (t, 0));
            if b.len() > 10 {
                b.pop_front();
            }
        }
        let bytes = arena.bytes();
        for t in 100_000..200_000i64 {
            b.push(&mut arena, (t, 0));
            b.pop_front();
        }
        assert_eq!(arena.bytes(), bytes, "a steady window does not grow");
        assert!(b.events(&arena).len() <= 10);
        let start = b.start;
        arena.release(b);
        let again = arena.alloc(capacity(b.class));
        assert_eq!(again.start, start, "a freed block is reused");
        assert_eq!(class_for(1), 0);
        assert_eq!(class_for(4), 0);
        assert_eq!(class_for(5), 1);
        assert_eq!(Block::default().events(&arena), &[] as &[Ev]);
    }
}
