//! Driving the real tray app: `tauri-driver` (with Debian's WebKitWebDriver)
//! under Xvfb inside its own `dbus-run-session`, a fresh `XDG_DATA_HOME` and
//! HOME per test, and a small WebDriver client. The app is launched by the
//! driver with the arguments a test gives (`--open WINDOW`), and stopped
//! through its socket afterwards.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tempfile::TempDir;

/// One desktop session: Xvfb + D-Bus + tauri-driver, and the app's environment.
pub struct Desktop {
    driver: Child,
    port: u16,
    /// Everything on disk for this desktop.
    pub dir: TempDir,
    /// The app's socket.
    pub socket: PathBuf,
    app_env: Vec<(String, String)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn need(tool: &str) {
    let ok = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().map(|o| o.status.success());
    assert!(ok.unwrap_or(false), "{tool} is missing: run scripts/setup.sh");
}

impl Desktop {
    /// Start the desktop with extra app environment.
    pub fn start(env: &[(&str, String)]) -> Self {
        Self::start_with(env, false)
    }

    /// [`Self::start`], with a StatusNotifierWatcher stub on the bus first (a
    /// panel for the tray icon to register with), logging to `sni.log`.
    pub fn start_with_tray_host(env: &[(&str, String)]) -> Self {
        Self::start_with(env, true)
    }

