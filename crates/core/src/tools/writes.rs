//! The write tools. Every save sends back the whole week document with its
//! `modified_at`; a save the ERP refuses as stale (409) is redone once on a
//! fresh copy, so a concurrent edit in the web app is never overwritten.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use chrono::{Datelike, Duration, NaiveDate};
use erp_proto::tools::{
    CompleteWeekLogArgs, CompleteWeekLogOutput, CreateOrUpdateLogArgs, CreateOrUpdateLogOutput, DayOutcome,
    DayOutcomeKind, DeleteLogArgs, DeleteLogOutput, EntryAction, FillLogsForDaysArgs, FillLogsForDaysOutput,
    FillStatus, Project,
};
use futures::StreamExt;
use serde_json::{Value, json};

use super::resolve::{LabelRef, ProjectRef, description, find_week, load_week, project_not_in_week, week_list};
use crate::dates::{duration, is_weekend, minutes_for_hours, monday_of, parse_date, parse_monday, parse_range};
use crate::erp::WeekRef;
use crate::error::{CoreError, ErpError, Result};
use crate::router::Ctx;
use crate::week::WeekDoc;

/// Longest range `fill_logs_for_days` writes.
const MAX_FILL_DAYS: i64 = 31;
/// A fill gives up after this long (days already saved stay saved).
const FILL_TIMEOUT: StdDuration = StdDuration::from_secs(300);
/// Weeks of one fill saved at once.
const FILL_CONCURRENCY: usize = 4;

/// Load a week, apply `edit`, save; on a stale-copy refusal (409), once more on a
/// fresh copy. Returns what `edit` returned the last time.
async fn edit_week<T>(ctx: &Ctx, week: WeekRef, mut edit: impl FnMut(&mut WeekDoc) -> Result<T>) -> Result<T> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut doc = load_week(ctx, week).await?;
        if !doc.has_modified_at() {
            return Err(CoreError::Erp(ErpError::BadResponse(
                "the week log has no modified_at, so it cannot be saved safely".into(),
            )));
        }
        let result = edit(&mut doc)?;
        match ctx.erp.save_week(week, &doc.to_value()).await {
            Ok(_) => return Ok(result),
            Err(CoreError::Erp(ErpError::Status { status: 409, .. })) if attempt == 1 => {
                tracing::info!(week = %week.monday, "week changed elsewhere while saving; redoing on a fresh copy");
            }
            Err(e) => return Err(e),
        }
    }
}

fn slack_log(date: NaiveDate, minutes: u32, description: &str, project: &Project, label: i64) -> Value {
    json!({
        "date": date.to_string(),
        "time_spent": format!("{:02}:{:02}", minutes / 60, minutes % 60),
        "description": description,
        "subteam": project.id,
        "label_id": label,
    })
}

/// No week log for that Monday: ask the ERP to add the entries the way its Slack
/// app does. The ERP refuses when the week (or the project in it) does not
/// exist (or, by the other reading of its docs, creates the week). This POST
/// adds, so it is never sent for a repeated call: the first attempt may have
/// gone through.
async fn add_without_week(ctx: &Ctx, monday: NaiveDate, logs: Vec<Value>) -> Result<()> {
    if ctx.call.is_repeat() {
        return Err(CoreError::NotRepeated { monday });
    }
    match ctx.erp.slack_add(logs).await {
        Ok(_) => Ok(()),
        Err(CoreError::Erp(cause @ (ErpError::Status { .. } | ErpError::Redirect { .. }))) => {
            Err(CoreError::WeekNotAddable { monday, cause })
        }
        Err(e) => Err(e),
    }
}

/// `create_or_update_log`, checked.
pub(crate) struct Upsert {
    date: NaiveDate,
    description: String,
    minutes: u32,
    project: ProjectRef,
    label: LabelRef,
}

