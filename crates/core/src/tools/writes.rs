//! The one-entry write tools. Every save sends back the whole week document
//! with its `modified_at`; a save the ERP refuses as stale (409) is redone
//! once on a fresh copy, so a concurrent edit in the web app is never
//! overwritten. Fills and copies are in `fill`; plans and saving in `plan`.

use chrono::NaiveDate;
use erp_proto::tools::{
    CompleteWeekLogArgs, CompleteWeekLogOutput, CreateOrUpdateLogArgs, CreateOrUpdateLogOutput, DeleteLogArgs,
    DeleteLogOutput, EntryAction,
};
use serde_json::Value;

use super::plan::{add_without_week, save_edited, slack_log};
use super::resolve::{LabelRef, ProjectRef, description, find_week, project_not_in_week};
use crate::dates::{duration, minutes_for_hours, monday_of, parse_date, parse_monday};
use crate::erp::WeekRef;
use crate::error::{CoreError, Result};
use crate::router::Ctx;
use crate::week::WeekDoc;

/// Load a week, apply `edit`, save (once more on a fresh copy after a 409),
/// recording the week's tasks before and after for undo.
async fn edit_week<T>(ctx: &Ctx, week: WeekRef, edit: impl FnMut(&mut WeekDoc) -> Result<T>) -> Result<T> {
    save_edited(ctx, week, None, true, edit).await
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
        change_id: ctx.erp.change_id(),
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
        change_id: ctx.erp.change_id(),
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
