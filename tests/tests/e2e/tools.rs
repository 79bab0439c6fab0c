//! Every tool through the real interfaces: rmcp client → erp-mcp binary →
//! socket → app core → erp-sim, with state checked in the simulator.

use chrono::{Datelike, Duration};
use erp_e2e::{Harness, entries, monday};
use erp_proto::tools::catalogue;
use erp_sim::{ListShape, SimConfig};
use serde_json::{Value, json};

const JANE: &str = "jane@example.com";
const BACKEND: &str = "Workstream / Backend";

#[tokio::test]
async fn lists_every_tool_with_schemas_and_annotations() {
    let h = Harness::start().await;
    let mcp = h.mcp().await;
    let tools = mcp.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    let expected: Vec<&str> = catalogue().iter().map(|t| t.name).collect();
    assert_eq!(names, expected);
    for t in &tools {
        let spec = catalogue().into_iter().find(|s| s.name == t.name).unwrap();
        let a = t.annotations.as_ref().unwrap();
        assert_eq!(a.read_only_hint, Some(spec.hints.read_only), "{}", t.name);
        assert_eq!(a.destructive_hint, Some(spec.hints.destructive), "{}", t.name);
        assert!(t.output_schema.is_some(), "{}", t.name);
        assert_eq!(t.input_schema.get("type"), Some(&json!("object")));
    }
    // Listing needed no app call and no ERP call.
    assert_eq!(h.sim.request_count(), 0);
}

#[tokio::test]
async fn every_served_schema_compiles_under_ajv_in_strict_mode() {
    // What erp-mcp serves (not the catalogue in memory), as an Ajv-based host
    // compiles it: strict, JSON Schema 2020-12, no unknown formats or keywords.
    let h = Harness::start().await;
    let mcp = h.mcp().await;
    let tools = mcp.client.list_all_tools().await.unwrap();
    let file = h.dir().join("tools.json");
    std::fs::write(&file, serde_json::to_vec(&tools).unwrap()).unwrap();
    let support = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("support");
    assert!(support.join("node_modules/ajv").exists(), "run `npm ci --prefix tests/support` (scripts/setup.sh does)");
    let out = std::process::Command::new("node")
        .arg(support.join("ajv-strict.mjs"))
        .arg(&file)
        .current_dir(&support)
        .output()
        .expect("node");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains(&format!("compiled {} schemas, 0 problems", tools.len() * 2)), "{said}");
}

#[tokio::test]
async fn whoami_and_sign_in_report_the_session() {
    let h = Harness::start().await;
    let mcp = h.mcp().await;
    let who = mcp.ok("whoami", json!({})).await;
    assert_eq!(who["state"], "signed_out");
    assert_eq!(who["sign_in_url"], "erp-helper://signin");
    let s = mcp.ok("sign_in", json!({})).await;
    assert_eq!(s["status"], "manual", "{s}");
    assert!(s["message"].as_str().unwrap().contains("--token-stdin"), "{s}");
    h.sign_in(JANE).await;
    let who = mcp.ok("whoami", json!({})).await;
    assert_eq!(
        (who["state"].clone(), who["email"].clone(), who["authorized"].clone()),
        (json!("signed_in"), json!(JANE), json!(true))
    );
    assert_eq!(mcp.ok("sign_in", json!({"method": "erp_page"})).await["status"], "already_signed_in");
}

#[tokio::test]
async fn projects_and_labels() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let p = mcp.ok("get_active_projects", json!({})).await;
    let names: Vec<&str> = p["projects"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, [BACKEND, "Workstream / Frontend", "Hirestream", "Internal / Meetings"]);
    let l = mcp.ok("get_log_labels", json!({})).await;
    assert!(l["labels"].as_array().unwrap().iter().any(|l| l["id"] == 66 && l["name"] == "General"));
}

