//! The command line: the app's modes and the verbs that talk to a running
//! instance over its socket (`status`, `signin`, `signout`, `allow`, `audit`).

use std::io::{Read, Write};

use clap::{Parser, Subcommand};
use erp_proto::ClientInfo;
use erp_proto::admin::{self, ErpToken};
use erp_proto::client::{ClientError, Connection};
use erp_proto::tools::NoArgs;

/// ERP Helper: signs you in to the ERP and lets your AI assistant read and fill your time logs.
#[derive(Debug, Parser)]
#[command(name = "erp-helper", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Verb>,
    /// Run without any window (SSH sessions, servers, CI).
    #[arg(long)]
    headless: bool,
    /// Run against the embedded ERP simulator (no ERP account needed).
    #[arg(long)]
    demo: bool,
    /// Port of the demo simulator on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    demo_port: u16,
    /// Keep the session in memory only (lost when the app quits).
    #[arg(long)]
    memory_session: bool,
    /// Open a window at start (status, token, allowlist, activity, erp-login, google).
    #[arg(long, value_name = "WINDOW")]
    open: Vec<String>,
    /// An erp-helper:// link to open (what the desktop passes when one is clicked).
    #[arg(value_name = "LINK")]
    link: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Show the session, the ERP, the authorized users and the connected apps.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign in.
    Signin {
        /// Read an ERP token from standard input (it never appears on screen or in the chat).
        #[arg(long)]
        token_stdin: bool,
        /// Sign in with Google in the browser (the default).
        #[arg(long)]
        google: bool,
        /// Open the ERP's own sign-in page in the app's window (tray app only).
        #[arg(long)]
        erp_page: bool,
        /// Demo mode: sign in as a simulator account (default jane@example.com).
        #[arg(long, value_name = "EMAIL", num_args = 0..=1, default_missing_value = "")]
        demo: Option<String>,
    },
    /// Sign out and delete the stored session.
    Signout,
    /// Quit the running app.
    Quit,
    /// End one connected app's connection (its id is in `erp-helper status`);
    /// that process may not connect again.
    Disconnect {
        /// The id `erp-helper status` shows in brackets.
        id: u64,
    },
    /// The authorized-users list (empty: any account the ERP accepts).
    Allow {
        #[command(subcommand)]
        action: AllowAction,
    },
    /// The app's own settings (the ERP, the Google client): show them, or set
    /// one. The environment of whoever starts the app wins over them.
    #[command(args_conflicts_with_subcommands = true)]
    Settings {
        #[command(subcommand)]
        action: Option<SettingsAction>,
        /// Start the tray app when you log in (the tray's "Start at login").
        #[arg(long, value_name = "on|off", value_parser = ["on", "off"], conflicts_with_all = ["ca_file", "read_only"])]
        start_at_login: Option<String>,
        /// Read-only mode: assistants may read your logs but not change them
        /// (the tray's "Read-only"). Takes effect at once in a running app.
        #[arg(long, value_name = "on|off", value_parser = ["on", "off"], conflicts_with = "ca_file")]
        read_only: Option<String>,
        /// A PEM file of extra certificate authorities to trust, for a company
        /// network that inspects HTTPS ('' removes it). Checked before it is kept.
        #[arg(long, value_name = "PATH")]
        ca_file: Option<std::path::PathBuf>,
    },
    /// Connect an MCP host (Cursor, Claude Desktop, VS Code, Windsurf, Claude Code,
    /// Zed, Cline, Continue, Goose, LM Studio, Codex CLI): add erp-mcp to its
    /// config, keeping everything else (the old file is backed up).
    Connect {
        /// The host, e.g. cursor (see --list).
        host: Option<String>,
        /// Show exactly what would be written, and write nothing.
        #[arg(long)]
        print: bool,
        /// Take ERP Helper out of the host's config instead.
        #[arg(long)]
        remove: bool,
        /// Say, for every host, whether it is installed and connected.
        #[arg(long, conflicts_with_all = ["print", "remove"])]
        list: bool,
        /// Claude Desktop only: write an installable `.mcpb` bundle to this file
        /// instead of editing its config (open the file to install it).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["print", "remove", "list"])]
        mcpb: Option<std::path::PathBuf>,
    },
    /// Check the app, its socket, the protocol on both sides, the session, the
    /// authorized users, the ERP (DNS, connection, HTTPS, proxy) and every
    /// host's config; say how to fix each problem (exit 1 on a problem).
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// What a bug report needs, with every secret removed: versions, OS,
    /// settings, network, the socket and the session, connected apps, the
    /// last log lines (the log itself: `erp-helper.log` in the data directory's `logs`).
    Diagnostics {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Recent writes made through ERP Helper, newest first.
    Audit {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
enum SettingsAction {
    /// Show each setting, its value and where it comes from (the default).
    Show,
    /// Set one, e.g. `erp-helper settings set erp_api_base_url https://erp.example.com/api/v1/`.
    Set {
        /// The setting's name (see `erp-helper settings`).
        key: String,
        /// Its new value.
        value: String,
    },
    /// Remove one from the settings file (its default applies again).
    Unset {
        /// The setting's name.
        key: String,
    },
}

#[derive(Debug, Subcommand)]
enum AllowAction {
    /// Show the list.
    List,
    /// Add an email or an @domain.
    Add {
        /// e.g. jane@example.com or @example.com
        entry: String,
    },
    /// Remove an entry.
    Remove {
        /// The entry to remove.
        entry: String,
    },
}

/// Why no tray can be shown here, if none can: no display named, or one that
/// cannot be opened (a stale `DISPLAY` over SSH, a host started without
/// `XAUTHORITY`). GTK is asked here, where a failure is an answer; inside
/// Tauri it would be a panic.
fn no_display() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let named =
            ["WAYLAND_DISPLAY", "DISPLAY"].into_iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        let Some(display) = named else { return Some("no display".into()) };
        if gtk::init().is_err() {
            let display: String = display.chars().filter(|c| !c.is_control()).take(100).collect();
            return Some(format!("the display {display} cannot be opened"));
        }
    }
    None
}

