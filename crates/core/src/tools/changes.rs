//! `list_changes`, `undo_last_change` and `undo_change`. Every call that saved
//! a week left, on its closing audit line, the week's tasks before and after
//! (see `router` and `session_erp`). An undo reads each week of the change,
//! refuses (saving nothing) if any differs from how the change left it, and
//! otherwise saves each week's earlier tasks back. The undo is a change of its
//! own, marked as undoing the first, so undoing it redoes.

use std::collections::HashMap;

use erp_proto::admin::{AuditEntry, Change, WeekChange};
use erp_proto::tools::{
    ChangeSummary, ListChangesArgs, ListChangesOutput, NoArgs, UndoChangeArgs, UndoOutput, UndoneWeek,
};
use futures::StreamExt;

use super::plan::save_edited;
use super::resolve::load_week;
use crate::erp::WeekRef;
use crate::error::{CoreError, Result};
use crate::router::Ctx;
use crate::week::{WeekDoc, describe_diff, entries_of};

/// Audit entries looked through for changes (newest first).
const HISTORY: usize = 5000;

/// The user's changes, newest first, and who undid which.
struct History {
    changes: Vec<(AuditEntry, Change)>,
    undone_by: HashMap<String, String>,
}

async fn history(ctx: &Ctx) -> Result<History> {
    let entries = ctx.call.core.audit().recent(HISTORY).await?;
    let mut changes = Vec::new();
    let mut undone_by = HashMap::new();
    for mut e in entries.into_iter().filter(|e| e.user == ctx.erp.email()) {
        let Some(c) = e.change.take() else { continue };
        if let Some(undone) = &c.undoes {
            undone_by.entry(undone.clone()).or_insert_with(|| c.id.clone());
        }
        changes.push((e, c));
    }
    Ok(History { changes, undone_by })
}

/// `list_changes`, checked.
pub(crate) struct Limit(usize);

impl TryFrom<ListChangesArgs> for Limit {
    type Error = CoreError;
    fn try_from(a: ListChangesArgs) -> Result<Self> {
        match a.limit.unwrap_or(20) {
            n @ 1..=100 => Ok(Self(n as usize)),
            n => Err(CoreError::invalid(format!("limit must be 1 to 100, got {n}."))),
        }
    }
}

pub(super) async fn list(ctx: Ctx, limit: Limit) -> Result<ListChangesOutput> {
    let h = history(&ctx).await?;
    let changes = h
        .changes
        .into_iter()
        .take(limit.0)
        .map(|(e, c)| ChangeSummary {
            undone_by: h.undone_by.get(&c.id).cloned(),
            change_id: c.id,
            time: e.time,
            tool: e.tool,
            client: e.client,
            detail: e.detail,
            weeks: c.weeks.iter().map(|w| w.week_starting.clone()).collect(),
            undoes: c.undoes,
        })
        .collect();
    Ok(ListChangesOutput { changes })
}

pub(super) async fn undo_last(ctx: Ctx, _: NoArgs) -> Result<UndoOutput> {
    let h = history(&ctx).await?;
    let last = h.changes.iter().find(|(_, c)| c.undoes.is_none() && !h.undone_by.contains_key(&c.id));
    let Some((entry, change)) = last else {
        return Err(CoreError::invalid(
            "There is no change to undo: no write made through ERP Helper as this account is left undone \
             (list_changes shows them).",
        ));
    };
    undo(&ctx, entry, change).await
}

/// `undo_change`, checked.
pub(crate) struct ChangeId(String);

impl TryFrom<UndoChangeArgs> for ChangeId {
    type Error = CoreError;
    fn try_from(a: UndoChangeArgs) -> Result<Self> {
        let id = a.change_id.trim();
        let hex = id.strip_prefix("chg_").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()));
        if !hex || id.len() > 40 {
            return Err(CoreError::invalid(format!(
                "change_id {} is not a change id (they look like \"chg_3f2a…\"; list_changes shows them).",
                crate::error::shown(&a.change_id)
            )));
        }
        Ok(Self(id.to_string()))
    }
}

pub(super) async fn undo_one(ctx: Ctx, id: ChangeId) -> Result<UndoOutput> {
    let h = history(&ctx).await?;
    let Some((entry, change)) = h.changes.iter().find(|(_, c)| c.id == id.0) else {
        return Err(CoreError::invalid(format!(
            "change_id {:?} is not one of your recent changes (list_changes shows them).",
            id.0
        )));
    };
    if let Some(by) = h.undone_by.get(&id.0) {
        return Err(CoreError::invalid(format!(
            "change_id {:?} was already undone by {by:?} (undo_change on {by:?} redoes it).",
            id.0
        )));
    }
    undo(&ctx, entry, change).await
}

/// Each week the change saved, once: its tasks before the first save and after the last.
fn weeks_of(change: &Change) -> Vec<WeekChange> {
    let mut out: Vec<WeekChange> = Vec::new();
    for w in &change.weeks {
        match out.iter_mut().find(|o| o.week_log_id == w.week_log_id) {
            Some(o) => o.after = w.after.clone(),
            None => out.push(w.clone()),
        }
    }
    out
}

async fn undo(ctx: &Ctx, entry: &AuditEntry, change: &Change) -> Result<UndoOutput> {
    let weeks = weeks_of(change);
    let refs: Vec<WeekRef> = weeks
        .iter()
        .map(|w| Ok(WeekRef { id: w.week_log_id, monday: w.week_starting.parse().map_err(|_| bad_record(change))? }))
        .collect::<Result<_>>()?;
    let docs: Vec<WeekDoc> = futures::stream::iter(refs.clone())
        .map(|r| async move { load_week(ctx, r).await })
        .buffered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    let changed: Vec<String> = weeks
        .iter()
        .zip(&docs)
        .filter_map(|(w, doc)| {
            describe_diff(&entries_of(&w.after), &doc.entries()).map(|d| format!("the week of {} {d}", w.week_starting))
        })
        .collect();
    if !changed.is_empty() {
        return Err(CoreError::Changed(format!(
            "Nothing was undone: since change {:?} ({}), {}. Undo would overwrite that; change the week back (or \
             fix it by hand) first.",
            change.id,
            entry.tool,
            changed.join("; ")
        )));
    }
    ctx.erp.mark_undo_of(&change.id);
    let mut out = Vec::new();
    for ((w, r), doc) in weeks.iter().zip(refs).zip(docs) {
        let saved = save_edited(ctx, r, Some(doc), false, |doc| {
            doc.restore(&w.before);
            Ok(())
        })
        .await;
        let error = match saved {
            Ok(()) => None,
            Err(e @ CoreError::SessionExpired { .. }) => return Err(e),
            Err(e) => Some(e.to_rpc().message),
        };
        let (week_starting, week_log_id) = (w.week_starting.clone(), w.week_log_id);
        out.push(UndoneWeek { week_starting, week_log_id, restored: error.is_none(), error });
    }
    let restored = out.iter().filter(|w| w.restored).count();
    let message = if restored == out.len() {
        format!("Undid change {:?} ({}): {restored} week(s) have their earlier tasks back.", change.id, entry.tool)
    } else {
        format!(
            "Undid change {:?} ({}) in {restored} of {} week(s); see the weeks for what failed.",
            change.id,
            entry.tool,
            out.len()
        )
    };
    Ok(UndoOutput { undone_change_id: change.id.clone(), change_id: ctx.erp.change_id(), weeks: out, message })
}

fn bad_record(change: &Change) -> CoreError {
    CoreError::Internal(format!("the audit record of change {} has a week without a valid Monday", change.id))
}
