//! The leaves tools through the real interfaces (rmcp client → erp-mcp → app
//! core → erp-sim), against the simulator's seeded leave types, fiscal years,
//! holidays and leaves, with its state checked after each write.

use chrono::{Datelike, Duration, NaiveDate};
use erp_e2e::Harness;
use erp_sim::{Fault, LeaveStatus};
use serde_json::{Value, json};

const JANE: &str = "jane@example.com";

/// The first day of the month two months from now: no seeded data, not today.
fn month_ahead() -> NaiveDate {
    let t = chrono::Utc::now().date_naive() + Duration::days(62);
    NaiveDate::from_ymd_opt(t.year(), t.month(), 1).unwrap()
}

/// The first weekday on or after `d` that is `n` working days later.
fn weekday(d: NaiveDate, n: i64) -> NaiveDate {
    let mut d = d;
    while d.weekday().number_from_monday() > 5 {
        d += Duration::days(1);
    }
    let mut left = n;
    while left > 0 {
        d += Duration::days(1);
        if d.weekday().number_from_monday() <= 5 {
            left -= 1;
        }
    }
    d
}

fn requested(h: &Harness, part: &str) -> usize {
    h.sim.requests().iter().filter(|r| r.path.contains(part)).count()
}

#[tokio::test]
async fn the_read_tools_answer_from_the_erps_leave_data() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;

    let choices = mcp.ok("leaves_get_choices", json!({})).await;
    assert_eq!(
        choices["leave_types"],
        json!([{"id": 1, "name": "Annual"}, {"id": 2, "name": "Sick"}, {"id": 3, "name": "Casual"}])
    );
    assert_eq!(choices["erp"]["approver"]["name"], "Maria Manager", "{choices}");

    let years = mcp.ok("leaves_get_fiscal_years", json!({})).await;
    assert_eq!(years["selected_fiscal_year"], 12);
    let ids: Vec<i64> = years["fiscal_years"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [11, 12, 13]);

    // The selected fiscal year by default (two calls: the years, then the summary), or the one asked for.
    h.sim.clear_requests();
    let summary = mcp.ok("leaves_get_summary", json!({})).await;
    assert_eq!(summary["fiscal_year_id"], 12);
    assert_eq!(summary["summary"]["summary"][0]["total"], 20.0, "{summary}");
    assert_eq!(requested(&h, "individual_leave_fiscal_years"), 1);
    assert_eq!(requested(&h, "leave_summary/get/?selected_year=12"), 1);
    let other = mcp.ok("leaves_get_summary", json!({"fiscal_year_id": 11})).await;
    assert_eq!(other["summary"]["fiscal_year"], 11);
    h.sim.select_fiscal_year(None);
    let none = mcp.err("leaves_get_summary", json!({})).await;
    assert!(none.contains("No active fiscal year found"), "{none}");
    h.sim.select_fiscal_year(Some(12));

    // A month with a holiday, an approved leave and a pending one.
    let first = month_ahead();
    let (y, m) = (first.year(), first.month());
    let holiday = weekday(first, 2);
    let off = weekday(first, 5);
    let pending = weekday(first, 8);
    h.sim.add_holiday(holiday, "Founders' Day");
    let approved_id = h.sim.add_leave(JANE, 1, (off, off), None, LeaveStatus::Approved).unwrap();
    let pending_id = h.sim.add_leave(JANE, 3, (pending, pending), None, LeaveStatus::Pending).unwrap();
    h.sim.clear_requests();
    let month = mcp.ok("leaves_list_month", json!({"year": y, "month": m})).await;
    assert_eq!(month["holidays"], json!([{"name": "Founders' Day", "date": holiday.to_string()}]), "{month}");
    let leaves = month["leaves"].as_array().unwrap();
    assert_eq!(leaves.len(), 1, "only approved leave: {month}");
    assert_eq!(
        (leaves[0]["leave_id"].as_i64(), leaves[0]["start_date"].as_str(), leaves[0]["status"].as_str()),
        (Some(approved_id), Some(off.to_string().as_str()), Some("approved"))
    );
    assert_eq!(month["warnings"], json!([]));
    assert_eq!((requested(&h, "month_leaves"), requested(&h, "holiday_records")), (1, 1));

    // One failing half still returns the other, and says so; both failing is an error.
    h.sim.inject_fault("holiday_records", 1, Fault::Status(500, json!({"detail": "A server error occurred."})));
    let half = mcp.ok("leaves_list_month", json!({"year": y, "month": m})).await;
    assert_eq!(half["leaves"].as_array().unwrap().len(), 1);
    assert_eq!(half["holidays"], json!([]));
    let warning = half["warnings"][0].as_str().unwrap_or_default();
    assert!(warning.starts_with(&format!("The holidays of {y}-{m:02} could not be read")), "{half}");
    h.sim.inject_fault("month_leaves", 1, Fault::Status(500, json!({"detail": "down"})));
    h.sim.inject_fault("holiday_records", 1, Fault::Status(500, json!({"detail": "down"})));
    let both = mcp.err("leaves_list_month", json!({"year": y, "month": m})).await;
    assert!(both.contains("500"), "{both}");

    // The ERP's other shape, one item per leave day, reads the same.
    h.sim.configure(|c| c.leaves_per_day = true);
    let per_day = mcp.ok("leaves_list_month", json!({"year": y, "month": m})).await;
    assert_eq!(per_day["leaves"][0]["start_date"], off.to_string(), "{per_day}");
    h.sim.configure(|c| c.leaves_per_day = false);

    // My requests: every status.
    let mine = mcp.ok("leaves_list_mine", json!({"year": y, "month": m})).await;
    let states: Vec<(i64, &str)> = mine["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["leave_id"].as_i64().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(approved_id, "approved"), (pending_id, "pending")]);

    // The team: Sam is on leave today.
    let today = chrono::Utc::now().date_naive();
    h.sim.add_leave("sam@example.com", 2, (today, today), None, LeaveStatus::Approved).unwrap();
    let team = mcp.ok("leaves_list_team", json!({})).await;
    assert_eq!(team["on_leave"][0]["person"], "Sam Roe", "{team}");
    assert_eq!(mcp.ok("leaves_list_encashments", json!({})).await["encashments"], json!([]));
}

