//! The link to the ERP Helper app: one connection, opened on the first tool
//! call and reused; reopened when the app restarts; the app started (detached)
//! when nothing answers. Also `doctor`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use erp_proto::client::{ClientError, Connection, Progress};
use erp_proto::{ClientInfo, RetryClass, RpcError};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use serde_json::Value;

/// How long to wait for a freshly started app to open its socket.
const START_WAIT: Duration = Duration::from_secs(15);
/// How long a connect and its hello may take before the app counts as hung.
const CONNECT_WAIT: Duration = Duration::from_secs(5);
/// Lines of a started app's stderr kept to explain an early exit.
const STDERR_LINES: usize = 5;

/// Whether and how to start the app when it is not running.
#[derive(Debug, Clone)]
pub enum Autostart {
    /// Never start it.
    Never,
    /// Look for it (with [`Autostart::from_env`]) when it is first needed.
    Find,
    /// Start this program (`None`: none was found).
    Program(Option<PathBuf>),
}

impl Autostart {
    /// `$ERP_HELPER_APP`, else `erp-helper` beside this binary, else on `PATH`.
    pub fn from_env() -> Self {
        if let Some(p) = std::env::var_os("ERP_HELPER_APP").filter(|p| !p.is_empty()) {
            return Self::Program(Some(PathBuf::from(p)));
        }
        let name = format!("erp-helper{}", std::env::consts::EXE_SUFFIX);
        let beside =
            std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join(&name))).filter(|p| is_executable(p));
        // Never a relative PATH entry: what it names depends on where the host was started.
        let on_path = || {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .filter(|d| d.is_absolute())
                    .map(|d| d.join(&name))
                    .find(|p| is_executable(p))
            })
        };
        Self::Program(beside.or_else(on_path))
    }
}

/// A regular file this user may run.
fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    p.is_file()
}

/// What went wrong reaching the app, in words a user can act on.
#[derive(Debug, Clone)]
pub(crate) enum LinkError {
    NotRunning(String),
    Disconnected,
    Rpc(RpcError),
    Other(String),
}

impl LinkError {
    /// One sentence (plus the sign-in link when there is one).
    pub(crate) fn for_user(&self) -> String {
        match self {
            Self::NotRunning(why) => format!(
                "The ERP Helper app is not running and could not be started ({why}). Start ERP Helper, sign in, then try again."
            ),
            Self::Disconnected => {
                "The ERP Helper app closed the connection (it quit or restarted) before answering. Try again.".into()
            }
            Self::Rpc(e) => match &e.sign_in_url {
                Some(url) => format!("{} (Sign-in link: {url})", e.message),
                None => e.message.clone(),
            },
            Self::Other(m) => format!("Could not talk to the ERP Helper app: {m}. Try again, or run `erp-mcp doctor`."),
        }
    }
}

impl From<ClientError> for LinkError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::NotRunning(p) => Self::NotRunning(format!("nothing answers at {p}")),
            ClientError::Disconnected => Self::Disconnected,
            ClientError::Rpc(e) => Self::Rpc(e),
            other => Self::Other(other.to_string()),
        }
    }
}

/// One connect attempt, shared by every call that needs it: ten calls arriving
/// while the app is down make one attempt and all hear its outcome.
type Connecting = Shared<BoxFuture<'static, Result<Arc<Connection>, LinkError>>>;

enum Slot {
    Empty,
    Live(Arc<Connection>),
    Connecting(Connecting),
}

/// The shim's side of the socket.
pub struct AppLink {
    socket: PathBuf,
    autostart: Autostart,
    /// Who this shim is, read once (the MCP host's name is added per call).
    me: ClientInfo,
    /// Held only to look at or replace the slot, never across a connect.
    conn: std::sync::Mutex<Slot>,
}

fn me() -> ClientInfo {
    ClientInfo {
        name: "erp-mcp".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        mcp_client: None,
        mcp_client_version: None,
        // The ERP the host's settings name for this server, if any: the app
        // refuses to answer for another.
        erp_api: std::env::var("ERP_API_BASE_URL").ok().filter(|u| !u.trim().is_empty()),
    }
}

