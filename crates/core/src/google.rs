//! Google sign-in in the system browser with a loopback redirect (RFC 8252):
//! PKCE S256, a random `state` that must come back, one code accepted and then
//! the listener closes, a time limit, every connection served on its own
//! (browsers open idle speculative connections). The Google access token is
//! exchanged at the ERP's `core/google-login/`, and the browser's last page says
//! who is signed in and to go back to the editor.
//! Not here: which browser (the caller passes an [`Opener`]).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use erp_proto::admin::{Secret, SessionView};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
    TokenResponse, TokenUrl,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use url::Url;

use crate::core::CoreHandle;
use crate::error::{CoreError, Result};
use crate::session::SignInVia;

/// Google's endpoints.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// The loopback port the older server registered with Google.
pub const DEFAULT_PORT: u16 = 8765;
/// How long the user has to finish in the browser.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest request head the loopback server reads.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// Opens a URL in the user's browser.
pub type Opener = Arc<dyn Fn(&str) -> std::io::Result<()> + Send + Sync>;

/// The system browser (honours `$BROWSER`).
pub fn system_opener() -> Opener {
    Arc::new(|url| webbrowser::open(url).map(|_| ()))
}

/// Google OAuth client settings.
#[derive(Debug, Clone)]
pub struct GoogleSettings {
    /// OAuth client id (`GOOGLE_CLIENT_ID`, or the older `MCP_GOOGLE_CLIENT_ID`).
    pub client_id: String,
    /// Client secret, for clients that have one (`GOOGLE_CLIENT_SECRET`).
    pub client_secret: Option<Secret>,
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
        let url = |key: &str, default: &str| -> Result<Url> {
            let raw = get(key).unwrap_or_else(|| default.to_string());
            Url::parse(&raw).map_err(|e| CoreError::Config(format!("{key} is not a URL ({e}): {raw}")))
        };
        let port = match get("ERP_HELPER_OAUTH_PORT") {
            Some(p) => p
                .parse()
                .map_err(|_| CoreError::Config(format!("ERP_HELPER_OAUTH_PORT must be a port number, got {p:?}")))?,
            None => DEFAULT_PORT,
        };
        let timeout = match get("ERP_HELPER_OAUTH_TIMEOUT") {
            Some(s) => Duration::from_secs(
                s.parse()
                    .map_err(|_| CoreError::Config(format!("ERP_HELPER_OAUTH_TIMEOUT must be seconds, got {s:?}")))?,
            ),
            None => DEFAULT_TIMEOUT,
        };
        Ok(Some(Self {
            client_id,
            client_secret: get("GOOGLE_CLIENT_SECRET").map(Secret::new),
            auth_url: url("GOOGLE_AUTH_URL", GOOGLE_AUTH_URL)?,
            token_url: url("GOOGLE_TOKEN_URL", GOOGLE_TOKEN_URL)?,
            port,
            timeout,
        }))
    }
}

/// What came back to the loopback redirect.
struct Callback {
    query: Vec<(String, String)>,
    reply: oneshot::Sender<Page>,
}

/// The browser's last page.
struct Page {
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

/// Serve one connection: read its request head (bounded in size and time); a
/// GET of `/callback` is handed to the flow, which decides the page; anything
/// else gets a 404. Idle connections just time out on their own.
async fn serve_connection(mut stream: TcpStream, tx: mpsc::Sender<Callback>) {
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
    if !matches!(read, Ok(Ok(true))) {
        return;
    }
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
            ok: false,
            title: "This sign-in is over".into(),
            body: "ERP Helper is no longer waiting for this sign-in. Start it again from the app.".into(),
        });
        respond(stream, "410 Gone", &html).await;
        return;
    }
    let page = tokio::time::timeout(Duration::from_secs(90), page).await.ok().and_then(Result::ok).unwrap_or(Page {
        ok: false,
        title: "Sign-in did not finish".into(),
        body: "ERP Helper did not finish the sign-in. Try again from the app.".into(),
    });
    respond(stream, "200 OK", &render(&page)).await;
}

/// An HTTP client for the token endpoint that never follows redirects.
fn token_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a TLS backend is compiled in")
}

async fn exchange(
    settings: &GoogleSettings,
    redirect: &str,
    code: String,
    verifier: oauth2::PkceCodeVerifier,
) -> Result<Secret> {
    let mut client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(settings.auth_url.clone()))
        .set_token_uri(TokenUrl::from_url(settings.token_url.clone()))
        .set_redirect_uri(RedirectUrl::new(redirect.to_string()).map_err(|e| CoreError::Internal(e.to_string()))?);
    if let Some(s) = &settings.client_secret {
        client = client.set_client_secret(ClientSecret::new(s.expose().to_string()));
    }
    let http = token_http();
    let send = move |req: oauth2::HttpRequest| {
        let http = http.clone();
        async move {
            let req = reqwest::Request::try_from(req).map_err(std::io::Error::other)?;
            let resp = http.execute(req).await.map_err(std::io::Error::other)?;
            let mut out = http::Response::builder().status(resp.status());
            for (k, v) in resp.headers() {
                out = out.header(k, v);
            }
            let body = resp.bytes().await.map_err(std::io::Error::other)?;
            out.body(body.to_vec()).map_err(std::io::Error::other)
        }
    };
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&send)
        .await
        .map_err(|e| {
            let why = match &e {
                oauth2::RequestTokenError::ServerResponse(r) => r.error().to_string(),
                oauth2::RequestTokenError::Request(_) => "Google's token service could not be reached".into(),
                other => format!("unexpected answer ({})", other.to_string().chars().take(120).collect::<String>()),
            };
            CoreError::SignIn(format!("Google did not accept the sign-in ({why}). Try again."))
        })?;
    Ok(Secret::new(token.access_token().secret().clone()))
}