#[tokio::test]
async fn create_update_read_and_delete_one_entry() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let week = monday(-3);
    let day = week + Duration::days(2);
    let d = day.to_string();

    let r = mcp
        .ok("create_or_update_log", json!({"date": d, "description": "Code review", "hours": 2.5, "project_name": "backend", "label_name": "code review"}))
        .await;
    assert_eq!(
        (r["action"].clone(), r["project_id"].clone(), r["label_id"].clone()),
        (json!("created"), json!(412), json!(35))
    );
    assert_eq!(
        entries(&h.sim.week_detail(JANE, week).unwrap(), BACKEND),
        [(d.clone(), 2, 30, "Code review".to_string())]
    );

    // Same project, description and day: replaced, not doubled.
    let r = mcp
        .ok("create_or_update_log", json!({"date": d, "description": "code review ", "hours": 1.25, "project_id": 412}))
        .await;
    assert_eq!(r["action"], "updated");
    assert_eq!(
        entries(&h.sim.week_detail(JANE, week).unwrap(), BACKEND),
        [(d.clone(), 1, 15, "Code review".to_string())]
    );

    let day_view = mcp.ok("get_day_logs", json!({"date": d})).await;
    assert_eq!(day_view["total"], json!({"hours": 1, "minutes": 15, "decimal_hours": 1.25}));
    assert_eq!(day_view["projects"][0]["tasks"][0]["description"], "Code review");
    let week_view = mcp.ok("get_week_logs", json!({"week_starting": week.to_string()})).await;
    assert_eq!(week_view["week_starting"], week.to_string());
    assert_eq!(week_view["projects"].as_array().unwrap().len(), 4);
    assert!(week_view["web_url"].as_str().unwrap().contains("/project-logs/update/"));

    let del = mcp
        .ok("delete_log", json!({"date": d, "description": "CODE REVIEW", "project_name": "Workstream / Backend"}))
        .await;
    assert_eq!((del["task_removed"].clone(), del["removed"]["minutes"].clone()), (json!(true), json!(15)));
    assert!(entries(&h.sim.week_detail(JANE, week).unwrap(), BACKEND).is_empty());

    // Deleting what is not there is an error, not a silent success (erp-api.md §7-6).
    let e = mcp.err("delete_log", json!({"date": d, "description": "Code review", "project_id": 412})).await;
    assert!(e.contains("description: no task \"Code review\""), "{e}");
}