/// The process entry point; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    if cli.command.is_none() && !cli.headless {
        // Before any thread starts and before GTK opens the display.
        crate::gui::keep_gl_out_of_the_tray();
    }
    match erp_core::Config::from_env() {
        // The app itself (tray or headless) also logs to its file; the verbs to stderr only.
        Ok(config) if cli.command.is_none() => erp_proto::logging::init_app(&config.data_dir.join("logs"), "info"),
        _ => erp_proto::logging::init_stderr(None, "info"),
    }
    let opts = crate::setup::Options { demo: cli.demo, demo_port: cli.demo_port, memory_session: cli.memory_session };
    let no_display = if cli.headless || cli.command.is_some() { None } else { no_display() };
    let result = match cli.command {
        None if !cli.headless && no_display.is_none() => {
            // The tray app runs on Tauri's runtime: one runtime per process.
            let mut open: Vec<String> = cli.open.iter().flat_map(|w| ["--open".to_string(), w.clone()]).collect();
            open.extend(cli.link.clone());
            tauri::async_runtime::block_on(crate::setup::prepare(&opts))
                .and_then(|setup| crate::gui::run(setup, open))
                .map(|()| 0)
        }
        command => match tokio::runtime::Runtime::new() {
            Err(e) => Err(e.into()),
            Ok(rt) => rt.block_on(async {
                match command {
                    Some(verb) => verb_main(verb).await,
                    None => {
                        if let Some(why) = &no_display {
                            let _ = writeln!(
                                std::io::stderr(),
                                "erp-helper: {why}; running headless (the same app, without the tray)"
                            );
                        }
                        let setup = crate::setup::prepare(&opts).await?;
                        crate::headless::run(setup).await.map(|()| 0)
                    }
                }
            }),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "erp-helper: {e:#}");
            1
        }
    }
}

/// A connection to the running app, as the CLI makes it.
pub(crate) async fn connect_app() -> anyhow::Result<Connection> {
    connect().await
}

async fn connect() -> anyhow::Result<Connection> {
    let socket = erp_proto::socket::socket_path();
    let me = ClientInfo { name: "erp-helper-cli".into(), version: erp_core::APP_VERSION.into(), ..Default::default() };
    Connection::connect(&socket, me).await.map_err(|e| anyhow::anyhow!("{e}"))
}

