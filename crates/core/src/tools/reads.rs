//! The read tools (and `sign_in`, which opens a window but reads no data).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use erp_proto::tools::{
    CheckPersonWeekProjectExistsArgs, CheckPersonWeekProjectExistsOutput, GetActiveProjectsOutput, GetDayLogsArgs,
    GetDayLogsOutput, GetLogLabelsOutput, GetLogsForDateRangeArgs, GetMonthLogsArgs, GetWeekLogsArgs, SessionState,
    SignInArgs, SignInMethod, SignInOutput, SignInStatus, WeekListOutput, WeekLogOutput, WeekSummary,
};
use futures::StreamExt;
use serde_json::Value;

use super::Ctx;
use super::resolve::{ProjectRef, find_week, load_week, project_not_in_week, require_week};
use crate::config::SIGN_IN_LINK;
use crate::core::{CoreHandle, SignInStart};
use crate::dates::{duration, monday_of, parse_date, parse_monday, parse_range, parse_week_starting, value_i64};
use crate::error::{CoreError, Result};

/// Longest range `get_logs_for_date_range` reads.
const MAX_READ_DAYS: i64 = 366;

pub(crate) fn sign_in(core: &CoreHandle, args: SignInArgs, return_to: Option<String>) -> SignInOutput {
    let view = core.session_view();
    if view.state == SessionState::SignedIn {
        return SignInOutput {
            status: SignInStatus::AlreadySignedIn,
            message: format!("Already signed in as {}.", view.email.as_deref().unwrap_or("?")),
            email: view.email,
            sign_in_url: SIGN_IN_LINK.into(),
        };
    }
    let (status, message) = match core.open_sign_in(args.method.unwrap_or(SignInMethod::Google), return_to) {
        SignInStart::Started(m) => (SignInStatus::Started, m),
        SignInStart::Manual(m) => (SignInStatus::Manual, m),
    };
    SignInOutput { status, email: None, sign_in_url: SIGN_IN_LINK.into(), message }
}

pub(crate) async fn projects(ctx: &Ctx) -> Result<GetActiveProjectsOutput> {
    match ctx.core.erp().active_projects(&ctx.auth.token).await {
        Ok(projects) => Ok(GetActiveProjectsOutput { projects }),
        Err(e) => Err(ctx.erp_err(e).await),
    }
}

pub(crate) async fn labels(ctx: &Ctx) -> Result<GetLogLabelsOutput> {
    match ctx.core.erp().labels(&ctx.auth.token).await {
        Ok(labels) => Ok(GetLogLabelsOutput { labels }),
        Err(e) => Err(ctx.erp_err(e).await),
    }
}

pub(crate) struct WeekQuery(NaiveDate);

impl WeekQuery {
    pub(crate) fn validate(a: GetWeekLogsArgs) -> Result<Self> {
        Ok(Self(parse_monday("week_starting", &a.week_starting)?))
    }

    pub(crate) async fn run(self, ctx: &Ctx) -> Result<WeekLogOutput> {
        let doc = require_week(ctx, self.0).await?;
        Ok(doc.view(ctx.core.config().week_url(doc.id)))
    }
}

pub(crate) struct DayQuery(NaiveDate);

impl DayQuery {
    pub(crate) fn validate(a: GetDayLogsArgs) -> Result<Self> {
        Ok(Self(parse_date("date", &a.date)?))
    }

    pub(crate) async fn run(self, ctx: &Ctx) -> Result<GetDayLogsOutput> {
        let doc = require_week(ctx, monday_of(self.0)).await?;
        let date = self.0.to_string();
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
}

pub(crate) struct RangeQuery {
    start: NaiveDate,
    end: NaiveDate,
}

impl RangeQuery {
    pub(crate) fn from_range(a: GetLogsForDateRangeArgs) -> Result<Self> {
        let too_long = format!("the most is {MAX_READ_DAYS}. Ask for a shorter range.");
        let (start, end) = parse_range(&a.start_date, &a.end_date, MAX_READ_DAYS, &too_long)?;
        Ok(Self { start, end })
    }

    pub(crate) fn from_month(a: GetMonthLogsArgs) -> Result<Self> {
        if !(1..=12).contains(&a.month) {
            return Err(CoreError::invalid(format!("month must be 1 to 12, got {}.", a.month)));
        }
        if !(1970..=2100).contains(&a.year) {
            return Err(CoreError::invalid(format!(
                "year must be a four-digit year between 1970 and 2100, got {}.",
                a.year
            )));
        }
        let start = NaiveDate::from_ymd_opt(a.year, a.month, 1).expect("checked");
        let next = if a.month == 12 {
            NaiveDate::from_ymd_opt(a.year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(a.year, a.month + 1, 1)
        };
        Ok(Self { start, end: next.expect("checked") - Duration::days(1) })
    }

    pub(crate) async fn run(self, ctx: &Ctx) -> Result<WeekListOutput> {
        let mut months = Vec::new();
        let mut m = NaiveDate::from_ymd_opt(self.start.year(), self.start.month(), 1).expect("valid");
        while m <= self.end {
            months.push(m);
            m = if m.month() == 12 {
                NaiveDate::from_ymd_opt(m.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(m.year(), m.month() + 1, 1)
            }
            .expect("valid");
        }
        let erp = ctx.core.erp();
        let token = &ctx.auth.token;
        // Every month must load: a silently missing month would look like "nothing logged".
        let results: Vec<_> = futures::stream::iter(months)
            .map(|m| async move { erp.month_list(token, m.year(), m.month()).await.map(|l| (m, l)) })
            .buffered(4)
            .collect()
            .await;
        let mut lists = Vec::with_capacity(results.len());
        for r in results {
            match r {
                Ok(x) => lists.push(x),
                Err(e) => return Err(ctx.erp_err(e).await),
            }
        }
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
        Ok(WeekListOutput {
            start_date: self.start.to_string(),
            end_date: self.end.to_string(),
            weeks: weeks.into_values().collect(),
        })
    }
}

pub(crate) struct Check {
    date: NaiveDate,
    project: ProjectRef,
}

impl Check {
    pub(crate) fn validate(a: CheckPersonWeekProjectExistsArgs) -> Result<Self> {
        Ok(Self { date: parse_date("date", &a.date)?, project: ProjectRef::from_args(a.project_id, a.project_name)? })
    }

    pub(crate) async fn run(self, ctx: &Ctx) -> Result<CheckPersonWeekProjectExistsOutput> {
        let project = self.project.resolve(ctx).await?;
        let monday = monday_of(self.date);
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
            out.message = super::resolve::no_week(monday).to_string();
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
            None => out.message = project_not_in_week(&project, monday).to_string(),
        }
        Ok(out)
    }
}