impl AppLink {
    /// A link to the app at `socket`.
    pub fn new(socket: PathBuf, autostart: Autostart) -> Self {
        Self { socket, autostart, me: me(), conn: std::sync::Mutex::new(Slot::Empty) }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The live connection: reused, reopened if the app restarted, the app
    /// started if nothing answers. A call with a live connection never waits
    /// for another's connect; calls that need one share a single attempt.
    async fn connection(&self, client: &ClientInfo) -> Result<Arc<Connection>, LinkError> {
        let attempt = {
            let mut slot = self.slot();
            match &*slot {
                Slot::Live(c) if !c.is_closed() => return Ok(c.clone()),
                Slot::Connecting(a) => a.clone(),
                Slot::Live(_) | Slot::Empty => {
                    let a = open(self.socket.clone(), self.autostart.clone(), client.clone()).boxed().shared();
                    *slot = Slot::Connecting(a.clone());
                    a
                }
            }
        };
        let outcome = attempt.clone().await;
        let mut slot = self.slot();
        if matches!(&*slot, Slot::Connecting(a) if a.ptr_eq(&attempt)) {
            // A failure is not kept: the next call tries again.
            *slot = outcome.as_ref().map_or(Slot::Empty, |c| Slot::Live(c.clone()));
        }
        outcome
    }

    /// Forward one tool call. `retry`: whether it may be sent again if the app
    /// went away before answering (reads and idempotent writes only).
    pub(crate) async fn call(
        &self,
        tool: &str,
        args: Value,
        mcp_client: Option<(String, String)>,
        mut on_progress: impl FnMut(Progress),
        cancel: tokio_util::sync::CancellationToken,
        retry: RetryClass,
    ) -> Result<Value, LinkError> {
        let mut client = self.me.clone();
        if let Some((name, version)) = mcp_client {
            client.mcp_client = Some(name);
            client.mcp_client_version = Some(version);
        }
        let mut attempts = 0;
        loop {
            attempts += 1;
            let conn = tokio::select! {
                c = self.connection(&client) => c?,
                () = cancel.cancelled() => {
                    return Err(LinkError::Other("the call was cancelled before the app answered".into()));
                }
            };
            // A repeat says so: the app then takes no additive path for it.
            let repeat = attempts > 1;
            let r = conn
                .call_again(
                    tool,
                    args.clone(),
                    Some(client.clone()),
                    repeat,
                    &mut on_progress,
                    cancel.clone().cancelled_owned(),
                )
                .await;
            match r {
                Err(ClientError::Disconnected) if retry.may_repeat() && attempts == 1 && !cancel.is_cancelled() => {
                    tracing::info!(tool, "the app went away; reconnecting once");
                    continue;
                }
                other => return other.map_err(LinkError::from),
            }
        }
    }
}

/// Connect, starting the app when nothing answers.
async fn open(socket: PathBuf, autostart: Autostart, client: ClientInfo) -> Result<Arc<Connection>, LinkError> {
    let conn = match connect(&socket, &client).await {
        Ok(c) => c,
        // Nothing there, or an app that went away during the hello (killed, quitting).
        Err(ClientError::NotRunning(_) | ClientError::Disconnected) => start_app(&socket, &autostart, &client).await?,
        Err(e) => return Err(e.into()),
    };
    Ok(Arc::new(conn))
}

async fn start_app(socket: &Path, autostart: &Autostart, client: &ClientInfo) -> Result<Connection, LinkError> {
    let program = program(autostart)?;
    tracing::info!(program = %program.display(), "starting the ERP Helper app");
    let mut child = app_command(&program)
        .spawn()
        .map_err(|e| LinkError::NotRunning(format!("could not start {}: {e}", program.display())))?;
    let last_words = keep_last_lines(child.stderr.take());
    let mut ready = std::pin::pin!(said_ready(child.stdout.take()));
    let deadline = tokio::time::sleep(START_WAIT);
    let mut deadline = std::pin::pin!(deadline);
    // Only for an app too old to say "ready": a slow look, not a busy poll.
    let mut slow_look =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(1), Duration::from_secs(1));
    let mut heard = false;
    loop {
        tokio::select! {
            _ = &mut ready, if !heard => heard = true,
            status = child.wait() => {
                let said = last_words.await.unwrap_or_default().join(" / ");
                let handed_over = status.as_ref().is_ok_and(|s| s.success()) || said.contains("already running");
                if handed_over {
                    // Another instance (started by another shim just now) has
                    // the lock: it is the app; wait for its socket.
                    return wait_for_socket(socket, client, deadline.deadline()).await.ok_or_else(|| {
                        LinkError::NotRunning(format!(
                            "another ERP Helper was starting but did not open its socket within {} s",
                            START_WAIT.as_secs()
                        ))
                    })?;
                }
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                return Err(LinkError::NotRunning(format!(
                    "{} exited at once ({status}){}",
                    program.display(),
                    if said.is_empty() { String::new() } else { format!(": {said}") }
                )));
            }
            _ = slow_look.tick() => {}
            () = &mut deadline => {
                return Err(LinkError::NotRunning(format!(
                    "{} was started but did not open its socket within {} s",
                    program.display(),
                    START_WAIT.as_secs()
                )));
            }
        }
        match connect(socket, client).await {
            Ok(c) => return Ok(c),
            Err(ClientError::NotRunning(_) | ClientError::Disconnected) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Connect as soon as the socket answers, until `deadline` (an instance we
/// did not start, so nobody tells us when it is ready).
async fn wait_for_socket(
    socket: &Path,
    client: &ClientInfo,
    deadline: tokio::time::Instant,
) -> Option<Result<Connection, LinkError>> {
    while tokio::time::Instant::now() < deadline {
        match connect(socket, client).await {
            Ok(c) => return Some(Ok(c)),
            Err(ClientError::NotRunning(_) | ClientError::Disconnected) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => return Some(Err(e.into())),
        }
    }
    None
}

/// Which program to start, or why none.
fn program(autostart: &Autostart) -> Result<PathBuf, LinkError> {
    let found;
    let autostart = match autostart {
        Autostart::Find => {
            found = Autostart::from_env();
            &found
        }
        other => other,
    };
    match autostart {
        Autostart::Never => Err(LinkError::NotRunning("starting it automatically is turned off".into())),
        Autostart::Program(None) => Err(LinkError::NotRunning(
            "erp-helper was not found beside erp-mcp or in an absolute PATH directory; set ERP_HELPER_APP".into(),
        )),
        Autostart::Program(Some(p)) if !p.is_absolute() => {
            Err(LinkError::NotRunning(format!("ERP_HELPER_APP must be an absolute path, not {}", p.display())))
        }
        Autostart::Program(Some(p)) => Ok(p.clone()),
        Autostart::Find => unreachable!("resolved above"),
    }
}

/// The variables a started app is given: what a desktop program needs to run
/// and find its own settings, nothing that would let the host that happens to
/// start it choose the ERP, the Google client or the authorized users.
const PASSED_ENV: &[&str] = &[
    "HOME",
    "PATH",
    "USER",
    "LOGNAME",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XAUTHORITY",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
    "XDG_CONFIG_DIRS",
    "XDG_DATA_DIRS",
    "XDG_CURRENT_DESKTOP",
    "XDG_SESSION_TYPE",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "RUST_LOG",
    // Where the socket is: the shim and the app must agree on it.
    "ERP_HELPER_SOCKET",
];

/// The started app: detached from the host (own process group, stdin closed),
/// a short allowlisted environment, stdout a pipe for its "ready" line and
/// stderr a pipe for its last words.
fn app_command(program: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    cmd.env_clear();
    for (k, v) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if PASSED_ENV.contains(&name.as_ref()) || name.starts_with("LC_") {
            cmd.env(&k, v);
        }
    }
    cmd.env(erp_proto::socket::READY_ENV, "1");
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(false);
    // Its own process group: the host killing the shim's group must not kill the app.
    #[cfg(unix)]
    cmd.process_group(0);
    cmd
}

/// Resolves when the started app says it answers (its "ready" line), or when
/// its stdout closes without saying so.
async fn said_ready(stdout: Option<tokio::process::ChildStdout>) {
    use tokio::io::AsyncBufReadExt;
    let Some(stdout) = stdout else { return };
    let mut line = String::new();
    let _ = tokio::io::BufReader::new(stdout).read_line(&mut line).await;
}

/// Connect and exchange hellos, bounded by [`CONNECT_WAIT`]: an app that
/// accepts but never answers must not hang every call.
async fn connect(socket: &std::path::Path, client: &ClientInfo) -> Result<Connection, ClientError> {
    match tokio::time::timeout(CONNECT_WAIT, Connection::connect(socket, client.clone())).await {
        Ok(r) => r,
        Err(_) => Err(ClientError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the app at {} did not answer within {} s", socket.display(), CONNECT_WAIT.as_secs()),
        ))),
    }
}

/// Drain a child's stderr, keeping its last few lines (the child must never
/// block on a full pipe; after the shim exits its writes just fail). The
/// lines are there once its stderr closes.
fn keep_last_lines(stderr: Option<tokio::process::ChildStderr>) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        use tokio::io::AsyncBufReadExt;
        let mut kept = std::collections::VecDeque::new();
        let Some(stderr) = stderr else { return Vec::new() };
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            kept.push_back(line.chars().take(300).collect::<String>());
            if kept.len() > STDERR_LINES {
                kept.pop_front();
            }
        }
        kept.into()
    })
}

/// `erp-mcp doctor`: the app's checks (`erp_proto::doctor`), as text or
/// JSON; exit code 0 when all pass. Host configs are `erp-helper doctor`'s.
pub(crate) async fn doctor(link: &AppLink, json: bool, out: &mut impl Write) -> std::io::Result<i32> {
    let me =
        ClientInfo { name: "erp-mcp-doctor".into(), version: env!("CARGO_PKG_VERSION").into(), ..Default::default() };
    let report = erp_proto::doctor::Report::new(erp_proto::doctor::app_checks(&link.socket, me).await);
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report).unwrap_or_default())?;
    } else {
        write!(out, "{}", report.text())?;
        writeln!(out, "(The MCP hosts' configs: `erp-helper doctor` checks them.)")?;
    }
    Ok(report.code())
}