fn print_session(v: &admin::SessionView) {
    println!("{}", v.summary);
    if v.state == erp_proto::tools::SessionState::SignedIn {
        println!("Session stored in: {}", v.storage);
    }
}

/// One connected app, as `erp-helper status` shows it.
pub(crate) fn client_line(c: &admin::ConnectedClient) -> String {
    let (who, detail) = client_parts(c);
    format!("[{}] {who} {detail}", c.id)
}

/// A connected app's name (its host's, and version) and the rest: its
/// process, since when, its calls. The tray shows the two on their own lines.
pub(crate) fn client_parts(c: &admin::ConnectedClient) -> (String, String) {
    let who = match (&c.client.mcp_client, &c.client.mcp_client_version) {
        (Some(n), Some(v)) => format!("{} {v}", erp_proto::hosts::display_name(n)),
        (Some(n), None) => erp_proto::hosts::display_name(n),
        _ => format!("{} {}", c.client.name, c.client.version),
    };
    let process = match (c.pid, &c.exe) {
        (Some(pid), Some(exe)) => format!("pid {pid}, {exe}"),
        (Some(pid), None) => format!("pid {pid}"),
        _ => "process unknown".into(),
    };
    let calls = if c.calls == 1 { "1 call".to_string() } else { format!("{} calls", c.calls) };
    (who, format!("({process}), since {}, {calls}", c.since))
}

fn print_allowlist(l: &admin::AllowlistView) {
    if l.entries.is_empty() {
        println!("Authorized users: anyone the ERP accepts (the list is empty).");
    } else {
        println!("Authorized users{}:", if l.locked { " (set by MCP_AUTHORIZED_USERS; locked)" } else { "" });
        for e in &l.entries {
            println!("  {e}");
        }
    }
}

/// `erp-helper settings`: the settings file, edited without the app.
async fn settings_main(action: SettingsAction) -> anyhow::Result<i32> {
    use erp_core::config::SettingSource;
    let (mut file, rows) = erp_core::Config::sources()?;
    let (key, value) = match action {
        SettingsAction::Show => {
            println!("Settings file: {}", file.path().display());
            for erp_core::config::SettingRow { key, what, value, source } in &rows {
                let shown = match (value, *key) {
                    (Some(_), "google_client_secret") => "(set)".to_string(),
                    (Some(v), _) => v.clone(),
                    (None, _) => "(default)".to_string(),
                };
                let from = match source {
                    SettingSource::Environment => format!("  [from the environment: {}]", key.to_uppercase()),
                    SettingSource::File | SettingSource::Default => String::new(),
                };
                println!("  {key} = {shown}{from}\n      {what}");
            }
            return Ok(0);
        }
        SettingsAction::Set { key, value } => (key, Some(value)),
        SettingsAction::Unset { key } => (key, None),
    };
    file.set(&key, value.as_deref())?;
    println!("Saved {key} in {}.", file.path().display());
    if std::env::var_os(key.to_uppercase()).is_some() {
        println!("Note: {} is set in this environment, and wins while it is.", key.to_uppercase());
    }
    if connect().await.is_ok() {
        println!(
            "ERP Helper is running: it uses the new setting from its next start (`erp-helper quit`, then start it)."
        );
    }
    Ok(0)
}

/// `settings --start-at-login on|off`: through the running app (its tray's
/// check mark follows), else directly; kept as the user's choice either way.
async fn start_at_login_main(on: bool) -> anyhow::Result<i32> {
    let now = match connect().await {
        Ok(conn) => {
            let v = conn.call::<admin::StartAtLogin>(&admin::StartAtLoginArgs { on }).await;
            v.map_err(|e| anyhow::anyhow!("{e}"))?.on
        }
        Err(_) => {
            let dir = erp_core::Config::from_env()?.config_dir;
            erp_core::login_item::set(on)?;
            erp_core::login_item::remember(&dir, on)?;
            erp_core::login_item::is_enabled()?
        }
    };
    println!("Start at login: {}.", if now { "on" } else { "off" });
    Ok(0)
}

