//! Google sign-in in the (scripted) system browser, against erp-sim's OAuth
//! server and against a third-party one (npm `oauth2-mock-server`): the happy
//! path, a forged state, a denied consent, a timeout, idle speculative
//! connections, one flow at a time.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use erp_core::CoreError;
use erp_core::error::SignInError;
use erp_e2e::{Harness, browser_page, fake_browser};
use erp_proto::tools::SessionState;
use erp_sim::SimConfig;

const JANE: &str = "jane@example.com";

/// Where the scripted browser writes its last page: a fresh directory that
/// lives as long as the test's guard.
fn page_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("page.txt");
    (dir, out)
}

/// A harness whose browser follows `mode`; the page file lives in the returned directory.
async fn harness(mode: &str, timeout_secs: &str, auto: Option<&str>) -> (Harness, PathBuf, tempfile::TempDir) {
    let (pages, out) = page_file();
    let sim_cfg = SimConfig { oauth_auto_approve: auto.map(str::to_string), ..SimConfig::default() };
    // The simulator's address is known only once it runs; `point_google_at_sim`
    // aims the Google endpoints at it.
    let h = Harness::with_opener(
        sim_cfg,
        &[
            ("GOOGLE_CLIENT_ID", "erp-helper-test"),
            ("ERP_HELPER_OAUTH_PORT", "0"),
            ("ERP_HELPER_OAUTH_TIMEOUT", timeout_secs),
        ],
        fake_browser(mode, &out),
    )
    .await;
    (h, out, pages)
}

/// Google settings pointing at the harness's own simulator.
fn point_google_at_sim(h: &Harness) -> erp_core::config::GoogleSettings {
    let mut g = h.core.sign_in().google_settings().cloned().expect("google configured");
    g.auth_url = h.sim.oauth_authorize_url().parse().unwrap();
    g.token_url = h.sim.oauth_token_url().parse().unwrap();
    g
}

#[tokio::test]
async fn google_sign_in_end_to_end_against_erp_sim() {
    let (h, out, _pages) = harness("follow", "30", Some(JANE)).await;
    let g = point_google_at_sim(&h);
    let view = h.core.sign_in().google_with(g, h.core.sign_in().opener(), Some("Cursor".into())).await.unwrap();
    assert_eq!(
        (view.state, view.email.as_deref(), view.signed_in_via.as_deref()),
        (SessionState::SignedIn, Some(JANE), Some("google"))
    );
    let (status, page) = browser_page(&out).await;
    assert_eq!(status, 200);
    assert!(page.contains("Signed in as jane@example.com") && page.contains("return to Cursor"), "{page}");
    // The code was exchanged with PKCE, then google-login, then a verifying call.
    let reqs: Vec<String> = h.sim.requests().into_iter().map(|r| r.path).collect();
    assert!(reqs.iter().any(|p| p.contains("core/google-login/")), "{reqs:?}");
    h.mcp().await.ok("get_active_projects", serde_json::json!({})).await;
}

#[tokio::test]
async fn receive_oauth_code_ignores_idle_speculative_connections() {
    let (h, out, _pages) = harness("preconnect", "30", Some(JANE)).await;
    let g = point_google_at_sim(&h);
    h.core.sign_in().google_with(g, h.core.sign_in().opener(), None).await.unwrap();
    assert!(browser_page(&out).await.1.contains("return to your editor"));
}

#[tokio::test]
async fn a_forged_state_gets_a_400_and_nothing_is_signed_in() {
    // Only the forged callback ever comes: the flow keeps waiting for its own, then times out.
    let (h, out, _pages) = harness("wrong-state", "2", Some(JANE)).await;
    let g = point_google_at_sim(&h);
    let e = h.core.sign_in().google_with(g, h.core.sign_in().opener(), None).await.unwrap_err();
    assert!(matches!(&e, CoreError::SignIn(SignInError::TimedOut(_))), "{e}");
    let (status, page) = browser_page(&out).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Sign-in refused"), "{page}");
    assert_eq!(h.core.sessions().view().state, SessionState::SignedOut);
    assert!(!h.sim.requests().iter().any(|r| r.path.contains("google-login")));
}

