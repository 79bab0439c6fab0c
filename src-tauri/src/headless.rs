//! `erp-helper --headless [--demo]`: the core and the socket server with no
//! window, for SSH sessions, servers, CI and the demo.

use std::sync::Arc;

use erp_core::core::HeadlessSignIn;
use erp_core::{CoreDeps, CoreHandle};
use tokio_util::sync::CancellationToken;

use crate::setup::AppSetup;

/// A line on stderr that never panics: stderr may be a pipe whose reader (the
/// shim that started this app) is gone.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

pub(crate) async fn run(setup: AppSetup) -> anyhow::Result<()> {
    let AppSetup { config, store, demo, sim } = setup;
    let listener = erp_core::ipc::bind(&config.socket).await?;
    let deps = CoreDeps {
        config,
        store,
        sign_in_ui: Arc::new(HeadlessSignIn),
        demo,
        opener: erp_core::google::system_opener(),
    };
    let core = CoreHandle::build(deps).await?;
    crate::setup::tell_starter_ready();

    let view = core.sessions().view();
    say!("erp-helper {} (headless) listening on {}", erp_core::APP_VERSION, listener.path().display());
    say!("ERP: {}", core.config().api_base);
    match &view.email {
        Some(e) => say!("session: {e} ({})", view.storage),
        None => say!("session: not signed in"),
    }
    if let Some(sim) = &sim {
        say!("\nDemo mode: the ERP is the embedded simulator at {}", sim.web_url());
        say!("  accounts: {}", sim.people().iter().map(|p| p.email.as_str()).collect::<Vec<_>>().join(", "));
        say!("  sign in:  erp-helper signin --demo [EMAIL]");
        if let Some(shim) = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("erp-mcp"))) {
            let snippet = erp_proto::hosts::snippet("cursor", &shim).expect("cursor is a known host");
            say!("  host config:\n{}", snippet.lines().map(|l| format!("    {l}\n")).collect::<String>());
        }
    }

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(erp_core::ipc::serve(listener, core.clone(), shutdown.clone()));
    tokio::select! {
        () = wait_for_signal() => {}
        () = core.quit_requested() => {}
    }
    say!("erp-helper: shutting down");
    shutdown.cancel();
    let _ = server.await;
    drop(sim);
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
