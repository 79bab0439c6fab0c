//! How the app reaches the ERP and Google on a company network: the proxy,
//! the trust roots, and what a TLS failure means.
//!
//! - Proxy: `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY` (either
//!   case) when any is set, as reqwest reads them; otherwise, for an app
//!   started at login that sees no shell's variables, the desktop's own
//!   setting (GNOME's `org.gnome.system.proxy`, read with `gsettings`; macOS
//!   and Windows: the system's, through reqwest's `system-proxy`).
//! - Trust: the OS trust store (rustls-platform-verifier), plus the
//!   certificates of the `erp_helper_ca_file` setting when one is set.
//! - A TLS failure names the host, the certificate problem, and the setting
//!   that fixes it ([`tls_problem`]).

use std::path::{Path, PathBuf};

use crate::error::{CoreError, Result};

pub use crate::error::CA_FIX;

/// The variables that name a proxy; when any is set, the desktop's setting is not read.
const PROXY_VARS: &[&str] = &["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// The network settings every HTTP client of the app is built with.
#[derive(Clone, Default)]
pub struct Network {
    ca_file: Option<PathBuf>,
    roots: Vec<reqwest::Certificate>,
    desktop_proxy: Option<DesktopProxy>,
}

/// A proxy from the desktop's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopProxy {
    /// e.g. `http://proxy.example.com:3128`
    pub url: String,
    /// The hosts that bypass it, `NO_PROXY` style (comma-separated).
    pub no_proxy: String,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("ca_file", &self.ca_file)
            .field("roots", &self.roots.len())
            .field("desktop_proxy", &self.desktop_proxy)
            .finish()
    }
}

impl Network {
    /// Read the CA file (if any) and the desktop's proxy (if no variable names one).
    pub fn load(ca_file: Option<&Path>) -> Result<Self> {
        let roots = match ca_file {
            Some(path) => read_ca_file(path)?,
            None => Vec::new(),
        };
        let env_names_one = PROXY_VARS.iter().any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
        let desktop_proxy = if env_names_one { None } else { desktop_proxy() };
        if let Some(p) = &desktop_proxy {
            tracing::info!(proxy = %p.url, no_proxy = %p.no_proxy, "using the desktop's proxy setting");
        }
        Ok(Self { ca_file: ca_file.map(Path::to_path_buf), roots, desktop_proxy })
    }

    /// The extra CA file, when one is set.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// The desktop's proxy, when it is the one in use.
    pub fn desktop_proxy(&self) -> Option<&DesktopProxy> {
        self.desktop_proxy.as_ref()
    }

    /// A client builder with the proxy and the trust roots applied.
    pub fn builder(&self) -> reqwest::ClientBuilder {
        let mut b = reqwest::Client::builder().tls_certs_merge(self.roots.iter().cloned());
        if let Some(p) = &self.desktop_proxy {
            match reqwest::Proxy::all(&p.url) {
                Ok(proxy) => b = b.proxy(proxy.no_proxy(reqwest::NoProxy::from_string(&p.no_proxy))),
                Err(e) => tracing::warn!(error = %e, "the desktop's proxy setting is not a URL; not using it"),
            }
        }
        b
    }
}

/// Every certificate of a PEM file; an error names the file and what is wrong.
fn read_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let fix = "fix it, or unset it with `erp-helper settings --ca-file ''`";
    let bytes = std::fs::read(path)
        .map_err(|e| CoreError::Config(format!("the CA file {} cannot be read ({e}); {fix}", path.display())))?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|e| {
        CoreError::Config(format!("the CA file {} is not PEM certificates ({e}); {fix}", path.display()))
    })?;
    if certs.is_empty() {
        return Err(CoreError::Config(format!("the CA file {} holds no certificate; {fix}", path.display())));
    }
    Ok(certs)
}

/// GNOME's proxy setting, when it is "manual" (a PAC file, "auto", is not read).
fn desktop_proxy() -> Option<DesktopProxy> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let get = |schema: &str, key: &str| {
        let out = std::process::Command::new("gsettings")
            .args(["get", schema, key])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let mode = get("org.gnome.system.proxy", "mode")?;
    if mode == "'auto'" {
        tracing::warn!("the desktop's proxy is a PAC file, which ERP Helper does not read; set HTTPS_PROXY instead");
    }
    parse_gnome_proxy(&mode, &|scheme, key| get(&format!("org.gnome.system.proxy.{scheme}"), key), &|| {
        get("org.gnome.system.proxy", "ignore-hosts")
    })
}

