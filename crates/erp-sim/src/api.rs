//! The `/api/v1/` routes. One handler dispatches on the path by hand so that the
//! cross-cutting behaviour (request log, latency, injected faults, Django's
//! trailing-slash redirect, token auth) is in one place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

use std::time::Duration;

use crate::model::{ApiError, Chaos, Fault, RequestRecord, SimPerson, State};

type Shared = Arc<Mutex<State>>;

pub(crate) fn router(state: Shared) -> Router {
    Router::new().route("/api/v1/{*rest}", any(handle)).with_state(state)
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

fn json_response(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Like a real server, a request that has arrived is carried out even if its
/// client goes away meanwhile (the app killed mid-request): the work runs on
/// its own task, which a dropped connection does not cancel.
async fn handle(
    AxState(state): AxState<Shared>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let chaos = lock(&state).roll_chaos();
    let is_save = method == Method::PATCH;
    match chaos {
        Some(Chaos::ServerError) => return json_response(500, json!({"detail": "A server error occurred."})),
        Some(Chaos::BadGateway) => {
            return (StatusCode::BAD_GATEWAY, "<html><body>502 Bad Gateway</body></html>").into_response();
        }
        Some(Chaos::Conflict) if is_save => {
            return json_response(409, json!({"detail": "This week log was changed by someone else."}));
        }
        Some(Chaos::Conflict) => return json_response(503, json!({"detail": "Service unavailable."})),
        // Unwinding the connection's task drops it unanswered (and skips the panic hook: no noise).
        Some(Chaos::ResetBefore) => std::panic::resume_unwind(Box::new("erp-sim chaos: reset")),
        Some(Chaos::Slow) => tokio::time::sleep(Duration::from_millis(1500)).await,
        Some(Chaos::ResetAfter) | None => {}
    }
    let work = tokio::spawn(carry_out(state, method, uri, query, headers, body));
    let answer = work.await.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    if chaos == Some(Chaos::ResetAfter) {
        std::panic::resume_unwind(Box::new("erp-sim chaos: reset after the work"));
    }
    answer
}

async fn carry_out(
    state: Shared,
    method: Method,
    uri: Uri,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let latency = {
        let mut st = lock(&state);
        st.requests.push(RequestRecord {
            method: method.to_string(),
            path: uri.path_and_query().map(|p| p.to_string()).unwrap_or_else(|| path.clone()),
        });
        st.config.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = lock(&state).take_fault(&path);
    match fault {
        Some(Fault::Status(code, body)) => return json_response(code, body),
        Some(Fault::Redirect(to)) => return (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        Some(Fault::Garbage) => return (StatusCode::OK, "<html>Service temporarily down</html>").into_response(),
        Some(Fault::Slow(wait)) => tokio::time::sleep(wait).await,
        None => {}
    }
    // Django's APPEND_SLASH: a path without the trailing slash is redirected.
    if !path.ends_with('/') {
        let to = format!("{path}/{}", uri.query().map(|q| format!("?{q}")).unwrap_or_default());
        return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response();
    }
    let rest = path.trim_start_matches("/api/v1/");
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return json_response(400, json!({"detail": "JSON parse error."})),
        }
    };

    // Unauthenticated endpoints.
    match (&method, rest) {
        (&Method::POST, "core/google-login/") => return respond(google_login(&state, &body)),
        (&Method::POST, "core/login/") => return respond(password_login(&state, &body)),
        _ => {}
    }

    let person = match authenticate(&state, &headers) {
        Ok(p) => p,
        Err(e) => return respond(Err(e)),
    };
    let mut st = lock(&state);
    let year = || query.get("year").and_then(|y| y.parse::<i32>().ok());
    let result: Result<(u16, Value), ApiError> = match (&method, rest.split('/').collect::<Vec<_>>().as_slice()) {
        (&Method::GET, ["core", "person", ""]) => {
            Ok((200, json!({"id": person.id, "email": person.email, "name": person.name})))
        }
        (&Method::GET, ["project-logs", "person", "active_project_list", ""]) => Ok((200, st.active_projects(&person))),
        (&Method::GET, ["project-logs", "log_labels", ""]) => Ok((200, st.labels_json())),
        (&Method::GET, ["project-logs", "person", "list", ""]) => match year() {
            Some(y) => Ok((200, st.person_list(&person, y))),
            None => Err((400, json!({"year": ["A valid integer is required."]}))),
        },
        (&Method::GET, ["project-logs", "person", "month-list", ""]) => {
            match (year(), query.get("month").and_then(|m| m.parse::<u32>().ok())) {
                (Some(y), Some(m)) => st.month_list(&person, y, m).map(|v| (200, v)),
                _ => Err((400, json!({"detail": "year and month are required."}))),
            }
        }
        (&Method::GET, ["project-logs", "person", "get", id, ""]) => {
            parse_id(id).and_then(|id| st.week_for(&person, id).cloned()).map(|w| (200, st.detail_json(&w)))
        }
        (&Method::PATCH, ["project-logs", "person", "person-week-log", "save", id, ""]) => {
            parse_id(id).and_then(|id| st.save(&person, id, &body)).map(|v| (200, v))
        }
        (&Method::PATCH, ["project-logs", "person", "person-week-log", "complete", id, ""]) => {
            parse_id(id).and_then(|id| st.complete(&person, id, &body)).map(|v| (200, v))
        }
        (&Method::POST, ["project-logs", "person", "person-week-log-from-slack", ""]) => {
            st.slack(&person, &body).map(|v| (201, v))
        }
        (m, ["leaves", ..]) => leaves(&mut st, m, rest, &person, &query, &body),
        _ => Err((404, json!({"detail": "Not found."}))),
    };
    drop(st);
    respond(result)
}

/// The `leaves/` routes (§2.12).
fn leaves(
    st: &mut State,
    method: &Method,
    rest: &str,
    person: &SimPerson,
    query: &HashMap<String, String>,
    body: &Value,
) -> Result<(u16, Value), ApiError> {
    let year = query.get("year").and_then(|y| y.parse::<i32>().ok());
    let month = query.get("month").and_then(|m| m.parse::<u32>().ok());
    let (per_day, every_status) = (st.config.leaves_per_day, st.config.month_leaves_every_status);
    let l = &mut st.leaves;
    match (method, rest.split('/').collect::<Vec<_>>().as_slice()) {
        (&Method::GET, ["leaves", "choices", "get", ""]) => Ok((200, l.choices())),
        (&Method::GET, ["leaves", "individual_leave_fiscal_years", ""]) => Ok((200, l.fiscal_years_json())),
        (&Method::GET, ["leaves", "leave_summary", "get", ""]) => {
            l.summary(person, query.get("selected_year")).map(|v| (200, v))
        }
        (&Method::GET, ["leaves", "person", "month_leaves", ""]) => {
            l.month_leaves(person, (year, month), per_day, every_status).map(|v| (200, v))
        }
        (&Method::GET, ["leaves", "holiday_records", ""]) => l.holiday_records(year, month).map(|v| (200, v)),
        (&Method::GET, ["leaves", "list", ""]) => l.list(person, year, month).map(|v| (200, v)),
        (&Method::GET, ["leaves", "team_leaves", "list", ""]) => {
            let today = st.config.today;
            Ok((200, st.leaves.team(person, &st.people, today)))
        }
        (&Method::GET, ["leaves", "person-leave-encashments", ""]) => Ok((200, l.encashments_json(person))),
        (&Method::POST, ["leaves", "request", "apply", ""]) => l.apply(person, body).map(|v| (201, v)),
        (&Method::POST, ["leaves", "delete_leave", id, ""]) => {
            parse_id(id).and_then(|id| l.cancel(person, id)).map(|v| (200, v))
        }
        (&Method::POST, ["leaves", "person-leave-encashments", ""]) => l.encash(person, body).map(|v| (201, v)),
        _ => Err((404, json!({"detail": "Not found."}))),
    }
}

fn respond(r: Result<(u16, Value), ApiError>) -> Response {
    match r {
        Ok((code, v)) => json_response(code, v),
        Err((code, v)) => json_response(code, v),
    }
}

fn parse_id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| (404, json!({"detail": "Not found."})))
}

