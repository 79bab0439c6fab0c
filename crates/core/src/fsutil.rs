//! File helpers for the app's own files (settings, allowlist, session file,
//! audit log): private directories, atomic private writes, and running
//! blocking I/O off the async runtime. A leaf above `error` only.

use std::io::Write;
use std::path::Path;

use crate::error::{CoreError, Result};

/// Create `dir` (and parents) and make it 0700 on Unix.
pub fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| CoreError::storage("create", dir.display(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| CoreError::storage("protect", dir.display(), e))?;
    }
    Ok(())
}

/// Open options for a file only this user may read (0600 on Unix).
pub fn private_open_options() -> std::fs::OpenOptions {
    let mut opts = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Write `bytes` to `path` atomically (temp file, fsync, rename), readable only by this user.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| CoreError::storage("create", dir.display(), e))?;
    let tmp = path.with_extension("tmp");
    let mut f = private_open_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| CoreError::storage("write", tmp.display(), e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| CoreError::storage("write", tmp.display(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| CoreError::storage("replace", path.display(), e))
}

/// Run blocking work (files, the keychain over D-Bus) on the blocking pool, so
/// neither the async runtime nor a UI thread waits on a disk or a daemon.
pub async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| CoreError::Internal(format!("a blocking task failed: {e}")))?
}
