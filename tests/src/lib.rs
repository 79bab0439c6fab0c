//! Test harness: an ERP simulator, a headless app core serving a temp socket
//! (in-process, no Tauri), and the real `erp-mcp` binary driven by rmcp's
//! client over stdio. Each harness has its own temp directory.

pub mod desktop;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, OnceLock};

use chrono::{Datelike, Duration, NaiveDate};
use erp_core::core::HeadlessSignIn;
use erp_core::google::Opener;
use erp_core::session::{MemoryStore, SessionStore, SignInVia};
use erp_core::{Config, CoreDeps, CoreHandle};
use erp_proto::admin::Secret;
use erp_sim::{Sim, SimConfig};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Path of a workspace binary, built once per test process (`cargo build` is a
/// no-op when it is up to date).
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "-p", "erp-mcp", "-p", "erp-helper"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building erp-mcp and erp-helper failed");
    });
    target_dir().join("debug").join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The Monday `weeks` weeks after the one containing `today` (negative: before).
pub fn monday(weeks: i64) -> NaiveDate {
    let today = chrono::Utc::now().date_naive();
    today - Duration::days(today.weekday().num_days_from_monday() as i64) + Duration::weeks(weeks)
}

/// A simulator plus an in-process headless app on a temp socket.
pub struct Harness {
    /// The ERP.
    pub sim: Sim,
    /// Everything on disk for this test.
    pub dir: TempDir,
    /// The app's socket.
    pub socket: PathBuf,
    /// The app's core.
    pub core: CoreHandle,
    store: Arc<MemoryStore>,
    env: Vec<(String, String)>,
    opener: Opener,
    shutdown: CancellationToken,
    server: Option<JoinHandle<()>>,
}

impl Harness {
    /// Default simulator, not signed in.
    pub async fn start() -> Self {
        Self::with(SimConfig::default(), &[]).await
    }

    /// Default simulator, signed in as `email`.
    pub async fn signed_in(email: &str) -> Self {
        let h = Self::start().await;
        h.sign_in(email).await;
        h
    }

    /// A simulator with `config`, and extra app environment (e.g. `MCP_AUTHORIZED_USERS`).
    pub async fn with(config: SimConfig, env: &[(&str, &str)]) -> Self {
        Self::with_opener(config, env, erp_core::google::system_opener()).await
    }

    /// [`Self::with`], opening URLs with `opener` instead of the system browser.
    pub async fn with_opener(config: SimConfig, env: &[(&str, &str)], opener: Opener) -> Self {
        let sim = Sim::start(config).await.expect("start erp-sim");
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("erp.sock");
        let mut all = vec![
            ("ERP_API_BASE_URL".to_string(), sim.api_url()),
            ("ERP_HELPER_CONFIG_DIR".to_string(), dir.path().join("config").display().to_string()),
            ("ERP_HELPER_DATA_DIR".to_string(), dir.path().join("data").display().to_string()),
            ("ERP_HELPER_SOCKET".to_string(), socket.display().to_string()),
        ];
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let store = Arc::new(MemoryStore::default());
        let (core, shutdown, server) = Self::serve(&all, store.clone(), opener.clone()).await;
        Self { sim, dir, socket, core, store, env: all, opener, shutdown, server: Some(server) }
    }

    async fn serve(
        env: &[(String, String)],
        store: Arc<MemoryStore>,
        opener: Opener,
    ) -> (CoreHandle, CancellationToken, JoinHandle<()>) {
        let config = config_from(env);
        let listener = erp_core::ipc::bind(&config.socket).await.expect("bind socket");
        let store: Arc<dyn SessionStore> = store;
        let deps = CoreDeps { config, store, sign_in_ui: Arc::new(HeadlessSignIn), demo: None, opener };
        let core = CoreHandle::build(deps).await.expect("build core");
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(erp_core::ipc::serve(listener, core.clone(), shutdown.clone()));
        (core, shutdown, server)
    }

    /// Stop the app (its socket goes away).
    pub async fn stop_app(&mut self) {
        self.shutdown.cancel();
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }

    /// Stop and start the app again, keeping its stored session.
    pub async fn restart_app(&mut self) {
        self.stop_app().await;
        let (core, shutdown, server) = Self::serve(&self.env, self.store.clone(), self.opener.clone()).await;
        self.core = core;
        self.shutdown = shutdown;
        self.server = Some(server);
    }

    /// Sign the app in as a simulator account, through the real verification.
    pub async fn sign_in(&self, email: &str) {
        let token = self.sim.token_for(email).expect("seeded account");
        self.core.sign_in_with_token(Secret::new(token), None, SignInVia::Token).await.expect("sign in");
    }

