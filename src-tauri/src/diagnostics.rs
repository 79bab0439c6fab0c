//! `erp-helper diagnostics` and the tray's "Copy diagnostics": what a bug
//! report needs (versions, OS, settings, network, socket and session state,
//! connected apps, the last log lines) with every secret removed: no token
//! is ever in it (the status the app gives has none), the Google client
//! secret shows as "(set)", a proxy's credentials are dropped, and anything in
//! the log lines that looks like a token is replaced by `[redacted]`.

use erp_proto::admin;
use erp_proto::tools::NoArgs;
use serde_json::{Value, json};

/// How many of the log's last lines go in.
const LOG_LINES: usize = 60;

/// The bundle, as JSON.
pub(crate) async fn collect() -> Value {
    let config = erp_core::Config::from_env();
    let settings = match erp_core::Config::sources() {
        Ok((_, rows)) => rows
            .into_iter()
            .map(|r| {
                let value = match (r.key, r.value) {
                    ("google_client_secret", Some(_)) => Some("(set)".to_string()),
                    (_, v) => v.map(|v| redact(&v)),
                };
                json!({"key": r.key, "value": value, "source": format!("{:?}", r.source).to_lowercase()})
            })
            .collect(),
        Err(e) => vec![json!({"error": e.to_string()})],
    };
    let socket = erp_proto::socket::socket_path();
    let app = match crate::cli::connect_app().await {
        Ok(conn) => match conn.call::<admin::Status>(&NoArgs {}).await {
            Ok(s) => json!({"answers": true, "status": s}),
            Err(e) => json!({"answers": true, "error": e.to_string()}),
        },
        Err(e) => json!({"answers": false, "why": e.to_string()}),
    };
    let log_dir = config.as_ref().ok().map(|c| c.data_dir.join("logs"));
    json!({
        "versions": versions(),
        "os": os(),
        "settings": settings,
        "config_error": config.as_ref().err().map(|e| e.to_string()),
        "network": network(),
        "start_at_login": erp_core::login_item::is_enabled().ok(),
        "socket": socket.display().to_string(),
        "app": app,
        "log": log_dir.map(|d| log(&d)),
    })
}

fn versions() -> Value {
    let shim = crate::cli::shim_path().ok();
    let shim_version = shim.as_ref().and_then(|s| {
        let out = std::process::Command::new(s).arg("--version").stdin(std::process::Stdio::null()).output().ok()?;
        Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    json!({
        "erp_helper": erp_core::APP_VERSION,
        "protocol": erp_proto::PROTOCOL_VERSION,
        "erp_mcp": {"path": shim, "version": shim_version},
    })
}

fn os() -> Value {
    let release = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|r| r.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")).map(|v| v.trim_matches('"').to_string()));
    let kernel = std::process::Command::new("uname")
        .arg("-sr")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let var = |k: &str| std::env::var(k).ok();
    json!({
        "name": release,
        "kernel": kernel,
        "arch": std::env::consts::ARCH,
        "desktop": var("XDG_CURRENT_DESKTOP"),
        "session_type": var("XDG_SESSION_TYPE"),
        "display": var("WAYLAND_DISPLAY").or(var("DISPLAY")).is_some(),
    })
}

fn network() -> Value {
    let mut proxy = serde_json::Map::new();
    for k in
        ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]
    {
        if let Ok(v) = std::env::var(k) {
            proxy.insert(k.into(), without_credentials(&v).into());
        }
    }
    json!({"proxy_environment": proxy})
}

/// A proxy URL without its user and password.
fn without_credentials(v: &str) -> String {
    match url::Url::parse(v) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            format!("{u} (credentials removed)")
        }
        Ok(_) => v.to_string(),
        Err(_) => redact(v),
    }
}

fn log(dir: &std::path::Path) -> Value {
    let file = dir.join(erp_proto::logging::LOG_FILE);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let last: Vec<String> = lines[lines.len().saturating_sub(LOG_LINES)..].iter().map(|l| redact(l)).collect();
    json!({"file": file.display().to_string(), "bytes": text.len(), "last_lines": last})
}

/// Replace what looks like a token (a run of 24 or more letters, digits, `_`,
/// `-`, `+`, holding both letters and digits) with `[redacted]`.
pub(crate) fn redact(text: &str) -> String {
    let is_part = |c: char| c.is_ascii_alphanumeric() || "_-+".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let secretish =
            run.len() >= 24 && run.chars().any(|c| c.is_ascii_digit()) && run.chars().any(|c| c.is_ascii_alphabetic());
        out.push_str(if secretish { "[redacted]" } else { run });
        run.clear();
    };
    for c in text.chars() {
        if is_part(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The bundle as text: one `key: value` line per field, nested by indent.
pub(crate) fn render(v: &Value) -> String {
    fn walk(v: &Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent);
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        Value::Object(_) | Value::Array(_) => {
                            out.push_str(&format!("{pad}{k}:\n"));
                            walk(v, indent + 1, out);
                        }
                        _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                    }
                }
            }
            Value::Array(a) => {
                for item in a {
                    match item {
                        Value::Object(_) | Value::Array(_) => {
                            out.push_str(&format!("{pad}-\n"));
                            walk(item, indent + 1, out);
                        }
                        _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                    }
                }
            }
            _ => out.push_str(&format!("{pad}{}\n", scalar(v))),
        }
    }
    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => "(none)".into(),
            other => other.to_string(),
        }
    }
    let mut out = String::from("ERP Helper diagnostics (no secrets: paste it into a bug report)\n");
    walk(v, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_looks_like_a_token_is_redacted_and_the_rest_kept() {
        let line = "2026-12-02T22:19:02.388193Z INFO sign-in token=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b ok";
        assert_eq!(redact(line), "2026-12-02T22:19:02.388193Z INFO sign-in token=[redacted] ok");
        let path = "/home/jane/.local/share/erp-helper/logs/erp-helper.log";
        assert_eq!(redact(path), path);
        assert_eq!(
            without_credentials("http://me:pw@proxy.corp:3128"),
            "http://proxy.corp:3128/ (credentials removed)"
        );
    }
}
