//! App-control methods: what `erp-helper status|signin|signout|allow|audit` send
//! to the running app. Not MCP tools: the shim never forwards them, and the app
//! refuses them from a connection that said it is `erp-mcp`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ClientInfo;
use crate::tools::{Hints, Method, NoArgs, Scope, SessionState};

/// An ERP token (the DRF `Authorization: Token` key). `Debug` never shows it;
/// read it with [`ErpToken::expose`]. It serialises as the plain string because
/// two places need it whole: `app_signin_token` (CLI → app over the private
/// socket) and the stored session (keychain). Never put it anywhere else.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErpToken(String);

impl ErpToken {
    /// Wrap a token.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ErpToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ErpToken(<redacted>)")
    }
}

impl JsonSchema for ErpToken {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ErpToken".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(g)
    }
}

macro_rules! admin {
    ($($(#[doc = $doc:literal])+ $marker:ident = $name:literal, $hints:ident, $args:ty => $out:ty;)*) => {
        $(
            $(#[doc = $doc])+
            #[derive(Debug, Clone, Copy)]
            pub struct $marker;
            impl Method for $marker {
                const NAME: &'static str = $name;
                const SCOPE: Scope = Scope::Admin;
                const HINTS: Hints = Hints::$hints;
                type Args = $args;
                type Output = $out;
            }
        )*
        /// Every admin method name.
        pub const ADMIN_NAMES: &[&str] = &[$($name),*];
    };
}

admin! {
    /// The app's state: session, allowlist, connected clients.
    Status = "app_status", READ_ONLY, NoArgs => StatusOutput;
    /// Sign in with a token the user pasted (verified with the ERP before it is kept).
    SignInToken = "app_signin_token", ACTION, SignInTokenArgs => SessionView;
    /// Sign in with Google in the browser; answers when the sign-in is done.
    SignInGoogle = "app_signin_google", ACTION, SignInGoogleArgs => SessionView;
    /// Open a sign-in in the app (browser or window) without waiting for it.
    OpenSignIn = "app_open_sign_in", ACTION, crate::tools::SignInArgs => crate::tools::SignInOutput;
    /// Demo mode only: sign in as a simulator user through its Google-like flow.
    SignInDemo = "app_signin_demo", ACTION, SignInDemoArgs => SessionView;
    /// Sign out and delete the stored session.
    SignOut = "app_signout", IDEMPOTENT, NoArgs => SessionView;
    /// The authorized-users list.
    AllowList = "app_allow_list", READ_ONLY, NoArgs => AllowlistView;
    /// Add an exact email or an `@domain` entry.
    AllowAdd = "app_allow_add", IDEMPOTENT, AllowEntryArgs => AllowlistView;
    /// Remove an entry.
    AllowRemove = "app_allow_remove", DESTRUCTIVE, AllowEntryArgs => AllowlistView;
    /// The newest audit-log entries, newest first.
    Audit = "app_audit", READ_ONLY, AuditArgs => AuditOutput;
    /// Check that the ERP can be reached from the app, step by step (DNS,
    /// connection, HTTPS), without a session.
    ProbeErp = "app_probe_erp", READ_ONLY, NoArgs => ErpProbe;
    /// End one connected client's connection; its process may not connect again.
    Disconnect = "app_disconnect", DESTRUCTIVE, DisconnectArgs => NoArgs;
    /// Turn start at login on or off (the tray's check mark follows).
    StartAtLogin = "app_start_at_login", IDEMPOTENT, StartAtLoginArgs => StartAtLoginView;
    /// Turn read-only mode on or off: while on, tools that change the ERP are
    /// refused (kept in the settings file; the tray's check mark follows).
    ReadOnly = "app_read_only", IDEMPOTENT, ReadOnlyArgs => ReadOnlyView;
    /// Quit the app.
    Quit = "app_quit", ACTION, NoArgs => NoArgs;
}

/// One step of reaching the ERP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeStep {
    /// `dns`, `connect`, then `https` (or `http` for a local ERP).
    pub step: String,
    /// Whether it worked.
    pub ok: bool,
    /// What was seen.
    pub detail: String,
}

/// Output of `app_probe_erp`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErpProbe {
    /// The ERP API root the app uses.
    pub url: String,
    /// The proxy the app's requests go through, if any (credentials removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// The steps, in order; the first that fails ends the probe.
    pub steps: Vec<ProbeStep>,
    /// What to do when a step failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// Arguments of `app_start_at_login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartAtLoginArgs {
    /// On or off.
    pub on: bool,
}

/// Output of `app_start_at_login`: whether the login entry is there now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StartAtLoginView {
    /// The entry is there.
    pub on: bool,
}

/// Arguments of `app_read_only`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadOnlyArgs {
    /// On or off.
    pub on: bool,
}

