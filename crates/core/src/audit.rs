//! The audit log of writes: one JSON line per write call (time, calling app,
//! account, tool, arguments, outcome), in `<data_dir>/audit.jsonl`, 0600.
//! Tools take no secrets, so arguments are logged as given. Appends and reads
//! run off the async runtime, one append at a time.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use erp_proto::admin::AuditEntry;

use crate::error::{CoreError, Result};
use crate::fsutil::{off_runtime, private_open_options};

/// Append-only JSON-lines file. Cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    path: Arc<PathBuf>,
    lock: Arc<Mutex<()>>,
}

impl AuditLog {
    /// The log in `data_dir`.
    pub fn new(data_dir: &std::path::Path) -> Self {
        Self { path: Arc::new(data_dir.join("audit.jsonl")), lock: Arc::default() }
    }

    fn append_blocking(&self, entry: &AuditEntry) -> Result<()> {
        let _one_writer = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let what = || self.path.display().to_string();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::storage("create", dir.display(), e))?;
        }
        let mut line = serde_json::to_vec(entry).map_err(|e| CoreError::Internal(e.to_string()))?;
        line.push(b'\n');
        private_open_options()
            .create(true)
            .append(true)
            .open(&*self.path)
            .and_then(|mut f| f.write_all(&line))
            .map_err(|e| CoreError::storage("append to", what(), e))
    }

    /// Append one entry; a failure is logged (a write already happened in the ERP).
    pub async fn append(&self, entry: AuditEntry) {
        let log = self.clone();
        if let Err(e) = off_runtime(move || log.append_blocking(&entry)).await {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }

    /// The newest `limit` entries, newest first. Unreadable lines are skipped.
    pub async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let path = self.path.clone();
        off_runtime(move || {
            let text = match std::fs::read_to_string(&*path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(CoreError::storage("read", path.display(), e)),
            };
            Ok(text.lines().rev().filter_map(|l| serde_json::from_str(l).ok()).take(limit).collect())
        })
        .await
    }
}
