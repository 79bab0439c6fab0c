//! Editing a week-log document in place. The ERP wants the whole document back
//! on save (with `modified_at` and every field it sent, known or not), so this
//! edits the JSON it received rather than a lossy struct.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use erp_proto::tools::{DayEntry, EntryAction, Project, Task, WeekLogOutput, WeekProject};
use serde_json::{Map, Value, json};

use crate::dates::{duration, value_f64, value_i64};
use crate::error::{CoreError, Result};

/// A week-log document from `person/get/<id>/`.
#[derive(Debug, Clone)]
pub struct WeekDoc {
    /// Week-log id.
    pub id: i64,
    /// Its Monday.
    pub monday: NaiveDate,
    doc: Map<String, Value>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Minutes of a day entry: `hours`/`minutes` (numbers or strings), else `decimal_hours`.
fn day_minutes(d: &Value) -> i64 {
    let h = d.get("hours").and_then(value_f64);
    let m = d.get("minutes").and_then(value_f64);
    match (h, m) {
        (Some(h), m) => (h * 60.0 + m.unwrap_or(0.0)).round() as i64,
        (None, _) => d.get("decimal_hours").and_then(value_f64).map(|x| (x * 60.0).round() as i64).unwrap_or(0),
    }
}

impl WeekDoc {
    /// Wrap a document; it must be an object with a `projects` list.
    pub fn new(id: i64, monday: NaiveDate, doc: Value) -> Result<Self> {
        let Value::Object(doc) = doc else {
            return Err(CoreError::Erp(crate::error::ErpError::BadResponse("week log is not an object".into())));
        };
        if !doc.get("projects").is_some_and(Value::is_array) {
            return Err(CoreError::Erp(crate::error::ErpError::BadResponse("week log has no projects list".into())));
        }
        Ok(Self { id, monday, doc })
    }

    /// The document to send back to the save endpoint.
    pub fn to_value(&self) -> Value {
        Value::Object(self.doc.clone())
    }

    /// Whether the ERP gave the concurrency stamp a save must send back.
    pub fn has_modified_at(&self) -> bool {
        self.doc.get("modified_at").is_some_and(|v| !v.is_null())
    }

    /// Whether the week is completed.
    pub fn is_completed(&self) -> bool {
        self.doc.get("is_completed").and_then(Value::as_bool).unwrap_or(false)
    }

    fn projects(&self) -> &[Value] {
        self.doc.get("projects").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
    }

    fn projects_mut(&mut self) -> &mut Vec<Value> {
        self.doc.get_mut("projects").and_then(Value::as_array_mut).expect("checked in new")
    }

    /// The week's project for an active project, matched by name: exactly
    /// (team or subteam, case-insensitive), else the active name inside
    /// "team / subteam". The detail carries no project id to match on.
    pub fn find_project(&self, active: &Project) -> Option<usize> {
        let name = norm(if active.name.trim().is_empty() { &active.subteam } else { &active.name });
        if name.is_empty() {
            return None;
        }
        let ps = self.projects();
        ps.iter().position(|p| norm(str_field(p, "team")) == name || norm(str_field(p, "subteam")) == name).or_else(
            || {
                ps.iter().position(|p| {
                    format!("{} / {}", str_field(p, "team"), str_field(p, "subteam")).to_lowercase().contains(&name)
                })
            },
        )
    }

    /// The week project's own id (PersonWeekProject).
    pub fn project_id_at(&self, idx: usize) -> Option<i64> {
        self.projects().get(idx).and_then(|p| p.get("id")).and_then(value_i64)
    }

    fn tasks_mut(&mut self, pidx: usize) -> &mut Vec<Value> {
        let p = &mut self.projects_mut()[pidx];
        if !p.get("tasks").is_some_and(Value::is_array) {
            p["tasks"] = json!([]);
        }
        p.get_mut("tasks").and_then(Value::as_array_mut).expect("just ensured")
    }

