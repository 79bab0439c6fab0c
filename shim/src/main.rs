//! `erp-mcp`: the stdio MCP server for ERP Helper. Parse, log to stderr, run.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let args = erp_mcp::Args::parse();
    erp_proto::logging::init_stderr(args.log.as_deref(), "warn");
    // One small runtime: the shim is I/O-bound and starts per chat window.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let code = rt.block_on(erp_mcp::run(args, &mut std::io::stdout()))?;
    std::process::exit(code)
}
