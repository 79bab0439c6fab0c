//! The desktop shell: a tray app with no window at start, windows on demand,
//! single instance (a second launch hands its arguments over and exits), and the
//! socket server on Tauri's runtime. Every action is a one-line call into
//! `erp-core`; this module only places things on screen.

mod commands;
mod login;
mod tray;

use std::sync::Arc;

use erp_core::core::{SignInStart, SignInUi};
use erp_core::{CoreDeps, CoreHandle};
use erp_proto::tools::SignInMethod;
use tauri::{AppHandle, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};
use tokio_util::sync::CancellationToken;

use crate::setup::AppSetup;

/// Windows the app can open (`--open NAME`, tray items, sign-in requests).
const LOCAL_WINDOWS: &[(&str, &str, f64, f64)] = &[
    ("status", "ERP Helper", 460.0, 600.0),
    ("token", "ERP Helper: use a token", 460.0, 320.0),
    ("allowlist", "ERP Helper: authorized users", 460.0, 600.0),
    ("activity", "ERP Helper: activity", 680.0, 520.0),
];

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Open (or focus) one of the app's own windows; `query` is appended to its page.
pub(crate) fn open_window(app: &AppHandle, name: &str, query: &str) {
    let Some(&(label, title, w, h)) = LOCAL_WINDOWS.iter().find(|(l, ..)| *l == name) else {
        tracing::warn!(name, "no such window");
        return;
    };
    let page = format!("{label}.html{query}");
    if let Some(win) = app.get_webview_window(label) {
        if !query.is_empty() {
            let _ = win.eval(format!("window.location.replace({page:?})"));
        }
        let _ = win.show();
        let _ = win.set_focus();
        return;
    }
    if let Err(e) =
        WebviewWindowBuilder::new(app, label, WebviewUrl::App(page.into())).title(title).inner_size(w, h).build()
    {
        tracing::error!(error = %e, window = label, "could not open a window");
    }
}

/// Handle `--open NAME` (at start, or handed over by a second launch).
fn handle_args(app: &AppHandle, args: &[String]) {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let target = if a == "--open" { it.next().map(String::as_str) } else { a.strip_prefix("--open=") };
        match target {
            Some("erp-login") => login::open(app),
            Some("google") => start_google(app, None),
            Some(name) => open_window(app, name, ""),
            None => {}
        }
    }
}

/// Start the Google sign-in in the system browser; the outcome shows in the
/// status window (and the tray, through the session watch).
pub(crate) fn start_google(app: &AppHandle, return_to: Option<String>) {
    let core = app.state::<CoreHandle>().inner().clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let query = match core.sign_in().google(return_to).await {
            Ok(_) => "?signed_in=1".to_string(),
            Err(e) => format!("?error={}", urlencode(&e.to_rpc().message)),
        };
        let handle = app.clone();
        let _ = app.run_on_main_thread(move || open_window(&handle, "status", &query));
    });
}

/// The GUI's way of opening a sign-in for an MCP tool call or a CLI verb.
struct GuiSignIn(AppHandle);

impl SignInUi for GuiSignIn {
    fn start(&self, method: SignInMethod, return_to: Option<String>) -> SignInStart {
        let app = self.0.clone();
        let google_ready = app.state::<CoreHandle>().sign_in().google_settings().is_some();
        match method {
            SignInMethod::Google if google_ready => {
                start_google(&app, return_to);
                SignInStart::Started(
                    "ERP Helper opened Google sign-in in your browser. Finish signing in there, then try again.".into(),
                )
            }
            _ => {
                let handle = app.clone();
                let _ = app.run_on_main_thread(move || login::open(&handle));
                SignInStart::Started(
                    "ERP Helper opened the ERP's sign-in page in its own window. Sign in there, then try again.".into(),
                )
            }
        }
    }

    fn signed_out(&self) {
        let app = self.0.clone();
        let _ = self.0.run_on_main_thread(move || login::forget(&app));
    }
}

/// Run the tray app until Quit.
pub(crate) fn run(setup: AppSetup, args: Vec<String>) -> anyhow::Result<()> {
    let AppSetup { config, store, demo, sim } = setup;
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| handle_args(app, &argv)))
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::paste_token,
            commands::sign_out,
            commands::start_sign_in,
            commands::allow_add,
            commands::allow_remove,
            commands::audit,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            let listener = tauri::async_runtime::block_on(erp_core::ipc::bind(&config.socket))?;
            let deps = CoreDeps {
                config,
                store,
                sign_in_ui: Arc::new(GuiSignIn(handle.clone())),
                demo,
                opener: erp_core::google::system_opener(),
            };
            let core = tauri::async_runtime::block_on(CoreHandle::build(deps))?;
            app.manage(core.clone());
            app.manage(login::CaptureNonce::default());
            app.manage(sim);
            tauri::async_runtime::spawn(erp_core::ipc::serve(listener, core.clone(), stop.clone()));
            crate::setup::tell_starter_ready();
            tray::install(&handle, &core)?;
            let (quit_app, quit_core) = (handle.clone(), core.clone());
            tauri::async_runtime::spawn(async move {
                quit_core.quit_requested().await;
                quit_app.exit(0);
            });
            handle_args(&handle, &args);
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(move |_app, event| match event {
        // Closing the last window must not quit a tray app; Quit passes a code.
        RunEvent::ExitRequested { api, code: None, .. } => api.prevent_exit(),
        RunEvent::Exit => shutdown.cancel(),
        _ => {}
    });
    Ok(())
}