    /// Set `minutes` with `label` on `date` in the task `description` of project
    /// `pidx`, adding the day or the task as needed.
    pub fn upsert(&mut self, pidx: usize, description: &str, date: NaiveDate, minutes: u32, label: i64) -> EntryAction {
        let key = norm(description);
        let date_s = date.to_string();
        let (h, m) = (minutes / 60, minutes % 60);
        let decimal = ((minutes as f64 / 60.0) * 100.0).round() / 100.0;
        let tasks = self.tasks_mut(pidx);
        let task = tasks.iter_mut().find(|t| norm(str_field(t, "description")) == key);
        let new_day = json!({"date": date_s, "hours": h, "minutes": m, "decimal_hours": decimal, "label": label});
        let Some(task) = task else {
            tasks.push(json!({"description": description.trim(), "days": [new_day]}));
            return EntryAction::Created;
        };
        if !task.get("days").is_some_and(Value::is_array) {
            task["days"] = json!([]);
        }
        let days = task.get_mut("days").and_then(Value::as_array_mut).expect("just ensured");
        match days.iter_mut().find(|d| str_field(d, "date") == date_s) {
            Some(day) => {
                let old_label = day.get("label").and_then(value_i64);
                let o = day.as_object_mut().expect("a day with a date is an object");
                o.insert("hours".into(), json!(h));
                o.insert("minutes".into(), json!(m));
                o.insert("decimal_hours".into(), json!(decimal));
                o.insert("label".into(), json!(label));
                if o.contains_key("logged_time") {
                    o.insert("logged_time".into(), json!({"hours": h, "minutes": m}));
                }
                // A stale label_option would contradict the new label; the ERP accepts null.
                if old_label != Some(label) && o.contains_key("label_option") {
                    o.insert("label_option".into(), Value::Null);
                }
                EntryAction::Updated
            }
            None => {
                days.push(new_day);
                EntryAction::Created
            }
        }
    }

    /// Remove `date` from the task `description` of project `pidx`; the task goes
    /// too when no day is left. Returns (removed minutes, task removed, stored description).
    pub fn delete(&mut self, pidx: usize, description: &str, date: NaiveDate) -> Result<(i64, bool, String)> {
        let key = norm(description);
        let date_s = date.to_string();
        let tasks = self.tasks_mut(pidx);
        let Some(tidx) = tasks.iter().position(|t| norm(str_field(t, "description")) == key) else {
            let known: Vec<String> = tasks.iter().map(|t| crate::error::shown(str_field(t, "description"))).collect();
            return Err(CoreError::invalid(format!(
                "description: no task {} on that project in the week of {}. Tasks there: [{}].",
                crate::error::shown(description.trim()),
                crate::dates::monday_of(date),
                known.join(", ")
            )));
        };
        let stored = str_field(&tasks[tidx], "description").to_string();
        let days = tasks[tidx].get_mut("days").and_then(Value::as_array_mut);
        let Some(days) = days else {
            return Err(CoreError::invalid(format!(
                "date: the task {} has nothing logged on {date_s}.",
                crate::error::shown(&stored)
            )));
        };
        let before = days.len();
        let removed: i64 = days.iter().filter(|d| str_field(d, "date") == date_s).map(day_minutes).sum();
        days.retain(|d| str_field(d, "date") != date_s);
        if days.len() == before {
            return Err(CoreError::invalid(format!(
                "date: the task {} has nothing logged on {date_s}.",
                crate::error::shown(&stored)
            )));
        }
        let task_removed = days.is_empty();
        if task_removed {
            tasks.remove(tidx);
        }
        Ok((removed, task_removed, stored))
    }

    /// The week's projects as the tools show them, keeping only days for which
    /// `keep` holds (and leaving out tasks and projects left empty, unless `keep`
    /// keeps everything).
    pub fn projects_view(&self, keep: impl Fn(&str) -> bool, keep_empty: bool) -> (Vec<WeekProject>, i64) {
        let mut total = 0;
        let mut out = Vec::new();
        for p in self.projects() {
            let mut project_total = 0;
            let mut tasks = Vec::new();
            for t in p.get("tasks").and_then(Value::as_array).into_iter().flatten() {
                let days: Vec<DayEntry> = t
                    .get("days")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|d| keep(str_field(d, "date")))
                    .map(|d| {
                        let mins = day_minutes(d);
                        project_total += mins;
                        DayEntry {
                            date: str_field(d, "date").to_string(),
                            time: duration(mins),
                            label_id: d.get("label").and_then(value_i64),
                            label: d
                                .get("label_option")
                                .and_then(|o| o.get("label"))
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        }
                    })
                    .collect();
                if keep_empty || !days.is_empty() {
                    tasks.push(Task {
                        task_id: t.get("id").and_then(value_i64),
                        description: str_field(t, "description").to_string(),
                        days,
                    });
                }
            }
            total += project_total;
            if keep_empty || !tasks.is_empty() {
                out.push(WeekProject {
                    week_project_id: p.get("id").and_then(value_i64).unwrap_or(0),
                    team: str_field(p, "team").to_string(),
                    subteam: str_field(p, "subteam").to_string(),
                    tasks,
                    total: duration(project_total),
                });
            }
        }
        (out, total)
    }

    /// The week's projects with their tasks, as a change record keeps them.
    pub fn snapshot(&self) -> Value {
        let projects = self.projects().iter().map(|p| {
            json!({"id": p.get("id"), "team": p.get("team"), "subteam": p.get("subteam"),
                   "tasks": p.get("tasks").filter(|t| t.is_array()).cloned().unwrap_or(json!([]))})
        });
        Value::Array(projects.collect())
    }

