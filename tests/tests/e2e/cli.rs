//! The real `erp-helper` binary: headless mode, the CLI verbs over the socket,
//! the session surviving a restart, single instance, autostart from erp-mcp,
//! `erp-mcp doctor`, demo mode, and no token anywhere it should not be.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use erp_e2e::{Harness, TestEnv, assert_no_secret, bin, eventually_blocking};
use erp_sim::{Sim, SimConfig};
use serde_json::json;

const JANE: &str = "jane@example.com";

struct Env {
    env: TestEnv,
    /// stdout and stderr of every CLI run, for the token grep.
    seen: std::cell::RefCell<Vec<String>>,
}

impl Env {
    fn new(api: &str) -> Self {
        let mut env = TestEnv::new(api);
        // This test is about the file fallback; keychain.rs covers the keychain.
        env.set("RUST_LOG", "debug").set("ERP_HELPER_SESSION_STORE", "file");
        Self { env, seen: Default::default() }
    }

    fn path(&self) -> &Path {
        self.env.path()
    }

    fn socket(&self) -> PathBuf {
        self.env.socket()
    }

    fn cmd(&self, name: &str, args: &[&str]) -> Command {
        let mut c = self.env.command(name);
        c.args(args);
        c
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut c = self.cmd("erp-helper", args);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        self.seen.borrow_mut().push(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
        out
    }

    /// Start `erp-helper --headless` with its output in files; wait until it answers.
    fn start_app(&self, extra: &[&str], log: &str) -> std::process::Child {
        let out = std::fs::File::create(self.path().join(format!("{log}.out"))).unwrap();
        let err = std::fs::File::create(self.path().join(format!("{log}.err"))).unwrap();
        let mut args = vec!["--headless"];
        args.extend_from_slice(extra);
        let mut child = self.cmd("erp-helper", &args).stdout(out).stderr(err).spawn().unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if self.run(&["status"], None).status.success() {
                return child;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "erp-helper did not start: {}",
            std::fs::read_to_string(self.path().join(format!("{log}.err"))).unwrap()
        );
    }

    fn wait_exit(&self, child: &mut std::process::Child) {
        eventually_blocking("the app to exit", 10, || child.try_wait().unwrap());
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_verbs_session_restart_single_instance_and_no_token_leaks() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let token = sim.token_for(JANE).unwrap();
    let env = Env::new(&sim.api_url());

    let mut app = env.start_app(&[], "app1");
    let s = env.run(&["status"], None);
    assert!(stdout(&s).contains("Not signed in."), "{}", stdout(&s));

    // A token that the ERP refuses is not kept.
    let bad = env.run(&["signin", "--token-stdin"], Some(&"b".repeat(40)));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("the ERP does not accept this token"));

    let ok = env.run(&["signin", "--token-stdin"], Some(&format!("Token {token}\n")));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout(&ok).contains("Signed in as jane@example.com (via token)."), "{}", stdout(&ok));
    let session_file = env.path().join("data/secret/session.json");
    assert!(stdout(&ok).contains(&session_file.display().to_string()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&session_file).unwrap().permissions().mode() & 0o777, 0o600);
        let sock = std::fs::metadata(env.socket()).unwrap().permissions().mode() & 0o777;
        assert_eq!(sock, 0o600);
        let dir = std::fs::metadata(env.socket().parent().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir, 0o700);
    }

    // Allowlist.
    let add = env.run(&["allow", "add", "@Example.com"], None);
    assert!(stdout(&add).contains("  @example.com"), "{}", stdout(&add));
    let bad = env.run(&["allow", "add", "not an email"], None);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("entry must be an email"));
    let rm = env.run(&["allow", "remove", "@example.com"], None);
    assert!(stdout(&rm).contains("anyone the ERP accepts"), "{}", stdout(&rm));

    // A write through the shim, then the audit log shows it.
    let mcp = erp_e2e::spawn_mcp_in(&env.env, "cursor", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    let d = (erp_e2e::monday(-3) + chrono::Duration::days(1)).to_string();
    mcp.ok("create_or_update_log", json!({"date": d, "description": "CLI test", "hours": 3, "project_id": 412})).await;
    let audit = env.run(&["audit"], None);
    assert!(
        stdout(&audit).contains("create_or_update_log")
            && stdout(&audit).contains("[cursor 9.9.9 as jane@example.com]"),
        "{}",
        stdout(&audit)
    );

    // Single instance: a second app refuses to start and says why.
    let second = env.run(&["--headless"], None);
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already running"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    // Restart: the session is still there.
    assert!(env.run(&["quit"], None).status.success());
    env.wait_exit(&mut app);
    assert!(!env.socket().exists(), "socket left behind");
    let mut app = env.start_app(&[], "app2");
    let s = env.run(&["status"], None);
    assert!(stdout(&s).contains("Signed in as jane@example.com"), "{}", stdout(&s));
    mcp.ok("get_active_projects", json!({})).await;

    let out = env.run(&["signout"], None);
    assert!(stdout(&out).contains("Not signed in."));
    assert!(!session_file.exists());
    assert!(env.run(&["quit"], None).status.success());
    env.wait_exit(&mut app);

    // No token in any output or file, except the session file while signed in (now gone).
    let seen = env.seen.borrow();
    assert!(seen.len() > 10, "too few CLI runs recorded");
    assert_no_secret(&token, &seen, env.path(), &[&session_file]);
    assert!(std::fs::read_to_string(env.path().join("app1.err")).unwrap().contains("signed in"));
}

