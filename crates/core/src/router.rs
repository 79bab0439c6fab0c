//! The typed router: every tool and admin method is registered once against
//! its erp-proto [`Method`] type, and the rules every call obeys are layers
//! here, driven by what each method declares:
//!
//! 1. arguments: the JSON must deserialise into `M::Args` (the error names the
//!    field), then convert into the handler's checked type (`TryFrom`), before
//!    any session or ERP is touched;
//! 2. scope: admin methods are refused from the shim;
//! 3. session: a handler taking [`Ctx`] runs only for a signed-in, authorized
//!    user, with the ERP bound to that session (where a 401 expires it); a
//!    tool call from an MCP host that finds none opens a sign-in, once per
//!    user action (see `prompt`);
//! 4. audit: a non-read-only method run as the user is audited: each ERP write
//!    it sends gets an intent line before and an outcome line after (see
//!    `session_erp`), and the call a closing line, all with the call's user;
//!    the closing line carries the call's change (every week it saved, its
//!    tasks before and after), which the undo tools read back;
//! 5. cancellation: a read is dropped at once; a write is never cut inside a
//!    save, it sees the cancel and stops at its next safe point (a fill
//!    between weeks), and reports what was saved;
//! 6. the error-to-wire mapping, logged once per failure.
//!
//! Read-only mode (a setting the tray can change) sits between 1 and 3: a tool
//! that would write as the user is refused there, before any session or ERP.
//!
//! A handler with the wrong argument or output type does not compile.
//! Not here: framing (see `ipc`), what each method does (see `tools`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use erp_proto::admin::{AuditEntry, Change};
use erp_proto::{ClientInfo, ErrorCode, Method, RpcError, Scope};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::core::CoreHandle;
use crate::error::{CoreError, Result};
use crate::session_erp::{Journal, SessionErp};

/// Receives progress of a long call: (done, total, message).
pub type ProgressSink = Arc<dyn Fn(f64, Option<f64>, String) + Send + Sync>;

/// Work to do once a call's answer is on the wire (e.g. quit the app).
pub type AfterReply = Box<dyn FnOnce() + Send>;

/// Everything a call arrives with, before any session is looked at.
#[derive(Clone)]
pub struct Call {
    /// The core.
    pub core: CoreHandle,
    /// Who is calling (the shim and its MCP host, or the CLI).
    pub client: ClientInfo,
    progress: ProgressSink,
    cancel: CancellationToken,
    repeat: bool,
    after_reply: Arc<Mutex<Option<AfterReply>>>,
}

impl Call {
    /// A call from `client`, reporting progress to `progress`, stopped by `cancel`.
    pub fn new(core: CoreHandle, client: ClientInfo, progress: ProgressSink, cancel: CancellationToken) -> Self {
        Self { core, client, progress, cancel, repeat: false, after_reply: Arc::default() }
    }

    /// Mark this call as a repeat of one whose answer was lost.
    pub fn repeated(self, repeat: bool) -> Self {
        Self { repeat, ..self }
    }

    /// Whether this is a repeat of a call whose answer was lost: no additive
    /// write may be taken for it.
    pub fn is_repeat(&self) -> bool {
        self.repeat
    }

    /// Report progress.
    pub fn progress(&self, done: f64, total: Option<f64>, message: String) {
        (self.progress)(done, total, message)
    }

    /// Whether the caller cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Run `then` once this call's answer has been written.
    pub fn after_reply(&self, then: impl FnOnce() + Send + 'static) {
        *self.after_reply.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(then));
    }
}

/// A call that runs as the signed-in, authorized user.
#[derive(Clone)]
pub struct Ctx {
    /// The call.
    pub call: Call,
    /// The ERP, bound to this call's session.
    pub erp: SessionErp,
}

impl Ctx {
    /// Settings.
    pub fn config(&self) -> &crate::Config {
        self.call.core.config()
    }
}

