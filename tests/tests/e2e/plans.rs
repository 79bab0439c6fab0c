//! Fills you can preview, `apply_plan`, undo and `copy_week`, through a real MCP
//! client, with erp-sim's weeks checked after each step: a preview writes
//! nothing, days off are left out and said so, a plan is refused once its weeks
//! changed, and an undo puts back exactly the tasks a week had (or refuses,
//! saying what someone else changed).

use chrono::{Datelike, Duration, NaiveDate};
use erp_e2e::{Harness, Mcp, monday};
use erp_sim::LeaveStatus;
use serde_json::{Value, json};

const JANE: &str = "jane@example.com";

/// What a week's projects hold in erp-sim (its tasks, in order), or Null for no week log.
fn tasks(h: &Harness, monday: NaiveDate) -> Value {
    h.sim.week_detail(JANE, monday).map(|w| w["projects"].clone()).unwrap_or(Value::Null)
}

/// The (date, hours, minutes) of every day a description is logged on in a week.
fn logged(h: &Harness, monday: NaiveDate, description: &str) -> Vec<(String, i64, i64)> {
    let mut out = Vec::new();
    for p in tasks(h, monday).as_array().into_iter().flatten() {
        for t in p["tasks"].as_array().into_iter().flatten().filter(|t| t["description"] == description) {
            for d in t["days"].as_array().into_iter().flatten() {
                out.push((
                    d["date"].as_str().unwrap().to_string(),
                    d["hours"].as_i64().unwrap(),
                    d["minutes"].as_i64().unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn writes(h: &Harness) -> Vec<String> {
    h.sim.requests().iter().filter(|r| r.method != "GET").map(|r| format!("{} {}", r.method, r.path)).collect()
}

fn day(out: &Value, date: NaiveDate) -> &Value {
    out["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date.to_string())
        .unwrap_or_else(|| panic!("{date}: {out}"))
}

/// A week with a holiday on Tuesday and approved leave on Thursday.
fn week_with_days_off(h: &Harness, m: NaiveDate) -> (NaiveDate, NaiveDate) {
    let (holiday, leave) = (m + Duration::days(1), m + Duration::days(3));
    h.sim.add_holiday(holiday, "Founders' Day");
    h.sim.add_leave(JANE, 1, (leave, leave), None, LeaveStatus::Approved).unwrap();
    (holiday, leave)
}

fn fill(m: NaiveDate, dry_run: bool) -> Value {
    json!({"start_date": m.to_string(), "end_date": (m + Duration::days(4)).to_string(), "project_id": 412,
           "description": "Planned work", "hours_per_day": 6, "dry_run": dry_run})
}

#[tokio::test]
async fn a_preview_saves_nothing_and_its_plan_saves_exactly_what_it_showed() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let m = erp_e2e::working_monday(2);
    let (holiday, leave) = week_with_days_off(&h, m);
    let before = tasks(&h, m);
    h.sim.clear_requests();
    let preview = mcp.ok("fill_logs_for_days", fill(m, true)).await;
    assert_eq!(writes(&h), Vec::<String>::new(), "a preview wrote");
    assert_eq!(tasks(&h, m), before);
    assert_eq!(preview["dry_run"], true);
    assert_eq!((preview["created"].as_u64(), preview["skipped"].as_u64()), (Some(3), Some(2)), "{preview}");
    assert_eq!(day(&preview, m)["outcome"], "would_create");
    assert_eq!(
        (day(&preview, holiday)["reason"].as_str(), day(&preview, holiday)["note"].as_str()),
        (Some("holiday"), Some("Founders' Day"))
    );
    assert_eq!(day(&preview, leave)["reason"], "leave");
    assert!(preview.get("change_id").is_none(), "{preview}");
    let plan_id = preview["plan_id"].as_str().unwrap().to_string();
    let said = erp_e2e::text(&mcp.call("fill_logs_for_days", fill(m, true)).await);
    assert!(said.contains("apply_plan"), "the text tells the host how to apply it: {said}");

    let applied = mcp.ok("apply_plan", json!({"plan_id": plan_id})).await;
    assert_eq!((applied["dry_run"].as_bool(), applied["created"].as_u64()), (Some(false), Some(3)), "{applied}");
    assert!(applied["change_id"].as_str().unwrap().starts_with("chg_"));
    let want: Vec<_> = [0, 2, 4].iter().map(|i| ((m + Duration::days(*i)).to_string(), 6, 0)).collect();
    assert_eq!(logged(&h, m, "Planned work"), want, "nothing on the holiday or the leave day");

    // A plan is applied once.
    let again = mcp.err("apply_plan", json!({"plan_id": plan_id})).await;
    assert!(again.contains("no such plan"), "{again}");
    assert_eq!(logged(&h, m, "Planned work"), want);
    // And a plain fill says why it left the days out.
    let plain = mcp.ok("fill_logs_for_days", fill(m, false)).await;
    assert_eq!(day(&plain, holiday)["reason"], "holiday");
    assert_eq!(day(&plain, m)["reason"], "already_logged");
}

#[tokio::test]
async fn a_plan_is_refused_once_its_week_changed_in_the_erp() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let m = erp_e2e::working_monday(3);
    let preview = mcp.ok("fill_logs_for_days", fill(m, true)).await;
    let plan_id = preview["plan_id"].as_str().unwrap().to_string();
    // Someone logs on the Wednesday in the ERP's own pages.
    h.sim
        .edit_week(JANE, m, |w| {
            w["projects"][0]["tasks"] = json!([{"description": "Hotfix", "days": [
                {"date": (m + Duration::days(2)).to_string(), "hours": 2, "minutes": 0}]}]);
        })
        .unwrap();
    let edited = tasks(&h, m);
    h.sim.clear_requests();
    let msg = mcp.err("apply_plan", json!({"plan_id": plan_id})).await;
    assert!(msg.contains(&format!("week of {m}")), "{msg}");
    assert!(msg.contains("Hotfix"), "the refusal says what changed: {msg}");
    assert_eq!(writes(&h), Vec::<String>::new());
    assert_eq!(tasks(&h, m), edited);
}

#[tokio::test]
async fn undo_puts_back_the_exact_tasks_after_an_upsert_a_delete_and_a_month_fill() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let m = erp_e2e::working_monday(-3);
    let entry = |hours: f64| json!({"date": m.to_string(), "description": "Review", "hours": hours, "project_id": 412});
    mcp.ok("create_or_update_log", entry(2.0)).await;
    let start = tasks(&h, m);

    // An upsert that replaced 2 h by 5 h.
    let up = mcp.ok("create_or_update_log", entry(5.0)).await;
    assert_eq!(logged(&h, m, "Review"), [(m.to_string(), 5, 0)]);
    let undone = mcp.ok("undo_change", json!({"change_id": up["change_id"]})).await;
    assert_eq!(undone["undone_change_id"], up["change_id"]);
    assert_eq!(tasks(&h, m), start);

    // A delete.
    mcp.ok("delete_log", json!({"date": m.to_string(), "description": "Review", "project_id": 412})).await;
    assert_eq!(logged(&h, m, "Review"), []);
    let last = mcp.ok("undo_last_change", json!({})).await;
    assert!(last["message"].as_str().unwrap().contains("delete_log"), "{last}");
    assert_eq!(tasks(&h, m), start);
    // The undo is a change too: undoing it deletes again; and a change is undone once.
    mcp.ok("undo_change", json!({"change_id": last["change_id"]})).await;
    assert_eq!(logged(&h, m, "Review"), []);
    let twice = mcp.err("undo_change", json!({"change_id": last["undone_change_id"]})).await;
    assert!(twice.contains("already undone"), "{twice}");

    // A month fill over five or six weeks.
    let first = (monday(-20) + Duration::days(10)).with_day(1).unwrap();
    let last_day = first + chrono::Months::new(1) - Duration::days(1);
    let mondays: Vec<NaiveDate> =
        (0..6).map(|i| monday_of(first) + Duration::weeks(i)).filter(|d| *d <= last_day).collect();
    let earlier: Vec<Value> = mondays.iter().map(|d| tasks(&h, *d)).collect();
    let filled = mcp
        .ok(
            "fill_logs_for_days",
            json!({"start_date": first.to_string(), "end_date": last_day.to_string(), "project_id": 412,
                   "description": "Month work", "hours_per_day": 8}),
        )
        .await;
    assert!(filled["created"].as_u64().unwrap() >= 19, "{filled}");
    assert_ne!(mondays.iter().map(|d| tasks(&h, *d)).collect::<Vec<_>>(), earlier);
    let changes = mcp.ok("list_changes", json!({"limit": 5})).await;
    let newest = &changes["changes"][0];
    assert_eq!(
        (newest["change_id"].clone(), newest["tool"].as_str()),
        (filled["change_id"].clone(), Some("fill_logs_for_days"))
    );
    assert_eq!(newest["weeks"].as_array().unwrap().len(), mondays.len(), "{newest}");
    h.sim.clear_requests();
    let undone = mcp.ok("undo_last_change", json!({})).await;
    assert_eq!(undone["undone_change_id"], filled["change_id"]);
    assert!(undone["weeks"].as_array().unwrap().iter().all(|w| w["restored"] == true), "{undone}");
    assert_eq!(mondays.iter().map(|d| tasks(&h, *d)).collect::<Vec<_>>(), earlier);
    // One read and one save per week.
    let saves = h.sim.requests().iter().filter(|r| r.method == "PATCH").count();
    assert_eq!(saves, mondays.len());
    assert!(h.sim.request_count() <= 2 * mondays.len(), "{:?}", h.sim.requests());
    let listed = mcp.ok("list_changes", json!({})).await;
    assert_eq!(listed["changes"][1]["undone_by"], undone["change_id"], "{listed}");
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

#[tokio::test]
async fn undo_is_refused_when_someone_changed_the_week_since() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let m = erp_e2e::working_monday(-5);
    mcp.ok(
        "create_or_update_log",
        json!({"date": m.to_string(), "description": "Design", "hours": 3, "project_id": 412}),
    )
    .await;
    h.sim
        .edit_week(JANE, m, |w| {
            let task = &mut w["projects"][0]["tasks"][0];
            task["days"][0]["hours"] = json!(4);
        })
        .unwrap();
    let edited = tasks(&h, m);
    h.sim.clear_requests();
    let msg = mcp.err("undo_last_change", json!({})).await;
    assert!(msg.starts_with("Nothing was undone"), "{msg}");
    assert!(msg.contains(&format!("the week of {m}")) && msg.contains("Design"), "it says what changed: {msg}");
    assert_eq!(writes(&h), Vec::<String>::new());
    assert_eq!(tasks(&h, m), edited);
}

#[tokio::test]
async fn copy_week_leaves_out_the_target_weeks_days_off() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let (from, to) = (erp_e2e::working_monday(-8), erp_e2e::working_monday(4));
    for i in 0..5 {
        let d = (from + Duration::days(i)).to_string();
        mcp.ok("create_or_update_log", json!({"date": d, "description": "Standup", "hours": 0.5, "project_id": 412}))
            .await;
        mcp.ok("create_or_update_log", json!({"date": d, "description": "Hiring", "hours": 2, "project_id": 518}))
            .await;
    }
    let (holiday, leave) = week_with_days_off(&h, to);
    let args = |dry_run: bool| {
        json!({"from_week_starting": from.to_string(), "to_week_starting": to.to_string(),
                                      "project_id": 412, "dry_run": dry_run})
    };
    h.sim.clear_requests();
    let preview = mcp.ok("copy_week", args(true)).await;
    assert_eq!(writes(&h), Vec::<String>::new());
    assert_eq!((preview["created"].as_u64(), preview["skipped"].as_u64()), (Some(3), Some(2)), "{preview}");
    assert_eq!(day(&preview, holiday)["reason"], "holiday");
    let applied = mcp.ok("apply_plan", json!({"plan_id": preview["plan_id"]})).await;
    assert_eq!(applied["created"], 3, "{applied}");
    let want: Vec<_> = [0, 2, 4].iter().map(|i| ((to + Duration::days(*i)).to_string(), 0, 30)).collect();
    assert_eq!(logged(&h, to, "Standup"), want);
    assert_eq!(logged(&h, to, "Hiring"), [], "only the project asked for");
    assert!(day(&applied, leave)["reason"] == "leave");

    // Without a project, every project's entries; the same copy again changes nothing.
    let all =
        mcp.ok("copy_week", json!({"from_week_starting": from.to_string(), "to_week_starting": to.to_string()})).await;
    assert_eq!(all["created"], 3, "{all}");
    assert_eq!(logged(&h, to, "Hiring").len(), 3);
    h.sim.clear_requests();
    let again =
        mcp.ok("copy_week", json!({"from_week_starting": from.to_string(), "to_week_starting": to.to_string()})).await;
    assert_eq!((again["created"].as_u64(), again["updated"].as_u64()), (Some(0), Some(0)), "{again}");
    assert_eq!(writes(&h), Vec::<String>::new());
}

#[tokio::test]
async fn a_fill_refuses_when_the_days_off_cannot_be_read() {
    let h = Harness::signed_in(JANE).await;
    let mcp: Mcp = h.mcp().await;
    let m = erp_e2e::working_monday(6);
    h.sim.inject_fault("holiday", 3, erp_sim::Fault::Status(500, json!({"detail": "down"})));
    h.sim.clear_requests();
    let msg = mcp.err("fill_logs_for_days", fill(m, false)).await;
    assert!(msg.contains("holidays"), "{msg}");
    assert!(msg.contains("include_days_off"), "it names the way round: {msg}");
    assert_eq!(writes(&h), Vec::<String>::new());
    // Asked to, it fills the days off too.
    let mut args = fill(m, false);
    args["include_days_off"] = json!(true);
    assert_eq!(mcp.ok("fill_logs_for_days", args).await["created"], 5);
}
