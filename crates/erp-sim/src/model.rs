//! The simulator's data: people, projects (NSubTeams), week logs with their
//! projects (PersonWeekProjects), tasks and days; and its knobs.
//!
//! Three id spaces are kept apart on purpose, as in the ERP: project ids
//! (NSubTeam, 4xx..7xx), week-project ids (99xxxx) and week-log ids (38xxxx).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{Datelike, Duration as Days, NaiveDate, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Which shape `person/list` answers in (the contract is unsure, §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListShape {
    /// `{"person_week_logs":[{"month":..,"months_log":[{"week_starting":"Mon, Jan 05",..}]}]}`
    #[default]
    Envelope,
    /// `[{"id":..,"week_starting":"2026-01-05"}]`
    Flat,
    /// The envelope, JSON-encoded into a string.
    EnvelopeString,
}

/// A failure the simulator injects instead of answering.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and JSON body.
    Status(u16, Value),
    /// Answer with a redirect to this location.
    Redirect(String),
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Wait this long, then carry the request out as usual (a slow ERP).
    Slow(Duration),
}

/// Simulator knobs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Shape of `person/list`.
    pub list_shape: ListShape,
    /// Send numbers (hours, minutes, decimal_hours, ids in lists) as strings.
    pub numbers_as_strings: bool,
    /// Reject a save whose `modified_at` is not the current one (409).
    pub reject_stale: bool,
    /// Reject saves that drop fields of the document (the ERP wants it whole).
    pub require_whole_document: bool,
    /// Longest task description the ERP accepts.
    pub description_limit: usize,
    /// Refuse saves to completed weeks.
    pub completed_read_only: bool,
    /// The Slack endpoint insists on an `email` field.
    pub slack_requires_email: bool,
    /// The other reading of the ERP's docs: the Slack endpoint creates the
    /// week log (and the project in it) when it is missing, instead of
    /// refusing with `UNAUTHORIZED_PROJECT_ACCESS`. Its POST adds entries either way.
    pub slack_creates_week: bool,
    /// Added to every API request.
    pub latency: Duration,
    /// Week logs are seeded for every Monday in this range (inclusive).
    pub seed_from: NaiveDate,
    /// See `seed_from`.
    pub seed_to: NaiveDate,
    /// Example entries are put in the week before this day.
    pub today: NaiveDate,
    /// OAuth: approve at once as this user instead of showing the consent page.
    pub oauth_auto_approve: Option<String>,
    /// `core/google-login/`: accept any Google access token (one issued by a
    /// third-party OAuth server in tests) as this account, as if Google vouched for it.
    pub google_any_token_as: Option<String>,
    /// Chaos: this share of API requests (0.0–1.0) meets a random fault (see
    /// [`Chaos`]), drawn from a generator seeded with `chaos_seed`.
    pub chaos_rate: f64,
    /// See `chaos_rate`.
    pub chaos_seed: u64,
    /// `leaves/person/month_leaves/` answers one `{"id","date"}` item per leave
    /// day (the contract's fixture) instead of one record spanning the days.
    pub leaves_per_day: bool,
    /// `leaves/person/month_leaves/` lists leave of every status (each with its
    /// `status_text`), not only approved leave: the other reading of the contract.
    pub month_leaves_every_status: bool,
}

/// The faults `chaos_rate` draws from, each as likely as the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chaos {
    /// 500, nothing done.
    ServerError,
    /// 502 from a proxy in front, with an HTML body, nothing done.
    BadGateway,
    /// The connection is dropped before the request is carried out.
    ResetBefore,
    /// The request is carried out, then the connection is dropped unanswered:
    /// the client can't know it landed.
    ResetAfter,
    /// A conflict (409) for a save, as a concurrent edit gives; a 503 otherwise.
    Conflict,
    /// The answer comes 1.5 s late (a slow body), the work done as usual.
    Slow,
}

impl Default for SimConfig {
    fn default() -> Self {
        let today = Utc::now().date_naive();
        Self {
            list_shape: ListShape::Envelope,
            numbers_as_strings: false,
            reject_stale: true,
            require_whole_document: true,
            description_limit: 500,
            completed_read_only: false,
            slack_requires_email: false,
            slack_creates_week: false,
            latency: Duration::ZERO,
            seed_from: NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap(),
            seed_to: NaiveDate::from_ymd_opt(today.year() + 1, 12, 31).unwrap(),
            today,
            oauth_auto_approve: None,
            google_any_token_as: None,
            chaos_rate: 0.0,
            chaos_seed: 1,
            leaves_per_day: false,
            month_leaves_every_status: false,
        }
    }
}

