//! Every validation rule: the message names the bad argument, the result is a
//! tool error (not a protocol error), and the ERP never heard of it.

use erp_e2e::Harness;
use serde_json::{Value, json};

fn cases() -> Vec<(&'static str, Value, &'static str)> {
    let long = "x".repeat(5001);
    let base = |extra: Value| {
        let mut v = json!({"date": "2026-01-07", "description": "Work", "hours": 2, "project_id": 412});
        for (k, val) in extra.as_object().unwrap() {
            if val.is_null() {
                v.as_object_mut().unwrap().remove(k);
            } else {
                v[k] = val.clone();
            }
        }
        v
    };
    let leave = |extra: Value| {
        let mut v =
            json!({"leave_type": 1, "start_date": "2026-06-10", "end_date": "2026-06-12", "reason": "Family event"});
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        v
    };
    vec![
        ("create_or_update_log", base(json!({"date": "2026-1-7"})), "date must be a date in YYYY-MM-DD form"),
        ("create_or_update_log", base(json!({"date": "20260107"})), "date must be a date in YYYY-MM-DD form"),
        ("create_or_update_log", base(json!({"date": "2026-02-30"})), "date is not a real calendar date"),
        ("create_or_update_log", base(json!({"hours": 0})), "hours must be more than 0 and at most 24"),
        ("create_or_update_log", base(json!({"hours": -2})), "hours must be more than 0 and at most 24"),
        ("create_or_update_log", base(json!({"hours": 24.5})), "hours must be more than 0 and at most 24"),
        ("create_or_update_log", base(json!({"hours": 0.008})), "hours is too small"),
        (
            "create_or_update_log",
            base(json!({"hours": "two"})),
            "Invalid arguments: hours: invalid type: string \"two\", expected f64",
        ),
        ("create_or_update_log", base(json!({"hours": null})), "missing field `hours`"),
        ("create_or_update_log", base(json!({"description": "   "})), "description must not be empty"),
        (
            "create_or_update_log",
            base(json!({"description": long})),
            "description is 5001 characters long; the limit is 5000",
        ),
        (
            "create_or_update_log",
            base(json!({"project_name": "Backend"})),
            "Give either project_id or project_name, not both",
        ),
        ("create_or_update_log", base(json!({"project_id": null})), "Give project_id or project_name"),
        ("create_or_update_log", base(json!({"project_id": -4})), "project_id must be a positive number"),
        (
            "create_or_update_log",
            base(json!({"project_id": null, "project_name": " "})),
            "project_name must not be empty",
        ),
        (
            "create_or_update_log",
            base(json!({"label_id": 34, "label_name": "Coding"})),
            "Give either label_id or label_name, not both",
        ),
        ("create_or_update_log", base(json!({"label_name": ""})), "label_name must not be empty"),
        ("create_or_update_log", base(json!({"email": "boss@example.com"})), "unknown field `email`"),
        (
            "delete_log",
            json!({"date": "2026-01-07", "description": "", "project_id": 412}),
            "description must not be empty",
        ),
        (
            "delete_log",
            json!({"date": "07/01/2026", "description": "x", "project_id": 412}),
            "date must be a date in YYYY-MM-DD form",
        ),
        ("delete_log", json!({"date": "2026-01-07", "description": "x"}), "Give project_id or project_name"),
        (
            "get_week_logs",
            json!({"week_starting": "2026-01-07"}),
            "week_starting must be a Monday, got 2026-01-07 (Wednesday)",
        ),
        ("get_week_logs", json!({"week_starting": "2026-W02-1"}), "week_starting must be a date in YYYY-MM-DD form"),
        ("get_week_logs", json!({}), "missing field `week_starting`"),
        ("get_day_logs", json!({"date": "yesterday"}), "date must be a date in YYYY-MM-DD form"),
        (
            "complete_week_log",
            json!({"week_starting": "2026-01-11"}),
            "week_starting must be a Monday, got 2026-01-11 (Sunday)",
        ),
        (
            "complete_week_log",
            json!({"week_starting": "2026-01-05", "save_draft": "no"}),
            "save_draft: invalid type: string \"no\", expected a boolean",
        ),
        (
            "get_logs_for_date_range",
            json!({"start_date": "2026-02-01", "end_date": "2026-01-31"}),
            "end_date (2026-01-31) must be on or after start_date (2026-02-01)",
        ),
        (
            "get_logs_for_date_range",
            json!({"start_date": "2026-01-01", "end_date": "2027-01-02"}),
            "end_date: the range spans 367 days; the most is 366",
        ),
        ("get_month_logs", json!({"year": 2026, "month": 13}), "month must be 1 to 12, got 13"),
        ("get_month_logs", json!({"year": 26, "month": 1}), "year must be a four-digit year"),
        (
            "fill_logs_for_days",
            json!({"start_date": "2026-01-01", "end_date": "2026-02-01", "description": "x", "project_id": 412}),
            "a fill covers at most 31",
        ),
        (
            "fill_logs_for_days",
            json!({"start_date": "2026-01-05", "end_date": "2026-01-09", "description": "x", "project_id": 412, "hours_per_day": 30}),
            "hours_per_day must be more than 0 and at most 24",
        ),
        (
            "fill_logs_for_days",
            json!({"start_date": "2026-01-09", "end_date": "2026-01-05", "description": "x", "project_id": 412}),
            "end_date (2026-01-05) must be on or after start_date (2026-01-09)",
        ),
        (
            "fill_logs_for_days",
            json!({"start_date": "2026-01-05", "end_date": "2026-01-09", "description": "x"}),
            "Give project_id or project_name",
        ),
        (
            "check_person_week_project_exists",
            json!({"date": "2026-01-05", "project_id": 1, "project_name": "x"}),
            "Give either project_id or project_name, not both",
        ),
        ("get_active_projects", json!({"token": "abc"}), "unknown field `token`"),
        (
            "find_missing_logs",
            json!({"start_date": "2026-01-01", "end_date": "2027-01-02"}),
            "end_date: the range spans 367 days; the most is 366",
        ),
        (
            "find_missing_logs",
            json!({"start_date": "2026-02-01", "end_date": "2026-01-31"}),
            "end_date (2026-01-31) must be on or after start_date (2026-02-01)",
        ),
        ("find_missing_logs", json!({"start_date": "2026-02-01"}), "missing field `end_date`"),
        ("summarize_logs", json!({"start_date": "2026-01-01", "end_date": "2026-01-31"}), "missing field `group_by`"),
        (
            "summarize_logs",
            json!({"start_date": "2026-01-01", "end_date": "2026-1-31", "group_by": "day"}),
            "end_date must be a date in YYYY-MM-DD form",
        ),
        ("leaves_get_summary", json!({"fiscal_year_id": 0}), "fiscal_year_id must be a positive integer"),
        ("leaves_get_summary", json!({"selected_year": 2026}), "unknown field `selected_year`"),
        ("leaves_list_month", json!({"year": 2026, "month": 0}), "month must be 1 to 12, got 0"),
        ("leaves_list_month", json!({"year": 2026}), "missing field `month`"),
        ("leaves_list_mine", json!({"year": 99999, "month": 1}), "year must be a four-digit year"),
        ("leaves_list_team", json!({"person": "x"}), "unknown field `person`"),
        ("leaves_apply", leave(json!({"leave_type": 0})), "leave_type must be a positive integer"),
        ("leaves_apply", leave(json!({"start_date": "2026-6-10"})), "start_date must be a date in YYYY-MM-DD form"),
        ("leaves_apply", leave(json!({"end_date": "2026-06-31"})), "end_date is not a real calendar date"),
        (
            "leaves_apply",
            leave(json!({"end_date": "2026-06-09"})),
            "end_date (2026-06-09) must be on or after start_date (2026-06-10)",
        ),
        (
            "leaves_apply",
            leave(json!({"end_date": "2026-09-08"})),
            "end_date: the range spans 91 days; a leave covers at most 90 days",
        ),
        ("leaves_apply", leave(json!({"reason": "  "})), "reason must not be empty"),
        (
            "leaves_apply",
            leave(json!({"reason": "r".repeat(2001)})),
            "reason is 2001 characters long; the limit is 2000",
        ),
        ("leaves_apply", leave(json!({"half_day": true})), "half_day_period is needed with half_day"),
        ("leaves_apply", leave(json!({"half_day_period": "first_half"})), "half_day_period is only for a half day"),
        (
            "leaves_apply",
            leave(json!({"half_day": true, "half_day_period": "first_half"})),
            "end_date: a half-day leave is one day",
        ),
        ("leaves_apply", leave(json!({"half_day_period": "evening"})), "unknown variant `evening`"),
        ("leaves_cancel", json!({"leave_id": 0}), "leave_id must be a positive integer"),
        ("leaves_cancel", json!({"leave_id": -3}), "leave_id must be a positive integer"),
        ("leaves_create_encashment", json!({"leave_type": 1, "days": 0}), "days must be more than 0 and at most 90"),
        ("leaves_create_encashment", json!({"leave_type": 1, "days": 90.5}), "days must be more than 0 and at most 90"),
        ("leaves_create_encashment", json!({"leave_type": -1, "days": 2}), "leave_type must be a positive integer"),
        ("whoami", json!({"email": "x@y.z"}), "unknown field `email`"),
        ("apply_plan", json!({"plan_id": "abc"}), "is not a plan id"),
        ("apply_plan", json!({"plan_id": "plan_00ff00ff00ff"}), "no such plan"),
        ("apply_plan", json!({}), "missing field `plan_id`"),
        (
            "copy_week",
            json!({"from_week_starting": "2026-01-06", "to_week_starting": "2026-01-12"}),
            "from_week_starting must be a Monday, got 2026-01-06 (Tuesday)",
        ),
        (
            "copy_week",
            json!({"from_week_starting": "2026-01-05", "to_week_starting": "2026-01-05"}),
            "to_week_starting 2026-01-05 is the week copied from",
        ),
        (
            "copy_week",
            json!({"from_week_starting": "2026-01-05", "to_week_starting": "2026-01-12", "project_id": 1, "project_name": "x"}),
            "not both",
        ),
        ("list_changes", json!({"limit": 0}), "limit must be 1 to 100, got 0"),
        ("list_changes", json!({"limit": 101}), "limit must be 1 to 100, got 101"),
        ("undo_change", json!({"change_id": "x"}), "is not a change id"),
        ("undo_change", json!({"change_id": "chg_0123456789ab"}), "is not one of your recent changes"),
    ]
}

#[tokio::test]
async fn every_rule_names_the_argument_and_makes_no_erp_call() {
    let h = Harness::signed_in("jane@example.com").await;
    let mcp = h.mcp().await;
    h.sim.clear_requests();
    for (tool, args, expected) in cases() {
        let msg = mcp.err(tool, args.clone()).await;
        assert!(msg.contains(expected), "{tool} {args}: got {msg:?}, want {expected:?}");
        assert_eq!(h.sim.request_count(), 0, "{tool} {args} reached the ERP");
    }
    // Nothing invalid is audited as a write.
    assert!(h.core.audit().recent(100).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_tool_is_a_protocol_error() {
    let h = Harness::start().await;
    let mcp = h.mcp().await;
    let r = mcp
        .client
        .call_tool(rmcp::model::CallToolRequestParams::new("launch_rockets").with_arguments(Default::default()))
        .await;
    assert!(r.is_err(), "{r:?}");
}
