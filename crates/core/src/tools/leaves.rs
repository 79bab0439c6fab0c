//! The leaves tools (§2.12, with the older server's v3 names and rules). Every
//! argument is checked before any ERP call; the ERP's lists are read into one
//! shape (see `leave`); writes are journalled like the time-log writes.

use chrono::NaiveDate;
use erp_proto::tools::{
    FiscalYear, LeaveType, LeavesApplyArgs, LeavesApplyOutput, LeavesCancelArgs, LeavesCancelOutput,
    LeavesCreateEncashmentArgs, LeavesCreateEncashmentOutput, LeavesGetChoicesOutput, LeavesGetFiscalYearsOutput,
    LeavesGetSummaryArgs, LeavesGetSummaryOutput, LeavesListEncashmentsOutput, LeavesListMineOutput,
    LeavesListMonthOutput, LeavesListTeamOutput, LeavesMonthArgs, NoArgs,
};
use serde_json::{Value, json};

use crate::dates::{month_span, parse_range, value_f64, value_i64};
use crate::erp::{LeavesRead, LeavesWrite, extract_list};
use crate::error::{CoreError, ErpError, Result};
use crate::leave::{parse_holiday, parse_leave};
use crate::router::Ctx;
use crate::session_erp::SessionErp;

/// Longest leave `leaves_apply` asks for, in days.
const MAX_LEAVE_DAYS: i64 = 90;
/// Longest reason, in characters.
const MAX_REASON_CHARS: usize = 2000;
/// Most days one encashment asks for.
const MAX_ENCASH_DAYS: f64 = 90.0;

fn list_of(v: &Value, what: &str) -> Result<Vec<Value>> {
    extract_list(v)
        .map(|l| l.to_vec())
        .ok_or_else(|| CoreError::Erp(ErpError::BadResponse(format!("the {what} list is not a list"))))
}

fn positive(arg: &str, v: i64) -> Result<i64> {
    if v > 0 { Ok(v) } else { Err(CoreError::invalid(format!("{arg} must be a positive integer, got {v}."))) }
}

pub(super) async fn choices(ctx: Ctx, _: NoArgs) -> Result<LeavesGetChoicesOutput> {
    let v = ctx.erp.leaves(LeavesRead::Choices).await?;
    let types = v.get("leave_types").map(|t| list_of(t, "leave type")).transpose()?.unwrap_or_default();
    let leave_types = types
        .iter()
        .filter_map(|t| {
            let name = t.get("name").and_then(Value::as_str)?.to_string();
            Some(LeaveType { id: t.get("id").and_then(value_i64)?, name })
        })
        .collect();
    Ok(LeavesGetChoicesOutput { leave_types, erp: v })
}

async fn fiscal_years_of(erp: &SessionErp) -> Result<LeavesGetFiscalYearsOutput> {
    let v = erp.leaves(LeavesRead::FiscalYears).await?;
    let years = v.get("fiscal_years").map(|t| list_of(t, "fiscal year")).transpose()?.unwrap_or_default();
    let day = |f: &Value, k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(LeavesGetFiscalYearsOutput {
        selected_fiscal_year: v.get("selected_fiscal_year").and_then(value_i64),
        fiscal_years: years
            .iter()
            .filter_map(|f| {
                let id = f.get("id").and_then(value_i64)?;
                Some(FiscalYear { id, start_date: day(f, "start_date"), end_date: day(f, "end_date") })
            })
            .collect(),
    })
}

pub(super) async fn fiscal_years(ctx: Ctx, _: NoArgs) -> Result<LeavesGetFiscalYearsOutput> {
    fiscal_years_of(&ctx.erp).await
}

pub(crate) struct SummaryQuery(Option<i64>);

impl TryFrom<LeavesGetSummaryArgs> for SummaryQuery {
    type Error = CoreError;
    fn try_from(a: LeavesGetSummaryArgs) -> Result<Self> {
        Ok(Self(a.fiscal_year_id.map(|id| positive("fiscal_year_id", id)).transpose()?))
    }
}

