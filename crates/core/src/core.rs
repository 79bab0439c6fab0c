//! The app's one core, shared through a cheap [`CoreHandle`]: session, allowlist,
//! audit log, ERP client and the connected clients. Session changes go out on a
//! `watch` channel (the tray subscribes; nobody polls).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use erp_proto::ClientInfo;
use erp_proto::admin::{AllowlistView, AuditEntry, ConnectedClient, Secret, SessionView, StatusOutput};
use erp_proto::tools::{SessionState, SignInMethod, WhoamiOutput};
use tokio::sync::watch;

use crate::allowlist::Allowlist;
use crate::audit::AuditLog;
use crate::config::{Config, SIGN_IN_LINK};
use crate::erp::{ErpClient, ErpError, valid_token_format};
use crate::error::{CoreError, Result};
use crate::session::{SessionStore, SignInVia, StoredSession};

/// What opening a sign-in did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStart {
    /// A browser or window was opened; the sentence says where to finish.
    Started(String),
    /// Nothing can be opened here; the sentence says what to run instead.
    Manual(String),
}

/// The GUI seam: how the app opens a sign-in (browser, webview). The headless
/// app says what to run instead.
pub trait SignInUi: Send + Sync + 'static {
    /// Open a sign-in by `method`; `return_to` names the editor that asked.
    fn start(&self, method: SignInMethod, return_to: Option<String>) -> SignInStart;
}

/// The headless app's [`SignInUi`]: it can open nothing.
pub struct HeadlessSignIn;

impl SignInUi for HeadlessSignIn {
    fn start(&self, _: SignInMethod, _: Option<String>) -> SignInStart {
        SignInStart::Manual(
            "ERP Helper is running without a window. In a terminal, run `erp-helper signin` (Google in your browser) \
             or `erp-helper signin --token-stdin` and paste your ERP token there (never in this chat), then try again."
                .into(),
        )
    }
}

/// Demo mode: issues a Google-like access token for a simulator account.
pub type DemoIssuer = Arc<dyn Fn(&str) -> Option<Secret> + Send + Sync>;

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

#[derive(Default)]
struct Live {
    session: Option<StoredSession>,
    expired_email: Option<String>,
}

/// The signed-in identity a tool call runs as.
#[derive(Clone)]
pub struct Auth {
    /// The ERP token.
    pub token: Secret,
    /// The account.
    pub email: String,
}

struct State {
    config: Config,
    erp: ErpClient,
    store: Arc<dyn SessionStore>,
    ui: Arc<dyn SignInUi>,
    demo: Option<DemoIssuer>,
    live: RwLock<Live>,
    allowlist: Mutex<Allowlist>,
    audit: AuditLog,
    clients: Mutex<BTreeMap<u64, (ClientInfo, Instant)>>,
    next_client: AtomicU64,
    session_tx: watch::Sender<SessionView>,
    clients_tx: watch::Sender<u64>,
    quit: tokio_util::sync::CancellationToken,
    opener: crate::google::Opener,
    google_flow: tokio::sync::Mutex<()>,
}

/// Cheap, cloneable handle on the core.
#[derive(Clone)]
pub struct CoreHandle(Arc<State>);

/// Keeps a client listed as connected until dropped.
pub struct ClientGuard {
    core: CoreHandle,
    id: u64,
}

impl ClientGuard {
    /// Update what is known about the client (a shim learns its host's name late).
    pub fn update(&self, info: &ClientInfo) {
        if let Some(entry) = self.core.0.clients.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&self.id) {
            if entry.0 == *info {
                return;
            }
            entry.0 = info.clone();
        }
        self.core.0.clients_tx.send_modify(|n| *n += 1);
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.core.0.clients.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
        self.core.0.clients_tx.send_modify(|n| *n += 1);
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| CoreError::Internal(format!("store task failed: {e}")))?
}