fn status_of(h: &Harness, id: i64) -> Option<LeaveStatus> {
    h.sim.leaves_of(JANE).into_iter().find(|l| l.0 == id).map(|l| l.3)
}

#[tokio::test]
async fn apply_cancel_and_encash_change_the_erp_and_are_audited() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let first = month_ahead();
    let (start, end) = (weekday(first, 3), weekday(first, 4));

    let applied = mcp
        .ok(
            "leaves_apply",
            json!({"leave_type": 1, "start_date": start.to_string(), "end_date": end.to_string(), "reason": "Family event"}),
        )
        .await;
    let id = applied["leave_id"].as_i64().expect("a leave id");
    assert_eq!(applied["status"], "Pending");
    assert!(applied["message"].as_str().unwrap().contains("pending until the approver decides"), "{applied}");
    assert_eq!(h.sim.leaves_of(JANE), [(id, start, end, LeaveStatus::Pending)]);

    // The ERP's own refusal comes back in its words: those days are taken.
    let again = mcp
        .err(
            "leaves_apply",
            json!({"leave_type": 1, "start_date": start.to_string(), "end_date": start.to_string(), "reason": "Again"}),
        )
        .await;
    assert!(again.contains("You already have a leave request on these days"), "{again}");

    // A half day, with its period sent.
    let half_day = weekday(first, 7);
    let half = mcp
        .ok(
            "leaves_apply",
            json!({"leave_type": 3, "start_date": half_day.to_string(), "end_date": half_day.to_string(),
                   "reason": "Dentist", "half_day": true, "half_day_period": "second_half"}),
        )
        .await;
    let half_id = half["leave_id"].as_i64().unwrap();
    let apply = h.sim.requests().into_iter().filter(|r| r.path.ends_with("leaves/request/apply/")).count();
    assert_eq!(apply, 3);

    // Cancel: the pending request is cancelled in the ERP; an approved one is refused by the ERP.
    let cancelled = mcp.ok("leaves_cancel", json!({"leave_id": id})).await;
    assert_eq!(cancelled["leave_id"], id);
    assert_eq!(status_of(&h, id), Some(LeaveStatus::Cancelled));
    assert_eq!(status_of(&h, half_id), Some(LeaveStatus::Pending));
    let approved = h.sim.add_leave(JANE, 1, (weekday(first, 12), weekday(first, 12)), None, LeaveStatus::Approved);
    let refused = mcp.err("leaves_cancel", json!({"leave_id": approved.unwrap()})).await;
    assert!(refused.contains("Only a pending leave can be cancelled"), "{refused}");
    let missing = mcp.err("leaves_cancel", json!({"leave_id": 999_999})).await;
    assert!(missing.contains("404"), "{missing}");

    // Encash two days of annual leave.
    let enc = mcp.ok("leaves_create_encashment", json!({"leave_type": 1, "days": 2})).await;
    assert_eq!(enc["days"], 2.0);
    let listed = mcp.ok("leaves_list_encashments", json!({})).await;
    assert_eq!(listed["encashments"], h.sim.encashments_of(JANE));
    assert_eq!(listed["encashments"][0]["days"], 2.0, "{listed}");

    // Every write is in the audit log with its outcome, as the time-log writes are.
    let audit: Vec<Value> =
        h.core.audit().recent(50).await.unwrap().into_iter().map(|e| serde_json::to_value(e).unwrap()).collect();
    let line =
        |tool: &str, outcome: &str| audit.iter().filter(|e| e["tool"] == tool && e["outcome"] == outcome).count();
    assert_eq!(line("leaves_apply", "done"), 2, "{audit:#?}");
    assert_eq!(line("leaves_apply", "failed"), 1, "{audit:#?}");
    assert_eq!(line("leaves_cancel", "done"), 1, "{audit:#?}");
    assert_eq!(line("leaves_create_encashment", "done"), 1, "{audit:#?}");
    assert!(audit.iter().all(|e| e["user"] == JANE));
}
