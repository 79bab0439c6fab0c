//! The doctor's checks of the app, as any client sees them (`erp-mcp doctor`
//! and `erp-helper doctor` run the same ones): the socket and who owns it,
//! the app and its protocol, the session, the authorized-users list, and the
//! ERP as the app reaches it. Every failure comes with the command or click
//! that fixes it. Printing: one line per check, `--json` for scripts.

use std::path::Path;

use serde::Serialize;

use crate::ClientInfo;
use crate::client::{ClientError, Connection};
use crate::tools::{NoArgs, SessionState};

/// One check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `socket`, `app`, `protocol`, `session`, `allowlist`, `erp`, or a host.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// What to do, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn ok(name: &str, detail: impl Into<String>) -> Self {
        Self { name: name.into(), ok: true, detail: detail.into(), fix: None }
    }

    /// A failed check and its fix.
    pub fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { name: name.into(), ok: false, detail: detail.into(), fix: Some(fix.into()) }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every check passed.
    pub ok: bool,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    /// The report of `checks`.
    pub fn new(checks: Vec<Check>) -> Self {
        Self { ok: checks.iter().all(|c| c.ok), checks }
    }

    /// The exit code: 0 when every check passed.
    pub fn code(&self) -> i32 {
        if self.ok { 0 } else { 1 }
    }

    /// One line per check, its fix under it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for c in &self.checks {
            out.push_str(&format!("{:<5} {:<12} {}\n", if c.ok { "ok" } else { "FAIL" }, c.name, c.detail));
            if let Some(fix) = &c.fix {
                out.push_str(&format!("{:<18} fix: {fix}\n", ""));
            }
        }
        out
    }
}

const START: &str = "Start ERP Helper: run `erp-helper` (or open it from your applications menu; `erp-helper \
                     --headless` where there is no desktop).";

/// The checks up to a working connection; the connection, when there is one.
async fn reach_app(socket: &Path, me: ClientInfo, checks: &mut Vec<Check>) -> Option<Connection> {
    let shown = socket.display();
    if std::fs::symlink_metadata(socket).is_err() {
        checks.push(Check::fail("app", format!("ERP Helper is not running (no socket at {shown})."), START));
        return None;
    }
    match Connection::connect(socket, me).await {
        Ok(conn) => {
            checks.push(Check::ok("socket", format!("{shown} is yours, and so is the process behind it")));
            checks.push(Check::ok("app", format!("ERP Helper {} answers", conn.app_version())));
            checks.push(Check::ok("protocol", format!("{} on both sides", crate::PROTOCOL_VERSION)));
            Some(conn)
        }
        Err(ClientError::NotRunning(_)) => {
            checks.push(Check::fail("app", format!("ERP Helper is not running ({shown} does not answer)."), START));
            None
        }
        Err(ClientError::Rpc(e)) if e.code == crate::ErrorCode::VersionMismatch => {
            let fix = "Install erp-mcp and erp-helper from the same release (the package has both), then restart \
                       ERP Helper (`erp-helper quit`, then start it).";
            checks.push(Check::ok("socket", format!("{shown} is yours")));
            checks.push(Check::fail("protocol", e.message, fix));
            None
        }
        Err(ClientError::NotOurs { what, .. }) => {
            let fix = format!(
                "Something else may be pretending to be ERP Helper: nothing was sent to it. Remove it (`sudo rm \
                 {shown}`), or point ERP_HELPER_SOCKET at a path of your own, then start ERP Helper."
            );
            checks.push(Check::fail("socket", format!("{shown} is {what}, not yours"), fix));
            None
        }
        Err(e) => {
            checks.push(Check::fail("app", e.to_string(), format!("Restart ERP Helper (`erp-helper quit`). {START}")));
            None
        }
    }
}

/// Every check of the app, the session and the ERP, as `me` sees them.
pub async fn app_checks(socket: &Path, me: ClientInfo) -> Vec<Check> {
    let mut checks = Vec::new();
    let Some(conn) = reach_app(socket, me, &mut checks).await else { return checks };
    let sign_in = "Sign in: run `erp-helper signin`, open erp-helper://signin, or use the tray menu → Sign in.";
    match conn.call::<crate::tools::Whoami>(&NoArgs {}).await {
        Ok(who) => {
            let sentence =
                crate::admin::session_sentence(who.state, who.email.as_deref(), who.signed_in_via.as_deref());
            match (who.state, who.authorized, who.email.as_deref()) {
                (SessionState::SignedIn, Some(false), Some(email)) => {
                    checks.push(Check::ok("session", sentence));
                    let fix =
                        format!("Add it: `erp-helper allow add {email}` (or sign in with an authorized account).");
                    checks.push(Check::fail("allowlist", format!("{email} is not an authorized user"), fix));
                }
                (SessionState::SignedIn, ..) => {
                    checks.push(Check::ok("session", sentence));
                    checks.push(Check::ok("allowlist", "the account is authorized"));
                }
                _ => checks.push(Check::fail("session", sentence, sign_in)),
            }
        }
        Err(e) => checks.push(Check::fail("session", e.to_string(), sign_in)),
    }
    match conn.call::<crate::admin::ProbeErp>(&NoArgs {}).await {
        Ok(p) => {
            let via = p.proxy.as_deref().map(|x| format!(" through the proxy {x}")).unwrap_or_default();
            let steps: Vec<String> = p.steps.iter().map(|s| format!("{}: {}", s.step, s.detail)).collect();
            let detail = format!("{}{via}: {}", p.url, steps.join("; "));
            checks.push(match p.fix {
                None => Check::ok("erp", detail),
                Some(fix) => Check::fail("erp", detail, fix),
            });
        }
        Err(e) => checks.push(Check::fail("erp", e.to_string(), "Update ERP Helper: this app cannot check its ERP.")),
    }
    checks
}
