//! The tray icon and its menu, rebuilt whenever the session or the set of
//! connected apps changes (the core's watch channels; nothing polls).

use erp_core::CoreHandle;
use erp_proto::tools::{SessionState, SignInMethod};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager, Wry};

const TRAY_ID: &str = "erp-helper";
const ICON_IN: &[u8] = include_bytes!("../../icons/tray-signed-in.png");
const ICON_OUT: &[u8] = include_bytes!("../../icons/tray-signed-out.png");

fn menu(app: &AppHandle, core: &CoreHandle) -> tauri::Result<Menu<Wry>> {
    let view = core.sessions().view();
    let account = view.summary.clone();
    let signed_in = view.state == SessionState::SignedIn;
    let clients = core.clients().connected();
    let none = MenuItem::with_id(app, "client-none", "None right now", false, None::<&str>)?;
    let client_menus: Vec<Submenu<Wry>> = clients
        .iter()
        .map(|c| {
            let (who, detail) = crate::cli::client_parts(c);
            let info = MenuItem::with_id(app, format!("client-info-{}", c.id), detail, false, None::<&str>)?;
            let end = MenuItem::with_id(app, format!("disconnect-{}", c.id), "Disconnect", true, None::<&str>)?;
            Submenu::with_id_and_items(app, format!("client-{}", c.id), who, true, &[&info, &end])
        })
        .collect::<tauri::Result<_>>()?;
    let client_refs: Vec<&dyn tauri::menu::IsMenuItem<Wry>> = if client_menus.is_empty() {
        vec![&none]
    } else {
        client_menus.iter().map(|i| i as &dyn tauri::menu::IsMenuItem<Wry>).collect()
    };
    let connected =
        Submenu::with_id_and_items(app, "clients", format!("Connected apps ({})", clients.len()), true, &client_refs)?;
    let connect = connect_menu(app)?;
    Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "account", account, false, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "signin-google", "Sign in with Google…", true, None::<&str>)?,
            &MenuItem::with_id(app, "signin-erp", "Sign in on the ERP page…", true, None::<&str>)?,
            &MenuItem::with_id(app, "signin-token", "Use a token…", true, None::<&str>)?,
            &MenuItem::with_id(app, "signout", "Sign out", signed_in, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "allowlist", "Authorized users…", true, None::<&str>)?,
            &connected,
            &connect,
            &MenuItem::with_id(app, "activity", "Activity…", true, None::<&str>)?,
            &CheckMenuItem::with_id(app, "read-only", READ_ONLY_LABEL, true, core.read_only(), None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &CheckMenuItem::with_id(app, "start-at-login", "Start at login", true, starts_at_login(app), None::<&str>)?,
            &MenuItem::with_id(app, "open-logs", "Open logs", true, None::<&str>)?,
            &MenuItem::with_id(app, "copy-diagnostics", "Copy diagnostics", true, None::<&str>)?,
            &MenuItem::with_id(app, "quit", "Quit ERP Helper", true, None::<&str>)?,
        ],
    )
}

/// "Connect to ▸": every host, checked when its config starts this app's
/// erp-mcp; a click connects it (or, when checked, takes ERP Helper out).
fn connect_menu(app: &AppHandle) -> tauri::Result<Submenu<Wry>> {
    use erp_core::connect::{Dirs, HOSTS, State};
    let (dirs, shim) = (Dirs::current(), crate::cli::shim_path().ok());
    let items: Vec<CheckMenuItem<Wry>> = HOSTS
        .iter()
        .map(|h| {
            let state = match (&dirs, &shim) {
                (Some(d), Some(s)) => h.state(d, s),
                _ => State::NotInstalled,
            };
            let label = match &state {
                State::NotInstalled => format!("{} (not installed)", h.name),
                State::Missing(_) | State::ConnectedToAnother(_) => format!("{} (needs repair)", h.name),
                State::Unreadable(_) => format!("{} (its config does not parse)", h.name),
                State::NotConnected | State::Connected => h.name.to_string(),
            };
            let enabled = shim.is_some() && !matches!(state, State::Unreadable(_));
            CheckMenuItem::with_id(
                app,
                format!("connect-{}", h.id),
                label,
                enabled,
                state == State::Connected,
                None::<&str>,
            )
        })
        .collect::<tauri::Result<_>>()?;
    let refs: Vec<&dyn tauri::menu::IsMenuItem<Wry>> =
        items.iter().map(|i| i as &dyn tauri::menu::IsMenuItem<Wry>).collect();
    Submenu::with_id_and_items(app, "connect", "Connect to", true, &refs)
}

