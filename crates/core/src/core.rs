//! The app's one core, shared through a cheap [`CoreHandle`]: a thin façade
//! over the services, each of which owns its state and its lock (session,
//! allowlist, audit log, connected clients, sign-in). Not here: what a method
//! does (see `tools`) or how calls arrive (see `router` and `ipc`).

use std::sync::Arc;

use erp_proto::SIGN_IN_LINK;
use erp_proto::admin::StatusOutput;
use erp_proto::tools::{SessionState, SignInMethod, WhoamiOutput};
use tokio_util::sync::CancellationToken;

use crate::allowlist::{Allowlist, Allowlists};
use crate::audit::AuditLog;
use crate::clients::Clients;
use crate::config::Config;
use crate::erp::ErpClient;
use crate::error::Result;
use crate::prompt::Prompter;
use crate::session::Sessions;
use crate::signin::{DemoIssuer, SignIn, SignInParts};
use crate::store::SessionStore;

pub use crate::prompt::{Asked, HeadlessSignIn, SignInStart, SignInUi};

/// What the core is built from (the edges are injected).
pub struct CoreDeps {
    /// Settings.
    pub config: Config,
    /// Where the session is kept.
    pub store: Arc<dyn SessionStore>,
    /// How sign-ins are opened.
    pub sign_in_ui: Arc<dyn SignInUi>,
    /// Demo mode's token issuer; `None` outside demo mode.
    pub demo: Option<DemoIssuer>,
    /// Opens URLs in the user's browser (the Google sign-in).
    pub opener: crate::google::Opener,
}

struct Services {
    config: Config,
    erp: ErpClient,
    sessions: Sessions,
    allowlist: Allowlists,
    audit: AuditLog,
    clients: Clients,
    sign_in: SignIn,
    ui: Arc<dyn SignInUi>,
    prompter: Prompter,
    quit: CancellationToken,
    read_only: std::sync::atomic::AtomicBool,
    plans: crate::kept::Kept,
}

/// Cheap, cloneable handle on the core.
#[derive(Clone)]
pub struct CoreHandle(Arc<Services>);

impl CoreHandle {
    /// Build the core and load any stored session.
    pub async fn build(deps: CoreDeps) -> Result<Self> {
        let CoreDeps { config, store, sign_in_ui, demo, opener } = deps;
        // Independent, and each may wait on the OS (the keychain, the
        // settings files, `gsettings` for the desktop's proxy, the system's
        // trust roots): done at the same time, the app says it is ready
        // (to a starting erp-mcp) sooner.
        let (dir, env) = (config.config_dir.clone(), config.authorized_users_env.clone());
        let (ca, base) = (config.ca_file.clone(), config.api_base.clone());
        let (sessions, allowlist, erp) = tokio::join!(
            Sessions::open(store, &config.api_base),
            crate::fsutil::off_runtime(move || Ok(Allowlist::load(&dir, env.as_deref()))),
            crate::fsutil::off_runtime(move || Ok(ErpClient::new(base, crate::net::Network::load(ca.as_deref())?))),
        );
        let (allowlist, erp) = (Allowlists::new(allowlist?), erp?);
        let sign_in = SignIn::new(SignInParts {
            erp: erp.clone(),
            sessions: sessions.clone(),
            allowlist: allowlist.clone(),
            google: config.google.clone(),
            opener,
            demo,
        });
        let prompter = Prompter::new(sign_in.clone(), sessions.clone(), sign_in_ui.clone());
        Ok(Self(Arc::new(Services {
            audit: AuditLog::new(&config.data_dir),
            read_only: config.read_only.into(),
            config,
            erp,
            sessions,
            allowlist,
            clients: Clients::default(),
            sign_in,
            ui: sign_in_ui,
            prompter,
            quit: CancellationToken::new(),
            plans: crate::kept::Kept::new(std::time::Duration::from_secs(3600), 32),
        })))
    }

    /// Settings.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// Previewed plans (`dry_run`), kept for an hour for `apply_plan`.
    pub(crate) fn plans(&self) -> &crate::kept::Kept {
        &self.0.plans
    }

    /// The host the newest sign-in was opened for.
    pub fn sign_in_host(&self) -> String {
        self.0.prompter.host()
    }

    /// Tell the user (a desktop notification in the tray app).
    pub fn notify(&self, summary: &str, body: &str) {
        self.0.ui.notify(summary, body);
    }

