//! The desktop shell: a tray app with no window at start, windows on demand,
//! single instance (a second launch hands its arguments over and exits), and the
//! socket server on Tauri's runtime. Every action is a one-line call into
//! `erp-core`; this module only places things on screen.

mod commands;
mod links;
mod login;
mod tray;

use std::sync::Arc;

use erp_core::core::{Asked, SignInUi};
use erp_core::{CoreDeps, CoreHandle};
use erp_proto::admin::SessionView;
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

/// Keep OpenGL out of the tray process: GDK opens GLX as it opens the
/// display, before any window exists, and that maps the GL driver (Mesa's,
/// with libLLVM: about 48 MiB of the idle tray's 128). Our windows are small
/// pages that draw as well in software (WebKit says "Disabled hardware
/// acceleration" and paints with the CPU). A `GDK_GL` the user set, even
/// empty (`GDK_GL= erp-helper` keeps GL), is left alone. Programs the app
/// starts (the browser) inherit it; GTK 3 programs draw without GL anyway.
///
/// Must run before any thread starts: it changes the environment.
pub(crate) fn keep_gl_out_of_the_tray() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("GDK_GL").is_none() {
        // SAFETY: called first thing in `main`, before the logger, the
        // runtime or GTK start a thread; nothing reads the environment concurrently.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("GDK_GL", "disable")
        };
    }
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

/// Handle `--open NAME` (at start, or handed over by a second launch) and,
/// at a cold start only, an `erp-helper://` link: a second launch's link
/// arrives through the deep-link plugin instead (see `links`).
fn handle_args(app: &AppHandle, args: &[String], cold_start: bool) {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if cold_start && erp_proto::links::looks_like_link(a) {
            links::open(app, a);
            continue;
        }
        let target = if a == "--open" { it.next().map(String::as_str) } else { a.strip_prefix("--open=") };
        match target {
            Some("erp-login") => login::open(app, None),
            Some("google") => start_sign_in(app, Some(SignInMethod::Google), None),
            Some(name) => open_window(app, name, ""),
            None => {}
        }
    }
}

/// Open a sign-in the user asked for (a click, a link, `--open`): through
/// the core, which opens Google or asks [`GuiSignIn`] for a window.
pub(crate) fn start_sign_in(app: &AppHandle, method: Option<SignInMethod>, return_to: Option<String>) {
    let core = app.state::<CoreHandle>().inner().clone();
    tauri::async_runtime::spawn(async move {
        let start = core.open_sign_in(method, return_to, Asked::ByUser).await;
        tracing::info!(sentence = start.message(), "sign-in opened");
    });
}

/// The status window's query for a sign-in's outcome.
pub(crate) fn outcome_query(result: &erp_core::Result<SessionView>, return_to: Option<&str>) -> String {
    match result {
        Ok(_) => format!("?signed_in=1&return_to={}", urlencode(return_to.unwrap_or("your editor"))),
        Err(e) => format!("?error={}", urlencode(&e.to_rpc().message)),
    }
}

/// A desktop notification, unless a window of the app has the focus (the
/// user is typing there, and the window says it already).
pub(crate) fn notify(app: &AppHandle, summary: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if app.webview_windows().values().any(|w| w.is_focused().unwrap_or(false)) {
        tracing::info!(summary, "not notifying: a window of the app has the focus");
        return;
    }
    match app.notification().builder().title(summary).body(body).show() {
        Ok(()) => tracing::info!(summary, "notified"),
        Err(e) => tracing::warn!(error = %e, summary, "could not show a notification"),
    }
}

/// The GUI's windows for the core's sign-ins.
struct GuiSignIn(AppHandle);

impl SignInUi for GuiSignIn {
    fn open_window(&self, method: SignInMethod, return_to: Option<&str>) -> Option<String> {
        let (app, host) = (self.0.clone(), return_to.unwrap_or("your editor").to_string());
        let to = return_to.map(str::to_string);
        let sentence = match method {
            SignInMethod::Token => {
                let _ = self.0.run_on_main_thread(move || open_window(&app, "token", ""));
                format!(
                    "ERP Helper opened its token window: paste your ERP token there (never in this chat), then return \
                     to {host} and try again."
                )
            }
            SignInMethod::ErpPage | SignInMethod::Google => {
                let _ = self.0.run_on_main_thread(move || login::open(&app, to));
                format!(
                    "ERP Helper opened the ERP's sign-in page in its own window: sign in there, then return to {host} \
                     and try again."
                )
            }
        };
        Some(sentence)
    }

    fn google_ended(&self, result: &erp_core::Result<SessionView>, return_to: Option<&str>) {
        let (app, query) = (self.0.clone(), outcome_query(result, return_to));
        let _ = self.0.run_on_main_thread(move || open_window(&app, "status", &query));
    }

    fn signed_out(&self) {
        let app = self.0.clone();
        let _ = self.0.run_on_main_thread(move || login::forget(&app));
    }

    fn notify(&self, summary: &str, body: &str) {
        notify(&self.0, summary, body);
    }

    fn read_only_changed(&self) {
        let app = self.0.clone();
        let _ = self.0.run_on_main_thread(move || tray::refresh_now(&app));
    }

    fn set_start_at_login(&self, on: bool) -> erp_core::Result<()> {
        use tauri_plugin_autostart::ManagerExt;
        erp_core::login_item::prepare()?;
        let launch = self.0.autolaunch();
        let done = if on { launch.enable() } else { launch.disable() };
        done.map_err(|e| erp_core::CoreError::Internal(format!("start at login: {e}")))?;
        let app = self.0.clone();
        let _ = self.0.run_on_main_thread(move || tray::refresh_now(&app));
        Ok(())
    }
}

/// Run the tray app until Quit.
pub(crate) fn run(setup: AppSetup, args: Vec<String>) -> anyhow::Result<()> {
    let AppSetup { config, store, demo, sim } = setup;
    let demo_mode = demo.is_some();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let app = tauri::Builder::default()
        // First: a second launch hands over before anything else starts. With
        // its deep-link feature, a link it was given goes to `on_open_url`.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| handle_args(app, &argv, false)))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        // The same entry as `erp_core::login_item` writes (its name, no arguments).
        .plugin(tauri_plugin_autostart::Builder::new().app_name(erp_core::login_item::APP_NAME).build())
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::paste_token,
            commands::sign_out,
            commands::start_sign_in,
            commands::allow_add,
            commands::allow_remove,
            commands::audit,
            commands::disconnect_client,
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
            tray::install(&handle, &core, demo_mode)?;
            let (quit_app, quit_core) = (handle.clone(), core.clone());
            tauri::async_runtime::spawn(async move {
                quit_core.quit_requested().await;
                quit_app.exit(0);
            });
            links::listen(&handle);
            links::register_in_background();
            handle_args(&handle, &args, true);
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
