//! Google sign-in in the system browser with a loopback redirect (RFC 8252):
//! PKCE S256, a random `state` that must come back, one code accepted and then
//! the listener closes, a time limit, every connection served on its own
//! (browsers open idle speculative connections). Four steps: bind, await the
//! code, validate it, render the browser's last page. The caller's `finish`
//! turns Google's access token into a session (the ERP's `core/google-login/`).
//! Not here: which browser (the caller passes an [`Opener`]), the session.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use erp_proto::admin::SessionView;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use url::Url;

use crate::config::GoogleSettings;
use crate::error::{CoreError, Result, SignInError};
use crate::secret::{GoogleAccessToken, constant_time_eq};

/// Largest request head the loopback server reads.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// Largest token-endpoint answer read.
const MAX_TOKEN_BODY: usize = 64 * 1024;

/// Opens a URL in the user's browser.
pub type Opener = Arc<dyn Fn(&str) -> std::io::Result<()> + Send + Sync>;

/// The system browser (honours `$BROWSER`).
pub fn system_opener() -> Opener {
    Arc::new(|url| webbrowser::open(url).map(|_| ()))
}

/// What came back to the loopback redirect.
struct Callback {
    query: Vec<(String, String)>,
    reply: oneshot::Sender<Page>,
}

/// The browser's last page.
struct Page {
    status: &'static str,
    ok: bool,
    title: String,
    body: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn render(page: &Page) -> String {
    let colour = if page.ok { "#1d7a3a" } else { "#b3261e" };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>ERP Helper: {t}</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:480px;margin:80px auto;color:#222}}\
         h1{{color:{colour};font-size:22px}}</style></head><body><h1>{t}</h1><p>{b}</p></body></html>",
        t = escape(&page.title),
        b = escape(&page.body),
    )
}

async fn respond(mut stream: TcpStream, status: &str, html: &str) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\r\n",
        html.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(html.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Read a request head, bounded in size and time; `None` if it never completes.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0u8; 1024];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok::<bool, std::io::Error>(false);
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                return Ok(true);
            }
            if buf.len() > MAX_REQUEST_HEAD {
                return Ok(false);
            }
        }
    })
    .await;
    matches!(read, Ok(Ok(true))).then_some(buf)
}

/// Serve one connection: a GET of `/callback` is handed to the flow, which
/// decides the page; anything else gets a 404. Idle connections just time out.
async fn serve_connection(mut stream: TcpStream, tx: mpsc::Sender<Callback>) {
    let Some(buf) = read_head(&mut stream).await else { return };
    let head = String::from_utf8_lossy(&buf);
    let target = head.lines().next().and_then(|l| {
        let mut parts = l.split(' ');
        (parts.next() == Some("GET")).then(|| parts.next()).flatten()
    });
    let Some(target) = target.and_then(|t| Url::parse(&format!("http://127.0.0.1{t}")).ok()) else {
        respond(stream, "400 Bad Request", "").await;
        return;
    };
    if target.path() != "/callback" {
        respond(stream, "404 Not Found", "").await;
        return;
    }
    let (reply, page) = oneshot::channel();
    let query = target.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if tx.send(Callback { query, reply }).await.is_err() {
        let html = render(&Page {
            status: "410 Gone",
            ok: false,
            title: "This sign-in is over".into(),
            body: "ERP Helper is no longer waiting for this sign-in. Start it again from the app.".into(),
        });
        respond(stream, "410 Gone", &html).await;
        return;
    }
    let page = tokio::time::timeout(Duration::from_secs(90), page).await.ok().and_then(Result::ok).unwrap_or(Page {
        status: "500 Internal Server Error",
        ok: false,
        title: "Sign-in did not finish".into(),
        body: "ERP Helper did not finish the sign-in. Try again from the app.".into(),
    });
    respond(stream, page.status, &render(&page)).await;
}

/// An HTTP client for the token endpoint that never follows redirects.
fn token_http(network: &crate::net::Network) -> reqwest::Client {
    network
        .builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a TLS backend is compiled in")
}

