//! The core's error types and their one, pure mapping to the wire
//! ([`RpcError`]). A leaf: it imports nothing else of erp-core, so every
//! module can use it. Logging a failure is the boundary's job (the router logs
//! each failed call once), never the mapping's.

use std::time::Duration;

use chrono::NaiveDate;
use erp_proto::{ErrorCode, RpcError, SIGN_IN_LINK};

/// Result with [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// What to do about a certificate this computer does not accept.
pub const CA_FIX: &str = ". If your company inspects HTTPS with its own certificate authority, give ERP Helper \
     that authority's certificate: erp-helper settings --ca-file /path/to/company-ca.pem";

/// What went wrong talking to the ERP.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ErpError {
    /// 401: the token is not (or no longer) valid.
    #[error("the ERP rejected the token (HTTP 401)")]
    Unauthorized,
    /// Any other 4xx/5xx, with the ERP's own message when it gave one.
    #[error("the ERP refused the request (HTTP {status}){}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// HTTP status.
        status: u16,
        /// The ERP's `error`/`detail` text, cleaned and shortened.
        message: Option<String>,
    },
    /// A 3xx: never followed, never success.
    #[error("the ERP answered with a redirect (HTTP {status}{}) instead of data", location.as_ref().map(|l| format!(" to {l}")).unwrap_or_default())]
    Redirect {
        /// HTTP status.
        status: u16,
        /// Where it pointed.
        location: Option<String>,
    },
    /// No answer: connection refused, DNS, TLS, or a timeout.
    #[error("the ERP at {url} could not be reached ({reason})")]
    Unavailable {
        /// The ERP's web origin.
        url: String,
        /// Why, in a few words.
        reason: String,
    },
    /// The TLS handshake failed: a certificate this computer does not accept.
    #[error("the ERP at {host} refused a secure connection: {problem}")]
    Tls {
        /// The ERP's host.
        host: String,
        /// The certificate problem, in words.
        problem: String,
        /// The extra CA file in use, if any.
        ca_file: Option<String>,
    },
    /// An answer we could not use.
    #[error("the ERP sent an answer ERP Helper could not read ({0})")]
    BadResponse(String),
}

/// Why a sign-in flow did not sign anyone in. Each says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Google sign-in has no client configured.
    #[error("Google sign-in is not set up: set GOOGLE_CLIENT_ID (and GOOGLE_CLIENT_SECRET if the client has one).")]
    GoogleNotConfigured,
    /// Another Google sign-in is waiting in the browser.
    #[error("A Google sign-in is already open in your browser; finish it there.")]
    AlreadyInProgress,
    /// The loopback port for Google's redirect is taken.
    #[error(
        "Could not listen on 127.0.0.1:{port} for Google's redirect ({reason}). Close whatever uses that port, or set \
         ERP_HELPER_OAUTH_PORT to a port registered with the Google client."
    )]
    PortBusy {
        /// The port.
        port: u16,
        /// The OS's words.
        reason: String,
    },
    /// No browser could be opened.
    #[error("Could not open a browser for the Google sign-in ({0}).")]
    NoBrowser(String),
    /// The user did not finish in time.
    #[error("The Google sign-in was not finished within {}. Start it again when you are ready.", limit_words(*.0))]
    TimedOut(Duration),
    /// The user declined, or Google reported an error.
    #[error("The Google sign-in was cancelled ({0}).")]
    Denied(String),
    /// The redirect carried no code.
    #[error("Google sent no authorization code.")]
    NoCode,
    /// Google's token endpoint refused the code.
    #[error("Google did not accept the sign-in ({0}). Try again.")]
    TokenExchange(String),
    /// The user signed out while this sign-in was pending: the sign-out wins.
    #[error("The sign-in was stopped because you signed out while it was in progress. Sign in again if you meant to.")]
    SignedOutMeanwhile,
    /// Demo sign-in outside demo mode.
    #[error("demo sign-in works only with --demo.")]
    NotDemo,
}

