//! The tray app in a real webview under Xvfb, driven over WebDriver: the ERP
//! login page (token captured, window closed), the hand-off of its Google link
//! to the browser flow, blocked navigation, token paste, the authorized-users
//! window (add, remove, a refused sign-in, sign-out), and the activity window
//! opened by a second launch (single instance). Screenshots go to the test's
//! directory, or to docs/screenshots with `UPDATE_SCREENSHOTS=1`.

use erp_e2e::assert_no_secret;
use erp_e2e::desktop::Desktop;
use erp_e2e::fake_browser_path;
use erp_proto::admin;
use erp_proto::tools::{NoArgs, SessionState};
use erp_sim::{Sim, SimConfig};
use serde_json::json;

const JANE: &str = "jane@example.com";

/// The desktop tests are heavy (Xvfb, WebKit): one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn erp_env(sim: &Sim) -> Vec<(&'static str, String)> {
    vec![("ERP_API_BASE_URL", sim.api_url()), ("ERP_WEB_URL", format!("{}/login", sim.web_url()))]
}

#[tokio::test(flavor = "multi_thread")]
async fn erp_page_sign_in_captures_the_token_and_closes_the_window() {
    let _one = SERIAL.lock().await;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start(&erp_env(&sim));
    let s = desk.session(&["--open", "erp-login"]).await;
    let c = desk.client().await;
    assert!(s.url().await.ends_with("/login"), "{}", s.url().await);
    let login_window = s.handles().await;
    s.screenshot(&desk.screenshot_path("erp-login.png")).await;

    // A page in this window cannot leave the ERP.
    s.execute("window.location.href = 'https://example.com/'; return 1;").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(s.url().await.starts_with(&sim.web_url()), "navigated away: {}", s.url().await);

    // A capture the page (or a frame in it) forges, with a real token but
    // without this window's nonce, is ignored: nobody is signed in by it.
    let mallory = sim.token_for("sam@example.com").unwrap();
    let forged = format!(
        "window.location.href = 'erp-helper-capture:captured#' + encodeURIComponent(JSON.stringify({{ n: 'guess', t: {mallory:?} }})); return 1;"
    );
    s.execute(&forged).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(c.call::<admin::Status>(&NoArgs {}).await.unwrap().session.state, SessionState::SignedOut);
    assert!(s.handles().await.contains(&login_window[0]), "a forged capture closed the login window");

    s.type_into("#email", JANE).await;
    s.type_into("#password", "demo").await;
    // A slow ERP: the page's copy of the token is wiped and the window closed
    // before the app has finished checking the token with the ERP.
    sim.configure(|c| c.latency = std::time::Duration::from_millis(2500));
    s.click("#submit").await;
    s.wait_closed(&login_window[0]).await;
    let during = c.call::<admin::Status>(&NoArgs {}).await.unwrap().session.state;
    assert_eq!(during, SessionState::SignedOut, "the window closed only after the token was checked");
    sim.configure(|c| c.latency = std::time::Duration::ZERO);

    // The app captured the token, closed the login window and opened its status window.
    let status_window = s.switch_to_new_window(&login_window).await;
    s.wait_text("#account", "Signed in as jane@example.com (via erp page)").await;
    s.wait_text("#banner", "Signed in").await;
    s.screenshot(&desk.screenshot_path("status-signed-in.png")).await;

    let st = c.call::<admin::Status>(&NoArgs {}).await.unwrap();
    assert_eq!(
        (st.session.state, st.session.email.as_deref(), st.session.signed_in_via.as_deref()),
        (SessionState::SignedIn, Some(JANE), Some("erp_page"))
    );
    // The ERP saw the verification call made with the captured token.
    assert!(sim.requests().iter().any(|r| r.path == "/api/v1/core/person/"));

    // Sign out, then open the ERP page again: it shows the login form and captures
    // nothing, because the page's copy of the token was wiped after the capture.
    c.call::<admin::SignOut>(&NoArgs {}).await.unwrap();
    let known = s.handles().await;
    let open = desk.launch(&["signin", "--erp-page"]);
    assert!(String::from_utf8_lossy(&open.stdout).contains("opened the ERP's sign-in page"), "{open:?}");
    s.switch_to_new_window(&known).await;
    s.find("#email").await;
    assert_eq!(s.execute("return window.localStorage.getItem('token');").await, serde_json::Value::Null);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(c.call::<admin::Status>(&NoArgs {}).await.unwrap().session.state, SessionState::SignedOut);

    // The page keeps something, the user closes the window, then signs out
    // from the terminal: the next login window finds the page's storage empty.
    s.execute("window.localStorage.setItem('remember', 'jane'); return 1;").await;
    let login = s.handles().await.into_iter().find(|h| !known.contains(h)).unwrap();
    s.switch_to(&status_window).await;
    desk.close_window_titled("Sign in to the ERP");
    s.wait_closed(&login).await;
    let out = desk.launch(&["signout"]);
    assert!(out.status.success(), "{out:?}");
    let known = s.handles().await;
    desk.launch(&["signin", "--erp-page"]);
    s.switch_to_new_window(&known).await;
    s.find("#email").await;
    assert_eq!(s.execute("return window.localStorage.getItem('remember');").await, serde_json::Value::Null);
    s.end().await;
    desk.quit_app().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_erp_pages_google_link_goes_to_the_system_browser() {
    let _one = SERIAL.lock().await;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let pages = tempfile::tempdir().unwrap();
    let page = pages.path().join("page.txt");
    let mut env = erp_env(&sim);
    env.extend([
        ("GOOGLE_CLIENT_ID", "erp-helper-test".to_string()),
        ("GOOGLE_AUTH_URL", sim.oauth_authorize_url()),
        ("GOOGLE_TOKEN_URL", sim.oauth_token_url()),
        ("ERP_HELPER_OAUTH_PORT", "0".to_string()),
        ("BROWSER", fake_browser_path().display().to_string()),
        ("FAKE_BROWSER_MODE", format!("consent:{JANE}")),
        ("FAKE_BROWSER_OUT", page.display().to_string()),
    ]);
    let desk = Desktop::start(&env);
    let s = desk.session(&["--open", "erp-login"]).await;
    let login_window = s.handles().await;
    s.click("#google").await;
    // Google refuses embedded webviews: the app closed this window and used the browser.
    s.switch_to_new_window(&login_window).await;
    s.wait_text("#account", "Signed in as jane@example.com (via google)").await;
    let (status, body) = erp_e2e::browser_page(&page).await;
    assert_eq!(status, 200);
    assert!(body.contains("Signed in as jane@example.com"), "{body}");
    s.end().await;
    desk.quit_app().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_paste_signs_in_after_checking_the_token() {
    let _one = SERIAL.lock().await;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start(&erp_env(&sim));
    let s = desk.session(&["--open", "token"]).await;
    s.type_into("#token", &"0".repeat(40)).await;
    s.click("#paste").await;
    s.wait_text("#banner", "the ERP does not accept this token").await;
    assert_eq!(
        s.execute("return document.getElementById('token').value;").await,
        json!(""),
        "the field keeps no token"
    );
    s.type_into("#token", &sim.token_for(JANE).unwrap()).await;
    s.click("#paste").await;
    s.wait_text("#banner", "Signed in as jane@example.com (via token)").await;
    s.screenshot(&desk.screenshot_path("token.png")).await;
    let st = desk.client().await.call::<admin::Status>(&NoArgs {}).await.unwrap();
    assert_eq!(st.session.email.as_deref(), Some(JANE));
    assert!(st.session.storage.starts_with("file "), "{}", st.session.storage);
    s.end().await;
    desk.quit_app().await;

    // The token is in the session store and nowhere else: not in the app's log
    // (stdout and stderr), not in the webview's data, not in any other file.
    let token = sim.token_for(JANE).unwrap();
    let session_file = desk.dir.path().join("data/secret/session.json");
    assert!(std::fs::read_to_string(&session_file).unwrap().contains(&token));
    assert_no_secret(&token, &[], desk.dir.path(), &[&session_file]);
}

#[tokio::test(flavor = "multi_thread")]
async fn allowlist_window_adds_removes_refuses_and_signs_out() {
    let _one = SERIAL.lock().await;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start(&erp_env(&sim));
    let s = desk.session(&["--open", "allowlist"]).await;
    let c = desk.client().await;
    s.wait_text("#allowlist", "Empty: any account").await;

    s.type_into("#entry", "not an email").await;
    s.click("#add").await;
    s.wait_text("#banner", "entry must be an email").await;
    s.execute("document.getElementById('entry').value = ''; return 1;").await;
    s.type_into("#entry", "@Example.com").await;
    s.click("#add").await;
    s.wait_text("#allowlist", "@example.com").await;
    s.type_into("#entry", "boss@other.org").await;
    s.click("#add").await;
    s.wait_text("#allowlist", "boss@other.org").await;
    assert_eq!(c.call::<admin::AllowList>(&NoArgs {}).await.unwrap().entries, ["@example.com", "boss@other.org"]);

    // Signed in as Jane (allowed by @example.com), shown live in the window.
    let token = sim.token_for(JANE).unwrap();
    c.call::<admin::SignInToken>(&admin::SignInTokenArgs { token: admin::ErpToken::new(token.clone()) }).await.unwrap();
    s.wait_text("#account", "Signed in as jane@example.com").await;
    s.screenshot(&desk.screenshot_path("allowlist.png")).await;

    // Remove @example.com: Jane is refused from now on, and a new sign-in as Jane is not kept.
    s.click("button[data-entry='@example.com']").await;
    s.wait_text("#banner", "Removed @example.com").await;
    let e =
        c.call::<admin::SignInToken>(&admin::SignInTokenArgs { token: admin::ErpToken::new(token) }).await.unwrap_err();
    assert!(e.to_string().contains("not on this computer's list"), "{e}");

    s.click("#signout").await;
    s.wait_text("#account", "Not signed in").await;
    let st = c.call::<admin::Status>(&NoArgs {}).await.unwrap();
    assert_eq!(st.session.state, SessionState::SignedOut);
    assert!(!desk.dir.path().join("data/secret/session.json").exists());
    s.end().await;
    desk.quit_app().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_launch_hands_over_and_the_activity_window_lists_writes() {
    let _one = SERIAL.lock().await;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start(&erp_env(&sim));
    let s = desk.session(&["--open", "status"]).await;
    let c = desk.client().await;
    let token = sim.token_for(JANE).unwrap();
    c.call::<admin::SignInToken>(&admin::SignInTokenArgs { token: admin::ErpToken::new(token) }).await.unwrap();
    let day = (erp_e2e::monday(-1) + chrono::Duration::days(2)).to_string();
    c.call_raw(
        "create_or_update_log",
        json!({"date": day, "description": "Desktop test", "hours": 2, "project_id": 412}),
        None,
        |_| {},
        std::future::pending(),
    )
    .await
    .unwrap();
    let known = s.handles().await;

    // A second `erp-helper --open activity` hands its arguments to the running app and exits.
    let second = desk.launch(&["--open", "activity"]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    s.switch_to_new_window(&known).await;
    s.wait_text("#activity", "create_or_update_log").await;
    s.wait_text("#activity", "created Workstream / Backend on").await;
    s.screenshot(&desk.screenshot_path("activity.png")).await;
    assert!(desk.socket.exists(), "the first instance must still be running");

    // The ACL: a window calls only the commands its capability grants. The
    // activity window may read the log, not change who is authorized.
    let refused = s
        .execute("return window.__TAURI__.core.invoke('allow_add', { entry: 'mallory@evil.example' }).then(() => 'ran', (e) => 'refused: ' + e);")
        .await;
    assert!(refused.as_str().is_some_and(|r| r.starts_with("refused") && r.contains("not allowed")), "{refused}");
    let read = s
        .execute("return window.__TAURI__.core.invoke('audit', { limit: 1 }).then((a) => a.length, (e) => String(e));")
        .await;
    assert_eq!(read, json!(1), "the granted command must still work");
    let allowlist = c.call::<admin::Status>(&NoArgs {}).await.unwrap().allowlist.entries;
    assert!(allowlist.is_empty(), "{allowlist:?}");

    // The status window lists the connected apps with their process, and its
    // Disconnect button (granted to that window only) ends one.
    s.switch_to(&known[0]).await;
    s.execute("renderStatus(); return 1;").await;
    let listed = s.wait_text("#apps", "e2e-desktop 1 — pid").await;
    assert!(listed.contains(&format!("pid {}", std::process::id())), "{listed}");
    s.click("#apps .disconnect").await;
    s.wait_text("#banner", "Disconnected e2e-desktop").await;
    let gone = c.call::<admin::Status>(&NoArgs {}).await;
    assert!(gone.is_err(), "the disconnected client still got an answer: {gone:?}");
    s.end().await;
    desk.quit_app().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_allowlist_is_locked_when_the_environment_sets_it() {
    let _one = SERIAL.lock().await;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut env = erp_env(&sim);
    env.push(("MCP_AUTHORIZED_USERS", "@corp.io, Boss@Example.com".to_string()));
    let desk = Desktop::start(&env);
    let s = desk.session(&["--open", "allowlist"]).await;
    s.wait_text("#allowlist", "@corp.io").await;
    s.wait_text("#allowlist", "boss@example.com").await;
    s.wait_text("#locked", "MCP_AUTHORIZED_USERS").await;
    assert_eq!(s.execute("return document.getElementById('add-form').hidden;").await, json!(true));
    assert_eq!(s.execute("return document.querySelectorAll('button[data-entry]').length;").await, json!(0));
    s.screenshot(&desk.screenshot_path("allowlist-locked.png")).await;
    s.end().await;
    desk.quit_app().await;
}

/// Wait until the app has registered itself as the desktop's handler of
/// `erp-helper://` (it does so at start), and return the handler's file.
async fn registered_handler(desk: &Desktop) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let q = desk.command("xdg-mime".as_ref()).args(["query", "default", "x-scheme-handler/erp-helper"]).output();
        let name = String::from_utf8_lossy(&q.unwrap().stdout).trim().to_string();
        if !name.is_empty() {
            return name;
        }
        assert!(std::time::Instant::now() < deadline, "no handler registered: {}", desk.app_log());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn links_open_what_they_name_in_the_running_app_and_hostile_ones_open_nothing() {
    let _one = SERIAL.lock().await;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start(&erp_env(&sim));
    let s = desk.session(&["--open", "status"]).await;

    // The app registered itself: a desktop file that runs this very binary.
    assert_eq!(registered_handler(&desk).await, "erp-helper-handler.desktop");
    let entry =
        std::fs::read_to_string(desk.dir.path().join("xdg-data/applications/erp-helper-handler.desktop")).unwrap();
    let exe = erp_e2e::bin("erp-helper").canonicalize().unwrap();
    assert!(entry.contains(&format!("\nExec={} %u\n", exe.display())), "{entry}");
    assert!(entry.contains("\nMimeType=x-scheme-handler/erp-helper;\n"), "{entry}");

    // Hostile links reach the app and open nothing; the app keeps running.
    let known = s.handles().await;
    let long = format!("erp-helper://signin?method={}", "a".repeat(100_000));
    for bad in ["erp-helper://signin/../../x", "erp-helper://evil.example/", long.as_str()] {
        let out = desk.xdg_open(bad);
        assert!(out.status.success(), "xdg-open {}: {out:?}", &bad[..40.min(bad.len())]);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while desk.app_log().matches("ignored a link").count() < 3 {
        assert!(std::time::Instant::now() < deadline, "the links never arrived: {}", desk.app_log());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(s.handles().await, known, "a hostile link opened a window");
    assert!(!desk.app_log().contains(&"a".repeat(100)), "a link was echoed whole into the log");
    let c = desk.client().await;
    assert_eq!(c.call::<admin::Status>(&NoArgs {}).await.unwrap().session.state, SessionState::SignedOut);

    // The link every not-signed-in error hands out opens the ERP's sign-in
    // window (no Google client here), through the second launch xdg-open makes.
    let out = desk.xdg_open(erp_proto::SIGN_IN_LINK);
    assert!(out.status.success(), "{out:?}");
    s.switch_to_new_window(&known).await;
    assert!(s.url().await.ends_with("/login"), "{}", s.url().await);
    s.find("#email").await;
    let known = s.handles().await;
    // And the others open their windows.
    desk.xdg_open("erp-helper://activity");
    s.switch_to_new_window(&known).await;
    s.wait_text("#activity", "No writes").await;
    assert!(desk.socket.exists(), "the first instance must still be running");
    s.end().await;
    desk.quit_app().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_starts_the_app_when_it_is_not_running_and_opens_the_sign_in() {
    let _one = SERIAL.lock().await;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start(&erp_env(&sim));
    // A first start registers the handler; then the app quits.
    let first = desk.session(&["--open", "status"]).await;
    registered_handler(&desk).await;
    first.end().await;
    desk.quit_app().await;
    // The program moved (an old entry names another path): the next start writes it again.
    let entry = desk.dir.path().join("xdg-data/applications/erp-helper-handler.desktop");
    let current = std::fs::read_to_string(&entry).unwrap();
    let exe = erp_e2e::bin("erp-helper").canonicalize().unwrap().display().to_string();
    std::fs::write(&entry, current.replace(&exe, "/opt/old-place/erp-helper")).unwrap();
    let again = desk.session(&["--open", "status"]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_to_string(&entry).unwrap() != current {
        assert!(std::time::Instant::now() < deadline, "the moved entry was not rewritten: {}", desk.app_log());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    again.end().await;
    desk.quit_app().await;
    let me = erp_proto::ClientInfo { name: "e2e".into(), version: "1".into(), ..Default::default() };
    assert!(erp_proto::client::Connection::connect(&desk.socket, me).await.is_err(), "the app did not quit");

    // Clicking the link now: xdg-open starts the app from the desktop file,
    // with the link as its argument, and the first window is the ERP's sign-in.
    let s = desk.session_of("/usr/bin/xdg-open".as_ref(), &[erp_proto::SIGN_IN_LINK]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !s.url().await.ends_with("/login") {
        assert!(std::time::Instant::now() < deadline, "{}\n{}", s.url().await, desk.app_log());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    s.find("#email").await;
    assert!(desk.app_log().contains("opening a link link=erp-helper://signin"), "{}", desk.app_log());
    let c = desk.client().await;
    assert_eq!(c.call::<admin::Status>(&NoArgs {}).await.unwrap().session.state, SessionState::SignedOut);
    s.end().await;
    desk.quit_app().await;
}
