//! The ERP's own login page in an app window. The page gets no app IPC (it is a
//! remote page with no capability). An initialization script waits for the page
//! to store `localStorage['token']` (and `['username']`), then navigates to the
//! private `erp-helper-capture:` scheme; `on_navigation` catches that, cancels
//! it, and hands the token to the core, which verifies it with the ERP before
//! keeping it. Navigation is limited to the ERP's origin; a jump to Google's
//! sign-in is handed to the system-browser flow (Google refuses embedded webviews).

use erp_core::CoreHandle;
use erp_core::secret::ErpToken;
use erp_core::store::SignInVia;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};
use url::Url;

/// The label of the login window.
pub(crate) const LABEL: &str = "erp-login";
/// The private scheme the capture script navigates to.
const CAPTURE_SCHEME: &str = "erp-helper-capture";

/// Runs in the ERP page. Polls for the token the ERP web app stores after
/// sign-in; never runs on other origins.
fn capture_script(origin: &str) -> String {
    format!(
        r#"(function () {{
  if (window.location.origin !== {origin:?}) return;
  var sent = false;
  function check() {{
    if (sent) return;
    try {{
      var t = window.localStorage.getItem('token');
      if (t && t.trim()) {{
        sent = true;
        var u = window.localStorage.getItem('username') || '';
        window.location.href = '{CAPTURE_SCHEME}:captured#' + encodeURIComponent(JSON.stringify({{ t: t, u: u }}));
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

/// Open (or focus) the ERP login window.
pub(crate) fn open(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(LABEL) {
        let _ = w.show();
        let _ = w.set_focus();
        return;
    }
    let core = app.state::<CoreHandle>().inner().clone();
    let start = core.config().web_url.clone();
    let origin = start.origin().ascii_serialization();
    let google: Vec<Url> = core.sign_in().google_settings().map(|g| g.auth_url.clone()).into_iter().collect();
    let nav_app = app.clone();
    let erp = start.clone();
    let built = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(start))
        .title("Sign in to the ERP")
        .inner_size(480.0, 680.0)
        .initialization_script(capture_script(&origin))
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
            super::start_google(&app2, None);
        });
        return false;
    }
    if same_origin(url, erp) || url.scheme() == "about" {
        return true;
    }
    tracing::warn!(host = ?url.host_str(), "blocked a navigation away from the ERP in the login window");
    false
}

/// The page stored a token: verify and keep it, then close the window.
fn captured(app: &AppHandle, payload: String) {
    #[derive(serde::Deserialize)]
    struct Captured {
        t: String,
        #[serde(default)]
        u: String,
    }
    let Ok(c) = serde_json::from_str::<Captured>(&payload) else {
        tracing::warn!("the login page sent an unreadable capture");
        return;
    };
    let core = app.state::<CoreHandle>().inner().clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let email = Some(c.u).filter(|u| u.contains('@'));
        let result = core.sign_in().with_token(ErpToken::new(c.t), email, SignInVia::ErpPage).await;
        let query = match &result {
            Ok(_) => "?signed_in=1".to_string(),
            Err(e) => format!("?error={}", super::urlencode(&e.to_rpc().message)),
        };
        let handle = app.clone();
        let _ = app.run_on_main_thread(move || {
            // The token now lives in the keychain only: wipe the page's copy.
            forget(&handle);
            super::open_window(&handle, "status", &query);
        });
    });
}

/// Wipe the login page's storage (its copy of the token, its cookies) and close
/// it: right after every capture, so the token never outlives the window, and
/// on sign-out.
pub(crate) fn forget(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(LABEL) {
        let _ = w.eval("try { window.localStorage.clear(); window.sessionStorage.clear(); } catch (e) {}");
        if let Err(e) = w.clear_all_browsing_data() {
            tracing::warn!(error = %e, "could not clear the login window's storage");
        }
        let _ = w.close();
    }
}
