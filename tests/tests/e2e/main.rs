//! The end-to-end tests, one binary: the real `erp-mcp` and `erp-helper`
//! binaries (built by `scripts/test.sh` before the tests run), a real MCP
//! client, erp-sim, the desktop app under Xvfb. The harness in `erp_e2e`
//! owns every test's environment (config, data, socket, HOME).

mod access;
mod autostart;
mod chat;
mod cli;
mod clients;
mod connect;
mod desktop;
mod diagnostics;
mod eras;
mod errors;
mod google;
mod hardening;
mod installed;
mod keychain;
mod leaves;
mod network;
mod plans;
mod props;
mod sessions;
mod soak;
mod spans;
mod tools;
mod tray;
mod validation;
