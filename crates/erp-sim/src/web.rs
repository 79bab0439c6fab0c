//! The web side: the ERP's login page (which stores `localStorage['token']` and
//! `['username']` like the real web app), and a Google-like OAuth 2 server
//! (authorization code + PKCE S256) whose access tokens `core/google-login/`
//! accepts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

use crate::model::{OAuthCode, State, random_hex};

type Shared = Arc<Mutex<State>>;
type Params = HashMap<String, String>;

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page))
        .route("/project-logs/update/{id}/", get(home))
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/approve", post(approve))
        .route("/oauth/token", post(token))
        .route("/_sim/requests", get(requests))
        .with_state(state)
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font:15px system-ui,sans-serif;max-width:420px;margin:60px auto;color:#222}}
input,button{{font:inherit;padding:8px;margin:4px 0;width:100%;box-sizing:border-box}}
button{{background:#2451a6;color:#fff;border:0;border-radius:4px;cursor:pointer}}
.muted{{color:#777}} a{{color:#2451a6}}</style></head><body><h1>{title}</h1>{body}</body></html>"#
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

async fn home() -> Html<String> {
    page(
        "Workstream ERP (simulator)",
        r##"<p id="who" class="muted">Loading…</p>
<script>
const t = localStorage.getItem('token'), u = localStorage.getItem('username');
document.getElementById('who').innerHTML = t
  ? 'Signed in as <b id="user"></b>. <a href="#" id="out">Sign out</a>'
  : 'Not signed in. <a href="/login">Sign in</a>';
if (t) { document.getElementById('user').textContent = u;
  document.getElementById('out').onclick = () => { localStorage.clear(); location.reload(); }; }
</script>"##,
    )
}

async fn login_page(AxState(state): AxState<Shared>) -> Html<String> {
    let base = lock(&state).base.clone();
    let google = format!(
        "{base}/oauth/authorize?response_type=code&client_id=erp-web&redirect_uri={}&state=web&scope=openid%20email",
        url::form_urlencoded::byte_serialize(format!("{base}/").as_bytes()).collect::<String>()
    );
    page(
        "Sign in to Workstream",
        &format!(
            r#"<form id="f"><input id="email" name="email" type="email" placeholder="Email" autocomplete="username">
<input id="password" name="password" type="password" placeholder="Password" autocomplete="current-password">
<button id="submit" type="submit">Sign in</button></form>
<p id="error" style="color:#b00"></p>
<p><a id="google" href="{google}">Sign in with Google</a></p>
<p class="muted">Simulator accounts: jane@example.com, sam@example.com, olga@other.org; password <code>demo</code>.</p>
<script>
document.getElementById('f').onsubmit = async (e) => {{
  e.preventDefault();
  const email = document.getElementById('email').value;
  const r = await fetch('/api/v1/core/login/', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},
    body: JSON.stringify({{email, password: document.getElementById('password').value}})}});
  const j = await r.json();
  if (!r.ok) {{ document.getElementById('error').textContent = j.error || 'Sign-in failed'; return; }}
  localStorage.setItem('token', j.token);
  localStorage.setItem('username', j.email);
  location.href = '/';
}};
</script>"#,
            google = escape(&google)
        ),
    )
}

/// Redirect URIs the simulator accepts: loopback (native apps) or its own origin.
fn redirect_allowed(base: &str, uri: &str) -> bool {
    let Ok(u) = Url::parse(uri) else { return false };
    let loopback = u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    loopback || uri.starts_with(base)
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut u = Url::parse(uri).expect("checked by redirect_allowed");
    u.query_pairs_mut().extend_pairs(pairs);
    u.to_string()
}

fn issue_code(st: &mut State, p: &Params, email: &str) -> String {
    let code = format!("sim-code-{}", random_hex(24));
    st.oauth_codes.insert(
        code.clone(),
        OAuthCode {
            email: email.to_string(),
            client_id: p.get("client_id").cloned().unwrap_or_default(),
            redirect_uri: p.get("redirect_uri").cloned().unwrap_or_default(),
            challenge: p.get("code_challenge").cloned(),
        },
    );
    code
}

async fn authorize(AxState(state): AxState<Shared>, Query(p): Query<Params>) -> Response {
    let mut st = lock(&state);
    let redirect = p.get("redirect_uri").cloned().unwrap_or_default();
    if p.get("client_id").is_none_or(|c| c.is_empty()) || !redirect_allowed(&st.base, &redirect) {
        return (
            StatusCode::BAD_REQUEST,
            page("Error 400: invalid_request", "<p>Missing client_id or a redirect_uri that is not allowed.</p>"),
        )
            .into_response();
    }
    if p.get("response_type").map(String::as_str) != Some("code") {
        return Redirect::to(&with_query(&redirect, &[("error", "unsupported_response_type")])).into_response();
    }
    // Stricter than Google, on purpose: a client that drops PKCE fails here.
    if !p.contains_key("code_challenge") || p.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return Redirect::to(&with_query(&redirect, &[("error", "invalid_request")])).into_response();
    }
    let state_param = p.get("state").cloned().unwrap_or_default();
    if let Some(email) = st.config.oauth_auto_approve.clone() {
        let code = issue_code(&mut st, &p, &email);
        return Redirect::to(&with_query(&redirect, &[("code", &code), ("state", &state_param)])).into_response();
    }
    let hidden: String =
        p.iter().map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, escape(k), escape(v))).collect();
    let accounts: String = st
        .people
        .iter()
        .map(|person| {
            format!(
                r#"<button name="account" value="{e}" id="account-{e}">Continue as {n} ({e})</button>"#,
                e = escape(&person.email),
                n = escape(&person.name)
            )
        })
        .collect();
    page(
        "Choose an account",
        &format!(
            r#"<p class="muted">to continue to the app <b>{client}</b></p><form method="post" action="/oauth/approve">{hidden}{accounts}
<button name="account" value="" id="deny" style="background:#888">Cancel</button></form>"#,
            client = escape(p.get("client_id").map(String::as_str).unwrap_or(""))
        ),
    )
    .into_response()
}

