//! Connected apps: the app knows each MCP client by its handshake (host name
//! and version) and by the socket's credentials (pid, program), since when,
//! and how many calls; `erp-helper status` shows them, and `erp-helper
//! disconnect ID` ends one: that process is kept out, the others go on, and
//! the host restarting its server connects again.

use erp_e2e::{Harness, bin, text};
use erp_proto::admin::{self, ConnectedClient};
use serde_json::json;

const JANE: &str = "jane@example.com";

fn cli(h: &Harness, args: &[&str]) -> std::process::Output {
    h.env.command("erp-helper").args(args).stdin(std::process::Stdio::null()).output().unwrap()
}

fn status(h: &Harness) -> Vec<ConnectedClient> {
    let out = cli(h, &["status", "--json"]);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice::<admin::StatusOutput>(&out.stdout).unwrap().clients
}

fn host(clients: &[ConnectedClient], name: &str) -> Option<ConnectedClient> {
    clients.iter().find(|c| c.client.mcp_client.as_deref() == Some(name)).cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_each_app_with_its_process_and_disconnect_ends_one() {
    let h = Harness::signed_in(JANE).await;
    let cursor = h.mcp_as("cursor-vscode").await;
    let claude = h.mcp_as("claude-ai").await;
    cursor.ok("get_active_projects", json!({})).await;
    cursor.ok("get_log_labels", json!({})).await;
    claude.ok("whoami", json!({})).await;

    let clients = status(&h);
    let (c, k) = (host(&clients, "cursor-vscode").unwrap(), host(&clients, "claude-ai").unwrap());
    assert_eq!((c.client.mcp_client_version.as_deref(), c.client.name.as_str()), (Some("9.9.9"), "erp-mcp"));
    assert_eq!((c.calls, k.calls), (2, 1), "{clients:?}");
    assert!(c.since.ends_with('Z') && c.since.len() == 20, "{}", c.since);
    let shim = bin("erp-mcp").canonicalize().unwrap().display().to_string();
    for app in [&c, &k] {
        // The pid is the shim's own: its program, and the socket in its environment.
        let pid = app.pid.expect("a pid from the socket's credentials");
        assert_eq!(app.exe.as_deref(), Some(shim.as_str()));
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
        assert_eq!(exe.display().to_string(), shim);
        let environ = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap()).into_owned();
        assert!(environ.contains(&format!("ERP_HELPER_SOCKET={}", h.socket.display())));
    }
    assert_ne!(c.pid, k.pid);
    let human = String::from_utf8_lossy(&cli(&h, &["status"]).stdout).into_owned();
    let line = format!("[{}] Cursor 9.9.9 (pid {}, {shim}), since {}, 2 calls", c.id, c.pid.unwrap(), c.since);
    assert!(human.contains(&line), "{human}\nwanted: {line}");

    // Disconnect Cursor: its calls are refused from now on, saying why and how
    // to come back; Claude goes on.
    let out = cli(&h, &["disconnect", &c.id.to_string()]);
    assert!(out.status.success(), "{out:?}");
    let refused = cursor.call("get_active_projects", json!({})).await;
    assert_eq!(refused.is_error, Some(true));
    let msg = text(&refused);
    assert!(msg.contains("disconnected Cursor") && msg.contains("Restart Cursor's ERP server"), "{msg}");
    claude.ok("get_active_projects", json!({})).await;
    let clients = status(&h);
    assert!(host(&clients, "cursor-vscode").is_none(), "{clients:?}");
    // The host restarting its server (a new process) is welcome again.
    drop(cursor);
    let again = h.mcp_as("cursor-vscode").await;
    again.ok("get_active_projects", json!({})).await;
    assert!(host(&status(&h), "cursor-vscode").is_some());
    let unknown = cli(&h, &["disconnect", "999"]);
    assert!(
        !unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("no connected app has id 999")
    );
}
