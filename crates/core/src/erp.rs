//! The ERP HTTP client: `Authorization: Token`, connect 5 s / read 30 s,
//! redirects are errors, bodies are capped, and the ERP's `error`/`detail` text
//! becomes a clean message. Tolerant parsing of the list shapes lives here too.
//! Not here: which calls a tool makes (see `tools`), or editing a week (see `week`).

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::{Method, StatusCode, header};

use crate::net::Network;
use serde_json::{Value, json};
use url::Url;

use crate::dates::{parse_week_starting, value_i64};
pub use crate::error::ErpError;
use crate::secret::{ErpToken, GoogleAccessToken};

/// Largest ERP response read, in bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Longest piece of ERP error text passed on.
const MAX_ERROR_TEXT: usize = 300;

/// What `core/google-login/` gave back.
#[derive(Debug)]
pub struct GoogleLogin {
    /// The ERP token.
    pub token: ErpToken,
    /// The ERP account's email.
    pub email: String,
}

/// One entry of `person/list`: a week-log id and its Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekRef {
    /// Week-log id.
    pub id: i64,
    /// Its Monday.
    pub monday: NaiveDate,
}

/// The ERP client. Cheap to clone (one connection pool).
#[derive(Clone)]
pub struct ErpClient {
    http: reqwest::Client,
    network: Network,
    base: Url,
    origin: String,
}

impl ErpClient {
    /// A client for the API root `base` (see [`crate::config::parse_api_base`]),
    /// through `network`'s proxy and trust roots.
    pub fn new(base: Url, network: Network) -> Self {
        let http = network
            .builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("erp-helper/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend is compiled in");
        let origin = crate::config::web_origin(&base).as_str().trim_end_matches('/').to_string();
        Self { http, network, base, origin }
    }