    /// Put back the tasks of a [`Self::snapshot`] (`null`: no tasks at all),
    /// matching projects by id, else by name; a project it lacks gets none.
    pub fn restore(&mut self, before: &Value) {
        let kept: &[Value] = before.as_array().map(Vec::as_slice).unwrap_or(&[]);
        for p in self.projects_mut() {
            let same = |b: &&Value| match (b.get("id").and_then(value_i64), p.get("id").and_then(value_i64)) {
                (Some(x), Some(y)) => x == y,
                _ => str_field(b, "team") == str_field(p, "team") && str_field(b, "subteam") == str_field(p, "subteam"),
            };
            let tasks = kept.iter().find(same).and_then(|b| b.get("tasks")).cloned().unwrap_or(json!([]));
            p["tasks"] = tasks;
        }
    }

    /// Every entry with time, in a form two reads of the week compare by.
    pub fn entries(&self) -> BTreeSet<EntryKey> {
        entries_of(&Value::Array(self.projects().to_vec()))
    }

    /// Minutes logged on `date` across the whole week, and of them those of the
    /// task `description` of project `pidx` (with its label), if it has the day.
    pub fn logged_on(&self, pidx: usize, description: &str, date: NaiveDate) -> (i64, Option<(i64, Option<i64>)>) {
        let (date_s, key) = (date.to_string(), norm(description));
        let (mut total, mut own) = (0, None);
        for (i, p) in self.projects().iter().enumerate() {
            for t in p.get("tasks").and_then(Value::as_array).into_iter().flatten() {
                let days = t.get("days").and_then(Value::as_array).into_iter().flatten();
                for d in days.filter(|d| str_field(d, "date") == date_s) {
                    total += day_minutes(d);
                    if i == pidx && norm(str_field(t, "description")) == key {
                        own = Some((day_minutes(d), d.get("label").and_then(value_i64)));
                    }
                }
            }
        }
        (total, own)
    }

    /// Each project's index and names (team, subteam).
    pub fn project_names(&self) -> Vec<(usize, String, String)> {
        let names =
            |(i, p): (usize, &Value)| (i, str_field(p, "team").to_string(), str_field(p, "subteam").to_string());
        self.projects().iter().enumerate().map(names).collect()
    }

    /// The whole week as `get_week_logs` shows it.
    pub fn view(&self, web_url: String) -> WeekLogOutput {
        let (projects, total) = self.projects_view(|_| true, true);
        WeekLogOutput {
            week_log_id: self.id,
            week_starting: self.monday.to_string(),
            week_ending: (self.monday + chrono::Duration::days(6)).to_string(),
            is_completed: self.is_completed(),
            person_name: self.doc.get("person_name").and_then(Value::as_str).map(str::to_string),
            projects,
            total: duration(total),
            web_url,
        }
    }
}

/// One entry with time, as compared between two reads of a week.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EntryKey {
    /// The project's name.
    pub project: String,
    /// The task description, trimmed.
    pub description: String,
    /// The day.
    pub date: String,
    /// Its minutes.
    pub minutes: i64,
    /// Its label.
    pub label: Option<i64>,
}

/// The entries of a [`WeekDoc::snapshot`] (or a document's `projects`).
pub fn entries_of(projects: &Value) -> BTreeSet<EntryKey> {
    let mut out = BTreeSet::new();
    for p in projects.as_array().into_iter().flatten() {
        let name = match str_field(p, "subteam") {
            "" => str_field(p, "team"),
            s => s,
        };
        for t in p.get("tasks").and_then(Value::as_array).into_iter().flatten() {
            for d in t.get("days").and_then(Value::as_array).into_iter().flatten() {
                let minutes = day_minutes(d);
                if minutes > 0 {
                    out.insert(EntryKey {
                        project: name.to_string(),
                        description: str_field(t, "description").trim().to_string(),
                        date: str_field(d, "date").to_string(),
                        minutes,
                        label: d.get("label").and_then(value_i64),
                    });
                }
            }
        }
    }
    out
}

