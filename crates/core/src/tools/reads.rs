//! The read tools (and `whoami` and `sign_in`, which need no session).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use erp_proto::SIGN_IN_LINK;
use erp_proto::tools::{
    CheckPersonWeekProjectExistsArgs, CheckPersonWeekProjectExistsOutput, GetActiveProjectsOutput, GetDayLogsArgs,
    GetDayLogsOutput, GetLogLabelsOutput, GetLogsForDateRangeArgs, GetMonthLogsArgs, GetWeekLogsArgs, NoArgs,
    SessionState, SignInArgs, SignInOutput, SignInStatus, WeekListOutput, WeekLogOutput, WeekSummary, WhoamiOutput,
};
use futures::StreamExt;
use serde_json::Value;

use super::resolve::{ProjectRef, find_week, load_week, require_week};
use crate::core::{Asked, SignInStart};
use crate::dates::{
    duration, monday_of, month_span, parse_date, parse_monday, parse_range, parse_week_starting, value_i64,
};
use crate::error::{CoreError, Result};
use crate::router::{Call, Ctx};

/// Longest range `get_logs_for_date_range` reads.
const MAX_READ_DAYS: i64 = 366;

pub(super) async fn whoami(call: Call, _: NoArgs) -> Result<WhoamiOutput> {
    Ok(call.core.whoami())
}

/// The `sign_in` (and `app_open_sign_in`) answer for what opening a sign-in did.
pub(super) fn sign_in_output(start: SignInStart) -> SignInOutput {
    let status = match start {
        SignInStart::Started(_) => SignInStatus::Started,
        SignInStart::Manual(_) => SignInStatus::Manual,
    };
    SignInOutput { status, email: None, sign_in_url: SIGN_IN_LINK.into(), message: start.message().to_string() }
}

pub(super) async fn sign_in(call: Call, args: SignInArgs) -> Result<SignInOutput> {
    let view = call.core.sessions().view();
    if view.state == SessionState::SignedIn {
        return Ok(SignInOutput {
            status: SignInStatus::AlreadySignedIn,
            message: format!("Already signed in as {}.", view.email.as_deref().unwrap_or("?")),
            email: view.email,
            sign_in_url: SIGN_IN_LINK.into(),
        });
    }
    let host = call.client.mcp_client.as_deref().map(erp_proto::hosts::display_name);
    let start = call.core.open_sign_in(args.method, host, Asked::ByUser).await;
    Ok(sign_in_output(start))
}

pub(super) async fn projects(ctx: Ctx, _: NoArgs) -> Result<GetActiveProjectsOutput> {
    Ok(GetActiveProjectsOutput { projects: ctx.erp.active_projects().await? })
}

pub(super) async fn labels(ctx: Ctx, _: NoArgs) -> Result<GetLogLabelsOutput> {
    Ok(GetLogLabelsOutput { labels: ctx.erp.labels().await? })
}

pub(crate) struct WeekQuery(NaiveDate);

impl TryFrom<GetWeekLogsArgs> for WeekQuery {
    type Error = CoreError;
    fn try_from(a: GetWeekLogsArgs) -> Result<Self> {
        Ok(Self(parse_monday("week_starting", &a.week_starting)?))
    }
}

pub(super) async fn week(ctx: Ctx, q: WeekQuery) -> Result<WeekLogOutput> {
    let doc = require_week(&ctx, q.0).await?;
    Ok(doc.view(ctx.config().week_url(doc.id)))
}

pub(crate) struct DayQuery(NaiveDate);

impl TryFrom<GetDayLogsArgs> for DayQuery {
    type Error = CoreError;
    fn try_from(a: GetDayLogsArgs) -> Result<Self> {
        Ok(Self(parse_date("date", &a.date)?))
    }
}

pub(super) async fn day(ctx: Ctx, q: DayQuery) -> Result<GetDayLogsOutput> {
    let doc = require_week(&ctx, monday_of(q.0)).await?;
    let date = q.0.to_string();
    let (projects, total) = doc.projects_view(|d| d == date, false);
    Ok(GetDayLogsOutput {
        date,
        week_starting: doc.monday.to_string(),
        week_log_id: doc.id,
        is_completed: doc.is_completed(),
        projects,
        total: duration(total),
    })
}

pub(crate) struct RangeQuery {
    start: NaiveDate,
    end: NaiveDate,
}

