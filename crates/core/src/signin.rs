//! Signing in: the shared end of every flow (verify the token with the ERP,
//! check the allowlist so a refused account is never stored, keep it), and the
//! starts that lead there: a pasted token, Google in the browser (see
//! `google`), the demo simulator. Not here: windows or browsers (the app
//! passes an [`Opener`]), the live session (see `session`).

use std::sync::Arc;

use erp_proto::admin::SessionView;

use crate::allowlist::Allowlists;
use crate::config::GoogleSettings;
use crate::erp::{ErpClient, valid_token_format};
use crate::error::{CoreError, ErpError, Result, SignInError};
use crate::google::Opener;
use crate::secret::{ErpToken, GoogleAccessToken};
use crate::session::{Sessions, SignOutMark};
use crate::store::{SignInVia, StoredSession};

/// Demo mode: issues a Google-like access token for a simulator account.
pub type DemoIssuer = Arc<dyn Fn(&str) -> Option<GoogleAccessToken> + Send + Sync>;

/// What the sign-in service works with.
#[derive(Clone)]
pub struct SignInParts {
    /// The ERP, to verify tokens and exchange Google's.
    pub erp: ErpClient,
    /// Where a verified session is kept.
    pub sessions: Sessions,
    /// Who may sign in.
    pub allowlist: Allowlists,
    /// The Google client, when one is configured.
    pub google: Option<GoogleSettings>,
    /// Opens the browser.
    pub opener: Opener,
    /// Demo mode's token issuer.
    pub demo: Option<DemoIssuer>,
}

/// The sign-in service. Cheap to clone.
#[derive(Clone)]
pub struct SignIn {
    parts: SignInParts,
    /// Held while a Google sign-in waits for the browser: one at a time.
    google_flow: Arc<tokio::sync::Mutex<()>>,
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The token as pasted: a leading `Token ` or `Bearer ` and spaces removed.
fn clean_token(token: &ErpToken) -> Result<ErpToken> {
    let raw = token.expose().trim();
    let raw = raw.strip_prefix("Token ").or_else(|| raw.strip_prefix("Bearer ")).unwrap_or(raw).trim();
    if !valid_token_format(raw) {
        return Err(CoreError::invalid(
            "token does not look like an ERP token (10 to 512 letters, digits, '_', '.' or '-').",
        ));
    }
    Ok(ErpToken::new(raw))
}

fn refused_token(e: ErpError) -> CoreError {
    match e {
        ErpError::Unauthorized => CoreError::invalid("token: the ERP does not accept this token (HTTP 401)."),
        other => CoreError::Erp(other),
    }
}

impl SignIn {
    /// The service over its parts.
    pub fn new(parts: SignInParts) -> Self {
        Self { parts, google_flow: Arc::default() }
    }

    /// Google sign-in settings, if configured.
    pub fn google_settings(&self) -> Option<&GoogleSettings> {
        self.parts.google.as_ref()
    }

    /// The injected browser opener.
    pub fn opener(&self) -> Opener {
        self.parts.opener.clone()
    }

    /// Whether demo mode is on.
    pub fn is_demo(&self) -> bool {
        self.parts.demo.is_some()
    }

    /// The shared end of every sign-in: verify the token with the ERP (the
    /// email comes from the ERP's answer when it gives one), check the
    /// allowlist, store, publish.
    pub async fn with_token(&self, token: ErpToken, email_hint: Option<String>, via: SignInVia) -> Result<SessionView> {
        self.finish(token, email_hint, via, self.parts.sessions.mark()).await
    }

    /// [`Self::with_token`] for a sign-in that started at `mark`: void if the
    /// user signed out since.
    async fn finish(
        &self,
        token: ErpToken,
        email_hint: Option<String>,
        via: SignInVia,
        mark: SignOutMark,
    ) -> Result<SessionView> {
        let token = clean_token(&token)?;
        let email = match self.parts.erp.person(&token).await.map_err(refused_token)? {
            Some(person) => person.get("email").and_then(|e| e.as_str()).map(|e| e.trim().to_lowercase()),
            None => {
                // No "me" endpoint on this ERP: prove the token with a cheap call instead.
                self.parts.erp.active_projects(&token).await.map_err(refused_token)?;
                None
            }
        };
        let email =
            email.or_else(|| email_hint.map(|e| e.trim().to_lowercase())).filter(|e| e.contains('@')).ok_or_else(
                || CoreError::invalid("email: the ERP did not say whose token this is; give the account's email too."),
            )?;
        if !self.parts.allowlist.permits(&email) {
            tracing::warn!(%email, "refused a sign-in: not on the authorized-users list");
            return Err(CoreError::NotAuthorized { email });
        }
        let api_base = Some(self.parts.erp.base().to_string());
        let session = StoredSession { email: email.clone(), via, token, signed_in_at: now_rfc3339(), api_base };
        let view = self.parts.sessions.establish(session, mark).await?;
        tracing::info!(%email, via = via.as_str(), "signed in");
        Ok(view)
    }

    /// Google's end: exchange a Google access token at `core/google-login/`,
    /// then finish like any sign-in.
    pub async fn with_google_token(&self, google: GoogleAccessToken, via: SignInVia) -> Result<SessionView> {
        self.google_token_since(google, via, self.parts.sessions.mark()).await
    }

    async fn google_token_since(
        &self,
        google: GoogleAccessToken,
        via: SignInVia,
        mark: SignOutMark,
    ) -> Result<SessionView> {
        let login = self.parts.erp.google_login(&google).await?;
        self.finish(login.token, Some(login.email), via, mark).await
    }

    /// Google in the browser with the configured settings and opener.
    pub async fn google(&self, return_to: Option<String>) -> Result<SessionView> {
        let settings = self.parts.google.clone().ok_or(SignInError::GoogleNotConfigured)?;
        self.google_with(settings, self.opener(), return_to).await
    }

    /// Google in the browser with explicit settings and opener; one at a time.
    pub async fn google_with(
        &self,
        settings: GoogleSettings,
        open: Opener,
        return_to: Option<String>,
    ) -> Result<SessionView> {
        let _only_one = self.google_flow.try_lock().map_err(|_| SignInError::AlreadyInProgress)?;
        // A sign-out while the browser is open ends the wait, and one while the
        // code is being exchanged voids the result: the sign-out wins.
        let mark = self.parts.sessions.mark();
        let finish = |google| self.google_token_since(google, SignInVia::Google, mark);
        let stop = self.parts.sessions.sign_out_after(mark);
        let network = self.parts.erp.network();
        crate::google::sign_in(&settings, network, open, return_to.as_deref(), stop, finish).await
    }

    /// Demo mode: sign in as a simulator account through its Google-like exchange.
    pub async fn demo(&self, email: Option<String>) -> Result<SessionView> {
        let issuer = self.parts.demo.clone().ok_or(SignInError::NotDemo)?;
        let email = email.unwrap_or_else(|| "jane@example.com".into());
        let google = issuer(&email)
            .ok_or_else(|| CoreError::invalid(format!("email: the simulator has no account {email}.")))?;
        self.with_google_token(google, SignInVia::Demo).await
    }
}
