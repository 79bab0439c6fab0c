//! The same tool calls from clients of every MCP era the hosts speak: rmcp's
//! client on 2025-06-18 and 2025-11-25 (the `initialize` handshake) and on
//! 2026-07-28 (`server/discover`, no handshake); the official Python `mcp`
//! client; and the official TypeScript SDK client, which most hosts embed
//! (npm, pinned), through a sign-in and a fill with nothing on its stderr.

use std::process::Stdio;

use erp_e2e::{Harness, bin};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

const JANE: &str = "jane@example.com";

fn shim(h: &Harness) -> tokio::process::Command {
    let mut cmd = h.env.command("erp-mcp");
    cmd.env("RUST_LOG", "warn").env("ERP_MCP_NO_AUTOSTART", "1");
    tokio::process::Command::from(cmd)
}

async fn client(h: &Harness, version: ProtocolVersion) -> RunningService<RoleClient, ClientConfig> {
    let (transport, _) = TokioChildProcess::builder(shim(h)).stderr(Stdio::inherit()).spawn().unwrap();
    let info = ClientConfig::new(ClientCapabilities::default(), Implementation::new("era-test", "1.0"))
        .with_protocol_version(version.clone());
    if version.has_initialize() {
        info.serve(transport).await.unwrap()
    } else {
        let mode = ClientLifecycleMode::Discover { preferred_versions: vec![version] };
        info.serve_with_lifecycle(transport, mode).await.unwrap()
    }
}

async fn call(c: &RunningService<RoleClient, ClientConfig>, tool: &str, args: Value) -> Value {
    let Value::Object(args) = args else { unreachable!() };
    let r = c.call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args)).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{tool}: {r:?}");
    r.structured_content.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_calls_work_on_every_protocol_era() {
    let h = Harness::signed_in(JANE).await;
    let tools = erp_proto::catalogue().len();
    for (i, version) in [ProtocolVersion::V_2025_06_18, ProtocolVersion::V_2025_11_25, ProtocolVersion::V_2026_07_28]
        .into_iter()
        .enumerate()
    {
        let c = client(&h, version.clone()).await;
        assert_eq!(c.list_all_tools().await.unwrap().len(), tools, "{version}");
        assert_eq!(call(&c, "whoami", json!({})).await["email"], JANE, "{version}");
        let day = (erp_e2e::monday(-1) + chrono::Duration::days(i as i64)).to_string();
        let out = call(
            &c,
            "create_or_update_log",
            json!({"date": day, "description": "Era test", "hours": 1.5, "project_id": 412}),
        )
        .await;
        assert_eq!(out["action"], "created", "{version}: {out}");
        let day_logs = call(&c, "get_day_logs", json!({"date": day})).await;
        assert!(day_logs.to_string().contains("Era test"), "{version}: {day_logs}");
        c.cancel().await.unwrap();
    }
}