/// The proxy GNOME's values describe (`gsettings get` output: `'manual'`,
/// `'proxy.example.com'`, `3128`, `['localhost', '127.0.0.0/8']`).
pub fn parse_gnome_proxy(
    mode: &str,
    get: &dyn Fn(&str, &str) -> Option<String>,
    ignore_hosts: &dyn Fn() -> Option<String>,
) -> Option<DesktopProxy> {
    if mode != "'manual'" {
        return None;
    }
    let unquote = |s: &str| s.trim().trim_matches('\'').to_string();
    let (host, port) = ["https", "http"].iter().find_map(|scheme| {
        let host = unquote(&get(scheme, "host")?);
        let port: u16 = get(scheme, "port")?.trim().parse().ok().filter(|p| *p != 0)?;
        (!host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
            .then_some((host, port))
    })?;
    let no_proxy = ignore_hosts()
        .map(|list| {
            let list = list.trim().trim_start_matches("@as").trim().trim_start_matches('[').trim_end_matches(']');
            list.split(',').map(unquote).filter(|h| !h.is_empty()).collect::<Vec<_>>().join(",")
        })
        .unwrap_or_default();
    Some(DesktopProxy { url: format!("http://{host}:{port}"), no_proxy })
}

/// When `e` is a TLS failure: the certificate problem in words. The rustls
/// error sits inside `io::Error`s (which hide what they wrap from `source()`),
/// inside hyper's and reqwest's errors.
pub fn tls_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = Some(e);
    while let Some(err) = source {
        let mut layer = err;
        loop {
            if let Some(tls) = layer.downcast_ref::<rustls::Error>() {
                return Some(describe(tls));
            }
            match layer.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
                Some(inner) => layer = inner,
                None => break,
            }
        }
        source = err.source();
    }
    None
}

fn describe(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "its certificate is signed by an authority this computer does not trust".into(),
            C::Expired | C::ExpiredContext { .. } => "its certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "its certificate is not valid yet".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => "its certificate is for another host".into(),
            C::Revoked => "its certificate has been revoked".into(),
            C::BadSignature => "its certificate's signature is wrong".into(),
            other => format!("its certificate was refused ({other:?})"),
        },
        other => format!("the TLS handshake failed ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnome_manual_proxy_reads_host_port_and_ignore_hosts() {
        let values = |scheme: &str, key: &str| match (scheme, key) {
            ("https", "host") => Some("'proxy.corp.example'".to_string()),
            ("https", "port") => Some("3128".to_string()),
            _ => None,
        };
        let ignore = || Some("['localhost', '127.0.0.0/8', '*.corp.example']".to_string());
        let p = parse_gnome_proxy("'manual'", &values, &ignore).unwrap();
        assert_eq!(p.url, "http://proxy.corp.example:3128");
        assert_eq!(p.no_proxy, "localhost,127.0.0.0/8,*.corp.example");
        assert_eq!(parse_gnome_proxy("'none'", &values, &ignore), None);
        assert_eq!(parse_gnome_proxy("'auto'", &values, &ignore), None);
        // The https host is unset: the http one serves; an empty list is "@as []".
        let http_only = |scheme: &str, key: &str| match (scheme, key) {
            ("https", "host") => Some("''".to_string()),
            ("https", "port") => Some("0".to_string()),
            ("http", "host") => Some("'10.0.0.1'".to_string()),
            ("http", "port") => Some("8080".to_string()),
            _ => None,
        };
        let p = parse_gnome_proxy("'manual'", &http_only, &|| Some("@as []".into())).unwrap();
        assert_eq!((p.url.as_str(), p.no_proxy.as_str()), ("http://10.0.0.1:8080", ""));
        let hostile = |_: &str, key: &str| Some(if key == "host" { "'a@b/c'" } else { "1" }.to_string());
        assert_eq!(parse_gnome_proxy("'manual'", &hostile, &|| None), None);
    }
}
