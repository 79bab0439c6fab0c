//! The core's error type and its one mapping to the wire ([`RpcError`]).

use erp_proto::{ErrorCode, RpcError};

use crate::config::SIGN_IN_LINK;
use crate::erp::ErpError;

/// Result with [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

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
    /// The account is not on the allowlist.
    #[error("{email} is not authorized")]
    NotAuthorized {
        /// The refused account.
        email: String,
    },
    /// A bad argument; the message names it.
    #[error("{0}")]
    InvalidParams(String),
    /// The ERP failed or refused.
    #[error(transparent)]
    Erp(#[from] ErpError),
    /// A precondition in the ERP's data that the user must fix there (e.g. no week log).
    #[error("{0}")]
    Precondition(String),
    /// The operation ran out of time.
    #[error("{0}")]
    Timeout(String),
    /// A sign-in flow failed (cancelled, timed out, refused); the message says what to do.
    #[error("{0}")]
    SignIn(String),
    /// The caller cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Bad settings.
    #[error("{0}")]
    Config(String),
    /// Local storage failed (session store, allowlist, audit log).
    #[error("{0}")]
    Storage(String),
    /// A bug.
    #[error("{0}")]
    Internal(String),
}

impl CoreError {
    /// A bad-argument error.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidParams(msg.into())
    }

    /// The wire form: a code and one sentence the user can act on.
    pub fn to_rpc(&self) -> RpcError {
        match self {
            Self::NotSignedIn => RpcError::new(
                ErrorCode::NotSignedIn,
                "You are not signed in to the ERP. Sign in from the ERP Helper app (tray menu → Sign in, or \
                 `erp-helper signin`), then try again.",
            )
            .with_sign_in_url(SIGN_IN_LINK),
            Self::SessionExpired { email } => RpcError::new(
                ErrorCode::SessionExpired,
                format!(
                    "The ERP no longer accepts the session of {email} (it expired or was revoked). Sign in again \
                     from the ERP Helper app, then try again."
                ),
            )
            .with_sign_in_url(SIGN_IN_LINK),
            Self::NotAuthorized { email } => RpcError::new(
                ErrorCode::NotAuthorized,
                format!(
                    "{email} is not on this computer's list of authorized ERP Helper users. Add it in the ERP \
                     Helper app (tray menu → Authorized users…) or sign in with an authorized account."
                ),
            ),
            Self::InvalidParams(m) => RpcError::new(ErrorCode::InvalidParams, m.clone()),
            Self::Erp(e) => e.to_rpc(),
            Self::Precondition(m) => RpcError::new(ErrorCode::ErpError, m.clone()),
            Self::Timeout(m) => RpcError::new(ErrorCode::Timeout, m.clone()),
            Self::SignIn(m) => RpcError::new(ErrorCode::NotSignedIn, m.clone()).with_sign_in_url(SIGN_IN_LINK),
            Self::Cancelled => RpcError::new(ErrorCode::Cancelled, "The request was cancelled."),
            Self::Config(m) | Self::Storage(m) | Self::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                RpcError::new(ErrorCode::Internal, format!("The ERP Helper app hit an internal error: {m}"))
            }
        }
    }
}
