//! The app's log file and `erp-helper diagnostics`: the real app logs to a
//! private file in its data directory; the bundle has every field a bug
//! report needs and no secret, even when a log line carried the token.

use std::process::{Command, Stdio};

use erp_e2e::{TestEnv, assert_no_secret, eventually_blocking};
use erp_sim::{Sim, SimConfig};
use serde_json::{Value, json};

const JANE: &str = "jane@example.com";

fn run(env: &TestEnv, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut c: Command = env.command("erp-helper");
    let mut child = c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_logs_to_its_file_and_diagnostics_has_every_field_and_no_secret() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut env = TestEnv::new(&sim.api_url());
    env.set("ERP_HELPER_SESSION_STORE", "memory").set("HTTPS_PROXY", "http://proxyuser:proxypass1234@127.0.0.1:9");
    env.set("NO_PROXY", "127.0.0.1,localhost");
    let mut app =
        env.command("erp-helper").arg("--headless").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    eventually_blocking("the app to answer", 20, || run(&env, &["status"], "").status.success().then_some(()));
    let token = sim.token_for(JANE).unwrap();
    assert!(run(&env, &["signin", "--token-stdin"], &token).status.success());
    let mcp = erp_e2e::spawn_mcp_in(&env, "diagnostics-test", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    mcp.ok("get_week_logs", json!({"week_starting": erp_e2e::monday(-1).to_string()})).await;

    let log = env.path().join("data/logs/erp-helper.log");
    let logged = eventually_blocking("the app's log file", 10, || {
        std::fs::read_to_string(&log).ok().filter(|t| t.contains("signed in"))
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(!logged.contains(&token), "the token is in the log");
    // A library that once logged a token: the bundle must still not carry it.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, format!("DEBUG leaked Authorization: Token {token}\n").as_bytes())
        })
        .unwrap();

    let out = run(&env, &["diagnostics", "--json"], "");
    assert!(out.status.success(), "{out:?}");
    let json_text = String::from_utf8(out.stdout).unwrap();
    let d: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(d["versions"]["erp_helper"], erp_core::APP_VERSION);
    assert!(d["versions"]["erp_mcp"]["version"].as_str().unwrap().starts_with("erp-mcp"), "{d}");
    assert!(d["os"]["name"].is_string() && d["os"]["kernel"].is_string(), "{d}");
    assert!(
        d["settings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["key"] == "erp_api_base_url" && s["source"] == "environment")
    );
    assert_eq!(d["app"]["answers"], true);
    assert_eq!(d["app"]["status"]["session"]["email"], JANE);
    let clients = d["app"]["status"]["clients"].as_array().unwrap();
    assert!(clients.iter().any(|c| c["client"]["mcp_client"] == "diagnostics-test"), "{d}");
    assert!(d["start_at_login"].is_boolean() && d["socket"].is_string(), "{d}");
    let proxy = d["network"]["proxy_environment"]["HTTPS_PROXY"].as_str().unwrap();
    assert_eq!(proxy, "http://127.0.0.1:9/ (credentials removed)");
    let lines = d["log"]["last_lines"].as_array().unwrap();
    assert!(lines.iter().any(|l| l.as_str().unwrap().contains("Token [redacted]")), "{d}");

    let text = run(&env, &["diagnostics"], "");
    let text = String::from_utf8(text.stdout).unwrap();
    for field in
        ["erp_helper:", "kernel:", "erp_api_base_url", "session:", "clients:", "last_lines:", "start_at_login:"]
    {
        assert!(text.contains(field), "no {field} in: {text}");
    }
    for secret in [token.as_str(), "proxypass1234"] {
        assert_no_secret(secret, &[json_text.clone(), text.clone()], env.path(), &[log.as_path()]);
    }
    assert!(run(&env, &["quit"], "").status.success());
    eventually_blocking("the app to exit", 10, || app.try_wait().unwrap());
}