/// A click on a host in "Connect to ▸".
fn toggle_host(app: &AppHandle, id: &str) {
    use erp_core::connect::{Dirs, State};
    let (Ok(host), Some(dirs), Ok(shim)) = (erp_core::connect::host(id), Dirs::current(), crate::cli::shim_path())
    else {
        return;
    };
    let remove = host.state(&dirs, &shim) == State::Connected;
    match host.plan(&dirs, &shim, remove).and_then(|p| erp_core::connect::apply(&p)) {
        Ok(_) => tracing::info!(host = host.id, remove, "changed the host's config"),
        Err(e) => tracing::warn!(host = host.id, error = %e, "could not change the host's config"),
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        refresh(app, &tray);
    }
}

/// The read-only mode item.
const READ_ONLY_LABEL: &str = "Read-only (assistants make no changes)";

/// A click on the read-only item: the other way round, kept in the settings.
fn toggle_read_only(app: &AppHandle) {
    let core = app.state::<CoreHandle>().inner().clone();
    // In force now; only keeping it in the settings file waits.
    let set = core.set_read_only(!core.read_only());
    tauri::async_runtime::spawn(async move {
        if let Err(e) = set.await {
            tracing::warn!(error = %e, "could not change read-only mode");
        }
    });
}

/// Whether the login entry is there (tauri-plugin-autostart's view of it).
fn starts_at_login(app: &AppHandle) -> bool {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().unwrap_or(false)
}

/// A click on "Start at login": the other way round, remembered as the user's choice.
fn toggle_start_at_login(app: &AppHandle) {
    let (core, on) = (app.state::<CoreHandle>().inner().clone(), !starts_at_login(app));
    tauri::async_runtime::spawn(async move {
        match core.set_start_at_login(on).await {
            Ok(v) => tracing::info!(on = v.on, "start at login changed"),
            Err(e) => tracing::warn!(error = %e, "could not change start at login"),
        }
    });
}

/// "Open logs": the log directory in the desktop's file manager.
fn open_logs(core: &CoreHandle) {
    let dir = core.config().data_dir.join("logs");
    let url = url::Url::from_directory_path(&dir).map(|u| u.to_string());
    let opener = erp_core::google::system_opener();
    std::thread::spawn(move || match url {
        Ok(u) => {
            if let Err(e) = opener(&u) {
                tracing::warn!(error = %e, "could not open the log directory");
            }
        }
        Err(()) => tracing::warn!(dir = %dir.display(), "the log directory is not an absolute path"),
    });
}

/// "Copy diagnostics": the bundle `erp-helper diagnostics` prints, on the clipboard.
fn copy_diagnostics(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let text = crate::diagnostics::render(&crate::diagnostics::collect().await);
        let _ = app.clone().run_on_main_thread(move || {
            #[cfg(target_os = "linux")]
            gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD).set_text(&text);
            tracing::info!(bytes = text.len(), "copied the diagnostics to the clipboard");
        });
    });
}

/// Rebuild the menu now (after a change the core's channels do not carry).
pub(crate) fn refresh_now(app: &AppHandle) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        refresh(app, &tray);
    }
}

fn handle_core(app: &AppHandle) -> CoreHandle {
    app.state::<CoreHandle>().inner().clone()
}