#[tokio::test]
async fn a_forged_callback_does_not_end_the_real_sign_in() {
    // Any local process can hit the loopback port first; the real answer still signs in.
    let (h, out, _pages) = harness("forged-first", "30", Some(JANE)).await;
    let g = point_google_at_sim(&h);
    let view = h.core.sign_in().google_with(g, h.core.sign_in().opener(), None).await.unwrap();
    assert_eq!(view.email.as_deref(), Some(JANE));
    let forged = std::fs::read_to_string(format!("{}.forged", out.display())).unwrap();
    assert!(forged.starts_with("400\n") && forged.contains("Sign-in refused"), "{forged}");
    assert!(browser_page(&out).await.1.contains("Signed in as jane@example.com"));
}

#[tokio::test]
async fn a_denied_consent_is_reported_as_cancelled() {
    let (h, out, _pages) = harness("deny", "30", None).await;
    let g = point_google_at_sim(&h);
    let e = h.core.sign_in().google_with(g, h.core.sign_in().opener(), None).await.unwrap_err();
    assert!(e.to_string().contains("cancelled (you declined on Google's page)"), "{e}");
    assert!(browser_page(&out).await.1.contains("Sign-in cancelled"));
    assert_eq!(h.core.sessions().view().state, SessionState::SignedOut);
}

#[tokio::test]
async fn a_sign_in_nobody_finishes_times_out_and_frees_the_port() {
    let (h, _out, _pages) = harness("ignore", "1", None).await;
    let mut g = point_google_at_sim(&h);
    // A fixed port, to check it is released afterwards.
    g.port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = h.core.sign_in().google_with(g.clone(), h.core.sign_in().opener(), None).await.unwrap_err();
    assert!(e.to_string().contains("not finished within 1 seconds"), "{e}");
    std::net::TcpListener::bind(("127.0.0.1", g.port)).expect("the loopback port was released");
}

#[tokio::test]
async fn only_one_google_sign_in_at_a_time() {
    let (h, _out, _pages) = harness("ignore", "2", None).await;
    let g = point_google_at_sim(&h);
    let first = h.core.sign_in().google_with(g.clone(), h.core.sign_in().opener(), None);
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        h.core.sign_in().google_with(g.clone(), h.core.sign_in().opener(), None).await
    };
    let (a, b) = tokio::join!(first, second);
    assert!(a.unwrap_err().to_string().contains("not finished"));
    assert!(b.unwrap_err().to_string().contains("already open in your browser"));
}

#[tokio::test]
async fn a_sign_out_while_the_browser_is_open_ends_the_sign_in() {
    let (h, _out, _pages) = harness("ignore", "60", None).await;
    let mut g = point_google_at_sim(&h);
    g.port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let flow = h.core.sign_in().google_with(g.clone(), h.core.sign_in().opener(), None);
    let sign_out = async {
        let listening = || std::net::TcpListener::bind(("127.0.0.1", g.port)).is_err();
        erp_e2e::eventually("the loopback listener", 10, async || listening().then_some(())).await;
        h.core.sign_out().await.unwrap();
    };
    let (e, ()) = tokio::join!(flow, sign_out);
    let e = e.unwrap_err();
    assert!(matches!(&e, CoreError::SignIn(SignInError::SignedOutMeanwhile)), "{e}");
    std::net::TcpListener::bind(("127.0.0.1", g.port)).expect("the loopback port was released");
}

#[tokio::test]
async fn a_sign_out_while_the_code_is_exchanged_wins() {
    let (h, out, _pages) = harness("follow", "30", Some(JANE)).await;
    let g = point_google_at_sim(&h);
    // The ERP's google-login answers slowly: sign out while it is under way.
    h.sim.configure(|c| c.latency = std::time::Duration::from_millis(1500));
    let flow = h.core.sign_in().google_with(g, h.core.sign_in().opener(), Some("Cursor".into()));
    let sign_out = async {
        let exchanging = || h.sim.requests().iter().any(|r| r.path.contains("google-login"));
        erp_e2e::eventually("the google-login exchange", 20, async || exchanging().then_some(())).await;
        h.core.sign_out().await.unwrap();
    };
    let (e, ()) = tokio::join!(flow, sign_out);
    let e = e.unwrap_err();
    assert!(matches!(&e, CoreError::SignIn(SignInError::SignedOutMeanwhile)), "{e}");
    assert_eq!(h.core.sessions().view().state, SessionState::SignedOut);
    let (_, page) = browser_page(&out).await;
    assert!(page.contains("Sign-in stopped") && page.contains("nothing was kept"), "{page}");
    // Nothing was stored either: a restart finds no session.
    let mut h = h;
    h.restart_app().await;
    assert_eq!(h.core.sessions().view().state, SessionState::SignedOut);
}

