//! Logging for the shim: stderr only, no colours (hosts show stderr raw).

/// Log to stderr with `filter` (or `RUST_LOG`, or `warn`).
pub fn init_stderr(filter: Option<&str>) {
    let filter = filter.map(str::to_string).or_else(|| std::env::var("RUST_LOG").ok()).unwrap_or_else(|| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .try_init();
}
