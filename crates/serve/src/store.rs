//! Durable decision state: a write-ahead log of every decided transaction and a snapshot of the
//! engine's windows. On start, the snapshot is restored and the log entries after it replayed,
//! so that a server killed at any moment (kill -9 included) decides on as if it never stopped.
//!
//! Files in the state folder:
//! - `snapshot.bin`: 8 bytes (little-endian) — the sequence number of the last logged
//!   transaction the snapshot includes — then the engine's binary window snapshot;
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

use finmon_rules::{Snapshot, TxInput};
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

/// What a state folder held at start.
pub struct Recovered {
    pub snapshot: Option<(u64, Snapshot)>,
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
        let snapshot = match std::fs::read(&snap_path) {
            Ok(bytes) => {
                let corrupt = |message: String| StoreError::Corrupt {
                    path: snap_path.clone(),
                    message,
                };
                let seq_bytes: [u8; 8] = bytes
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| corrupt("shorter than its header".into()))?;
                let snap = Snapshot::from_bytes(&bytes[8..]).map_err(|e| corrupt(e.to_string()))?;
                Some((u64::from_le_bytes(seq_bytes), snap))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
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
            Recovered { snapshot, log },
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

/// Writes the windows as of log entry `seq` durably, then drops the log they cover. Runs
/// without the server's lock.
pub fn write_snapshot(dir: &Path, seq: u64, snap: &Snapshot) -> Result<(), StoreError> {
    let tmp = dir.join("snapshot.tmp");
    let path = dir.join("snapshot.bin");
    let mut bytes = seq.to_le_bytes().to_vec();
    bytes.extend_from_slice(&snap.to_bytes());
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
