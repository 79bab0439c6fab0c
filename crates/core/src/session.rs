//! The live session: who is signed in, with which token, and every change to
//! it, ordered by one lock and a generation number (sign-out ends the calls
//! of the session it ends: they stop before their next ERP request). Changes go out on a
//! `watch` channel (the tray and windows subscribe; nobody polls). The store
//! is written off the async runtime.
//! Not here: how a token is obtained (see `signin`) or the allowlist.

use std::sync::{Arc, RwLock};

use erp_proto::admin::{SessionView, session_sentence};
use erp_proto::tools::SessionState;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::error::{CoreError, Result, SignInError};
use crate::fsutil::off_runtime;
use crate::secret::ErpToken;
use crate::store::{SessionStore, StoredSession};

/// The signed-in identity a call runs as, tied to the session it came from.
#[derive(Clone)]
pub struct Auth {
    token: ErpToken,
    email: String,
    generation: u64,
    ended: CancellationToken,
}

impl Auth {
    /// The ERP token (sent only to the ERP).
    pub fn token(&self) -> &ErpToken {
        &self.token
    }

    /// The account.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// Whether this session is over (signed out, expired, or replaced by
    /// another sign-in): its token must not be sent again.
    pub fn ended(&self) -> bool {
        self.ended.is_cancelled()
    }
}

#[derive(Default)]
struct Live {
    session: Option<StoredSession>,
    expired_email: Option<String>,
    /// The ERP a stored session was for, when it was not this one (not used).
    other_erp: Option<String>,
    /// Bumped by every sign-in and sign-out: a late answer for an older
    /// session can never touch a newer one.
    generation: u64,
    /// Cancelled when this generation ends; calls that hold its `Auth` stop
    /// before their next ERP request.
    ended: CancellationToken,
    /// Bumped by every sign-out: a sign-in that started before one is void.
    sign_outs: u64,
}

/// Where the sign-outs stood when a sign-in started (see [`Sessions::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOutMark(u64);

impl Live {
    /// Start a new generation; the old one's calls see it ended.
    fn next_generation(&mut self) {
        self.generation += 1;
        self.ended.cancel();
        self.ended = CancellationToken::new();
    }
}

struct Inner {
    store: Arc<dyn SessionStore>,
    /// Held across every change of the session, store and memory together, so
    /// the store always ends up holding what memory holds.
    order: tokio::sync::Mutex<()>,
    live: RwLock<Live>,
    tx: watch::Sender<SessionView>,
}

/// The session service. Cheap to clone.
#[derive(Clone)]
pub struct Sessions(Arc<Inner>);

