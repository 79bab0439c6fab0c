//! The ERP's own login page in an app window. The page gets no app IPC (it is a
//! remote page with no capability). An initialization script, run in the top
//! frame only, waits for the page to store `localStorage['token']`, then
//! navigates to the private `erp-helper-capture:` scheme with the token and
//! this window's nonce; `on_navigation` catches that, cancels it, and takes the
//! token only when the nonce is the one this window was opened with (once).
//! The page's storage is wiped and the window closed *before* the token is
//! checked with the ERP, whose answer alone says whose token it is. Navigation
//! is limited to the ERP's origin; a jump to Google's sign-in is handed to the
//! system-browser flow (Google refuses embedded webviews).

use std::sync::Mutex;

use erp_core::CoreHandle;
use erp_core::secret::{ErpToken, constant_time_eq, random_nonce};
use erp_core::store::SignInVia;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};
use url::Url;

/// The label of the login window.
pub(crate) const LABEL: &str = "erp-login";
/// A hidden window opened only to wipe the login page's storage when the login
/// window itself is closed. No capability names it.
const WIPE_LABEL: &str = "erp-login-wipe";
/// The private scheme the capture script navigates to.
const CAPTURE_SCHEME: &str = "erp-helper-capture";

/// The nonce of the open login window: set when the window is built, taken by
/// the first capture that carries it; and the host the window was opened for
/// ("return to Cursor"). App state (`app.manage`).
#[derive(Default)]
pub(crate) struct CaptureNonce(Mutex<Option<String>>, Mutex<Option<String>>);

impl CaptureNonce {
    fn renew(&self) -> String {
        let nonce = random_nonce();
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(nonce.clone());
        nonce
    }

    /// True once for the right nonce; a wrong one leaves it in place.
    fn take_if(&self, offered: &str) -> bool {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let ok = slot.as_deref().is_some_and(|n| constant_time_eq(n.as_bytes(), offered.as_bytes()));
        if ok {
            *slot = None;
        }
        ok
    }
}

/// Runs in the ERP page's top frame. Polls for the token the ERP web app
/// stores after sign-in; never runs in a frame or on other origins. The nonce
/// lives only in this closure.
fn capture_script(origin: &str, nonce: &str) -> String {
    format!(
        r#"(function () {{
  if (window.top !== window || window.location.origin !== {origin:?}) return;
  var nonce = {nonce:?};
  var sent = false;
  function check() {{
    if (sent) return;
    try {{
      var t = window.localStorage.getItem('token');
      if (t && t.trim()) {{
        sent = true;
        window.location.href = '{CAPTURE_SCHEME}:captured#' + encodeURIComponent(JSON.stringify({{ n: nonce, t: t }}));
        return;
      }}
    }} catch (e) {{}}
    setTimeout(check, 300);
  }}
  check();
}})();"#
    )
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// Open (or focus) the ERP login window; `return_to` names the host it was
/// opened for, if one asked.
pub(crate) fn open(app: &AppHandle, return_to: Option<String>) {
    if return_to.is_some() {
        *app.state::<CaptureNonce>().1.lock().unwrap_or_else(|e| e.into_inner()) = return_to;
    }
    if let Some(w) = app.get_webview_window(LABEL) {
        let _ = w.show();
        let _ = w.set_focus();
        return;
    }
    let core = app.state::<CoreHandle>().inner().clone();
    let start = core.config().web_url.clone();
    let origin = start.origin().ascii_serialization();
    let google: Vec<Url> = core.sign_in().google_settings().map(|g| g.auth_url.clone()).into_iter().collect();
    let nonce = app.state::<CaptureNonce>().renew();
    let nav_app = app.clone();
    let erp = start.clone();
    let built = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(start))
        .title("Sign in to the ERP")
        .inner_size(480.0, 680.0)
        .initialization_script(capture_script(&origin, &nonce))
        .on_navigation(move |url| decide(&nav_app, &erp, &google, url))
        .build();
    if let Err(e) = built {
        tracing::error!(error = %e, "could not open the ERP login window");
    }
}

