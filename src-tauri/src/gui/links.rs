//! `erp-helper://` links: registered with the desktop, delivered to the
//! running app, read strictly (`erp_proto::links`), and turned into the window
//! or sign-in they name. A cold start by a link gets it as its one argument
//! (see `handle_args`); a link for a running app goes through the second
//! launch, single-instance's deep-link feature and the deep-link plugin's
//! `on_open_url`. Anything else is logged (never echoed whole) and ignored.

use erp_proto::links::Link;
use tauri::AppHandle;
use tauri_plugin_deep_link::DeepLinkExt;

/// Deliver the links handed to a running app.
pub(crate) fn listen(app: &AppHandle) {
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            open(&handle, url.as_str());
        }
    });
}

/// Open what a link names, if it is one of ours.
pub(crate) fn open(app: &AppHandle, raw: &str) {
    let link = match Link::parse(raw) {
        Ok(link) => link,
        Err(why) => {
            tracing::warn!(why, bytes = raw.len(), starts = %erp_core::error::shown(raw), "ignored a link");
            return;
        }
    };
    tracing::info!(link = %link.to_url(), "opening a link");
    let app2 = app.clone();
    let _ = app.run_on_main_thread(move || match link {
        Link::SignIn(method) => super::start_sign_in(&app2, method, None),
        Link::Status => super::open_window(&app2, "status", ""),
        Link::Allowlist => super::open_window(&app2, "allowlist", ""),
        Link::Activity => super::open_window(&app2, "activity", ""),
    });
}

/// Make this program the desktop's handler for `erp-helper://`, off the main
/// thread (it runs the desktop's tools). Idempotent: nothing is written when
/// the entry already names this program.
pub(crate) fn register_in_background() {
    std::thread::spawn(|| match register() {
        Ok(true) => tracing::info!("registered as the handler of erp-helper:// links"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not register as the handler of erp-helper:// links"),
    });
}

#[cfg(target_os = "linux")]
fn register() -> anyhow::Result<bool> {
    use anyhow::Context;
    use erp_proto::links::{DESKTOP_FILE, MIME_TYPE, desktop_entry};

    let exe = std::env::current_exe().context("where this program is")?;
    let shown = exe.to_string_lossy();
    // A program replaced while it runs: its successor registers itself.
    anyhow::ensure!(exe.is_file() && !shown.ends_with(" (deleted)"), "this program's file is gone");
    // An installed package's entry already handles the links: write nothing over it.
    if default_handler().filter(|name| name != DESKTOP_FILE).is_some_and(|entry| runs(&entry, &exe)) {
        return Ok(false);
    }
    let dir = dirs::data_dir().context("no data directory (XDG_DATA_HOME or HOME)")?.join("applications");
    let file = dir.join(DESKTOP_FILE);
    let want = desktop_entry(&shown);
    if std::fs::read_to_string(&file).is_ok_and(|have| have == want) {
        return Ok(false);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let tmp = dir.join(format!(".{DESKTOP_FILE}.{}", std::process::id()));
    std::fs::write(&tmp, &want)
        .and_then(|()| std::fs::rename(&tmp, &file))
        .with_context(|| format!("write {}", file.display()))?;
    // `xdg-mime` finds a handler only through the cache this writes.
    run("update-desktop-database", &[dir.as_os_str()], "install desktop-file-utils")?;
    run("xdg-mime", &["default".as_ref(), DESKTOP_FILE.as_ref(), MIME_TYPE.as_ref()], "install xdg-utils")?;
    Ok(true)
}

/// The desktop file `xdg-mime` names as the handler of our links, if any.
#[cfg(target_os = "linux")]
fn default_handler() -> Option<String> {
    let out = std::process::Command::new("xdg-mime")
        .args(["query", "default", erp_proto::links::MIME_TYPE])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let name = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && name.ends_with(".desktop") && !name.contains('/')).then_some(name)
}

/// Whether the desktop file `name` (found where the desktop looks: the user's
/// data directory, then `XDG_DATA_DIRS`) runs `exe`, by path or through `PATH`.
#[cfg(target_os = "linux")]
fn runs(name: &str, exe: &std::path::Path) -> bool {
    let data_dirs = std::env::var("XDG_DATA_DIRS").ok().filter(|v| !v.is_empty());
    let data_dirs = data_dirs.as_deref().unwrap_or("/usr/local/share:/usr/share");
    let dirs = dirs::data_dir().into_iter().chain(std::env::split_paths(data_dirs));
    let Some(entry) = dirs.map(|d| d.join("applications").join(name)).find_map(|f| std::fs::read_to_string(f).ok())
    else {
        return false;
    };
    let Some(program) = erp_proto::links::exec_program(&entry) else { return false };
    let program = std::path::PathBuf::from(program);
    let found = if program.is_absolute() {
        Some(program)
    } else {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path).map(|d| d.join(&program)).find(|p| p.is_file())
    };
    let same = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    found.is_some_and(|p| same(&p).is_some() && same(&p) == same(exe))
}

#[cfg(target_os = "linux")]
fn run(program: &str, args: &[&std::ffi::OsStr], fix: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| anyhow::anyhow!("{program}: {e} ({fix})"))?;
    anyhow::ensure!(status.success(), "{program} failed ({status})");
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn register() -> anyhow::Result<bool> {
    // Windows: the plugin writes the registry; macOS: the bundle declares it.
    Ok(false)
}