    fn start_with(env: &[(&str, String)], tray_host: bool) -> Self {
        for tool in ["tauri-driver", "WebKitWebDriver", "xvfb-run", "dbus-run-session"] {
            need(tool);
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let socket = d.join("run/erp.sock");
        let (port, native) = (free_port(), free_port());
        let home = d.join("home");
        std::fs::create_dir_all(&home).unwrap();
        // Record the bus and display, so a test can launch a second instance into them.
        let wrapper = d.join("desktop.sh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/usr/bin/env bash\necho \"$DBUS_SESSION_BUS_ADDRESS\" > {dir}/bus\n{watcher}\
                 exec xvfb-run -a -s '-screen 0 1280x900x24' bash -c 'echo \"$DISPLAY\" > {dir}/display; echo \"$XAUTHORITY\" > {dir}/xauthority; exec tauri-driver --port {port} --native-port {native}'\n",
                dir = d.display(),
                watcher = if tray_host {
                    format!(
                        "/usr/bin/python3 {} > {dir}/sni.log 2>&1 &\nfor i in $(seq 100); do grep -q READY {dir}/sni.log && break; sleep 0.1; done\n",
                        Path::new(env!("CARGO_MANIFEST_DIR")).join("support/sni-watcher.py").display(),
                        dir = d.display()
                    )
                } else {
                    String::new()
                },
            ),
        )
        .unwrap();
        let mut cmd = Command::new("dbus-run-session");
        cmd.args(["--", "bash"])
            .arg(&wrapper)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", d.join("xdg-data"))
            .env("XDG_CONFIG_HOME", d.join("xdg-config"))
            .env("XDG_CACHE_HOME", d.join("xdg-cache"))
            .env("ERP_HELPER_CONFIG_DIR", d.join("config"))
            .env("ERP_HELPER_DATA_DIR", d.join("data"))
            .env("ERP_HELPER_SOCKET", &socket)
            .env("ERP_HELPER_SESSION_STORE", "file")
            .env("RUST_LOG", "info")
            .env_remove("MCP_AUTHORIZED_USERS")
            // The app turns GTK's GL off by default (a lighter tray), and with
            // GL off WebKitWebDriver's screenshot command never answers for
            // some pages (WebKitGTK 2.50). Apps started through WebDriver keep
            // GL; `tray::the_tray_keeps_gl_out…` checks the default, windows included.
            .env("GDK_GL", "")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(d.join("driver.log")).unwrap())
            .stderr(std::fs::File::create(d.join("driver.err")).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let driver = cmd.spawn().expect("start tauri-driver");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not start: {}",
                std::fs::read_to_string(d.join("driver.err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let app_env = env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        Self { driver, port, dir, socket, app_env }
    }

    /// Run `erp-helper ARGS` inside this desktop (its display and D-Bus session),
    /// as a user launching it a second time would; returns its exit status.
    pub fn launch(&self, args: &[&str]) -> std::process::Output {
        self.command(&crate::bin("erp-helper")).args(args).output().expect("run erp-helper")
    }

    /// Open `url` as a click in a browser would: `xdg-open URL` inside this
    /// desktop, with the app's environment (what the desktop would start it with).
    pub fn xdg_open(&self, url: &str) -> std::process::Output {
        self.command(Path::new("xdg-open")).arg(url).output().expect("run xdg-open")
    }

    /// `program` with this desktop's display, D-Bus session, XDG directories
    /// and the app's environment.
    pub fn command(&self, program: &Path) -> Command {
        let d = self.dir.path();
        let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap_or_default().trim().to_string();
        let mut cmd = Command::new(program);
        cmd.env("DBUS_SESSION_BUS_ADDRESS", read("bus"))
            .env("DISPLAY", read("display"))
            .env("XAUTHORITY", read("xauthority"))
            .env("HOME", d.join("home"))
            .env("XDG_DATA_HOME", d.join("xdg-data"))
            .env("XDG_CONFIG_HOME", d.join("xdg-config"))
            .env("ERP_HELPER_CONFIG_DIR", d.join("config"))
            .env("ERP_HELPER_DATA_DIR", d.join("data"))
            .env("ERP_HELPER_SOCKET", &self.socket)
            .env("ERP_HELPER_SESSION_STORE", "file")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null());
        for (k, v) in &self.app_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run `tests/support/SCRIPT` (system Python, for its GTK and Xlib
    /// bindings) on this desktop's display; its stdout, or a panic on failure.
    fn on_display(&self, script: &str, arg: &std::ffi::OsStr) -> Vec<u8> {
        let d = self.dir.path();
        let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap_or_default().trim().to_string();
        let out = Command::new("/usr/bin/python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("support").join(script))
            .arg(arg)
            .env("DISPLAY", read("display"))
            .env("XAUTHORITY", read("xauthority"))
            .output()
            .unwrap_or_else(|e| panic!("run {script}: {e}"));
        assert!(out.status.success(), "{script}: {out:?}");
        out.stdout
    }

    /// A picture of the whole screen, through `support/screen-shot.py`:
    /// what is really painted, not what WebDriver renders.
    pub fn screen_shot(&self, path: &Path) -> ScreenShot {
        let out = self.on_display("screen-shot.py", path.as_os_str());
        let v: serde_json::Value = serde_json::from_slice(&out).expect("screen-shot.py prints its counts");
        let count = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("screen-shot.py: no {k} in {v}"));
        ScreenShot { white: count("white"), ink: count("ink") }
    }

    /// Close the window titled `title` as its user would (the title bar's close
    /// button: WM_DELETE_WINDOW), through `support/close-window.py`.
    pub fn close_window_titled(&self, title: &str) {
        self.on_display("close-window.py", title.as_ref());
    }

    /// Run a command inside this desktop's D-Bus session (e.g. `gdbus`).
    pub fn in_session(&self, program: &str, args: &[&str]) -> String {
        self.try_in_session(program, args).unwrap_or_else(|e| panic!("{program} {args:?}: {e}"))
    }

    /// [`Desktop::in_session`], with a failure's stderr as the error.
    pub fn try_in_session(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let bus = std::fs::read_to_string(self.dir.path().join("bus")).unwrap_or_default();
        let out = Command::new(program)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", bus.trim())
            .output()
            .expect("run in session");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The tray item the app registered with the stub watcher: (bus name, object path).
    pub async fn tray_item(&self) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = std::fs::read_to_string(self.dir.path().join("sni.log")).unwrap_or_default();
            if let Some(line) = log.lines().find(|l| l.starts_with("ITEM ")) {
                let mut parts = line.split_whitespace().skip(1);
                return (parts.next().unwrap().to_string(), parts.next().unwrap().to_string());
            }
            assert!(Instant::now() < deadline, "no tray item registered; watcher log: {log}\n{}", self.app_log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Where a screenshot goes: this desktop's directory, or the README's
    /// `docs/screenshots/` when `UPDATE_SCREENSHOTS=1` asks for new ones.
    pub fn screenshot_path(&self, name: &str) -> PathBuf {
        if std::env::var_os("UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots").join(name)
        } else {
            self.dir.path().join("screenshots").join(name)
        }
    }

    /// The app's log (what it wrote to stderr).
    pub fn app_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("driver.err")).unwrap_or_default()
    }

    /// Launch the app with `args` and attach to its first webview.
    pub async fn session(&self, args: &[&str]) -> Session {
        self.session_of(&crate::bin("erp-helper"), args).await
    }

    /// Launch `program` (the app, or something that starts it and stays
    /// while it runs, such as `xdg-open` on a link) and attach to the first
    /// webview of the app it starts.
    pub async fn session_of(&self, program: &Path, args: &[&str]) -> Session {
        let http = reqwest::Client::new();
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {
            "application": program, "args": args}}}});
        let r: Value = http
            .post(format!("http://127.0.0.1:{}/session", self.port))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .unwrap();
        let id = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}\n{}", self.app_log()))
            .to_string();
        Session { http, base: format!("http://127.0.0.1:{}/session/{id}", self.port) }
    }

    /// Quit the app through its socket (the driver does not stop it).
    pub async fn quit_app(&self) {
        let me = erp_proto::ClientInfo { name: "e2e-desktop".into(), version: "1".into(), ..Default::default() };
        if let Ok(c) = erp_proto::client::Connection::connect(&self.socket, me).await {
            let _ = c.call::<erp_proto::admin::Quit>(&erp_proto::tools::NoArgs {}).await;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.socket.exists() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A socket client on the app, as the CLI would be.
    pub async fn client(&self) -> erp_proto::client::Connection {
        let me = erp_proto::ClientInfo { name: "e2e-desktop".into(), version: "1".into(), ..Default::default() };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match erp_proto::client::Connection::connect(&self.socket, me.clone()).await {
                Ok(c) => return c,
                Err(e) if Instant::now() > deadline => {
                    panic!("the app's socket never answered: {e}\n{}", self.app_log())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // The whole group: dbus-run-session, xvfb-run, Xvfb, tauri-driver, WebKitWebDriver, the app.
        #[allow(unsafe_code)]
        // SAFETY: kill(2) on our own child's process group; no memory is touched.
        unsafe {
            libc::kill(-(self.driver.id() as i32), libc::SIGTERM);
        }
        let _ = self.driver.wait();
    }
}

/// A WebDriver session on the app.
pub struct Session {
    http: reqwest::Client,
    base: String,
}

const ELEMENT: &str = "element-6066-11e4-a52f-4f735466cecf";

impl Session {
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.expect("webdriver request").json().await.expect("webdriver json");
        v["value"].clone()
    }

    /// Find an element now; `None` when absent.
    pub async fn try_find(&self, css: &str) -> Option<String> {
        let v = self.cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        v.get(ELEMENT)
            .or_else(|| v.as_object().and_then(|o| o.values().next()))
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|_| v.get("error").is_none())
    }

    /// Find an element, waiting up to 15 s.
    pub async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(e) = self.try_find(css).await {
                return e;
            }
            assert!(Instant::now() < deadline, "no element {css}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Type into an element.
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{e}/value"), Some(json!({"text": text}))).await;
    }

    /// Click an element.
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{e}/click"), Some(json!({}))).await;
    }

    /// An element's text.
    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{e}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Wait until an element's text contains `want`; returns the text.
    pub async fn wait_text(&self, css: &str, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let t = self.text(css).await;
            if t.contains(want) {
                return t;
            }
            assert!(Instant::now() < deadline, "{css} never said {want:?}; it says {t:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Run a script in the page.
    pub async fn execute(&self, script: &str) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_string()
    }

    /// The open windows.
    pub async fn handles(&self) -> Vec<String> {
        let v = self.cmd(reqwest::Method::GET, "/window/handles", None).await;
        v.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
    }

    /// Wait for a window not in `known`, and switch to it.
    pub async fn switch_to_new_window(&self, known: &[String]) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(h) = self.handles().await.into_iter().find(|h| !known.contains(h)) {
                self.cmd(reqwest::Method::POST, "/window", Some(json!({"handle": h}))).await;
                return h;
            }
            assert!(Instant::now() < deadline, "no new window appeared");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Switch to the window `handle`.
    pub async fn switch_to(&self, handle: &str) {
        self.cmd(reqwest::Method::POST, "/window", Some(json!({"handle": handle}))).await;
    }

    /// Wait until the window `handle` is gone.
    pub async fn wait_closed(&self, handle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.handles().await.iter().any(|h| h == handle) {
            assert!(Instant::now() < deadline, "window {handle} never closed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Save a screenshot of the current window as PNG.
    pub async fn screenshot(&self, path: &Path) {
        // The DOM may be ahead of what is painted: let two frames pass first.
        self.execute("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))));").await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("base64 screenshot");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    /// End the session.
    pub async fn end(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

/// What `support/screen-shot.py` counted in a screen picture.
#[derive(Debug)]
pub struct ScreenShot {
    /// Pure white pixels (a page's background; the bare screen is black).
    pub white: u64,
    /// Dark pixels inside the white area's bounding box (text drawn on it).
    pub ink: u64,
}