fn authenticate(state: &Shared, headers: &HeaderMap) -> Result<SimPerson, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err((401, json!({"detail": "Authentication credentials were not provided."})));
    };
    let token = value.strip_prefix("Token ").unwrap_or("");
    let valid = token.len() == 40 && token.chars().all(|c| c.is_ascii_hexdigit());
    let person = if valid { lock(state).person_by_token(token) } else { None };
    person.ok_or_else(|| (401, json!({"detail": "Invalid token."})))
}

fn google_login(state: &Shared, body: &Value) -> Result<(u16, Value), ApiError> {
    if body.get("platform").and_then(Value::as_str) != Some("google") {
        return Err((400, json!({"platform": ["Unsupported platform."]})));
    }
    let token = body.get("access_token").and_then(Value::as_str).unwrap_or("");
    let st = lock(state);
    let any = st.config.google_any_token_as.clone().filter(|_| token.len() >= 10);
    let person = st
        .google_tokens
        .get(token)
        .cloned()
        .or(any)
        .and_then(|email| st.person_by_email(&email))
        .ok_or_else(|| (400, json!({"error": "Invalid Google token."})))?;
    Ok((200, json!({"token": person.token, "email": person.email, "name": person.name})))
}

fn password_login(state: &Shared, body: &Value) -> Result<(u16, Value), ApiError> {
    let email = body.get("email").and_then(Value::as_str).unwrap_or("");
    let password = body.get("password").and_then(Value::as_str).unwrap_or("");
    let st = lock(state);
    match st.person_by_email(email) {
        Some(p) if p.password == password => Ok((200, json!({"token": p.token, "email": p.email, "name": p.name}))),
        _ => Err((400, json!({"error": "Invalid email or password."}))),
    }
}