pub(super) async fn summary(ctx: Ctx, q: SummaryQuery) -> Result<LeavesGetSummaryOutput> {
    let fiscal_year_id = match q.0 {
        Some(id) => id,
        None => fiscal_years_of(&ctx.erp).await?.selected_fiscal_year.ok_or_else(|| {
            CoreError::invalid(
                "No active fiscal year found: the ERP has none selected. Give fiscal_year_id (see leaves_get_fiscal_years).",
            )
        })?,
    };
    let summary = ctx.erp.leaves(LeavesRead::Summary(fiscal_year_id)).await?;
    Ok(LeavesGetSummaryOutput { fiscal_year_id, summary })
}

/// A checked month: `year` and `month` as `get_month_logs` takes them.
pub(crate) struct Month {
    year: i32,
    month: u32,
}

impl TryFrom<LeavesMonthArgs> for Month {
    type Error = CoreError;
    fn try_from(a: LeavesMonthArgs) -> Result<Self> {
        month_span(a.year, a.month)?;
        Ok(Self { year: a.year, month: a.month })
    }
}

/// Approved leave and holidays of a month, read together; a half that fails is
/// an empty list and a warning, both failing is the first error.
pub(crate) async fn month_off(erp: &SessionErp, year: i32, month: u32) -> Result<LeavesListMonthOutput> {
    let (leaves, holidays) =
        futures::join!(erp.leaves(LeavesRead::MonthLeaves(year, month)), erp.leaves(LeavesRead::Holidays(year, month)));
    let leaves = leaves.and_then(|v| list_of(&v, "leave"));
    let holidays = holidays.and_then(|v| list_of(&v, "holiday"));
    let mut warnings = Vec::new();
    let (leaves, holidays) = match (leaves, holidays) {
        (Err(e), Err(_)) => return Err(e),
        (l, h) => {
            let mut half = |r: Result<Vec<Value>>, what: &str| {
                r.unwrap_or_else(|e| {
                    warnings.push(format!("The {what} of {year}-{month:02} could not be read: {}", e.to_rpc().message));
                    Vec::new()
                })
            };
            (half(l, "approved leaves"), half(h, "holidays"))
        }
    };
    Ok(LeavesListMonthOutput {
        year,
        month,
        leaves: leaves.iter().filter_map(|l| parse_leave(l, true)).collect(),
        holidays: holidays.iter().filter_map(parse_holiday).collect(),
        warnings,
    })
}

pub(super) async fn list_month(ctx: Ctx, m: Month) -> Result<LeavesListMonthOutput> {
    month_off(&ctx.erp, m.year, m.month).await
}

pub(super) async fn list_mine(ctx: Ctx, m: Month) -> Result<LeavesListMineOutput> {
    let v = ctx.erp.leaves(LeavesRead::Mine(m.year, m.month)).await?;
    let leaves = list_of(&v, "leave")?.iter().filter_map(|l| parse_leave(l, false)).collect();
    Ok(LeavesListMineOutput { year: m.year, month: m.month, leaves })
}

pub(super) async fn list_team(ctx: Ctx, _: NoArgs) -> Result<LeavesListTeamOutput> {
    let v = ctx.erp.leaves(LeavesRead::Team).await?;
    Ok(LeavesListTeamOutput { on_leave: list_of(&v, "team leave")? })
}

pub(super) async fn list_encashments(ctx: Ctx, _: NoArgs) -> Result<LeavesListEncashmentsOutput> {
    let v = ctx.erp.leaves(LeavesRead::Encashments).await?;
    Ok(LeavesListEncashmentsOutput { encashments: list_of(&v, "encashment")? })
}

/// `leaves_apply`, checked.
pub(crate) struct Apply {
    leave_type: i64,
    start: NaiveDate,
    end: NaiveDate,
    reason: String,
    half_day: Option<&'static str>,
}