impl CoreHandle {
    /// Run the Google sign-in: open the browser at Google, wait for the
    /// redirect, exchange, verify, store. `return_to` names the editor on the
    /// final page (e.g. "Cursor").
    pub async fn sign_in_with_google(&self, open: Opener, return_to: Option<String>) -> Result<SessionView> {
        let settings = self.google().ok_or_else(|| {
            CoreError::Config(
                "Google sign-in is not set up: set GOOGLE_CLIENT_ID (and GOOGLE_CLIENT_SECRET if the client has one)."
                    .into(),
            )
        })?;
        self.sign_in_with_google_settings(settings, open, return_to).await
    }

    /// [`Self::sign_in_with_google`] with explicit settings.
    pub async fn sign_in_with_google_settings(
        &self,
        settings: GoogleSettings,
        open: Opener,
        return_to: Option<String>,
    ) -> Result<SessionView> {
        let _only_one = self.google_flow_lock().try_lock().map_err(|_| {
            CoreError::SignIn("A Google sign-in is already open in your browser; finish it there.".into())
        })?;
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, settings.port))).await.map_err(|e| {
            CoreError::SignIn(format!(
                "Could not listen on 127.0.0.1:{} for Google's redirect ({e}). Close whatever uses that port, or set \
                 ERP_HELPER_OAUTH_PORT to a port registered with the Google client.",
                settings.port
            ))
        })?;
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

        tracing::info!(port, "opening the browser for Google sign-in");
        let url = auth_url.to_string();
        tokio::task::spawn_blocking(move || open(&url))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
            .map_err(|e| CoreError::SignIn(format!("Could not open a browser for the Google sign-in ({e}).")))?;

        // Accept until one callback arrives or time runs out. The listener lives in
        // this frame, so it is closed the moment we return, whatever happens.
        let (tx, mut rx) = mpsc::channel::<Callback>(4);
        let deadline = tokio::time::sleep(settings.timeout);
        tokio::pin!(deadline);
        let callback = loop {
            tokio::select! {
                () = &mut deadline => {
                    let secs = settings.timeout.as_secs();
                    let limit = if secs >= 120 { format!("{} minutes", secs / 60) } else { format!("{secs} seconds") };
                    return Err(CoreError::SignIn(format!(
                        "The Google sign-in was not finished within {limit}. Start it again when you are ready."
                    )));
                }
                accepted = listener.accept() => match accepted {
                    // Each connection on its own: an idle speculative one must not block the real one.
                    Ok((stream, _)) => { tokio::spawn(serve_connection(stream, tx.clone())); }
                    Err(e) => tracing::warn!(error = %e, "loopback accept failed"),
                },
                Some(cb) = rx.recv() => break cb,
            }
        };
        // One callback is all we take: stop listening before doing anything else.
        drop(listener);
        drop(tx);
        rx.close();
        let get = |k: &str| callback.query.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
        let fail = |title: &str, body: &str| Page { ok: false, title: title.into(), body: body.into() };
        if get("state").as_deref() != Some(csrf.secret().as_str()) {
            let _ = callback.reply.send(fail(
                "Sign-in refused",
                "This sign-in response was not started by ERP Helper (its state does not match). Nothing was signed in. Start the sign-in again from the app.",
            ));
            return Err(CoreError::SignIn(
                "The Google sign-in answer did not match the request (state mismatch); nothing was signed in. Start it again.".into(),
            ));
        }
        if let Some(error) = get("error") {
            let why = if error == "access_denied" {
                "you declined on Google's page".to_string()
            } else {
                format!("Google said {error}")
            };
            let _ = callback
                .reply
                .send(fail("Sign-in cancelled", &format!("Nothing was signed in ({why}). You can close this tab.")));
            return Err(CoreError::SignIn(format!("The Google sign-in was cancelled ({why}).")));
        }
        let Some(code) = get("code") else {
            let _ = callback
                .reply
                .send(fail("Sign-in failed", "Google sent no authorization code. Start the sign-in again."));
            return Err(CoreError::SignIn("Google sent no authorization code.".into()));
        };
        let result = async {
            let google = exchange(&settings, &redirect, code, verifier).await?;
            self.sign_in_with_google_token(google, SignInVia::Google).await
        }
        .await;
        let page = match &result {
            Ok(view) => Page {
                ok: true,
                title: format!("Signed in as {}", view.email.as_deref().unwrap_or("?")),
                body: format!(
                    "ERP Helper is signed in to the ERP. You can close this tab and return to {}.",
                    return_to.as_deref().unwrap_or("your editor")
                ),
            },
            Err(e) => fail("Sign-in failed", &e.to_rpc().message),
        };
        let _ = callback.reply.send(page);
        result
    }
}