    /// Whether tools that change the ERP are refused.
    pub fn read_only(&self) -> bool {
        self.0.read_only.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Turn read-only mode on or off, and keep the choice in the settings file.
    ///
    /// The mode takes effect when this is called, not when the returned
    /// future first runs: a tray click is in force before the next tool call
    /// (a GTK check item shows its new mark at once), and two quick clicks
    /// (handled one after the other on the main thread) flip it twice. If
    /// the choice cannot be kept, the mode goes back to what it was and the
    /// error says why.
    pub fn set_read_only(
        &self,
        on: bool,
    ) -> impl Future<Output = Result<erp_proto::admin::ReadOnlyView>> + Send + 'static {
        let was = self.0.read_only.swap(on, std::sync::atomic::Ordering::SeqCst);
        self.0.ui.read_only_changed();
        let me = self.clone();
        async move {
            let dir = me.0.config.config_dir.clone();
            let kept = crate::fsutil::off_runtime(move || {
                let mut file = crate::config::SettingsFile::load(&dir)?;
                file.set(crate::config::READ_ONLY_SETTING, Some(if on { "on" } else { "off" }))
            })
            .await;
            if let Err(e) = kept {
                // Only undo our own change: a later call may have set it since.
                let _ = me.0.read_only.compare_exchange(
                    on,
                    was,
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                );
                me.0.ui.read_only_changed();
                return Err(e);
            }
            tracing::info!(on, "read-only mode");
            Ok(erp_proto::admin::ReadOnlyView { on })
        }
    }

    /// Turn start at login on or off, as the user chose (kept in the settings file).
    pub async fn set_start_at_login(&self, on: bool) -> Result<erp_proto::admin::StartAtLoginView> {
        let (ui, dir) = (self.0.ui.clone(), self.0.config.config_dir.clone());
        crate::fsutil::off_runtime(move || {
            ui.set_start_at_login(on)?;
            crate::login_item::remember(&dir, on)?;
            Ok(erp_proto::admin::StartAtLoginView { on: crate::login_item::is_enabled()? })
        })
        .await
    }

    /// After a successful sign-in in the tray app: start at login, unless the
    /// user ever chose. Returns whether it was turned on now.
    pub async fn start_at_login_by_default(&self) -> Result<bool> {
        let dir = self.0.config.config_dir.clone();
        if crate::fsutil::off_runtime(move || crate::login_item::chosen(&dir)).await?.is_some() {
            return Ok(false);
        }
        self.set_start_at_login(true).await.map(|v| v.on)
    }

    /// The ERP client (unbound: tools reach the ERP through their call's session).
    pub(crate) fn erp(&self) -> &ErpClient {
        &self.0.erp
    }

    /// The session.
    pub fn sessions(&self) -> &Sessions {
        &self.0.sessions
    }

    /// The authorized-users list.
    pub fn allowlist(&self) -> &Allowlists {
        &self.0.allowlist
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.0.audit
    }

    /// The connected clients.
    pub fn clients(&self) -> &Clients {
        &self.0.clients
    }

    /// Signing in.
    pub fn sign_in(&self) -> &SignIn {
        &self.0.sign_in
    }

    /// Open a sign-in by `method` (the default: Google when configured, else
    /// the ERP's page), once per user action (see `prompt`); `return_to`
    /// names the host that asked.
    pub async fn open_sign_in(
        &self,
        method: Option<SignInMethod>,
        return_to: Option<String>,
        asked: Asked,
    ) -> SignInStart {
        self.0.prompter.open(method, return_to, asked).await
    }

    /// Sign out: forget the session everywhere.
    pub async fn sign_out(&self) -> Result<erp_proto::admin::SessionView> {
        let view = self.0.sessions.clear().await?;
        self.0.ui.signed_out();
        tracing::info!("signed out");
        Ok(view)
    }

    /// Add an allowlist entry; subscribers see the change.
    pub async fn allow_add(&self, entry: &str) -> Result<erp_proto::admin::AllowlistView> {
        let view = self.0.allowlist.add(entry).await?;
        self.0.sessions.republish();
        Ok(view)
    }

    /// Remove an allowlist entry; subscribers see the change.
    pub async fn allow_remove(&self, entry: &str) -> Result<erp_proto::admin::AllowlistView> {
        let view = self.0.allowlist.remove(entry).await?;
        self.0.sessions.republish();
        Ok(view)
    }

    /// `whoami`.
    pub fn whoami(&self) -> WhoamiOutput {
        let view = self.0.sessions.view();
        let authorized = view.email.as_deref().map(|e| self.0.allowlist.permits(e));
        WhoamiOutput {
            sign_in_url: (view.state != SessionState::SignedIn).then(|| SIGN_IN_LINK.to_string()),
            state: view.state,
            email: view.email,
            signed_in_via: view.signed_in_via,
            authorized,
            erp_url: self.0.config.web_url.to_string(),
            read_only: self.read_only(),
        }
    }

    /// `app_status`.
    pub fn status(&self) -> StatusOutput {
        StatusOutput {
            app_version: crate::APP_VERSION.into(),
            protocol: erp_proto::PROTOCOL_VERSION,
            session: self.0.sessions.view(),
            erp_api_url: self.0.config.api_base.to_string(),
            allowlist: self.0.allowlist.view(),
            clients: self.0.clients.connected(),
            demo: self.0.sign_in.is_demo(),
            read_only: self.read_only(),
        }
    }

    /// Ask the app to quit (the `Quit` menu item, `erp-helper quit`).
    pub fn request_quit(&self) {
        self.0.quit.cancel();
    }

    /// Fires when someone asked the app to quit.
    pub fn quit_requested(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.0.quit.clone().cancelled_owned()
    }
}