impl TryFrom<LeavesApplyArgs> for Apply {
    type Error = CoreError;
    fn try_from(a: LeavesApplyArgs) -> Result<Self> {
        let leave_type = positive("leave_type", a.leave_type)?;
        let too_long = format!("a leave covers at most {MAX_LEAVE_DAYS} days. Apply for it in parts.");
        let (start, end) = parse_range(&a.start_date, &a.end_date, MAX_LEAVE_DAYS, &too_long)?;
        let reason = a.reason.trim().to_string();
        if reason.is_empty() {
            return Err(CoreError::invalid("reason must not be empty: say why, for the approver."));
        }
        let n = reason.chars().count();
        if n > MAX_REASON_CHARS {
            return Err(CoreError::invalid(format!("reason is {n} characters long; the limit is {MAX_REASON_CHARS}.")));
        }
        let half_day = match (a.half_day, a.half_day_period) {
            (true, None) => {
                return Err(CoreError::invalid("half_day_period is needed with half_day: first_half or second_half."));
            }
            (false, Some(_)) => {
                return Err(CoreError::invalid("half_day_period is only for a half day: set half_day to true."));
            }
            (true, Some(_)) if start != end => {
                return Err(CoreError::invalid(format!(
                    "end_date: a half-day leave is one day, so start_date and end_date must be the same (got {start} to {end})."
                )));
            }
            (true, Some(p)) => Some(p.as_str()),
            (false, None) => None,
        };
        Ok(Self { leave_type, start, end, reason, half_day })
    }
}

pub(super) async fn apply(ctx: Ctx, a: Apply) -> Result<LeavesApplyOutput> {
    let mut body = json!({"leave_type": a.leave_type, "start_date": a.start.to_string(),
                          "end_date": a.end.to_string(), "reason": a.reason, "half_day": a.half_day.is_some()});
    // The period is sent only when given (as the older server did).
    if let Some(p) = a.half_day {
        body["half_day_period"] = json!(p);
    }
    let v = ctx.erp.leaves_write(LeavesWrite::Apply(body)).await?;
    let status = v.get("status_text").or_else(|| v.get("status")).and_then(Value::as_str).map(str::to_string);
    let leave_id = v.get("id").and_then(value_i64);
    let span = if a.start == a.end { a.start.to_string() } else { format!("{} to {}", a.start, a.end) };
    let message = format!(
        "Leave requested for {span}{}; it is {} until the approver decides.",
        a.half_day.map(|p| format!(" ({})", p.replace('_', " "))).unwrap_or_default(),
        status.as_deref().unwrap_or("pending").to_lowercase()
    );
    Ok(LeavesApplyOutput { leave_id, status, start_date: a.start.to_string(), end_date: a.end.to_string(), message })
}

/// `leaves_cancel`, checked.
pub(crate) struct Cancel(i64);

impl TryFrom<LeavesCancelArgs> for Cancel {
    type Error = CoreError;
    fn try_from(a: LeavesCancelArgs) -> Result<Self> {
        Ok(Self(positive("leave_id", a.leave_id)?))
    }
}

pub(super) async fn cancel(ctx: Ctx, c: Cancel) -> Result<LeavesCancelOutput> {
    ctx.erp.leaves_write(LeavesWrite::Cancel(c.0)).await?;
    Ok(LeavesCancelOutput { leave_id: c.0, message: format!("Leave request {} is cancelled.", c.0) })
}

/// `leaves_create_encashment`, checked.
pub(crate) struct Encash {
    leave_type: i64,
    days: f64,
}

impl TryFrom<LeavesCreateEncashmentArgs> for Encash {
    type Error = CoreError;
    fn try_from(a: LeavesCreateEncashmentArgs) -> Result<Self> {
        let leave_type = positive("leave_type", a.leave_type)?;
        if !a.days.is_finite() || a.days <= 0.0 || a.days > MAX_ENCASH_DAYS {
            return Err(CoreError::invalid(format!(
                "days must be more than 0 and at most {MAX_ENCASH_DAYS}, got {}.",
                a.days
            )));
        }
        Ok(Self { leave_type, days: a.days })
    }
}

pub(super) async fn encash(ctx: Ctx, e: Encash) -> Result<LeavesCreateEncashmentOutput> {
    let days = if e.days.fract() == 0.0 { json!(e.days as i64) } else { json!(e.days) };
    let v = ctx.erp.leaves_write(LeavesWrite::Encash(json!({"leave_type": e.leave_type, "days": days}))).await?;
    let encashment_id = v.get("id").and_then(value_i64);
    let days = v.get("days").and_then(value_f64).unwrap_or(e.days);
    Ok(LeavesCreateEncashmentOutput {
        encashment_id,
        leave_type: e.leave_type,
        days,
        message: format!("Asked to encash {days} days of leave type {}.", e.leave_type),
    })
}