impl TryFrom<CreateOrUpdateLogArgs> for Upsert {
    type Error = CoreError;
    fn try_from(a: CreateOrUpdateLogArgs) -> Result<Self> {
        Ok(Self {
            date: parse_date("date", &a.date)?,
            description: description(&a.description)?,
            minutes: minutes_for_hours("hours", a.hours)?,
            project: ProjectRef::from_args(a.project_id, a.project_name)?,
            label: LabelRef::from_args(a.label_id, a.label_name)?,
        })
    }
}

pub(super) async fn upsert(ctx: Ctx, w: Upsert) -> Result<CreateOrUpdateLogOutput> {
    let ctx = &ctx;
    let project = w.project.resolve(ctx).await?;
    let label = w.label.resolve(ctx).await?;
    let monday = monday_of(w.date);
    let action = match find_week(ctx, monday).await? {
        Some(week) => {
            edit_week(ctx, week, |doc| {
                let pidx = doc.find_project(&project).ok_or_else(|| project_not_in_week(&project, monday))?;
                Ok(doc.upsert(pidx, &w.description, w.date, w.minutes, label))
            })
            .await?
        }
        None => {
            let log = slack_log(w.date, w.minutes, &w.description, &project, label);
            add_without_week(ctx, monday, vec![log]).await?;
            EntryAction::Created
        }
    };
    Ok(CreateOrUpdateLogOutput {
        action,
        date: w.date.to_string(),
        week_starting: monday.to_string(),
        project_id: project.id,
        project_name: project.name,
        description: w.description,
        time: duration(w.minutes as i64),
        label_id: label,
    })
}

/// `delete_log`, checked.
pub(crate) struct Delete {
    date: NaiveDate,
    description: String,
    project: ProjectRef,
}

impl TryFrom<DeleteLogArgs> for Delete {
    type Error = CoreError;
    fn try_from(a: DeleteLogArgs) -> Result<Self> {
        Ok(Self {
            date: parse_date("date", &a.date)?,
            description: description(&a.description)?,
            project: ProjectRef::from_args(a.project_id, a.project_name)?,
        })
    }
}

pub(super) async fn delete(ctx: Ctx, w: Delete) -> Result<DeleteLogOutput> {
    let ctx = &ctx;
    let project = w.project.resolve(ctx).await?;
    let monday = monday_of(w.date);
    let week = find_week(ctx, monday).await?.ok_or(CoreError::NoWeekLog { monday })?;
    let (removed, task_removed, stored) = edit_week(ctx, week, |doc| {
        let pidx = doc.find_project(&project).ok_or_else(|| project_not_in_week(&project, monday))?;
        doc.delete(pidx, &w.description, w.date)
    })
    .await?;
    Ok(DeleteLogOutput {
        date: w.date.to_string(),
        week_starting: monday.to_string(),
        project_name: project.name,
        description: stored,
        removed: duration(removed),
        task_removed,
    })
}

/// `complete_week_log`, checked.
pub(crate) struct Complete {
    monday: NaiveDate,
    save_draft: bool,
}

impl TryFrom<CompleteWeekLogArgs> for Complete {
    type Error = CoreError;
    fn try_from(a: CompleteWeekLogArgs) -> Result<Self> {
        Ok(Self { monday: parse_monday("week_starting", &a.week_starting)?, save_draft: a.save_draft })
    }
}

pub(super) async fn complete(ctx: Ctx, w: Complete) -> Result<CompleteWeekLogOutput> {
    let monday = w.monday;
    let week = find_week(&ctx, monday).await?.ok_or(CoreError::NoWeekLog { monday })?;
    let answer = ctx.erp.complete_week(week, w.save_draft).await?;
    // Trust the ERP's answer when it states the outcome.
    let completed = answer.get("is_completed").and_then(Value::as_bool).unwrap_or(!w.save_draft);
    Ok(CompleteWeekLogOutput { week_starting: monday.to_string(), week_log_id: week.id, completed })
}

/// `fill_logs_for_days`, checked.
pub(crate) struct Fill {
    start: NaiveDate,
    end: NaiveDate,
    description: String,
    minutes: u32,
    project: ProjectRef,
    label: LabelRef,
    skip_weekends: bool,
}

