//! Every tool and admin method, dispatched by name. Each tool validates its
//! arguments before any ERP call (messages name the argument), runs as the
//! session's identity, and returns its typed output. Writes are audited.
//! Not here: framing (see `ipc`) or HTTP details (see `erp`).

mod reads;
mod resolve;
mod writes;

use std::sync::Arc;

use erp_proto::ClientInfo;
use erp_proto::admin::{self, AuditEntry};
use erp_proto::tools::{self as t, Method};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::core::{Auth, CoreHandle};
use crate::erp::ErpError;
use crate::error::{CoreError, Result};

/// Receives progress of a long call: (done, total, message).
pub type ProgressSink = Arc<dyn Fn(f64, Option<f64>, String) + Send + Sync>;

/// What a running call has to hand.
pub(crate) struct Ctx {
    pub(crate) core: CoreHandle,
    pub(crate) auth: Auth,
    pub(crate) progress: ProgressSink,
    pub(crate) cancel: CancellationToken,
}

impl Ctx {
    /// Map an ERP error, turning a 401 into an expired session.
    pub(crate) async fn erp_err(&self, e: ErpError) -> CoreError {
        match e {
            ErpError::Unauthorized => self.core.session_rejected(&self.auth).await,
            other => CoreError::Erp(other),
        }
    }
}

fn parse<A: DeserializeOwned>(params: Value) -> Result<A> {
    let params = if params.is_null() { Value::Object(Default::default()) } else { params };
    serde_path_to_error::deserialize(params).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde lists every accepted field after an unknown one; the schema already says that.
        let inner = match inner.split_once(", expected one of") {
            Some((head, _)) if inner.starts_with("unknown field") => head.to_string(),
            _ => inner,
        };
        if path == "." || path.is_empty() {
            CoreError::invalid(format!("Invalid arguments: {inner}."))
        } else {
            CoreError::invalid(format!("Invalid arguments: {path}: {inner}."))
        }
    })
}

fn out<T: Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| CoreError::Internal(e.to_string()))
}

/// Whether `name` is an MCP tool (as opposed to an admin method).
pub fn is_tool(name: &str) -> bool {
    t::TOOL_NAMES.contains(&name)
}

/// Whether `name` changes the ERP (and is audited).
pub fn is_write(name: &str) -> bool {
    [t::CreateOrUpdateLog::NAME, t::DeleteLog::NAME, t::FillLogsForDays::NAME, t::CompleteWeekLog::NAME].contains(&name)
}

fn client_label(c: &ClientInfo) -> String {
    match (&c.mcp_client, &c.mcp_client_version) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n.clone(),
        _ => format!("{} {}", c.name, c.version),
    }
}

