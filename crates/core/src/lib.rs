//! erp-core: the ERP Helper app minus its GUI. It signs in (Google's loopback
//! flow with the system browser it is handed, a pasted token, the shared end of
//! every flow: verify, check the allowlist, store), keeps the session (in the
//! OS keychain, a 0600 file or memory), makes every ERP call, implements every
//! tool behind a typed router, audits writes, and serves the local socket.
//!
//! Layers, each importing only those below it (a test checks there is no circle):
//! - leaves: `error`, `secret`, `fsutil`, `dates`; then `config`, `week`,
//!   `leave` (what the ERP's leave and holiday lists mean);
//! - the edges: `erp` (HTTP), `store` (keychain/file/memory);
//! - services, each owning its state and lock: `session`, `allowlist`, `audit`,
//!   `clients`, `google` (the loopback flow), `signin`, `prompt` (opening a
//!   sign-in once per user action);
//! - `session_erp` (the ERP bound to a call's session), `core` (the façade);
//! - `router` (the rules every call obeys), `tools` (the handlers), `ipc`.
//!
//! Not here: windows, the tray, which browser opens (the app passes an
//! opener), MCP (the shim's job). Nothing here depends on Tauri.

pub mod allowlist;
pub mod audit;
pub mod clients;
pub mod config;
pub mod connect;
pub mod core;
pub mod dates;
pub mod erp;
pub mod error;
pub mod fsutil;
pub mod google;
pub mod ipc;
pub mod kept;
pub mod leave;
pub mod login_item;
pub mod net;
pub mod probe;
pub mod prompt;
pub mod router;
pub mod secret;
pub mod session;
pub mod session_erp;
pub mod signin;
pub mod store;
pub mod tools;
pub mod week;

pub use crate::config::Config;
pub use crate::core::{CoreDeps, CoreHandle, SignInUi};
pub use crate::error::{CoreError, Result};

/// This app's version, reported in the socket hello.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");