impl Sessions {
    /// Load any stored session for the ERP at `api_base` (an unreadable store
    /// starts signed out). A session stored for another ERP, or one that does
    /// not say which, is not used: its token is never sent to this ERP.
    pub async fn open(store: Arc<dyn SessionStore>, api_base: &url::Url) -> Self {
        let loaded = {
            let store = store.clone();
            off_runtime(move || store.load()).await
        };
        let session = loaded.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read the stored session; starting signed out");
            None
        });
        let (session, other_erp) = match session {
            Some(s) if s.api_base.as_deref() == Some(api_base.as_str()) => (Some(s), None),
            Some(s) => {
                let theirs = s.api_base.clone().unwrap_or_else(|| "an ERP it does not name".into());
                tracing::warn!(stored_for = %theirs, this_erp = %api_base, "the stored session is for another ERP; not using it");
                (None, Some(theirs))
            }
            None => (None, None),
        };
        let live = Live { session, other_erp, ..Live::default() };
        let first = view_of(&live, store.describe());
        Self(Arc::new(Inner {
            store,
            order: tokio::sync::Mutex::new(()),
            live: RwLock::new(live),
            tx: watch::channel(first).0,
        }))
    }

    fn live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.0.live.read().unwrap_or_else(|p| p.into_inner())
    }

    fn live_mut(&self) -> std::sync::RwLockWriteGuard<'_, Live> {
        self.0.live.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The session as anyone may see it.
    pub fn view(&self) -> SessionView {
        view_of(&self.live(), self.0.store.describe())
    }

    /// Subscribe to changes (sign-in, sign-out, expiry, allowlist edits).
    pub fn subscribe(&self) -> watch::Receiver<SessionView> {
        self.0.tx.subscribe()
    }

    /// Send the current view to subscribers again (something they show changed).
    pub fn republish(&self) {
        self.0.tx.send_replace(self.view());
    }

    /// The identity for a call: signed in and not expired.
    pub fn auth(&self) -> Result<Auth> {
        let live = self.live();
        match (&live.session, &live.expired_email) {
            (Some(s), _) => Ok(Auth {
                token: s.token.clone(),
                email: s.email.clone(),
                generation: live.generation,
                ended: live.ended.clone(),
            }),
            (None, Some(email)) => Err(CoreError::SessionExpired { email: email.clone() }),
            (None, None) => Err(CoreError::NotSignedIn),
        }
    }

    /// The ERP said 401 to `auth`'s token: that session is expired. Only the
    /// session that failed is dropped; a newer sign-in is kept.
    pub async fn rejected(&self, auth: &Auth) -> CoreError {
        let _order = self.0.order.lock().await;
        let dropped = {
            let mut live = self.live_mut();
            let current = live.generation == auth.generation && live.session.is_some();
            if current {
                live.session = None;
                live.expired_email = Some(auth.email.clone());
                live.next_generation();
            }
            current
        };
        if dropped {
            tracing::warn!(email = %auth.email, "the ERP rejected the session; marked expired");
            let store = self.0.store.clone();
            if let Err(e) = off_runtime(move || store.clear()).await {
                tracing::error!(error = %e, "could not delete the rejected session");
            }
            self.republish();
        }
        CoreError::SessionExpired { email: auth.email.clone() }
    }

    /// The session's generation: moves on at every sign-in, sign-out and
    /// expiry.
    pub fn generation(&self) -> u64 {
        self.live().generation
    }

    /// Where the sign-outs stand now: a sign-in started here passes this to
    /// [`Self::establish`], so a sign-out while it was pending wins.
    pub fn mark(&self) -> SignOutMark {
        SignOutMark(self.live().sign_outs)
    }

    /// Whether the user signed out since `mark`.
    pub fn signed_out_since(&self, mark: SignOutMark) -> bool {
        self.live().sign_outs != mark.0
    }

    /// Resolves once the user signs out after `mark` (never, if they don't).
    pub async fn sign_out_after(&self, mark: SignOutMark) {
        let mut changes = self.subscribe();
        while !self.signed_out_since(mark) {
            if changes.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Keep `session` (stored first, so a failed store changes nothing),
    /// unless the user signed out since `mark`.
    pub async fn establish(&self, session: StoredSession, mark: SignOutMark) -> Result<SessionView> {
        let _order = self.0.order.lock().await;
        if self.signed_out_since(mark) {
            return Err(SignInError::SignedOutMeanwhile.into());
        }
        let store = self.0.store.clone();
        let to_store = session.clone();
        off_runtime(move || store.save(&to_store)).await?;
        {
            let mut live = self.live_mut();
            live.session = Some(session);
            live.expired_email = None;
            live.other_erp = None;
            live.next_generation();
        }
        self.republish();
        Ok(self.view())
    }

    /// Forget the session everywhere; any sign-in still pending is void.
    pub async fn clear(&self) -> Result<SessionView> {
        let _order = self.0.order.lock().await;
        self.live_mut().sign_outs += 1;
        let store = self.0.store.clone();
        let cleared = off_runtime(move || store.clear()).await;
        {
            let mut live = self.live_mut();
            live.session = None;
            live.expired_email = None;
            live.other_erp = None;
            live.next_generation();
        }
        self.republish();
        cleared?;
        Ok(self.view())
    }
}

fn view_of(live: &Live, storage: String) -> SessionView {
    let (state, email, via) = match (&live.session, &live.expired_email) {
        (Some(s), _) => (SessionState::SignedIn, Some(s.email.clone()), Some(s.via.as_str().to_string())),
        (None, Some(e)) => (SessionState::Expired, Some(e.clone()), None),
        (None, None) => (SessionState::SignedOut, None, None),
    };
    let summary = match (&live.other_erp, state) {
        (Some(other), SessionState::SignedOut) => {
            format!("Not signed in to this ERP (the stored session is for {other}); sign in again.")
        }
        _ => session_sentence(state, email.as_deref(), via.as_deref()),
    };
    SessionView { state, email, signed_in_via: via, storage, summary }
}
