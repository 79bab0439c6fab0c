//! The failures a user can act on: each is one clear sentence with
//! `isError: true`, never a protocol error.

use std::sync::Arc;

use chrono::Duration;
use erp_core::core::HeadlessSignIn;
use erp_core::secret::ErpToken;
use erp_core::store::{MemoryStore, SessionStore, SignInVia, StoredSession};
use erp_core::{CoreDeps, CoreError, CoreHandle};
use erp_e2e::{Harness, TestEnv, monday, spawn_mcp_in};
use erp_sim::{Fault, SimConfig};
use serde_json::json;

const JANE: &str = "jane@example.com";

fn one_sentence_plus_link(msg: &str) {
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert!(!msg.to_lowercase().contains("token ") || msg.contains("--token-stdin"), "no token talk: {msg}");
}

#[tokio::test]
async fn app_not_running_and_cannot_be_started() {
    let env = TestEnv::new("http://127.0.0.1:9/api/v1/");
    let mcp = spawn_mcp_in(&env, "e2e", &[("ERP_HELPER_APP", "/nonexistent/erp-helper")]).await;
    // Handshake and listing work without the app.
    assert_eq!(mcp.client.list_all_tools().await.unwrap().len(), erp_proto::tools::catalogue().len());
    let msg = mcp.err("get_active_projects", json!({})).await;
    assert!(
        msg.starts_with(
            "The ERP Helper app is not running and could not be started (could not start /nonexistent/erp-helper"
        ),
        "{msg}"
    );
    one_sentence_plus_link(&msg);

    let mcp = spawn_mcp_in(&env, "e2e", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    let msg = mcp.err("whoami", json!({})).await;
    assert!(msg.contains("not running") && msg.contains("turned off"), "{msg}");
}

#[tokio::test]
async fn an_app_that_exits_at_once_is_reported_with_its_own_reason() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new("http://127.0.0.1:9/api/v1/");
    // An app that cannot start (a stale DISPLAY, a broken install) and says why.
    let app = env.path().join("broken-erp-helper");
    std::fs::write(&app, "#!/bin/sh\necho 'erp-helper: cannot open display :99' >&2\nexit 3\n").unwrap();
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mcp = spawn_mcp_in(&env, "e2e", &[("ERP_HELPER_APP", app.to_str().unwrap())]).await;
    let msg = mcp.err("get_active_projects", json!({})).await;
    assert!(msg.contains("exited at once (exit status: 3): erp-helper: cannot open display :99"), "{msg}");
    one_sentence_plus_link(&msg);
}

#[tokio::test]
async fn an_app_that_accepts_but_never_says_hello_does_not_hang_the_call() {
    let env = TestEnv::new("http://127.0.0.1:9/api/v1/");
    // A listener on the socket path that never answers; it counts who knocks.
    let socket = env.socket();
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(socket.parent().unwrap()).unwrap();
    }
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let knocks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = knocks.clone();
    let _mute = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(s);
        }
    });
    let mcp = spawn_mcp_in(&env, "e2e", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    // Eight calls at once share one bounded attempt (not eight in a row behind a
    // lock) and all hear its outcome.
    let calls = (0..8).map(|_| mcp.err("whoami", json!({})));
    for msg in futures::future::join_all(calls).await {
        assert!(msg.contains("did not answer within 5 s"), "{msg}");
    }
    assert_eq!(knocks.load(std::sync::atomic::Ordering::SeqCst), 1, "one connect attempt for eight calls");
    // The failure is not kept: the next call tries again.
    mcp.err("whoami", json!({})).await;
    assert_eq!(knocks.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn not_signed_in_gives_the_sign_in_link() {
    let h = Harness::start().await;
    let mcp = h.mcp().await;
    let msg = mcp.err("get_week_logs", json!({"week_starting": monday(-1).to_string()})).await;
    assert!(msg.starts_with("You are not signed in to the ERP."), "{msg}");
    assert!(msg.contains("erp-helper://signin"), "{msg}");
    one_sentence_plus_link(&msg);
    assert_eq!(h.sim.request_count(), 0);
}

#[tokio::test]
async fn an_account_off_the_allowlist_is_refused_on_every_call() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    h.core.allow_add("@other.org").await.unwrap();
    let msg = mcp.err("get_active_projects", json!({})).await;
    assert!(
        msg.starts_with("jane@example.com is not on this computer's list of authorized ERP Helper users."),
        "{msg}"
    );
    assert_eq!(mcp.ok("whoami", json!({})).await["authorized"], false);
    h.core.allow_add("jane@example.com").await.unwrap();
    mcp.ok("get_active_projects", json!({})).await;
}

#[tokio::test]
async fn a_refused_account_is_never_stored() {
    let h = Harness::with(SimConfig::default(), &[("MCP_AUTHORIZED_USERS", "@other.org")]).await;
    let token = h.sim.token_for(JANE).unwrap();
    let e = h.core.sign_in().with_token(ErpToken::new(token), None, SignInVia::Token).await.unwrap_err();
    assert!(matches!(e, CoreError::NotAuthorized { .. }), "{e}");
    assert_eq!(h.core.sessions().view().email, None);
    assert!(h.core.allow_add("x@y.org").await.unwrap_err().to_string().contains("MCP_AUTHORIZED_USERS"));
    h.sign_in("olga@other.org").await;
    assert_eq!(h.core.sessions().view().email.as_deref(), Some("olga@other.org"));
}

#[tokio::test]
async fn a_token_the_erp_stops_accepting_expires_the_session() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    mcp.ok("get_active_projects", json!({})).await;
    h.sim.revoke_token(JANE);
    let msg = mcp.err("get_log_labels", json!({})).await;
    assert!(msg.starts_with("The ERP no longer accepts the session of jane@example.com"), "{msg}");
    assert!(msg.contains("erp-helper://signin"), "{msg}");
    let who = mcp.ok("whoami", json!({})).await;
    assert_eq!(who["state"], "expired");
    // The next call does not hit the ERP with the dead token again.
    let before = h.sim.request_count();
    let again = mcp.err("get_active_projects", json!({})).await;
    assert!(again.contains("no longer accepts"), "{again}");
    assert_eq!(h.sim.request_count(), before);
    // Signing in again recovers.
    h.sign_in(JANE).await;
    mcp.ok("get_active_projects", json!({})).await;
}