/// A seeded ERP user.
#[derive(Debug, Clone, Serialize)]
pub struct SimPerson {
    /// Person id.
    pub id: i64,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Password for the login page.
    pub password: String,
    /// Current ERP token.
    pub token: String,
    /// Project (NSubTeam) ids the person is assigned to.
    pub projects: Vec<i64>,
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path and query, e.g. `/api/v1/project-logs/person/list/?year=2026`.
    pub path: String,
}

#[derive(Debug, Clone)]
pub(crate) struct NSubTeam {
    pub(crate) id: i64,
    pub(crate) team: String,
    pub(crate) subteam: String,
}

#[derive(Debug, Clone)]
pub(crate) struct WeekProject {
    pub(crate) id: i64,
    pub(crate) nsubteam: i64,
    pub(crate) tasks: Vec<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct WeekLog {
    pub(crate) id: i64,
    pub(crate) person_id: i64,
    pub(crate) monday: NaiveDate,
    pub(crate) is_completed: bool,
    pub(crate) modified_at: String,
    pub(crate) projects: Vec<WeekProject>,
}

pub(crate) struct OAuthCode {
    pub(crate) email: String,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<String>,
}

pub(crate) struct State {
    pub(crate) config: SimConfig,
    pub(crate) base: String,
    pub(crate) people: Vec<SimPerson>,
    pub(crate) nsubteams: Vec<NSubTeam>,
    pub(crate) labels: Vec<(i64, &'static str)>,
    pub(crate) weeks: BTreeMap<i64, WeekLog>,
    pub(crate) leaves: crate::leaves::Leaves,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) faults: Vec<(String, usize, Fault)>,
    pub(crate) google_tokens: HashMap<String, String>,
    pub(crate) oauth_codes: HashMap<String, OAuthCode>,
    chaos: Option<(u64, rand::rngs::StdRng)>,
    /// How many of each chaos fault were dealt.
    pub(crate) chaos_dealt: BTreeMap<String, usize>,
    next_id: i64,
    stamp: u64,
}

/// An API error as the ERP sends it: status and a DRF-style body.
pub(crate) type ApiError = (u16, Value);

fn err(status: u16, msg: &str) -> ApiError {
    (status, json!({ "error": msg }))
}

pub(crate) fn random_hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n).map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap()).collect()
}

pub(crate) fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Days::days(d.weekday().num_days_from_monday() as i64)
}

/// "Mon, Jan 05" as the ERP writes week bounds.
pub(crate) fn abbreviated(d: NaiveDate) -> String {
    d.format("%a, %b %d").to_string()
}

impl State {
    pub(crate) fn seeded(config: SimConfig, base: String) -> Self {
        let nsubteams = [
            (412, "Workstream / Backend", "Backend"),
            (413, "Workstream / Frontend", "Frontend"),
            (518, "Hirestream", "Hirestream"),
            (601, "Internal / Meetings", "Meetings"),
            (700, "Alpha", "Alpha"),
            (701, "Alpha Project Extended", "Alpha Extended"),
            (702, "Another Alpha Project", "Another Alpha"),
        ]
        .into_iter()
        .map(|(id, team, subteam)| NSubTeam { id, team: team.into(), subteam: subteam.into() })
        .collect();
        let people = [
            (1207, "jane@example.com", "Jane Doe", vec![412, 413, 518, 601]),
            (1208, "sam@example.com", "Sam Roe", vec![412, 700, 701, 702]),
            (1209, "olga@other.org", "Olga Outside", vec![518]),
        ]
        .into_iter()
        .map(|(id, email, name, projects)| SimPerson {
            id,
            email: email.into(),
            name: name.into(),
            password: "demo".into(),
            token: random_hex(40),
            projects,
        })
        .collect();
        let labels = vec![
            (34, "Coding"),
            (35, "Code Review"),
            (37, "Meeting"),
            (39, "Testing"),
            (40, "Debugging"),
            (42, "Documentation"),
            (44, "R&D"),
            (60, "Deployment"),
            (66, "General"),
        ];
        let leaves = crate::leaves::Leaves::seeded(config.today, config.seed_from, config.seed_to);
        let mut st = State {
            leaves,
            config,
            base,
            people,
            nsubteams,
            labels,
            weeks: BTreeMap::new(),
            requests: Vec::new(),
            faults: Vec::new(),
            google_tokens: HashMap::new(),
            oauth_codes: HashMap::new(),
            chaos: None,
            chaos_dealt: BTreeMap::new(),
            next_id: 0,
            stamp: 0,
        };
        st.seed_weeks();
        st
    }