/// Send one oauth2 request with `http`, reading at most [`MAX_TOKEN_BODY`] bytes.
async fn send_capped(http: reqwest::Client, req: oauth2::HttpRequest) -> std::io::Result<oauth2::HttpResponse> {
    let req = reqwest::Request::try_from(req).map_err(std::io::Error::other)?;
    let mut resp = http.execute(req).await.map_err(std::io::Error::other)?;
    let mut out = http::Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        out = out.header(k, v);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(std::io::Error::other)? {
        if body.len() + chunk.len() > MAX_TOKEN_BODY {
            return Err(std::io::Error::other("the token answer is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    out.body(body).map_err(std::io::Error::other)
}

async fn exchange(
    settings: &GoogleSettings,
    network: &crate::net::Network,
    redirect: &str,
    code: String,
    verifier: PkceCodeVerifier,
) -> Result<GoogleAccessToken> {
    let mut client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(settings.auth_url.clone()))
        .set_token_uri(TokenUrl::from_url(settings.token_url.clone()))
        .set_redirect_uri(RedirectUrl::new(redirect.to_string()).map_err(|e| CoreError::Internal(e.to_string()))?);
    if let Some(s) = &settings.client_secret {
        client = client.set_client_secret(ClientSecret::new(s.expose().to_string()));
    }
    let http = token_http(network);
    let send = move |req: oauth2::HttpRequest| send_capped(http.clone(), req);
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&send)
        .await
        .map_err(|e| {
            let why = match &e {
                oauth2::RequestTokenError::ServerResponse(r) => r.error().to_string(),
                oauth2::RequestTokenError::Request(e) => match crate::net::tls_problem(e) {
                    Some(problem) => {
                        format!("Google's token service refused a secure connection: {problem}{}", crate::net::CA_FIX)
                    }
                    None => "Google's token service could not be reached".into(),
                },
                other => format!("unexpected answer ({})", other.to_string().chars().take(120).collect::<String>()),
            };
            SignInError::TokenExchange(why)
        })?;
    Ok(GoogleAccessToken::new(token.access_token().secret().clone()))
}

/// Step 1: a bound loopback listener and the authorization request for it.
struct Flow {
    listener: TcpListener,
    redirect: String,
    auth_url: Url,
    csrf: CsrfToken,
    verifier: PkceCodeVerifier,
}

impl Flow {
    async fn bind(settings: &GoogleSettings) -> Result<Self> {
        let port = settings.port;
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(|e| SignInError::PortBusy { port, reason: e.to_string() })?;
        let port = listener.local_addr().map_err(|e| CoreError::Internal(e.to_string()))?.port();
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(settings.auth_url.clone()))
            .set_redirect_uri(RedirectUrl::new(redirect.clone()).map_err(|e| CoreError::Internal(e.to_string()))?);
        let (auth_url, csrf) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(["openid", "email", "profile"].map(|s| Scope::new(s.into())))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Self { listener, redirect, auth_url, csrf, verifier })
    }

    /// Step 2: accept until the callback of this flow arrives (its `state`
    /// matches) or time runs out. Any local process can reach the port, so a
    /// callback with another state gets a 400 and the flow keeps waiting. The
    /// listener is consumed: it is closed the moment this returns.
    async fn await_callback(listener: TcpListener, timeout: Duration, csrf: &CsrfToken) -> Result<Callback> {
        let (tx, mut rx) = mpsc::channel::<Callback>(4);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => return Err(SignInError::TimedOut(timeout).into()),
                accepted = listener.accept() => match accepted {
                    // Each connection on its own: an idle speculative one must not block the real one.
                    Ok((stream, _)) => { tokio::spawn(serve_connection(stream, tx.clone())); }
                    Err(e) => tracing::warn!(error = %e, "loopback accept failed"),
                },
                Some(cb) = rx.recv() => {
                    if state_matches(&cb.query, csrf) {
                        return Ok(cb);
                    }
                    tracing::warn!("refused a loopback callback whose state is not this sign-in's");
                    let _ = cb.reply.send(refused_page());
                }
            }
        }
    }
}

