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

#[tokio::test(flavor = "multi_thread")]
async fn doctor_reports_each_check() {
    let h = Harness::start().await;
    let doctor =
        |h: &Harness| Command::new(bin("erp-mcp")).arg("doctor").env("ERP_HELPER_SOCKET", &h.socket).output().unwrap();
    let o = doctor(&h);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("app:         ok") && stdout(&o).contains("session:     FAIL  Not signed in."),
        "{}",
        stdout(&o)
    );
    h.sign_in(JANE).await;
    let o = doctor(&h);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("erp:         ok") && stdout(&o).contains("4 active project(s)"), "{}", stdout(&o));
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(bin("erp-mcp"))
        .arg("doctor")
        .env("ERP_HELPER_SOCKET", dir.path().join("x.sock"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("app:         FAIL"), "{}", stdout(&o));
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
    for step in ["fill_logs_for_days", "complete_week_log", "intent", "done", "Done."] {
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