/// Output of `app_read_only`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReadOnlyView {
    /// Read-only mode is on: assistants can read, not write.
    pub on: bool,
}

/// Arguments of `app_disconnect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisconnectArgs {
    /// The connection's id, as `app_status` lists it.
    pub id: u64,
}

/// The session as anyone may see it: never the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionView {
    /// Signed in, out, or expired.
    pub state: SessionState,
    /// The account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// google, erp_page, token or demo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_in_via: Option<String>,
    /// Where the session is kept: keychain, file (with its path) or memory.
    pub storage: String,
    /// The one sentence every surface shows, e.g. `Signed in as jane@example.com (via google).`
    #[serde(default)]
    pub summary: String,
}

/// The one sentence every surface (CLI, tray, windows, doctor) shows for the
/// session, e.g. `Signed in as jane@example.com (via erp page).`; the app puts
/// it in [`SessionView::summary`].
pub fn session_sentence(state: SessionState, email: Option<&str>, via: Option<&str>) -> String {
    match (state, email) {
        (SessionState::SignedIn, Some(e)) => {
            format!("Signed in as {e} (via {}).", via.unwrap_or("?").replace('_', " "))
        }
        (SessionState::Expired, Some(e)) => format!("The session of {e} expired: sign in again."),
        _ => "Not signed in.".into(),
    }
}

/// Arguments of `app_signin_token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInTokenArgs {
    /// The ERP token (a leading `Token ` is accepted and removed).
    pub token: ErpToken,
}

/// Arguments of `app_signin_google`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInGoogleArgs {
    /// The editor to name on the browser's last page ("return to Cursor").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

/// Arguments of `app_signin_demo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInDemoArgs {
    /// Simulator account; default the first demo user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Arguments of `app_allow_add` / `app_allow_remove`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowEntryArgs {
    /// `jane@example.com` or `@example.com`.
    pub entry: String,
}

/// The authorized-users list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AllowlistView {
    /// Entries, lower-case, sorted. Empty means any account the ERP accepts.
    pub entries: Vec<String>,
    /// true when `MCP_AUTHORIZED_USERS` sets the list and it cannot be edited.
    pub locked: bool,
}

/// A client connected to the app right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectedClient {
    /// Who (shim or CLI, and the MCP host behind a shim).
    pub client: ClientInfo,
    /// Seconds since it connected.
    pub connected_secs: u64,
    /// The connection's id (for `app_disconnect`).
    #[serde(default)]
    pub id: u64,
    /// The peer's process id, from the socket's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The peer's program, from its process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// When it connected (RFC 3339, UTC).
    #[serde(default)]
    pub since: String,
    /// Requests it has made.
    #[serde(default)]
    pub calls: u64,
}

impl JsonSchema for ClientInfo {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ClientInfo".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "object"})
    }
}

/// Output of `app_status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatusOutput {
    /// The app's version.
    pub app_version: String,
    /// The app's protocol version.
    pub protocol: u32,
    /// The session.
    pub session: SessionView,
    /// The ERP API root.
    pub erp_api_url: String,
    /// The authorized-users list.
    pub allowlist: AllowlistView,
    /// Clients connected now (including the one asking).
    pub clients: Vec<ConnectedClient>,
    /// true when the app runs against its embedded simulator.
    pub demo: bool,
    /// Read-only mode: tools that change the ERP are refused.
    #[serde(default)]
    pub read_only: bool,
}

/// Arguments of `app_audit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditArgs {
    /// How many entries, newest first. Default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// One audited write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    /// RFC 3339 time.
    pub time: String,
    /// The MCP host (or CLI) that asked.
    pub client: String,
    /// The account it was done as.
    pub user: String,
    /// The tool.
    pub tool: String,
    /// Its arguments (tools take no secrets).
    pub args: Value,
    /// `ok` or `error`.
    pub outcome: String,
    /// One line: what was done, or why it failed.
    pub detail: String,
    /// What the call changed in the ERP's weeks, with the tasks before and
    /// after, so it can be undone (`undo_change`). Absent when it changed no
    /// week; `app_audit` leaves the tasks out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// The weeks one call changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// The change's id (`undo_change` takes it).
    pub id: String,
    /// The change this one undid, when it is an undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// Every week saved, in the order saved.
    pub weeks: Vec<WeekChange>,
}

/// One week's tasks before and after a save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeekChange {
    /// Monday of the week, YYYY-MM-DD.
    pub week_starting: String,
    /// ERP week-log id.
    pub week_log_id: i64,
    /// The week's projects with their tasks before (`null` when the save
    /// created the entries of a week log the ERP made for them).
    pub before: Value,
    /// The same after the save.
    pub after: Value,
}

/// Output of `app_audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditOutput {
    /// Entries, newest first.
    pub entries: Vec<AuditEntry>,
}