fn state_matches(query: &[(String, String)], csrf: &CsrfToken) -> bool {
    let state = query.iter().find(|(k, _)| k == "state").map(|(_, v)| v.as_bytes());
    state.is_some_and(|s| constant_time_eq(s, csrf.secret().as_bytes()))
}

fn refused_page() -> Page {
    Page {
        status: "400 Bad Request",
        ok: false,
        title: "Sign-in refused".into(),
        body: "This sign-in response was not started by ERP Helper (its state does not match). Nothing was signed \
               in. Finish the sign-in ERP Helper opened, or start it again from the app."
            .into(),
    }
}

/// Step 3: the code, if the callback (already known to be ours) carries one.
fn validate(query: &[(String, String)]) -> Result<String, SignInError> {
    let get = |k: &str| query.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    if let Some(error) = get("error") {
        let why = if error == "access_denied" {
            "you declined on Google's page".to_string()
        } else {
            format!("Google said {error}")
        };
        return Err(SignInError::Denied(why));
    }
    get("code").map(str::to_string).ok_or(SignInError::NoCode)
}

/// Step 4: the browser's last page for the outcome.
fn outcome_page(result: &Result<SessionView>, return_to: Option<&str>) -> Page {
    let fail = |title: &str, body: String| Page { status: "200 OK", ok: false, title: title.into(), body };
    match result {
        Ok(view) => Page {
            status: "200 OK",
            ok: true,
            title: format!("Signed in as {}", view.email.as_deref().unwrap_or("?")),
            body: format!(
                "ERP Helper is signed in to the ERP. You can close this tab and return to {}.",
                return_to.unwrap_or("your editor")
            ),
        },
        Err(CoreError::SignIn(SignInError::Denied(why))) => {
            fail("Sign-in cancelled", format!("Nothing was signed in ({why}). You can close this tab."))
        }
        Err(CoreError::SignIn(SignInError::SignedOutMeanwhile)) => fail(
            "Sign-in stopped",
            "You signed out of ERP Helper while this sign-in was in progress, so nothing was kept. You can close this tab."
                .into(),
        ),
        Err(CoreError::SignIn(SignInError::NoCode)) => {
            fail("Sign-in failed", "Google sent no authorization code. Start the sign-in again.".into())
        }
        Err(e) => fail("Sign-in failed", e.to_rpc().message),
    }
}

/// Run a Google sign-in: open `open` at Google, wait for the redirect, check
/// it, exchange the code (with the PKCE verifier), and hand Google's access
/// token to `finish`, which makes it a session. `return_to` names the editor on
/// the browser's last page ("return to Cursor"). `stop` resolving ends the wait for
/// the browser (a sign-out).
pub async fn sign_in<F, Fut>(
    settings: &GoogleSettings,
    network: &crate::net::Network,
    open: Opener,
    return_to: Option<&str>,
    stop: impl Future<Output = ()>,
    finish: F,
) -> Result<SessionView>
where
    F: FnOnce(GoogleAccessToken) -> Fut,
    Fut: Future<Output = Result<SessionView>>,
{
    let Flow { listener, redirect, auth_url, csrf, verifier } = Flow::bind(settings).await?;
    tracing::info!(redirect, "opening the browser for Google sign-in");
    let url = auth_url.to_string();
    tokio::task::spawn_blocking(move || open(&url))
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))?
        .map_err(|e| SignInError::NoBrowser(e.to_string()))?;
    let callback = tokio::select! {
        c = Flow::await_callback(listener, settings.timeout, &csrf) => c?,
        () = stop => {
            tracing::info!("a sign-out ended the Google sign-in that was waiting for the browser");
            return Err(SignInError::SignedOutMeanwhile.into());
        }
    };
    let result = match validate(&callback.query) {
        Ok(code) => match exchange(settings, network, &redirect, code, verifier).await {
            Ok(google) => finish(google).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e.into()),
    };
    let _ = callback.reply.send(outcome_page(&result, return_to));
    result
}
