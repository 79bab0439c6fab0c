//! Plans: what a fill or a copy saves, week by week, decided from the weeks as
//! they were read. A plan is either shown (`dry_run`, and kept for
//! `apply_plan`) or run at once. Running one saves each week once, a few weeks
//! at a time, and every week saved is recorded with its tasks before and after
//! (see `session_erp`), so the whole call can be undone.
//!
//! Applying a kept plan first reads its weeks again: if any changed in the ERP
//! since the preview (an entry added, changed or removed, the week completed
//! or reopened, a week log created), nothing is saved.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use chrono::{Datelike, NaiveDate};
use erp_proto::admin::WeekChange;
use erp_proto::tools::{
    ApplyPlanArgs, DayOutcome, DayOutcomeKind, DaysWritten, EntryAction, FillStatus, Project, SkipReason, WeekOutcome,
};
use futures::StreamExt;
use serde_json::{Value, json};

use super::resolve::{load_week, project_not_in_week, week_list};
use crate::dates::duration;
use crate::erp::WeekRef;
use crate::error::{CoreError, ErpError, Result};
use crate::leave::{DaysOff, Off};
use crate::router::Ctx;
use crate::week::{EntryKey, WeekDoc, describe_diff};

/// A run gives up after this long (weeks already saved stay saved).
pub(crate) const RUN_TIMEOUT: StdDuration = StdDuration::from_secs(300);
/// Weeks read or saved at once.
const CONCURRENCY: usize = 4;

/// One entry to save.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    /// The active project (found in the week by name; its id for the Slack path).
    pub project: Project,
    pub description: String,
    pub date: NaiveDate,
    pub minutes: u32,
    pub label: i64,
    /// Shown with the day, e.g. "half-day leave".
    pub note: Option<String>,
    /// Whether it replaces an entry (as read).
    pub update: bool,
}

/// How a week was when its plan was made: `None` when it had no week log.
type Seen = Option<(bool, BTreeSet<EntryKey>)>;

/// One week of a plan: how it was read, and what to save in it.
#[derive(Debug, Clone)]
pub(crate) struct WeekPlan {
    pub monday: NaiveDate,
    pub week: Option<WeekRef>,
    seen: Seen,
    pub writes: Vec<Write>,
}

/// What a plan is for; its sentences say it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Fill { minutes: u32 },
    Copy { from: NaiveDate, to: NaiveDate },
}

/// Everything a fill or copy will do.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub kind: Kind,
    /// The one project, when there is one.
    pub project: Option<Project>,
    /// Weeks with something to save.
    pub weeks: Vec<WeekPlan>,
    /// Entries left out (skipped, or refused when planned).
    pub left_out: Vec<DayOutcome>,
}

/// The weeks a plan is made from: each Monday's week log (if any) and its document.
pub(crate) type Weeks = BTreeMap<NaiveDate, (Option<WeekRef>, Option<WeekDoc>)>;

