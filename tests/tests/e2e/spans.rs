//! `find_missing_logs` and `summarize_logs` through a real MCP client, over a
//! past month set up in erp-sim with a holiday, leave of every kind, and days
//! logged fully, partly and not at all.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use erp_e2e::{Harness, Mcp};
use erp_sim::{LeaveStatus, SimConfig};
use serde_json::{Value, json};

const JANE: &str = "jane@example.com";
const BACKEND: &str = "Workstream / Backend";

/// A past month (about two months ago) and its Monday-to-Friday days.
fn past_month() -> (NaiveDate, NaiveDate, Vec<NaiveDate>) {
    let t = chrono::Utc::now().date_naive() - Duration::days(62);
    let first = NaiveDate::from_ymd_opt(t.year(), t.month(), 1).unwrap();
    let last = (first + Duration::days(32)).with_day(1).unwrap() - Duration::days(1);
    let days = (0..=(last - first).num_days())
        .map(|i| first + Duration::days(i))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    (first, last, days)
}

/// The month as the test sets it up, and what find_missing_logs must say of it.
struct Month {
    first: NaiveDate,
    last: NaiveDate,
    holiday: NaiveDate,
    leave: NaiveDate,
    half_leave: NaiveDate,
    pending: NaiveDate,
    rejected: NaiveDate,
    half_logged: NaiveDate,
}

/// A fill of the month at 8 h a day (which leaves out the holiday and the leave
/// day, and logs 4 h on the half-day leave), then: nothing on the pending- and
/// rejected-leave days, and 4 h on one more day.
async fn set_up(h: &Harness, mcp: &Mcp) -> Month {
    let (first, last, wd) = past_month();
    let m = Month {
        first,
        last,
        holiday: wd[1],
        leave: wd[4],
        half_leave: wd[7],
        pending: wd[9],
        rejected: wd[11],
        half_logged: wd[13],
    };
    h.sim.add_holiday(m.holiday, "Founders' Day");
    h.sim.add_leave(JANE, 1, (m.leave, m.leave), None, LeaveStatus::Approved).unwrap();
    h.sim.add_leave(JANE, 3, (m.half_leave, m.half_leave), Some("first_half"), LeaveStatus::Approved).unwrap();
    h.sim.add_leave(JANE, 1, (m.pending, m.pending), None, LeaveStatus::Pending).unwrap();
    h.sim.add_leave(JANE, 1, (m.rejected, m.rejected), None, LeaveStatus::Rejected).unwrap();
    let fill = json!({"start_date": first.to_string(), "end_date": last.to_string(), "project_id": 412,
                      "description": "Platform work", "skip_weekends": true, "label_name": "Coding"});
    let filled = mcp.ok("fill_logs_for_days", fill).await;
    assert_eq!(filled["failed"], 0, "{filled}");
    let day = |d: NaiveDate| filled["days"].as_array().unwrap().iter().find(|o| o["date"] == d.to_string()).unwrap();
    assert_eq!(
        (day(m.holiday)["outcome"].as_str(), day(m.holiday)["reason"].as_str()),
        (Some("skipped"), Some("holiday"))
    );
    assert_eq!((day(m.leave)["outcome"].as_str(), day(m.leave)["reason"].as_str()), (Some("skipped"), Some("leave")));
    assert_eq!(hm(&day(m.half_leave)["time"]), (4, 0), "{filled}");
    for d in [m.pending, m.rejected] {
        assert_eq!(day(d)["outcome"], "created", "pending or rejected leave is not a day off");
        mcp.ok("delete_log", json!({"date": d.to_string(), "description": "Platform work", "project_id": 412})).await;
    }
    let four = json!({"date": m.half_logged.to_string(), "description": "Platform work", "hours": 4, "project_id": 412,
                      "label_name": "Coding"});
    mcp.ok("create_or_update_log", four).await;
    m
}

fn hm(v: &Value) -> (u64, u64) {
    (v["hours"].as_u64().unwrap(), v["minutes"].as_u64().unwrap())
}

