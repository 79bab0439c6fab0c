//! The session survives an app restart in a real Secret Service (gnome-keyring,
//! unlocked in the test's own D-Bus session) and sign-out removes it; with no
//! keychain the 0600 file is used (see cli.rs). Runs the real erp-helper binary.

use std::path::Path;
use std::process::Command;

use erp_e2e::bin;
use erp_sim::{Sim, SimConfig};

fn installed(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().map(|o| o.status.success()).unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_lives_in_the_keychain_across_restarts() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"] {
        assert!(
            installed(tool),
            "{tool} is missing: run scripts/setup.sh (it installs gnome-keyring, libsecret-tools, dbus)"
        );
    }
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let token = sim.token_for("jane@example.com").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let home = d.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/keychain-scenario.sh");
    let mut cmd = Command::new("dbus-run-session");
    cmd.arg("--")
        .arg("bash")
        .arg(script)
        .arg(bin("erp-helper"))
        .arg(&token)
        .arg(&d)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_RUNTIME_DIR", &d)
        .env("ERP_API_BASE_URL", sim.api_url())
        .env("ERP_HELPER_CONFIG_DIR", d.join("config"))
        .env("ERP_HELPER_DATA_DIR", d.join("data"))
        .env("ERP_HELPER_SOCKET", d.join("run/erp.sock"))
        .env("ERP_HELPER_SESSION_STORE", "keychain");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let logs = format!(
        "{stdout}\n--- stderr\n{}\n--- app1\n{}\n--- app2\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(d.join("app1.err")).unwrap_or_default(),
        std::fs::read_to_string(d.join("app2.err")).unwrap_or_default()
    );
    assert!(out.status.success(), "{logs}");
    assert!(stdout.contains("Session stored in: keychain"), "{logs}");
    assert!(stdout.contains("entries after sign-in: 1"), "{logs}");
    let after_restart = stdout.split("--- status after restart").nth(1).unwrap_or_default();
    assert!(after_restart.contains("Signed in as jane@example.com (via token)."), "{logs}");
    assert!(stdout.contains("entries after sign-out: 0"), "{logs}");
    // Nothing secret on disk outside the keyring's own (encrypted) file.
    assert!(!d.join("data/secret/session.json").exists());
    // The keyring's own (encrypted) file lives under home/; the rest is ours.
    let outputs = [stdout.to_string(), String::from_utf8_lossy(&out.stderr).into_owned()];
    erp_e2e::assert_no_secret(&token, &outputs, &d, &[&home]);
}
