//! The app erp-mcp starts: whichever host starts it must not decide where the
//! token goes (a short allowlisted environment; the ERP from the app's own
//! settings; a shim set up for another ERP is refused, naming both), it must
//! come up where the display is broken, and only an absolute, executable
//! program is ever started.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use erp_e2e::{TestEnv, bin, eventually_blocking, spawn_mcp_in, start_mcp};
use erp_sim::{Sim, SimConfig};
use serde_json::json;

const JANE: &str = "jane@example.com";

/// The variables a started app may see (erp-mcp's allowlist, and its ready flag).
const ALLOWED: &[&str] = &[
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
    "ERP_HELPER_SOCKET",
    "ERP_HELPER_NOTIFY_READY",
];

/// The environment of the running `erp-helper` serving `socket`, from /proc.
fn app_environment(socket: &Path) -> Vec<(String, String)> {
    eventually_blocking("the started app in /proc", 10, || erp_e2e::app_process(socket)).1
}

/// A CLI run of `erp-helper` in `env`.
fn cli(env: &TestEnv, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut c = env.command("erp-helper");
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn out(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_cannot_choose_the_erp_the_google_client_or_the_users_of_the_app_it_starts() {
    let ours = Sim::start(SimConfig::default()).await.unwrap();
    let theirs = Sim::start(SimConfig::default()).await.unwrap();
    let mut env = TestEnv::new("http://127.0.0.1:9/not-set-yet/api/v1/");
    env.set("ERP_HELPER_SESSION_STORE", "file").app_owned();
    // The app's own ERP, set the way a user sets it.
    let set = cli(&env, &["settings", "set", "erp_api_base_url", &ours.api_url()], None);
    assert!(set.status.success(), "{}", out(&set));

    // A host whose settings for erp-mcp name another ERP, a Google client,
    // an allowlist and a broken display, and start the app.
    let app = bin("erp-helper");
    let hostile: &[(&str, &str)] = &[
        ("ERP_HELPER_APP", app.to_str().unwrap()),
        ("ERP_API_BASE_URL", &theirs.api_url()),
        ("ERP_WEB_URL", "http://127.0.0.1:9/phish"),
        ("GOOGLE_CLIENT_ID", "attacker-client"),
        ("GOOGLE_AUTH_URL", "http://127.0.0.1:9/auth"),
        ("MCP_AUTHORIZED_USERS", "@attacker.example"),
        ("ERP_HELPER_CONFIG_DIR", "/tmp/attacker-config"),
        ("SOME_HOST_SECRET", "x"),
        ("DISPLAY", ":4711"),
    ];
    let mut cmd = env.command("erp-mcp");
    cmd.env("RUST_LOG", "warn").envs(hostile.iter().copied());
    let mcp = start_mcp(cmd, "e2e-hostile-host").await;
    let msg = mcp.err("whoami", json!({})).await;
    assert!(msg.contains(&theirs.api_url()) && msg.contains(&ours.api_url()), "names both ERPs: {msg}");
    assert!(msg.contains("erp-helper settings set erp_api_base_url"), "{msg}");

    // The app came up (headless: the display is broken) with only the allowlisted variables.
    let vars = app_environment(&env.socket());
    let extra: Vec<&String> = vars.iter().map(|(k, _)| k).filter(|k| !ALLOWED.contains(&k.as_str())).collect();
    assert!(extra.is_empty(), "the started app got {extra:?}");
    assert!(vars.iter().any(|(k, v)| k == "DISPLAY" && v == ":4711"));

    // It serves the ERP of its settings, with the allowlist of its own.
    let token = ours.token_for(JANE).unwrap();
    let signin = cli(&env, &["signin", "--token-stdin"], Some(&token));
    assert!(signin.status.success(), "{}", out(&signin));
    let status = out(&cli(&env, &["status"], None));
    assert!(status.contains(&format!("ERP: {}", ours.api_url())), "{status}");
    assert!(status.contains("anyone the ERP accepts"), "no allowlist from the host: {status}");
    let plain = spawn_mcp_in(&env, "e2e-plain-host", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    plain.ok("get_active_projects", json!({})).await;
    assert_eq!(theirs.request_count(), 0, "nothing went to the ERP the host named");
    assert!(cli(&env, &["quit"], None).status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_display_that_cannot_be_opened_falls_back_to_headless_with_one_line() {
    let env = TestEnv::new("http://127.0.0.1:9/api/v1/");
    let err = env.path().join("app.err");
    let mut app = env.command("erp-helper");
    app.env("DISPLAY", ":4711").env_remove("WAYLAND_DISPLAY").env("ERP_HELPER_SESSION_STORE", "file");
    let mut child = app.stdout(Stdio::null()).stderr(std::fs::File::create(&err).unwrap()).spawn().unwrap();
    let status = eventually_blocking("the app to answer", 20, || {
        assert!(child.try_wait().unwrap().is_none(), "exited: {}", std::fs::read_to_string(&err).unwrap());
        let o = env.command("erp-helper").arg("status").output().unwrap();
        o.status.success().then_some(o)
    });
    assert!(String::from_utf8_lossy(&status.stdout).to_lowercase().contains("not signed in"), "{status:?}");
    let said = std::fs::read_to_string(&err).unwrap();
    assert_eq!(
        said.lines().next(),
        Some("erp-helper: the display :4711 cannot be opened; running headless (the same app, without the tray)")
    );
    assert!(env.command("erp-helper").arg("quit").status().unwrap().success());
    let code = eventually_blocking("the app to exit", 10, || child.try_wait().unwrap());
    assert!(code.success(), "{code}");
}

#[tokio::test]
async fn autostart_runs_no_program_from_a_relative_path_entry_or_without_its_exec_bit() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new("http://127.0.0.1:9/api/v1/");
    let root = env.path();
    // erp-mcp alone in a directory: no erp-helper beside it.
    let lonely = root.join("lonely");
    std::fs::create_dir_all(&lonely).unwrap();
    std::fs::copy(bin("erp-mcp"), lonely.join("erp-mcp")).unwrap();
    let marker = root.join("ran");
    let bait = |dir: &Path, mode: u32| -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let p = dir.join("erp-helper");
        std::fs::write(&p, format!("#!/bin/sh\necho \"$0\" >> {}\n", marker.display())).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    };
    bait(&root.join("rel"), 0o755);
    let noexec = bait(&root.join("noexec"), 0o644);
    // No system directory: an installed ERP Helper (/usr/bin/erp-helper) must not answer for the bait.
    let path = format!("rel:{}", noexec.parent().unwrap().display());
    let mut cmd = Command::new(lonely.join("erp-mcp"));
    env.apply(&mut cmd).current_dir(root).env("PATH", path).env("RUST_LOG", "warn");
    let mcp = start_mcp(cmd, "e2e").await;
    let msg = mcp.err("whoami", json!({})).await;
    assert!(msg.contains("erp-helper was not found beside erp-mcp or in an absolute PATH directory"), "{msg}");
    assert!(!marker.exists(), "ran {}", std::fs::read_to_string(&marker).unwrap_or_default());

    // A relative ERP_HELPER_APP is refused too.
    let mut cmd = Command::new(lonely.join("erp-mcp"));
    env.apply(&mut cmd).current_dir(root).env("ERP_HELPER_APP", "rel/erp-helper").env("RUST_LOG", "warn");
    let msg = start_mcp(cmd, "e2e").await.err("whoami", json!({})).await;
    assert!(msg.contains("ERP_HELPER_APP must be an absolute path"), "{msg}");
    assert!(!marker.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_shims_started_at_once_start_one_app_and_all_get_answers() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut env = TestEnv::new(&sim.api_url());
    env.set("ERP_HELPER_SESSION_STORE", "file").app_owned();
    let app = bin("erp-helper");
    let extra = [("ERP_HELPER_APP", app.to_str().unwrap()), ("DISPLAY", "")];
    let names: Vec<String> = (0..10).map(|i| format!("e2e-{i}")).collect();
    let shims = futures::future::join_all(names.iter().map(|n| spawn_mcp_in(&env, n, &extra))).await;
    let answers = futures::future::join_all(shims.iter().map(|m| m.call("whoami", json!({})))).await;
    for r in &answers {
        assert_ne!(r.is_error, Some(true), "{}", erp_e2e::text(r));
    }
    // The extra apps found the lock taken and left; one serves.
    let running = eventually_blocking("one app left", 10, || {
        let apps = erp_e2e::app_processes(&env.socket());
        (apps.len() == 1).then_some(apps)
    });
    assert_eq!(running.len(), 1);
    assert!(cli(&env, &["quit"], None).status.success());
}
