//! What both modes (tray and headless) start from: the settings, the session
//! store and, in demo mode, the embedded simulator.

use std::sync::Arc;

use erp_core::Config;
use erp_core::secret::GoogleAccessToken;
use erp_core::signin::DemoIssuer;
use erp_core::store::{SessionStore, StoreChoice};
use erp_sim::{Sim, SimConfig};

/// Everything the app is built from.
pub(crate) struct AppSetup {
    pub(crate) config: Config,
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) demo: Option<DemoIssuer>,
    pub(crate) sim: Option<Arc<Sim>>,
}

/// Options shared by both modes.
pub(crate) struct Options {
    pub(crate) demo: bool,
    pub(crate) demo_port: u16,
    pub(crate) memory_session: bool,
}

/// Read the settings; in demo mode start the simulator first and point the app
/// at it (API, login page, Google-like OAuth). Must run on the runtime that will
/// keep running (the simulator's server is spawned on it).
pub(crate) async fn prepare(opts: &Options) -> anyhow::Result<AppSetup> {
    let (sim, config) = if opts.demo {
        let sim = Sim::start_on(SimConfig::default(), opts.demo_port).await?;
        let (api, web, auth, token) = (sim.api_url(), sim.web_url(), sim.oauth_authorize_url(), sim.oauth_token_url());
        let config = Config::from_lookup(|k| match k {
            "ERP_API_BASE_URL" => Some(api.clone()),
            "ERP_WEB_URL" => Some(format!("{web}/login")),
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
    let choice = match &config.session_store {
        Some(v) => StoreChoice::parse(v)?,
        None => StoreChoice::Auto,
    };
    // Demo sessions are simulator sessions: never put them in your keychain.
    let choice = if opts.memory_session || opts.demo { StoreChoice::Memory } else { choice };
    // The keychain answers over D-Bus: ask it off the async runtime.
    let store = {
        let config = config.clone();
        erp_core::fsutil::off_runtime(move || erp_core::store::open_store(&config, choice)).await?
    };
    let demo: Option<DemoIssuer> = sim.clone().map(|sim| {
        let issuer: DemoIssuer = Arc::new(move |email: &str| sim.issue_google_token(email).map(GoogleAccessToken::new));
        issuer
    });
    Ok(AppSetup { config, store, demo, sim })
}

/// Tell the erp-mcp that started this app (it set
/// [`erp_proto::socket::READY_ENV`] and made stdout a pipe) that the socket
/// answers now. A no-op otherwise; a gone reader is not an error.
pub(crate) fn tell_starter_ready() {
    if std::env::var_os(erp_proto::socket::READY_ENV).is_some() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b"ready\n").and_then(|()| out.flush());
    }
}
