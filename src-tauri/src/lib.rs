//! erp-helper: the app that owns sign-in, the session and every ERP call.
//! This crate is the thin shell: the command line, the tray app (Tauri), the
//! headless mode, and the CLI verbs that talk to a running instance. Logic
//! lives in `erp-core`.

mod cli;
mod diagnostics;
mod gui;
mod headless;
mod setup;

pub use cli::main;