impl CoreHandle {
    /// Run method `name` for `client`. Tools need a session; admin methods don't.
    pub async fn dispatch(
        &self,
        client: &ClientInfo,
        name: &str,
        params: Value,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<Value> {
        if is_tool(name) {
            return self.call_tool(client, name, params, progress, cancel).await;
        }
        if !admin::ADMIN_NAMES.contains(&name) {
            return Err(CoreError::invalid(format!("Unknown method {name:?}.")));
        }
        if client.name == "erp-mcp" {
            // The shim only forwards tools; an admin call from it means something is wrong.
            return Err(CoreError::invalid(format!("{name} is not available to MCP clients.")));
        }
        match name {
            admin::Status::NAME => out(self.status()),
            admin::SignInToken::NAME => {
                let a: admin::SignInTokenArgs = parse(params)?;
                out(self.sign_in_with_token(a.token, None, crate::session::SignInVia::Token).await?)
            }
            admin::SignInGoogle::NAME => {
                let a: admin::SignInGoogleArgs = parse(params)?;
                out(self.sign_in_with_google(self.opener(), a.return_to).await?)
            }
            admin::OpenSignIn::NAME => {
                let a: t::SignInArgs = parse(params)?;
                let method = a.method.unwrap_or(t::SignInMethod::Google);
                let (status, message) = match self.open_sign_in(method, None) {
                    crate::core::SignInStart::Started(m) => (t::SignInStatus::Started, m),
                    crate::core::SignInStart::Manual(m) => (t::SignInStatus::Manual, m),
                };
                let sign_in_url = crate::config::SIGN_IN_LINK.into();
                out(t::SignInOutput { status, email: None, sign_in_url, message })
            }
            admin::SignInDemo::NAME => {
                let a: admin::SignInDemoArgs = parse(params)?;
                out(self.sign_in_demo(a.email).await?)
            }
            admin::SignOut::NAME => out(self.sign_out().await?),
            admin::AllowList::NAME => out(self.allowlist_view()),
            admin::AllowAdd::NAME => out(self.allow_add(&parse::<admin::AllowEntryArgs>(params)?.entry)?),
            admin::AllowRemove::NAME => out(self.allow_remove(&parse::<admin::AllowEntryArgs>(params)?.entry)?),
            admin::Audit::NAME => {
                let a: admin::AuditArgs = parse(params)?;
                out(admin::AuditOutput { entries: self.audit_recent(a.limit.unwrap_or(50).min(10_000))? })
            }
            // The socket server quits the app once this answer is written (see ipc.rs).
            admin::Quit::NAME => out(t::NoArgs {}),
            _ => Err(CoreError::Internal(format!("admin method {name} has no handler"))),
        }
    }

    async fn call_tool(
        &self,
        client: &ClientInfo,
        name: &str,
        params: Value,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<Value> {
        // Tools that need no session.
        match name {
            t::Whoami::NAME => {
                parse::<t::NoArgs>(params)?;
                return out(self.whoami());
            }
            t::SignIn::NAME => return out(reads::sign_in(self, parse(params)?, client.mcp_client.clone())),
            _ => {}
        }
        let audit_args = is_write(name).then(|| params.clone());
        let run = async {
            let validated = Validated::parse(name, params)?;
            let auth = self.auth()?;
            let ctx = Ctx { core: self.clone(), auth, progress, cancel };
            validated.run(&ctx).await
        };
        let result = run.await;
        if let Some(args) = audit_args {
            let user = self.session_view().email.unwrap_or_default();
            let (outcome, detail) = match &result {
                Ok(v) => ("ok", summary(name, v)),
                Err(e) => ("error", e.to_rpc().message),
            };
            // Arguments that never got past validation changed nothing: no audit line.
            if !matches!(result, Err(CoreError::InvalidParams(_))) || outcome == "ok" {
                self.audit(AuditEntry {
                    time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    client: client_label(client),
                    user,
                    tool: name.into(),
                    args,
                    outcome: outcome.into(),
                    detail,
                });
            }
        }
        result
    }
}

fn summary(name: &str, v: &Value) -> String {
    match name {
        "fill_logs_for_days" => v.get("message").and_then(Value::as_str).unwrap_or("").to_string(),
        "complete_week_log" => format!(
            "week of {} {}",
            v["week_starting"].as_str().unwrap_or("?"),
            if v["completed"].as_bool() == Some(true) { "completed" } else { "kept as draft" }
        ),
        "delete_log" => {
            format!("removed {} on {}", v["project_name"].as_str().unwrap_or("?"), v["date"].as_str().unwrap_or("?"))
        }
        _ => format!(
            "{} {} on {}",
            v["action"].as_str().unwrap_or("saved"),
            v["project_name"].as_str().unwrap_or("?"),
            v["date"].as_str().unwrap_or("?")
        ),
    }
}

/// A tool call whose arguments passed validation: nothing here touches the ERP.
enum Validated {
    Projects,
    Labels,
    Week(reads::WeekQuery),
    Day(reads::DayQuery),
    Range(reads::RangeQuery),
    Upsert(writes::Upsert),
    Delete(writes::Delete),
    Fill(writes::Fill),
    Complete(writes::Complete),
    Check(reads::Check),
}

impl Validated {
    fn parse(name: &str, params: Value) -> Result<Self> {
        Ok(match name {
            t::GetActiveProjects::NAME => {
                parse::<t::NoArgs>(params)?;
                Self::Projects
            }
            t::GetLogLabels::NAME => {
                parse::<t::NoArgs>(params)?;
                Self::Labels
            }
            t::GetWeekLogs::NAME => Self::Week(reads::WeekQuery::validate(parse(params)?)?),
            t::GetDayLogs::NAME => Self::Day(reads::DayQuery::validate(parse(params)?)?),
            t::GetLogsForDateRange::NAME => Self::Range(reads::RangeQuery::from_range(parse(params)?)?),
            t::GetMonthLogs::NAME => Self::Range(reads::RangeQuery::from_month(parse(params)?)?),
            t::CreateOrUpdateLog::NAME => Self::Upsert(writes::Upsert::validate(parse(params)?)?),
            t::DeleteLog::NAME => Self::Delete(writes::Delete::validate(parse(params)?)?),
            t::FillLogsForDays::NAME => Self::Fill(writes::Fill::validate(parse(params)?)?),
            t::CompleteWeekLog::NAME => Self::Complete(writes::Complete::validate(parse(params)?)?),
            t::CheckPersonWeekProjectExists::NAME => Self::Check(reads::Check::validate(parse(params)?)?),
            other => return Err(CoreError::Internal(format!("tool {other} has no handler"))),
        })
    }

    async fn run(self, ctx: &Ctx) -> Result<Value> {
        match self {
            Self::Projects => out(reads::projects(ctx).await?),
            Self::Labels => out(reads::labels(ctx).await?),
            Self::Week(q) => out(q.run(ctx).await?),
            Self::Day(q) => out(q.run(ctx).await?),
            Self::Range(q) => out(q.run(ctx).await?),
            Self::Upsert(w) => out(w.run(ctx).await?),
            Self::Delete(w) => out(w.run(ctx).await?),
            Self::Fill(w) => out(w.run(ctx).await?),
            Self::Complete(w) => out(w.run(ctx).await?),
            Self::Check(q) => out(q.run(ctx).await?),
        }
    }
}