fn limit_words(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 120 { format!("{} minutes", secs / 60) } else { format!("{secs} seconds") }
}

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// No session.
    #[error("not signed in")]
    NotSignedIn,
    /// The ERP rejected the session's token.
    #[error("session for {email} expired")]
    SessionExpired {
        /// Whose session it was.
        email: String,
    },
    /// The session the call ran as ended while it ran (sign-out, another sign-in).
    #[error(
        "The session this ran as ended while it was running (you signed out, or signed in again), so it stopped \
         before its next ERP request; what it had saved stays saved. Sign in and run it again for the rest."
    )]
    SessionEnded,
    /// No session (or an expired one), and a sign-in was opened for it (or
    /// cannot be here): the sentence says where to finish.
    #[error("{cause}; {opened}")]
    SignInOpened {
        /// [`Self::NotSignedIn`] or [`Self::SessionExpired`].
        cause: Box<CoreError>,
        /// What was opened, or what to do instead.
        opened: String,
    },
    /// Read-only mode refused a tool that changes the ERP.
    #[error("{tool} changes the ERP, and ERP Helper is in read-only mode")]
    ReadOnlyMode {
        /// The refused tool.
        tool: &'static str,
    },
    /// The account is not on the allowlist.
    #[error("{email} is not authorized")]
    NotAuthorized {
        /// The refused account.
        email: String,
    },
    /// A bad argument; the sentence names it.
    #[error("{0}")]
    InvalidParams(String),
    /// The ERP failed or refused.
    #[error(transparent)]
    Erp(#[from] ErpError),
    /// The ERP has no week log for that Monday.
    #[error(
        "There is no week log for the week starting {monday}. The ERP creates week logs itself; open that week in \
         the ERP web app once, then try again."
    )]
    NoWeekLog {
        /// The week's Monday.
        monday: NaiveDate,
    },
    /// The project is not part of that week's log.
    #[error(
        "The project {project:?} is not part of your week log for the week starting {monday}, so time cannot be \
         logged on it there. Add it to that week in the ERP web app first."
    )]
    ProjectNotInWeek {
        /// The project's name.
        project: String,
        /// The week's Monday.
        monday: NaiveDate,
    },
    /// No week log, and the ERP would not add entries without one.
    #[error(
        "There is no week log for the week starting {monday}, and the ERP would not add the entry without one \
         ({cause}). Open that week in the ERP web app once, then try again."
    )]
    WeekNotAddable {
        /// The week's Monday.
        monday: NaiveDate,
        /// What the ERP said.
        cause: ErpError,
    },
    /// A repeated call would have taken the additive path (no week log).
    #[error(
        "The connection to ERP Helper was lost during this call, and the week of {monday} has no week log, so its \
         entries were not sent again (if the first attempt went through, that would add them twice). Check with \
         get_week_logs and call again for what is missing."
    )]
    NotRepeated {
        /// The week's Monday.
        monday: NaiveDate,
    },
    /// A long write ran out of time; what was saved stays saved.
    #[error(
        "The fill timed out after {} minutes; days saved before that stay saved. Check with get_week_logs and \
         fill the rest in a shorter range.", .0.as_secs() / 60
    )]
    FillTimedOut(Duration),
    /// The weeks changed in the ERP since they were read for a plan or a change;
    /// nothing was saved. The sentence says what changed.
    #[error("{0}")]
    Changed(String),
    /// A sign-in flow failed.
    #[error(transparent)]
    SignIn(#[from] SignInError),
    /// The caller cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Bad settings; the sentence names the setting.
    #[error("{0}")]
    Config(String),
    /// Local storage failed (session store, allowlist, audit log).
    #[error("could not {action} {what}: {reason}")]
    Storage {
        /// e.g. `write`.
        action: &'static str,
        /// The file or store.
        what: String,
        /// The OS's (or keychain's) words.
        reason: String,
    },
    /// A bug.
    #[error("{0}")]
    Internal(String),
}

