//! `erp-sim`: run the ERP simulator on loopback.

use clap::Parser;
use erp_sim::{ListShape, Sim, SimConfig};

/// Run the ERP simulator (API, login page, Google-like OAuth) on 127.0.0.1.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Shape of person/list: envelope, flat or string.
    #[arg(long, default_value = "envelope")]
    shape: String,
    /// Milliseconds added to every API request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Approve OAuth at once as this account (no consent page).
    #[arg(long)]
    auto_approve: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let args = Args::parse();
    let list_shape = match args.shape.as_str() {
        "envelope" => ListShape::Envelope,
        "flat" => ListShape::Flat,
        "string" => ListShape::EnvelopeString,
        other => anyhow::bail!("--shape must be envelope, flat or string, not {other:?}"),
    };
    let config = SimConfig {
        list_shape,
        latency: std::time::Duration::from_millis(args.latency_ms),
        oauth_auto_approve: args.auto_approve,
        ..SimConfig::default()
    };
    let sim = Sim::start_on(config, args.port).await?;
    eprintln!("erp-sim: API {}  login page {}/login", sim.api_url(), sim.web_url());
    for p in sim.people() {
        eprintln!("  account {} (password: {})", p.email, p.password);
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
