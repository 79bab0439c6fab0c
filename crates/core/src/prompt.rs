//! Opening a sign-in, once per user action. A sign-in opens from a tool call
//! that found no session, the `sign_in` tool, an `erp-helper://signin` link,
//! the tray, a window or the CLI; ten calls at once, or a host's retries, must
//! open one browser tab or window, not ten. Two rules, under one lock so that
//! concurrent calls see each other:
//!
//! 1. while a Google sign-in this opened waits in the browser, no call and no
//!    second Google request opens anything (every caller hears where to
//!    finish); a user choosing the ERP page or a token still gets that window;
//! 2. a call that only *needs* a sign-in opens one if none was opened in the
//!    last [`QUIET`] for the same session generation; a sign-in, sign-out or
//!    expiry since starts a new user action.
//!
//! Google runs here, in the system browser, in both modes; windows (the ERP
//! page, the token paste) are the [`SignInUi`]'s. Not here: the flows
//! themselves (see `signin` and `google`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use erp_proto::admin::SessionView;
use erp_proto::tools::SignInMethod;

use crate::error::Result;
use crate::google::Opener;
use crate::session::Sessions;
use crate::signin::SignIn;

/// What opening a sign-in did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStart {
    /// A browser or window was opened; the sentence says where to finish.
    Started(String),
    /// Nothing can be opened here; the sentence says what to run instead.
    Manual(String),
}

impl SignInStart {
    /// The sentence.
    pub fn message(&self) -> &str {
        match self {
            Self::Started(m) | Self::Manual(m) => m,
        }
    }
}

/// The GUI seam: the app's own sign-in windows (the ERP's page, the token
/// paste) and what it shows when a Google sign-in ends. The headless app has
/// no windows.
pub trait SignInUi: Send + Sync + 'static {
    /// Open (or focus) the window for `method`; the sentence says where to
    /// finish. `None`: this app has no windows.
    fn open_window(&self, method: SignInMethod, return_to: Option<&str>) -> Option<String>;
    /// A Google sign-in opened here has ended, either way.
    fn google_ended(&self, _result: &Result<SessionView>, _return_to: Option<&str>) {}
    /// Forget what the UI keeps of a sign-in (the ERP login page's storage).
    /// Called after every sign-out, whoever asked for it.
    fn signed_out(&self) {}
    /// Turn start at login on or off. The tray app does it through
    /// tauri-plugin-autostart and updates its check mark; without a tray, the
    /// same entry is written directly.
    fn set_start_at_login(&self, on: bool) -> Result<()> {
        crate::login_item::set(on)
    }
    /// Something the user may want to hear about while away from the app's
    /// windows (the tray app shows a desktop notification).
    fn notify(&self, _summary: &str, _body: &str) {}
    /// Read-only mode was turned on or off (the tray updates its check mark).
    fn read_only_changed(&self) {}
}

/// The headless app's [`SignInUi`]: it has no windows (Google still opens
/// in the browser, where there is one).
pub struct HeadlessSignIn;

impl SignInUi for HeadlessSignIn {
    fn open_window(&self, _: SignInMethod, _: Option<&str>) -> Option<String> {
        None
    }
}

/// How long a sign-in opened for a call covers the calls after it.
pub const QUIET: Duration = Duration::from_secs(60);

/// How long to wait for the browser to start before answering anyway.
const BROWSER_START: Duration = Duration::from_secs(10);

/// Who wants the sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// The user asked (a click, a link, `sign_in`, the CLI): open it now,
    /// unless a Google sign-in already waits in the browser.
    ByUser,
    /// A tool call found no session: open it once per user action.
    ByCall,
}

#[derive(Default)]
struct State {
    google_waiting: bool,
    last: Option<(Instant, u64)>,
    /// The host named by the newest sign-in opened, for "return to …".
    host: Option<String>,
}

struct Inner {
    state: Mutex<State>,
    sign_in: SignIn,
    sessions: Sessions,
    ui: Arc<dyn SignInUi>,
}

/// The sign-in opener. Cheap to clone.
#[derive(Clone)]
pub struct Prompter(Arc<Inner>);

/// The host's name for sentences ("return to Cursor").
fn host_name(return_to: Option<&str>) -> &str {
    return_to.filter(|h| !h.trim().is_empty()).unwrap_or("your editor")
}

fn waiting_in_browser(host: &str) -> SignInStart {
    SignInStart::Started(format!(
        "ERP Helper's Google sign-in is open in your browser: finish it there, then return to {host} and try again."
    ))
}

