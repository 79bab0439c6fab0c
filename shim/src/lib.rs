//! erp-mcp: the MCP server that hosts (Cursor, Claude Desktop, VS Code…) launch.
//! It answers the handshake and `tools/list` at once from the compiled
//! catalogue, and forwards `tools/call` to the ERP Helper app over its private
//! socket, starting the app if needed. It never sees a token.
//! Not here: ERP calls, sessions, sign-in (all in the app).
#![deny(clippy::print_stdout)]

mod app;
mod server;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use app::{AppLink, Autostart};
pub use server::ErpMcp;

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "erp-mcp", version, about = "MCP server for ERP Helper (stdio). Run by your MCP host.")]
pub struct Args {
    /// What to do; default: serve MCP on stdin/stdout.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The app's socket (default: the per-user path; env ERP_HELPER_SOCKET).
    #[arg(long, global = true)]
    pub socket: Option<PathBuf>,
    /// Never start the app; report that it is not running instead.
    #[arg(long, global = true, env = "ERP_MCP_NO_AUTOSTART", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_autostart: bool,
    /// Log filter for stderr, e.g. `debug` (env RUST_LOG).
    #[arg(long, global = true)]
    pub log: Option<String>,
}

/// Verbs besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio (what hosts run).
    Serve,
    /// Check the socket, the app, the protocol version, the session, the
    /// authorized users and the ERP; print what to fix (exit 1 on a problem).
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the config snippet for an MCP host (cursor, claude, vscode, windsurf, claude-code).
    Config {
        /// The host.
        host: String,
    },
}

impl Args {
    fn link(&self) -> AppLink {
        let socket = self.socket.clone().unwrap_or_else(erp_proto::socket::socket_path);
        let autostart = if self.no_autostart { Autostart::Never } else { Autostart::Find };
        AppLink::new(socket, autostart)
    }
}

/// Run the chosen verb. `out` is stdout for `doctor`/`config` (never used by `serve`,
/// whose stdout belongs to the protocol). Returns the process exit code.
pub async fn run(args: Args, out: &mut impl Write) -> anyhow::Result<i32> {
    match &args.command {
        None | Some(Command::Serve) => {
            server::serve_stdio(args.link()).await?;
            Ok(0)
        }
        Some(Command::Doctor { json }) => Ok(app::doctor(&args.link(), *json, out).await?),
        Some(Command::Config { host }) => {
            let exe = std::env::current_exe()?;
            match erp_proto::hosts::snippet(host, &exe) {
                Ok(text) => {
                    writeln!(out, "{text}")?;
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("erp-mcp: {e}");
                    Ok(2)
                }
            }
        }
    }
}