    /// The proxy and trust roots this client uses (Google's calls use them too).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The API root.
    pub fn base(&self) -> &Url {
        &self.base
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&ErpToken>,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, ErpError> {
        let url = self.base.join(path).map_err(|e| ErpError::BadResponse(format!("bad path {path}: {e}")))?;
        let mut req = self.http.request(method.clone(), url).header(header::ACCEPT, "application/json");
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(t) = token {
            let mut value = header::HeaderValue::from_str(&format!("Token {}", t.expose()))
                .map_err(|_| ErpError::BadResponse("the token has characters a header cannot carry".into()))?;
            // Kept out of reqwest's and hyper's debug output.
            value.set_sensitive(true);
            req = req.header(header::AUTHORIZATION, value);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let mut resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        tracing::debug!(%method, path, status = status.as_u16(), "ERP call");
        if status.is_redirection() {
            let location = resp.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).map(clean_text);
            return Err(ErpError::Redirect { status: status.as_u16(), location });
        }
        if resp.content_length().is_some_and(|n| n as usize > MAX_BODY_BYTES) {
            return Err(ErpError::BadResponse(format!("answer larger than {} MB", MAX_BODY_BYTES / 1_000_000)));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(&e))? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ErpError::BadResponse(format!("answer larger than {} MB", MAX_BODY_BYTES / 1_000_000)));
            }
            bytes.extend_from_slice(&chunk);
        }
        let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
        if status == StatusCode::UNAUTHORIZED {
            return Err(ErpError::Unauthorized);
        }
        if !status.is_success() {
            let message = parsed.as_ref().and_then(error_text);
            if let Some(m) = &message {
                tracing::info!(status = status.as_u16(), path, error = %m, "ERP refused");
            }
            return Err(ErpError::Status { status: status.as_u16(), message });
        }
        match parsed {
            Some(v) => Ok(v),
            None if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Value::Null),
            None => Err(ErpError::BadResponse("not JSON".into())),
        }
    }

    fn transport(&self, e: &reqwest::Error) -> ErpError {
        if let Some(problem) = crate::net::tls_problem(e) {
            let host = self.base.host_str().unwrap_or_default().to_string();
            return ErpError::Tls { host, problem, ca_file: self.network.ca_file().map(|p| p.display().to_string()) };
        }
        let reason = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "connection failed".to_string()
        } else {
            "the connection broke".to_string()
        };
        ErpError::Unavailable { url: self.origin.clone(), reason }
    }

    /// One unauthenticated request to the API root, for the doctor: the HTTP
    /// status it got, or why it got none (with the TLS error's own words).
    pub async fn reach(&self) -> Result<u16, String> {
        match self.http.get(self.base.clone()).send().await {
            Ok(r) => Ok(r.status().as_u16()),
            Err(e) => {
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    why = format!("{why}: {s}");
                    source = s.source();
                }
                Err(crate::error::capped(&why))
            }
        }
    }

    /// `POST core/google-login/`: a Google access token for an ERP token.
    pub async fn google_login(&self, google_access_token: &GoogleAccessToken) -> Result<GoogleLogin, ErpError> {
        let body = json!({"platform": "google", "access_token": google_access_token.expose()});
        let v = self.request(Method::POST, "core/google-login/", None, &[], Some(&body)).await?;
        let token = v.get("token").and_then(Value::as_str).map(str::trim).unwrap_or("");
        let email = v.get("email").and_then(Value::as_str).map(str::trim).unwrap_or("");
        if !valid_token_format(token) {
            return Err(ErpError::BadResponse("google-login gave no usable token".into()));
        }
        if !email.contains('@') {
            return Err(ErpError::BadResponse("google-login gave no email".into()));
        }
        Ok(GoogleLogin { token: ErpToken::new(token), email: email.to_lowercase() })
    }

    /// `GET core/person/`: the token's own person record (email, name). `Ok(None)`
    /// when this ERP has no such endpoint (404).
    pub async fn person(&self, token: &ErpToken) -> Result<Option<Value>, ErpError> {
        match self.request(Method::GET, "core/person/", Some(token), &[], None).await {
            Ok(v) => Ok(Some(v)),
            Err(ErpError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET project-logs/person/active_project_list/`.
    pub async fn active_projects(&self, token: &ErpToken) -> Result<Vec<erp_proto::tools::Project>, ErpError> {
        let v = self.request(Method::GET, "project-logs/person/active_project_list/", Some(token), &[], None).await?;
        let items = extract_list(&v).ok_or_else(|| ErpError::BadResponse("project list is not a list".into()))?;
        Ok(items
            .iter()
            .filter_map(|p| {
                let id = p.get("id").and_then(value_i64)?;
                let subteam = p.get("subteam").and_then(Value::as_str).unwrap_or("").to_string();
                let team = p.get("team").and_then(Value::as_str).filter(|t| !t.trim().is_empty());
                let name = team.map(str::to_string).unwrap_or_else(|| subteam.clone());
                Some(erp_proto::tools::Project { id, name, subteam })
            })
            .collect())
    }

    /// `GET project-logs/log_labels/`.
    pub async fn labels(&self, token: &ErpToken) -> Result<Vec<erp_proto::tools::Label>, ErpError> {
        let v = self.request(Method::GET, "project-logs/log_labels/", Some(token), &[], None).await?;
        let items = extract_list(&v).ok_or_else(|| ErpError::BadResponse("label list is not a list".into()))?;
        Ok(items
            .iter()
            .filter_map(|l| {
                Some(erp_proto::tools::Label {
                    id: l.get("id").and_then(value_i64)?,
                    name: l.get("name").and_then(Value::as_str)?.to_string(),
                })
            })
            .collect())
    }

    /// `GET project-logs/person/list/?year=`: every week log of the year, in
    /// whichever shape the ERP answers (envelope, flat, or either as a string).
    pub async fn week_list(&self, token: &ErpToken, year: i32) -> Result<Vec<WeekRef>, ErpError> {
        let v = self
            .request(Method::GET, "project-logs/person/list/", Some(token), &[("year", year.to_string())], None)
            .await?;
        parse_week_list(&v, year).ok_or_else(|| ErpError::BadResponse("week-log list has an unknown shape".into()))
    }

    /// `GET project-logs/person/get/<id>/`: the whole week document.
    pub async fn week_detail(&self, token: &ErpToken, id: i64) -> Result<Value, ErpError> {
        let v = self.request(Method::GET, &format!("project-logs/person/get/{id}/"), Some(token), &[], None).await?;
        if !v.is_object() {
            return Err(ErpError::BadResponse("week log is not an object".into()));
        }
        Ok(v)
    }

    /// `GET project-logs/person/month-list/?year=&month=`: raw items.
    pub async fn month_list(&self, token: &ErpToken, year: i32, month: u32) -> Result<Vec<Value>, ErpError> {
        let q = [("year", year.to_string()), ("month", month.to_string())];
        let v = self.request(Method::GET, "project-logs/person/month-list/", Some(token), &q, None).await?;
        extract_list(&v).map(|l| l.to_vec()).ok_or_else(|| ErpError::BadResponse("month list is not a list".into()))
    }

    /// `PATCH .../save/<id>/` with the whole (edited) week document.
    pub async fn save_week(&self, token: &ErpToken, id: i64, doc: &Value) -> Result<Value, ErpError> {
        self.request(
            Method::PATCH,
            &format!("project-logs/person/person-week-log/save/{id}/"),
            Some(token),
            &[],
            Some(doc),
        )
        .await
    }

    /// `PATCH .../complete/<id>/`.
    pub async fn complete_week(&self, token: &ErpToken, id: i64, save_draft: bool) -> Result<Value, ErpError> {
        let body = json!({ "save_draft": save_draft });
        self.request(
            Method::PATCH,
            &format!("project-logs/person/person-week-log/complete/{id}/"),
            Some(token),
            &[],
            Some(&body),
        )
        .await
    }

    /// `POST .../person-week-log-from-slack/`: add entries where no week log was found.
    pub async fn slack_add(&self, token: &ErpToken, email: &str, logs: Vec<Value>) -> Result<Value, ErpError> {
        let body = json!({ "email": email, "logs": logs });
        self.request(Method::POST, "project-logs/person/person-week-log-from-slack/", Some(token), &[], Some(&body))
            .await
    }
}

/// A read of the ERP's leaves API (§2.12), with the query it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeavesRead {
    /// `leaves/choices/get/`: leave types and approver.
    Choices,
    /// `leaves/individual_leave_fiscal_years/`.
    FiscalYears,
    /// `leaves/leave_summary/get/?selected_year=<fiscal year id>`.
    Summary(i64),
    /// `leaves/person/month_leaves/?year&month`: approved leave.
    MonthLeaves(i32, u32),
    /// `leaves/holiday_records/?year&month`.
    Holidays(i32, u32),
    /// `leaves/list/?year&month`: the user's own requests, every status.
    Mine(i32, u32),
    /// `leaves/team_leaves/list/`.
    Team,
    /// `leaves/person-leave-encashments/`.
    Encashments,
}

impl LeavesRead {
    fn path_and_query(self) -> (&'static str, Vec<(&'static str, String)>) {
        let month = |y: i32, m: u32| vec![("year", y.to_string()), ("month", m.to_string())];
        match self {
            Self::Choices => ("leaves/choices/get/", vec![]),
            Self::FiscalYears => ("leaves/individual_leave_fiscal_years/", vec![]),
            Self::Summary(fy) => ("leaves/leave_summary/get/", vec![("selected_year", fy.to_string())]),
            Self::MonthLeaves(y, m) => ("leaves/person/month_leaves/", month(y, m)),
            Self::Holidays(y, m) => ("leaves/holiday_records/", month(y, m)),
            Self::Mine(y, m) => ("leaves/list/", month(y, m)),
            Self::Team => ("leaves/team_leaves/list/", vec![]),
            Self::Encashments => ("leaves/person-leave-encashments/", vec![]),
        }
    }
}

/// A write to the ERP's leaves API.
#[derive(Debug, Clone, PartialEq)]
pub enum LeavesWrite {
    /// `POST leaves/request/apply/` with this body.
    Apply(Value),
    /// `POST leaves/delete_leave/<id>/`, no body.
    Cancel(i64),
    /// `POST leaves/person-leave-encashments/` with this body.
    Encash(Value),
}

impl ErpClient {
    /// A leaves read: the ERP's answer as it is (the tools read it tolerantly).
    pub async fn leaves_read(&self, token: &ErpToken, read: LeavesRead) -> Result<Value, ErpError> {
        let (path, query) = read.path_and_query();
        self.request(Method::GET, path, Some(token), &query, None).await
    }

    /// A leaves write: the ERP's answer as it is.
    pub async fn leaves_write(&self, token: &ErpToken, write: &LeavesWrite) -> Result<Value, ErpError> {
        match write {
            LeavesWrite::Apply(body) => {
                self.request(Method::POST, "leaves/request/apply/", Some(token), &[], Some(body)).await
            }
            LeavesWrite::Cancel(id) => {
                self.request(Method::POST, &format!("leaves/delete_leave/{id}/"), Some(token), &[], None).await
            }
            LeavesWrite::Encash(body) => {
                self.request(Method::POST, "leaves/person-leave-encashments/", Some(token), &[], Some(body)).await
            }
        }
    }
}

/// DRF tokens are 40 hex characters; accept what the older client accepted.
pub fn valid_token_format(t: &str) -> bool {
    (10..=512).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// Printable, single-line, at most [`MAX_ERROR_TEXT`] characters.
fn clean_text(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() > MAX_ERROR_TEXT {
        format!("{}…", trimmed.chars().take(MAX_ERROR_TEXT).collect::<String>())
    } else {
        trimmed
    }
}

/// The ERP's error text: `error`, then `detail`, then DRF's field-keyed form.
fn error_text(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    for key in ["error", "detail"] {
        if let Some(s) = obj.get(key).and_then(Value::as_str) {
            return Some(clean_text(s));
        }
    }
    let fields: Vec<String> = obj
        .iter()
        .filter_map(|(k, v)| {
            let msg = match v {
                Value::String(s) => s.clone(),
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
                _ => return None,
            };
            Some(format!("{k}: {msg}"))
        })
        .collect();
    (!fields.is_empty()).then(|| clean_text(&fields.join("; ")))
}

/// A list, bare or under `results`/`data`/`items`/`logs`/`month_logs`, or as a JSON string.
pub fn extract_list(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(a) => Some(a.clone()),
        Value::String(s) => {
            serde_json::from_str::<Value>(s).ok().filter(|v| !v.is_string()).and_then(|v| extract_list(&v))
        }
        Value::Object(o) => ["results", "data", "items", "logs", "month_logs"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_array).cloned()),
        _ => None,
    }
}

/// Every `{id, week_starting}` in a `person/list` answer of any known shape.
pub fn parse_week_list(v: &Value, year: i32) -> Option<Vec<WeekRef>> {
    let v = match v {
        Value::String(s) => serde_json::from_str::<Value>(s).ok()?,
        other => other.clone(),
    };
    let mut out = Vec::new();
    let hint = NaiveDate::from_ymd_opt(year, 7, 1)?;
    match &v {
        Value::Array(items) => collect_weeks(items, hint, &mut out),
        Value::Object(o) => {
            let months = o
                .get("person_week_logs")
                .and_then(Value::as_array)
                .or_else(|| o.get("results").and_then(Value::as_array))?;
            for m in months {
                match m.get("months_log").and_then(Value::as_array) {
                    Some(items) => collect_weeks(items, hint, &mut out),
                    None => collect_weeks(std::slice::from_ref(m), hint, &mut out),
                }
            }
        }
        _ => return None,
    }
    Some(out)
}

fn collect_weeks(items: &[Value], hint: NaiveDate, out: &mut Vec<WeekRef>) {
    for item in items {
        let id = item.get("id").and_then(value_i64);
        let monday = item.get("week_starting").and_then(Value::as_str).and_then(|s| parse_week_starting(s, hint));
        if let (Some(id), Some(monday)) = (id, monday) {
            out.push(WeekRef { id, monday });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_list_shapes_and_the_string_form_parse_alike() {
        let envelope = json!({"person_week_logs": [
            {"month": "January", "months_log": [{"id": 1, "week_starting": "Mon, Jan 05"}, {"id": "2", "week_starting": "Mon, Jan 12"}]}
        ]});
        let flat = json!([{"id": 1, "week_starting": "2026-01-05"}, {"id": 2, "week_starting": "2026-01-12"}]);
        let string = Value::String(envelope.to_string());
        let a = parse_week_list(&envelope, 2026).unwrap();
        assert_eq!(a, parse_week_list(&flat, 2026).unwrap());
        assert_eq!(a, parse_week_list(&string, 2026).unwrap());
        assert_eq!(a[1].monday, NaiveDate::from_ymd_opt(2026, 1, 12).unwrap());
    }

    #[test]
    fn december_monday_in_a_list_is_placed_in_the_right_year() {
        let v = json!({"person_week_logs": [{"months_log": [{"id": 9, "week_starting": "Mon, Dec 29"}]}]});
        assert_eq!(parse_week_list(&v, 2025).unwrap()[0].monday, NaiveDate::from_ymd_opt(2025, 12, 29).unwrap());
    }

    #[test]
    fn error_text_prefers_error_then_detail_then_fields() {
        assert_eq!(error_text(&json!({"error": "E", "detail": "D"})).unwrap(), "E");
        assert_eq!(error_text(&json!({"detail": "D"})).unwrap(), "D");
        assert_eq!(
            error_text(&json!({"modified_at": ["This field is required."]})).unwrap(),
            "modified_at: This field is required."
        );
        assert_eq!(error_text(&json!({"error": "a\u{7}\nb"})).unwrap(), "a b");
        assert!(error_text(&json!({"error": "x".repeat(1000)})).unwrap().chars().count() <= MAX_ERROR_TEXT + 1);
    }
}