/// A value the caller sent, quoted for an error sentence: at most 40
/// characters of it (a 100 kB argument is not echoed back), escaped.
pub fn shown(value: &str) -> String {
    const MAX: usize = 40;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}

/// A message that may quote what the caller sent (serde's do), with every
/// quoted run cut to 40 characters and the whole to 300: an error names the
/// bad value, it does not echo 100 kB of it.
pub fn capped(msg: &str) -> String {
    const RUN: usize = 40;
    const ALL: usize = 300;
    let mut out = String::with_capacity(msg.len().min(ALL + 8));
    let (mut inside, mut run, mut escaped) = (false, 0usize, false);
    for c in msg.chars() {
        if inside && !escaped && c == '"' {
            inside = false;
            if run > RUN {
                out.push('…');
            }
            out.push(c);
            continue;
        }
        if inside {
            escaped = !escaped && c == '\\';
            run += 1;
            if run > RUN {
                continue;
            }
        } else if c == '"' {
            inside = true;
            run = 0;
        }
        out.push(c);
    }
    match out.char_indices().nth(ALL) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

impl CoreError {
    /// A bad-argument error.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidParams(msg.into())
    }

    /// A storage failure.
    pub fn storage(action: &'static str, what: impl std::fmt::Display, reason: impl std::fmt::Display) -> Self {
        Self::Storage { action, what: what.to_string(), reason: reason.to_string() }
    }

    /// Whether a sign-in would cure this (no session, or an expired one).
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Self::NotSignedIn | Self::SessionExpired { .. })
    }

    /// Whether this is the app's fault (a bug, settings or storage): logged as an error.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Config(_) | Self::Storage { .. } | Self::Internal(_))
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

impl From<&ErpError> for RpcError {
    fn from(e: &ErpError) -> Self {
        match e {
            ErpError::Unavailable { url, reason } => RpcError::new(
                ErrorCode::ErpUnavailable,
                format!("The ERP at {url} could not be reached ({reason}). Check your network or VPN, then try again."),
            ),
            ErpError::Tls { ca_file, .. } => {
                let fix = match ca_file {
                    None => CA_FIX.to_string(),
                    Some(f) => format!(
                        " (with the extra authorities of {f} too). Check that this file holds the certificate \
                         authority your company's network uses: erp-helper settings --ca-file PATH"
                    ),
                };
                RpcError::new(ErrorCode::ErpUnavailable, format!("{}{fix}.", capitalise(&e.to_string())))
            }
            ErpError::Redirect { .. } => RpcError::new(
                ErrorCode::ErpError,
                format!("{}; check ERP_API_BASE_URL, or sign in again.", capitalise(&e.to_string())),
            ),
            other => RpcError::new(ErrorCode::ErpError, format!("{}.", capitalise(&other.to_string()))),
        }
    }
}

impl From<&SignInError> for RpcError {
    fn from(e: &SignInError) -> Self {
        let code = match e {
            SignInError::TimedOut(_) => ErrorCode::Timeout,
            SignInError::GoogleNotConfigured | SignInError::NotDemo => ErrorCode::InvalidParams,
            _ => ErrorCode::NotSignedIn,
        };
        let rpc = RpcError::new(code, e.to_string());
        if code == ErrorCode::InvalidParams { rpc } else { rpc.with_sign_in_url(SIGN_IN_LINK) }
    }
}