/// `settings --read-only on|off`: through the running app (at once, its tray's
/// check mark follows), else in the settings file for the next start.
async fn read_only_main(on: bool) -> anyhow::Result<i32> {
    let now = match connect().await {
        Ok(conn) => {
            let v = conn.call::<admin::ReadOnly>(&admin::ReadOnlyArgs { on }).await;
            v.map_err(|e| anyhow::anyhow!("{e}"))?.on
        }
        Err(_) => {
            let dir = erp_core::Config::from_env()?.config_dir;
            erp_core::config::SettingsFile::load(&dir)?
                .set(erp_core::config::READ_ONLY_SETTING, Some(if on { "on" } else { "off" }))?;
            on
        }
    };
    let what = if now { "on (assistants can read, not change, your logs)" } else { "off" };
    println!("Read-only mode: {what}.");
    Ok(0)
}

/// `settings --ca-file PATH`: the file must hold certificates; kept by its absolute path.
async fn ca_file_main(path: &std::path::Path) -> anyhow::Result<i32> {
    let value = if path.as_os_str().is_empty() {
        None
    } else {
        let absolute = std::fs::canonicalize(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        erp_core::net::Network::load(Some(&absolute))?;
        Some(absolute.display().to_string())
    };
    settings_main(match value {
        Some(value) => SettingsAction::Set { key: "erp_helper_ca_file".into(), value },
        None => SettingsAction::Unset { key: "erp_helper_ca_file".into() },
    })
    .await
}

/// The `erp-mcp` beside this program, which hosts are pointed at.
pub(crate) fn shim_path() -> anyhow::Result<String> {
    let me = std::env::current_exe()?;
    let shim = me.with_file_name(if cfg!(windows) { "erp-mcp.exe" } else { "erp-mcp" });
    anyhow::ensure!(shim.is_file(), "erp-mcp is not beside erp-helper ({}); reinstall ERP Helper", shim.display());
    Ok(shim.canonicalize()?.display().to_string())
}

/// The doctor's look at every installed host's config.
fn host_checks() -> Vec<erp_proto::doctor::Check> {
    use erp_core::connect::{Dirs, HOSTS, State};
    use erp_proto::doctor::Check;
    let (Some(dirs), Ok(exe)) = (Dirs::current(), shim_path()) else {
        let fix = "Reinstall ERP Helper: erp-mcp belongs beside erp-helper.";
        return vec![Check::fail("hosts", "erp-mcp was not found beside erp-helper", fix)];
    };
    let mut checks = Vec::new();
    for h in HOSTS {
        let name = format!("host {}", h.id);
        let file = h.file(&dirs).display().to_string();
        let connect = format!("Run `erp-helper connect {}` (or tray → Connect to → {}).", h.id, h.name);
        checks.push(match h.state(&dirs, &exe) {
            State::NotInstalled => continue,
            State::Connected => Check::ok(&name, format!("{} is connected ({file})", h.name)),
            State::NotConnected => Check::ok(&name, format!("{} is installed, not connected ({file})", h.name)),
            s @ (State::Missing(_) | State::ConnectedToAnother(_)) => {
                Check::fail(&name, format!("{} is {s} in {file}", h.name), connect)
            }
            State::Unreadable(why) => {
                let fix = format!("Fix {file} (it does not parse: {why}), then: {connect}");
                Check::fail(&name, format!("{}'s config does not parse", h.name), fix)
            }
        });
    }
    checks
}

/// `erp-helper doctor`: the app's checks, then the hosts'.
async fn doctor_main(json: bool) -> anyhow::Result<i32> {
    let socket = erp_proto::socket::socket_path();
    let me =
        ClientInfo { name: "erp-helper-doctor".into(), version: erp_core::APP_VERSION.into(), ..Default::default() };
    let mut checks = erp_proto::doctor::app_checks(&socket, me).await;
    checks.extend(host_checks());
    let report = erp_proto::doctor::Report::new(checks);
    match json {
        true => println!("{}", serde_json::to_string_pretty(&report)?),
        false => print!("{}", report.text()),
    }
    Ok(report.code())
}

/// `erp-helper connect claude --mcpb FILE`.
fn mcpb_main(host: Option<String>, out: &std::path::Path) -> anyhow::Result<i32> {
    let host = erp_core::connect::host(host.as_deref().unwrap_or("claude")).map_err(|e| anyhow::anyhow!(e))?;
    anyhow::ensure!(host.id == "claude", "--mcpb is Claude Desktop's bundle; {} has no bundles", host.name);
    erp_core::connect::write_mcpb(out, std::path::Path::new(&shim_path()?), erp_core::APP_VERSION)?;
    println!(
        "Wrote {}. Open it (double-click, or drag it onto Claude Desktop's Settings → Extensions) to install ERP Helper there.",
        out.display()
    );
    Ok(0)
}

/// `erp-helper connect`: host configs are files; no app needed.
fn connect_main(host: Option<String>, print: bool, remove: bool, list: bool) -> anyhow::Result<i32> {
    use erp_core::connect::{Applied, Dirs, HOSTS, State};
    let dirs = Dirs::current().ok_or_else(|| anyhow::anyhow!("no home directory"))?;
    let exe = shim_path()?;
    if list {
        for h in HOSTS {
            let state = h.state(&dirs, &exe);
            let file = if state == State::NotInstalled { String::new() } else { h.file(&dirs).display().to_string() };
            println!("{:<12} {:<15} {:<24} {file}", h.id, h.name, state.to_string());
        }
        return Ok(0);
    }
    let ids: Vec<&str> = HOSTS.iter().map(|h| h.id).collect();
    let Some(id) = host else { anyhow::bail!("name a host: {} (or --list)", ids.join(", ")) };
    let host = erp_core::connect::host(&id).map_err(|e| anyhow::anyhow!(e))?;
    let plan = host.plan(&dirs, &exe, remove)?;
    if print {
        match plan.changes() {
            true => print!("# {} would become:\n{}", plan.path.display(), plan.new),
            false => println!("# {} already says this; nothing would change.", plan.path.display()),
        }
        if let (Some(way), false) = (host.own_way(&exe), remove) {
            println!("# Or {}'s own way: {way}", host.name);
        }
        return Ok(0);
    }
    let done = if remove { "Disconnected" } else { "Connected" };
    match erp_core::connect::apply(&plan)? {
        Applied::Unchanged if remove => println!("{} had no ERP Helper server; nothing written.", host.name),
        Applied::Unchanged => {
            println!("{} is already connected ({}); nothing written.", host.name, plan.path.display())
        }
        Applied::Written { backup } => {
            println!("{done} {}: wrote {}.", host.name, plan.path.display());
            if let Some(b) = backup {
                println!("The old file is kept at {}.", b.display());
                let commented = plan.old.as_deref().is_some_and(|o| o.lines().any(|l| l.contains('#')));
                if host.format == erp_core::connect::Format::Yaml && commented {
                    println!("Its comments are not kept in the new file (YAML is rewritten); the old file has them.");
                }
            }
            println!("Restart {} (or reload its MCP servers) to see the change.", host.name);
        }
    }
    if !host.is_installed(&dirs) {
        println!("Note: {} does not seem to be installed here; its config is ready for when it is.", host.name);
    }
    Ok(0)
}

async fn verb_main(verb: Verb) -> anyhow::Result<i32> {
    // The settings and host configs are files: no app needed.
    let conn = match verb {
        Verb::Settings { start_at_login: Some(on), .. } => return start_at_login_main(on == "on").await,
        Verb::Settings { read_only: Some(on), .. } => return read_only_main(on == "on").await,
        Verb::Settings { ca_file: Some(path), .. } => return ca_file_main(&path).await,
        Verb::Settings { action, .. } => return settings_main(action.unwrap_or(SettingsAction::Show)).await,
        Verb::Connect { host, mcpb: Some(out), .. } => return mcpb_main(host, &out),
        Verb::Connect { host, print, remove, list, .. } => return connect_main(host, print, remove, list),
        Verb::Doctor { json } => return doctor_main(json).await,
        Verb::Diagnostics { json } => {
            let bundle = crate::diagnostics::collect().await;
            match json {
                true => println!("{}", serde_json::to_string_pretty(&bundle)?),
                false => print!("{}", crate::diagnostics::render(&bundle)),
            }
            return Ok(0);
        }
        _ => connect().await?,
    };
    let rpc = |e: ClientError| anyhow::anyhow!("{e}");
    match verb {
        Verb::Status { json } => {
            let s = conn.call::<admin::Status>(&NoArgs {}).await.map_err(rpc)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
                return Ok(0);
            }
            println!(
                "ERP Helper {} (protocol {}){}",
                s.app_version,
                s.protocol,
                if s.demo { " — demo mode" } else { "" }
            );
            println!("ERP: {}", s.erp_api_url);
            if s.read_only {
                println!("Read-only mode: on (tools that change the ERP are refused).");
            }
            print_session(&s.session);
            print_allowlist(&s.allowlist);
            println!("Connected apps: {}", s.clients.len());
            for c in &s.clients {
                println!("  {}", client_line(c));
            }
        }
        Verb::Signin { token_stdin: true, .. } => {
            let mut token = String::new();
            std::io::stdin().read_to_string(&mut token)?;
            let token = token.trim();
            if token.is_empty() {
                anyhow::bail!("no token on standard input");
            }
            let v = conn
                .call::<admin::SignInToken>(&admin::SignInTokenArgs { token: ErpToken::new(token) })
                .await
                .map_err(rpc)?;
            print_session(&v);
        }
        Verb::Signin { demo: Some(email), .. } => {
            let email = (!email.is_empty()).then_some(email);
            let v = conn.call::<admin::SignInDemo>(&admin::SignInDemoArgs { email }).await.map_err(rpc)?;
            print_session(&v);
        }
        Verb::Signin { erp_page: true, .. } => {
            let args = erp_proto::tools::SignInArgs { method: Some(erp_proto::tools::SignInMethod::ErpPage) };
            let out = conn.call::<admin::OpenSignIn>(&args).await.map_err(rpc)?;
            println!("{}", out.message);
        }
        Verb::Signin { .. } => {
            println!("Opening Google sign-in in your browser…");
            let args = admin::SignInGoogleArgs { return_to: Some("the terminal".into()) };
            let v = conn.call::<admin::SignInGoogle>(&args).await.map_err(rpc)?;
            print_session(&v);
        }
        Verb::Signout => {
            let v = conn.call::<admin::SignOut>(&NoArgs {}).await.map_err(rpc)?;
            print_session(&v);
        }
        Verb::Disconnect { id } => {
            conn.call::<admin::Disconnect>(&admin::DisconnectArgs { id }).await.map_err(rpc)?;
            println!("Disconnected app {id}. It can connect again once its host restarts it.");
        }
        Verb::Quit => {
            conn.call::<admin::Quit>(&NoArgs {}).await.map_err(rpc)?;
            println!("ERP Helper is quitting.");
        }
        Verb::Allow { action } => {
            let l = match action {
                AllowAction::List => conn.call::<admin::AllowList>(&NoArgs {}).await,
                AllowAction::Add { entry } => conn.call::<admin::AllowAdd>(&admin::AllowEntryArgs { entry }).await,
                AllowAction::Remove { entry } => {
                    conn.call::<admin::AllowRemove>(&admin::AllowEntryArgs { entry }).await
                }
            }
            .map_err(rpc)?;
            print_allowlist(&l);
        }
        Verb::Audit { limit } => {
            let a = conn.call::<admin::Audit>(&admin::AuditArgs { limit: Some(limit) }).await.map_err(rpc)?;
            if a.entries.is_empty() {
                println!("No writes yet.");
            }
            let any_change = a.entries.iter().any(|e| e.change.is_some());
            for e in a.entries {
                println!("{}  {:<6} {:<22} {}  [{} as {}]", e.time, e.outcome, e.tool, e.detail, e.client, e.user);
                if let Some(c) = e.change {
                    let weeks: Vec<&str> = c.weeks.iter().map(|w| w.week_starting.as_str()).collect();
                    let undoes = c.undoes.map(|u| format!(", undoing {u}")).unwrap_or_default();
                    println!("    change {} (weeks of {}){undoes}", c.id, weeks.join(", "));
                }
            }
            if any_change {
                println!("A change id is what the undo_change tool takes (list_changes shows the same).");
            }
        }
        Verb::Settings { .. } | Verb::Connect { .. } | Verb::Doctor { .. } | Verb::Diagnostics { .. } => {
            unreachable!("answered before connecting")
        }
    }
    Ok(0)
}