#[tokio::test]
async fn a_refused_account_from_google_is_not_stored() {
    let (_pages, out) = page_file();
    let h = Harness::with_opener(
        SimConfig { oauth_auto_approve: Some(JANE.into()), ..SimConfig::default() },
        &[("GOOGLE_CLIENT_ID", "t"), ("ERP_HELPER_OAUTH_PORT", "0"), ("MCP_AUTHORIZED_USERS", "@other.org")],
        fake_browser("follow", &out),
    )
    .await;
    let g = point_google_at_sim(&h);
    let e = h.core.sign_in().google_with(g, h.core.sign_in().opener(), None).await.unwrap_err();
    assert!(matches!(e, CoreError::NotAuthorized { .. }), "{e}");
    assert!(
        browser_page(&out).await.1.contains("not on this computer&#39;s list")
            || browser_page(&out).await.1.contains("not on this computer's list")
    );
    assert_eq!(h.core.sessions().view().state, SessionState::SignedOut);
}

pub(crate) struct MockServer(Child, pub(crate) String);

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// npm's oauth2-mock-server on a free loopback port, demanding PKCE
/// (`tests/support/oauth2-mock-pkce.mjs`).
pub(crate) fn oauth2_mock_server() -> MockServer {
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("support");
    assert!(
        support.join("node_modules/oauth2-mock-server").exists(),
        "run `npm ci --prefix tests/support` (scripts/setup.sh does)"
    );
    let mut child = Command::new("node")
        .arg(support.join("oauth2-mock-pkce.mjs"))
        .current_dir(&support)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start oauth2-mock-server");
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let origin = loop {
        let line = lines.next().expect("oauth2-mock-server printed its address").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    MockServer(child, origin)
}

#[tokio::test]
async fn google_sign_in_against_a_third_party_oauth_server() {
    let mock = oauth2_mock_server();
    let (_pages, out) = page_file();
    let h = Harness::with_opener(
        // The ERP trusts what Google vouches for; here, the mock's tokens stand for Jane.
        SimConfig { google_any_token_as: Some(JANE.into()), ..SimConfig::default() },
        &[
            ("GOOGLE_CLIENT_ID", "erp-helper-test"),
            ("GOOGLE_AUTH_URL", &format!("{}/authorize", mock.1)),
            ("GOOGLE_TOKEN_URL", &format!("{}/token", mock.1)),
            ("ERP_HELPER_OAUTH_PORT", "0"),
        ],
        fake_browser("follow", &out),
    )
    .await;
    let view = h.core.sign_in().google(Some("Claude".into())).await.unwrap();
    assert_eq!(view.email.as_deref(), Some(JANE));
    assert!(browser_page(&out).await.1.contains("return to Claude"));

    // A denial against the third-party server too, and a forged callback first.
    let settings = h.core.sign_in().google_settings().cloned().unwrap();
    let (_pages, out) = page_file();
    let e = h.core.sign_in().google_with(settings.clone(), fake_browser("deny", &out), None).await.unwrap_err();
    assert!(e.to_string().contains("cancelled"), "{e}");
    browser_page(&out).await;
    h.core.sign_out().await.unwrap();
    let (_pages, out) = page_file();
    let view = h.core.sign_in().google_with(settings, fake_browser("forged-first", &out), None).await.unwrap();
    assert_eq!(view.email.as_deref(), Some(JANE));
    assert!(std::fs::read_to_string(format!("{}.forged", out.display())).unwrap().starts_with("400\n"));
}