/// The wire form: a code and one sentence the user can act on. Pure: the
/// caller decides what to log.
impl From<&CoreError> for RpcError {
    fn from(e: &CoreError) -> Self {
        use CoreError as E;
        match e {
            E::NotSignedIn => RpcError::new(
                ErrorCode::NotSignedIn,
                "You are not signed in to the ERP. Sign in from the ERP Helper app (tray menu → Sign in, or \
                 `erp-helper signin`), then try again.",
            )
            .with_sign_in_url(SIGN_IN_LINK),
            E::SessionExpired { email } => RpcError::new(
                ErrorCode::SessionExpired,
                format!(
                    "The ERP no longer accepts the session of {email} (it expired or was revoked). Sign in again \
                     from the ERP Helper app, then try again."
                ),
            )
            .with_sign_in_url(SIGN_IN_LINK),
            E::SessionEnded => RpcError::new(ErrorCode::NotSignedIn, e.to_string()).with_sign_in_url(SIGN_IN_LINK),
            E::SignInOpened { cause, opened } => {
                let lead = match cause.as_ref() {
                    E::SessionExpired { email } => {
                        format!("The ERP no longer accepts the session of {email} (it expired or was revoked).")
                    }
                    _ => "You are not signed in to the ERP.".to_string(),
                };
                let code = RpcError::from(cause.as_ref()).code;
                RpcError::new(code, format!("{lead} {opened}")).with_sign_in_url(SIGN_IN_LINK)
            }
            E::ReadOnlyMode { tool } => RpcError::new(
                ErrorCode::ReadOnlyMode,
                format!(
                    "{tool} changes the ERP, and ERP Helper is in read-only mode: assistants can read your logs, \
                     not change them. Nothing was sent to the ERP. To allow changes, untick \"Read-only\" in the \
                     ERP Helper tray menu or run `erp-helper settings --read-only off`."
                ),
            ),
            E::NotAuthorized { email } => RpcError::new(
                ErrorCode::NotAuthorized,
                format!(
                    "{email} is not on this computer's list of authorized ERP Helper users. Add it in the ERP \
                     Helper app (tray menu → Authorized users…) or sign in with an authorized account."
                ),
            ),
            E::InvalidParams(m) => RpcError::new(ErrorCode::InvalidParams, m.clone()),
            E::Erp(e) => e.into(),
            E::NoWeekLog { .. } | E::ProjectNotInWeek { .. } | E::WeekNotAddable { .. } => {
                RpcError::new(ErrorCode::ErpError, e.to_string())
            }
            E::FillTimedOut(_) => RpcError::new(ErrorCode::Timeout, e.to_string()),
            E::Changed(m) => RpcError::new(ErrorCode::Conflict, m.clone()),
            E::NotRepeated { .. } => RpcError::new(ErrorCode::ErpUnavailable, e.to_string()),
            E::SignIn(s) => s.into(),
            E::Cancelled => RpcError::new(ErrorCode::Cancelled, "The request was cancelled."),
            E::Config(_) | E::Storage { .. } | E::Internal(_) => {
                RpcError::new(ErrorCode::Internal, format!("The ERP Helper app hit an internal error: {e}"))
            }
        }
    }
}

impl CoreError {
    /// The wire form (see `From<&CoreError> for RpcError`).
    pub fn to_rpc(&self) -> RpcError {
        self.into()
    }
}

impl From<std::convert::Infallible> for CoreError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

#[cfg(test)]
mod tests {
    use super::{capped, shown};

    #[test]
    fn quoted_values_are_cut_and_short_ones_kept() {
        let long = "é".repeat(1000);
        assert_eq!(shown("2026-13-01"), "\"2026-13-01\"");
        assert_eq!(shown(&long).chars().count(), 40 + 3);
        let msg = format!("invalid type: string \"{long}\", expected i64");
        assert_eq!(capped(&msg), format!("invalid type: string \"{}…\", expected i64", "é".repeat(40)));
        assert_eq!(capped("unknown field `x`"), "unknown field `x`");
        let escaped = format!("string \"a\\\"{}\" and \"b\"", "z".repeat(50));
        assert!(capped(&escaped).ends_with("…\" and \"b\""), "{}", capped(&escaped));
        assert!(capped(&"x".repeat(5000)).chars().count() <= 301);
    }
}
