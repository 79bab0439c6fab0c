//! The audit log of writes: one JSON line per write tool call (time, calling
//! app, account, tool, arguments, outcome), in `<data_dir>/audit.jsonl`.
//! Tools take no secrets, so arguments are logged as given.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use erp_proto::admin::AuditEntry;

use crate::error::{CoreError, Result};

/// Append-only JSON-lines file.
pub struct AuditLog {
    path: PathBuf,
    lock: Mutex<()>,
}

impl AuditLog {
    /// The log in `data_dir`.
    pub fn new(data_dir: &std::path::Path) -> Self {
        Self { path: data_dir.join("audit.jsonl"), lock: Mutex::new(()) }
    }

    /// Append one entry.
    pub fn append(&self, entry: &AuditEntry) -> Result<()> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::Storage(format!("audit log: {e}")))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut line = serde_json::to_vec(entry).map_err(|e| CoreError::Internal(e.to_string()))?;
        line.push(b'\n');
        opts.open(&self.path)
            .and_then(|mut f| f.write_all(&line))
            .map_err(|e| CoreError::Storage(format!("audit log {}: {e}", self.path.display())))
    }

    /// The newest `limit` entries, newest first. Unreadable lines are skipped.
    pub fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CoreError::Storage(format!("audit log {}: {e}", self.path.display()))),
        };
        Ok(text.lines().rev().filter_map(|l| serde_json::from_str(l).ok()).take(limit).collect())
    }
}
