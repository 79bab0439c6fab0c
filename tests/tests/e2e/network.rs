//! Company networks, through the real app binary: erp-sim behind TLS with a
//! CA made for the test (openssl), refused with the host, the problem and the
//! fix, then trusted through `erp-helper settings --ca-file`; the calls
//! carried by a real HTTP proxy (PyPI's proxy.py, its access log shows each
//! CONNECT) named by `HTTPS_PROXY`, bypassed by `NO_PROXY`, and, for an app
//! that sees no such variable, found in the desktop's own proxy setting
//! (GNOME's, read with gsettings).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use erp_e2e::{TestEnv, eventually_blocking};
use erp_sim::{Sim, SimConfig};
use serde_json::json;

const JANE: &str = "jane@example.com";

fn support(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("support").join(file)
}

fn python() -> PathBuf {
    support(".venv/bin/python")
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA and a certificate it signed for `localhost`; returns the CA's PEM file.
fn make_ca(dir: &Path) -> PathBuf {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let ca_ext = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"];
    let ca = [&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"]].concat();
    openssl(dir, &[&ca[..], &["-subj", "/CN=ERP Helper test CA"], &ca_ext].concat());
    let csr = [&["req"][..], &ec, &["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"]].concat();
    openssl(dir, &csr);
    std::fs::write(dir.join("leaf.ext"), "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
    dir.join("ca.pem")
}

/// A child process, in a process group of its own, killed with the whole
/// group when dropped (proxy.py forks its acceptors; one left behind would
/// hold the test's output open).
struct Kill(Child);

impl Kill {
    fn spawn(cmd: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0).spawn();
        Self(child.expect("spawn"))
    }
}

impl Drop for Kill {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: killpg on the group this test created for the child; no memory is touched.
        unsafe {
            libc::killpg(self.0.id() as libc::pid_t, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

fn read_port(file: &Path, what: &str, child: &mut Child) -> u16 {
    eventually_blocking(what, 30, || {
        assert!(child.try_wait().unwrap().is_none(), "{what} exited");
        std::fs::read_to_string(file).ok()?.trim().parse().ok()
    })
}

/// erp-sim behind TLS: `https://localhost:PORT/api/v1/`, its CA file, and the front.
fn tls_front(sim: &Sim, dir: &Path) -> (String, PathBuf, Kill) {
    let ca = make_ca(dir);
    let api = sim.api_url();
    let backend = api.split(':').nth(2).and_then(|rest| rest.split('/').next()).unwrap().to_string();
    let port_file = dir.join("tls.port");
    let mut front = Kill::spawn(
        Command::new("python3")
            .arg(support("tls-front.py"))
            .args([dir.join("leaf.pem"), dir.join("leaf.key")])
            .arg(&backend)
            .arg(&port_file),
    );
    let port = read_port(&port_file, "the TLS front", &mut front.0);
    (format!("https://localhost:{port}/api/v1/"), ca, front)
}

/// proxy.py on a free loopback port; its access log.
fn proxy(dir: &Path) -> (String, PathBuf, Kill) {
    let (port_file, log) = (dir.join("proxy.port"), dir.join("proxy.log"));
    let mut proxy = Kill::spawn(
        Command::new(python())
            .args(["-m", "proxy", "--hostname", "127.0.0.1", "--port", "0", "--num-acceptors", "1"])
            .args(["--log-level", "INFO", "--port-file"])
            .arg(&port_file)
            .arg("--log-file")
            .arg(&log),
    );
    let port = read_port(&port_file, "proxy.py", &mut proxy.0);
    (format!("http://127.0.0.1:{port}"), log, proxy)
}

/// The CONNECTs proxy.py logged (it logs each when its tunnel closes).
fn connects(log: &Path, to: &str) -> usize {
    std::fs::read_to_string(log).unwrap_or_default().lines().filter(|l| l.contains(&format!("CONNECT {to}"))).count()
}

struct App {
    env: TestEnv,
    child: Option<Child>,
}

impl App {
    fn new(api: &str, extra: &[(&str, &str)]) -> Self {
        let mut env = TestEnv::new(api);
        env.set("ERP_HELPER_SESSION_STORE", "memory");
        for (k, v) in extra {
            env.set(k, *v);
        }
        Self { env, child: None }
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut c = self.env.command("erp-helper");
        let mut child =
            c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn start(&mut self) {
        let err = std::fs::File::create(self.env.path().join("app.err")).unwrap();
        let child = self.env.command("erp-helper").arg("--headless").stdout(Stdio::null()).stderr(err).spawn().unwrap();
        self.child = Some(child);
        eventually_blocking("the app to answer", 20, || self.run(&["status"], "").status.success().then_some(()));
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            assert!(self.run(&["quit"], "").status.success());
            eventually_blocking("the app to exit", 10, || child.try_wait().unwrap());
        }
    }

    fn sign_in(&self, sim: &Sim) -> Output {
        self.run(&["signin", "--token-stdin"], &sim.token_for(JANE).unwrap())
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn said(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erp_behind_a_company_ca_is_refused_with_the_fix_then_trusted_with_the_ca_file() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (api, ca, _front) = tls_front(&sim, dir.path());
    let mut app = App::new(&api, &[]);
    app.start();
    let refused = app.sign_in(&sim);
    let text = said(&refused);
    assert!(!refused.status.success(), "{text}");
    for part in ["localhost", "signed by an authority this computer does not trust", "erp-helper settings --ca-file"] {
        assert!(text.contains(part), "no {part:?} in: {text}");
    }
    app.stop();

    // A file that holds no certificate is refused before it is kept.
    let junk = dir.path().join("leaf.ext");
    let bad = app.run(&["settings", "--ca-file", junk.to_str().unwrap()], "");
    assert!(!bad.status.success() && said(&bad).contains("holds no certificate"), "{}", said(&bad));
    let set = app.run(&["settings", "--ca-file", ca.to_str().unwrap()], "");
    assert!(set.status.success(), "{}", said(&set));

    app.start();
    let ok = app.sign_in(&sim);
    assert!(said(&ok).contains("Signed in as jane@example.com"), "{}", said(&ok));
    let mcp = erp_e2e::spawn_mcp_in(&app.env, "network", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    let week = mcp.ok("get_week_logs", json!({"week_starting": erp_e2e::monday(-1).to_string()})).await;
    assert!(week["total"]["hours"].is_number(), "{week}");
    app.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn https_proxy_carries_the_calls_and_no_proxy_bypasses_it() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (api, ca, _front) = tls_front(&sim, dir.path());
    let (proxy_url, log, _proxy) = proxy(dir.path());
    let to = api.trim_start_matches("https://").split('/').next().unwrap().to_string();
    let ca = ca.display().to_string();

    let mut app = App::new(&api, &[("ERP_HELPER_CA_FILE", &ca), ("HTTPS_PROXY", &proxy_url)]);
    app.start();
    let ok = app.sign_in(&sim);
    assert!(said(&ok).contains("Signed in as jane@example.com"), "{}", said(&ok));
    let mcp = erp_e2e::spawn_mcp_in(&app.env, "network", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    mcp.ok("get_week_logs", json!({"week_starting": erp_e2e::monday(-1).to_string()})).await;
    drop(mcp);
    app.stop();
    let through = eventually_blocking("a CONNECT in the proxy's log", 15, || {
        let n = connects(&log, &to);
        (n > 0).then_some(n)
    });

    let mut direct =
        App::new(&api, &[("ERP_HELPER_CA_FILE", &ca), ("HTTPS_PROXY", &proxy_url), ("NO_PROXY", "localhost")]);
    direct.start();
    let ok = direct.sign_in(&sim);
    assert!(said(&ok).contains("Signed in as jane@example.com"), "{}", said(&ok));
    direct.stop();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(connects(&log, &to), through, "NO_PROXY=localhost still went through the proxy");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_that_sees_no_proxy_variable_uses_the_desktops_proxy_setting() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (api, ca, _front) = tls_front(&sim, dir.path());
    let (proxy_url, log, _proxy) = proxy(dir.path());
    let to = api.trim_start_matches("https://").split('/').next().unwrap().to_string();
    let port = proxy_url.rsplit(':').next().unwrap().to_string();
    let mut app = App::new(&api, &[("ERP_HELPER_CA_FILE", ca.to_str().unwrap()), ("GSETTINGS_BACKEND", "keyfile")]);
    // What the desktop's network settings write (GNOME's schema; a keyfile
    // store under this test's XDG_CONFIG_HOME instead of dconf).
    for (schema, key, value) in [
        ("org.gnome.system.proxy.https", "host", "'127.0.0.1'"),
        ("org.gnome.system.proxy.https", "port", port.as_str()),
        ("org.gnome.system.proxy", "ignore-hosts", "['example.invalid']"),
        ("org.gnome.system.proxy", "mode", "'manual'"),
    ] {
        let mut c = Command::new("gsettings");
        app.env.apply(&mut c);
        let out = c.args(["set", schema, key, value]).output().unwrap();
        assert!(out.status.success(), "gsettings set {schema} {key}: {}", said(&out));
    }
    app.start();
    let ok = app.sign_in(&sim);
    assert!(said(&ok).contains("Signed in as jane@example.com"), "{}", said(&ok));
    app.stop();
    eventually_blocking("a CONNECT in the proxy's log", 15, || (connects(&log, &to) > 0).then_some(()));
    let err = std::fs::read_to_string(app.env.path().join("app.err")).unwrap();
    assert!(err.contains("using the desktop's proxy setting"), "{err}");
}
