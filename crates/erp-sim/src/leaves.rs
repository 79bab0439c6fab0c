//! The leaves side of the ERP (`shared/erp-api.md` §2.12): leave types, fiscal
//! years with their allowances, holidays, each person's leave requests (pending,
//! approved, rejected, cancelled) and encashments. Stateful: applying, cancelling
//! and encashing change what the reads answer, with the ERP's errors.
//!
//! A leave is stored as a record spanning days. `month_leaves` answers in that
//! shape or, with [`SimConfig::leaves_per_day`](crate::SimConfig), as one
//! `{"id","date"}` item per day (the contract's fixture); both are real readings.

use chrono::{Datelike, Duration as Days, NaiveDate};
use serde_json::{Value, json};

use crate::model::{ApiError, SimPerson};

/// Where a leave request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveStatus {
    /// Waiting for the approver.
    Pending,
    /// A day off.
    Approved,
    /// Refused by the approver.
    Rejected,
    /// Withdrawn by the person.
    Cancelled,
}

impl LeaveStatus {
    /// The ERP's numeric code.
    fn code(self) -> i64 {
        match self {
            Self::Pending => 1,
            Self::Approved => 2,
            Self::Rejected => 3,
            Self::Cancelled => 4,
        }
    }

    /// The ERP's label.
    pub fn text(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Cancelled => "Cancelled",
        }
    }
}

/// One leave request.
#[derive(Debug, Clone)]
pub(crate) struct Leave {
    pub(crate) id: i64,
    pub(crate) person_id: i64,
    pub(crate) leave_type: i64,
    pub(crate) start: NaiveDate,
    pub(crate) end: NaiveDate,
    pub(crate) half_day_period: Option<String>,
    pub(crate) reason: String,
    pub(crate) status: LeaveStatus,
}

impl Leave {
    fn days(&self) -> f64 {
        if self.half_day_period.is_some() { 0.5 } else { ((self.end - self.start).num_days() + 1) as f64 }
    }

    fn overlaps(&self, first: NaiveDate, last: NaiveDate) -> bool {
        self.start <= last && self.end >= first
    }
}

#[derive(Debug, Clone)]
pub(crate) struct FiscalYear {
    id: i64,
    start: NaiveDate,
    end: NaiveDate,
}

#[derive(Debug, Clone)]
pub(crate) struct Encashment {
    id: i64,
    person_id: i64,
    leave_type: i64,
    days: f64,
}

/// Leave types with their yearly allowance in days.
const LEAVE_TYPES: [(i64, &str, f64); 3] = [(1, "Annual", 20.0), (2, "Sick", 10.0), (3, "Casual", 5.0)];

pub(crate) struct Leaves {
    pub(crate) fiscal_years: Vec<FiscalYear>,
    pub(crate) selected_fiscal_year: Option<i64>,
    pub(crate) holidays: Vec<(NaiveDate, String)>,
    pub(crate) leaves: Vec<Leave>,
    encashments: Vec<Encashment>,
    next_id: i64,
}

fn bad(status: u16, msg: &str) -> ApiError {
    (status, json!({ "error": msg }))
}

fn month_bounds(year: i32, month: u32) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(|| bad(400, "Invalid year or month."))?;
    let next = if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { first.with_month(month + 1) };
    Ok((first, next.ok_or_else(|| bad(400, "Invalid year or month."))? - Days::days(1)))
}