fn manual(why: &str) -> SignInStart {
    SignInStart::Manual(format!(
        "{why} In a terminal, run `erp-helper signin` (Google in your browser) or `erp-helper signin --token-stdin` \
         and paste your ERP token there (never in this chat), then try again."
    ))
}

impl Prompter {
    /// The opener over the sign-in service and the UI.
    pub fn new(sign_in: SignIn, sessions: Sessions, ui: Arc<dyn SignInUi>) -> Self {
        Self(Arc::new(Inner { state: Mutex::default(), sign_in, sessions, ui }))
    }

    /// The host the newest sign-in was opened for ("your editor" when none was named).
    pub fn host(&self) -> String {
        host_name(self.state().host.as_deref()).to_string()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Open a sign-in by `method` (the default: Google when configured, else
    /// the ERP's page), once per user action; `return_to` names the host that
    /// asked. Says what it opened, or what to do instead.
    pub async fn open(&self, method: Option<SignInMethod>, return_to: Option<String>, asked: Asked) -> SignInStart {
        let google = self.0.sign_in.google_settings().is_some();
        // No Google client: the ERP's own page instead.
        let method = match method.unwrap_or(SignInMethod::Google) {
            SignInMethod::Google if !google => SignInMethod::ErpPage,
            m => m,
        };
        let host = host_name(return_to.as_deref()).to_string();
        {
            let mut st = self.state();
            if return_to.is_some() {
                st.host = return_to.clone();
            }
            // A user who picks the ERP page or a token while Google waits gets that window.
            if st.google_waiting && (method == SignInMethod::Google || asked == Asked::ByCall) {
                return waiting_in_browser(&host);
            }
            let generation = self.0.sessions.generation();
            let recent = st.last.is_some_and(|(at, mark)| at.elapsed() < QUIET && mark == generation);
            if asked == Asked::ByCall && recent {
                return SignInStart::Started(format!(
                    "ERP Helper opened the sign-in a moment ago: finish it there, then return to {host} and try \
                     again."
                ));
            }
            st.last = Some((Instant::now(), generation));
            if method == SignInMethod::Google {
                st.google_waiting = true;
            }
        }
        let start = match method {
            SignInMethod::Google => self.start_google(return_to).await,
            SignInMethod::ErpPage | SignInMethod::Token => match self.0.ui.open_window(method, Some(&host)) {
                Some(sentence) => SignInStart::Started(sentence),
                None => manual("ERP Helper is running without a window."),
            },
        };
        // Nothing opened: the next call is not covered by it.
        if matches!(start, SignInStart::Manual(_)) {
            let mut st = self.state();
            st.last = None;
            st.google_waiting = false;
        }
        start
    }

    /// Google in the browser, in the background; answers once the browser
    /// has started (or could not).
    async fn start_google(&self, return_to: Option<String>) -> SignInStart {
        let host = host_name(return_to.as_deref()).to_string();
        let (started_tx, started) = tokio::sync::oneshot::channel::<Result<(), String>>();
        let started_tx = Mutex::new(Some(started_tx));
        let real = self.0.sign_in.opener();
        let opener: Opener = Arc::new(move |url: &str| {
            let r = real(url);
            if let Some(tx) = started_tx.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = tx.send(r.as_ref().map(|_| ()).map_err(|e| e.to_string()));
            }
            r
        });
        let core = self.clone();
        tokio::spawn(async move {
            let settings = core.0.sign_in.google_settings().cloned();
            let result = match settings {
                Some(s) => core.0.sign_in.google_with(s, opener, return_to.clone()).await,
                None => Err(crate::error::SignInError::GoogleNotConfigured.into()),
            };
            core.state().google_waiting = false;
            if let Err(e) = &result {
                tracing::info!(error = %e, "the Google sign-in ended without a session");
            }
            core.0.ui.google_ended(&result, return_to.as_deref());
        });
        match tokio::time::timeout(BROWSER_START, started).await {
            Ok(Ok(Ok(()))) => SignInStart::Started(format!(
                "ERP Helper opened Google sign-in in your browser: sign in there, then return to {host} and try again."
            )),
            Ok(Ok(Err(why))) => {
                manual(&format!("ERP Helper could not open a browser here ({}).", crate::error::capped(&why)))
            }
            // The flow ended before it opened anything (its log line says why).
            Ok(Err(_)) => manual("ERP Helper could not start the Google sign-in."),
            Err(_) => waiting_in_browser(&host),
        }
    }
}
