//! Sign-in from the chat, through the real binaries: a real MCP client starts
//! `erp-mcp` with the app not running; the first calls auto-start the app and
//! get the sign-in sentence; the desktop's default browser (the scripted one,
//! registered the way a browser registers itself) completes Google's sign-in
//! against a third-party OAuth server (npm `oauth2-mock-server`, PKCE
//! demanded); the retried call works. Ten calls at once open one browser.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use erp_e2e::{TestEnv, bin, browser_page, eventually, fake_browser_path, spawn_mcp_in, text};
use erp_sim::{Sim, SimConfig};
use serde_json::json;

use crate::google::oauth2_mock_server;

const JANE: &str = "jane@example.com";

/// Make the scripted browser (in `mode`) the default web browser of `env`'s
/// desktop: a desktop entry for http(s) in its `XDG_DATA_HOME` and the choice
/// in its `XDG_CONFIG_HOME`, as `xdg-settings` reads them. Every start of the
/// browser appends a line to the returned file; its last page goes to `page`.
fn install_default_browser(env: &TestEnv, mode: &str, page: &Path) -> PathBuf {
    let dir = env.path().join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    let opens = dir.join("opens.log");
    let launcher = dir.join("browser.sh");
    std::fs::write(
        &launcher,
        format!(
            "#!/bin/sh\necho started >> '{opens}'\nFAKE_BROWSER_MODE='{mode}' FAKE_BROWSER_OUT='{page}' exec /usr/bin/python3 '{script}' \"$1\"\n",
            opens = opens.display(),
            page = page.display(),
            script = fake_browser_path().display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&launcher, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let apps = PathBuf::from(env.get("XDG_DATA_HOME").unwrap()).join("applications");
    std::fs::create_dir_all(&apps).unwrap();
    std::fs::write(
        apps.join("e2e-browser.desktop"),
        format!(
            "[Desktop Entry]\nType=Application\nName=E2E browser\nExec={} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;text/html;\n",
            launcher.display()
        ),
    )
    .unwrap();
    let run = |program: &str, args: &[&str]| {
        let mut c = Command::new(program);
        env.apply(&mut c).args(args).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").stdin(Stdio::null());
        let out = c.output().unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(out.status.success(), "{program} {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    run("update-desktop-database", &[apps.to_str().unwrap()]);
    let types = ["x-scheme-handler/http", "x-scheme-handler/https", "text/html"];
    run("xdg-mime", &[&["default", "e2e-browser.desktop"][..], &types].concat());
    assert_eq!(run("xdg-settings", &["get", "default-web-browser"]), "e2e-browser.desktop");
    opens
}

fn cli(env: &TestEnv, args: &[&str]) -> std::process::Output {
    env.command("erp-helper").args(args).stdin(Stdio::null()).output().unwrap()
}

fn opens(log: &Path) -> usize {
    std::fs::read_to_string(log).map(|s| s.lines().count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_calls_while_signed_out_open_one_sign_in_and_the_retried_call_works() {
    let mock = oauth2_mock_server();
    // The ERP trusts what Google vouches for; here, the mock's tokens stand for Jane.
    let sim = Sim::start(SimConfig { google_any_token_as: Some(JANE.into()), ..SimConfig::default() }).await.unwrap();
    let mut env = TestEnv::new(&sim.api_url());
    env.set("ERP_HELPER_SESSION_STORE", "file").app_owned();
    let (auth, token) = (format!("{}/authorize", mock.1), format!("{}/token", mock.1));
    for (k, v) in [
        ("google_client_id", "erp-helper-test"),
        ("google_auth_url", auth.as_str()),
        ("google_token_url", token.as_str()),
        ("erp_helper_oauth_port", "0"),
    ] {
        let out = cli(&env, &["settings", "set", k, v]);
        assert!(out.status.success(), "{out:?}");
    }
    let pages = tempfile::tempdir().unwrap();
    let page = pages.path().join("page.txt");
    let opened = install_default_browser(&env, "follow", &page);

    // The host (Cursor, by its handshake name) starts erp-mcp; no app runs.
    let app = bin("erp-helper");
    let extra = [("ERP_HELPER_APP", app.to_str().unwrap()), ("DISPLAY", "")];
    let mcp = spawn_mcp_in(&env, "cursor-vscode", &extra).await;
    assert!(erp_e2e::app_process(&env.socket()).is_none());

    // Ten calls at once: each says where to sign in, with the link; one browser opens.
    let calls = (0..10).map(|_| mcp.call("get_active_projects", json!({})));
    let answers = futures::future::join_all(calls).await;
    for r in &answers {
        assert_eq!(r.is_error, Some(true), "{}", text(r));
        let msg = text(r);
        assert!(msg.starts_with("You are not signed in to the ERP."), "{msg}");
        assert!(msg.contains("in your browser") && msg.contains("return to Cursor"), "{msg}");
        assert!(msg.contains("erp-helper://signin"), "{msg}");
    }
    // The browser's last page: signed in, and back to the host by its name.
    let (status, body) = browser_page(&page).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Signed in as jane@example.com") && body.contains("return to Cursor"), "{body}");

    // The retried call works, with no restart of anything.
    let projects = eventually("the retried call to work", 20, async || {
        let r = mcp.call("get_active_projects", json!({})).await;
        (r.is_error != Some(true)).then(|| r.structured_content.unwrap())
    })
    .await;
    assert!(projects["projects"].as_array().is_some_and(|p| !p.is_empty()), "{projects}");
    assert_eq!(opens(&opened), 1, "the browser must open exactly once");
    let status = cli(&env, &["status"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("Signed in as jane@example.com"), "{status:?}");
    assert!(cli(&env, &["quit"]).status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hosts_retries_open_no_second_browser_and_sign_in_opens_again_on_request() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut env = TestEnv::new(&sim.api_url());
    env.set("ERP_HELPER_SESSION_STORE", "file").app_owned();
    let (auth, token) = (sim.oauth_authorize_url(), sim.oauth_token_url());
    for (k, v) in [
        ("google_client_id", "erp-helper-test"),
        ("google_auth_url", auth.as_str()),
        ("google_token_url", token.as_str()),
        ("erp_helper_oauth_port", "0"),
    ] {
        assert!(cli(&env, &["settings", "set", k, v]).status.success());
    }
    let pages = tempfile::tempdir().unwrap();
    // The user walks away: the browser shows Google's page and nothing comes back.
    let opened = install_default_browser(&env, "ignore", &pages.path().join("page.txt"));
    let app = bin("erp-helper");
    let extra = [("ERP_HELPER_APP", app.to_str().unwrap()), ("DISPLAY", "")];
    let mcp = spawn_mcp_in(&env, "claude-ai", &extra).await;

    let first = text(&mcp.call("get_week_logs", json!({"week_starting": erp_e2e::monday(0).to_string()})).await);
    assert!(first.contains("opened Google sign-in in your browser") && first.contains("return to Claude"), "{first}");
    eventually("the browser to start", 10, async || (opens(&opened) == 1).then_some(())).await;
    // The host retries, one call after another: the sign-in waiting in the browser covers them.
    for _ in 0..5 {
        let again = text(&mcp.call("get_active_projects", json!({})).await);
        assert!(again.contains("open in your browser: finish it there"), "{again}");
    }
    // `sign_in` on request says the same while that sign-in waits, and opens nothing more.
    let asked = mcp.ok("sign_in", json!({})).await;
    assert_eq!(asked["status"], "started", "{asked}");
    assert!(asked["message"].as_str().unwrap().contains("open in your browser"), "{asked}");
    assert_eq!(opens(&opened), 1);
    // A user who picks the ERP page instead is not told to wait for Google (here,
    // headless, that page has no window: it says what to run).
    let page = mcp.ok("sign_in", json!({"method": "erp_page"})).await;
    assert_eq!(page["status"], "manual", "{page}");
    assert!(page["message"].as_str().unwrap().contains("running without a window"), "{page}");
    assert!(cli(&env, &["quit"]).status.success());
}
