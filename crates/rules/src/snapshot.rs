//! Window state as saved by a server: a serde value (write it as JSON, or any serde format)
//! and a compact binary encoding of it.
//!
//! Binary layout (version 1), all integers LEB128 varints unless noted, signed ones zigzag:
//! `"FMWS"`, version, clock (signed), window count; per window: name (length, UTF-8 bytes),
//! signature (8 bytes little-endian), key count; per key: the key (8 bytes LE), event count,
//! and per event the time as a signed delta from the previous event's time (from 0 for the
//! first) and the value (signed). A key takes about 14 bytes plus 2–10 bytes an event (a
//! `distinct` value is an 8-byte fingerprint).

use crate::error::SnapshotError;
use crate::window::{KeySnapshot, WindowSnapshot};
use serde::{Deserialize, Serialize};

/// The state of every window of an engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    /// The latest transaction time the engine had seen (seconds since the epoch).
    pub clock: i64,
    pub windows: Vec<WindowSnapshot>,
}

const MAGIC: &[u8; 4] = b"FMWS";

impl Snapshot {
    pub const VERSION: u32 = 1;

    /// The compact binary form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(MAGIC);
        put(&mut out, u64::from(self.version));
        put_i(&mut out, self.clock);
        put(&mut out, self.windows.len() as u64);
        for w in &self.windows {
            put(&mut out, w.name.len() as u64);
            out.extend_from_slice(w.name.as_bytes());
            out.extend_from_slice(&w.signature.to_le_bytes());
            put(&mut out, w.keys.len() as u64);
            for k in &w.keys {
                out.extend_from_slice(&k.key.to_le_bytes());
                put(&mut out, k.events.len() as u64);
                let mut prev = 0i64;
                for &(t, v) in &k.events {
                    put_i(&mut out, t.wrapping_sub(prev));
                    put_i(&mut out, v);
                    prev = t;
                }
            }
        }
        out
    }

    /// Reads [`Snapshot::to_bytes`]'s form. Never panics on corrupt input.
    pub fn from_bytes(b: &[u8]) -> Result<Snapshot, SnapshotError> {
        let mut r = Reader { b, at: 0 };
        if r.take(4)? != MAGIC {
            return Err(SnapshotError::Magic);
        }
        let version = u32::try_from(r.u()?).map_err(|_| SnapshotError::Corrupt("version"))?;
        if version != Snapshot::VERSION {
            return Err(SnapshotError::Version(version));
        }
        let clock = r.i()?;
        let n = r.len()?;
        let mut windows = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let len = r.len()?;
            let name = std::str::from_utf8(r.take(len)?)
                .map_err(|_| SnapshotError::Corrupt("window name is not UTF-8"))?
                .to_string();
            let signature = r.u64le()?;
            let nk = r.len()?;
            let mut keys = Vec::with_capacity(nk.min(1 << 16));
            for _ in 0..nk {
                let key = r.u64le()?;
                let ne = r.len()?;
                let mut events = Vec::with_capacity(ne.min(1 << 16));
                let mut prev = 0i64;
                for _ in 0..ne {
                    let t = prev.wrapping_add(r.i()?);
                    events.push((t, r.i()?));
                    prev = t;
                }
                keys.push(KeySnapshot { key, events });
            }
            windows.push(WindowSnapshot {
                name,
                signature,
                keys,
            });
        }
        if r.at != b.len() {
            return Err(SnapshotError::Corrupt("trailing bytes"));
        }
        Ok(Snapshot {
            version,
            clock,
            windows,
        })
    }

    pub fn to_json(&self) -> String {
        // Only integers, strings and sequences: serialisation cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Result<Snapshot, SnapshotError> {
        serde_json::from_str(s).map_err(|e| SnapshotError::Json(e.to_string()))
    }
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_i(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(SnapshotError::Corrupt("truncated"))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u(&mut self) -> Result<u64, SnapshotError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(SnapshotError::Corrupt("varint too long"))
    }

    fn i(&mut self) -> Result<i64, SnapshotError> {
        let u = self.u()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A count, bounded by the bytes left (each item takes at least one byte).
    fn len(&mut self) -> Result<usize, SnapshotError> {
        let n = self.u()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.b.len() - self.at)
            .ok_or(SnapshotError::Corrupt("count larger than the data"))
    }

    fn u64le(&mut self) -> Result<u64, SnapshotError> {
        let mut w = [0u8; 8];
        w.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        Snapshot {
            version: 1,
            clock: 1_741_930_013,
            windows: vec![WindowSnapshot {
                name: "senders_90d".into(),
                signature: u64::MAX - 5,
                keys: vec![
                    KeySnapshot {
                        key: 42,
                        events: vec![(1_741_930_000, -7), (1_741_930_013, i64::MAX)],
                    },
                    KeySnapshot {
                        key: u64::MAX,
                        events: vec![(-5, 0)],
                    },
                ],
            }],
        }
    }

    #[test]
    fn binary_and_json_round_trip() {
        let s = sample();
        assert_eq!(Snapshot::from_bytes(&s.to_bytes()), Ok(s.clone()));
        assert_eq!(Snapshot::from_json(&s.to_json()), Ok(s));
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let b = sample().to_bytes();
        for cut in 0..b.len() {
            assert!(Snapshot::from_bytes(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = b.clone();
        bad[0] = b'X';
        assert_eq!(Snapshot::from_bytes(&bad), Err(SnapshotError::Magic));
        let mut v2 = b.clone();
        v2[4] = 2;
        assert_eq!(Snapshot::from_bytes(&v2), Err(SnapshotError::Version(2)));
        let mut long = b;
        long.push(0);
        assert!(Snapshot::from_bytes(&long).is_err());
        // Huge counts do not allocate.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&[1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(Snapshot::from_bytes(&huge).is_err());
    }
}