/// What differs between the entries a week was expected to have and those it
/// has now, in a few words (at most 4 entries named); `None` when nothing does.
pub fn describe_diff(expected: &BTreeSet<EntryKey>, now: &BTreeSet<EntryKey>) -> Option<String> {
    let show = |e: &EntryKey| {
        format!("{}h{:02} of {:?} on {} ({})", e.minutes / 60, e.minutes % 60, e.description, e.date, e.project)
    };
    let added: Vec<String> = now.difference(expected).map(|e| format!("now has {}", show(e))).collect();
    let gone: Vec<String> = expected.difference(now).map(|e| format!("no longer has {}", show(e))).collect();
    let all: Vec<String> = added.into_iter().chain(gone).collect();
    match all.len() {
        0 => None,
        n if n <= 4 => Some(all.join("; ")),
        n => Some(format!("{}; and {} more difference(s)", all[..4].join("; "), n - 4)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> WeekDoc {
        let v = json!({
            "id": 1, "modified_at": "x", "unknown_field": {"keep": true},
            "projects": [{"id": 990011, "team": "Workstream / Backend", "subteam": "Backend", "tasks": [
                {"id": 5, "description": "API work", "days": [
                    {"date": "2026-01-05", "hours": "8", "minutes": "0", "decimal_hours": "8.00", "label": 34,
                     "label_option": {"value": 34, "label": "Coding"}, "logged_time": {"hours": 8, "minutes": 0}}]}]},
                {"id": 990012, "team": "Hirestream", "subteam": "Hirestream", "tasks": []}]
        });
        WeekDoc::new(1, NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), v).unwrap()
    }

    fn p(name: &str, subteam: &str) -> Project {
        Project { id: 1, name: name.into(), subteam: subteam.into() }
    }

    #[test]
    fn project_matching_is_exact_first_then_inside_team_slash_subteam() {
        let d = doc();
        assert_eq!(d.find_project(&p("workstream / backend", "")), Some(0));
        assert_eq!(d.find_project(&p("Hirestream", "Hirestream")), Some(1));
        assert_eq!(d.find_project(&p("Backend", "Backend")), Some(0));
        assert_eq!(d.find_project(&p("Frontend", "Frontend")), None);
    }

    #[test]
    fn upsert_replaces_same_description_and_date_and_keeps_unknown_fields() {
        let mut d = doc();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(d.upsert(0, "  api WORK ", day, 90, 35), EntryAction::Updated);
        let v = d.to_value();
        let entry = &v["projects"][0]["tasks"][0]["days"][0];
        assert_eq!(
            (entry["hours"].clone(), entry["minutes"].clone(), entry["label"].clone()),
            (json!(1), json!(30), json!(35))
        );
        assert_eq!(entry["label_option"], Value::Null);
        assert_eq!(entry["logged_time"], json!({"hours": 1, "minutes": 30}));
        assert_eq!(v["unknown_field"], json!({"keep": true}));
        assert_eq!(d.upsert(0, "Review", day, 60, 66), EntryAction::Created);
        assert_eq!(d.upsert(0, "Review", day + chrono::Duration::days(1), 60, 66), EntryAction::Created);
        assert_eq!(d.to_value()["projects"][0]["tasks"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn delete_of_a_missing_entry_is_an_error_and_the_last_day_removes_the_task() {
        let mut d = doc();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert!(
            d.delete(0, "API work", day + chrono::Duration::days(1))
                .unwrap_err()
                .to_string()
                .contains("nothing logged")
        );
        assert!(d.delete(0, "Nope", day).unwrap_err().to_string().contains("no task"));
        assert_eq!(d.delete(0, "api work", day).unwrap(), (480, true, "API work".into()));
        assert!(d.to_value()["projects"][0]["tasks"].as_array().unwrap().is_empty());
    }

    #[test]
    fn view_reads_numbers_given_as_strings() {
        let v = doc().view(String::new());
        assert_eq!(v.total.hours, 8);
        assert_eq!(v.projects[0].tasks[0].days[0].label.as_deref(), Some("Coding"));
    }

    #[test]
    fn snapshot_restores_exactly_and_entries_see_the_difference() {
        let mut d = doc();
        let before = d.snapshot();
        let day = NaiveDate::from_ymd_opt(2026, 1, 6).unwrap();
        d.upsert(1, "Interviews", day, 120, 34);
        d.upsert(0, "API work", NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), 60, 34);
        let after = d.entries();
        let diff = describe_diff(&entries_of(&before), &after).unwrap();
        assert!(diff.contains("now has 2h00 of \"Interviews\" on 2026-01-06 (Hirestream)"), "{diff}");
        assert!(diff.contains("no longer has 8h00 of \"API work\""), "{diff}");
        d.restore(&before);
        assert_eq!(d.snapshot(), before);
        assert_eq!(describe_diff(&entries_of(&before), &d.entries()), None);
        d.restore(&Value::Null);
        assert!(d.entries().is_empty());
        assert_eq!(d.to_value()["unknown_field"], json!({"keep": true}));
    }

    #[test]
    fn logged_on_counts_the_whole_day_and_finds_the_task() {
        let d = doc();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(d.logged_on(0, "api work", day), (480, Some((480, Some(34)))));
        assert_eq!(d.logged_on(1, "api work", day), (480, None));
        assert_eq!(d.logged_on(0, "api work", day + chrono::Duration::days(1)), (0, None));
    }
}
