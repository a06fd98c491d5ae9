//! Durable decision state: a write-ahead log of every decided transaction and a snapshot of the
//! engine's windows. On start, the snapshot is restored and the log entries after it replayed,
//! so that a server killed at any moment (kill -9 included) decides on as if it never stopped.
//!
//! Files in the state folder:
//! - `snapshot.bin`: the 8 bytes `FMSTATE2`; the sequence number of the last logged transaction
//!   the snapshot includes and the length of the engine's window snapshot (8 bytes each,
//!   little-endian); the engine's binary window snapshot; then the remembered recent decisions
//!   (JSON: `[{"tx_id", "print", "decision"}]`, oldest first), so that a re-sent transaction is
//!   answered from memory after a restart even when its log was checkpointed away. (A file of
//!   the first layout — the sequence number, then the window snapshot — is still read.)
//! - `wal.jsonl`: one line per decided transaction, `{"seq":N,"tx":{…}}`, appended with one
//!   `write` before the answer is sent. A line cut short by a crash (the last one) is ignored:
//!   its request was never answered.
//!
//! A checkpoint happens in two steps so that requests never wait on disk: under the server's
//! lock, the windows are copied and the log is rotated (`wal.jsonl` → `wal.prev.jsonl`, one
//! rename); then, on a background thread, the copy is written to `snapshot.tmp`, synced, renamed
//! over `snapshot.bin`, and `wal.prev.jsonl` is removed. A crash anywhere in between loses
//! nothing: start-up replays both logs, skipping the entries the snapshot already holds (by
//! sequence number).

use finmon_rules::{Decision, Snapshot, TxInput};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A decided transaction remembered to answer its re-sends: its id, the fingerprint of its
/// content ([`TxInput::fingerprint`]) and the answer given.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Remembered {
    pub tx_id: String,
    pub print: u64,
    pub decision: Decision,
}

const MAGIC: &[u8; 8] = b"FMSTATE2";

/// What a state folder held at start.
pub struct Recovered {
    pub snapshot: Option<(u64, Snapshot)>,
    /// Decisions remembered at the snapshot, oldest first.
    pub recent: Vec<Remembered>,
    /// Logged transactions after the snapshot, in order.
    pub log: Vec<(u64, TxInput)>,
}

pub struct Store {
    dir: PathBuf,
    wal: File,
    line: Vec<u8>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    seq: u64,
    tx: TxInput,
}

impl Store {
    /// Opens (creating) a state folder and reads what it holds.
    pub fn open(dir: &Path) -> Result<(Store, Recovered), StoreError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let snap_path = dir.join("snapshot.bin");
        let (snapshot, recent) = match std::fs::read(&snap_path) {
            Ok(bytes) => {
                let (seq, snap, recent) =
                    read_snapshot(&bytes).map_err(|message| StoreError::Corrupt {
                        path: snap_path.clone(),
                        message,
                    })?;
                (Some((seq, snap)), recent)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, Vec::new()),
            Err(e) => return Err(io(&snap_path)(e)),
        };
        let after = snapshot.as_ref().map_or(0, |(s, _)| *s);
        let wal_path = dir.join("wal.jsonl");
        let mut log = Vec::new();
        for path in [dir.join("wal.prev.jsonl"), wal_path.clone()] {
            let Ok(f) = File::open(&path) else { continue };
            for (i, line) in BufReader::new(f).split(b'\n').enumerate() {
                let line = line.map_err(io(&path))?;
                match serde_json::from_slice::<Entry>(&line) {
                    Ok(e) if e.seq > after => log.push((e.seq, e.tx)),
                    Ok(_) => {}
                    // Only a torn last write can be unreadable: that request was not answered.
                    Err(e) => tracing::warn!("{}: line {} skipped: {e}", path.display(), i + 1),
                }
            }
        }
        log.sort_by_key(|(seq, _)| *seq);
        let wal = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&wal_path)
            .map_err(io(&wal_path))?;
        Ok((
            Store {
                dir: dir.to_path_buf(),
                wal,
                line: Vec::with_capacity(512),
            },
            Recovered {
                snapshot,
                recent,
                log,
            },
        ))
    }

    /// Logs a decided transaction. One `write` call: the bytes are in the OS before the answer
    /// goes out, which survives the process dying; `sync` adds surviving the machine dying.
    pub fn append(&mut self, seq: u64, tx: &TxInput) -> Result<(), StoreError> {
        self.line.clear();
        #[derive(serde::Serialize)]
        struct EntryRef<'a> {
            seq: u64,
            tx: &'a TxInput,
        }
        serde_json::to_writer(&mut self.line, &EntryRef { seq, tx }).map_err(|e| {
            StoreError::Corrupt {
                path: self.dir.join("wal.jsonl"),
                message: e.to_string(),
            }
        })?;
        self.line.push(b'\n');
        self.wal.write_all(&self.line).map_err(io(&self.dir))
    }

    pub fn sync(&mut self) -> Result<(), StoreError> {
        self.wal.sync_data().map_err(io(&self.dir))
    }

    /// Starts a new log, keeping the current one as `wal.prev.jsonl` until the snapshot that
    /// covers it is written. Returns `false` (and does nothing) while an earlier checkpoint is
    /// still being written.
    pub fn rotate(&mut self) -> Result<bool, StoreError> {
        let prev = self.dir.join("wal.prev.jsonl");
        if prev.exists() {
            return Ok(false);
        }
        let wal_path = self.dir.join("wal.jsonl");
        std::fs::rename(&wal_path, &prev).map_err(io(&prev))?;
        self.wal = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&wal_path)
            .map_err(io(&wal_path))?;
        Ok(true)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Reads either layout of `snapshot.bin` (see the module documentation).
fn read_snapshot(bytes: &[u8]) -> Result<(u64, Snapshot, Vec<Remembered>), String> {
    let short = || "shorter than its header".to_string();
    if bytes.get(..8) != Some(MAGIC.as_slice()) {
        let seq = u64_at(bytes, 0).ok_or_else(short)?;
        let snap = Snapshot::from_bytes(&bytes[8..]).map_err(|e| e.to_string())?;
        return Ok((seq, snap, Vec::new()));
    }
    let seq = u64_at(bytes, 8).ok_or_else(short)?;
    let len = u64_at(bytes, 16).ok_or_else(short)?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_add(24))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| format!("window snapshot of {len} bytes is cut short"))?;
    let snap = Snapshot::from_bytes(&bytes[24..end]).map_err(|e| e.to_string())?;
    let recent =
        serde_json::from_slice(&bytes[end..]).map_err(|e| format!("remembered decisions: {e}"))?;
    Ok((seq, snap, recent))
}

/// Writes the windows and the remembered decisions as of log entry `seq` durably, then drops
/// the log they cover. Runs without the server's lock.
pub fn write_snapshot(
    dir: &Path,
    seq: u64,
    snap: &Snapshot,
    recent: &[Remembered],
) -> Result<(), StoreError> {
    let tmp = dir.join("snapshot.tmp");
    let path = dir.join("snapshot.bin");
    let windows = snap.to_bytes();
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&seq.to_le_bytes());
    bytes.extend_from_slice(&(windows.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&windows);
    serde_json::to_writer(&mut bytes, recent).map_err(|e| StoreError::Corrupt {
        path: tmp.clone(),
        message: e.to_string(),
    })?;
    {
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(&bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    let prev = dir.join("wal.prev.jsonl");
    match std::fs::remove_file(&prev) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(&prev)(e)),
    }
}
