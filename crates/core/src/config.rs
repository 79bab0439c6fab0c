//! The app's settings, including the Google OAuth client: from the
//! environment of the person who started the app, else the app's own
//! settings file (`settings.json` in the config directory, written by
//! `erp-helper settings`), else the defaults. Parsed from an injectable lookup
//! so tests need no process environment. Imports only the leaves (`error`,
//! `secret`, `fsutil`).

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
    /// `ERP_HELPER_SESSION_STORE`, when set: where the session is kept.
    pub session_store: Option<String>,
    /// `ERP_HELPER_CA_FILE`, when set: extra certificate authorities (PEM).
    pub ca_file: Option<PathBuf>,
    /// `ERP_HELPER_START_AT_LOGIN`: `Some(true)` on, `Some(false)` off, `None` never chosen.
    pub start_at_login: Option<bool>,
    /// `ERP_HELPER_READ_ONLY`: tools that change the ERP are refused (at start; the tray can change it).
    pub read_only: bool,
    /// `ERP_HELPER_WORKING_DAYS` and `ERP_HELPER_HOURS_PER_DAY`: the week `find_missing_logs` expects.
    pub work_week: WorkWeek,
}

/// The working week: which weekdays are worked, and how long each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkWeek {
    /// Monday first.
    pub days: [bool; 7],
    /// Expected time on a working day, in minutes.
    pub minutes_per_day: u32,
}

impl Default for WorkWeek {
    /// Monday to Friday, 8 hours.
    fn default() -> Self {
        Self { days: [true, true, true, true, true, false, false], minutes_per_day: 480 }
    }
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WorkWeek {
    /// Whether `d` is a working day.
    pub fn works_on(&self, d: chrono::NaiveDate) -> bool {
        use chrono::Datelike;
        self.days[d.weekday().num_days_from_monday() as usize]
    }

    /// The working days as `mon`, `tue`…
    pub fn day_names(&self) -> Vec<String> {
        WEEKDAYS.iter().zip(self.days).filter(|(_, on)| *on).map(|(n, _)| n.to_string()).collect()
    }

    /// `mon-fri`, `sun-thu`, `mon,tue,thu` (ranges and lists, any case).
    pub fn parse_days(value: &str) -> std::result::Result<[bool; 7], String> {
        const FULL: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
        let index = |name: &str| {
            let n = name.trim().to_lowercase();
            (0..7).find(|&i| WEEKDAYS[i] == n || FULL[i] == n)
        };
        let mut days = [false; 7];
        for part in value.split(',').filter(|p| !p.trim().is_empty()) {
            let (from, to) = part.split_once('-').unwrap_or((part, part));
            let (Some(a), Some(b)) = (index(from), index(to)) else {
                return Err(format!(
                    "{:?} is not a weekday or a range of them (e.g. mon-fri or mon,tue,thu)",
                    part.trim()
                ));
            };
            let mut i = a;
            loop {
                days[i] = true;
                if i == b {
                    break;
                }
                i = (i + 1) % 7;
            }
        }
        if !days.contains(&true) {
            return Err("no working day given".into());
        }
        Ok(days)
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut week = Self::default();
        if let Some(v) = get("ERP_HELPER_WORKING_DAYS") {
            week.days = Self::parse_days(&v).map_err(|e| CoreError::Config(format!("ERP_HELPER_WORKING_DAYS: {e}")))?;
        }
        if let Some(v) = get("ERP_HELPER_HOURS_PER_DAY") {
            let hours = v.parse::<f64>().ok().filter(|h| h.is_finite() && *h > 0.0 && *h <= 24.0).ok_or_else(|| {
                CoreError::Config(format!("ERP_HELPER_HOURS_PER_DAY must be more than 0 and at most 24, got {v:?}"))
            })?;
            week.minutes_per_day = (hours * 60.0).round() as u32;
        }
        Ok(week)
    }
}

/// The settings key of read-only mode.
pub const READ_ONLY_SETTING: &str = "erp_helper_read_only";

/// The settings a user may keep in the settings file: its key, and what it is.
/// Each is also an environment variable, the key in capitals, which wins.
pub const SETTINGS: &[(&str, &str)] = &[
    ("erp_api_base_url", "the ERP's API root, e.g. https://erp.example.com/api/v1/"),
    ("erp_web_url", "the ERP's login page (default: derived from the API root)"),
    ("google_client_id", "the Google OAuth client for \"Sign in with Google\""),
    ("google_client_secret", "that client's secret, if it has one"),
    ("google_auth_url", "Google's authorization endpoint (https unless loopback)"),
    ("google_token_url", "Google's token endpoint (https unless loopback)"),
    ("erp_helper_oauth_port", "the loopback port of the Google sign-in (0: any free port)"),
    ("erp_helper_oauth_timeout", "seconds the browser sign-in may take"),
    ("erp_helper_session_store", "where the session is kept: auto, keychain, file or memory"),
    ("erp_helper_ca_file", "a PEM file of extra certificate authorities to trust (a company's HTTPS inspection)"),
    (
        "erp_helper_start_at_login",
        "on or off: start the tray app at login (on after the first sign-in unless turned off)",
    ),
    ("erp_helper_read_only", "on or off: assistants may read your logs but not change them (default off)"),
    ("erp_helper_working_days", "the days you work, for find_missing_logs, e.g. mon-fri (the default) or sun-thu"),
    ("erp_helper_hours_per_day", "the hours a working day should have, for find_missing_logs (default 8)"),
];

/// The settings file, `settings.json` in the config directory: a JSON object
/// of [`SETTINGS`] keys to strings. Written atomically, readable only by you.
#[derive(Debug, Clone, Default)]
pub struct SettingsFile {
    path: PathBuf,
    values: std::collections::BTreeMap<String, String>,
}

impl SettingsFile {
    /// The file's place in `config_dir`.
    pub fn path_in(config_dir: &std::path::Path) -> PathBuf {
        config_dir.join("settings.json")
    }

