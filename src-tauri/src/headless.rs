//! `erp-helper --headless [--demo]`: the core and the socket server with no
//! window, for SSH sessions, servers, CI and the demo.

use std::sync::Arc;

use erp_core::core::{DemoIssuer, HeadlessSignIn};
use erp_core::session::{SessionStore, StoreChoice};
use erp_core::{Config, CoreDeps, CoreHandle};
use erp_proto::admin::Secret;
use erp_sim::{Sim, SimConfig};
use tokio_util::sync::CancellationToken;

/// Options of the headless mode.
pub(crate) struct Options {
    pub(crate) demo: bool,
    pub(crate) demo_port: u16,
    pub(crate) memory_session: bool,
}

pub(crate) async fn run(opts: Options) -> anyhow::Result<()> {
    // In demo mode the simulator is the ERP: start it first and point the app at it.
    let (sim, config) = if opts.demo {
        let sim = Sim::start_on(SimConfig::default(), opts.demo_port).await?;
        let (api, web, auth, token) = (sim.api_url(), sim.web_url(), sim.oauth_authorize_url(), sim.oauth_token_url());
        let config = Config::from_lookup(|k| match k {
            "ERP_API_BASE_URL" => Some(api.clone()),
            "ERP_WEB_URL" => Some(web.clone()),
            // Google sign-in goes to the simulator's Google-like server.
            "GOOGLE_CLIENT_ID" => Some("erp-helper-demo".into()),
            "GOOGLE_CLIENT_SECRET" => None,
            "GOOGLE_AUTH_URL" => Some(auth.clone()),
            "GOOGLE_TOKEN_URL" => Some(token.clone()),
            "ERP_HELPER_OAUTH_PORT" => Some("0".into()),
            // Demo accounts are not your accounts: ignore a real allowlist override.
            "MCP_AUTHORIZED_USERS" => None,
            other => std::env::var(other).ok(),
        })?;
        (Some(Arc::new(sim)), config)
    } else {
        (None, Config::from_env()?)
    };

    let choice = match std::env::var("ERP_HELPER_SESSION_STORE") {
        Ok(v) => StoreChoice::parse(&v)?,
        Err(_) => StoreChoice::Auto,
    };
    // Demo sessions are simulator sessions: never put them in your keychain.
    let choice = if opts.memory_session || opts.demo { StoreChoice::Memory } else { choice };
    let store: Arc<dyn SessionStore> = erp_core::session::open_store(&config, choice)?;
    let demo: Option<DemoIssuer> = sim.clone().map(|sim| {
        let issuer: DemoIssuer = Arc::new(move |email: &str| sim.issue_google_token(email).map(Secret::new));
        issuer
    });
    let listener = erp_core::ipc::bind(&config.socket).await?;
    let deps = CoreDeps {
        config,
        store,
        sign_in_ui: Arc::new(HeadlessSignIn),
        demo,
        opener: erp_core::google::system_opener(),
    };
    let core = CoreHandle::build(deps).await?;

    let view = core.session_view();
    eprintln!("erp-helper {} (headless) listening on {}", erp_core::APP_VERSION, listener.path().display());
    eprintln!("ERP: {}", core.config().api_base);
    match &view.email {
        Some(e) => eprintln!("session: {e} ({})", view.storage),
        None => eprintln!("session: not signed in"),
    }
    if let Some(sim) = &sim {
        eprintln!("\nDemo mode: the ERP is the embedded simulator at {}", sim.web_url());
        eprintln!("  accounts: {}", sim.people().iter().map(|p| p.email.as_str()).collect::<Vec<_>>().join(", "));
        eprintln!("  sign in:  erp-helper signin --demo [EMAIL]");
        if let Some(shim) = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("erp-mcp"))) {
            eprintln!("  host config (Cursor, ~/.cursor/mcp.json):");
            eprintln!("    {{\"mcpServers\": {{\"erp\": {{\"command\": \"{}\"}}}}}}", shim.display());
        }
    }

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(erp_core::ipc::serve(listener, core.clone(), shutdown.clone()));
    tokio::select! {
        () = wait_for_signal() => {}
        () = core.quit_requested() => {}
    }
    eprintln!("erp-helper: shutting down");
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