/// Read the week logs of `mondays`: one list per year touched, then each
/// existing week's document, [`CONCURRENCY`] at a time.
pub(crate) async fn read_weeks(ctx: &Ctx, mondays: impl IntoIterator<Item = NaiveDate>) -> Result<Weeks> {
    let mondays: BTreeSet<NaiveDate> = mondays.into_iter().collect();
    let mut refs = HashMap::new();
    for y in mondays.iter().map(|m| m.year()).collect::<BTreeSet<_>>() {
        refs.extend(week_list(ctx, y).await?.into_iter().map(|w| (w.monday, w)));
    }
    let wanted: Vec<(NaiveDate, Option<WeekRef>)> = mondays.into_iter().map(|m| (m, refs.get(&m).copied())).collect();
    futures::stream::iter(wanted)
        .map(|(m, week)| async move {
            match week {
                Some(w) => load_week(ctx, w).await.map(|doc| (m, (Some(w), Some(doc)))),
                None => Ok((m, (None, None))),
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// A day left out of a plan.
pub(crate) fn left_out(date: NaiveDate, reason: SkipReason, note: Option<String>) -> DayOutcome {
    DayOutcome {
        date: date.to_string(),
        outcome: DayOutcomeKind::Skipped,
        reason: Some(reason),
        note,
        time: None,
        project_name: None,
        description: None,
        error: None,
    }
}

/// The share of `d`'s hours an entry gets: `Err` when it is a day off
/// (holiday, whole-day leave), `0.5` with a note for a half-day leave.
pub(crate) fn share_of(off: &DaysOff, d: NaiveDate) -> std::result::Result<(f64, Option<String>), Box<DayOutcome>> {
    match off.get(d) {
        Some(Off::Holiday(name)) => Err(Box::new(left_out(d, SkipReason::Holiday, Some(name.clone())))),
        Some(Off::Leave(share)) if *share >= 1.0 => Err(Box::new(left_out(d, SkipReason::Leave, None))),
        Some(Off::Leave(share)) => Ok((1.0 - share, Some("half-day leave".into()))),
        None => Ok((1.0, None)),
    }
}

fn hm(minutes: i64) -> String {
    format!("{}h{:02}", minutes / 60, minutes % 60)
}

/// Decide one entry against its week as read: left out (a completed week, the
/// entry already there or the day already full, the project not in the week)
/// or kept, knowing whether it adds or replaces.
pub(crate) fn decide(doc: Option<&WeekDoc>, mut w: Write) -> std::result::Result<Write, Box<DayOutcome>> {
    let Some(doc) = doc else { return Ok(w) };
    let with_entry = |mut o: DayOutcome| {
        o.project_name = Some(w.project.name.clone());
        o.description = Some(w.description.clone());
        Box::new(o)
    };
    if doc.is_completed() {
        return Err(with_entry(left_out(w.date, SkipReason::CompletedWeek, None)));
    }
    let Some(pidx) = doc.find_project(&w.project) else {
        let mut o = with_entry(left_out(w.date, SkipReason::ProjectNotInWeek, None));
        o.outcome = DayOutcomeKind::Failed;
        o.error = Some(project_not_in_week(&w.project, doc.monday).to_rpc().message);
        return Err(o);
    };
    let (total, own) = doc.logged_on(pidx, &w.description, w.date);
    let minutes = i64::from(w.minutes);
    match own {
        Some((m, label)) if m == minutes && label == Some(w.label) => {
            let note = format!("{} is already logged on this task", hm(m));
            Err(with_entry(left_out(w.date, SkipReason::AlreadyLogged, Some(note))))
        }
        None if total >= minutes => {
            let note = format!("{} is already logged on other tasks", hm(total));
            Err(with_entry(left_out(w.date, SkipReason::AlreadyLogged, Some(note))))
        }
        own => {
            w.update = own.is_some();
            Ok(w)
        }
    }
}

impl Plan {
    /// A plan for `kind` from its writes, grouped by week, with how each week was read.
    pub(crate) fn new(
        kind: Kind,
        project: Option<Project>,
        writes: Vec<Write>,
        left_out: Vec<DayOutcome>,
        weeks: &Weeks,
    ) -> Self {
        let mut by_week: BTreeMap<NaiveDate, Vec<Write>> = BTreeMap::new();
        for w in writes {
            by_week.entry(crate::dates::monday_of(w.date)).or_default().push(w);
        }
        let weeks = by_week
            .into_iter()
            .map(|(monday, writes)| {
                let (week, doc) = weeks.get(&monday).map(|(r, d)| (*r, d.as_ref())).unwrap_or((None, None));
                WeekPlan { monday, week, seen: doc.map(|d| (d.is_completed(), d.entries())), writes }
            })
            .collect();
        Self { kind, project, weeks, left_out }
    }

    fn writes(&self) -> usize {
        self.weeks.iter().map(|w| w.writes.len()).sum()
    }
}

/// Preview `plan`: keep it (when it saves anything) and say what it would do.
pub(crate) fn preview(ctx: &Ctx, plan: Plan) -> DaysWritten {
    let days: Vec<DayOutcome> = plan
        .weeks
        .iter()
        .flat_map(|w| w.writes.iter())
        .map(|w| outcome(&plan, w, if w.update { DayOutcomeKind::WouldUpdate } else { DayOutcomeKind::WouldCreate }))
        .collect();
    let weeks = plan.weeks.iter().map(|w| week_outcome(w, None)).collect();
    let plan_id = (plan.writes() > 0).then(|| ctx.call.core.plans().keep("plan_", ctx.erp.email(), plan.clone()));
    tally(&plan, days, weeks, (true, plan_id), None)
}

/// `apply_plan`, checked.
pub(crate) struct PlanId(String);

impl TryFrom<ApplyPlanArgs> for PlanId {
    type Error = CoreError;
    fn try_from(a: ApplyPlanArgs) -> Result<Self> {
        let id = a.plan_id.trim();
        let well_formed =
            id.strip_prefix("plan_").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()));
        if !well_formed || id.len() > 40 {
            return Err(CoreError::invalid(format!(
                "plan_id {} is not a plan id (they look like \"plan_3f2a…\", from a dry_run result).",
                crate::error::shown(&a.plan_id)
            )));
        }
        Ok(Self(id.to_string()))
    }
}

pub(super) async fn apply(ctx: Ctx, id: PlanId) -> Result<DaysWritten> {
    let Some(plan) = ctx.call.core.plans().take::<Plan>(ctx.erp.email(), &id.0) else {
        return Err(CoreError::invalid(format!(
            "plan_id {:?}: no such plan. A plan is kept for an hour after its preview and applied once; preview \
             again with dry_run.",
            id.0
        )));
    };
    let now = read_weeks(&ctx, plan.weeks.iter().map(|w| w.monday)).await?;
    let changed: Vec<String> = plan.weeks.iter().filter_map(|w| what_changed(w, now.get(&w.monday))).collect();
    if !changed.is_empty() {
        return Err(CoreError::Changed(format!(
            "Nothing was saved: since the preview, {}. Preview again with dry_run to see the plan for the weeks as \
             they are now.",
            changed.join("; ")
        )));
    }
    let docs = now.into_iter().filter_map(|(m, (_, doc))| Some((m, doc?))).collect();
    let out = run(&ctx, &plan, docs, false).await?;
    let body = format!("{} created, {} updated, {} failed.", out.created, out.updated, out.failed);
    ctx.call.core.notify("Applied a previewed plan", &body);
    Ok(out)
}

/// How a planned week differs now from when it was planned, in words.
fn what_changed(w: &WeekPlan, now: Option<&(Option<WeekRef>, Option<WeekDoc>)>) -> Option<String> {
    let doc = now.and_then(|(_, d)| d.as_ref());
    let week = format!("the week of {}", w.monday);
    match (&w.seen, doc) {
        (None, None) => None,
        (None, Some(_)) => Some(format!("{week} got a week log")),
        (Some(_), None) => Some(format!("{week} no longer has a week log")),
        (Some((completed, entries)), Some(doc)) => {
            if *completed != doc.is_completed() {
                let was = if doc.is_completed() { "was completed" } else { "was reopened" };
                return Some(format!("{week} {was}"));
            }
            describe_diff(entries, &doc.entries()).map(|d| format!("{week} {d}"))
        }
    }
}

/// One week's result: what happened to each of its writes (or why it failed).
type WeekResult = Result<Vec<EntryAction>>;

/// Run `plan` on `docs` (the weeks as just read): each week saved once,
/// [`CONCURRENCY`] at a time, with progress after each. A stale-copy refusal
/// (409) is redone once on a fresh copy when `retry`, else that week fails. A
/// cancel or the [`RUN_TIMEOUT`] stops it between weeks, never inside a save.
pub(crate) async fn run(ctx: &Ctx, plan: &Plan, docs: HashMap<NaiveDate, WeekDoc>, retry: bool) -> Result<DaysWritten> {
    let (todo, done) = (plan.writes(), AtomicUsize::new(0));
    let (done, docs) = (&done, &Mutex::new(docs));
    let deadline = tokio::time::Instant::now() + RUN_TIMEOUT;
    let results: Vec<WeekResult> = futures::stream::iter(0..plan.weeks.len())
        .map(|i| async move {
            let w = &plan.weeks[i];
            let doc = docs.lock().unwrap_or_else(|p| p.into_inner()).remove(&w.monday);
            let r = if ctx.call.is_cancelled() {
                Err(CoreError::Cancelled)
            } else if tokio::time::Instant::now() >= deadline {
                Err(CoreError::FillTimedOut(RUN_TIMEOUT))
            } else {
                save_week_plan(ctx, w, doc, retry).await
            };
            let n = done.fetch_add(w.writes.len(), Ordering::Relaxed) + w.writes.len();
            let line = match &r {
                Ok(_) => format!("week of {}: {} entr(ies) saved", w.monday, w.writes.len()),
                Err(e) => format!("week of {}: failed ({e})", w.monday),
            };
            ctx.call.progress(n as f64, Some(todo as f64), line);
            r
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let (mut days, mut weeks) = (Vec::new(), Vec::new());
    for (w, r) in plan.weeks.iter().zip(results) {
        match r {
            Ok(actions) => {
                for (write, action) in w.writes.iter().zip(actions) {
                    let kind = match action {
                        EntryAction::Created => DayOutcomeKind::Created,
                        EntryAction::Updated => DayOutcomeKind::Updated,
                    };
                    days.push(outcome(plan, write, kind));
                }
                weeks.push(week_outcome(w, None));
            }
            // An expired session ends the whole run: every later week would fail the same way.
            Err(e @ CoreError::SessionExpired { .. }) => return Err(e),
            Err(e) => {
                let msg = e.to_rpc().message;
                for write in &w.writes {
                    let mut o = outcome(plan, write, DayOutcomeKind::Failed);
                    o.error = Some(msg.clone());
                    days.push(o);
                }
                weeks.push(week_outcome(w, Some(msg)));
            }
        }
    }
    Ok(tally(plan, days, weeks, (false, None), ctx.erp.change_id()))
}

/// One week of a plan: one save for all its writes (or one Slack call when it
/// has no week log).
async fn save_week_plan(ctx: &Ctx, w: &WeekPlan, doc: Option<WeekDoc>, retry: bool) -> WeekResult {
    match w.week {
        Some(week) => {
            save_edited(ctx, week, doc, retry, |doc| {
                w.writes
                    .iter()
                    .map(|e| {
                        let pidx =
                            doc.find_project(&e.project).ok_or_else(|| project_not_in_week(&e.project, w.monday))?;
                        Ok(doc.upsert(pidx, &e.description, e.date, e.minutes, e.label))
                    })
                    .collect()
            })
            .await
        }
        None => {
            let logs =
                w.writes.iter().map(|e| slack_log(e.date, e.minutes, &e.description, &e.project, e.label)).collect();
            add_without_week(ctx, w.monday, logs).await?;
            Ok(vec![EntryAction::Created; w.writes.len()])
        }
    }
}

/// Edit a week and save it: on `first` (the week as just read) or a fresh
/// read; on a stale-copy refusal (409), once more on a fresh copy when `retry`.
/// The week's tasks before and after are recorded for undo. Returns what
/// `edit` returned the last time.
pub(crate) async fn save_edited<T>(
    ctx: &Ctx,
    week: WeekRef,
    mut first: Option<WeekDoc>,
    retry: bool,
    mut edit: impl FnMut(&mut WeekDoc) -> Result<T>,
) -> Result<T> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut doc = match first.take() {
            Some(doc) => doc,
            None => load_week(ctx, week).await?,
        };
        if !doc.has_modified_at() {
            return Err(CoreError::Erp(ErpError::BadResponse(
                "the week log has no modified_at, so it cannot be saved safely".into(),
            )));
        }
        let before = doc.snapshot();
        let result = edit(&mut doc)?;
        match ctx.erp.save_week(week, &doc.to_value()).await {
            Ok(answer) => {
                // The ERP's answer is the week as stored, when it sends it back.
                let after = WeekDoc::new(week.id, week.monday, answer).map(|d| d.snapshot()).unwrap_or(doc.snapshot());
                let week_starting = week.monday.to_string();
                ctx.erp.record(WeekChange { week_starting, week_log_id: week.id, before, after });
                return Ok(result);
            }
            Err(CoreError::Erp(ErpError::Status { status: 409, .. })) if retry && attempt == 1 => {
                tracing::info!(week = %week.monday, "week changed elsewhere while saving; redoing on a fresh copy");
            }
            Err(CoreError::Erp(e @ ErpError::Status { status: 409, .. })) => {
                return Err(CoreError::Changed(format!(
                    "The week of {} changed in the ERP while this was being saved, so it was not saved ({e}).",
                    week.monday
                )));
            }
            Err(e) => return Err(e),
        }
    }
}

/// An entry as the Slack endpoint takes it.
pub(crate) fn slack_log(date: NaiveDate, minutes: u32, description: &str, project: &Project, label: i64) -> Value {
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
/// gone through. The week log the ERP made is read back for undo (its
/// tasks before: none).
pub(crate) async fn add_without_week(ctx: &Ctx, monday: NaiveDate, logs: Vec<Value>) -> Result<()> {
    if ctx.call.is_repeat() {
        return Err(CoreError::NotRepeated { monday });
    }
    match ctx.erp.slack_add(logs).await {
        Ok(_) => {}
        Err(CoreError::Erp(cause @ (ErpError::Status { .. } | ErpError::Redirect { .. }))) => {
            return Err(CoreError::WeekNotAddable { monday, cause });
        }
        Err(e) => return Err(e),
    }
    let made = super::resolve::find_week(ctx, monday).await;
    match made {
        Ok(Some(week)) => match load_week(ctx, week).await {
            Ok(doc) => {
                let (week_starting, after) = (monday.to_string(), doc.snapshot());
                ctx.erp.record(WeekChange { week_starting, week_log_id: week.id, before: Value::Null, after });
            }
            Err(e) => tracing::warn!(week = %monday, error = %e, "could not read back the week for undo"),
        },
        Ok(None) => tracing::warn!(week = %monday, "the entries were added but no week log lists them"),
        Err(e) => tracing::warn!(week = %monday, error = %e, "could not read back the week for undo"),
    }
    Ok(())
}

fn outcome(plan: &Plan, w: &Write, kind: DayOutcomeKind) -> DayOutcome {
    let copy = matches!(plan.kind, Kind::Copy { .. });
    DayOutcome {
        date: w.date.to_string(),
        outcome: kind,
        reason: None,
        note: w.note.clone(),
        time: Some(duration(i64::from(w.minutes))),
        project_name: copy.then(|| w.project.name.clone()),
        description: copy.then(|| w.description.clone()),
        error: None,
    }
}

fn week_outcome(w: &WeekPlan, error: Option<String>) -> WeekOutcome {
    let minutes: i64 = w.writes.iter().map(|e| i64::from(e.minutes)).sum();
    WeekOutcome {
        week_starting: w.monday.to_string(),
        week_log_id: w.week.map(|r| r.id),
        entries: w.writes.len() as u32,
        time: duration(minutes),
        error,
    }
}

/// Why days were left out, e.g. "8 weekend, 1 holiday".
fn reasons(days: &[DayOutcome]) -> String {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for d in days.iter().filter(|d| d.outcome == DayOutcomeKind::Skipped) {
        let r = match d.reason {
            Some(SkipReason::Weekend) => "weekend",
            Some(SkipReason::Holiday) => "holiday",
            Some(SkipReason::Leave) => "leave",
            Some(SkipReason::CompletedWeek) => "in a completed week",
            Some(SkipReason::AlreadyLogged) => "already logged",
            Some(SkipReason::ProjectNotInWeek) | None => "other",
        };
        *by.entry(r).or_default() += 1;
    }
    by.into_iter().map(|(r, n)| format!("{n} {r}")).collect::<Vec<_>>().join(", ")
}

/// Every outcome with the counts and one sentence.
fn tally(
    plan: &Plan,
    mut days: Vec<DayOutcome>,
    weeks: Vec<WeekOutcome>,
    (dry_run, plan_id): (bool, Option<String>),
    change_id: Option<String>,
) -> DaysWritten {
    days.extend(plan.left_out.iter().cloned());
    days.sort_by(|a, b| a.date.cmp(&b.date));
    let count = |k: &[DayOutcomeKind]| days.iter().filter(|o| k.contains(&o.outcome)).count() as u32;
    let created = count(&[DayOutcomeKind::Created, DayOutcomeKind::WouldCreate]);
    let updated = count(&[DayOutcomeKind::Updated, DayOutcomeKind::WouldUpdate]);
    let (skipped, failed) = (count(&[DayOutcomeKind::Skipped]), count(&[DayOutcomeKind::Failed]));
    let ok = created + updated;
    let status = match (ok, failed) {
        (_, 0) => FillStatus::Success,
        (0, _) => FillStatus::Error,
        _ => FillStatus::PartialError,
    };
    let message = sentence(plan, (ok, skipped, failed), &days, (dry_run, plan_id.as_deref()));
    let (project_id, project_name) = match &plan.project {
        Some(p) => (Some(p.id), Some(p.name.clone())),
        None => (None, None),
    };
    DaysWritten {
        status,
        message,
        dry_run,
        plan_id,
        change_id,
        project_id,
        project_name,
        created,
        updated,
        skipped,
        failed,
        days,
        weeks,
    }
}

/// The one sentence of a result: what was (or would be) saved, left out and failed.
fn sentence(
    plan: &Plan,
    (ok, skipped, failed): (u32, u32, u32),
    days: &[DayOutcome],
    (dry_run, plan_id): (bool, Option<&str>),
) -> String {
    let mut message = match plan.kind {
        Kind::Fill { minutes } => {
            let verb = if dry_run { "Would log" } else { "Logged" };
            let name = plan.project.as_ref().map(|p| p.name.as_str()).unwrap_or_default();
            format!("{verb} {} on {ok} of {} day(s) on {name:?}", hm(i64::from(minutes)), ok + failed)
        }
        Kind::Copy { from, to } => {
            let verb = if dry_run { "Would copy" } else { "Copied" };
            format!("{verb} {ok} of {} entr(ies) from the week of {from} to the week of {to}", ok + failed)
        }
    };
    if skipped > 0 {
        message += &format!(" ({skipped} left out: {})", reasons(days));
    }
    if failed > 0 {
        message += &format!("; {failed} failed");
    }
    message.push('.');
    match plan_id {
        Some(id) => message += &format!(" Nothing is saved yet: apply_plan with plan_id {id:?} saves exactly this."),
        None if ok == 0 && failed == 0 => message += " Nothing to save.",
        None => {}
    }
    message
}
