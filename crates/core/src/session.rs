//! The session (token, account, how it was obtained) and where it is kept.
//! The app injects a [`SessionStore`]: the OS keychain in the desktop app, a
//! 0600 file where no keychain works, memory in tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use erp_proto::admin::Secret;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// How a session was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInVia {
    /// Google in the system browser, exchanged at `core/google-login/`.
    Google,
    /// Captured from the ERP's login page in the app's webview.
    ErpPage,
    /// Pasted by the user into the app or `signin --token-stdin`.
    Token,
    /// The embedded simulator's demo sign-in.
    Demo,
}

impl SignInVia {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::ErpPage => "erp_page",
            Self::Token => "token",
            Self::Demo => "demo",
        }
    }
}

/// What is stored: everything needed to resume after a restart.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredSession {
    /// The account.
    pub email: String,
    /// How it was obtained.
    pub via: SignInVia,
    /// The ERP token.
    pub token: Secret,
    /// RFC 3339.
    pub signed_in_at: String,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession").field("email", &self.email).field("via", &self.via).finish_non_exhaustive()
    }
}

/// Where the session is kept. Calls may block (keychain over D-Bus): the core
/// runs them on the blocking pool.
pub trait SessionStore: Send + Sync + 'static {
    /// The stored session, if any.
    fn load(&self) -> Result<Option<StoredSession>>;
    /// Replace the stored session.
    fn save(&self, session: &StoredSession) -> Result<()>;
    /// Delete it (no error when there is none).
    fn clear(&self) -> Result<()>;
    /// For `status`: e.g. `keychain (Secret Service)` or `file /path (0600)`.
    fn describe(&self) -> String;
}

/// Keeps the session in memory only (tests; `--memory-session`).
#[derive(Default)]
pub struct MemoryStore(Mutex<Option<StoredSession>>);

impl SessionStore for MemoryStore {
    fn load(&self) -> Result<Option<StoredSession>> {
        Ok(self.0.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }
    fn save(&self, session: &StoredSession) -> Result<()> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(session.clone());
        Ok(())
    }
    fn clear(&self) -> Result<()> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }
    fn describe(&self) -> String {
        "memory (lost when the app quits)".into()
    }
}

/// Keeps the session in a file readable only by this user (0600, in a 0700
/// directory), written atomically. Used only where no keychain works.
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn storage_err(what: &str, path: &Path, e: impl std::fmt::Display) -> CoreError {
    CoreError::Storage(format!("could not {what} {}: {e}", path.display()))
}

/// Create `dir` (and parents) and make it 0700 on Unix.
pub fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| storage_err("create", dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| storage_err("protect", dir, e))?;
    }
    Ok(())
}

/// Write `bytes` to `path` atomically, readable only by this user.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| storage_err("create", dir, e))?;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(|e| storage_err("write", &tmp, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| storage_err("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| storage_err("replace", path, e))
}

impl SessionStore for FileStore {
    fn load(&self) -> Result<Option<StoredSession>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(s) => Ok(Some(s)),
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "ignoring unreadable session file");
                    Ok(None)
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage_err("read", &self.path, e)),
        }
    }
    fn save(&self, session: &StoredSession) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            private_dir(dir)?;
        }
        let bytes = serde_json::to_vec(session).map_err(|e| CoreError::Internal(e.to_string()))?;
        write_private(&self.path, &bytes)
    }
    fn clear(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage_err("delete", &self.path, e)),
        }
    }
    fn describe(&self) -> String {
        format!("file {} (readable only by you)", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trips_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("secret/session.json"));
        assert!(store.load().unwrap().is_none());
        let s = StoredSession {
            email: "a@b.c".into(),
            via: SignInVia::Token,
            token: Secret::new("t0k3n"),
            signed_in_at: "now".into(),
        };
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap().unwrap().token.expose(), "t0k3n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = std::fs::metadata(store.path().parent().unwrap()).unwrap().permissions().mode() & 0o777;
            assert_eq!(dmode, 0o700);
        }
        assert!(!format!("{s:?}").contains("t0k3n"));
        store.clear().unwrap();
        store.clear().unwrap();
        assert!(store.load().unwrap().is_none());
    }
}
