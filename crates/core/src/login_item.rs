//! Start at login: the desktop's own mechanism (an XDG autostart entry,
//! `~/.config/autostart/erp-helper.desktop`; a launch agent on macOS; the
//! registry's Run key on Windows), through `auto-launch`, the crate
//! tauri-plugin-autostart is built on, configured as the tray app configures
//! the plugin ([`APP_NAME`], no arguments), so both write the same entry.
//!
//! The user's choice is kept in the settings file
//! (`erp_helper_start_at_login`): never chosen, it is turned on after the
//! first successful sign-in in the tray app; an explicit "off" is never
//! undone.

use crate::error::{CoreError, Result};

/// The entry's name (`erp-helper.desktop`).
pub const APP_NAME: &str = "erp-helper";

/// The setting that keeps the user's choice.
pub const SETTING: &str = "erp_helper_start_at_login";

fn launcher() -> Result<auto_launch::AutoLaunch> {
    let exe = std::env::current_exe().map_err(|e| CoreError::Internal(format!("where this program is: {e}")))?;
    let mut b = auto_launch::AutoLaunchBuilder::new();
    b.set_app_name(APP_NAME).set_app_path(&exe.display().to_string()).set_args(&[] as &[&str]);
    #[cfg(target_os = "macos")]
    b.set_use_launch_agent(true);
    b.build().map_err(|e| CoreError::Internal(format!("start at login: {e}")))
}

/// Whether the entry is there.
pub fn is_enabled() -> Result<bool> {
    launcher()?.is_enabled().map_err(|e| CoreError::Internal(format!("start at login: {e}")))
}

/// Make the directory the entry goes in: `auto-launch` creates only its last
/// part, so a home without `~/.config` (a fresh account) would fail.
pub fn prepare() -> Result<()> {
    if cfg!(target_os = "linux") {
        let dir = dirs::home_dir().ok_or_else(|| CoreError::Config("no home directory".into()))?;
        let dir = dir.join(".config/autostart");
        std::fs::create_dir_all(&dir).map_err(|e| CoreError::storage("create", dir.display(), e))?;
    }
    Ok(())
}

/// Write (`true`) or remove (`false`) the entry.
pub fn set(on: bool) -> Result<()> {
    prepare()?;
    let l = launcher()?;
    let done = if on { l.enable() } else { l.disable() };
    done.map_err(|e| {
        CoreError::Internal(format!("could not turn start at login {}: {e}", if on { "on" } else { "off" }))
    })
}

/// Keep the user's choice in the settings file.
pub fn remember(config_dir: &std::path::Path, on: bool) -> Result<()> {
    let mut file = crate::config::SettingsFile::load(config_dir)?;
    file.set(SETTING, Some(if on { "on" } else { "off" }))
}

/// The choice in the settings file or the environment, if one was made.
pub fn chosen(config_dir: &std::path::Path) -> Result<Option<bool>> {
    let env = std::env::var("ERP_HELPER_START_AT_LOGIN").ok().filter(|v| !v.trim().is_empty());
    let file = crate::config::SettingsFile::load(config_dir)?;
    Ok(match env.as_deref().map(str::trim).or(file.get(SETTING)) {
        Some("on") => Some(true),
        Some("off") => Some(false),
        _ => None,
    })
}
