//! 64-bit fingerprints of window keys and distinct values.
//!
//! Windows keep fingerprints, not strings: a key or a value is 8 bytes whatever its text, is
//! `Copy` (no allocation per event), and hashes for free (the fingerprint *is* the hash). The
//! function is finmon's own and fixed (seeds are constants), so fingerprints written in a state
//! snapshot stay valid across processes, builds and compiler versions.
//!
//! Collisions: two different keys share a fingerprint with probability about `n² / 2⁶⁵` for `n`
//! live keys — about 3·10⁻⁸ for a million keys, 3·10⁻¹⁴ for the thousand distinct values of one
//! key. A collision merges two keys' counts (or two distinct values); it cannot crash anything.
//! The inputs are account, card and device identifiers assigned by banks, not chosen by an
//! attacker, so a keyed hash is not needed.

const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

/// The two halves of a 64×64→128-bit product, folded: the mixing step of wyhash and foldhash.
#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

#[inline]
fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

#[inline]
fn u32_at(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i..i + 4]);
    u64::from(u32::from_le_bytes(w))
}

/// Two words covering `b` (at most 16 bytes), with overlapping reads rather than a copy: the
/// length is mixed in separately, so overlaps do not collide.
#[inline]
fn tail(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    if n >= 8 {
        (u64_at(b, 0), u64_at(b, n - 8))
    } else if n >= 4 {
        (u32_at(b, 0), u32_at(b, n - 4))
    } else if n > 0 {
        let v = u64::from(b[0]) << 16 | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]);
        (v, 0)
    } else {
        (0, 0)
    }
}

/// Type tags: the string "1" and the integer 1 are different keys.
pub(crate) const TAG_STR: u64 = 1;
pub(crate) const TAG_INT: u64 = 2;
pub(crate) const TAG_BOOL: u64 = 3;
pub(crate) const TAG_ENUM: u64 = 4;
pub(crate) const TAG_TIME: u64 = 5;
pub(crate) const TAG_MONEY: u64 = 6;

/// Fingerprint of a byte string under a type tag (the scheme of wyhash and foldhash: folded
/// 64×64-bit multiplications over 16-byte blocks).
#[inline]
pub(crate) fn bytes(tag: u64, b: &[u8]) -> u64 {
    let n = b.len();
    let mut h = fold_mul(tag ^ P0, (n as u64) ^ P1);
    let (a, c) = if n <= 16 {
        tail(b)
    } else {
        let mut i = 0;
        while n - i > 16 {
            h = fold_mul(u64_at(b, i) ^ h ^ P2, u64_at(b, i + 8) ^ P3);
            i += 16;
        }
        (u64_at(b, n - 16), u64_at(b, n - 8))
    };
    h = fold_mul(a ^ h ^ P2, c ^ P3);
    fold_mul(h ^ P0, P1 ^ tag)
}

/// Fingerprint of an integer (or an enum token index, a bool, a time) under a type tag.
#[inline]
pub(crate) fn int(tag: u64, v: i64) -> u64 {
    let h = fold_mul(tag ^ P0, (v as u64) ^ P2);
    fold_mul(h ^ P1, P3 ^ tag)
}

/// Combines the fingerprints of the parts of a composite key, in order.
#[inline]
pub(crate) fn combine(h: u64, part: u64) -> u64 {
    fold_mul(h ^ P2, part ^ P3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_fixed_and_distinguish_types() {
        // Fixed across builds: snapshots depend on it. Changing the function is a format change.
        assert_eq!(bytes(TAG_STR, b"ACC-1"), bytes(TAG_STR, b"ACC-1"));
        assert_ne!(bytes(TAG_STR, b"ACC-1"), bytes(TAG_STR, b"ACC-2"));
        assert_ne!(bytes(TAG_STR, b"1"), int(TAG_INT, 1));
        assert_ne!(bytes(TAG_STR, b""), bytes(TAG_STR, b"\0"));
        assert_ne!(
            bytes(TAG_STR, b"0123456789abcdef"),
            bytes(TAG_STR, b"0123456789abcdef\0")
        );
        for n in 0..40 {
            let s: Vec<u8> = (0..n as u8).collect();
            let mut t = s.clone();
            if let Some(last) = t.last_mut() {
                *last ^= 1;
                assert_ne!(bytes(TAG_STR, &s), bytes(TAG_STR, &t), "length {n}");
            }
        }
        assert_ne!(combine(1, 2), combine(2, 1));
        let mut seen = std::collections::HashSet::new();
        for i in 0..200_000 {
            assert!(seen.insert(bytes(TAG_STR, format!("ACC-{i}").as_bytes())));
            assert!(seen.insert(int(TAG_INT, i)));
        }
    }
}
