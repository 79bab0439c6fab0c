//! Where the session is kept: the [`SessionStore`] seam and its three stores
//! (the OS keychain, a 0600 file where no keychain works, memory for tests and
//! demo mode). Store calls block; [`crate::session::Sessions`] runs them off
//! the async runtime. Not here: the live session (see `session`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::fsutil::{private_dir, write_private};
use crate::secret::ErpToken;

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
    pub token: ErpToken,
    /// RFC 3339.
    pub signed_in_at: String,
    /// The ERP API root the token belongs to. A session is only ever sent to
    /// that ERP; one without it (from an older version) is not used at all.
    #[serde(default)]
    pub api_base: Option<String>,
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
            Err(e) => Err(CoreError::storage("read", self.path.display(), e)),
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
            Err(e) => Err(CoreError::storage("delete", self.path.display(), e)),
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
            token: ErpToken::new("t0k3n"),
            signed_in_at: "now".into(),
            api_base: Some("https://erp.example.com/api/v1/".into()),
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

/// Keeps the session in the OS keychain (Secret Service on Linux, Keychain on
/// macOS, Credential Manager on Windows) as one entry, service `erp-helper`.
pub struct KeychainStore {
    account: String,
}

impl KeychainStore {
    /// The service name under which the session is kept.
    pub const SERVICE: &'static str = "erp-helper";

    /// A store for the ERP at `api_base` (one entry per ERP), if a keychain
    /// answers here; `None` when there is none (no Secret Service on the bus, …).
    pub fn open(api_base: &url::Url) -> Option<Self> {
        let store = Self { account: format!("session {}", api_base.as_str()) };
        match store.entry().and_then(|e| e.get_password().map(|_| ())) {
            Ok(()) | Err(keyring::Error::NoEntry) => Some(store),
            Err(e) => {
                tracing::info!(error = %e, "no usable keychain; the session will be kept in a private file");
                None
            }
        }
    }

    fn entry(&self) -> keyring::Result<keyring::Entry> {
        keyring::Entry::new(Self::SERVICE, &self.account)
    }

    fn err(action: &'static str, e: keyring::Error) -> CoreError {
        CoreError::storage(action, "the session in the keychain", e)
    }
}

impl SessionStore for KeychainStore {
    fn load(&self) -> Result<Option<StoredSession>> {
        match self.entry().and_then(|e| e.get_password()) {
            Ok(text) => match serde_json::from_str(&text) {
                Ok(s) => Ok(Some(s)),
                Err(e) => {
                    tracing::warn!(error = %e, "ignoring an unreadable keychain entry");
                    Ok(None)
                }
            },
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(Self::err("read", e)),
        }
    }
    fn save(&self, session: &StoredSession) -> Result<()> {
        let text = serde_json::to_string(session).map_err(|e| CoreError::Internal(e.to_string()))?;
        self.entry().and_then(|e| e.set_password(&text)).map_err(|e| Self::err("save", e))
    }
    fn clear(&self) -> Result<()> {
        match self.entry().and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(Self::err("delete", e)),
        }
    }
    fn describe(&self) -> String {
        "keychain (the system's secure credential store)".into()
    }
}

/// Which store to use (`ERP_HELPER_SESSION_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    /// The keychain when one answers, else the file (the default).
    Auto,
    /// The keychain, or fail to start.
    Keychain,
    /// The 0600 file.
    File,
    /// Memory only.
    Memory,
}

impl StoreChoice {
    /// Parse `auto`, `keychain`, `file` or `memory`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "" | "auto" => Ok(Self::Auto),
            "keychain" => Ok(Self::Keychain),
            "file" => Ok(Self::File),
            "memory" => Ok(Self::Memory),
            other => Err(CoreError::Config(format!(
                "ERP_HELPER_SESSION_STORE must be auto, keychain, file or memory, not {other:?}"
            ))),
        }
    }
}

/// The session store for `choice`. `Auto`: the keychain when one answers, else
/// a 0600 file in `<data_dir>/secret/`; a session left in that file by an
/// earlier run without a keychain is moved into the keychain.
pub fn open_store(config: &crate::Config, choice: StoreChoice) -> Result<std::sync::Arc<dyn SessionStore>> {
    let file = FileStore::new(config.data_dir.join("secret").join("session.json"));
    let keychain = match choice {
        StoreChoice::Memory => return Ok(std::sync::Arc::new(MemoryStore::default())),
        StoreChoice::File => return Ok(std::sync::Arc::new(file)),
        StoreChoice::Keychain => KeychainStore::open(&config.api_base).ok_or_else(|| {
            CoreError::Config("ERP_HELPER_SESSION_STORE=keychain, but no keychain answers here".into())
        })?,
        StoreChoice::Auto => match KeychainStore::open(&config.api_base) {
            Some(k) => k,
            None => return Ok(std::sync::Arc::new(file)),
        },
    };
    if let Ok(Some(old)) = file.load() {
        if keychain.load().ok().flatten().is_none() && keychain.save(&old).is_ok() {
            tracing::info!("moved the session from the fallback file into the keychain");
        }
        let _ = file.clear();
    }
    Ok(std::sync::Arc::new(keychain))
}