impl TryFrom<FillLogsForDaysArgs> for Fill {
    type Error = CoreError;
    fn try_from(a: FillLogsForDaysArgs) -> Result<Self> {
        let too_long = format!("a fill covers at most {MAX_FILL_DAYS}. Split it into shorter ranges.");
        let (start, end) = parse_range(&a.start_date, &a.end_date, MAX_FILL_DAYS, &too_long)?;
        Ok(Self {
            start,
            end,
            description: description(&a.description)?,
            minutes: minutes_for_hours("hours_per_day", a.hours_per_day.unwrap_or(8.0))?,
            project: ProjectRef::from_args(a.project_id, a.project_name)?,
            label: LabelRef::from_args(a.label_id, a.label_name)?,
            skip_weekends: a.skip_weekends,
        })
    }
}

pub(super) async fn fill(ctx: Ctx, w: Fill) -> Result<FillLogsForDaysOutput> {
    w.fill(&ctx).await
}

/// Which days a fill writes, week by week, and which it skips.
struct Plan {
    by_week: BTreeMap<NaiveDate, Vec<NaiveDate>>,
    skipped: Vec<NaiveDate>,
}

impl Plan {
    fn days(&self) -> usize {
        self.by_week.values().map(Vec::len).sum()
    }
}

/// One week's result: its days and what happened to each (or why it failed).
type WeekResult = (Vec<NaiveDate>, Result<Vec<EntryAction>>);

impl Fill {
    async fn fill(&self, ctx: &Ctx) -> Result<FillLogsForDaysOutput> {
        let project = self.project.resolve(ctx).await?;
        let label = self.label.resolve(ctx).await?;
        let plan = self.plan();
        let weeks = prefetch(ctx, &plan).await?;
        let results = self.run(ctx, &plan, &weeks, &project, label).await;
        let out = self.tally(plan, results, project)?;
        let body = format!("{} created, {} updated, {} failed.", out.created, out.updated, out.failed);
        ctx.call.core.notify(&format!("Filled {} to {}", self.start, self.end), &body);
        Ok(out)
    }

    /// Plan: group the range's days by week; weekends are skipped when asked.
    fn plan(&self) -> Plan {
        let mut plan = Plan { by_week: BTreeMap::new(), skipped: Vec::new() };
        let mut d = self.start;
        while d <= self.end {
            if self.skip_weekends && is_weekend(d) {
                plan.skipped.push(d);
            } else {
                plan.by_week.entry(monday_of(d)).or_default().push(d);
            }
            d += Duration::days(1);
        }
        plan
    }

    /// Run: each week read once and saved once, [`FILL_CONCURRENCY`] at a
    /// time, with progress after each week. A cancel (or a vanished caller) or
    /// the [`FILL_TIMEOUT`] stops it between weeks, never inside a save: a week
    /// not started is reported as not saved, with the reason.
    async fn run(
        &self,
        ctx: &Ctx,
        plan: &Plan,
        weeks: &BTreeMap<NaiveDate, Option<WeekRef>>,
        project: &Project,
        label: i64,
    ) -> Vec<WeekResult> {
        let (todo, done) = (plan.days(), AtomicUsize::new(0));
        let done = &done;
        let deadline = tokio::time::Instant::now() + FILL_TIMEOUT;
        futures::stream::iter(plan.by_week.clone())
            .map(|(monday, days)| async move {
                let week = weeks.get(&monday).copied().flatten();
                let r = if ctx.call.is_cancelled() {
                    Err(CoreError::Cancelled)
                } else if tokio::time::Instant::now() >= deadline {
                    Err(CoreError::FillTimedOut(FILL_TIMEOUT))
                } else {
                    self.fill_week(ctx, monday, week, &days, project, label).await
                };
                let n = done.fetch_add(days.len(), Ordering::Relaxed) + days.len();
                let line = match &r {
                    Ok(_) => format!("week of {monday}: {} day(s) saved", days.len()),
                    Err(e) => format!("week of {monday}: failed ({e})"),
                };
                ctx.call.progress(n as f64, Some(todo as f64), line);
                (days, r)
            })
            .buffered(FILL_CONCURRENCY)
            .collect()
            .await
    }

