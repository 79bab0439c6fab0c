//! What hosts are told about each tool (so they can auto-approve reads) and
//! read-only mode, through a real MCP client: the tools that change the ERP are
//! refused in the app, before any ERP call, while reads go on working.

use erp_e2e::Harness;
use serde_json::json;

const JANE: &str = "jane@example.com";

/// (tool, read-only, destructive, idempotent): what each tool really does.
const HINTS: &[(&str, bool, bool, bool)] = &[
    ("whoami", true, false, true),
    ("sign_in", false, false, false),
    ("get_active_projects", true, false, true),
    ("get_log_labels", true, false, true),
    ("get_week_logs", true, false, true),
    ("get_day_logs", true, false, true),
    ("get_logs_for_date_range", true, false, true),
    ("get_month_logs", true, false, true),
    // Replaces an entry's hours: overwrites what was there, the same again changes nothing.
    ("create_or_update_log", false, true, true),
    // Removes an entry; a second call fails.
    ("delete_log", false, true, false),
    ("fill_logs_for_days", false, true, true),
    // Applies a kept plan once; a second call finds no plan.
    ("apply_plan", false, true, false),
    // The same copy again leaves days already logged alone.
    ("copy_week", false, true, true),
    ("list_changes", true, false, true),
    // Each undo is itself a change, so a second one redoes.
    ("undo_last_change", false, true, false),
    ("undo_change", false, true, false),
    ("complete_week_log", false, false, true),
    ("check_person_week_project_exists", true, false, true),
    ("find_missing_logs", true, false, true),
    ("summarize_logs", true, false, true),
    ("leaves_get_choices", true, false, true),
    ("leaves_get_fiscal_years", true, false, true),
    ("leaves_get_summary", true, false, true),
    ("leaves_list_month", true, false, true),
    ("leaves_list_mine", true, false, true),
    ("leaves_list_team", true, false, true),
    ("leaves_list_encashments", true, false, true),
    // Each call asks for another leave / encashment.
    ("leaves_apply", false, false, false),
    ("leaves_cancel", false, true, false),
    ("leaves_create_encashment", false, false, false),
];

#[tokio::test]
async fn every_tool_tells_hosts_whether_it_reads_overwrites_or_removes() {
    let h = Harness::start().await;
    let mcp = h.mcp().await;
    let tools = mcp.client.list_all_tools().await.unwrap();
    let served: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    let mut expected: Vec<&str> = HINTS.iter().map(|h| h.0).collect();
    let mut sorted = served.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "a tool without its expected hints here");
    for t in &tools {
        let &(_, read_only, destructive, idempotent) = HINTS.iter().find(|h| h.0 == t.name).unwrap();
        let a = t.annotations.as_ref().unwrap();
        let got = (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint);
        assert_eq!(got, (Some(read_only), Some(destructive), Some(idempotent), Some(false)), "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_mode_refuses_every_write_in_the_app_and_lets_reads_through() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let monday = erp_e2e::monday(1);
    let settings = |on: &str| {
        let out = h.env.command("erp-helper").args(["settings", "--read-only", on]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(settings("on").contains("Read-only mode: on"));
    let kept = std::fs::read_to_string(h.env.config().config_dir.join("settings.json")).unwrap();
    assert!(kept.contains("\"erp_helper_read_only\": \"on\""), "{kept}");
    assert_eq!(mcp.ok("whoami", json!({})).await["read_only"], true);

    // Every tool that would change the ERP is refused, naming the way out, and the ERP hears nothing.
    let writes = [
        (
            "create_or_update_log",
            json!({"date": monday.to_string(), "description": "x", "hours": 1, "project_id": 412}),
        ),
        ("delete_log", json!({"date": monday.to_string(), "description": "x", "project_id": 412})),
        (
            "fill_logs_for_days",
            json!({"start_date": monday.to_string(), "end_date": monday.to_string(), "description": "x", "project_id": 412}),
        ),
        ("complete_week_log", json!({"week_starting": monday.to_string()})),
        (
            "leaves_apply",
            json!({"leave_type": 1, "start_date": monday.to_string(), "end_date": monday.to_string(), "reason": "x"}),
        ),
        ("leaves_cancel", json!({"leave_id": 1})),
        ("leaves_create_encashment", json!({"leave_type": 1, "days": 1})),
    ];
    h.sim.clear_requests();
    for (tool, args) in &writes {
        let msg = mcp.err(tool, args.clone()).await;
        assert!(msg.contains("ERP Helper is in read-only mode"), "{tool}: {msg}");
        assert!(msg.contains("erp-helper settings --read-only off"), "{tool}: {msg}");
    }
    assert_eq!(h.sim.request_count(), 0, "a write reached the ERP: {:?}", h.sim.requests());
    // Bad arguments are still named first.
    let bad = mcp
        .err("create_or_update_log", json!({"date": "2026-1-1", "description": "x", "hours": 1, "project_id": 1}))
        .await;
    assert!(bad.contains("date must be a date in YYYY-MM-DD form"), "{bad}");

    // Reads go on, and sign_in (which changes nothing in the ERP) too.
    mcp.ok("get_week_logs", json!({"week_starting": monday.to_string()})).await;
    mcp.ok("leaves_get_choices", json!({})).await;
    assert_eq!(mcp.ok("sign_in", json!({})).await["status"], "already_signed_in");
    let status = h.env.command("erp-helper").arg("status").output().unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("Read-only mode: on"), "{status:?}");

    // Off again: at once, no restart.
    assert!(settings("off").contains("Read-only mode: off"));
    let saved = mcp
        .ok(
            "create_or_update_log",
            json!({"date": monday.to_string(), "description": "Allowed", "hours": 1, "project_id": 412}),
        )
        .await;
    assert_eq!(saved["action"], "created");

    // In force as soon as it is set, before its settings write has even started
    // (a tray click is handled so): the future that keeps it is not polled yet.
    let keeping = h.core.set_read_only(true);
    assert_eq!(mcp.ok("whoami", json!({})).await["read_only"], true);
    keeping.await.unwrap();
    h.core.set_read_only(false).await.unwrap();

    // A choice that cannot be kept is not half made: the error says so and the mode stays off.
    let file = h.env.config().config_dir.join("settings.json");
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let out = h.env.command("erp-helper").args(["settings", "--read-only", "on"]).output().unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("settings.json"), "{out:?}");
    assert_eq!(mcp.ok("whoami", json!({})).await["read_only"], false);
    std::fs::remove_dir(&file).unwrap();
}
