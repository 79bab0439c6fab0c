//! Build script: generates the Tauri context (config, capabilities, embedded ui/)
//! and the app's ACL manifest: every command below gets an `allow-<command>`
//! permission, and a window may call only the commands its capability grants
//! (`capabilities/*.json`). A command not listed here cannot be granted at all.
const COMMANDS: &[&str] =
    &["status", "paste_token", "sign_out", "start_sign_in", "allow_add", "allow_remove", "audit", "disconnect_client"];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to generate the Tauri context");
}