    /// One week: one read and one save for all its days (or one Slack call when
    /// the week log does not exist).
    async fn fill_week(
        &self,
        ctx: &Ctx,
        monday: NaiveDate,
        week: Option<WeekRef>,
        days: &[NaiveDate],
        project: &Project,
        label: i64,
    ) -> Result<Vec<EntryAction>> {
        match week {
            Some(week) => {
                edit_week(ctx, week, |doc| {
                    let pidx = doc.find_project(project).ok_or_else(|| project_not_in_week(project, monday))?;
                    Ok(days.iter().map(|d| doc.upsert(pidx, &self.description, *d, self.minutes, label)).collect())
                })
                .await
            }
            None => {
                let logs =
                    days.iter().map(|d| slack_log(*d, self.minutes, &self.description, project, label)).collect();
                add_without_week(ctx, monday, logs).await?;
                Ok(vec![EntryAction::Created; days.len()])
            }
        }
    }

    /// Tally: every day's outcome, the counts, and one sentence.
    fn tally(&self, plan: Plan, results: Vec<WeekResult>, project: Project) -> Result<FillLogsForDaysOutput> {
        let mut days: BTreeMap<NaiveDate, DayOutcome> = BTreeMap::new();
        let mut outcome = |day: NaiveDate, outcome, error| {
            days.insert(day, DayOutcome { date: day.to_string(), outcome, error });
        };
        for d in &plan.skipped {
            outcome(*d, DayOutcomeKind::Skipped, None);
        }
        for (week_days, r) in results {
            match r {
                Ok(actions) => {
                    for (day, action) in week_days.into_iter().zip(actions) {
                        let kind = match action {
                            EntryAction::Created => DayOutcomeKind::Created,
                            EntryAction::Updated => DayOutcomeKind::Updated,
                        };
                        outcome(day, kind, None);
                    }
                }
                // An expired session ends the whole fill: every later week would fail the same way.
                Err(e @ CoreError::SessionExpired { .. }) => return Err(e),
                Err(e) => {
                    let msg = e.to_rpc().message;
                    week_days.into_iter().for_each(|day| outcome(day, DayOutcomeKind::Failed, Some(msg.clone())));
                }
            }
        }
        let count = |k: DayOutcomeKind| days.values().filter(|o| o.outcome == k).count() as u32;
        let (created, updated) = (count(DayOutcomeKind::Created), count(DayOutcomeKind::Updated));
        let (skipped, failed) = (count(DayOutcomeKind::Skipped), count(DayOutcomeKind::Failed));
        let ok = created + updated;
        let status = match (ok, failed) {
            (_, 0) => FillStatus::Success,
            (0, _) => FillStatus::Error,
            _ => FillStatus::PartialError,
        };
        let hours = duration(self.minutes as i64);
        let mut message = format!(
            "Logged {}h{:02} on {ok} of {} day(s) on {:?}",
            hours.hours,
            hours.minutes,
            ok + failed,
            project.name
        );
        if skipped > 0 {
            message += &format!(" ({skipped} weekend day(s) skipped)");
        }
        if failed > 0 {
            message += &format!("; {failed} day(s) failed");
        }
        message.push('.');
        let (project_id, project_name) = (project.id, project.name);
        let days = days.into_values().collect();
        Ok(FillLogsForDaysOutput { status, message, project_id, project_name, created, updated, skipped, failed, days })
    }
}

/// Prefetch: the week logs every planned week falls in, one list per year
/// touched (usually one), not one per day.
async fn prefetch(ctx: &Ctx, plan: &Plan) -> Result<BTreeMap<NaiveDate, Option<WeekRef>>> {
    let mut weeks = BTreeMap::new();
    let years: BTreeSet<i32> = plan.by_week.keys().map(|m| m.year()).collect();
    for y in years {
        let list = week_list(ctx, y).await?;
        for monday in plan.by_week.keys().filter(|m| m.year() == y) {
            weeks.insert(*monday, list.iter().find(|w| w.monday == *monday).copied());
        }
    }
    Ok(weeks)
}
