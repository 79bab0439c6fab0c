//! The ERP as a tool call sees it: the ERP client bound to the call's session.
//! This is the one place where "the ERP said 401" becomes "the session
//! expired" (only that session, by generation), so no call site can forget
//! it and leave a revoked token live. After a sign-out (or another sign-in)
//! no further request of a running call carries the old token. Every write
//! it sends is journalled: an audit line before the request (intent) and one
//! after (its outcome), with the call's user, so a crash between the two
//! leaves the intent to look at. Each week a call saves is also recorded, its
//! tasks before and after, for the call's closing audit line (the change that
//! `undo_change` undoes). Tools get only this, never the token.

use chrono::NaiveDate;
use erp_proto::tools::{Label, Project};
use serde_json::Value;

use std::sync::{Arc, Mutex};

use erp_proto::admin::{AuditEntry, Change, WeekChange};

use crate::audit::AuditLog;
use crate::erp::{ErpClient, LeavesRead, LeavesWrite, WeekRef};
use crate::error::{CoreError, ErpError, Result};
use crate::session::{Auth, Sessions};

/// Where a call's ERP writes are journalled, and under which names.
#[derive(Clone)]
pub struct Journal {
    /// The audit log.
    pub audit: AuditLog,
    /// The client, as the audit shows it.
    pub client: String,
    /// The tool.
    pub tool: &'static str,
    /// The weeks the call saved, for its change record.
    changes: Arc<Mutex<ChangeDraft>>,
}

#[derive(Default)]
struct ChangeDraft {
    id: String,
    undoes: Option<String>,
    weeks: Vec<WeekChange>,
}

/// A new change id: `chg_` and 12 random hex digits.
fn change_id() -> String {
    crate::kept::random_id("chg_")
}

impl Journal {
    /// Journal `tool`'s writes for `client` in `audit`.
    pub fn new(audit: AuditLog, client: String, tool: &'static str) -> Self {
        let draft = ChangeDraft { id: change_id(), ..Default::default() };
        Self { audit, client, tool, changes: Arc::new(Mutex::new(draft)) }
    }

    fn draft(&self) -> std::sync::MutexGuard<'_, ChangeDraft> {
        self.changes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The call's change, if it saved any week.
    pub fn change(&self) -> Option<Change> {
        let d = self.draft();
        (!d.weeks.is_empty()).then(|| Change { id: d.id.clone(), undoes: d.undoes.clone(), weeks: d.weeks.clone() })
    }
}

/// The ERP client bound to one call's session.
#[derive(Clone)]
pub struct SessionErp {
    erp: ErpClient,
    auth: Auth,
    sessions: Sessions,
    journal: Option<Journal>,
}

impl SessionErp {
    /// Bind `erp` to `auth`; a 401 expires `auth`'s session in `sessions`.
    pub fn new(erp: ErpClient, auth: Auth, sessions: Sessions) -> Self {
        Self { erp, auth, sessions, journal: None }
    }

