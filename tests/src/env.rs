//! A test's whole environment in one temp directory: the app's config, data
//! and socket, and a HOME and XDG dirs of its own, so nothing a test runs can
//! read or write the developer's files. Removed when dropped (no leaked dirs).

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// Variables a test never inherits from the developer's shell.
const SCRUBBED: &[&str] = &[
    "MCP_AUTHORIZED_USERS",
    "ERP_MCP_NO_AUTOSTART",
    "ERP_HELPER_APP",
    "ERP_HELPER_SESSION_STORE",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "MCP_GOOGLE_CLIENT_ID",
    "ERP_WEB_URL",
    "ERP_API_BASE_URL",
    "ERP_HELPER_CA_FILE",
    "ERP_HELPER_START_AT_LOGIN",
    "ERP_HELPER_READ_ONLY",
    "ERP_HELPER_WORKING_DAYS",
    "ERP_HELPER_HOURS_PER_DAY",
    // A proxy of the developer's (or CI's) would carry, or refuse, the tests' calls.
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "GSETTINGS_BACKEND",
];

/// One test's environment.
pub struct TestEnv {
    dir: TempDir,
    vars: Vec<(String, String)>,
}

impl TestEnv {
    /// A fresh environment for an app talking to the ERP at `api`.
    pub fn new(api: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = |sub: &str| dir.path().join(sub).display().to_string();
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        let vars = vec![
            ("ERP_API_BASE_URL".into(), api.to_string()),
            ("ERP_HELPER_CONFIG_DIR".into(), p("config")),
            ("ERP_HELPER_DATA_DIR".into(), p("data")),
            ("ERP_HELPER_SOCKET".into(), p("run/erp.sock")),
            ("HOME".into(), p("home")),
            ("XDG_CONFIG_HOME".into(), p("home/.config")),
            ("XDG_DATA_HOME".into(), p("home/.local/share")),
            ("XDG_CACHE_HOME".into(), p("home/.cache")),
        ];
        Self { dir, vars }
    }

    /// The directory everything lives in.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The app's socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("run/erp.sock")
    }

    /// Set (or replace) a variable.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
        self
    }

    /// Make the app's settings its own, as a user's are: the ERP and the
    /// session store go into its settings file (under `XDG_CONFIG_HOME`), and
    /// no process of this test names the ERP or the app's directories in its
    /// environment. An app that erp-mcp starts (with only the allowlisted
    /// variables) then finds the same settings and session as the CLI.
    pub fn app_owned(&mut self) -> &mut Self {
        let mut settings = serde_json::Map::new();
        for key in ["ERP_API_BASE_URL", "ERP_HELPER_SESSION_STORE"] {
            if let Some(v) = self.get(key) {
                settings.insert(key.to_lowercase(), v.into());
            }
        }
        let dir = self.dir.path().join("home/.config/erp-helper");
        std::fs::create_dir_all(&dir).expect("config dir");
        std::fs::write(dir.join("settings.json"), serde_json::Value::Object(settings).to_string()).expect("settings");
        let gone = ["ERP_API_BASE_URL", "ERP_HELPER_SESSION_STORE", "ERP_HELPER_CONFIG_DIR", "ERP_HELPER_DATA_DIR"];
        self.vars.retain(|(k, _)| !gone.contains(&k.as_str()));
        self
    }

    /// The variables, as `(key, value)`.
    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    /// One variable.
    pub fn get(&self, key: &str) -> Option<String> {
        self.vars.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// The app's settings as the app would read them from this environment.
    pub fn config(&self) -> erp_core::Config {
        erp_core::Config::from_lookup(|k| self.get(k)).expect("config")
    }

    /// Apply this environment to a command (and scrub the developer's).
    pub fn apply<'c>(&self, c: &'c mut Command) -> &'c mut Command {
        scrub(c);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// A command for a workspace binary in this environment.
    pub fn command(&self, binary: &str) -> Command {
        let mut c = Command::new(crate::bin(binary));
        self.apply(&mut c);
        c
    }
}

/// Remove the developer's settings that would change what a test sees.
pub(crate) fn scrub(c: &mut Command) -> &mut Command {
    for k in SCRUBBED {
        c.env_remove(k);
    }
    c
}