    /// Start the real `erp-mcp` against this app (autostart off) and initialise it
    /// as MCP client `client_name`.
    pub async fn mcp_as(&self, client_name: &str) -> Mcp {
        spawn_mcp(&self.socket, client_name, &[("ERP_MCP_NO_AUTOSTART", "1")]).await
    }

    /// [`Self::mcp_as`] with the name `e2e-test`.
    pub async fn mcp(&self) -> Mcp {
        self.mcp_as("e2e-test").await
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn config_from(env: &[(String, String)]) -> Config {
    Config::from_lookup(|k| env.iter().rev().find(|(a, _)| a == k).map(|(_, b)| b.clone())).expect("config")
}

/// A running `erp-mcp` with an initialised MCP client session.
pub struct Mcp {
    /// The rmcp client.
    pub client: RunningService<RoleClient, rmcp::model::ClientConfig>,
}

/// Spawn `erp-mcp` on `socket` with extra env, as MCP client `client_name`.
pub async fn spawn_mcp(socket: &Path, client_name: &str, env: &[(&str, &str)]) -> Mcp {
    let cmd = tokio::process::Command::new(bin("erp-mcp")).configure(|c| {
        c.env("ERP_HELPER_SOCKET", socket).env_remove("ERP_MCP_NO_AUTOSTART").env_remove("ERP_HELPER_APP");
        for (k, v) in env {
            c.env(k, v);
        }
    });
    let (transport, _stderr) = TokioChildProcess::builder(cmd).stderr(Stdio::inherit()).spawn().expect("spawn erp-mcp");
    let info = rmcp::model::ClientConfig::new(
        rmcp::model::ClientCapabilities::default(),
        rmcp::model::Implementation::new(client_name, "9.9.9"),
    );
    let client = info.serve(transport).await.expect("MCP initialize");
    Mcp { client }
}

impl Mcp {
    /// Call a tool; protocol errors panic (they are never expected).
    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let Value::Object(obj) = args else { panic!("args must be an object") };
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(obj))
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error {e}"))
    }

    /// Call a tool that must succeed; returns its structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        let r = self.call(tool, args).await;
        assert_ne!(r.is_error, Some(true), "{tool} failed: {}", text(&r));
        r.structured_content.clone().unwrap_or_else(|| panic!("{tool}: no structured content"))
    }

    /// Call a tool that must fail with `isError`; returns its one message.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        let r = self.call(tool, args).await;
        assert_eq!(r.is_error, Some(true), "{tool} should have failed: {}", text(&r));
        text(&r)
    }
}

/// The text content of a result.
pub fn text(r: &CallToolResult) -> String {
    r.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

/// Every (date, hours, minutes, description) a week detail holds for a project.
pub fn entries(detail: &Value, team: &str) -> Vec<(String, i64, i64, String)> {
    let mut out = Vec::new();
    for p in detail["projects"].as_array().into_iter().flatten() {
        if p["team"] != json!(team) {
            continue;
        }
        for t in p["tasks"].as_array().into_iter().flatten() {
            for d in t["days"].as_array().into_iter().flatten() {
                out.push((
                    d["date"].as_str().unwrap_or_default().to_string(),
                    d["hours"].as_i64().unwrap_or(-1),
                    d["minutes"].as_i64().unwrap_or(-1),
                    t["description"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The scripted browser (`tests/support/fake-browser.py`) as the URL opener:
/// it follows `mode` (see the script) and writes the last page it got to `out`.
pub fn fake_browser(mode: &str, out: &Path) -> Opener {
    let (mode, out) = (mode.to_string(), out.to_path_buf());
    Arc::new(move |url: &str| {
        let status = std::process::Command::new("python3")
            .arg(fake_browser_path())
            .arg(url)
            .env("FAKE_BROWSER_MODE", &mode)
            .env("FAKE_BROWSER_OUT", &out)
            .status()?;
        if status.success() { Ok(()) } else { Err(std::io::Error::other("fake browser failed")) }
    })
}

/// The scripted browser's path (usable as `$BROWSER`).
pub fn fake_browser_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("support/fake-browser.py")
}

/// Wait for the scripted browser's last page: (HTTP status, body).
pub async fn browser_page(out: &Path) -> (u16, String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(out) {
            let (status, body) = text.split_once('\n').unwrap_or((&text, ""));
            return (status.trim().parse().unwrap_or(0), body.to_string());
        }
        assert!(std::time::Instant::now() < deadline, "the browser never got a page");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