impl CoreHandle {
    /// Build the core and load any stored session.
    pub async fn build(deps: CoreDeps) -> Result<Self> {
        let CoreDeps { config, store, sign_in_ui, demo, opener } = deps;
        let loaded = {
            let store = store.clone();
            blocking(move || store.load()).await
        };
        let session = match loaded {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the stored session; starting signed out");
                None
            }
        };
        let allowlist = Allowlist::load(&config.config_dir, config.authorized_users_env.as_deref());
        let audit = AuditLog::new(&config.data_dir);
        let erp = ErpClient::new(config.api_base.clone());
        let (session_tx, _) = watch::channel(SessionView {
            state: SessionState::SignedOut,
            email: None,
            signed_in_via: None,
            storage: store.describe(),
        });
        let core = Self(Arc::new(State {
            config,
            erp,
            store,
            ui: sign_in_ui,
            demo,
            live: RwLock::new(Live { session, expired_email: None }),
            allowlist: Mutex::new(allowlist),
            audit,
            clients: Mutex::default(),
            next_client: AtomicU64::new(1),
            session_tx,
            clients_tx: watch::channel(0).0,
            quit: tokio_util::sync::CancellationToken::new(),
            opener,
            google_flow: tokio::sync::Mutex::new(()),
        }));
        core.publish();
        Ok(core)
    }

    /// Settings.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The ERP client.
    pub fn erp(&self) -> &ErpClient {
        &self.0.erp
    }

    /// Google sign-in settings, if configured.
    pub fn google(&self) -> Option<crate::google::GoogleSettings> {
        self.0.config.google.clone()
    }

    /// Held while a Google sign-in waits for the browser (one at a time).
    pub(crate) fn google_flow_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.0.google_flow
    }

    /// The injected browser opener.
    pub fn opener(&self) -> crate::google::Opener {
        self.0.opener.clone()
    }

    /// Whether demo mode is on.
    pub fn is_demo(&self) -> bool {
        self.0.demo.is_some()
    }

    fn live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.0.live.read().unwrap_or_else(|p| p.into_inner())
    }

    fn live_mut(&self) -> std::sync::RwLockWriteGuard<'_, Live> {
        self.0.live.write().unwrap_or_else(|p| p.into_inner())
    }

    fn allowlist(&self) -> std::sync::MutexGuard<'_, Allowlist> {
        self.0.allowlist.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session as anyone may see it.
    pub fn session_view(&self) -> SessionView {
        let live = self.live();
        let storage = self.0.store.describe();
        match (&live.session, &live.expired_email) {
            (Some(s), _) => SessionView {
                state: SessionState::SignedIn,
                email: Some(s.email.clone()),
                signed_in_via: Some(s.via.as_str().into()),
                storage,
            },
            (None, Some(e)) => {
                SessionView { state: SessionState::Expired, email: Some(e.clone()), signed_in_via: None, storage }
            }
            (None, None) => SessionView { state: SessionState::SignedOut, email: None, signed_in_via: None, storage },
        }
    }

    /// Subscribe to changes in the connected clients (the value is a counter).
    pub fn clients_changes(&self) -> watch::Receiver<u64> {
        self.0.clients_tx.subscribe()
    }

    /// Subscribe to session changes (sign-in, sign-out, expiry).
    pub fn session_changes(&self) -> watch::Receiver<SessionView> {
        self.0.session_tx.subscribe()
    }

    fn publish(&self) {
        self.0.session_tx.send_replace(self.session_view());
    }

    /// `whoami`.
    pub fn whoami(&self) -> WhoamiOutput {
        let view = self.session_view();
        let authorized = view.email.as_deref().map(|e| self.allowlist().permits(e));
        WhoamiOutput {
            sign_in_url: (view.state != SessionState::SignedIn).then(|| SIGN_IN_LINK.to_string()),
            state: view.state,
            email: view.email,
            signed_in_via: view.signed_in_via,
            authorized,
            erp_url: self.0.config.web_url.to_string(),
        }
    }

    /// Open a sign-in through the GUI seam.
    pub fn open_sign_in(&self, method: SignInMethod, return_to: Option<String>) -> SignInStart {
        self.0.ui.start(method, return_to)
    }

    /// The identity for a tool call: signed in, not expired, authorized.
    pub fn auth(&self) -> Result<Auth> {
        let live = self.live();
        let Some(s) = &live.session else {
            return Err(match &live.expired_email {
                Some(email) => CoreError::SessionExpired { email: email.clone() },
                None => CoreError::NotSignedIn,
            });
        };
        if !self.allowlist().permits(&s.email) {
            return Err(CoreError::NotAuthorized { email: s.email.clone() });
        }
        Ok(Auth { token: s.token.clone(), email: s.email.clone() })
    }

    /// The ERP said 401 to `auth`'s token: the session is expired. Only the
    /// session that failed is dropped (a newer sign-in is kept).
    pub async fn session_rejected(&self, auth: &Auth) -> CoreError {
        let dropped = {
            let mut live = self.live_mut();
            if live.session.as_ref().is_some_and(|s| s.token == auth.token) {
                live.session = None;
                live.expired_email = Some(auth.email.clone());
                true
            } else {
                false
            }
        };
        if dropped {
            tracing::warn!(email = %auth.email, "the ERP rejected the session; marked expired");
            let store = self.0.store.clone();
            if let Err(e) = blocking(move || store.clear()).await {
                tracing::error!(error = %e, "could not delete the rejected session");
            }
            self.publish();
        }
        CoreError::SessionExpired { email: auth.email.clone() }
    }

    /// The shared end of every sign-in: verify the token with the ERP, check the
    /// allowlist (a refused account is never stored), store, publish.
    pub async fn sign_in_with_token(
        &self,
        token: Secret,
        email_hint: Option<String>,
        via: SignInVia,
    ) -> Result<SessionView> {
        let raw = token.expose().trim();
        let raw = raw.strip_prefix("Token ").or_else(|| raw.strip_prefix("Bearer ")).unwrap_or(raw).trim();
        if !valid_token_format(raw) {
            return Err(CoreError::invalid(
                "token does not look like an ERP token (10 to 512 letters, digits, '_', '.' or '-').",
            ));
        }
        let token = Secret::new(raw);
        let email = match self.0.erp.person(&token).await {
            Ok(Some(person)) => person.get("email").and_then(|e| e.as_str()).map(|e| e.trim().to_lowercase()),
            Ok(None) => {
                // No "me" endpoint on this ERP: prove the token with a cheap call instead.
                self.0.erp.active_projects(&token).await.map_err(|e| self.sign_in_error(e))?;
                None
            }
            Err(e) => return Err(self.sign_in_error(e)),
        };
        let email =
            email.or_else(|| email_hint.map(|e| e.trim().to_lowercase())).filter(|e| e.contains('@')).ok_or_else(
                || CoreError::invalid("email: the ERP did not say whose token this is; give the account's email too."),
            )?;
        if !self.allowlist().permits(&email) {
            tracing::warn!(%email, "refused a sign-in: not on the authorized-users list");
            return Err(CoreError::NotAuthorized { email });
        }
        let session = StoredSession { email: email.clone(), via, token, signed_in_at: now_rfc3339() };
        let store = self.0.store.clone();
        let to_store = session.clone();
        blocking(move || store.save(&to_store)).await?;
        {
            let mut live = self.live_mut();
            live.session = Some(session);
            live.expired_email = None;
        }
        tracing::info!(%email, via = via.as_str(), "signed in");
        self.publish();
        Ok(self.session_view())
    }

    fn sign_in_error(&self, e: ErpError) -> CoreError {
        match e {
            ErpError::Unauthorized => CoreError::invalid("token: the ERP does not accept this token (HTTP 401)."),
            other => CoreError::Erp(other),
        }
    }

    /// Google's end: exchange a Google access token at `core/google-login/`, then
    /// finish like any sign-in.
    pub async fn sign_in_with_google_token(&self, google: Secret, via: SignInVia) -> Result<SessionView> {
        let login = self.0.erp.google_login(&google).await?;
        self.sign_in_with_token(login.token, Some(login.email), via).await
    }

    /// Demo mode: sign in as a simulator account through its Google-like exchange.
    pub async fn sign_in_demo(&self, email: Option<String>) -> Result<SessionView> {
        let issuer = self.0.demo.clone().ok_or_else(|| CoreError::invalid("demo sign-in works only with --demo."))?;
        let email = email.unwrap_or_else(|| "jane@example.com".into());
        let google = issuer(&email)
            .ok_or_else(|| CoreError::invalid(format!("email: the simulator has no account {email}.")))?;
        self.sign_in_with_google_token(google, SignInVia::Demo).await
    }

    /// Sign out: forget the session everywhere.
    pub async fn sign_out(&self) -> Result<SessionView> {
        let store = self.0.store.clone();
        blocking(move || store.clear()).await?;
        {
            let mut live = self.live_mut();
            live.session = None;
            live.expired_email = None;
        }
        tracing::info!("signed out");
        self.publish();
        Ok(self.session_view())
    }

    /// The allowlist.
    pub fn allowlist_view(&self) -> AllowlistView {
        let l = self.allowlist();
        AllowlistView { entries: l.entries().to_vec(), locked: l.locked() }
    }

    /// Add an allowlist entry.
    pub fn allow_add(&self, entry: &str) -> Result<AllowlistView> {
        self.allowlist().add(entry)?;
        self.publish();
        Ok(self.allowlist_view())
    }

    /// Remove an allowlist entry.
    pub fn allow_remove(&self, entry: &str) -> Result<AllowlistView> {
        self.allowlist().remove(entry)?;
        self.publish();
        Ok(self.allowlist_view())
    }

    /// Record a write.
    pub fn audit(&self, entry: AuditEntry) {
        if let Err(e) = self.0.audit.append(&entry) {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }

    /// The newest audit entries.
    pub fn audit_recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.0.audit.recent(limit)
    }

    /// List a client as connected until the guard drops.
    pub fn register_client(&self, info: ClientInfo) -> ClientGuard {
        let id = self.0.next_client.fetch_add(1, Ordering::Relaxed);
        self.0.clients.lock().unwrap_or_else(|p| p.into_inner()).insert(id, (info, Instant::now()));
        self.0.clients_tx.send_modify(|n| *n += 1);
        ClientGuard { core: self.clone(), id }
    }

    /// Clients connected now.
    pub fn connected_clients(&self) -> Vec<ConnectedClient> {
        self.0
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|(c, t)| ConnectedClient { client: c.clone(), connected_secs: t.elapsed().as_secs() })
            .collect()
    }

    /// Ask the app to quit (the `Quit` menu item, `erp-helper quit`).
    pub fn request_quit(&self) {
        self.0.quit.cancel();
    }

    /// Fires when someone asked the app to quit.
    pub fn quit_requested(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.0.quit.clone().cancelled_owned()
    }

    /// `app_status`.
    pub fn status(&self) -> StatusOutput {
        StatusOutput {
            app_version: crate::APP_VERSION.into(),
            protocol: erp_proto::PROTOCOL_VERSION,
            session: self.session_view(),
            erp_api_url: self.0.config.api_base.to_string(),
            allowlist: self.allowlist_view(),
            clients: self.connected_clients(),
            demo: self.is_demo(),
        }
    }
}
