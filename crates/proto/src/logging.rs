//! The one stderr logging set-up of both binaries: stderr only (the shim's
//! stdout belongs to the protocol), no colours (hosts show stderr raw).

/// Log to stderr with `filter`, else `RUST_LOG`, else `default` (e.g. `warn`).
pub fn init_stderr(filter: Option<&str>, default: &str) {
    let filter =
        filter.map(str::to_string).or_else(|| std::env::var("RUST_LOG").ok()).unwrap_or_else(|| default.into());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .try_init();
}