    fn seed_weeks(&mut self) {
        let mut week_id = 381_000;
        let mut pwp_id = 990_000;
        let people: Vec<(i64, Vec<i64>)> = self.people.iter().map(|p| (p.id, p.projects.clone())).collect();
        let mut monday = monday_of(self.config.seed_from);
        while monday <= self.config.seed_to {
            for (person_id, projects) in &people {
                week_id += 1;
                let projects = projects
                    .iter()
                    .map(|&nsubteam| {
                        pwp_id += 1;
                        WeekProject { id: pwp_id, nsubteam, tasks: Vec::new() }
                    })
                    .collect();
                let modified_at = self.next_stamp();
                self.weeks.insert(
                    week_id,
                    WeekLog { id: week_id, person_id: *person_id, monday, is_completed: false, modified_at, projects },
                );
            }
            monday += Days::days(7);
        }
        self.next_id = 5_550_000;
        // Example data: last week, Monday to Friday, 8 h on Backend, completed.
        let last_monday = monday_of(self.config.today) - Days::days(7);
        let labels = self.labels.clone();
        let next = &mut self.next_id;
        if let Some(w) = self.weeks.values_mut().find(|w| w.person_id == 1207 && w.monday == last_monday) {
            let days: Vec<Value> = (0..5).map(|i| day_json(last_monday + Days::days(i), 6, 0, 34, &labels)).collect();
            let review: Vec<Value> = (0..5).map(|i| day_json(last_monday + Days::days(i), 2, 0, 35, &labels)).collect();
            *next += 1;
            w.projects[0].tasks.push(json!({"id": *next, "description": "API work", "days": days}));
            *next += 1;
            w.projects[0].tasks.push(json!({"id": *next, "description": "Code review", "days": review}));
            w.is_completed = true;
        }
    }

    pub(crate) fn next_stamp(&mut self) -> String {
        self.stamp += 1;
        format!("{}.{:06}Z", Utc::now().format("%Y-%m-%dT%H:%M:%S"), self.stamp % 1_000_000)
    }

    pub(crate) fn person_by_email(&self, email: &str) -> Option<&SimPerson> {
        self.people.iter().find(|p| p.email.eq_ignore_ascii_case(email))
    }

    pub(crate) fn person_by_token(&self, token: &str) -> Option<SimPerson> {
        self.people.iter().find(|p| p.token == token).cloned()
    }

    pub(crate) fn issue_google_token(&mut self, email: &str) -> Option<String> {
        let person = self.person_by_email(email)?.email.clone();
        let token = format!("ya29.sim-{}", random_hex(32));
        self.google_tokens.insert(token.clone(), person);
        Some(token)
    }

    pub(crate) fn revoke_token(&mut self, email: &str) {
        if let Some(p) = self.people.iter_mut().find(|p| p.email == email) {
            p.token = random_hex(40);
        }
    }