/// What a handler's first argument can be: built from the call, or a refusal.
pub trait FromCall: Sized + Send + 'static {
    /// Whether a non-read-only method with this context writes as the user (and is audited).
    const AS_USER: bool;
    /// Build it.
    fn from_call(call: &Call) -> Result<Self>;
    /// Journal the ERP writes made through it.
    fn journalled(self, _journal: Journal) -> Self {
        self
    }
    /// The account it runs as, if any.
    fn user(&self) -> Option<&str> {
        None
    }
}

impl FromCall for Call {
    const AS_USER: bool = false;
    fn from_call(call: &Call) -> Result<Self> {
        Ok(call.clone())
    }
}

impl FromCall for Ctx {
    const AS_USER: bool = true;
    fn from_call(call: &Call) -> Result<Self> {
        let core = &call.core;
        let auth = core.sessions().auth()?;
        if !core.allowlist().permits(auth.email()) {
            return Err(CoreError::NotAuthorized { email: auth.email().to_string() });
        }
        let erp = SessionErp::new(core.erp().clone(), auth, core.sessions().clone());
        Ok(Self { call: call.clone(), erp })
    }
    fn journalled(self, journal: Journal) -> Self {
        Self { erp: self.erp.journalled(journal), ..self }
    }
    fn user(&self) -> Option<&str> {
        Some(self.erp.email())
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Value>> + Send>>;
type RouteFn = Box<dyn Fn(Call, Value) -> BoxFuture + Send + Sync>;

struct Route {
    scope: Scope,
    /// Whether a cancel may drop the call at once (all but the ERP writes).
    droppable: bool,
    run: RouteFn,
}

/// A call's answer, and what to do once it is written.
pub struct Reply {
    /// The output, or the error for the wire.
    pub result: std::result::Result<Value, RpcError>,
    /// Set by a handler through [`Call::after_reply`].
    pub after_reply: Option<AfterReply>,
}

/// Every method, by name.
#[derive(Default)]
pub struct Router {
    routes: HashMap<&'static str, Route>,
}

/// Parse JSON params into `A`, naming the bad field.
fn parse<A: DeserializeOwned>(params: Value) -> Result<A> {
    let params = if params.is_null() { Value::Object(Default::default()) } else { params };
    serde_path_to_error::deserialize(params).map_err(|e| {
        let path = crate::error::capped(&e.path().to_string());
        let inner = crate::error::capped(&e.into_inner().to_string());
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

fn client_label(c: &ClientInfo) -> String {
    match (&c.mcp_client, &c.mcp_client_version) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n.clone(),
        _ => format!("{} {}", c.name, c.version),
    }
}

/// The audit layer: one line per write attempt that got past its arguments,
/// with the weeks it saved (its change).
fn audit_entry<M: Method>(
    call: &Call,
    user: &str,
    args: Value,
    result: &Result<M::Output>,
    change: Option<Change>,
) -> Option<AuditEntry> {
    let (outcome, detail) = match result {
        Ok(out) => ("ok", M::summary(out)),
        // Arguments the ERP data refused (no such project…) changed nothing: no line.
        Err(CoreError::InvalidParams(_)) if change.is_none() => return None,
        Err(e) => ("error", e.to_rpc().message),
    };
    Some(AuditEntry {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        client: client_label(&call.client),
        user: user.to_string(),
        tool: M::NAME.into(),
        args,
        outcome: outcome.into(),
        detail,
        change,
    })
}

/// The sign-in layer: a tool call from an MCP host that finds no session
/// opens a sign-in (once per user action) and says where to finish.
async fn prompt(call: &Call, cause: CoreError) -> CoreError {
    let host = call.client.mcp_client.as_deref().map(erp_proto::hosts::display_name);
    let opened = call.core.open_sign_in(None, host, crate::core::Asked::ByCall).await;
    CoreError::SignInOpened { cause: Box::new(cause), opened: opened.message().to_string() }
}

/// Every layer but the boundary's, for one method.
async fn layers<M, A, C, H, Fut>(handler: Arc<H>, call: Call, params: Value) -> Result<Value>
where
    M: Method,
    A: TryFrom<M::Args>,
    CoreError: From<A::Error>,
    C: FromCall,
    H: Fn(C, A) -> Fut,
    Fut: Future<Output = Result<M::Output>>,
{
    let audited = C::AS_USER && !M::HINTS.read_only;
    let audit_args = audited.then(|| params.clone());
    let checked = A::try_from(parse::<M::Args>(params)?)?;
    // Read-only mode: a tool that would change the ERP goes no further.
    if M::SCOPE == Scope::Tool && audited && call.core.read_only() {
        return Err(CoreError::ReadOnlyMode { tool: M::NAME });
    }
    let journal = audited.then(|| Journal::new(call.core.audit().clone(), client_label(&call.client), M::NAME));
    let (user, result) = match C::from_call(&call) {
        Ok(ctx) => {
            let user = ctx.user().unwrap_or_default().to_string();
            let ctx = match &journal {
                Some(j) => ctx.journalled(j.clone()),
                None => ctx,
            };
            (user, handler(ctx, checked).await)
        }
        Err(e) => (String::new(), Err(e)),
    };
    let change = journal.and_then(|j| j.change());
    if let Some(entry) = audit_args.and_then(|args| audit_entry::<M>(&call, &user, args, &result, change)) {
        call.core.audit().append(entry).await;
    }
    let result = match result {
        Err(e) if e.needs_sign_in() && call.client.name == "erp-mcp" => Err(prompt(&call, e).await),
        r => r,
    };
    serde_json::to_value(result?).map_err(|e| CoreError::Internal(format!("{} output: {e}", M::NAME)))
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register `handler` for method `M` (pass the marker, e.g. `GetWeekLogs`).
    /// Its first argument decides whether it needs a session ([`Ctx`]) or not
    /// ([`Call`]); its second is `M::Args` or a checked type built from it.
    pub fn add<M, A, C, H, Fut>(&mut self, _method: M, handler: H) -> &mut Self
    where
        M: Method + 'static,
        A: TryFrom<M::Args> + Send + 'static,
        CoreError: From<A::Error>,
        C: FromCall,
        H: Fn(C, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Output>> + Send + 'static,
    {
        assert!(!self.routes.contains_key(M::NAME), "method {} registered twice", M::NAME);
        let handler = Arc::new(handler);
        let run: RouteFn =
            Box::new(move |call, params| Box::pin(layers::<M, A, C, H, Fut>(handler.clone(), call, params)));
        self.routes.insert(M::NAME, Route { scope: M::SCOPE, droppable: M::HINTS.read_only || !C::AS_USER, run });
        self
    }

    /// The registered method names.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes.keys().copied()
    }

    /// Run `method` for `call`. The boundary: errors become their wire form
    /// here, and each failure is logged once.
    pub async fn dispatch(&self, call: Call, method: &str, params: Value) -> Reply {
        let after_reply = call.after_reply.clone();
        let cancel = call.cancel.clone();
        let result = match self.routes.get(method) {
            None => Err(CoreError::invalid(format!("Unknown method {}.", crate::error::shown(method)))),
            // The shim only forwards tools; an admin call from it means something is wrong.
            Some(r) if r.scope == Scope::Admin && call.client.name == "erp-mcp" => {
                Err(CoreError::invalid(format!("{method} is not available to MCP clients.")))
            }
            Some(route) if route.droppable => tokio::select! {
                r = (route.run)(call, params) => r,
                () = cancel.cancelled() => Err(CoreError::Cancelled),
            },
            // A write runs to its next safe point and says what it saved.
            Some(route) => (route.run)(call, params).await,
        };
        let result = result.map_err(|e| {
            let rpc = RpcError::from(&e);
            if e.is_internal() {
                tracing::error!(method, error = %e, "internal error");
            } else if rpc.code != ErrorCode::InvalidParams {
                tracing::info!(method, code = %rpc.code, "request failed");
            }
            rpc
        });
        let after_reply = after_reply.lock().unwrap_or_else(|p| p.into_inner()).take();
        Reply { result, after_reply }
    }
}