fn icon(core: &CoreHandle) -> tauri::Result<Image<'static>> {
    let bytes = if core.sessions().view().state == SessionState::SignedIn { ICON_IN } else { ICON_OUT };
    Image::from_bytes(bytes)
}

fn refresh(app: &AppHandle, tray: &TrayIcon) {
    let core = app.state::<CoreHandle>();
    match menu(app, &core) {
        Ok(m) => {
            let _ = tray.set_menu(Some(m));
        }
        Err(e) => tracing::error!(error = %e, "could not rebuild the tray menu"),
    }
    if let Ok(i) = icon(&core) {
        let _ = tray.set_icon(Some(i));
    }
    let tip = match core.sessions().view().email {
        Some(e) => format!("ERP Helper: {e}"),
        None => "ERP Helper: not signed in".into(),
    };
    let _ = tray.set_tooltip(Some(tip));
}

fn on_menu(app: &AppHandle, id: &str) {
    let core = app.state::<CoreHandle>().inner().clone();
    match id {
        "signin-google" => super::start_sign_in(app, Some(SignInMethod::Google), None),
        "signin-erp" => super::login::open(app, None),
        "signin-token" => super::open_window(app, "token", ""),
        "signout" => {
            tauri::async_runtime::spawn(async move {
                if let Err(e) = core.sign_out().await {
                    tracing::error!(error = %e, "sign-out failed");
                }
            });
        }
        "allowlist" => super::open_window(app, "allowlist", ""),
        "activity" => super::open_window(app, "activity", ""),
        "start-at-login" => toggle_start_at_login(app),
        "read-only" => toggle_read_only(app),
        "open-logs" => open_logs(&core),
        "copy-diagnostics" => copy_diagnostics(app),
        "quit" => app.exit(0),
        other => {
            if let Some(host) = other.strip_prefix("connect-") {
                toggle_host(app, host);
            } else if let Some(id) = other.strip_prefix("disconnect-").and_then(|id| id.parse().ok()) {
                core.clients().disconnect(id);
            }
        }
    }
}

/// Create the tray icon and keep it in step with the core.
pub(crate) fn install(app: &AppHandle, core: &CoreHandle, demo: bool) -> tauri::Result<()> {
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(core)?)
        .menu(&menu(app, core)?)
        .tooltip("ERP Helper")
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    refresh(app, &tray);
    let (mut session, mut clients) = (core.sessions().subscribe(), core.clients().subscribe());
    let app = app.clone();
    let mut was = core.sessions().view().state;
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::select! {
                r = session.changed() => if r.is_err() { break },
                r = clients.changed() => if r.is_err() { break },
            }
            let (handle, tray) = (app.clone(), tray.clone());
            let _ = app.run_on_main_thread(move || refresh(&handle, &tray));
            // The first sign-in turns start at login on, unless the user ever
            // chose (the demo's app, from a build tree, is never started at login).
            let core = handle_core(&app);
            let view = core.sessions().view();
            // Each change of state once: a sign-in, an expiry.
            match (was, view.state) {
                (SessionState::SignedIn, SessionState::Expired) => {
                    super::notify(&app, "Your ERP session expired — sign in again", "Use the ERP Helper tray menu.")
                }
                (before, SessionState::SignedIn) if before != SessionState::SignedIn => super::notify(
                    &app,
                    &format!(
                        "Signed in as {} — return to {}",
                        view.email.as_deref().unwrap_or("you"),
                        core.sign_in_host()
                    ),
                    "Your assistant can read and fill your time logs now.",
                ),
                _ => {}
            }
            was = view.state;
            if !demo && view.state == SessionState::SignedIn {
                match core.start_at_login_by_default().await {
                    Ok(true) => tracing::info!("signed in: starting at login from now on (the tray item turns it off)"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "could not turn start at login on"),
                }
            }
            let _ = app.emit("session-changed", ());
        }
    });
    Ok(())
}
