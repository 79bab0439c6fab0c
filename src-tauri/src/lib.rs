//! erp-helper: the app that owns sign-in, the session and every ERP call.
//! This crate is the thin shell: command line, the headless mode (core plus
//! socket server, optionally with the embedded simulator), and the CLI verbs
//! that talk to a running instance. Logic lives in `erp-core`.

mod cli;
mod headless;

pub use cli::main;
