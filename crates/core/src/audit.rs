//! The audit log of writes: one JSON line per write call (time, calling app,
//! account, tool, arguments, outcome), in `<data_dir>/audit.jsonl`, 0600.
//! Tools take no secrets, so arguments are logged as given.
//!
//! Append-only and fsync'd; rotated by size (`audit.1.jsonl` … `audit.N.jsonl`,
//! oldest dropped); read from the end, so a large log answers at once; a torn
//! last line (a crash mid-write) or bad bytes are skipped, never fatal, and the
//! next append starts on a line of its own. Appends and reads run off the async
//! runtime, one append at a time.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use erp_proto::admin::AuditEntry;

use crate::error::{CoreError, Result};
use crate::fsutil::{off_runtime, private_open_options};

/// Size at which the log is rotated.
pub const MAX_LOG_BYTES: u64 = 8 * 1024 * 1024;
/// Rotated files kept besides the current one.
pub const KEEP_ROTATED: usize = 4;
/// Bytes read per step when reading backwards.
const CHUNK: u64 = 64 * 1024;

/// Append-only JSON-lines file. Cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    path: Arc<PathBuf>,
    max_bytes: u64,
    keep: usize,
    lock: Arc<Mutex<()>>,
}

impl AuditLog {
    /// The log in `data_dir`, with the default limits.
    pub fn new(data_dir: &Path) -> Self {
        Self::with_limits(data_dir, MAX_LOG_BYTES, KEEP_ROTATED)
    }

    /// The log in `data_dir`, rotated at `max_bytes`, keeping `keep` old files.
    pub fn with_limits(data_dir: &Path, max_bytes: u64, keep: usize) -> Self {
        Self { path: Arc::new(data_dir.join("audit.jsonl")), max_bytes, keep, lock: Arc::default() }
    }

    /// The `n`th rotated file (0 is the current log).
    fn file(&self, n: usize) -> PathBuf {
        if n == 0 { (*self.path).clone() } else { self.path.with_extension(format!("{n}.jsonl")) }
    }

    fn rotate_if_full(&self) -> Result<()> {
        let size = std::fs::metadata(&*self.path).map(|m| m.len()).unwrap_or(0);
        if size < self.max_bytes {
            return Ok(());
        }
        for n in (1..=self.keep).rev() {
            let from = self.file(n - 1);
            if from.exists() {
                std::fs::rename(&from, self.file(n)).map_err(|e| CoreError::storage("rotate", from.display(), e))?;
            }
        }
        if self.keep == 0 {
            std::fs::remove_file(&*self.path).map_err(|e| CoreError::storage("rotate", self.path.display(), e))?;
        }
        Ok(())
    }

    fn append_blocking(&self, entry: &AuditEntry) -> Result<()> {
        let _one_writer = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let what = || self.path.display().to_string();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::storage("create", dir.display(), e))?;
        }
        self.rotate_if_full()?;
        let mut line = serde_json::to_vec(entry).map_err(|e| CoreError::Internal(e.to_string()))?;
        line.push(b'\n');
        let mut f = private_open_options()
            .create(true)
            .read(true)
            .append(true)
            .open(&*self.path)
            .map_err(|e| CoreError::storage("open", what(), e))?;
        // A torn last line (a crash mid-write): start this entry on a line of its own.
        if !ends_with_newline(&mut f).map_err(|e| CoreError::storage("read", what(), e))? {
            line.insert(0, b'\n');
        }
        f.write_all(&line).and_then(|()| f.sync_data()).map_err(|e| CoreError::storage("append to", what(), e))
    }

    /// Append one entry; a failure is logged (a write already happened in the ERP).
    pub async fn append(&self, entry: AuditEntry) {
        let log = self.clone();
        if let Err(e) = off_runtime(move || log.append_blocking(&entry)).await {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }

    /// The newest `limit` entries, newest first, across the rotated files.
    pub async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let log = self.clone();
        off_runtime(move || log.recent_blocking(limit).map(|(entries, _)| entries)).await
    }

    /// [`Self::recent`], and how many bytes it read.
    pub fn recent_blocking(&self, limit: usize) -> Result<(Vec<AuditEntry>, u64)> {
        let (mut out, mut read) = (Vec::new(), 0);
        for n in 0..=self.keep {
            if out.len() >= limit {
                break;
            }
            let path = self.file(n);
            match std::fs::File::open(&path) {
                Ok(mut f) => {
                    read += read_back(&mut f, limit - out.len(), &mut out)
                        .map_err(|e| CoreError::storage("read", path.display(), e))?
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(CoreError::storage("read", path.display(), e)),
            }
        }
        Ok((out, read))
    }
}

