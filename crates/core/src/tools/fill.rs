//! `fill_logs_for_days` and `copy_week`: each makes a [`Plan`] from the weeks
//! as read (one list per year, one read per week) and the holidays and
//! approved leave of the days it writes, then previews it or runs it.

use chrono::{Duration, NaiveDate};
use erp_proto::tools::{CopyWeekArgs, DaysWritten, FillLogsForDaysArgs, Project, SkipReason};

use super::plan::{Kind, Plan, Weeks, Write, decide, left_out, preview, read_weeks, run, share_of};
use super::resolve::{DEFAULT_LABEL_ID, LabelRef, ProjectRef, description, pick_project};
use crate::dates::{days, is_weekend, minutes_for_hours, monday_of, parse_monday, parse_range};
use crate::error::{CoreError, Result};
use crate::leave::DaysOff;
use crate::router::Ctx;

/// Longest range `fill_logs_for_days` writes.
const MAX_FILL_DAYS: i64 = 31;

/// The holidays and approved leave between two days; none when they are to be
/// written on too. A half that cannot be read fails the call: the entries
/// would otherwise land on days off nobody was told about.
async fn days_off(ctx: &Ctx, (start, end): (NaiveDate, NaiveDate), include: bool) -> Result<DaysOff> {
    if include {
        return Ok(DaysOff::default());
    }
    let (off, warnings) = super::spans::days_off(ctx, start, end).await?;
    match warnings.first() {
        None => Ok(off),
        Some(w) => Err(CoreError::invalid(format!(
            "{w} So the days off cannot be left out; nothing was saved. Try again, or set include_days_off to \
             write on every day."
        ))),
    }
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
    include_days_off: bool,
    dry_run: bool,
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
            include_days_off: a.include_days_off,
            dry_run: a.dry_run,
        })
    }
}

pub(super) async fn fill(ctx: Ctx, w: Fill) -> Result<DaysWritten> {
    let ctx = &ctx;
    let project = w.project.resolve(ctx).await?;
    let label = w.label.resolve(ctx).await?;
    let mondays = days(w.start, w.end).map(monday_of);
    let (weeks, off) =
        futures::try_join!(read_weeks(ctx, mondays), days_off(ctx, (w.start, w.end), w.include_days_off))?;
    let plan = w.plan(project, label, &weeks, &off);
    if w.dry_run {
        return Ok(preview(ctx, plan));
    }
    let docs = weeks.into_iter().filter_map(|(m, (_, doc))| Some((m, doc?))).collect();
    let out = run(ctx, &plan, docs, true).await?;
    let body = format!("{} created, {} updated, {} failed.", out.created, out.updated, out.failed);
    ctx.call.core.notify(&format!("Filled {} to {}", w.start, w.end), &body);
    Ok(out)
}

impl Fill {
    /// Every day of the range: left out (weekend when asked, day off, then
    /// what [`decide`] says) or written, a half-day leave with half the hours.
    fn plan(&self, project: Project, label: i64, weeks: &Weeks, off: &DaysOff) -> Plan {
        let (mut writes, mut left) = (Vec::new(), Vec::new());
        for d in days(self.start, self.end) {
            if self.skip_weekends && is_weekend(d) {
                left.push(left_out(d, SkipReason::Weekend, None));
                continue;
            }
            let (share, note) = match share_of(off, d) {
                Ok(s) => s,
                Err(o) => {
                    left.push(*o);
                    continue;
                }
            };
            let minutes = (f64::from(self.minutes) * share).round() as u32;
            let (project, description) = (project.clone(), self.description.clone());
            let w = Write { project, description, date: d, minutes, label, note, update: false };
            let doc = weeks.get(&monday_of(d)).and_then(|(_, doc)| doc.as_ref());
            match decide(doc, w) {
                Ok(w) => writes.push(w),
                Err(o) => left.push(*o),
            }
        }
        Plan::new(Kind::Fill { minutes: self.minutes }, Some(project), writes, left, weeks)
    }
}

/// `copy_week`, checked.
pub(crate) struct CopyWeek {
    from: NaiveDate,
    to: NaiveDate,
    project: Option<ProjectRef>,
    include_days_off: bool,
    dry_run: bool,
}

