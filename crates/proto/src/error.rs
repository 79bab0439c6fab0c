//! Error codes and the error body carried by a failed response frame.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Machine-readable reason a request failed. The shim turns each into one
/// sentence a user can act on; the app decides which one applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No session: the user must sign in (the error carries the sign-in link).
    NotSignedIn,
    /// Signed in, but the account is not on the authorized-users list.
    NotAuthorized,
    /// The ERP rejected the stored token (HTTP 401): sign in again.
    SessionExpired,
    /// An argument is missing or wrong; the message names it. No ERP call was made.
    InvalidParams,
    /// The ERP answered, but said no (4xx/5xx, or a reply we could not use).
    ErpError,
    /// The ERP could not be reached (connection refused, DNS, TLS, timeout on connect).
    ErpUnavailable,
    /// The operation took longer than its time limit.
    Timeout,
    /// The two sides speak different protocol versions.
    VersionMismatch,
    /// The request was cancelled by the caller.
    Cancelled,
    /// The client was set up for another ERP than the app serves.
    OtherErp,
    /// The app is in read-only mode: tools that change the ERP are refused.
    ReadOnlyMode,
    /// The ERP's data changed since it was read (a plan's preview, a change to
    /// undo): nothing was saved; the message says what changed.
    Conflict,
    /// A bug or an unexpected state in the app; details are in the app's log.
    Internal,
}

impl ErrorCode {
    /// The wire name, e.g. `not_signed_in`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSignedIn => "not_signed_in",
            Self::NotAuthorized => "not_authorized",
            Self::SessionExpired => "session_expired",
            Self::InvalidParams => "invalid_params",
            Self::ErpError => "erp_error",
            Self::ErpUnavailable => "erp_unavailable",
            Self::Timeout => "timeout",
            Self::VersionMismatch => "version_mismatch",
            Self::Cancelled => "cancelled",
            Self::OtherErp => "other_erp",
            Self::ReadOnlyMode => "read_only_mode",
            Self::Conflict => "conflict",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error body of a response frame: a code, one human sentence, and for
/// sign-in problems the link that starts a sign-in in the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpcError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// One sentence for the user, already free of secrets.
    pub message: String,
    /// For `not_signed_in` and `session_expired`: a link that opens the sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_url: Option<String>,
}

impl RpcError {
    /// An error with no sign-in link.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), sign_in_url: None }
    }

    /// Attach the sign-in link.
    pub fn with_sign_in_url(mut self, url: impl Into<String>) -> Self {
        self.sign_in_url = Some(url.into());
        self
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RpcError {}