#[tokio::test]
async fn erp_down_says_it_could_not_be_reached() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = TestEnv::new(&format!("http://127.0.0.1:{port}/api/v1/"));
    let (config, socket) = (env.config(), env.socket());
    let store = MemoryStore::default();
    store
        .save(&StoredSession {
            email: JANE.into(),
            via: SignInVia::Token,
            token: ErpToken::new("a".repeat(40)),
            signed_in_at: "x".into(),
            api_base: Some(config.api_base.to_string()),
        })
        .unwrap();
    let listener = erp_core::ipc::bind(&socket).await.unwrap();
    let core = CoreHandle::build(CoreDeps {
        config,
        store: Arc::new(store),
        sign_in_ui: Arc::new(HeadlessSignIn),
        demo: None,
        opener: erp_core::google::system_opener(),
    })
    .await
    .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(erp_core::ipc::serve(listener, core, stop.clone()));
    let mcp = spawn_mcp_in(&env, "e2e", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    let msg = mcp.err("get_active_projects", json!({})).await;
    assert_eq!(
        msg,
        format!(
            "The ERP at http://127.0.0.1:{port} could not be reached (connection failed). Check your network or VPN, then try again."
        )
    );
    stop.cancel();
}

#[tokio::test]
async fn erp_errors_redirects_and_garbage_are_errors_with_the_erp_text() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    h.sim.inject_fault("active_project_list", 1, Fault::Status(500, json!({"error": "Internal"})));
    assert_eq!(mcp.err("get_active_projects", json!({})).await, "The ERP refused the request (HTTP 500): Internal.");
    h.sim.inject_fault("log_labels", 1, Fault::Redirect("https://sso.example.com/login".into()));
    let msg = mcp.err("get_log_labels", json!({})).await;
    assert!(msg.contains("redirect (HTTP 302 to https://sso.example.com/login)"), "{msg}");
    h.sim.inject_fault("log_labels", 1, Fault::Garbage);
    assert!(mcp.err("get_log_labels", json!({})).await.contains("could not read (not JSON)"));
    mcp.ok("get_log_labels", json!({})).await;
}

#[tokio::test]
async fn a_failed_week_list_is_not_taken_for_a_missing_week() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    h.sim.inject_fault("person/list", 1, Fault::Status(503, json!({"detail": "Service unavailable"})));
    let d = (monday(-2) + Duration::days(1)).to_string();
    let msg =
        mcp.err("create_or_update_log", json!({"date": d, "description": "x", "hours": 1, "project_id": 412})).await;
    assert_eq!(msg, "The ERP refused the request (HTTP 503): Service unavailable.");
    assert!(!h.sim.requests().iter().any(|r| r.path.contains("from-slack")), "fell through to the Slack path");
}

#[tokio::test]
async fn a_missing_week_is_tried_the_slack_way_and_explained() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let week = monday(-5);
    assert!(h.sim.remove_week(JANE, week));
    let msg = mcp
        .err(
            "create_or_update_log",
            json!({"date": week.to_string(), "description": "x", "hours": 1, "project_id": 412}),
        )
        .await;
    assert!(
        msg.starts_with(&format!(
            "There is no week log for the week starting {week}, and the ERP would not add the entry"
        )),
        "{msg}"
    );
    assert!(msg.contains("not part of the project(s)"), "{msg}");
    assert!(h.sim.requests().iter().any(|r| r.method == "POST" && r.path.contains("from-slack")));
    let msg = mcp.err("get_week_logs", json!({"week_starting": week.to_string()})).await;
    assert!(msg.starts_with(&format!("There is no week log for the week starting {week}.")), "{msg}");
}

#[tokio::test]
async fn a_stale_save_is_redone_once_on_a_fresh_copy() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let d = (monday(-7) + Duration::days(2)).to_string();
    h.sim.inject_fault("/save/", 1, Fault::Status(409, json!({"detail": "changed elsewhere"})));
    h.sim.clear_requests();
    mcp.ok("create_or_update_log", json!({"date": d, "description": "x", "hours": 1, "project_id": 412})).await;
    let saves = h.sim.requests().iter().filter(|r| r.method == "PATCH").count();
    assert_eq!(saves, 2);
    // Twice stale: reported, not looped.
    h.sim.inject_fault("/save/", 2, Fault::Status(409, json!({"detail": "changed elsewhere"})));
    let msg =
        mcp.err("create_or_update_log", json!({"date": d, "description": "x", "hours": 2, "project_id": 412})).await;
    assert!(msg.contains("HTTP 409"), "{msg}");
}

#[tokio::test]
async fn the_erp_description_limit_comes_back_as_its_message() {
    let h = Harness::with(SimConfig { description_limit: 120, ..SimConfig::default() }, &[]).await;
    h.sign_in(JANE).await;
    let mcp = h.mcp().await;
    let d = (monday(-2) + Duration::days(1)).to_string();
    let msg = mcp
        .err("create_or_update_log", json!({"date": d, "description": "y".repeat(121), "hours": 1, "project_id": 412}))
        .await;
    assert!(msg.contains("description: Ensure this field has no more than 120 characters."), "{msg}");
}
