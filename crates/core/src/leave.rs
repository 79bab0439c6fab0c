//! What the ERP's leave and holiday lists mean, read tolerantly (§2.12's open
//! points): a leave comes as one item per day (`{"id","date"}`) or as a record
//! spanning days (`start_date`, `end_date`, `half_day`…); a status comes as a
//! label, a code with a `status_text`, or not at all (the approved-only list);
//! a holiday needs a date to count. From them, the days a person is off.
//! Not here: the HTTP calls (see `erp`), what a tool does with them (see `tools`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use erp_proto::tools::{Holiday, Leave, LeaveState};
use serde_json::Value;

use crate::dates::{days, value_f64, value_i64};

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn date(v: &Value, key: &str) -> Option<NaiveDate> {
    let s = v.get(key)?.as_str()?.trim();
    // `2026-06-10` or a timestamp starting with it.
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

fn state_of(label: &str) -> LeaveState {
    let l = label.to_lowercase();
    if l.contains("approv") {
        LeaveState::Approved
    } else if l.contains("pend") {
        LeaveState::Pending
    } else if l.contains("reject") || l.contains("declin") {
        LeaveState::Rejected
    } else if l.contains("cancel") || l.contains("withdr") {
        LeaveState::Cancelled
    } else {
        LeaveState::Other
    }
}

/// One leave item, in whichever shape it came. `approved_list`: the list holds
/// approved leave only (`month_leaves`), so an item with no status label is approved.
pub fn parse_leave(v: &Value, approved_list: bool) -> Option<Leave> {
    let start = date(v, "start_date").or_else(|| date(v, "date")).or_else(|| date(v, "from_date"))?;
    let end = date(v, "end_date").or_else(|| date(v, "to_date")).unwrap_or(start).max(start);
    let period = text(v, "half_day_period");
    let days = v.get("days").and_then(value_f64);
    let half_day = v.get("half_day").and_then(Value::as_bool).unwrap_or(false)
        || (start == end && (period.is_some() || days == Some(0.5)));
    let status_text = text(v, "status_text").or_else(|| v.get("status").and_then(Value::as_str).map(str::to_string));
    let status = match &status_text {
        Some(label) => state_of(label),
        None if approved_list => LeaveState::Approved,
        None => LeaveState::Other,
    };
    Some(Leave {
        leave_id: v.get("id").and_then(value_i64),
        leave_type: text(v, "leave_type_name").or_else(|| text(v, "leave_type")),
        start_date: start.to_string(),
        end_date: end.to_string(),
        half_day,
        half_day_period: if half_day { period } else { None },
        status,
        status_text,
    })
}

/// One holiday item; `None` when it has no name and no date.
pub fn parse_holiday(v: &Value) -> Option<Holiday> {
    let start = date(v, "date").or_else(|| date(v, "start_date"));
    let end = date(v, "end_date").filter(|e| start.is_some_and(|s| *e > s));
    let name = text(v, "name").or_else(|| text(v, "title")).or_else(|| text(v, "holiday"));
    if name.is_none() && start.is_none() {
        return None;
    }
    Some(Holiday {
        name: name.unwrap_or_else(|| "Holiday".into()),
        date: start.map(|d| d.to_string()),
        end_date: end.map(|d| d.to_string()),
    })
}

/// Why a day is (partly) off.
#[derive(Debug, Clone, PartialEq)]
pub enum Off {
    /// A holiday, by name.
    Holiday(String),
    /// Approved leave: the share of the day it takes (1.0, or 0.5 for a half day).
    Leave(f64),
}

/// The days off in a range: holidays first (a holiday is off whatever the leave).
#[derive(Debug, Clone, Default)]
pub struct DaysOff(BTreeMap<NaiveDate, Off>);

impl DaysOff {
    /// From the holidays and the leaves (only approved ones count).
    pub fn new(holidays: &[Holiday], leaves: &[Leave]) -> Self {
        let mut map = BTreeMap::new();
        for l in leaves.iter().filter(|l| l.status == LeaveState::Approved) {
            let (Ok(start), Ok(end)) = (l.start_date.parse::<NaiveDate>(), l.end_date.parse::<NaiveDate>()) else {
                continue;
            };
            let share = if l.half_day { 0.5 } else { 1.0 };
            for d in days(start, end.max(start)) {
                // Two half days on one date make a whole one.
                let was = match map.get(&d) {
                    Some(Off::Leave(s)) => *s,
                    _ => 0.0,
                };
                map.insert(d, Off::Leave(f64::min(1.0, was + share)));
            }
        }
        for h in holidays {
            let Some(Ok(start)) = h.date.as_deref().map(str::parse) else { continue };
            let end = h.end_date.as_deref().and_then(|e| e.parse().ok()).unwrap_or(start);
            for d in days(start, end.max(start)) {
                map.insert(d, Off::Holiday(h.name.clone()));
            }
        }
        Self(map)
    }

    /// Why `d` is off, if it is.
    pub fn get(&self, d: NaiveDate) -> Option<&Off> {
        self.0.get(&d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_leave_shapes_and_every_status_form_read_alike() {
        let per_day = parse_leave(&json!({"id": 1, "date": "2024-06-10"}), true).unwrap();
        assert_eq!((per_day.start_date.as_str(), per_day.end_date.as_str()), ("2024-06-10", "2024-06-10"));
        assert_eq!(per_day.status, LeaveState::Approved);
        let record = parse_leave(
            &json!({"id": 2, "start_date": "2024-06-10", "end_date": "2024-06-12", "status": 3, "status_text": "Rejected"}),
            false,
        )
        .unwrap();
        assert_eq!((record.end_date.as_str(), record.status), ("2024-06-12", LeaveState::Rejected));
        let label = parse_leave(&json!({"start_date": "2024-06-10", "status": "approved"}), false).unwrap();
        assert_eq!(label.status, LeaveState::Approved);
        let code_only = parse_leave(&json!({"start_date": "2024-06-10", "status": 2}), false).unwrap();
        assert_eq!(code_only.status, LeaveState::Other);
        let half = parse_leave(&json!({"date": "2024-06-10", "half_day_period": "first_half"}), true).unwrap();
        assert!(half.half_day);
        assert!(parse_leave(&json!({"id": 3}), true).is_none());
    }

    #[test]
    fn days_off_count_approved_leave_halves_and_holidays_only() {
        let leaves = [
            parse_leave(&json!({"start_date": "2026-03-02", "end_date": "2026-03-03"}), true).unwrap(),
            parse_leave(&json!({"date": "2026-03-04", "half_day": true}), true).unwrap(),
            parse_leave(&json!({"date": "2026-03-05", "status_text": "Pending"}), false).unwrap(),
        ];
        let holidays = [parse_holiday(&json!({"name": "Spring Day", "date": "2026-03-03"})).unwrap()];
        let off = DaysOff::new(&holidays, &leaves);
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(off.get(d("2026-03-02")), Some(&Off::Leave(1.0)));
        assert_eq!(off.get(d("2026-03-03")), Some(&Off::Holiday("Spring Day".into())));
        assert_eq!(off.get(d("2026-03-04")), Some(&Off::Leave(0.5)));
        assert_eq!(off.get(d("2026-03-05")), None);
    }
}
