//! The write tools. Every save sends back the whole week document with its
//! `modified_at`; a save the ERP refuses as stale (409) is redone once on a
//! fresh copy, so a concurrent edit in the web app is never overwritten.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{Datelike, Duration, NaiveDate};
use erp_proto::tools::{
    CompleteWeekLogArgs, CompleteWeekLogOutput, CreateOrUpdateLogArgs, CreateOrUpdateLogOutput, DayOutcome,
    DayOutcomeKind, DeleteLogArgs, DeleteLogOutput, EntryAction, FillLogsForDaysArgs, FillLogsForDaysOutput,
    FillStatus, Project,
};
use futures::StreamExt;
use serde_json::{Value, json};

use super::Ctx;
use super::resolve::{
    LabelRef, ProjectRef, description, find_week, load_week, no_week, project_not_in_week, week_list,
};
use crate::dates::{duration, is_weekend, minutes_for_hours, monday_of, parse_date, parse_monday, parse_range};
use crate::erp::{ErpError, WeekRef};
use crate::error::{CoreError, Result};
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
        match ctx.core.erp().save_week(&ctx.auth.token, week.id, &doc.to_value()).await {
            Ok(_) => return Ok(result),
            Err(ErpError::Status { status: 409, .. }) if attempt == 1 => {
                tracing::info!(week = %week.monday, "week changed elsewhere while saving; redoing on a fresh copy");
            }
            Err(e) => return Err(ctx.erp_err(e).await),
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
/// app does. The ERP refuses when the week (or the project in it) does not exist.
async fn add_without_week(ctx: &Ctx, monday: NaiveDate, logs: Vec<Value>) -> Result<()> {
    match ctx.core.erp().slack_add(&ctx.auth.token, &ctx.auth.email, logs).await {
        Ok(_) => Ok(()),
        Err(ErpError::Unauthorized) => Err(ctx.core.session_rejected(&ctx.auth).await),
        Err(e @ (ErpError::Status { .. } | ErpError::Redirect { .. })) => Err(CoreError::Precondition(format!(
            "There is no week log for the week starting {monday}, and the ERP would not add the entry without one \
             ({e}). Open that week in the ERP web app once, then try again."
        ))),
        Err(e) => Err(CoreError::Erp(e)),
    }
}

pub(crate) struct Upsert {
    date: NaiveDate,
    description: String,
    minutes: u32,
    project: ProjectRef,
    label: LabelRef,
}

impl Upsert {
    pub(crate) fn validate(a: CreateOrUpdateLogArgs) -> Result<Self> {
        Ok(Self {
            date: parse_date("date", &a.date)?,
            description: description(&a.description)?,
            minutes: minutes_for_hours("hours", a.hours)?,
            project: ProjectRef::from_args(a.project_id, a.project_name)?,
            label: LabelRef::from_args(a.label_id, a.label_name)?,
        })
    }

    pub(crate) async fn run(self, ctx: &Ctx) -> Result<CreateOrUpdateLogOutput> {
        let project = self.project.resolve(ctx).await?;
        let label = self.label.resolve(ctx).await?;
        let monday = monday_of(self.date);
        let action = match find_week(ctx, monday).await? {
            Some(week) => {
                edit_week(ctx, week, |doc| {
                    let pidx = doc.find_project(&project).ok_or_else(|| project_not_in_week(&project, monday))?;
                    Ok(doc.upsert(pidx, &self.description, self.date, self.minutes, label))
                })
                .await?
            }
            None => {
                add_without_week(
                    ctx,
                    monday,
                    vec![slack_log(self.date, self.minutes, &self.description, &project, label)],
                )
                .await?;
                EntryAction::Created
            }
        };
        Ok(CreateOrUpdateLogOutput {
            action,
            date: self.date.to_string(),
            week_starting: monday.to_string(),
            project_id: project.id,
            project_name: project.name,
            description: self.description,
            time: duration(self.minutes as i64),
            label_id: label,
        })
    }
}

pub(crate) struct Delete {
    date: NaiveDate,
    description: String,
    project: ProjectRef,
}

impl Delete {
    pub(crate) fn validate(a: DeleteLogArgs) -> Result<Self> {
        Ok(Self {
            date: parse_date("date", &a.date)?,
            description: description(&a.description)?,
            project: ProjectRef::from_args(a.project_id, a.project_name)?,
        })
    }

    pub(crate) async fn run(self, ctx: &Ctx) -> Result<DeleteLogOutput> {
        let project = self.project.resolve(ctx).await?;
        let monday = monday_of(self.date);
        let week = find_week(ctx, monday).await?.ok_or_else(|| no_week(monday))?;
        let (removed, task_removed, stored) = edit_week(ctx, week, |doc| {
            let pidx = doc.find_project(&project).ok_or_else(|| project_not_in_week(&project, monday))?;
            doc.delete(pidx, &self.description, self.date)
        })
        .await?;
        Ok(DeleteLogOutput {
            date: self.date.to_string(),
            week_starting: monday.to_string(),
            project_name: project.name,
            description: stored,
            removed: duration(removed),
            task_removed,
        })
    }
}

pub(crate) struct Complete {
    monday: NaiveDate,
    save_draft: bool,
}

impl Complete {
    pub(crate) fn validate(a: CompleteWeekLogArgs) -> Result<Self> {
        Ok(Self { monday: parse_monday("week_starting", &a.week_starting)?, save_draft: a.save_draft })
    }

    pub(crate) async fn run(self, ctx: &Ctx) -> Result<CompleteWeekLogOutput> {
        let week = find_week(ctx, self.monday).await?.ok_or_else(|| no_week(self.monday))?;
        let answer = match ctx.core.erp().complete_week(&ctx.auth.token, week.id, self.save_draft).await {
            Ok(v) => v,
            Err(e) => return Err(ctx.erp_err(e).await),
        };
        // Trust the ERP's answer when it states the outcome.
        let completed = answer.get("is_completed").and_then(Value::as_bool).unwrap_or(!self.save_draft);
        Ok(CompleteWeekLogOutput { week_starting: self.monday.to_string(), week_log_id: week.id, completed })
    }
}

pub(crate) struct Fill {
    start: NaiveDate,
    end: NaiveDate,
    description: String,
    minutes: u32,
    project: ProjectRef,
    label: LabelRef,
    skip_weekends: bool,
}

impl Fill {
    pub(crate) fn validate(a: FillLogsForDaysArgs) -> Result<Self> {
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

    pub(crate) async fn run(self, ctx: &Ctx) -> Result<FillLogsForDaysOutput> {
        match tokio::time::timeout(FILL_TIMEOUT, self.fill(ctx)).await {
            Ok(r) => r,
            Err(_) => Err(CoreError::Timeout(
                "The fill timed out after 5 minutes; days saved before that stay saved. Check with get_week_logs and \
                 fill the rest in a shorter range."
                    .into(),
            )),
        }
    }

    async fn fill(&self, ctx: &Ctx) -> Result<FillLogsForDaysOutput> {
        let project = self.project.resolve(ctx).await?;
        let label = self.label.resolve(ctx).await?;
        let mut by_week: BTreeMap<NaiveDate, Vec<NaiveDate>> = BTreeMap::new();
        let mut outcomes: BTreeMap<NaiveDate, DayOutcome> = BTreeMap::new();
        let mut d = self.start;
        while d <= self.end {
            if self.skip_weekends && is_weekend(d) {
                outcomes.insert(d, DayOutcome { date: d.to_string(), outcome: DayOutcomeKind::Skipped, error: None });
            } else {
                by_week.entry(monday_of(d)).or_default().push(d);
            }
            d += Duration::days(1);
        }
        let todo: usize = by_week.values().map(Vec::len).sum();

        // One list per year touched (usually one), not one per day.
        let mut weeks: BTreeMap<NaiveDate, Option<WeekRef>> = BTreeMap::new();
        let years: std::collections::BTreeSet<i32> = by_week.keys().map(|m| m.year()).collect();
        for y in years {
            let list = week_list(ctx, y).await?;
            for monday in by_week.keys().filter(|m| m.year() == y) {
                weeks.insert(*monday, list.iter().find(|w| w.monday == *monday).copied());
            }
        }

        let done = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<(NaiveDate, Vec<NaiveDate>, Result<Vec<EntryAction>>)> = futures::stream::iter(by_week)
            .map(|(monday, days)| {
                let week = weeks.get(&monday).copied().flatten();
                let project = &project;
                let done = &done;
                async move {
                    let r = if ctx.cancel.is_cancelled() {
                        Err(CoreError::Cancelled)
                    } else {
                        self.fill_week(ctx, monday, week, &days, project, label).await
                    };
                    let n = done.fetch_add(days.len(), std::sync::atomic::Ordering::Relaxed) + days.len();
                    let line = match &r {
                        Ok(_) => format!("week of {monday}: {} day(s) saved", days.len()),
                        Err(e) => format!("week of {monday}: failed ({e})"),
                    };
                    (ctx.progress)(n as f64, Some(todo as f64), line);
                    (monday, days, r)
                }
            })
            .buffered(FILL_CONCURRENCY)
            .collect()
            .await;

        let (mut created, mut updated, mut failed) = (0u32, 0u32, 0u32);
        for (_, days, r) in results {
            match r {
                Ok(actions) => {
                    for (day, action) in days.into_iter().zip(actions) {
                        let outcome = match action {
                            EntryAction::Created => {
                                created += 1;
                                DayOutcomeKind::Created
                            }
                            EntryAction::Updated => {
                                updated += 1;
                                DayOutcomeKind::Updated
                            }
                        };
                        outcomes.insert(day, DayOutcome { date: day.to_string(), outcome, error: None });
                    }
                }
                // An expired session ends the whole fill: every later week would fail the same way.
                Err(e @ CoreError::SessionExpired { .. }) => return Err(e),
                Err(e) => {
                    let msg = e.to_rpc().message;
                    for day in days {
                        failed += 1;
                        outcomes.insert(
                            day,
                            DayOutcome {
                                date: day.to_string(),
                                outcome: DayOutcomeKind::Failed,
                                error: Some(msg.clone()),
                            },
                        );
                    }
                }
            }
        }
        let skipped = outcomes.values().filter(|o| o.outcome == DayOutcomeKind::Skipped).count() as u32;
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
        Ok(FillLogsForDaysOutput {
            status,
            message,
            project_id: project.id,
            project_name: project.name,
            created,
            updated,
            skipped,
            failed,
            days: outcomes.into_values().collect(),
        })
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
}