fn ends_with_newline(f: &mut std::fs::File) -> std::io::Result<bool> {
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    let mut last = [0u8; 1];
    f.seek(SeekFrom::Start(len - 1))?;
    f.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Read `f` backwards a chunk at a time, pushing up to `want` parsable entries
/// (newest first) onto `out`; returns the bytes read. Lines that do not parse
/// (torn, bad bytes, another format) are skipped.
fn read_back(f: &mut std::fs::File, want: usize, out: &mut Vec<AuditEntry>) -> std::io::Result<u64> {
    let mut pos = f.metadata()?.len();
    let (mut carry, mut read, mut found) = (Vec::new(), 0u64, 0usize);
    while pos > 0 && found < want {
        let step = CHUNK.min(pos);
        pos -= step;
        let mut buf = vec![0u8; step as usize];
        f.seek(SeekFrom::Start(pos))?;
        f.read_exact(&mut buf)?;
        read += step;
        buf.extend_from_slice(&carry);
        // Everything before the first newline may be the tail of an earlier line.
        let first = if pos == 0 { 0 } else { buf.iter().position(|b| *b == b'\n').map_or(buf.len(), |i| i + 1) };
        carry = buf[..first].to_vec();
        for line in buf[first..].split(|b| *b == b'\n').rev() {
            if found >= want {
                break;
            }
            if let Ok(entry) = serde_json::from_slice::<AuditEntry>(line) {
                out.push(entry);
                found += 1;
            }
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> AuditEntry {
        AuditEntry {
            time: format!("t{i}"),
            client: "c".into(),
            user: "u@x.org".into(),
            tool: "delete_log".into(),
            args: serde_json::json!({"i": i}),
            outcome: "ok".into(),
            detail: "d".repeat(100),
            change: None,
        }
    }

    fn times(v: &[AuditEntry]) -> Vec<String> {
        v.iter().map(|e| e.time.clone()).collect()
    }

    #[test]
    fn newest_first_and_a_torn_line_or_bad_bytes_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        log.append_blocking(&entry(1)).unwrap();
        // Bad bytes, then a crash mid-write.
        let mut f = std::fs::OpenOptions::new().append(true).open(dir.path().join("audit.jsonl")).unwrap();
        f.write_all(b"\xff\xfe garbage\n{\"time\": \"torn").unwrap();
        drop(f);
        log.append_blocking(&entry(2)).unwrap();
        let (got, _) = log.recent_blocking(10).unwrap();
        assert_eq!(times(&got), ["t2", "t1"]);
    }

    #[test]
    fn rotation_keeps_the_newest_files_and_reads_across_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::with_limits(dir.path(), 1000, 2);
        for i in 0..40 {
            log.append_blocking(&entry(i)).unwrap();
        }
        assert!(dir.path().join("audit.1.jsonl").exists() && dir.path().join("audit.2.jsonl").exists());
        assert!(!dir.path().join("audit.3.jsonl").exists());
        let size = std::fs::metadata(dir.path().join("audit.jsonl")).unwrap().len();
        assert!(size < 1000 + 400, "{size}");
        let (got, _) = log.recent_blocking(8).unwrap();
        assert_eq!(times(&got), (32..40).rev().map(|i| format!("t{i}")).collect::<Vec<_>>());
    }

    #[test]
    fn a_hundred_megabyte_log_is_read_from_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        // 100 MB of old (here: unreadable) history, then the recent entries.
        std::fs::File::create(&path).unwrap().set_len(100 * 1024 * 1024).unwrap();
        let log = AuditLog::with_limits(dir.path(), u64::MAX, 0);
        for i in 0..60 {
            log.append_blocking(&entry(i)).unwrap();
        }
        let (got, read) = log.recent_blocking(50).unwrap();
        assert_eq!(got.len(), 50);
        assert_eq!(got[0].time, "t59");
        assert!(read <= 2 * CHUNK, "read {read} bytes of a 100 MB log for 50 entries");
    }
}