#[tokio::test(flavor = "multi_thread")]
async fn erp_mcp_starts_the_app_when_nothing_answers() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut env = Env::new(&sim.api_url());
    // The started app reads its ERP from its own settings (autostart.rs has the why).
    env.env.app_owned();
    let app = bin("erp-helper");
    let mcp =
        erp_e2e::spawn_mcp_in(&env.env, "e2e", &[("ERP_HELPER_APP", app.to_str().unwrap()), ("RUST_LOG", "warn")])
            .await;
    let who = mcp.ok("whoami", json!({})).await;
    assert_eq!(who["state"], "signed_out");
    assert!(env.run(&["status"], None).status.success());
    let quit = env.run(&["quit"], None);
    assert!(quit.status.success(), "{quit:?}");
}

/// `erp-mcp doctor` (or `erp-helper doctor`) on `socket`, in `env`.
fn doctor(env: &TestEnv, program: &str, socket: &std::path::Path, json: bool) -> Output {
    let mut c = env.command(program);
    c.arg("doctor").env("ERP_HELPER_SOCKET", socket).stdin(std::process::Stdio::null());
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

/// The failed checks of a `--json` report: (name, fix).
fn failures(o: &Output) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)));
    assert_eq!(v["ok"], v["checks"].as_array().unwrap().iter().all(|c| c["ok"] == true));
    assert_eq!(o.status.code(), Some(if v["ok"] == true { 0 } else { 1 }));
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["fix"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_when_all_is_well_and_says_how_to_sign_in_when_signed_out() {
    let h = Harness::start().await;
    for program in ["erp-mcp", "erp-helper"] {
        let o = doctor(&h.env, program, &h.socket, false);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        assert!(stdout(&o).contains("ok    app          ERP Helper 0.1.0 answers"), "{}", stdout(&o));
        assert!(stdout(&o).contains("FAIL  session      Not signed in."), "{}", stdout(&o));
        let fails = failures(&doctor(&h.env, program, &h.socket, true));
        assert_eq!(fails.len(), 1, "{fails:?}");
        assert_eq!(fails[0].0, "session");
        assert!(fails[0].1.contains("run `erp-helper signin`, open erp-helper://signin"), "{fails:?}");
    }
    h.sign_in(JANE).await;
    let o = doctor(&h.env, "erp-mcp", &h.socket, false);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    for line in
        ["ok    protocol     1 on both sides", "ok    allowlist", "ok    erp          ", "http: the ERP answered (HTTP"]
    {
        assert!(stdout(&o).contains(line), "{line:?} in {}", stdout(&o));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_says_how_to_start_the_app_when_it_is_down() {
    let env = TestEnv::new("http://127.0.0.1:9/api/v1/");
    let socket = env.path().join("run/erp.sock");
    for program in ["erp-mcp", "erp-helper"] {
        let fails = failures(&doctor(&env, program, &socket, true));
        assert_eq!(fails[0].0, "app", "{fails:?}");
        assert!(fails[0].1.starts_with("Start ERP Helper: run `erp-helper`"), "{fails:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_names_the_fix_for_an_erp_that_does_not_answer_or_resolve() {
    let h = Harness::with(SimConfig::default(), &[("ERP_API_BASE_URL", "http://127.0.0.1:9/api/v1/")]).await;
    let fails = failures(&doctor(&h.env, "erp-mcp", &h.socket, true));
    let erp = fails.iter().find(|(n, _)| n == "erp").unwrap_or_else(|| panic!("{fails:?}"));
    assert!(erp.1.contains("Nothing answers at 127.0.0.1:9: the ERP is down, or a VPN or firewall"), "{erp:?}");
    let h = Harness::with(SimConfig::default(), &[("ERP_API_BASE_URL", "https://erp.invalid/api/v1/")]).await;
    let fails = failures(&doctor(&h.env, "erp-helper", &h.socket, true));
    let erp = fails.iter().find(|(n, _)| n == "erp").unwrap_or_else(|| panic!("{fails:?}"));
    assert!(erp.1.starts_with("Check the ERP's address (`erp-helper settings`"), "{erp:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_says_to_install_one_release_when_the_versions_differ() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let env = TestEnv::new("http://127.0.0.1:9/api/v1/");
    let dir = env.path().join("run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let socket = dir.join("erp.sock");
    // An app from another release: it answers the hello with protocol 99.
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (r, mut w) = stream.into_split();
            let mut line = String::new();
            let _ = BufReader::new(r).read_line(&mut line).await;
            let _ = w.write_all(b"{\"type\":\"hello\",\"protocol\":99,\"app_version\":\"9.0.0\"}\n").await;
        }
    });
    for program in ["erp-mcp", "erp-helper"] {
        let env = env.command(program).arg("doctor").arg("--json").env("ERP_HELPER_SOCKET", &socket).output();
        let fails = failures(&env.unwrap());
        assert_eq!(fails[0].0, "protocol", "{fails:?}");
        assert!(fails[0].1.starts_with("Install erp-mcp and erp-helper from the same release"), "{fails:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn erp_helper_doctor_says_to_reconnect_a_host_pointing_at_a_missing_erp_mcp() {
    let h = Harness::signed_in(JANE).await;
    let home = std::path::PathBuf::from(h.env.get("HOME").unwrap());
    std::fs::create_dir_all(home.join(".cursor")).unwrap();
    std::fs::write(home.join(".cursor/mcp.json"), r#"{"mcpServers": {"erp": {"command": "/opt/gone/erp-mcp"}}}"#)
        .unwrap();
    let fails = failures(&doctor(&h.env, "erp-helper", &h.socket, true));
    assert_eq!(fails.len(), 1, "{fails:?}");
    assert_eq!(fails[0].0, "host cursor");
    assert!(fails[0].1.starts_with("Run `erp-helper connect cursor`"), "{fails:?}");
    let text = stdout(&doctor(&h.env, "erp-helper", &h.socket, false));
    assert!(text.contains("Cursor is connected to a missing erp-mcp (/opt/gone/erp-mcp)"), "{text}");
    // After the fix it names, the doctor passes.
    assert!(h.env.command("erp-helper").args(["connect", "cursor"]).output().unwrap().status.success());
    assert_eq!(failures(&doctor(&h.env, "erp-helper", &h.socket, true)), vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn config_prints_a_snippet_with_the_absolute_path() {
    let o = Command::new(bin("erp-mcp")).args(["config", "cursor"]).output().unwrap();
    let text = stdout(&o);
    let exe = bin("erp-mcp").canonicalize().unwrap();
    assert!(text.contains("\"mcpServers\"") && text.contains(exe.to_str().unwrap()), "{text}");
    let o = Command::new(bin("erp-mcp")).args(["config", "emacs"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_demo_of_the_readme_runs_to_the_end() {
    // `scripts/demo.sh` is this example; scripts/test.sh builds it first. (It
    // broke once unseen: its socket sat in a 0755 temp dir the app refuses.)
    let demo = erp_e2e::target_dir().join("debug/examples").join(format!("demo{}", std::env::consts::EXE_SUFFIX));
    assert!(demo.is_file(), "{} is missing: run scripts/test.sh", demo.display());
    let mut c = Command::new(&demo);
    erp_e2e::TestEnv::new("http://127.0.0.1:9/api/v1/").apply(&mut c);
    let out = c.output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    let steps =
        ["fill_logs_for_days", "apply_plan: Logged", "Undid change", "complete_week_log", "intent", "done", "Done."];
    for step in steps {
        assert!(said.contains(step), "no {step:?} in the demo's output: {said}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_mode_runs_the_main_job_with_no_account() {
    let env = Env::new("https://unused.invalid/api/v1/");
    let mut app = env.start_app(&["--demo"], "demo");
    let s = env.run(&["signin", "--demo"], None);
    assert!(stdout(&s).contains("Signed in as jane@example.com (via demo)."), "{}", stdout(&s));
    // The demo app serves its simulator; this shim names no ERP of its own.
    let mcp = erp_e2e::spawn_mcp_in(&env.env, "e2e", &[("ERP_MCP_NO_AUTOSTART", "1"), ("ERP_API_BASE_URL", "")]).await;
    let w = erp_e2e::monday(-1);
    let week = mcp.ok("get_week_logs", json!({"week_starting": w.to_string()})).await;
    assert_eq!(week["total"]["hours"], 40);
    let next = erp_e2e::monday(0);
    let fill = mcp
        .ok(
            "fill_logs_for_days",
            json!({"start_date": next.to_string(), "end_date": (next + chrono::Duration::days(4)).to_string(),
                                         "project_name": "backend", "description": "Demo"}),
        )
        .await;
    assert_eq!(fill["created"], 5);
    let quit = env.run(&["quit"], None);
    assert!(quit.status.success(), "{quit:?}");
    env.wait_exit(&mut app);
    let err = std::fs::read_to_string(env.path().join("demo.err")).unwrap();
    assert!(err.contains("Demo mode") && err.contains("erp-helper signin --demo"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_is_only_ever_sent_to_the_erp_it_belongs_to() {
    let (erp_a, erp_b) =
        (Sim::start(SimConfig::default()).await.unwrap(), Sim::start(SimConfig::default()).await.unwrap());
    let mut env = Env::new(&erp_a.api_url());
    let mut app = env.start_app(&[], "a1");
    let token = erp_a.token_for(JANE).unwrap();
    assert!(env.run(&["signin", "--token-stdin"], Some(&token)).status.success());
    assert!(env.run(&["quit"], None).status.success());
    env.wait_exit(&mut app);

    // The same user starts the app against another ERP: the stored session stays unused.
    env.env.set("ERP_API_BASE_URL", erp_b.api_url());
    let mut app = env.start_app(&[], "b1");
    erp_b.clear_requests();
    let s = env.run(&["status"], None);
    assert!(
        stdout(&s).contains("Not signed in to this ERP (the stored session is for http://127.0.0.1:"),
        "{}",
        stdout(&s)
    );
    let mcp = erp_e2e::spawn_mcp_in(&env.env, "e2e", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    let msg = mcp.err("get_active_projects", json!({})).await;
    assert!(msg.contains("not signed in"), "{msg}");
    assert_eq!(erp_b.request_count(), 0, "the other ERP's token was sent here: {:?}", erp_b.requests());
    drop(mcp);
    assert!(env.run(&["quit"], None).status.success());
    env.wait_exit(&mut app);

    // Back on its own ERP, the session is there.
    env.env.set("ERP_API_BASE_URL", erp_a.api_url());
    let mut app = env.start_app(&[], "a2");
    let s = env.run(&["status"], None);
    assert!(stdout(&s).contains("Signed in as jane@example.com"), "{}", stdout(&s));
    assert!(env.run(&["quit"], None).status.success());
    env.wait_exit(&mut app);
}
