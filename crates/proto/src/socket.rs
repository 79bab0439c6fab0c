//! Where the app's socket lives. Both sides call [`socket_path`], so they
//! cannot disagree.
//!
//! Unix: `$ERP_HELPER_SOCKET`, else `$XDG_RUNTIME_DIR/erp-helper/erp-helper.sock`,
//! else `/run/user/<uid>/erp-helper/erp-helper.sock` when that per-user directory
//! exists (an SSH session or a host started without `XDG_RUNTIME_DIR`), else
//! `$TMPDIR/erp-helper-<uid>/erp-helper.sock` (macOS gives every user their own
//! `$TMPDIR`). The directory is created 0700 by the app; both sides refuse one
//! that is not this user's.
//! Windows: `$ERP_HELPER_SOCKET`, else the named pipe `\\.\pipe\erp-helper-<user>`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the socket path (tests, several profiles).
pub const SOCKET_ENV: &str = "ERP_HELPER_SOCKET";

/// The file name of the socket inside its directory.
pub const SOCKET_FILE: &str = "erp-helper.sock";

/// Set by erp-mcp when it starts the app with its stdout a pipe: the app
/// writes one line, `ready`, there once its socket answers, so the shim
/// connects at once instead of polling.
pub const READY_ENV: &str = "ERP_HELPER_NOTIFY_READY";

/// The socket path for this user, read from the process environment.
pub fn socket_path() -> PathBuf {
    socket_path_from(|k| std::env::var_os(k))
}

/// The socket path for this user given an environment lookup (testable).
pub fn socket_path_from(get: impl Fn(&str) -> Option<OsString>) -> PathBuf {
    socket_path_with(get, |p| p.is_dir())
}

/// [`socket_path_from`] with the directory probe injected too.
pub fn socket_path_with(get: impl Fn(&str) -> Option<OsString>, is_dir: impl Fn(&Path) -> bool) -> PathBuf {
    if let Some(p) = get(SOCKET_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    default_path(&get, &is_dir)
}

#[cfg(unix)]
fn default_path(get: &impl Fn(&str) -> Option<OsString>, is_dir: &impl Fn(&Path) -> bool) -> PathBuf {
    let runtime = get("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()).map(PathBuf::from);
    // XDG_RUNTIME_DIR must be absolute to be trusted (XDG Base Directory spec).
    if let Some(dir) = runtime.filter(|p| p.is_absolute()) {
        return dir.join("erp-helper").join(SOCKET_FILE);
    }
    // systemd-logind's per-user runtime directory, private to this user.
    let per_user = PathBuf::from(format!("/run/user/{}", current_uid()));
    if is_dir(&per_user) {
        return per_user.join("erp-helper").join(SOCKET_FILE);
    }
    let tmp = get("TMPDIR")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    // SAFETY-free: getuid cannot fail.
    let uid = current_uid();
    tmp.join(format!("erp-helper-{uid}")).join(SOCKET_FILE)
}

#[cfg(windows)]
fn default_path(get: &impl Fn(&str) -> Option<OsString>, _: &impl Fn(&Path) -> bool) -> PathBuf {
    let user = get("USERNAME").and_then(|u| u.into_string().ok()).unwrap_or_else(|| "user".into());
    let safe: String = user.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    PathBuf::from(format!(r"\\.\pipe\erp-helper-{safe}"))
}

/// The real user id of this process.
#[cfg(unix)]
pub fn current_uid() -> u32 {
    #[allow(unsafe_code)]
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe {
        libc::getuid()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let v: Vec<(String, String)> = pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        move |k| v.iter().find(|(a, _)| a == k).map(|(_, b)| OsString::from(b))
    }

    #[test]
    fn override_wins() {
        let p = socket_path_from(env(&[("ERP_HELPER_SOCKET", "/x/y.sock"), ("XDG_RUNTIME_DIR", "/run/user/1")]));
        assert_eq!(p, PathBuf::from("/x/y.sock"));
    }

    #[test]
    fn runtime_dir_is_used() {
        let p = socket_path_from(env(&[("XDG_RUNTIME_DIR", "/run/user/1000")]));
        assert_eq!(p, PathBuf::from("/run/user/1000/erp-helper/erp-helper.sock"));
    }

    #[test]
    fn relative_runtime_dir_is_ignored() {
        let p = socket_path_with(env(&[("XDG_RUNTIME_DIR", "run"), ("TMPDIR", "/tmp/me")]), |_| false);
        assert_eq!(p, PathBuf::from(format!("/tmp/me/erp-helper-{}/erp-helper.sock", current_uid())));
    }

    #[test]
    fn without_xdg_runtime_dir_the_per_user_run_dir_comes_before_tmp() {
        let uid = current_uid();
        let run = format!("/run/user/{uid}");
        let p = socket_path_with(env(&[("TMPDIR", "/tmp/me")]), |d| d == Path::new(&run));
        assert_eq!(p, PathBuf::from(format!("{run}/erp-helper/erp-helper.sock")));
        let p = socket_path_with(env(&[("TMPDIR", "/tmp/me")]), |_| false);
        assert_eq!(p, PathBuf::from(format!("/tmp/me/erp-helper-{uid}/erp-helper.sock")));
    }
}