fn date_field(body: &Value, key: &str) -> Result<NaiveDate, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .ok_or_else(|| (400, json!({ key: ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."] })))
}

impl Leaves {
    /// Fiscal years July to June around `today`, the current one selected; the
    /// fixed-date holidays of every year from `from` to `to`.
    pub(crate) fn seeded(today: NaiveDate, from: NaiveDate, to: NaiveDate) -> Self {
        let fy_start = |y: i32| NaiveDate::from_ymd_opt(y, 7, 1).expect("valid");
        let current = if today.month() >= 7 { today.year() } else { today.year() - 1 };
        let fiscal_years: Vec<FiscalYear> = (current - 1..=current + 1)
            .enumerate()
            .map(|(i, y)| FiscalYear { id: 11 + i as i64, start: fy_start(y), end: fy_start(y + 1) - Days::days(1) })
            .collect();
        let mut holidays = Vec::new();
        for y in from.year()..=to.year() {
            for (m, d, name) in crate::FIXED_HOLIDAYS {
                holidays.push((NaiveDate::from_ymd_opt(y, m, d).expect("valid"), name.to_string()));
            }
        }
        Self {
            fiscal_years,
            selected_fiscal_year: Some(12),
            holidays,
            leaves: Vec::new(),
            encashments: Vec::new(),
            next_id: 7_000,
        }
    }

    fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn type_name(id: i64) -> Option<&'static str> {
        LEAVE_TYPES.iter().find(|t| t.0 == id).map(|t| t.1)
    }

    fn record(&self, l: &Leave) -> Value {
        json!({
            "id": l.id,
            "leave_type": l.leave_type,
            "leave_type_name": Self::type_name(l.leave_type),
            "start_date": l.start.to_string(),
            "end_date": l.end.to_string(),
            "half_day": l.half_day_period.is_some(),
            "half_day_period": l.half_day_period,
            "days": l.days(),
            "reason": l.reason,
            "status": l.status.code(),
            "status_text": l.status.text(),
        })
    }

    /// Add a leave as the ERP would hold it (test set-up: any status).
    pub(crate) fn add(
        &mut self,
        person_id: i64,
        leave_type: i64,
        (start, end): (NaiveDate, NaiveDate),
        half_day_period: Option<String>,
        status: LeaveStatus,
    ) -> i64 {
        let id = self.next();
        let reason = "Set up by the test".to_string();
        self.leaves.push(Leave { id, person_id, leave_type, start, end, half_day_period, reason, status });
        id
    }

    // ------------------------------------------------------------ reads

    pub(crate) fn choices(&self) -> Value {
        let types: Vec<Value> = LEAVE_TYPES.iter().map(|(id, name, _)| json!({"id": id, "name": name})).collect();
        json!({"leave_types": types, "approver": {"name": "Maria Manager", "email": "maria@example.com"}})
    }

    pub(crate) fn fiscal_years_json(&self) -> Value {
        let years: Vec<Value> = self
            .fiscal_years
            .iter()
            .map(|f| json!({"id": f.id, "start_date": f.start.to_string(), "end_date": f.end.to_string()}))
            .collect();
        json!({"selected_fiscal_year": self.selected_fiscal_year, "fiscal_years": years})
    }

    pub(crate) fn summary(&self, person: &SimPerson, selected_year: Option<&String>) -> Result<Value, ApiError> {
        let Some(raw) = selected_year else {
            return Err((400, json!({"selected_year": ["This field is required."]})));
        };
        let fy =
            raw.parse::<i64>().ok().and_then(|id| self.fiscal_years.iter().find(|f| f.id == id)).ok_or_else(|| {
                (400, json!({"selected_year": [format!("Invalid pk \"{raw}\" - object does not exist.")]}))
            })?;
        let mine = |status: LeaveStatus, t: i64| -> f64 {
            self.leaves
                .iter()
                .filter(|l| l.person_id == person.id && l.leave_type == t && l.status == status)
                .filter(|l| l.start >= fy.start && l.start <= fy.end)
                .map(Leave::days)
                .sum()
        };
        let rows: Vec<Value> = LEAVE_TYPES
            .iter()
            .map(|&(t, name, total)| {
                let used = mine(LeaveStatus::Approved, t);
                let pending = mine(LeaveStatus::Pending, t);
                let encashed: f64 = self
                    .encashments
                    .iter()
                    .filter(|e| e.person_id == person.id && e.leave_type == t)
                    .map(|e| e.days)
                    .sum();
                json!({"leave_type": t, "name": name, "total": total, "used": used, "pending": pending,
                       "encashed": encashed, "available": total - used - encashed})
            })
            .collect();
        Ok(json!({"fiscal_year": fy.id, "summary": rows}))
    }

    fn month_query(year: Option<i32>, month: Option<u32>) -> Result<(NaiveDate, NaiveDate), ApiError> {
        match (year, month) {
            (Some(y), Some(m)) => month_bounds(y, m),
            _ => Err((400, json!({"detail": "year and month are required."}))),
        }
    }

    /// Approved leaves (or, `every_status`, all) touching the month: whole
    /// records, or one item per day.
    pub(crate) fn month_leaves(
        &self,
        person: &SimPerson,
        (year, month): (Option<i32>, Option<u32>),
        per_day: bool,
        every_status: bool,
    ) -> Result<Value, ApiError> {
        let (first, last) = Self::month_query(year, month)?;
        let approved = self.leaves.iter().filter(|l| {
            l.person_id == person.id && (every_status || l.status == LeaveStatus::Approved) && l.overlaps(first, last)
        });
        if !per_day {
            return Ok(Value::Array(approved.map(|l| self.record(l)).collect()));
        }
        let mut items = Vec::new();
        for l in approved {
            let mut d = l.start.max(first);
            while d <= l.end.min(last) {
                let mut item = json!({"id": l.id, "date": d.to_string(), "half_day": l.half_day_period.is_some()});
                if every_status {
                    item["status_text"] = json!(l.status.text());
                }
                items.push(item);
                d += Days::days(1);
            }
        }
        Ok(Value::Array(items))
    }

    pub(crate) fn holiday_records(&self, year: Option<i32>, month: Option<u32>) -> Result<Value, ApiError> {
        let (first, last) = Self::month_query(year, month)?;
        let list = self
            .holidays
            .iter()
            .filter(|(d, _)| *d >= first && *d <= last)
            .map(|(d, name)| json!({"name": name, "date": d.to_string()}))
            .collect();
        Ok(Value::Array(list))
    }

    /// The person's own leaves touching the month, every status.
    pub(crate) fn list(&self, person: &SimPerson, year: Option<i32>, month: Option<u32>) -> Result<Value, ApiError> {
        let (first, last) = Self::month_query(year, month)?;
        let list =
            self.leaves.iter().filter(|l| l.person_id == person.id && l.overlaps(first, last)).map(|l| self.record(l));
        Ok(Value::Array(list.collect()))
    }

    /// The other people on approved leave on `today`.
    pub(crate) fn team(&self, person: &SimPerson, people: &[SimPerson], today: NaiveDate) -> Value {
        let list = self
            .leaves
            .iter()
            .filter(|l| l.person_id != person.id && l.status == LeaveStatus::Approved && l.overlaps(today, today))
            .filter_map(|l| {
                let who = people.iter().find(|p| p.id == l.person_id)?;
                Some(json!({"person": who.name, "leave_type": Self::type_name(l.leave_type),
                            "start_date": l.start.to_string(), "end_date": l.end.to_string()}))
            });
        Value::Array(list.collect())
    }

    pub(crate) fn encashments_json(&self, person: &SimPerson) -> Value {
        let list = self.encashments.iter().filter(|e| e.person_id == person.id).map(|e| {
            json!({"id": e.id, "leave_type": e.leave_type, "leave_type_name": Self::type_name(e.leave_type),
                   "days": e.days, "status_text": "Pending"})
        });
        Value::Array(list.collect())
    }

    // ------------------------------------------------------------ writes

    pub(crate) fn apply(&mut self, person: &SimPerson, body: &Value) -> Result<Value, ApiError> {
        let leave_type = body.get("leave_type").and_then(Value::as_i64).unwrap_or(0);
        if Self::type_name(leave_type).is_none() {
            return Err((
                400,
                json!({"leave_type": [format!("Invalid pk \"{leave_type}\" - object does not exist.")]}),
            ));
        }
        let (start, end) = (date_field(body, "start_date")?, date_field(body, "end_date")?);
        if end < start {
            return Err(bad(400, "End date must be on or after the start date."));
        }
        let half_day = body.get("half_day").and_then(Value::as_bool).unwrap_or(false);
        let period = body.get("half_day_period").and_then(Value::as_str).map(str::to_string);
        if half_day && (start != end || !matches!(period.as_deref(), Some("first_half" | "second_half"))) {
            return Err(bad(400, "A half-day leave is one day, with its first or second half."));
        }
        if !half_day && period.is_some() {
            return Err(bad(400, "half_day_period is only for a half-day leave."));
        }
        let taken = self.leaves.iter().any(|l| {
            l.person_id == person.id
                && matches!(l.status, LeaveStatus::Pending | LeaveStatus::Approved)
                && l.overlaps(start, end)
        });
        if taken {
            return Err(bad(400, "You already have a leave request on these days."));
        }
        let id = self.next();
        let reason = body.get("reason").and_then(Value::as_str).unwrap_or_default().to_string();
        let half_day_period = if half_day { period } else { None };
        let status = LeaveStatus::Pending;
        self.leaves.push(Leave { id, person_id: person.id, leave_type, start, end, half_day_period, reason, status });
        Ok(json!({"id": id, "status": status.code(), "status_text": status.text()}))
    }

    pub(crate) fn cancel(&mut self, person: &SimPerson, id: i64) -> Result<Value, ApiError> {
        let leave = self
            .leaves
            .iter_mut()
            .find(|l| l.id == id && l.person_id == person.id)
            .ok_or_else(|| (404, json!({"detail": "Not found."})))?;
        if leave.status != LeaveStatus::Pending {
            return Err(bad(
                400,
                &format!("Only a pending leave can be cancelled; this one is {}.", leave.status.text()),
            ));
        }
        leave.status = LeaveStatus::Cancelled;
        Ok(json!({"deleted": true}))
    }

    pub(crate) fn encash(&mut self, person: &SimPerson, body: &Value) -> Result<Value, ApiError> {
        let leave_type = body.get("leave_type").and_then(Value::as_i64).unwrap_or(0);
        let Some(&(_, _, total)) = LEAVE_TYPES.iter().find(|t| t.0 == leave_type) else {
            return Err((
                400,
                json!({"leave_type": [format!("Invalid pk \"{leave_type}\" - object does not exist.")]}),
            ));
        };
        let days = body.get("days").and_then(Value::as_f64).unwrap_or(0.0);
        let used: f64 = self
            .leaves
            .iter()
            .filter(|l| l.person_id == person.id && l.leave_type == leave_type && l.status == LeaveStatus::Approved)
            .map(Leave::days)
            .sum::<f64>()
            + self
                .encashments
                .iter()
                .filter(|e| e.person_id == person.id && e.leave_type == leave_type)
                .map(|e| e.days)
                .sum::<f64>();
        if days <= 0.0 || days > total - used {
            return Err(bad(400, &format!("You can encash at most {} days of this leave type.", total - used)));
        }
        let id = self.next();
        self.encashments.push(Encashment { id, person_id: person.id, leave_type, days });
        Ok(json!({"id": id, "days": days}))
    }
}