#[tokio::test]
async fn fill_a_whole_month_skipping_weekends_one_read_and_one_save_per_week() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let first = monday(8).with_day(1).unwrap() + chrono::Months::new(1);
    let last = first + chrono::Months::new(1) - Duration::days(1);
    h.sim.clear_requests();
    let r = mcp
        .ok(
            "fill_logs_for_days",
            json!({"start_date": first.to_string(), "end_date": last.to_string(), "project_name": "Hirestream",
                   "description": "Interviews", "hours_per_day": 7.5, "skip_weekends": true}),
        )
        .await;
    let days = (last - first).num_days() + 1;
    let weekends =
        (0..days).filter(|i| (first + Duration::days(*i)).weekday().number_from_monday() >= 6).count() as i64;
    assert_eq!(r["status"], "success", "{r}");
    // erp-sim's fixed holidays (1 January, 1 May, 25 December) fall in some months.
    let holidays: Vec<String> = r["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["reason"] == "holiday")
        .map(|d| d["date"].as_str().unwrap().to_string())
        .collect();
    assert!(holidays.iter().all(|d| ["-01-01", "-05-01", "-12-25"].iter().any(|s| d.ends_with(s))), "{r}");
    let weekends = weekends + holidays.len() as i64;
    assert_eq!(r["created"], json!(days - weekends));
    assert_eq!(r["skipped"], json!(weekends));
    assert_eq!(r["days"].as_array().unwrap().len() as i64, days);

    // Check the simulator: every weekday has 7:30, no weekend day has anything.
    let mut d = first;
    let mut weeks = std::collections::BTreeSet::new();
    while d <= last {
        let m = d - Duration::days(d.weekday().num_days_from_monday() as i64);
        weeks.insert(m);
        let got = entries(&h.sim.week_detail(JANE, m).unwrap(), "Hirestream");
        let on_day: Vec<_> = got.iter().filter(|e| e.0 == d.to_string()).collect();
        if d.weekday().number_from_monday() >= 6 || holidays.contains(&d.to_string()) {
            assert!(on_day.is_empty(), "{d}");
        } else {
            assert_eq!(on_day, [&(d.to_string(), 7, 30, "Interviews".to_string())], "{d}");
        }
        d += Duration::days(1);
    }
    // The older server made 2-4 calls per day; we make 1 project lookup, 1 list per
    // year, the month's leave and holidays (2 reads), and one read plus one save per week.
    let reqs = h.sim.requests();
    let saves = reqs.iter().filter(|r| r.method == "PATCH").count();
    let reads = reqs.iter().filter(|r| r.path.contains("/person/get/")).count();
    assert_eq!(saves, weeks.len());
    assert_eq!(reads, weeks.len());
    assert!(reqs.len() <= 4 + 2 * weeks.len(), "{} requests for {} weeks: {reqs:?}", reqs.len(), weeks.len());

    // Filling again doubles nothing and saves nothing: every day is already logged.
    h.sim.clear_requests();
    let again = mcp
        .ok(
            "fill_logs_for_days",
            json!({"start_date": first.to_string(), "end_date": last.to_string(), "project_id": 518,
                                          "description": "interviews", "hours_per_day": 7.5, "skip_weekends": true}),
        )
        .await;
    assert_eq!((again["created"].as_i64(), again["updated"].as_i64()), (Some(0), Some(0)), "{again}");
    assert_eq!(again["skipped"], json!(days));
    let logged = again["days"].as_array().unwrap().iter().filter(|d| d["reason"] == "already_logged").count() as i64;
    assert_eq!(logged, days - weekends);
    assert!(h.sim.requests().iter().all(|r| r.method == "GET"), "{:?}", h.sim.requests());

    // A different number of hours replaces the entry instead of adding a second one.
    let changed = mcp
        .ok(
            "fill_logs_for_days",
            json!({"start_date": first.to_string(), "end_date": last.to_string(), "project_id": 518,
                   "description": "interviews", "hours_per_day": 6, "skip_weekends": true}),
        )
        .await;
    assert_eq!(changed["updated"], json!(days - weekends), "{changed}");
    let monday = first - Duration::days(first.weekday().num_days_from_monday() as i64) + Duration::days(7);
    let got = entries(&h.sim.week_detail(JANE, monday).unwrap(), "Hirestream");
    let off = (0..5).filter(|i| holidays.contains(&(monday + Duration::days(*i)).to_string())).count();
    assert_eq!(got.len(), 5 - off, "{got:?}");
    assert!(got.iter().all(|e| (e.1, e.2) == (6, 0)), "{got:?}");
}

#[tokio::test]
async fn fill_reports_per_day_failures_without_undoing_the_rest() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let w1 = monday(-6);
    let w2 = w1 + Duration::weeks(1);
    assert!(h.sim.remove_week_project(JANE, w2, 413));
    let r = mcp
        .ok(
            "fill_logs_for_days",
            json!({"start_date": w1.to_string(), "end_date": (w2 + Duration::days(4)).to_string(),
                                         "project_name": "Frontend", "description": "UI", "skip_weekends": true}),
        )
        .await;
    assert_eq!(
        (r["status"].clone(), r["created"].clone(), r["failed"].clone()),
        (json!("partial_error"), json!(5), json!(5))
    );
    let failed = r["days"].as_array().unwrap().iter().find(|d| d["outcome"] == "failed").unwrap();
    assert!(failed["error"].as_str().unwrap().contains("not part of your week log"), "{failed}");
    assert_eq!(entries(&h.sim.week_detail(JANE, w1).unwrap(), "Workstream / Frontend").len(), 5);
}

