//! Test harness: an ERP simulator, a headless app core serving a temp socket
//! (in-process, no Tauri), and the real `erp-mcp` binary driven by rmcp's
//! client over stdio. Each harness owns its environment ([`TestEnv`]: config,
//! data, socket, HOME). Also the shared helpers: [`eventually`] and
//! [`assert_no_secret`].

pub mod desktop;
mod env;

pub use env::TestEnv;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use erp_core::core::HeadlessSignIn;
use erp_core::google::Opener;
use erp_core::secret::ErpToken;
use erp_core::store::{MemoryStore, SessionStore, SignInVia};
use erp_core::{CoreDeps, CoreHandle};
use erp_sim::{Sim, SimConfig};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Path of a workspace binary. `scripts/test.sh` builds them before the tests
/// run; no test runs `cargo build`. With `ERP_E2E_BIN_DIR` set (the installed
/// package's tests: `/usr/bin`), the binaries there instead.
pub fn bin(name: &str) -> PathBuf {
    let dir = std::env::var_os("ERP_E2E_BIN_DIR").map(PathBuf::from).unwrap_or_else(|| target_dir().join("debug"));
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: run scripts/test.sh, or `cargo build -p erp-mcp -p erp-helper` before `cargo test`",
        path.display()
    );
    path
}

/// Poll `f` until it gives `Some`, for up to `secs` seconds; fail naming `what`.
pub async fn eventually<T>(what: &str, secs: u64, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// [`eventually`] for code outside a runtime.
pub fn eventually_blocking<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The one "no secret anywhere" check: `secret` is in none of `texts` (outputs
/// a test captured) and in no file under `dir` except those in `allowed`.
pub fn assert_no_secret(secret: &str, texts: &[String], dir: &Path, allowed: &[&Path]) {
    assert!(secret.len() >= 8, "that is not a secret worth looking for");
    for text in texts {
        assert!(!text.contains(secret), "a secret in captured output: {text}");
    }
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if allowed.contains(&p.as_path()) || p.is_symlink() {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                files += 1;
                let hit = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!hit, "a secret in {}", p.display());
            }
        }
    }
    assert!(files > 0 || !texts.is_empty(), "nothing was checked under {}", dir.display());
}

/// The Monday `weeks` weeks after the one containing `today` (negative: before).
pub fn monday(weeks: i64) -> NaiveDate {
    let today = chrono::Utc::now().date_naive();
    today - Duration::days(today.weekday().num_days_from_monday() as i64) + Duration::weeks(weeks)
}

/// The first Monday from [`monday`]`(weeks)` on whose Monday to Friday none of
/// erp-sim's fixed holidays falls: a week a fill writes whole.
pub fn working_monday(weeks: i64) -> NaiveDate {
    let clear = |m: NaiveDate| {
        (0..5)
            .map(|i| m + Duration::days(i))
            .all(|d| !erp_sim::FIXED_HOLIDAYS.iter().any(|&(mo, da, _)| (d.month(), d.day()) == (mo, da)))
    };
    (weeks..).map(monday).find(|m| clear(*m)).expect("a week without a holiday")
}

/// A simulator plus an in-process headless app on a temp socket.
pub struct Harness {
    /// The ERP.
    pub sim: Sim,
    /// Everything on disk for this test, and the variables the app runs with.
    pub env: TestEnv,
    /// The app's socket.
    pub socket: PathBuf,
    /// The app's core.
    pub core: CoreHandle,
    store: Arc<MemoryStore>,
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
        let mut test_env = TestEnv::new(&sim.api_url());
        for (k, v) in env {
            test_env.set(k, *v);
        }
        let socket = test_env.socket();
        let store = Arc::new(MemoryStore::default());
        let (core, shutdown, server) = Self::serve(&test_env, store.clone(), opener.clone()).await;
        Self { sim, env: test_env, socket, core, store, opener, shutdown, server: Some(server) }
    }

    /// The test's directory.
    pub fn dir(&self) -> &Path {
        self.env.path()
    }

    async fn serve(
        env: &TestEnv,
        store: Arc<MemoryStore>,
        opener: Opener,
    ) -> (CoreHandle, CancellationToken, JoinHandle<()>) {
        let config = env.config();
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
        self.core.sign_in().with_token(ErpToken::new(token), None, SignInVia::Token).await.expect("sign in");
    }

    /// Start the real `erp-mcp` in this harness's environment (autostart off)
    /// and initialise it as MCP client `client_name`.
    pub async fn mcp_as(&self, client_name: &str) -> Mcp {
        spawn_mcp_in(&self.env, client_name, &[("ERP_MCP_NO_AUTOSTART", "1")]).await
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

/// A running `erp-mcp` with an initialised MCP client session.
pub struct Mcp {
    /// The rmcp client.
    pub client: RunningService<RoleClient, rmcp::model::ClientConfig>,
}

/// Spawn `erp-mcp` in `test_env` with extra variables, as MCP client `client_name`.
pub async fn spawn_mcp_in(test_env: &TestEnv, client_name: &str, extra: &[(&str, &str)]) -> Mcp {
    let mut cmd = test_env.command("erp-mcp");
    // The shim's stderr is the test's: quiet unless a test asks.
    cmd.env("RUST_LOG", "warn").envs(extra.iter().copied());
    start_mcp(cmd, client_name).await
}

/// Spawn `erp-mcp` on `socket` (the caller's environment, scrubbed) with extra
/// variables, as MCP client `client_name`.
pub async fn spawn_mcp(socket: &Path, client_name: &str, extra: &[(&str, &str)]) -> Mcp {
    let mut cmd = std::process::Command::new(bin("erp-mcp"));
    env::scrub(&mut cmd).env("ERP_HELPER_SOCKET", socket).envs(extra.iter().copied());
    start_mcp(cmd, client_name).await
}

/// Initialise an `erp-mcp` started by `cmd` (any program, any environment) as MCP client `client_name`.
pub async fn start_mcp(cmd: std::process::Command, client_name: &str) -> Mcp {
    let cmd = tokio::process::Command::from(cmd);
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

/// The running `erp-helper` serving `socket` (found in /proc by its binary and
/// its `ERP_HELPER_SOCKET`): its pid and environment.
pub fn app_process(socket: &Path) -> Option<(u32, Vec<(String, String)>)> {
    app_processes(socket).into_iter().next()
}

/// Every running `erp-helper` started for `socket`: pid and environment.
pub fn app_processes(socket: &Path) -> Vec<(u32, Vec<(String, String)>)> {
    let Ok(app) = bin("erp-helper").canonicalize() else { return Vec::new() };
    let needle = format!("ERP_HELPER_SOCKET={}", socket.display());
    let Ok(procs) = std::fs::read_dir("/proc") else { return Vec::new() };
    procs
        .flatten()
        .filter_map(|p| {
            let pid: u32 = p.file_name().to_str()?.parse().ok()?;
            let exe = std::fs::read_link(p.path().join("exe")).ok()?;
            let environ = std::fs::read(p.path().join("environ")).ok()?;
            let vars: Vec<String> =
                environ.split(|b| *b == 0).map(|v| String::from_utf8_lossy(v).into_owned()).collect();
            (exe == app && vars.contains(&needle)).then(|| {
                let vars = vars.iter().filter_map(|v| v.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect();
                (pid, vars)
            })
        })
        .collect()
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
    let text = eventually("the browser's last page", 10, async || std::fs::read_to_string(out).ok()).await;
    let (status, body) = text.split_once('\n').unwrap_or((&text, ""));
    (status.trim().parse().unwrap_or(0), body.to_string())
}