async fn approve(AxState(state): AxState<Shared>, Form(p): Form<Params>) -> Response {
    let mut st = lock(&state);
    let redirect = p.get("redirect_uri").cloned().unwrap_or_default();
    if !redirect_allowed(&st.base, &redirect) {
        return (StatusCode::BAD_REQUEST, "redirect_uri not allowed").into_response();
    }
    let state_param = p.get("state").cloned().unwrap_or_default();
    let account = p.get("account").cloned().unwrap_or_default();
    if account.is_empty() || st.person_by_email(&account).is_none() {
        return Redirect::to(&with_query(&redirect, &[("error", "access_denied"), ("state", &state_param)]))
            .into_response();
    }
    let code = issue_code(&mut st, &p, &account);
    Redirect::to(&with_query(&redirect, &[("code", &code), ("state", &state_param)])).into_response()
}

fn oauth_error(error: &str, description: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error, "error_description": description}))).into_response()
}

async fn token(AxState(state): AxState<Shared>, Form(p): Form<Params>) -> Response {
    let mut st = lock(&state);
    if p.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error("unsupported_grant_type", "only authorization_code");
    }
    let Some(grant) = p.get("code").and_then(|c| st.oauth_codes.remove(c)) else {
        return oauth_error("invalid_grant", "unknown or used code");
    };
    if p.get("redirect_uri") != Some(&grant.redirect_uri) {
        return oauth_error("invalid_grant", "redirect_uri mismatch");
    }
    if p.get("client_id").is_some_and(|c| *c != grant.client_id) {
        return oauth_error("invalid_client", "client_id mismatch");
    }
    if let Some(challenge) = &grant.challenge {
        let verifier = p.get("code_verifier").map(String::as_str).unwrap_or("");
        let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if computed != *challenge {
            return oauth_error("invalid_grant", "code_verifier does not match");
        }
    }
    let Some(access) = st.issue_google_token(&grant.email) else {
        return oauth_error("invalid_grant", "account vanished");
    };
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": 3599, "scope": "openid email profile"})),
    )
        .into_response()
}

async fn requests(AxState(state): AxState<Shared>) -> Json<serde_json::Value> {
    let st = lock(&state);
    Json(json!(st.requests.iter().map(|r| json!({"method": r.method, "path": r.path})).collect::<Vec<_>>()))
}