#[tokio::test]
async fn complete_and_reopen_a_week() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let week = monday(-2).to_string();
    let r = mcp.ok("complete_week_log", json!({"week_starting": week})).await;
    assert_eq!(r["completed"], true);
    assert_eq!(h.sim.week_detail(JANE, monday(-2)).unwrap()["is_completed"], true);
    let r = mcp.ok("complete_week_log", json!({"week_starting": week, "save_draft": true})).await;
    assert_eq!(r["completed"], false);
    assert_eq!(h.sim.week_detail(JANE, monday(-2)).unwrap()["is_completed"], false);
}

#[tokio::test]
async fn check_week_project_compares_the_project_not_the_ids() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let week = monday(-4);
    let day = (week + Duration::days(3)).to_string();
    let yes = mcp.ok("check_person_week_project_exists", json!({"date": day, "project_id": 601})).await;
    assert_eq!(yes["exists"], true, "{yes}");
    assert!(yes["week_project_id"].as_i64().unwrap() > 900_000);
    assert!(h.sim.remove_week_project(JANE, week, 601));
    let no = mcp.ok("check_person_week_project_exists", json!({"date": day, "project_name": "meetings"})).await;
    assert_eq!(no["exists"], false);
    assert!(no["message"].as_str().unwrap().contains("not part of your week log"));
    assert!(h.sim.remove_week(JANE, week));
    let none = mcp.ok("check_person_week_project_exists", json!({"date": day, "project_id": 601})).await;
    assert_eq!((none["exists"].clone(), none["week_log_id"].clone()), (json!(false), Value::Null));
}

#[tokio::test]
async fn month_and_range_reads_list_each_week_once() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let last_week = monday(-1);
    let m = mcp.ok("get_month_logs", json!({"year": last_week.year(), "month": last_week.month()})).await;
    let weeks = m["weeks"].as_array().unwrap();
    let seeded = weeks.iter().find(|w| w["week_starting"] == last_week.to_string()).expect("last week listed");
    assert_eq!(seeded["is_completed"], true);
    assert_eq!(seeded["total"]["hours"], 40);

    // A range across a month boundary: the straddling week appears once.
    let start = (last_week - Duration::weeks(5)).to_string();
    let end = (last_week + Duration::days(6)).to_string();
    let r = mcp.ok("get_logs_for_date_range", json!({"start_date": start, "end_date": end})).await;
    let mondays: Vec<&str> =
        r["weeks"].as_array().unwrap().iter().map(|w| w["week_starting"].as_str().unwrap()).collect();
    assert_eq!(mondays.len(), 6, "{mondays:?}");
    let mut sorted = mondays.clone();
    sorted.dedup();
    assert_eq!(sorted, mondays);
}

#[tokio::test]
async fn a_week_reads_the_same_whatever_shape_the_list_comes_in() {
    let mut seen = Vec::new();
    for (shape, strings) in [(ListShape::Envelope, false), (ListShape::Flat, false), (ListShape::EnvelopeString, true)]
    {
        let h =
            Harness::with(SimConfig { list_shape: shape, numbers_as_strings: strings, ..SimConfig::default() }, &[])
                .await;
        h.sign_in(JANE).await;
        let mcp = h.mcp().await;
        let mut w = mcp.ok("get_week_logs", json!({"week_starting": monday(-1).to_string()})).await;
        // Ids differ between simulators; everything else must match.
        w.as_object_mut().unwrap().remove("web_url");
        w.as_object_mut().unwrap().remove("week_log_id");
        for p in w["projects"].as_array_mut().unwrap() {
            p.as_object_mut().unwrap().remove("week_project_id");
            for t in p["tasks"].as_array_mut().unwrap() {
                t.as_object_mut().unwrap().remove("task_id");
            }
        }
        assert_eq!(w["total"]["hours"], 40, "{shape:?}");
        seen.push(w);
        // And writing works through that shape too.
        let d = (monday(-1) + Duration::days(5)).to_string();
        mcp.ok("create_or_update_log", json!({"date": d, "description": "Weekend fix", "hours": 1, "project_id": 412}))
            .await;
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
}
