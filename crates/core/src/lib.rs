//! erp-core: the ERP Helper app minus its GUI. It signs in (the flows' shared
//! end: verify, check the allowlist, store), keeps the session, makes every ERP
//! call, implements every tool, audits writes, and serves the local socket.
//!
//! Not here: windows, the tray, browsers, the keychain backend (the app injects
//! a [`session::SessionStore`]), MCP (the shim's job). Nothing here depends on Tauri.

pub mod allowlist;
pub mod audit;
pub mod config;
pub mod core;
pub mod dates;
pub mod erp;
pub mod error;
pub mod google;
pub mod ipc;
pub mod session;
pub mod tools;
pub mod week;

pub use crate::config::Config;
pub use crate::core::{CoreDeps, CoreHandle, SignInUi};
pub use crate::error::{CoreError, Result};

/// This app's version, reported in the socket hello.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");