impl TryFrom<GetLogsForDateRangeArgs> for RangeQuery {
    type Error = CoreError;
    fn try_from(a: GetLogsForDateRangeArgs) -> Result<Self> {
        let too_long = format!("the most is {MAX_READ_DAYS}. Ask for a shorter range.");
        let (start, end) = parse_range(&a.start_date, &a.end_date, MAX_READ_DAYS, &too_long)?;
        Ok(Self { start, end })
    }
}

impl TryFrom<GetMonthLogsArgs> for RangeQuery {
    type Error = CoreError;
    fn try_from(a: GetMonthLogsArgs) -> Result<Self> {
        let (start, end) = month_span(a.year, a.month)?;
        Ok(Self { start, end })
    }
}

/// The first day of every month `start..=end` touches.
pub(super) fn months_of(start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    let mut months = Vec::new();
    let mut m = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).expect("valid");
    while m <= end {
        months.push(m);
        m = if m.month() == 12 {
            NaiveDate::from_ymd_opt(m.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(m.year(), m.month() + 1, 1)
        }
        .expect("valid");
    }
    months
}

pub(super) async fn range(ctx: Ctx, q: RangeQuery) -> Result<WeekListOutput> {
    let erp = &ctx.erp;
    // Every month must load: a silently missing month would look like "nothing logged".
    let results: Vec<_> = futures::stream::iter(months_of(q.start, q.end))
        .map(|m| async move { erp.month_list(m).await.map(|l| (m, l)) })
        .buffered(4)
        .collect()
        .await;
    let lists = results.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(q.summarise(lists))
}

impl RangeQuery {
    fn summarise(&self, lists: Vec<(NaiveDate, Vec<Value>)>) -> WeekListOutput {
        let mut weeks: BTreeMap<NaiveDate, WeekSummary> = BTreeMap::new();
        for (month, items) in lists {
            let hint = month + Duration::days(14);
            for item in items {
                let Some(monday) =
                    item.get("week_starting").and_then(Value::as_str).and_then(|s| parse_week_starting(s, hint))
                else {
                    continue;
                };
                let sunday = monday + Duration::days(6);
                if sunday < self.start || monday > self.end {
                    continue;
                }
                let total = item.get("total_logged_time").and_then(|t| {
                    let h = t.get("hours").and_then(value_i64)?;
                    let m = t.get("minutes").and_then(value_i64).unwrap_or(0);
                    Some(duration(h * 60 + m))
                });
                weeks.entry(monday).or_insert(WeekSummary {
                    week_log_id: item.get("id").and_then(value_i64),
                    week_starting: monday.to_string(),
                    week_ending: sunday.to_string(),
                    is_completed: item.get("is_completed").and_then(Value::as_bool),
                    total,
                });
            }
        }
        WeekListOutput {
            start_date: self.start.to_string(),
            end_date: self.end.to_string(),
            weeks: weeks.into_values().collect(),
        }
    }
}

pub(crate) struct Check {
    date: NaiveDate,
    project: ProjectRef,
}

impl TryFrom<CheckPersonWeekProjectExistsArgs> for Check {
    type Error = CoreError;
    fn try_from(a: CheckPersonWeekProjectExistsArgs) -> Result<Self> {
        Ok(Self { date: parse_date("date", &a.date)?, project: ProjectRef::from_args(a.project_id, a.project_name)? })
    }
}

pub(super) async fn check(ctx: Ctx, q: Check) -> Result<CheckPersonWeekProjectExistsOutput> {
    let ctx = &ctx;
    let project = q.project.resolve(ctx).await?;
    let monday = monday_of(q.date);
    let mut out = CheckPersonWeekProjectExistsOutput {
        exists: false,
        week_starting: monday.to_string(),
        project_id: project.id,
        project_name: project.name.clone(),
        week_log_id: None,
        week_project_id: None,
        message: String::new(),
    };
    let Some(w) = find_week(ctx, monday).await? else {
        out.message = CoreError::NoWeekLog { monday }.to_string();
        return Ok(out);
    };
    out.week_log_id = Some(w.id);
    let doc = load_week(ctx, w).await?;
    match doc.find_project(&project) {
        Some(idx) => {
            out.exists = true;
            out.week_project_id = doc.project_id_at(idx);
            out.message = format!("{:?} is part of the week log for the week starting {monday}.", project.name);
        }
        None => {
            out.message = CoreError::ProjectNotInWeek { project: project.name.clone(), monday }.to_string();
        }
    }
    Ok(out)
}
