//! The installed package: `scripts/test-package.sh` builds the `.deb`,
//! installs it with apt, and runs these with `ERP_E2E_BIN_DIR=/usr/bin`, so
//! every binary below is the one the package put there. Ignored in the
//! ordinary run (there is no installed package then).

use std::path::Path;
use std::process::{Command, Stdio};

use erp_e2e::{TestEnv, bin, eventually_blocking};
use serde_json::json;

fn installed_dir() -> String {
    let dir = std::env::var("ERP_E2E_BIN_DIR").expect("ERP_E2E_BIN_DIR (scripts/test-package.sh sets it)");
    for name in ["erp-helper", "erp-mcp"] {
        assert_eq!(bin(name), Path::new(&dir).join(name), "the test would not run the installed {name}");
    }
    dir
}

fn run(env: &TestEnv, args: &[&str]) -> std::process::Output {
    env.command("erp-helper").args(args).stdin(Stdio::null()).output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the installed package: scripts/test-package.sh runs it"]
async fn the_installed_app_serves_a_real_mcp_client_through_the_installed_shim() {
    let dir = installed_dir();
    // The demo app serves its own ERP: the shim must not name another one
    // (ERP_API_BASE_URL in its environment would be refused as another ERP).
    let mut env = TestEnv::new("https://unused.invalid/api/v1/");
    env.app_owned();
    let err = std::fs::File::create(env.path().join("app.err")).unwrap();
    let mut app =
        env.command("erp-helper").args(["--headless", "--demo"]).stdout(Stdio::null()).stderr(err).spawn().unwrap();
    eventually_blocking("the installed app to answer", 20, || run(&env, &["status"]).status.success().then_some(()));
    let s = run(&env, &["signin", "--demo"]);
    assert!(String::from_utf8_lossy(&s.stdout).contains("Signed in as jane@example.com"), "{s:?}");

    // The official Python client (PyPI `mcp`) against /usr/bin/erp-mcp.
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("support");
    let py = Command::new(support.join(".venv/bin/python"))
        .arg(support.join("py-client.py"))
        .arg(Path::new(&dir).join("erp-mcp"))
        .env_clear()
        .envs(env.vars().iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success() && said.contains("WHOAMI jane@example.com"),
        "{said}\n{}",
        String::from_utf8_lossy(&py.stderr)
    );

    // A write and a read through rmcp's client, end to end into the demo's ERP.
    let mcp = erp_e2e::spawn_mcp_in(&env, "installed", &[]).await;
    let day = erp_e2e::monday(1);
    let out = mcp
        .ok(
            "create_or_update_log",
            json!({"date": day.to_string(), "description": "Installed", "hours": 2, "project_id": 412}),
        )
        .await;
    assert_eq!(out["action"], "created", "{out}");
    let logs = mcp.ok("get_day_logs", json!({"date": day.to_string()})).await;
    assert!(logs.to_string().contains("Installed"), "{logs}");

    assert!(run(&env, &["quit"]).status.success());
    eventually_blocking("the app to exit", 10, || app.try_wait().unwrap());
}