#[tokio::test]
async fn find_missing_logs_reports_exactly_the_short_days() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let m = set_up(&h, &mcp).await;
    let span = json!({"start_date": m.first.to_string(), "end_date": m.last.to_string()});
    h.sim.clear_requests();
    let gaps = mcp.ok("find_missing_logs", span.clone()).await;
    h.sim.requests().iter().for_each(|r| assert_eq!(r.method, "GET", "find_missing_logs wrote: {r:?}"));

    // Short: the half-logged day (4 h missing), the pending and the rejected leave
    // days (nothing logged; such leave is not a day off). Not: the holiday, the
    // leave day, the half-day leave with its 4 h, the complete days.
    let short: Vec<(String, (u64, u64), Option<&str>)> = gaps["short_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["date"].as_str().unwrap().to_string(), hm(&d["missing"]), d["note"].as_str()))
        .collect();
    let mut want = vec![
        (m.pending.to_string(), (8, 0), None),
        (m.rejected.to_string(), (8, 0), None),
        (m.half_logged.to_string(), (4, 0), None),
    ];
    want.sort();
    assert_eq!(short, want, "{gaps:#}");
    let off: Vec<(&str, &str)> = gaps["days_off"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["date"].as_str().unwrap(), d["reason"].as_str().unwrap()))
        .collect();
    let (holiday, leave, half) = (m.holiday.to_string(), m.leave.to_string(), m.half_leave.to_string());
    assert_eq!(
        off,
        [(holiday.as_str(), "holiday: Founders' Day"), (leave.as_str(), "leave"), (half.as_str(), "half-day leave")]
    );
    let weekdays = past_month().2.len() as u64;
    let t = &gaps["totals"];
    assert_eq!(t["working_days"], weekdays - 2, "{t}");
    assert_eq!(t["short_days"], 3);
    assert_eq!(hm(&t["missing"]), (20, 0));
    assert_eq!(hm(&t["expected"]), ((weekdays - 3) * 8 + 4, 0));
    assert_eq!(gaps["warnings"], json!([]));
    assert!(gaps["message"].as_str().unwrap().contains("3 working days"), "{gaps}");

    // A range that starts after today counts nothing, and says so.
    let ahead = chrono::Utc::now().date_naive() + Duration::days(10);
    let future =
        mcp.ok("find_missing_logs", json!({"start_date": ahead.to_string(), "end_date": ahead.to_string()})).await;
    assert_eq!(future["totals"]["working_days"], 0);
    assert!(future["message"].as_str().unwrap().starts_with("Nothing was counted"), "{future}");

    // The same where the ERP's month list holds leave of every status (one item per day).
    h.sim.configure(|c| (c.month_leaves_every_status, c.leaves_per_day) = (true, true));
    let again = mcp.ok("find_missing_logs", span.clone()).await;
    assert_eq!((&again["short_days"], &again["days_off"]), (&gaps["short_days"], &gaps["days_off"]));
    h.sim.configure(|c| (c.month_leaves_every_status, c.leaves_per_day) = (false, false));
    h.sim.clear_requests();
    mcp.ok("find_missing_logs", span).await;

    // A month in the requests it needs: the week list, each week once, the leave and holidays of each month.
    let weeks = h.sim.requests().iter().filter(|r| r.path.contains("person/get/")).count();
    assert_eq!(weeks, (m.last - erp_core::dates::monday_of(m.first)).num_days() as usize / 7 + 1);
}

#[tokio::test]
async fn the_working_week_and_hours_come_from_the_settings() {
    // Four-hour days, Monday to Thursday: the half-logged day is complete, Fridays are not expected.
    let env = [("ERP_HELPER_HOURS_PER_DAY", "4"), ("ERP_HELPER_WORKING_DAYS", "mon-thu")];
    let h = Harness::with(SimConfig::default(), &env).await;
    h.sign_in(JANE).await;
    let mcp = h.mcp().await;
    let m = set_up(&h, &mcp).await;
    let gaps =
        mcp.ok("find_missing_logs", json!({"start_date": m.first.to_string(), "end_date": m.last.to_string()})).await;
    assert_eq!(gaps["hours_per_day"], 4.0);
    assert_eq!(gaps["working_days"], json!(["mon", "tue", "wed", "thu"]));
    let short: Vec<&str> = gaps["short_days"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    let mut want: Vec<String> =
        [m.pending, m.rejected].into_iter().filter(|d| d.weekday() != Weekday::Fri).map(|d| d.to_string()).collect();
    want.sort();
    assert_eq!(short, want, "{gaps:#}");
}

#[tokio::test]
async fn summarize_logs_totals_by_project_label_day_and_week() {
    let h = Harness::signed_in(JANE).await;
    let mcp = h.mcp().await;
    let m = set_up(&h, &mcp).await;
    let weekdays = past_month().2.len() as i64;
    // 8 h on each weekday but 4 without time and 2 with 4 h.
    let total = (weekdays - 6) * 480 + 2 * 240;
    let span = |by: &str| json!({"start_date": m.first.to_string(), "end_date": m.last.to_string(), "group_by": by});

    let r = mcp.call("summarize_logs", span("project")).await;
    let out = r.structured_content.clone().unwrap();
    assert_eq!(out["total_minutes"], total);
    assert_eq!(
        out["rows"],
        json!([{"key": BACKEND, "hours": total as f64 / 60.0, "minutes": total, "entries": weekdays - 4}])
    );
    // The text is a markdown table of the same numbers.
    let text = erp_e2e::text(&r);
    assert!(text.contains("| Project | Hours | Entries |"), "{text}");
    assert!(text.contains(&format!("| {BACKEND} | {:.2} | {} |", total as f64 / 60.0, weekdays - 4)), "{text}");

    let labels = mcp.ok("summarize_logs", span("label")).await;
    assert_eq!(labels["rows"][0]["key"], "Coding", "{labels}");
    assert_eq!(labels["rows"][0]["minutes"], total);

    let days = mcp.ok("summarize_logs", span("day")).await;
    let rows = days["rows"].as_array().unwrap();
    assert_eq!(rows.len() as i64, weekdays - 4);
    let half = rows.iter().find(|r| r["key"] == m.half_logged.to_string()).unwrap();
    assert_eq!(half["minutes"], 240);
    assert!(rows.iter().all(|r| r["key"] != m.holiday.to_string()));

    let weeks = mcp.ok("summarize_logs", span("week")).await;
    let sum: i64 = weeks["rows"].as_array().unwrap().iter().map(|r| r["minutes"].as_i64().unwrap()).sum();
    assert_eq!(sum, total);
    assert!(weeks["rows"].as_array().unwrap().iter().all(|r| {
        let d: NaiveDate = r["key"].as_str().unwrap().parse().unwrap();
        d.weekday() == Weekday::Mon
    }));
    let bad = mcp
        .err("summarize_logs", json!({"start_date": "2026-01-01", "end_date": "2026-01-31", "group_by": "task"}))
        .await;
    assert!(bad.contains("unknown variant `task`"), "{bad}");
}