    /// Draw a chaos fault for one request, or none.
    pub(crate) fn roll_chaos(&mut self) -> Option<Chaos> {
        use rand::{Rng, SeedableRng};
        if self.config.chaos_rate <= 0.0 {
            return None;
        }
        let seed = self.config.chaos_seed;
        if self.chaos.as_ref().is_none_or(|(s, _)| *s != seed) {
            self.chaos = Some((seed, rand::rngs::StdRng::seed_from_u64(seed)));
        }
        let rng = &mut self.chaos.as_mut().expect("set above").1;
        if !rng.random_bool(self.config.chaos_rate.min(1.0)) {
            return None;
        }
        const ALL: [Chaos; 6] = [
            Chaos::ServerError,
            Chaos::BadGateway,
            Chaos::ResetBefore,
            Chaos::ResetAfter,
            Chaos::Conflict,
            Chaos::Slow,
        ];
        let pick = ALL[rng.random_range(0..ALL.len())];
        *self.chaos_dealt.entry(format!("{pick:?}")).or_default() += 1;
        Some(pick)
    }

    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let idx = self.faults.iter().position(|(part, n, _)| *n > 0 && path.contains(part.as_str()))?;
        let entry = &mut self.faults[idx];
        entry.1 -= 1;
        Some(entry.2.clone())
    }

    fn num(&self, v: impl Into<Value>) -> Value {
        let v = v.into();
        if self.config.numbers_as_strings {
            match v {
                Value::Number(n) if n.is_f64() => Value::String(format!("{:.2}", n.as_f64().unwrap_or(0.0))),
                Value::Number(n) => Value::String(n.to_string()),
                other => other,
            }
        } else {
            v
        }
    }

    pub(crate) fn nsubteam(&self, id: i64) -> Option<&NSubTeam> {
        self.nsubteams.iter().find(|n| n.id == id)
    }

    // ------------------------------------------------------------ reads

    pub(crate) fn active_projects(&self, person: &SimPerson) -> Value {
        let list: Vec<Value> = person
            .projects
            .iter()
            .filter_map(|id| self.nsubteam(*id))
            .map(|n| json!({"id": n.id, "team": n.team, "subteam": n.subteam, "is_active": true}))
            .collect();
        Value::Array(list)
    }

    pub(crate) fn labels_json(&self) -> Value {
        Value::Array(self.labels.iter().map(|(id, name)| json!({"id": id, "name": name})).collect())
    }

    fn weeks_of(&self, person: &SimPerson) -> impl Iterator<Item = &WeekLog> {
        let id = person.id;
        self.weeks.values().filter(move |w| w.person_id == id)
    }

    pub(crate) fn person_list(&self, person: &SimPerson, year: i32) -> Value {
        let weeks: Vec<&WeekLog> = self.weeks_of(person).filter(|w| w.monday.year() == year).collect();
        match self.config.list_shape {
            ListShape::Flat => Value::Array(
                weeks
                    .iter()
                    .map(|w| {
                        json!({"id": self.num(w.id), "week_starting": w.monday.to_string(),
                               "week_ending": (w.monday + Days::days(6)).to_string(), "is_completed": w.is_completed})
                    })
                    .collect(),
            ),
            shape => {
                let mut months: Vec<(u32, Vec<Value>)> = Vec::new();
                for w in weeks {
                    let item = json!({"id": self.num(w.id), "week_starting": abbreviated(w.monday),
                                      "week_ending": abbreviated(w.monday + Days::days(6)), "is_completed": w.is_completed});
                    match months.last_mut() {
                        Some((m, items)) if *m == w.monday.month() => items.push(item),
                        _ => months.push((w.monday.month(), vec![item])),
                    }
                }
                let env = json!({"person_week_logs": months.into_iter().map(|(m, items)| json!({
                    "month": NaiveDate::from_ymd_opt(year, m, 1).map(|d| d.format("%B").to_string()),
                    "months_log": items,
                })).collect::<Vec<_>>()});
                if shape == ListShape::EnvelopeString { Value::String(env.to_string()) } else { env }
            }
        }
    }

    pub(crate) fn month_list(&self, person: &SimPerson, year: i32, month: u32) -> Result<Value, ApiError> {
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(|| err(400, "Invalid year or month."))?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .ok_or_else(|| err(400, "Invalid year or month."))?;
        // A week straddling two months is listed in both (the client de-duplicates).
        let list = self
            .weeks_of(person)
            .filter(|w| w.monday < next && w.monday + Days::days(6) >= first)
            .map(|w| {
                let (h, m) = total_minutes(w).map(|t| (t / 60, t % 60)).unwrap_or((0, 0));
                json!({"id": self.num(w.id), "year": w.monday.year(), "week_starting": abbreviated(w.monday),
                       "week_ending": abbreviated(w.monday + Days::days(6)), "is_completed": w.is_completed,
                       "total_logged_time": {"hours": self.num(h), "minutes": self.num(m)}})
            })
            .collect();
        Ok(Value::Array(list))
    }

    pub(crate) fn week_for(&self, person: &SimPerson, id: i64) -> Result<&WeekLog, ApiError> {
        self.weeks.get(&id).filter(|w| w.person_id == person.id).ok_or_else(|| (404, json!({"detail": "Not found."})))
    }

    pub(crate) fn detail_json(&self, w: &WeekLog) -> Value {
        let person = self.people.iter().find(|p| p.id == w.person_id);
        let total = total_minutes(w).unwrap_or(0);
        let projects: Vec<Value> = w
            .projects
            .iter()
            .map(|p| {
                let n = self.nsubteam(p.nsubteam);
                let tasks: Vec<Value> = p
                    .tasks
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let mut t = t.clone();
                        if let Some(o) = t.as_object_mut() {
                            o.insert("index".into(), json!(i));
                            o.insert("person_week_project".into(), json!(p.id));
                            o.entry("danger").or_insert(json!(false));
                            if let Some(days) = o.get_mut("days").and_then(Value::as_array_mut) {
                                for d in days {
                                    self.render_day(d);
                                }
                            }
                        }
                        t
                    })
                    .collect();
                json!({"id": p.id, "team": n.map(|n| n.team.clone()), "subteam": n.map(|n| n.subteam.clone()), "tasks": tasks})
            })
            .collect();
        json!({
            "id": w.id,
            "person_id": w.person_id,
            "person_name": person.map(|p| p.name.clone()),
            "year": w.monday.year(),
            "week_starting": abbreviated(w.monday),
            "week_ending": abbreviated(w.monday + Days::days(6)),
            "is_completed": w.is_completed,
            "modified_at": w.modified_at,
            "approval_state": "pending",
            "total_logged_time": {"hours": total / 60, "minutes": total % 60},
            "projects": projects,
        })
    }

    fn render_day(&self, d: &mut Value) {
        let Some(o) = d.as_object_mut() else { return };
        let h = o.get("hours").and_then(Value::as_i64).unwrap_or(0);
        let m = o.get("minutes").and_then(Value::as_i64).unwrap_or(0);
        let dec = o.get("decimal_hours").and_then(Value::as_f64).unwrap_or(h as f64 + m as f64 / 60.0);
        o.insert("logged_time".into(), json!({"hours": h, "minutes": m}));
        if self.config.numbers_as_strings {
            o.insert("hours".into(), json!(h.to_string()));
            o.insert("minutes".into(), json!(m.to_string()));
            o.insert("decimal_hours".into(), json!(format!("{dec:.2}")));
        }
    }

    // ------------------------------------------------------------ writes

    pub(crate) fn save(&mut self, person: &SimPerson, id: i64, body: &Value) -> Result<Value, ApiError> {
        let week = self.week_for(person, id)?.clone();
        let obj = body.as_object().ok_or_else(|| err(400, "Expected a JSON object."))?;
        let Some(stamp) = obj.get("modified_at").and_then(Value::as_str) else {
            return Err((400, json!({"modified_at": ["This field is required."]})));
        };
        if self.config.reject_stale && stamp != week.modified_at {
            return Err((409, json!({"detail": "This week log was changed elsewhere. Reload it and try again."})));
        }
        if self.config.require_whole_document {
            for key in ["id", "person_id", "year", "week_starting", "approval_state"] {
                if !obj.contains_key(key) {
                    return Err((400, json!({ key: ["This field is required."] })));
                }
            }
        }
        if self.config.completed_read_only && week.is_completed {
            return Err(err(400, "This week log is completed and can no longer be changed."));
        }
        let projects =
            obj.get("projects").and_then(Value::as_array).ok_or_else(|| err(400, "projects must be a list."))?;
        let mut replaced: Vec<(i64, Vec<Value>)> = Vec::new();
        for p in projects {
            let pid = p.get("id").and_then(as_i64).ok_or_else(|| err(400, "Every project needs an id."))?;
            if !week.projects.iter().any(|wp| wp.id == pid) {
                return Err(err(400, &format!("Invalid project id {pid} for this week log.")));
            }
            let tasks = p.get("tasks").and_then(Value::as_array).ok_or_else(|| err(400, "tasks must be a list."))?;
            let mut out = Vec::new();
            for t in tasks {
                out.push(self.clean_task(t, week.monday)?);
            }
            replaced.push((pid, out));
        }
        // Per-day limit across the whole week, as a sanity check the ERP is likely to make.
        let mut per_day: HashMap<String, i64> = HashMap::new();
        for wp in &week.projects {
            let tasks = replaced.iter().find(|(id, _)| *id == wp.id).map(|(_, t)| t).unwrap_or(&wp.tasks);
            for t in tasks {
                for d in t["days"].as_array().into_iter().flatten() {
                    let mins = d["hours"].as_i64().unwrap_or(0) * 60 + d["minutes"].as_i64().unwrap_or(0);
                    *per_day.entry(d["date"].as_str().unwrap_or_default().to_string()).or_default() += mins;
                }
            }
        }
        if let Some((day, _)) = per_day.iter().find(|(_, m)| **m > 24 * 60) {
            return Err(err(400, &format!("More than 24 hours logged on {day}.")));
        }
        let stamp = self.next_stamp();
        let w = self.weeks.get_mut(&id).expect("checked above");
        for (pid, tasks) in replaced {
            if let Some(wp) = w.projects.iter_mut().find(|wp| wp.id == pid) {
                wp.tasks = tasks;
            }
        }
        w.modified_at = stamp;
        let w = w.clone();
        Ok(self.detail_json(&w))
    }

    fn clean_task(&mut self, t: &Value, monday: NaiveDate) -> Result<Value, ApiError> {
        let desc = t.get("description").and_then(Value::as_str).map(str::trim).unwrap_or("");
        if desc.is_empty() {
            return Err((400, json!({"description": ["This field may not be blank."]})));
        }
        if desc.chars().count() > self.config.description_limit {
            return Err((
                400,
                json!({"description": [format!("Ensure this field has no more than {} characters.", self.config.description_limit)]}),
            ));
        }
        let id = match t.get("id").and_then(as_i64) {
            Some(id) => id,
            None => {
                self.next_id += 1;
                self.next_id
            }
        };
        let days = t.get("days").and_then(Value::as_array).ok_or_else(|| err(400, "days must be a list."))?;
        let mut out = Vec::new();
        for d in days {
            let date = d.get("date").and_then(Value::as_str).unwrap_or("");
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| (400, json!({"date": [format!("Invalid date '{date}'.")]})))?;
            if monday_of(date) != monday {
                return Err(err(400, &format!("{date} is not in this week.")));
            }
            let hours = d.get("hours").and_then(as_i64).ok_or_else(|| err(400, "hours must be a whole number."))?;
            let minutes =
                d.get("minutes").and_then(as_i64).ok_or_else(|| err(400, "minutes must be a whole number."))?;
            if !(0..=24).contains(&hours) || !(0..60).contains(&minutes) || hours * 60 + minutes > 24 * 60 {
                return Err(err(400, "Logged time must be between 0:00 and 24:00."));
            }
            let label = d.get("label").and_then(as_i64).unwrap_or(66);
            if !self.labels.iter().any(|(id, _)| *id == label) {
                return Err(err(400, &format!("Invalid label {label}.")));
            }
            out.push(day_json(date, hours, minutes, label, &self.labels));
        }
        Ok(
            json!({"id": id, "description": desc, "week_day": t.get("week_day").cloned().unwrap_or(Value::Null), "days": out}),
        )
    }

    pub(crate) fn complete(&mut self, person: &SimPerson, id: i64, body: &Value) -> Result<Value, ApiError> {
        self.week_for(person, id)?;
        let Some(draft) = body.get("save_draft").and_then(Value::as_bool) else {
            return Err((400, json!({"save_draft": ["Must be a valid boolean."]})));
        };
        let stamp = self.next_stamp();
        let w = self.weeks.get_mut(&id).expect("checked above");
        w.is_completed = !draft;
        w.modified_at = stamp;
        let w = w.clone();
        Ok(self.detail_json(&w))
    }

    pub(crate) fn slack(&mut self, person: &SimPerson, body: &Value) -> Result<Value, ApiError> {
        match body.get("email").and_then(Value::as_str) {
            Some(e) if !e.eq_ignore_ascii_case(&person.email) => {
                return Err((403, json!({"detail": "You do not have permission to perform this action."})));
            }
            None if self.config.slack_requires_email => {
                return Err((400, json!({"email": ["This field is required."]})));
            }
            _ => {}
        }
        let logs = body.get("logs").and_then(Value::as_array).ok_or_else(|| err(400, "logs must be a list."))?;
        let mut plan = Vec::new();
        for l in logs {
            let date =
                l.get("date").and_then(Value::as_str).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let subteam = l.get("subteam").and_then(as_i64);
            let (Some(date), Some(subteam)) = (date, subteam) else {
                return Err(err(400, "Each log needs date and subteam."));
            };
            let (h, m) = l
                .get("time_spent")
                .and_then(Value::as_str)
                .and_then(|s| s.split_once(':'))
                .and_then(|(h, m)| Some((h.parse::<i64>().ok()?, m.parse::<i64>().ok()?)))
                .ok_or_else(|| err(400, "time_spent must be HH:MM."))?;
            let desc = l.get("description").and_then(Value::as_str).unwrap_or("").trim().to_string();
            let label = l.get("label_id").and_then(as_i64).unwrap_or(66);
            let monday = monday_of(date);
            if self.config.slack_creates_week {
                self.ensure_week_project(person.id, monday, subteam);
            }
            let week = self.weeks.values().find(|w| w.person_id == person.id && w.monday == monday);
            let pwp = week.and_then(|w| w.projects.iter().position(|p| p.nsubteam == subteam).map(|i| (w.id, i)));
            let Some((wid, pidx)) = pwp else {
                return Err((
                    400,
                    json!({"error": "Request unsuccessful. You are not part of the project(s)", "code": "UNAUTHORIZED_PROJECT_ACCESS"}),
                ));
            };
            plan.push((wid, pidx, date, h, m, desc, label));
        }
        for (wid, pidx, date, h, m, desc, label) in plan {
            self.next_id += 1;
            let task =
                json!({"id": self.next_id, "description": desc, "days": [day_json(date, h, m, label, &self.labels)]});
            let stamp = self.next_stamp();
            if let Some(w) = self.weeks.get_mut(&wid) {
                w.projects[pidx].tasks.push(task);
                w.modified_at = stamp;
            }
        }
        Ok(json!({"status": "ok"}))
    }

    /// The week log of `person_id` for `monday`, with `nsubteam` in it, created if missing.
    fn ensure_week_project(&mut self, person_id: i64, monday: NaiveDate, nsubteam: i64) {
        let existing = self.weeks.values().find(|w| w.person_id == person_id && w.monday == monday).map(|w| w.id);
        let wid = match existing {
            Some(id) => id,
            None => {
                self.next_id += 1;
                let (id, modified_at) = (self.next_id, self.next_stamp());
                let week = WeekLog { id, person_id, monday, is_completed: false, modified_at, projects: Vec::new() };
                self.weeks.insert(id, week);
                id
            }
        };
        self.next_id += 1;
        let pwp = self.next_id;
        if let Some(w) = self.weeks.get_mut(&wid)
            && !w.projects.iter().any(|p| p.nsubteam == nsubteam)
        {
            w.projects.push(WeekProject { id: pwp, nsubteam, tasks: Vec::new() });
        }
    }

    pub(crate) fn remove_week_project(&mut self, email: &str, monday: NaiveDate, project_id: i64) -> bool {
        let Some(pid) = self.person_by_email(email).map(|p| p.id) else { return false };
        let Some(w) = self.weeks.values_mut().find(|w| w.person_id == pid && w.monday == monday) else { return false };
        let before = w.projects.len();
        w.projects.retain(|p| p.nsubteam != project_id);
        before != w.projects.len()
    }

    pub(crate) fn remove_week(&mut self, email: &str, monday: NaiveDate) -> bool {
        let Some(pid) = self.person_by_email(email).map(|p| p.id) else { return false };
        let before = self.weeks.len();
        self.weeks.retain(|_, w| !(w.person_id == pid && w.monday == monday));
        before != self.weeks.len()
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn total_minutes(w: &WeekLog) -> Option<i64> {
    let mut total = 0;
    for p in &w.projects {
        for t in &p.tasks {
            for d in t["days"].as_array()? {
                total += d["hours"].as_i64().unwrap_or(0) * 60 + d["minutes"].as_i64().unwrap_or(0);
            }
        }
    }
    Some(total)
}

fn day_json(date: NaiveDate, hours: i64, minutes: i64, label: i64, labels: &[(i64, &str)]) -> Value {
    let name = labels.iter().find(|(id, _)| *id == label).map(|(_, n)| *n);
    let mut day = Map::new();
    day.insert("date".into(), json!(date.to_string()));
    day.insert("week_day".into(), json!(date.format("%a").to_string().to_lowercase()));
    day.insert("hours".into(), json!(hours));
    day.insert("minutes".into(), json!(minutes));
    day.insert("decimal_hours".into(), json!(((hours * 60 + minutes) as f64 / 60.0 * 100.0).round() / 100.0));
    day.insert("is_work_from_home".into(), json!(false));
    day.insert("label".into(), json!(label));
    day.insert(
        "label_option".into(),
        json!({"value": label, "label": name, "category": null, "visibleInOtherLogs": label == 37}),
    );
    Value::Object(day)
}