    /// Read it; a missing file is empty, a broken one an error naming it.
    pub fn load(config_dir: &std::path::Path) -> Result<Self> {
        let path = Self::path_in(config_dir);
        let values = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                CoreError::Config(format!("{} is not a JSON object of strings ({e}); fix or remove it", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
            Err(e) => return Err(CoreError::storage("read", path.display(), e)),
        };
        let file = Self { path, values };
        if let Some(k) = file.values.keys().find(|k| !SETTINGS.iter().any(|(s, _)| s == k)) {
            return Err(CoreError::Config(format!("{}: unknown setting {k:?}", file.path.display())));
        }
        Ok(file)
    }

    /// Where it lives.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// One value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Set (`Some`) or remove (`None`) one value, after checking that the
    /// settings it leaves are valid; then save.
    pub fn set(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        if !SETTINGS.iter().any(|(k, _)| *k == key) {
            let known: Vec<&str> = SETTINGS.iter().map(|(k, _)| *k).collect();
            return Err(CoreError::InvalidParams(format!(
                "unknown setting {key:?}; the settings are {}",
                known.join(", ")
            )));
        }
        let mut next = self.values.clone();
        match value.map(str::trim) {
            Some(v) if !v.is_empty() => next.insert(key.to_string(), v.to_string()),
            _ => next.remove(key),
        };
        let candidate = Self { path: self.path.clone(), values: next };
        Config::from_lookup(|k| candidate.get(&k.to_lowercase()).map(str::to_string))?;
        let bytes = serde_json::to_vec_pretty(&candidate.values).expect("a map of strings serialises");
        crate::fsutil::write_private(&self.path, &bytes)?;
        *self = candidate;
        Ok(())
    }
}

/// The config directory from the environment, before the settings are read.
fn config_dir_from(get: impl Fn(&str) -> Option<String>) -> Result<PathBuf> {
    get("ERP_HELPER_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("erp-helper")))
        .ok_or_else(|| CoreError::Config("no config directory; set ERP_HELPER_CONFIG_DIR".into()))
}

/// The process environment, trimmed, empty values as unset.
fn env_var(k: &str) -> Option<String> {
    std::env::var(k).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// One setting as `erp-helper settings` shows it.
#[derive(Debug, Clone)]
pub struct SettingRow {
    /// Its key in the settings file.
    pub key: &'static str,
    /// What it is.
    pub what: &'static str,
    /// Its value, when set.
    pub value: Option<String>,
    /// Where that value comes from.
    pub source: SettingSource,
}

/// Where one setting's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingSource {
    /// The environment of whoever started the app.
    Environment,
    /// The settings file.
    File,
    /// Not set: the default applies.
    Default,
}

impl Config {
    /// From the process environment, then the settings file.
    pub fn from_env() -> Result<Self> {
        Self::from_env_and_file(env_var)
    }

    /// From an environment lookup, then the settings file it leads to.
    pub fn from_env_and_file(env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let file = SettingsFile::load(&config_dir_from(&env)?)?;
        Self::from_lookup(|k| env(k).or_else(|| file.get(&k.to_lowercase()).map(str::to_string)))
    }

    /// Each setting's value (if set) and where it comes from, for `erp-helper settings`.
    pub fn sources() -> Result<(SettingsFile, Vec<SettingRow>)> {
        let file = SettingsFile::load(&config_dir_from(env_var)?)?;
        let rows = SETTINGS
            .iter()
            .map(|&(key, what)| {
                let (value, source) = match (env_var(&key.to_uppercase()), file.get(key)) {
                    (Some(v), _) => (Some(v), SettingSource::Environment),
                    (None, Some(v)) => (Some(v.to_string()), SettingSource::File),
                    (None, None) => (None, SettingSource::Default),
                };
                SettingRow { key, what, value, source }
            })
            .collect();
        Ok((file, rows))
    }

    /// From any key lookup.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let api_base = parse_api_base(get("ERP_API_BASE_URL").as_deref().unwrap_or(DEFAULT_API_BASE))?;
        let web_url = match get("ERP_WEB_URL") {
            Some(w) => parse_http_url("ERP_WEB_URL", &w)?,
            None => web_origin(&api_base),
        };
        let config_dir = config_dir_from(get)?;
        let data_dir = get("ERP_HELPER_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|d| d.join("erp-helper")))
            .ok_or_else(|| CoreError::Config("no data directory; set ERP_HELPER_DATA_DIR".into()))?;
        let socket = erp_proto::socket::socket_path_from(|k| get(k).map(Into::into));
        let authorized_users_env = get("MCP_AUTHORIZED_USERS")
            .map(|v| v.split(',').map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect());
        let google = GoogleSettings::from_lookup(&get)?;
        let session_store = get("ERP_HELPER_SESSION_STORE");
        let ca_file = get("ERP_HELPER_CA_FILE").map(PathBuf::from);
        if let Some(f) = ca_file.as_ref().filter(|f| !f.is_absolute()) {
            return Err(CoreError::Config(format!(
                "ERP_HELPER_CA_FILE must be an absolute path, got {:?}",
                f.display()
            )));
        }
        let start_at_login = match get("ERP_HELPER_START_AT_LOGIN").as_deref() {
            None => None,
            Some("on") => Some(true),
            Some("off") => Some(false),
            Some(other) => {
                return Err(CoreError::Config(format!("ERP_HELPER_START_AT_LOGIN must be on or off, got {other:?}")));
            }
        };
        let work_week = WorkWeek::from_lookup(get)?;
        let read_only = match get("ERP_HELPER_READ_ONLY").as_deref() {
            None | Some("off") => false,
            Some("on") => true,
            Some(other) => {
                return Err(CoreError::Config(format!("ERP_HELPER_READ_ONLY must be on or off, got {other:?}")));
            }
        };
        Ok(Self {
            read_only,
            work_week,
            api_base,
            web_url,
            config_dir,
            data_dir,
            socket,
            authorized_users_env,
            google,
            session_store,
            ca_file,
            start_at_login,
        })
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
    fn the_working_week_is_mon_to_fri_8_h_unless_set() {
        const BASE: [(&str, &str); 2] = [("ERP_HELPER_CONFIG_DIR", "/c"), ("ERP_HELPER_DATA_DIR", "/d")];
        let base = BASE;
        let c = Config::from_lookup(lookup(&BASE)).unwrap();
        assert_eq!(c.work_week, WorkWeek::default());
        assert_eq!(c.work_week.day_names(), ["mon", "tue", "wed", "thu", "fri"]);
        let week = |v: &'static str| {
            let pairs: &'static [(&str, &str)] =
                Box::leak(Box::new([base[0], base[1], ("ERP_HELPER_WORKING_DAYS", v)]));
            Config::from_lookup(lookup(pairs)).map(|c| c.work_week.day_names())
        };
        assert_eq!(week("sun-thu").unwrap(), ["mon", "tue", "wed", "thu", "sun"]);
        assert_eq!(week("Monday, wed,FRI").unwrap(), ["mon", "wed", "fri"]);
        assert!(week("mon-funday").unwrap_err().to_string().contains("\"mon-funday\" is not a weekday"));
        assert!(week(",").is_err());
        let hours = |v: &'static str| {
            let pairs: &'static [(&str, &str)] =
                Box::leak(Box::new([base[0], base[1], ("ERP_HELPER_HOURS_PER_DAY", v)]));
            Config::from_lookup(lookup(pairs)).map(|c| c.work_week.minutes_per_day)
        };
        assert_eq!(hours("7.5").unwrap(), 450);
        assert!(hours("0").is_err() && hours("25").is_err() && hours("eight").is_err());
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
    fn the_environment_wins_over_the_settings_file_which_wins_over_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = SettingsFile::load(dir.path()).unwrap();
        file.set("erp_api_base_url", Some("https://file.example/api/v1/")).unwrap();
        file.set("google_client_id", Some("from-file")).unwrap();
        let d = dir.path().display().to_string();
        let env = |pairs: Vec<(&'static str, String)>| {
            move |k: &str| pairs.iter().find(|(p, _)| *p == k).map(|(_, v)| v.clone())
        };
        let c = Config::from_env_and_file(env(vec![("ERP_HELPER_CONFIG_DIR", d.clone())])).unwrap();
        assert_eq!(c.api_base.as_str(), "https://file.example/api/v1/");
        assert_eq!(c.google.unwrap().client_id, "from-file");
        let c = Config::from_env_and_file(env(vec![
            ("ERP_HELPER_CONFIG_DIR", d.clone()),
            ("ERP_API_BASE_URL", "https://env.example/api/v1/".into()),
        ]))
        .unwrap();
        assert_eq!(c.api_base.as_str(), "https://env.example/api/v1/");
        file.set("erp_api_base_url", None).unwrap();
        let c = Config::from_env_and_file(env(vec![("ERP_HELPER_CONFIG_DIR", d)])).unwrap();
        assert_eq!(c.api_base.as_str(), DEFAULT_API_BASE);
    }

    #[test]
    fn a_bad_setting_is_refused_and_a_broken_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = SettingsFile::load(dir.path()).unwrap();
        assert!(
            file.set("erp_api_base_url", Some("http://erp.example/api/v1/")).unwrap_err().to_string().contains("https")
        );
        assert!(file.set("token", Some("x")).unwrap_err().to_string().contains("unknown setting"));
        assert!(!SettingsFile::path_in(dir.path()).exists(), "nothing written for a refused value");
        std::fs::write(SettingsFile::path_in(dir.path()), "{not json").unwrap();
        let e = SettingsFile::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("settings.json") && e.contains("fix or remove it"), "{e}");
        std::fs::write(SettingsFile::path_in(dir.path()), r#"{"erp_token": "x"}"#).unwrap();
        assert!(SettingsFile::load(dir.path()).unwrap_err().to_string().contains("unknown setting"));
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