impl TryFrom<CopyWeekArgs> for CopyWeek {
    type Error = CoreError;
    fn try_from(a: CopyWeekArgs) -> Result<Self> {
        let from = parse_monday("from_week_starting", &a.from_week_starting)?;
        let to = parse_monday("to_week_starting", &a.to_week_starting)?;
        if from == to {
            return Err(CoreError::invalid(format!(
                "to_week_starting {to} is the week copied from; give the Monday of another week."
            )));
        }
        let project = match (a.project_id, a.project_name) {
            (None, None) => None,
            (id, name) => Some(ProjectRef::from_args(id, name)?),
        };
        Ok(Self { from, to, project, include_days_off: a.include_days_off, dry_run: a.dry_run })
    }
}

pub(super) async fn copy(ctx: Ctx, c: CopyWeek) -> Result<DaysWritten> {
    let ctx = &ctx;
    let projects = ctx.erp.active_projects().await?;
    let only = c.project.as_ref().map(|r| pick_project(&projects, r)).transpose()?;
    let target_days = (c.to, c.to + Duration::days(6));
    let (weeks, off) =
        futures::try_join!(read_weeks(ctx, [c.from, c.to]), days_off(ctx, target_days, c.include_days_off))?;
    let plan = c.plan(&projects, only, &weeks, &off)?;
    if c.dry_run {
        return Ok(preview(ctx, plan));
    }
    let docs = weeks.into_iter().filter_map(|(m, (_, doc))| Some((m, doc?))).collect();
    let out = run(ctx, &plan, docs, true).await?;
    let body = format!("{} created, {} updated, {} failed.", out.created, out.updated, out.failed);
    ctx.call.core.notify(&format!("Copied the week of {} to {}", c.from, c.to), &body);
    Ok(out)
}

impl CopyWeek {
    /// Every entry of the source week (of `only`, when given) moved to the same
    /// weekday of the target week, then left out or written as a fill's day.
    fn plan(&self, projects: &[Project], only: Option<Project>, weeks: &Weeks, off: &DaysOff) -> Result<Plan> {
        let source = weeks.get(&self.from).and_then(|(_, d)| d.as_ref());
        let source = source.ok_or(CoreError::NoWeekLog { monday: self.from })?;
        let target = weeks.get(&self.to).and_then(|(_, d)| d.as_ref());
        let (mut writes, mut left) = (Vec::new(), Vec::new());
        let (view, _) = source.projects_view(|_| true, true);
        for (pidx, p) in view.iter().enumerate() {
            if only.as_ref().is_some_and(|o| source.find_project(o) != Some(pidx)) {
                continue;
            }
            // The active project it is (its id is what the ERP's Slack path takes).
            let active = projects.iter().find(|a| source.find_project(a) == Some(pidx)).cloned().unwrap_or_else(|| {
                let name = if p.subteam.is_empty() { p.team.clone() } else { p.subteam.clone() };
                Project { id: 0, name, subteam: p.subteam.clone() }
            });
            for t in &p.tasks {
                for d in &t.days {
                    let minutes = d.time.hours * 60 + d.time.minutes;
                    let Ok(date) = d.date.parse::<NaiveDate>() else { continue };
                    let offset = (date - self.from).num_days();
                    if minutes == 0 || !(0..7).contains(&offset) {
                        continue;
                    }
                    let date = self.to + Duration::days(offset);
                    let (project, description) = (active.clone(), t.description.trim().to_string());
                    let (share, note) = match share_of(off, date) {
                        Ok(s) => s,
                        Err(mut o) => {
                            (o.project_name, o.description) = (Some(project.name), Some(description));
                            left.push(*o);
                            continue;
                        }
                    };
                    let minutes = (f64::from(minutes) * share).round() as u32;
                    let label = d.label_id.unwrap_or(DEFAULT_LABEL_ID);
                    let w = Write { project, description, date, minutes, label, note, update: false };
                    match decide(target, w) {
                        Ok(w) => writes.push(w),
                        Err(o) => left.push(*o),
                    }
                }
            }
        }
        Ok(Plan::new(Kind::Copy { from: self.from, to: self.to }, only, writes, left, weeks))
    }
}
