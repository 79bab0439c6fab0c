//! erp-sim: a stateful simulator of the ERP's project-logs API (see
//! `shared/erp-api.md`), the ERP web login page, and a Google-like OAuth server.
//!
//! It is what the demo runs against and what the tests check state in. It follows
//! the reconstructed contract, and where the contract is unsure it can behave
//! either way ([`SimConfig`]). Not here: anything the app does; the simulator
//! knows nothing about MCP or the socket.

mod api;
mod leaves;
mod model;
mod web;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDate;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use leaves::LeaveStatus;
use model::State;
pub use model::{Chaos, Fault, ListShape, RequestRecord, SimConfig, SimPerson};

/// The holidays every seeded year has (month, day, name), in every year the
/// seeded range touches; tests pick weeks around them.
pub const FIXED_HOLIDAYS: [(u32, u32, &str); 3] =
    [(1, 1, "New Year's Day"), (5, 1, "Labour Day"), (12, 25, "Christmas Day")];

/// A running simulator. Dropping it stops the server.
pub struct Sim {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Sim {
    /// Start on 127.0.0.1 with an OS-chosen port.
    pub async fn start(config: SimConfig) -> std::io::Result<Self> {
        Self::start_on(config, 0).await
    }

    /// Start on 127.0.0.1:`port` (0 = any free port).
    pub async fn start_on(config: SimConfig, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::seeded(config, format!("http://{addr}"))));
        let app = api::router(state.clone()).merge(web::router(state.clone()));
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "erp-sim server stopped");
            }
        });
        Ok(Self { addr, state, task })
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API root, ending in `/api/v1/`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/v1/", self.addr)
    }

    /// The web origin (login page).
    pub fn web_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The Google-like authorization endpoint.
    pub fn oauth_authorize_url(&self) -> String {
        format!("http://{}/oauth/authorize", self.addr)
    }

    /// The Google-like token endpoint.
    pub fn oauth_token_url(&self) -> String {
        format!("http://{}/oauth/token", self.addr)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The seeded people (with their ERP tokens: test-only knowledge).
    pub fn people(&self) -> Vec<SimPerson> {
        self.state().people.clone()
    }

    /// The ERP token of a seeded person.
    pub fn token_for(&self, email: &str) -> Option<String> {
        self.state().people.iter().find(|p| p.email == email).map(|p| p.token.clone())
    }

    /// Issue a Google-like access token for a person, as if they had completed
    /// the OAuth consent (what the demo's sign-in uses).
    pub fn issue_google_token(&self, email: &str) -> Option<String> {
        self.state().issue_google_token(email)
    }

    /// Invalidate a person's ERP token (the next call with it gets 401) and give
    /// them a new one.
    pub fn revoke_token(&self, email: &str) {
        self.state().revoke_token(email)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state().requests.clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        self.state().requests.len()
    }

    /// Forget the request log.
    pub fn clear_requests(&self) {
        self.state().requests.clear()
    }

    /// Change the configuration (shape, latency, strictness) at run time.
    pub fn configure(&self, f: impl FnOnce(&mut SimConfig)) {
        f(&mut self.state().config)
    }

    /// How many of each chaos fault (see [`SimConfig::chaos_rate`]) were dealt so far.
    pub fn chaos_dealt(&self) -> std::collections::BTreeMap<String, usize> {
        self.state().chaos_dealt.clone()
    }

    /// Make the next `count` API requests whose path contains `path_part` fail.
    pub fn inject_fault(&self, path_part: &str, count: usize, fault: Fault) {
        self.state().faults.push((path_part.to_string(), count, fault));
    }

    /// The week-log detail document for a person's week, as the API serves it.
    pub fn week_detail(&self, email: &str, monday: NaiveDate) -> Option<Value> {
        let st = self.state();
        let person = st.person_by_email(email)?;
        let week = st.weeks.values().find(|w| w.person_id == person.id && w.monday == monday)?;
        Some(st.detail_json(week))
    }

    /// Change a person's week the way the ERP's own pages would (someone else's
    /// edit, as ERP Helper sees it): `edit` gets the week's detail document and
    /// the result is saved through the same checks as `PATCH …/save/`, which
    /// gives the week a new `modified_at`. The saved document, or the refusal.
    pub fn edit_week(&self, email: &str, monday: NaiveDate, edit: impl FnOnce(&mut Value)) -> Result<Value, Value> {
        let mut st = self.state();
        let person = st.person_by_email(email).cloned().ok_or_else(|| serde_json::json!("no such person"))?;
        let week = st.weeks.values().find(|w| w.person_id == person.id && w.monday == monday);
        let week = week.cloned().ok_or_else(|| serde_json::json!("no such week"))?;
        let mut doc = st.detail_json(&week);
        edit(&mut doc);
        st.save(&person, week.id, &doc).map_err(|(_, body)| body)
    }

    /// Remove a project from a person's week (so it cannot be logged on there).
    pub fn remove_week_project(&self, email: &str, monday: NaiveDate, project_id: i64) -> bool {
        self.state().remove_week_project(email, monday, project_id)
    }

    /// Remove a person's whole week log.
    pub fn remove_week(&self, email: &str, monday: NaiveDate) -> bool {
        self.state().remove_week(email, monday)
    }

    /// Add a holiday (every person has it off).
    pub fn add_holiday(&self, date: NaiveDate, name: &str) {
        self.state().leaves.holidays.push((date, name.to_string()));
    }

    /// Add a leave of `leave_type` (1 Annual, 2 Sick, 3 Casual) for `start..=end`
    /// with this status, as if it had been applied for (and decided); a
    /// `half_day_period` (`first_half`/`second_half`) makes it a half day. Its id.
    pub fn add_leave(
        &self,
        email: &str,
        leave_type: i64,
        days: (NaiveDate, NaiveDate),
        half_day_period: Option<&str>,
        status: LeaveStatus,
    ) -> Option<i64> {
        let mut st = self.state();
        let person = st.person_by_email(email)?.id;
        Some(st.leaves.add(person, leave_type, days, half_day_period.map(str::to_string), status))
    }

    /// A person's leave requests: (id, start, end, status).
    pub fn leaves_of(&self, email: &str) -> Vec<(i64, NaiveDate, NaiveDate, LeaveStatus)> {
        let st = self.state();
        let Some(person) = st.person_by_email(email).map(|p| p.id) else { return Vec::new() };
        st.leaves.leaves.iter().filter(|l| l.person_id == person).map(|l| (l.id, l.start, l.end, l.status)).collect()
    }

    /// A person's encashments as the ERP lists them.
    pub fn encashments_of(&self, email: &str) -> Value {
        let st = self.state();
        match st.person_by_email(email) {
            Some(p) => st.leaves.encashments_json(p),
            None => Value::Array(Vec::new()),
        }
    }

    /// Which fiscal year the ERP marks as selected (`None`: no active one).
    pub fn select_fiscal_year(&self, id: Option<i64>) {
        self.state().leaves.selected_fiscal_year = id;
    }

    /// Stop the server now.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
    }
}