/// Allow, block, or take over one navigation of the login window.
fn decide(app: &AppHandle, erp: &Url, google: &[Url], url: &Url) -> bool {
    if url.scheme() == CAPTURE_SCHEME {
        let payload = url.fragment().map(|f| {
            url::form_urlencoded::parse(format!("x={f}").as_bytes()).map(|(_, v)| v.into_owned()).collect::<String>()
        });
        captured(app, payload.unwrap_or_default());
        return false;
    }
    let is_google = url.host_str() == Some("accounts.google.com")
        || google.iter().any(|g| same_origin(g, url) && url.path() == g.path());
    if is_google {
        tracing::info!("the ERP page asked for Google sign-in; using the system browser instead");
        let app2 = app.clone();
        let _ = app.run_on_main_thread(move || {
            if let Some(w) = app2.get_webview_window(LABEL) {
                let _ = w.close();
            }
            let return_to = app2.state::<CaptureNonce>().1.lock().unwrap_or_else(|e| e.into_inner()).take();
            super::start_sign_in(&app2, Some(erp_proto::tools::SignInMethod::Google), return_to);
        });
        return false;
    }
    if same_origin(url, erp) || url.scheme() == "about" {
        return true;
    }
    tracing::warn!(host = ?url.host_str(), "blocked a navigation away from the ERP in the login window");
    false
}

/// The page stored a token: wipe the page and close the window first, then,
/// if the capture carries this window's nonce, verify and keep the token.
fn captured(app: &AppHandle, payload: String) {
    #[derive(serde::Deserialize)]
    struct Captured {
        n: String,
        t: String,
    }
    let Ok(c) = serde_json::from_str::<Captured>(&payload) else {
        tracing::warn!("the login page sent an unreadable capture; ignored");
        return;
    };
    if !app.state::<CaptureNonce>().take_if(&c.n) {
        tracing::warn!("ignored a capture that did not carry the login window's nonce");
        return;
    }
    let wipe = app.clone();
    let _ = app.run_on_main_thread(move || forget(&wipe));
    let core = app.state::<CoreHandle>().inner().clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // The ERP's answer for this token says whose it is; the page is not asked.
        let result = core.sign_in().with_token(ErpToken::new(c.t), None, SignInVia::ErpPage).await;
        let return_to = app.state::<CaptureNonce>().1.lock().unwrap_or_else(|e| e.into_inner()).take();
        let query = super::outcome_query(&result, return_to.as_deref());
        let handle = app.clone();
        let _ = app.run_on_main_thread(move || super::open_window(&handle, "status", &query));
    });
}

/// Wipe the login page's storage (any copy of a token, its cookies) and close
/// the window: right at every capture, so the token never outlives the window,
/// and on sign-out. With the login window closed, a hidden blank window on the
/// same web context does the wipe. Runs on the main thread.
pub(crate) fn forget(app: &AppHandle) {
    app.state::<CaptureNonce>().0.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(w) = app.get_webview_window(LABEL) {
        let _ = w.eval("try { window.localStorage.clear(); window.sessionStorage.clear(); } catch (e) {}");
        clear_and_close(&w);
        return;
    }
    let blank = Url::parse("about:blank").expect("a valid URL");
    match WebviewWindowBuilder::new(app, WIPE_LABEL, WebviewUrl::External(blank)).visible(false).build() {
        Ok(w) => clear_and_close(&w),
        Err(e) => tracing::warn!(error = %e, "could not open a window to wipe the login page's storage"),
    }
}

fn clear_and_close(w: &tauri::WebviewWindow) {
    if let Err(e) = w.clear_all_browsing_data() {
        tracing::warn!(error = %e, "could not clear the login page's storage");
    }
    let _ = w.close();
}