/// A script under `tests/support` run with `program`, against the shim at
/// this harness; returns (exit ok, stdout, stderr).
fn run_client(h: &Harness, program: &str, script: &str, extra: &[(&str, String)]) -> (bool, String, String) {
    let support = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("support");
    let out = std::process::Command::new(program)
        .arg(support.join(script))
        .arg(bin("erp-mcp"))
        .current_dir(&support)
        .env_clear()
        .envs(h.env.vars().iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ERP_MCP_NO_AUTOSTART", "1")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_typescript_sdk_client_signs_in_and_fills_with_nothing_on_stderr() {
    let h = Harness::start().await;
    // Signed out first: the SDK client sees the sign-in sentence, as the model would.
    // A week with no holiday in it: the fill leaves holidays out.
    let start = erp_e2e::working_monday(3);
    let fill = [("FILL_START", start.to_string()), ("FILL_END", (start + chrono::Duration::days(4)).to_string())];
    let (ok, out, err) = run_client(&h, "node", "ts-client.mjs", &fill);
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert!(err.is_empty(), "the SDK client printed on stderr: {err}");
    assert!(out.contains("SIGNED_OUT You are not signed in to the ERP."), "{out}");
    h.sign_in(JANE).await;
    let (ok, out, err) = run_client(&h, "node", "ts-client.mjs", &fill);
    assert!(ok && err.is_empty(), "stdout: {out}\nstderr: {err}");
    assert!(out.contains("TOOLS ") && out.contains("FILL success"), "{out}");
    assert!(out.contains("FILL success Logged 8h00 on 5 of 5 day(s)"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_mcp_client_lists_and_calls() {
    let h = Harness::signed_in(JANE).await;
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("support/.venv/bin/python");
    assert!(python.exists(), "run scripts/setup.sh (it installs the Python mcp client)");
    let (ok, out, err) = run_client(&h, python.to_str().unwrap(), "py-client.py", &[]);
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("TOOLS ") && out.contains("WHOAMI jane@example.com"), "{out}");
}

/// A host that shows URL-mode elicitations (MCP 2025-11-25): it records each
/// one, and its user opens the link and signs in before accepting.
struct ShowsLinks {
    harness: std::sync::Arc<Harness>,
    shown: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
    version: ProtocolVersion,
}

impl rmcp::ClientHandler for ShowsLinks {
    fn get_info(&self) -> ClientConfig {
        let mut caps = ClientCapabilities::default();
        caps.elicitation =
            Some(rmcp::model::ElicitationCapability::new().with_url(rmcp::model::UrlElicitationCapability::new()));
        ClientConfig::new(caps, Implementation::new("claude-ai", "1.0")).with_protocol_version(self.version.clone())
    }

    async fn create_elicitation(
        &self,
        request: rmcp::model::ElicitRequestParams,
        _: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::ElicitResult, rmcp::ErrorData> {
        if let rmcp::model::ElicitRequestParams::UrlElicitationParams { message, url, .. } = request {
            self.shown.lock().unwrap().push((message, url));
        }
        // The user follows the link and signs in, then says done.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        self.harness.sign_in(JANE).await;
        Ok(rmcp::model::ElicitResult::new(rmcp::model::ElicitationAction::Accept))
    }
}

async fn host_that_shows_links(version: ProtocolVersion) {
    let h = std::sync::Arc::new(Harness::start().await);
    let shown = std::sync::Arc::default();
    let (transport, _) = TokioChildProcess::builder(shim(&h)).stderr(Stdio::inherit()).spawn().unwrap();
    let host = ShowsLinks { harness: h.clone(), shown: std::sync::Arc::clone(&shown), version: version.clone() };
    let c = if version.has_initialize() {
        host.serve(transport).await.unwrap()
    } else {
        let mode = ClientLifecycleMode::Discover { preferred_versions: vec![version.clone()] };
        host.serve_with_lifecycle(transport, mode).await.unwrap()
    };
    let calls = (0..3).map(|_| c.call_tool(CallToolRequestParams::new("get_active_projects")));
    for r in futures::future::join_all(calls).await {
        let r = r.unwrap();
        assert_ne!(r.is_error, Some(true), "{version}: {r:?}");
        assert!(r.structured_content.unwrap()["projects"].as_array().is_some_and(|p| !p.is_empty()));
    }
    let shown = shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{version}: one prompt for three calls: {shown:?}");
    assert_eq!(shown[0].1, "erp-helper://signin");
    assert!(shown[0].0.starts_with("You are not signed in to the ERP."), "{}", shown[0].0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_that_shows_links_gets_one_sign_in_prompt_and_the_calls_then_just_work() {
    // 2025-11-25: an elicitation request during the call.
    host_that_shows_links(ProtocolVersion::V_2025_11_25).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_2026_07_28_the_sign_in_link_comes_as_an_input_required_result() {
    // 2026-07-28: no server-to-client requests; an input-required result, answered by calling again.
    host_that_shows_links(ProtocolVersion::V_2026_07_28).await;
}
