//! The app's settings, from defaults then the environment, including the
//! Google OAuth client. Parsed from an injectable lookup so tests need no
//! process environment. Imports only the leaves (`error`, `secret`).

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::error::{CoreError, Result};
use crate::secret::ClientSecret;

/// Default ERP API root (the older servers' default).
pub const DEFAULT_API_BASE: &str = "https://erp.arbisoft.com/api/v1/";

/// Google's authorization endpoint.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// The loopback port the older server registered with Google.
pub const DEFAULT_OAUTH_PORT: u16 = 8765;
/// How long the user has to finish in the browser.
pub const DEFAULT_OAUTH_TIMEOUT: Duration = Duration::from_secs(300);

/// Settings of one app instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// ERP API root, always ending in `/` (e.g. `https://erp.example.com/api/v1/`).
    pub api_base: Url,
    /// ERP web origin (its login page), e.g. `https://erp.example.com`.
    pub web_url: Url,
    /// Settings and allowlist.
    pub config_dir: PathBuf,
    /// Audit log, logs, and (only where no keychain works) the session file.
    pub data_dir: PathBuf,
    /// The socket.
    pub socket: PathBuf,
    /// `MCP_AUTHORIZED_USERS`, when set: overrides and locks the allowlist.
    pub authorized_users_env: Option<Vec<String>>,
    /// Google sign-in settings, when a client id is configured.
    pub google: Option<GoogleSettings>,
}

impl Config {
    /// From the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// From any key lookup.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let api_base = parse_api_base(get("ERP_API_BASE_URL").as_deref().unwrap_or(DEFAULT_API_BASE))?;
        let web_url = match get("ERP_WEB_URL") {
            Some(w) => parse_http_url("ERP_WEB_URL", &w)?,
            None => web_origin(&api_base),
        };
        let config_dir = get("ERP_HELPER_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs::config_dir().map(|d| d.join("erp-helper")))
            .ok_or_else(|| CoreError::Config("no config directory; set ERP_HELPER_CONFIG_DIR".into()))?;
        let data_dir = get("ERP_HELPER_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|d| d.join("erp-helper")))
            .ok_or_else(|| CoreError::Config("no data directory; set ERP_HELPER_DATA_DIR".into()))?;
        let socket = erp_proto::socket::socket_path_from(|k| get(k).map(Into::into));
        let authorized_users_env = get("MCP_AUTHORIZED_USERS")
            .map(|v| v.split(',').map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect());
        let google = GoogleSettings::from_lookup(&get)?;
        Ok(Self { api_base, web_url, config_dir, data_dir, socket, authorized_users_env, google })
    }

    /// The web page of a week log.
    pub fn week_url(&self, week_log_id: i64) -> String {
        format!("{}/project-logs/update/{week_log_id}/", self.web_url.as_str().trim_end_matches('/'))
    }
}

/// Google OAuth client settings.
#[derive(Debug, Clone)]
pub struct GoogleSettings {
    /// OAuth client id (`GOOGLE_CLIENT_ID`, or the older `MCP_GOOGLE_CLIENT_ID`).
    pub client_id: String,
    /// Client secret, for clients that have one (`GOOGLE_CLIENT_SECRET`).
    pub client_secret: Option<ClientSecret>,
    /// Authorization endpoint (`GOOGLE_AUTH_URL`).
    pub auth_url: Url,
    /// Token endpoint (`GOOGLE_TOKEN_URL`).
    pub token_url: Url,
    /// Loopback port (`ERP_HELPER_OAUTH_PORT`; 0 = any free port).
    pub port: u16,
    /// Time limit (`ERP_HELPER_OAUTH_TIMEOUT`, seconds).
    pub timeout: Duration,
}

impl GoogleSettings {
    /// From a key lookup; `Ok(None)` when no client id is configured.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let Some(client_id) = get("GOOGLE_CLIENT_ID").or_else(|| get("MCP_GOOGLE_CLIENT_ID")) else {
            return Ok(None);
        };
        // https, or plain http only on this computer (a test OAuth server).
        let url = |key: &str, default: &str| parse_http_url(key, &get(key).unwrap_or_else(|| default.to_string()));
        let port = match get("ERP_HELPER_OAUTH_PORT") {
            Some(p) => p
                .parse()
                .map_err(|_| CoreError::Config(format!("ERP_HELPER_OAUTH_PORT must be a port number, got {p:?}")))?,
            None => DEFAULT_OAUTH_PORT,
        };
        let timeout = match get("ERP_HELPER_OAUTH_TIMEOUT") {
            Some(s) => Duration::from_secs(
                s.parse()
                    .map_err(|_| CoreError::Config(format!("ERP_HELPER_OAUTH_TIMEOUT must be seconds, got {s:?}")))?,
            ),
            None => DEFAULT_OAUTH_TIMEOUT,
        };
        Ok(Some(Self {
            client_id,
            client_secret: get("GOOGLE_CLIENT_SECRET").map(ClientSecret::new),
            auth_url: url("GOOGLE_AUTH_URL", GOOGLE_AUTH_URL)?,
            token_url: url("GOOGLE_TOKEN_URL", GOOGLE_TOKEN_URL)?,
            port,
            timeout,
        }))
    }
}

fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn parse_http_url(name: &str, raw: &str) -> Result<Url> {
    let u = Url::parse(raw).map_err(|e| CoreError::Config(format!("{name} is not a URL ({e}): {raw}")))?;
    match u.scheme() {
        "https" => Ok(u),
        "http" if is_loopback(&u) => Ok(u),
        "http" => Err(CoreError::Config(format!(
            "{name} must use https (plain http is allowed only on this computer, e.g. http://127.0.0.1): {raw}"
        ))),
        _ => Err(CoreError::Config(format!("{name} must be an https URL: {raw}"))),
    }
}

/// Parse the API root: https (or loopback http), no credentials, trailing `/`.
pub fn parse_api_base(raw: &str) -> Result<Url> {
    let mut u = parse_http_url("ERP_API_BASE_URL", raw)?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(CoreError::Config("ERP_API_BASE_URL must not contain a user name or password".into()));
    }
    u.set_query(None);
    u.set_fragment(None);
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

/// The web origin for an API root: the root with `/api/...` cut off.
pub fn web_origin(api: &Url) -> Url {
    let mut u = api.clone();
    let path = u.path();
    let cut = path.find("/api/").map(|i| &path[..i]).unwrap_or("").to_string();
    u.set_path(if cut.is_empty() { "/" } else { &cut });
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(a, _)| *a == k).map(|(_, b)| b.to_string())
    }

    #[test]
    fn defaults_and_derived_web_origin() {
        let c = Config::from_lookup(lookup(&[("ERP_HELPER_CONFIG_DIR", "/c"), ("ERP_HELPER_DATA_DIR", "/d")])).unwrap();
        assert_eq!(c.api_base.as_str(), DEFAULT_API_BASE);
        assert_eq!(c.web_url.as_str(), "https://erp.arbisoft.com/");
    }

    #[test]
    fn api_base_gets_trailing_slash_and_loopback_http_is_allowed() {
        let u = parse_api_base("http://127.0.0.1:8000/api/v1").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:8000/api/v1/");
        assert_eq!(web_origin(&u).as_str(), "http://127.0.0.1:8000/");
    }

    #[test]
    fn plain_http_to_another_host_is_refused() {
        let e = parse_api_base("http://erp.example.com/api/v1/").unwrap_err().to_string();
        assert!(e.contains("must use https"), "{e}");
        assert!(parse_api_base("ftp://x/api/v1/").is_err());
        assert!(parse_api_base("https://u:p@x/api/v1/").is_err());
    }

    #[test]
    fn authorized_users_env_is_trimmed_and_lowercased() {
        let c = Config::from_lookup(lookup(&[
            ("ERP_HELPER_CONFIG_DIR", "/c"),
            ("ERP_HELPER_DATA_DIR", "/d"),
            ("MCP_AUTHORIZED_USERS", " Jane@Example.com, ,@corp.io "),
        ]))
        .unwrap();
        assert_eq!(c.authorized_users_env, Some(vec!["jane@example.com".to_string(), "@corp.io".to_string()]));
    }
}