    /// Journal every write of this call in `journal`.
    pub fn journalled(mut self, journal: Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    async fn journal(&self, outcome: &str, detail: String) {
        if let Some(j) = &self.journal {
            let entry = AuditEntry {
                time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                client: j.client.clone(),
                user: self.auth.email().to_string(),
                tool: j.tool.into(),
                args: Value::Null,
                outcome: outcome.into(),
                detail,
                change: None,
            };
            j.audit.append(entry).await;
        }
    }

    /// One write: the intent line, the request, the outcome line.
    async fn write(&self, what: String, request: impl Future<Output = Result<Value, ErpError>>) -> Result<Value> {
        self.still_current()?;
        self.journal("intent", what.clone()).await;
        let answer = self.check(request.await).await;
        match &answer {
            Ok(_) => self.journal("done", what).await,
            Err(e) => self.journal("failed", format!("{what}: {}", e.to_rpc().message)).await,
        }
        answer
    }

    /// Record a saved week (its tasks before and after) in the call's change.
    pub fn record(&self, week: WeekChange) {
        if let Some(j) = &self.journal {
            j.draft().weeks.push(week);
        }
    }

    /// Mark the call's change as the undo of `id`.
    pub fn mark_undo_of(&self, id: &str) {
        if let Some(j) = &self.journal {
            j.draft().undoes = Some(id.to_string());
        }
    }

    /// The id of the call's change, once it has saved a week.
    pub fn change_id(&self) -> Option<String> {
        let j = self.journal.as_ref()?;
        let d = j.draft();
        (!d.weeks.is_empty()).then(|| d.id.clone())
    }

    /// The account the call runs as.
    pub fn email(&self) -> &str {
        self.auth.email()
    }

    /// The session must still be the current one before its token is sent.
    fn still_current(&self) -> Result<()> {
        if self.auth.ended() { Err(CoreError::SessionEnded) } else { Ok(()) }
    }

    async fn check<T>(&self, answer: Result<T, ErpError>) -> Result<T> {
        match answer {
            Ok(v) => Ok(v),
            Err(ErpError::Unauthorized) => Err(self.sessions.rejected(&self.auth).await),
            Err(e) => Err(CoreError::Erp(e)),
        }
    }

    /// Active projects.
    pub async fn active_projects(&self) -> Result<Vec<Project>> {
        self.still_current()?;
        self.check(self.erp.active_projects(self.auth.token()).await).await
    }

    /// Log labels.
    pub async fn labels(&self) -> Result<Vec<Label>> {
        self.still_current()?;
        self.check(self.erp.labels(self.auth.token()).await).await
    }

    /// The week logs of `year`.
    pub async fn week_list(&self, year: i32) -> Result<Vec<WeekRef>> {
        self.still_current()?;
        self.check(self.erp.week_list(self.auth.token(), year).await).await
    }

    /// One week document.
    pub async fn week_detail(&self, id: i64) -> Result<Value> {
        self.still_current()?;
        self.check(self.erp.week_detail(self.auth.token(), id).await).await
    }

    /// The raw month list.
    pub async fn month_list(&self, month: NaiveDate) -> Result<Vec<Value>> {
        self.still_current()?;
        use chrono::Datelike;
        self.check(self.erp.month_list(self.auth.token(), month.year(), month.month()).await).await
    }

    /// Save a whole week document; the ERP's own error (e.g. a 409) is kept as it is.
    pub async fn save_week(&self, week: WeekRef, doc: &Value) -> Result<Value> {
        let what = format!("save the week of {} (week log {})", week.monday, week.id);
        self.write(what, self.erp.save_week(self.auth.token(), week.id, doc)).await
    }

    /// Complete (or keep as draft) a week.
    pub async fn complete_week(&self, week: WeekRef, save_draft: bool) -> Result<Value> {
        let verb = if save_draft { "keep as a draft" } else { "complete" };
        let what = format!("{verb} the week of {} (week log {})", week.monday, week.id);
        self.write(what, self.erp.complete_week(self.auth.token(), week.id, save_draft)).await
    }

    /// A read of the leaves API.
    pub async fn leaves(&self, read: LeavesRead) -> Result<Value> {
        self.still_current()?;
        self.check(self.erp.leaves_read(self.auth.token(), read).await).await
    }

    /// A write to the leaves API, journalled like every write.
    pub async fn leaves_write(&self, write: LeavesWrite) -> Result<Value> {
        let what = match &write {
            LeavesWrite::Apply(b) => format!(
                "apply for leave {} to {}",
                b.get("start_date").and_then(Value::as_str).unwrap_or("?"),
                b.get("end_date").and_then(Value::as_str).unwrap_or("?")
            ),
            LeavesWrite::Cancel(id) => format!("cancel leave {id}"),
            LeavesWrite::Encash(b) => format!("encash {} days of leave type {}", b["days"], b["leave_type"]),
        };
        self.write(what, self.erp.leaves_write(self.auth.token(), &write)).await
    }

    /// Add entries where no week log exists, as the call's account.
    pub async fn slack_add(&self, logs: Vec<Value>) -> Result<Value> {
        let days: Vec<&str> = logs.iter().filter_map(|l| l.get("date").and_then(Value::as_str)).collect();
        let what = format!(
            "add {} entr{} without a week log ({})",
            logs.len(),
            if logs.len() == 1 { "y" } else { "ies" },
            days.join(", ")
        );
        self.write(what, self.erp.slack_add(self.auth.token(), self.auth.email(), logs.clone())).await
    }
}
