//! The ERP as a tool call sees it: the ERP client bound to the call's session.
//! This is the one place where "the ERP said 401" becomes "the session
//! expired" (only that session, by generation), so no call site can forget
//! it and leave a revoked token live. After a sign-out (or another sign-in)
//! no further request of a running call carries the old token. Tools get only
//! this, never the token.

use chrono::NaiveDate;
use erp_proto::tools::{Label, Project};
use serde_json::Value;

use crate::erp::{ErpClient, WeekRef};
use crate::error::{CoreError, ErpError, Result};
use crate::session::{Auth, Sessions};

/// The ERP client bound to one call's session.
#[derive(Clone)]
pub struct SessionErp {
    erp: ErpClient,
    auth: Auth,
    sessions: Sessions,
}

impl SessionErp {
    /// Bind `erp` to `auth`; a 401 expires `auth`'s session in `sessions`.
    pub fn new(erp: ErpClient, auth: Auth, sessions: Sessions) -> Self {
        Self { erp, auth, sessions }
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
    pub async fn save_week(&self, id: i64, doc: &Value) -> Result<Value> {
        self.still_current()?;
        self.check(self.erp.save_week(self.auth.token(), id, doc).await).await
    }

    /// Complete (or keep as draft) a week.
    pub async fn complete_week(&self, id: i64, save_draft: bool) -> Result<Value> {
        self.still_current()?;
        self.check(self.erp.complete_week(self.auth.token(), id, save_draft).await).await
    }

    /// Add entries where no week log exists, as the call's account.
    pub async fn slack_add(&self, logs: Vec<Value>) -> Result<Value> {
        self.still_current()?;
        self.check(self.erp.slack_add(self.auth.token(), self.auth.email(), logs).await).await
    }
}
