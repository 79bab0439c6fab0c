//! Reaching the ERP, step by step, for the doctor: the name resolves, a
//! connection opens, an HTTPS request gets an answer (any status: it is the
//! path that is checked, not a session). The first step that fails ends the
//! probe and names its fix. Not here: ERP calls (see `erp`).

use std::time::Duration;

use erp_proto::admin::{ErpProbe, ProbeStep};
use url::Url;

use crate::erp::ErpClient;

const STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// The proxy the environment names for `url`, credentials removed; `None`
/// when there is none or `NO_PROXY` covers the host.
fn proxy_for(url: &Url) -> Option<String> {
    let var =
        |k: &str| std::env::var(k).ok().or_else(|| std::env::var(k.to_lowercase()).ok()).filter(|v| !v.is_empty());
    let host = url.host_str().unwrap_or_default();
    let bypass = var("NO_PROXY").is_some_and(|list| {
        list.split(',').map(str::trim).any(|n| n == "*" || (!n.is_empty() && host.ends_with(n.trim_start_matches('.'))))
    });
    let named =
        if url.scheme() == "https" { var("HTTPS_PROXY") } else { var("HTTP_PROXY") }.or_else(|| var("ALL_PROXY"));
    let mut proxy = Url::parse(&named.filter(|_| !bypass)?).ok()?;
    let _ = proxy.set_username("");
    let _ = proxy.set_password(None);
    Some(proxy.to_string())
}

fn step(steps: &mut Vec<ProbeStep>, name: &str, ok: bool, detail: String) -> bool {
    steps.push(ProbeStep { step: name.into(), ok, detail });
    ok
}

/// The name resolves and a connection opens (without a proxy); the fix when not.
async fn reach_socket(host: &str, port: u16, url: &Url, steps: &mut Vec<ProbeStep>) -> Result<(), String> {
    let addrs = tokio::time::timeout(STEP_TIMEOUT, tokio::net::lookup_host((host, port))).await;
    let Some(addr) = addrs.ok().and_then(Result::ok).and_then(|mut a| a.next()) else {
        step(steps, "dns", false, format!("{host} does not resolve"));
        return Err(format!(
            "Check the ERP's address (`erp-helper settings`: erp_api_base_url is {url}), and your network or VPN."
        ));
    };
    step(steps, "dns", true, format!("{host} is {}", addr.ip()));
    match tokio::time::timeout(STEP_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => {
            step(steps, "connect", true, format!("{addr} accepts connections"));
            Ok(())
        }
        Ok(Err(e)) => {
            step(steps, "connect", false, format!("{addr}: {e}"));
            Err(format!("Nothing answers at {host}:{port}: the ERP is down, or a VPN or firewall is in the way."))
        }
        Err(_) => {
            step(steps, "connect", false, format!("{addr}: no answer in 5 s"));
            Err(format!("{host}:{port} does not answer: connect to your company's VPN, or check the firewall."))
        }
    }
}

/// What to do when the HTTPS request failed.
fn https_fix(host: &str, why: &str, proxied: bool) -> String {
    if why.contains("certificate") {
        format!(
            "The certificate of {host} was not accepted ({why}). If your company inspects HTTPS, its CA must be in \
             the system's trust store."
        )
    } else if proxied {
        "The request did not get through the proxy: check HTTPS_PROXY and NO_PROXY.".to_string()
    } else {
        format!("{host} accepted the connection but the request failed ({why}); check erp_api_base_url.")
    }
}

/// Probe the ERP at `erp`'s base.
pub async fn probe(erp: &ErpClient) -> ErpProbe {
    let url = erp.base().clone();
    let proxy = proxy_for(&url);
    let (host, port) = (url.host_str().unwrap_or_default().to_string(), url.port_or_known_default().unwrap_or(443));
    let mut steps = Vec::new();
    // Through a proxy, the proxy resolves and connects: only the request is ours.
    let reached = match proxy {
        Some(_) => Ok(()),
        None => reach_socket(&host, port, &url, &mut steps).await,
    };
    let fix = match reached {
        Err(fix) => Some(fix),
        Ok(()) => match erp.reach().await {
            Ok(status) => {
                step(&mut steps, url.scheme(), true, format!("the ERP answered (HTTP {status})"));
                None
            }
            Err(why) => {
                step(&mut steps, url.scheme(), false, why.clone());
                Some(https_fix(&host, &why, proxy.is_some()))
            }
        },
    };
    ErpProbe { url: url.to_string(), proxy, steps, fix }
}
