//! The tool catalogue, declared once: every MCP tool is a [`Method`] with typed
//! arguments and a typed output. The shim serves [`catalogue`] as `tools/list`;
//! the app deserialises the same `Args` types and returns the same `Output` types.
//!
//! Field docs (`///`) become the JSON-schema descriptions the model reads, so
//! they are written for the model: what the value means and its format.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// An MCP tool: forwarded by the shim, callable by anyone on the socket.
    Tool,
    /// App control (`erp-helper status|signin|…`): refused from the shim.
    Admin,
}

/// One method callable over the socket: a name with its argument and output
/// types, who may call it, and what it does to the world.
pub trait Method {
    /// The wire name; for tools, also the MCP tool name.
    const NAME: &'static str;
    /// Tool or admin method.
    const SCOPE: Scope;
    /// What a call does; decides auditing and whether a lost call may be repeated.
    const HINTS: Hints;
    /// The arguments, a JSON object.
    type Args: Serialize + DeserializeOwned + JsonSchema + Send + 'static;
    /// The result, a JSON object.
    type Output: Serialize + DeserializeOwned + JsonSchema + Send + 'static;

    /// One line saying what a successful call did (the audit log's `detail`).
    fn summary(_output: &Self::Output) -> String {
        String::new()
    }
}

/// What repeating a call would do: the rule for retrying after a lost connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Reads only: always safe to repeat.
    ReadOnly,
    /// Changes the ERP, but a second identical call changes nothing more.
    IdempotentWrite,
    /// A second identical call may do it twice (or report a false failure).
    NonIdempotentWrite,
}

impl RetryClass {
    /// Whether a call whose answer was lost may be sent again.
    pub const fn may_repeat(self) -> bool {
        !matches!(self, Self::NonIdempotentWrite)
    }
}

/// Behaviour hints shown to MCP hosts (they decide whether to ask before a call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    /// Only reads; never changes the ERP.
    pub read_only: bool,
    /// May remove or overwrite data the user entered.
    pub destructive: bool,
    /// Calling twice with the same arguments has the same effect as once.
    pub idempotent: bool,
}

impl Hints {
    /// Reads only.
    pub const READ_ONLY: Self = Self { read_only: true, destructive: false, idempotent: true };
    /// Replaces what is there (hours of an entry): repeating it is harmless.
    pub const OVERWRITE: Self = Self { read_only: false, destructive: true, idempotent: true };
    /// Changes state to a fixed end (complete a week): repeating it is harmless.
    pub const IDEMPOTENT: Self = Self { read_only: false, destructive: false, idempotent: true };
    /// Removes something; a repeat fails or removes more.
    pub const DESTRUCTIVE: Self = Self { read_only: false, destructive: true, idempotent: false };
    /// Does something each time it is called (opens a browser, signs in).
    pub const ACTION: Self = Self { read_only: false, destructive: false, idempotent: false };

    /// The retry class these hints imply.
    pub const fn retry_class(self) -> RetryClass {
        match (self.read_only, self.idempotent) {
            (true, _) => RetryClass::ReadOnly,
            (false, true) => RetryClass::IdempotentWrite,
            (false, false) => RetryClass::NonIdempotentWrite,
        }
    }
}

/// A tool as listed to MCP hosts: everything `tools/list` needs.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// Tool name (`snake_case`).
    pub name: &'static str,
    /// Short human title.
    pub title: &'static str,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON Schema of the arguments (an object schema, subschemas inlined).
    pub input_schema: Map<String, Value>,
    /// JSON Schema of the structured output.
    pub output_schema: Map<String, Value>,
    /// Behaviour hints.
    pub hints: Hints,
}

/// JSON Schema (draft 2020-12, no `$ref`s: some hosts cannot follow them) for
/// `T`, with only standard keywords and formats (see [`standard_formats`]).
pub fn schema_for<T: JsonSchema>() -> Map<String, Value> {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = schema.to_value();
    standard_formats(&mut value);
    let mut map = match value {
        Value::Object(m) => m,
        other => panic!("schema of {} is not an object: {other}", std::any::type_name::<T>()),
    };
    map.remove("$schema");
    map
}

/// The formats JSON Schema defines; schemars adds Rust's own (`uint32`,
/// `int64`, `double`…), which Ajv-based hosts warn about on every start and
/// some model providers reject.
const JSON_SCHEMA_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Replace schemars' numeric formats by what they mean in standard keywords
/// (a range as `minimum` / `maximum`, where it is not already narrower) and
/// drop any other format JSON Schema does not define, at every depth.
pub fn standard_formats(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(format)) = map.get("format")
                && !JSON_SCHEMA_FORMATS.contains(&format.as_str())
            {
                let range: Option<(f64, f64)> = match format.as_str() {
                    "int8" => Some((i8::MIN.into(), i8::MAX.into())),
                    "uint8" => Some((0.0, u8::MAX.into())),
                    "int16" => Some((i16::MIN.into(), i16::MAX.into())),
                    "uint16" => Some((0.0, u16::MAX.into())),
                    "int32" => Some((i32::MIN.into(), i32::MAX.into())),
                    "uint32" => Some((0.0, u32::MAX.into())),
                    "uint" | "uint64" | "uint128" => Some((0.0, f64::INFINITY)),
                    _ => None,
                };
                map.remove("format");
                if let Some((low, high)) = range {
                    let keep = |map: &Map<String, Value>, k: &str, v: f64, tighter: fn(f64, f64) -> bool| {
                        map.get(k).and_then(Value::as_f64).is_some_and(|old| tighter(old, v))
                    };
                    if !keep(map, "minimum", low, |old, new| old >= new) {
                        map.insert("minimum".into(), int_value(low));
                    }
                    if high.is_finite() && !keep(map, "maximum", high, |old, new| old <= new) {
                        map.insert("maximum".into(), int_value(high));
                    }
                }
            }
            map.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

fn int_value(v: f64) -> Value {
    Value::from(v as i64)
}

/// Joins `///` doc lines into one paragraph.
fn doc_text(lines: &[&str]) -> String {
    lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

macro_rules! tools {
    ($(
        $(#[doc = $doc:literal])+
        $marker:ident = $name:literal, title $title:literal, $hints:ident, $args:ty => $out:ty
            $(, summary $summary:expr)?;
    )*) => {
        $(
            #[doc = concat!("Marker for the `", $name, "` tool.")]
            #[derive(Debug, Clone, Copy)]
            pub struct $marker;
            impl Method for $marker {
                const NAME: &'static str = $name;
                const SCOPE: Scope = Scope::Tool;
                const HINTS: Hints = Hints::$hints;
                type Args = $args;
                type Output = $out;
                $(fn summary(output: &$out) -> String {
                    let summary: fn(&$out) -> String = $summary;
                    summary(output)
                })?
            }
        )*

        /// Every tool, in the order hosts list them.
        pub fn catalogue() -> Vec<ToolSpec> {
            vec![$(ToolSpec {
                name: $name,
                title: $title,
                description: doc_text(&[$($doc),+]),
                input_schema: schema_for::<$args>(),
                output_schema: schema_for::<$out>(),
                hints: Hints::$hints,
            }),*]
        }

        /// Every tool name.
        pub const TOOL_NAMES: &[&str] = &[$($name),*];

        /// The hints of the tool called `name` (cheap: no schema is built).
        pub fn hints_of(name: &str) -> Option<Hints> {
            match name {
                $($name => Some(Hints::$hints),)*
                _ => None,
            }
        }
    };
}

tools! {
    /// Who is signed in to the ERP in the ERP Helper app, how, and whether the
    /// account is authorized. Never fails for a signed-out user: it says so and
    /// gives the sign-in link.
    Whoami = "whoami", title "Who am I", READ_ONLY, NoArgs => WhoamiOutput;

    /// Start signing in to the ERP. Opens the sign-in in the ERP Helper app (Google
    /// in the browser, or the ERP login page); the user finishes there and then
    /// retries. Never asks for a token in the chat.
    SignIn = "sign_in", title "Sign in", ACTION, SignInArgs => SignInOutput;

    /// List the projects the signed-in user can log time against. `id` is the
    /// project_id the other tools take.
    GetActiveProjects = "get_active_projects", title "Active projects", READ_ONLY, NoArgs => GetActiveProjectsOutput;

    /// List the labels (time categories) a log entry can carry, with their ids.
    GetLogLabels = "get_log_labels", title "Log labels", READ_ONLY, NoArgs => GetLogLabelsOutput;

    /// Read the whole week log (projects, tasks, hours per day) for the week that
    /// starts on the given Monday.
    GetWeekLogs = "get_week_logs", title "Week logs", READ_ONLY, GetWeekLogsArgs => WeekLogOutput;

    /// Read what is logged on one day, grouped by project, with totals.
    GetDayLogs = "get_day_logs", title "Day logs", READ_ONLY, GetDayLogsArgs => GetDayLogsOutput;

    /// List the week logs (summaries) that overlap a date range of at most 366 days.
    GetLogsForDateRange = "get_logs_for_date_range", title "Logs for a date range", READ_ONLY, GetLogsForDateRangeArgs => WeekListOutput;

    /// List the week logs (summaries) of one calendar month.
    GetMonthLogs = "get_month_logs", title "Month logs", READ_ONLY, GetMonthLogsArgs => WeekListOutput;

    /// Log hours for one day on a project and task description. If an entry with
    /// the same project, description and date exists its hours and label are
    /// replaced, so repeating the call does not double the time.
    CreateOrUpdateLog = "create_or_update_log", title "Create or update a log entry", OVERWRITE, CreateOrUpdateLogArgs => CreateOrUpdateLogOutput,
        summary |o| format!("{} {} on {}", o.action.as_str(), o.project_name, o.date);

    /// Remove the entry for one day from the task with the given description on a
    /// project. Fails if there is no such entry.
    DeleteLog = "delete_log", title "Delete a log entry", DESTRUCTIVE, DeleteLogArgs => DeleteLogOutput,
        summary |o| format!("removed {} on {}", o.project_name, o.date);

    /// Log the same hours and description on every day of a range (at most 31
    /// days). Holidays and approved leave are skipped (a half-day leave gets
    /// half the hours), as are completed weeks, days that already have the
    /// hours, and weekends when asked. With dry_run nothing is saved: the result
    /// says what would be saved and skipped and why, with a plan_id for
    /// apply_plan. Each week is read once and saved once; a failed day does not
    /// undo the others; change_id undoes it all (undo_change).
    FillLogsForDays = "fill_logs_for_days", title "Fill a range of days", OVERWRITE, FillLogsForDaysArgs => DaysWritten,
        summary |o| o.message.clone();

    /// Apply a plan previewed by fill_logs_for_days or copy_week with dry_run,
    /// exactly as previewed. Refused, with nothing saved, if any of its weeks
    /// changed in the ERP since the preview; a plan is applied once and kept
    /// for an hour.
    ApplyPlan = "apply_plan", title "Apply a previewed plan", DESTRUCTIVE, ApplyPlanArgs => DaysWritten,
        summary |o| o.message.clone();

    /// Copy the entries of one week (optionally one project's) to another week,
    /// day by day (Monday to Monday…), skipping the target week's holidays and
    /// approved leave, completed weeks and entries already there. With dry_run
    /// nothing is saved and a plan_id for apply_plan is returned.
    CopyWeek = "copy_week", title "Copy a week", OVERWRITE, CopyWeekArgs => DaysWritten,
        summary |o| o.message.clone();

    /// List the user's recent changes made through ERP Helper (newest first),
    /// with the ids undo_change takes and whether each was undone.
    ListChanges = "list_changes", title "Recent changes", READ_ONLY, ListChangesArgs => ListChangesOutput;

    /// Undo the user's newest change made through ERP Helper that is not undone
    /// yet: each week it saved gets back its exact earlier tasks. Refused, with
    /// nothing saved, if a week changed in the ERP since; the answer says what changed.
    UndoLastChange = "undo_last_change", title "Undo the last change", DESTRUCTIVE, NoArgs => UndoOutput,
        summary |o| o.message.clone();

    /// Undo one change (its change_id from list_changes, a write's result or
    /// `erp-helper audit`), as undo_last_change does. Undoing an undo redoes.
    UndoChange = "undo_change", title "Undo a change", DESTRUCTIVE, UndoChangeArgs => UndoOutput,
        summary |o| o.message.clone();

    /// Submit (complete) the week log that starts on the given Monday, or with
    /// save_draft keep it as a draft.
    CompleteWeekLog = "complete_week_log", title "Complete a week", IDEMPOTENT, CompleteWeekLogArgs => CompleteWeekLogOutput,
        summary |o| format!("week of {} {}", o.week_starting, if o.completed { "completed" } else { "kept as draft" });

    /// Check whether a project is part of the week log for the week containing
    /// a date, i.e. whether time can be logged on it there.
    CheckPersonWeekProjectExists = "check_person_week_project_exists", title "Can I log on this project that week?", READ_ONLY, CheckPersonWeekProjectExistsArgs => CheckPersonWeekProjectExistsOutput;

    /// Find the working days in a range (at most 366 days) with less time
    /// logged than expected: each working day (the app's setting, Monday to
    /// Friday by default) should have the day's hours (8 by default), except
    /// holidays and approved leave (a half-day leave halves the day). Days after
    /// today are not counted. Returns the short days with what is missing, and totals.
    FindMissingLogs = "find_missing_logs", title "Find missing time logs", READ_ONLY, FindMissingLogsArgs => FindMissingLogsOutput;

    /// Total the time logged in a range (at most 366 days) by project, label,
    /// day or week: numbers in the structured result, a markdown table in the text.
    SummarizeLogs = "summarize_logs", title "Summarize time logs", READ_ONLY, SummarizeLogsArgs => SummarizeLogsOutput;

    /// List the leave types the user can apply for (leave_type ids for
    /// leaves_apply), with what else the ERP says (e.g. the approver).
    LeavesGetChoices = "leaves_get_choices", title "Leave types", READ_ONLY, NoArgs => LeavesGetChoicesOutput;

    /// List the fiscal years leave is counted in, and which one is selected
    /// (its id is the fiscal_year_id of leaves_get_summary).
    LeavesGetFiscalYears = "leaves_get_fiscal_years", title "Leave fiscal years", READ_ONLY, NoArgs => LeavesGetFiscalYearsOutput;

    /// The user's leave balance for a fiscal year: days allowed, used, pending,
    /// encashed and available per leave type, as the ERP reports them.
    LeavesGetSummary = "leaves_get_summary", title "Leave balance", READ_ONLY, LeavesGetSummaryArgs => LeavesGetSummaryOutput;

    /// The user's approved leave and the holidays of one month, read together.
    /// If one of the two cannot be read, the other is still returned and
    /// `warnings` says which is missing.
    LeavesListMonth = "leaves_list_month", title "Leave and holidays in a month", READ_ONLY, LeavesMonthArgs => LeavesListMonthOutput;

    /// The user's own leave requests touching one month, whatever their status
    /// (pending, approved, rejected, cancelled).
    LeavesListMine = "leaves_list_mine", title "My leave requests", READ_ONLY, LeavesMonthArgs => LeavesListMineOutput;

    /// Who in the user's team is on leave now.
    LeavesListTeam = "leaves_list_team", title "Team members on leave", READ_ONLY, NoArgs => LeavesListTeamOutput;

    /// The user's leave encashments (unused leave days paid out).
    LeavesListEncashments = "leaves_list_encashments", title "Leave encashments", READ_ONLY, NoArgs => LeavesListEncashmentsOutput;

    /// Apply for leave from start_date to end_date (at most 90 days), or for
    /// half a day. The request goes to the approver; it is pending until decided.
    LeavesApply = "leaves_apply", title "Apply for leave", ACTION, LeavesApplyArgs => LeavesApplyOutput,
        summary |o| format!("applied for leave {} to {}: {}", o.start_date, o.end_date, o.status.as_deref().unwrap_or("sent"));

    /// Cancel one of the user's pending leave requests (its leave_id from
    /// leaves_list_mine or leaves_apply).
    LeavesCancel = "leaves_cancel", title "Cancel a leave request", DESTRUCTIVE, LeavesCancelArgs => LeavesCancelOutput,
        summary |o| format!("cancelled leave {}", o.leave_id);

    /// Ask for unused leave days of one type to be paid out (more than 0, at
    /// most 90 days).
    LeavesCreateEncashment = "leaves_create_encashment", title "Encash leave days", ACTION, LeavesCreateEncashmentArgs => LeavesCreateEncashmentOutput,
        summary |o| format!("asked to encash {} days of leave type {}", o.days, o.leave_type);
}

// ---------------------------------------------------------------- arguments

/// No arguments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// How to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// Google, in the system browser.
    Google,
    /// The ERP's own login page, in the app's window.
    ErpPage,
    /// An ERP token pasted in the app's own window: for links, the tray and
    /// the CLI only. Not offered to MCP clients (no tool schema names a token).
    #[serde(skip)]
    Token,
}

/// Arguments of `sign_in`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInArgs {
    /// `google` (the default when the app has a Google client) or `erp_page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<SignInMethod>,
}

/// Arguments of `get_week_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetWeekLogsArgs {
    /// The Monday that starts the week, YYYY-MM-DD.
    pub week_starting: String,
}

/// Arguments of `get_day_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetDayLogsArgs {
    /// The day, YYYY-MM-DD.
    pub date: String,
}

/// Arguments of `get_logs_for_date_range`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetLogsForDateRangeArgs {
    /// First day, YYYY-MM-DD.
    pub start_date: String,
    /// Last day (inclusive), YYYY-MM-DD; at most 366 days after start_date.
    pub end_date: String,
}

/// Arguments of `get_month_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMonthLogsArgs {
    /// Four-digit year, e.g. 2026.
    pub year: i32,
    /// Month, 1 (January) to 12 (December).
    pub month: u32,
}

/// Arguments of `create_or_update_log`. Give exactly one of project_id and
/// project_name; at most one of label_id and label_name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrUpdateLogArgs {
    /// The day, YYYY-MM-DD.
    pub date: String,
    /// What was done; entries with the same description on a project form one task.
    pub description: String,
    /// Hours, more than 0 and at most 24, e.g. 2.5 for 2 h 30 min.
    pub hours: f64,
    /// Project id from get_active_projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<i64>,
    /// Project name: an exact name, or a part of exactly one project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// Label id from get_log_labels. Default: the ERP's "General" label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_id: Option<i64>,
    /// Label name, matched exactly (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_name: Option<String>,
}

/// Arguments of `delete_log`. Give exactly one of project_id and project_name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteLogArgs {
    /// The day, YYYY-MM-DD.
    pub date: String,
    /// The task description whose entry for that day is removed (case-insensitive).
    pub description: String,
    /// Project id from get_active_projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<i64>,
    /// Project name: an exact name, or a part of exactly one project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
}

/// Arguments of `fill_logs_for_days`. Give exactly one of project_id and
/// project_name; at most one of label_id and label_name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FillLogsForDaysArgs {
    /// First day, YYYY-MM-DD.
    pub start_date: String,
    /// Last day (inclusive), YYYY-MM-DD; at most 31 days in all.
    pub end_date: String,
    /// What was done, the same on every day.
    pub description: String,
    /// Hours per day, more than 0 and at most 24. Default 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_per_day: Option<f64>,
    /// Project id from get_active_projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<i64>,
    /// Project name: an exact name, or a part of exactly one project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// Label id from get_log_labels. Default: the ERP's "General" label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_id: Option<i64>,
    /// Label name, matched exactly (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_name: Option<String>,
    /// Leave Saturdays and Sundays out. Default false.
    #[serde(default)]
    pub skip_weekends: bool,
    /// Also log on holidays and approved leave days. Default false: they are
    /// skipped, and a half-day leave gets half the hours.
    #[serde(default)]
    pub include_days_off: bool,
    /// Only preview: nothing is saved; the result lists what would be saved
    /// and skipped, and a plan_id for apply_plan. Default false.
    #[serde(default)]
    pub dry_run: bool,
}

/// Arguments of `apply_plan`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyPlanArgs {
    /// The plan_id of a dry_run result.
    pub plan_id: String,
}

/// Arguments of `copy_week`. At most one of project_id and project_name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyWeekArgs {
    /// The Monday of the week to copy from, YYYY-MM-DD.
    pub from_week_starting: String,
    /// The Monday of the week to copy to, YYYY-MM-DD (not the same week).
    pub to_week_starting: String,
    /// Copy only this project (id from get_active_projects). Default: every project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<i64>,
    /// Copy only this project: an exact name, or a part of exactly one project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// Also copy onto the target week's holidays and approved leave days. Default false.
    #[serde(default)]
    pub include_days_off: bool,
    /// Only preview; the result has a plan_id for apply_plan. Default false.
    #[serde(default)]
    pub dry_run: bool,
}

/// Arguments of `list_changes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListChangesArgs {
    /// How many, newest first: 1 to 100. Default 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Arguments of `undo_change`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UndoChangeArgs {
    /// The change's id, from list_changes, a write's result or `erp-helper audit`.
    pub change_id: String,
}

/// Arguments of `complete_week_log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteWeekLogArgs {
    /// The Monday that starts the week, YYYY-MM-DD.
    pub week_starting: String,
    /// true keeps the week a draft instead of completing it. Default false.
    #[serde(default)]
    pub save_draft: bool,
}

/// Arguments of `check_person_week_project_exists`. Give exactly one of
/// project_id and project_name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckPersonWeekProjectExistsArgs {
    /// Any day of the week to check, YYYY-MM-DD.
    pub date: String,
    /// Project id from get_active_projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<i64>,
    /// Project name: an exact name, or a part of exactly one project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
}

/// Arguments of `find_missing_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindMissingLogsArgs {
    /// First day, YYYY-MM-DD.
    pub start_date: String,
    /// Last day (inclusive), YYYY-MM-DD; at most 366 days after start_date.
    pub end_date: String,
}

/// How `summarize_logs` groups the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row per project.
    Project,
    /// One row per label (time category).
    Label,
    /// One row per day with time.
    Day,
    /// One row per week (by its Monday).
    Week,
}

/// Arguments of `summarize_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummarizeLogsArgs {
    /// First day, YYYY-MM-DD.
    pub start_date: String,
    /// Last day (inclusive), YYYY-MM-DD; at most 366 days after start_date.
    pub end_date: String,
    /// project, label, day or week.
    pub group_by: GroupBy,
}

/// Arguments of `leaves_get_summary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeavesGetSummaryArgs {
    /// A fiscal year's id from leaves_get_fiscal_years. Default: the year the ERP has selected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiscal_year_id: Option<i64>,
}

/// Arguments of `leaves_list_month` and `leaves_list_mine`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeavesMonthArgs {
    /// Four-digit year, e.g. 2026.
    pub year: i32,
    /// Month, 1 (January) to 12 (December).
    pub month: u32,
}

/// Which half of the day a half-day leave takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HalfDayPeriod {
    /// The morning.
    FirstHalf,
    /// The afternoon.
    SecondHalf,
}

impl HalfDayPeriod {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstHalf => "first_half",
            Self::SecondHalf => "second_half",
        }
    }
}

/// Arguments of `leaves_apply`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeavesApplyArgs {
    /// The leave type's id from leaves_get_choices.
    pub leave_type: i64,
    /// First day of leave, YYYY-MM-DD.
    pub start_date: String,
    /// Last day of leave (inclusive), YYYY-MM-DD; at most 90 days in all.
    pub end_date: String,
    /// Why, for the approver; at most 2000 characters.
    pub reason: String,
    /// true for half a day (start_date and end_date the same day). Default false.
    #[serde(default)]
    pub half_day: bool,
    /// Which half, with half_day only: first_half or second_half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_day_period: Option<HalfDayPeriod>,
}

/// Arguments of `leaves_cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeavesCancelArgs {
    /// The leave request's id, from leaves_list_mine or leaves_apply.
    pub leave_id: i64,
}

/// Arguments of `leaves_create_encashment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeavesCreateEncashmentArgs {
    /// The leave type's id from leaves_get_choices.
    pub leave_type: i64,
    /// Days to encash, more than 0 and at most 90.
    pub days: f64,
}

// ---------------------------------------------------------------- outputs

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Signed in and (as far as we know) valid.
    SignedIn,
    /// No session.
    SignedOut,
    /// The ERP rejected the stored token; sign in again.
    Expired,
}

/// Output of `whoami`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WhoamiOutput {
    /// Session state.
    pub state: SessionState,
    /// The signed-in account's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// How the session was obtained: google, erp_page, token or demo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_in_via: Option<String>,
    /// Whether the account is on the authorized-users list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized: Option<bool>,
    /// The ERP web address the app talks to.
    pub erp_url: String,
    /// Read-only mode: the user lets assistants read, not change, the logs;
    /// the tools that write are refused.
    #[serde(default)]
    pub read_only: bool,
    /// When not signed in: the link that starts a sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_url: Option<String>,
}

/// Outcome of `sign_in`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignInStatus {
    /// A session exists already; nothing was opened.
    AlreadySignedIn,
    /// The app opened a sign-in; the user finishes it there.
    Started,
    /// The app cannot open a sign-in here (headless); the message says what to run.
    Manual,
}

/// Output of `sign_in`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SignInOutput {
    /// What happened.
    pub status: SignInStatus,
    /// The account, when already signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The link that opens the sign-in in the app.
    pub sign_in_url: String,
    /// One sentence for the user.
    pub message: String,
}

/// A project the user can log time against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Project {
    /// project_id for the other tools.
    pub id: i64,
    /// Full name, e.g. "Workstream / Backend".
    pub name: String,
    /// Short name, e.g. "Backend".
    pub subteam: String,
}

/// Output of `get_active_projects`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GetActiveProjectsOutput {
    /// The projects.
    pub projects: Vec<Project>,
}

/// A log label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Label {
    /// label_id for the write tools.
    pub id: i64,
    /// Its name, e.g. "Coding".
    pub name: String,
}

/// Output of `get_log_labels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GetLogLabelsOutput {
    /// The labels.
    pub labels: Vec<Label>,
}

/// An amount of logged time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Duration {
    /// Whole hours.
    pub hours: u32,
    /// Minutes, 0 to 59.
    pub minutes: u32,
    /// The same as decimal hours, rounded to 2 places.
    pub decimal_hours: f64,
}

/// One day's entry in a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DayEntry {
    /// The day, YYYY-MM-DD.
    pub date: String,
    /// Time logged.
    pub time: Duration,
    /// Label id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_id: Option<i64>,
    /// Label name, when the ERP gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A task (one description) on a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Task {
    /// ERP task id (absent for a task not saved yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
    /// The description.
    pub description: String,
    /// Its days.
    pub days: Vec<DayEntry>,
}

/// A project inside a week log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeekProject {
    /// The project's id inside this week log (not the project_id of get_active_projects).
    pub week_project_id: i64,
    /// Full project name.
    pub team: String,
    /// Short project name.
    pub subteam: String,
    /// Tasks.
    pub tasks: Vec<Task>,
    /// Time on this project.
    pub total: Duration,
}

/// Output of `get_week_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeekLogOutput {
    /// ERP week-log id.
    pub week_log_id: i64,
    /// Monday, YYYY-MM-DD.
    pub week_starting: String,
    /// Sunday, YYYY-MM-DD.
    pub week_ending: String,
    /// Whether the week was submitted.
    pub is_completed: bool,
    /// The person, as the ERP names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
    /// Projects in the week.
    pub projects: Vec<WeekProject>,
    /// Time in the week.
    pub total: Duration,
    /// The week in the ERP's web app.
    pub web_url: String,
}

/// Output of `get_day_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GetDayLogsOutput {
    /// The day, YYYY-MM-DD.
    pub date: String,
    /// Monday of its week.
    pub week_starting: String,
    /// ERP week-log id.
    pub week_log_id: i64,
    /// Whether the week was submitted.
    pub is_completed: bool,
    /// Projects with time on that day (tasks hold only that day).
    pub projects: Vec<WeekProject>,
    /// Time on that day.
    pub total: Duration,
}

/// A week log in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeekSummary {
    /// ERP week-log id, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_log_id: Option<i64>,
    /// Monday, YYYY-MM-DD.
    pub week_starting: String,
    /// Sunday, YYYY-MM-DD.
    pub week_ending: String,
    /// Whether the week was submitted, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_completed: Option<bool>,
    /// Time in the week, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Duration>,
}

/// Output of `get_logs_for_date_range` and `get_month_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeekListOutput {
    /// First day asked for, YYYY-MM-DD.
    pub start_date: String,
    /// Last day asked for, YYYY-MM-DD.
    pub end_date: String,
    /// Week logs overlapping the range, oldest first, each once.
    pub weeks: Vec<WeekSummary>,
}

/// What a write did to one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryAction {
    /// A new entry was added.
    Created,
    /// An existing entry's hours or label were replaced.
    Updated,
}

impl EntryAction {
    /// The wire name: `created` or `updated`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
        }
    }
}

/// Output of `create_or_update_log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CreateOrUpdateLogOutput {
    /// Created or updated.
    pub action: EntryAction,
    /// The day.
    pub date: String,
    /// Monday of its week.
    pub week_starting: String,
    /// The project's id.
    pub project_id: i64,
    /// The project's full name.
    pub project_name: String,
    /// The task description.
    pub description: String,
    /// Time now logged for that day on this task.
    pub time: Duration,
    /// The label used.
    pub label_id: i64,
    /// What undo_change takes to undo this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
}

/// Output of `delete_log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeleteLogOutput {
    /// The day.
    pub date: String,
    /// Monday of its week.
    pub week_starting: String,
    /// The project's full name.
    pub project_name: String,
    /// The task description as stored.
    pub description: String,
    /// The time that was removed.
    pub removed: Duration,
    /// true when the task had no other day and was removed too.
    pub task_removed: bool,
    /// What undo_change takes to undo this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
}

/// Overall outcome of a fill, a copy or an applied plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FillStatus {
    /// Every entry that was not skipped succeeded (or, in a preview, would be saved).
    Success,
    /// Some entries succeeded and some failed (nothing was rolled back).
    PartialError,
    /// No entry succeeded.
    Error,
}

/// What happened (or, in a preview, would happen) to one day's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayOutcomeKind {
    /// A new entry.
    Created,
    /// An existing entry replaced.
    Updated,
    /// Preview: a new entry would be added.
    WouldCreate,
    /// Preview: an existing entry would be replaced.
    WouldUpdate,
    /// Left out; see reason.
    Skipped,
    /// Failed; see error.
    Failed,
}

/// Why a day was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Saturday or Sunday, with skip_weekends.
    Weekend,
    /// A holiday.
    Holiday,
    /// Approved leave.
    Leave,
    /// The week is completed.
    CompletedWeek,
    /// The day already has that entry, or the hours on other tasks.
    AlreadyLogged,
    /// The project is not part of the target week's log.
    ProjectNotInWeek,
}

/// One day (one entry of a copy) of a fill, copy or plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DayOutcome {
    /// The day.
    pub date: String,
    /// What happened.
    pub outcome: DayOutcomeKind,
    /// Why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<SkipReason>,
    /// More on the reason or the entry, e.g. the holiday's name or "half-day leave".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The time saved (or to be saved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Duration>,
    /// The project's name (copy_week, where entries span projects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// The task description (copy_week).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One week of a fill, copy or plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeekOutcome {
    /// Monday of the week.
    pub week_starting: String,
    /// ERP week-log id, when the week log exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_log_id: Option<i64>,
    /// Entries saved (or to be saved) in it.
    pub entries: u32,
    /// Their time.
    pub time: Duration,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Output of `fill_logs_for_days`, `copy_week` and `apply_plan`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DaysWritten {
    /// Overall outcome.
    pub status: FillStatus,
    /// One line, e.g. "Logged 8h00 on 20 of 20 day(s) on \"Backend\" (8 skipped)".
    pub message: String,
    /// true for a preview: nothing was saved.
    pub dry_run: bool,
    /// A preview's plan, for apply_plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// What undo_change takes to undo this (absent when nothing was saved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    /// The project's id, when there is one project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<i64>,
    /// The project's full name, when there is one project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// Entries added (or to be added).
    pub created: u32,
    /// Entries replaced (or to be replaced).
    pub updated: u32,
    /// Days (entries) left out; each says why.
    pub skipped: u32,
    /// Entries that failed.
    pub failed: u32,
    /// Every day of the range in order (for a copy, every entry).
    pub days: Vec<DayOutcome>,
    /// Every week written to (or to be written to).
    pub weeks: Vec<WeekOutcome>,
}

/// Output of `complete_week_log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompleteWeekLogOutput {
    /// Monday of the week.
    pub week_starting: String,
    /// ERP week-log id.
    pub week_log_id: i64,
    /// true when the week is now completed, false when kept as a draft.
    pub completed: bool,
}

/// Output of `check_person_week_project_exists`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckPersonWeekProjectExistsOutput {
    /// Whether time can be logged on the project that week.
    pub exists: bool,
    /// Monday of the week.
    pub week_starting: String,
    /// The project's id.
    pub project_id: i64,
    /// The project's full name.
    pub project_name: String,
    /// ERP week-log id, when the week log exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_log_id: Option<i64>,
    /// The project's id inside the week log, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_project_id: Option<i64>,
    /// One sentence, e.g. what to do when it does not exist.
    pub message: String,
}

/// A leave type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeaveType {
    /// leave_type for leaves_apply and leaves_create_encashment.
    pub id: i64,
    /// Its name, e.g. "Annual".
    pub name: String,
}

/// Output of `leaves_get_choices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesGetChoicesOutput {
    /// The leave types.
    pub leave_types: Vec<LeaveType>,
    /// The ERP's whole answer (the approver and anything else it sends).
    pub erp: Value,
}

/// A fiscal year leave is counted in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FiscalYear {
    /// fiscal_year_id for leaves_get_summary.
    pub id: i64,
    /// First day, YYYY-MM-DD, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Last day, YYYY-MM-DD, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
}

/// Output of `leaves_get_fiscal_years`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesGetFiscalYearsOutput {
    /// The id of the fiscal year the ERP has selected, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_fiscal_year: Option<i64>,
    /// The fiscal years.
    pub fiscal_years: Vec<FiscalYear>,
}

/// Output of `leaves_get_summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesGetSummaryOutput {
    /// The fiscal year summarised.
    pub fiscal_year_id: i64,
    /// The ERP's summary, as it sends it (per leave type: total, used, pending, encashed, available).
    pub summary: Value,
}

/// Where a leave request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeaveState {
    /// Waiting for the approver.
    Pending,
    /// Approved: days off.
    Approved,
    /// Refused.
    Rejected,
    /// Withdrawn.
    Cancelled,
    /// The ERP gave a status this app does not know (see status_text).
    Other,
}

/// A leave, as the ERP lists it, read into one shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Leave {
    /// The leave request's id (leave_id for leaves_cancel), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_id: Option<i64>,
    /// The leave type's name or id, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_type: Option<String>,
    /// First day, YYYY-MM-DD.
    pub start_date: String,
    /// Last day (inclusive), YYYY-MM-DD.
    pub end_date: String,
    /// true for half a day.
    pub half_day: bool,
    /// Which half, for a half day, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_day_period: Option<String>,
    /// Where it stands (approved, when the list holds approved leave only).
    pub status: LeaveState,
    /// The ERP's own status label, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_text: Option<String>,
}

/// A holiday.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Holiday {
    /// Its name, e.g. "Labour Day".
    pub name: String,
    /// First day, YYYY-MM-DD, when the ERP gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Last day, for a holiday of several days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
}

/// Output of `leaves_list_month`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesListMonthOutput {
    /// The year.
    pub year: i32,
    /// The month.
    pub month: u32,
    /// The user's approved leave touching the month.
    pub leaves: Vec<Leave>,
    /// The month's holidays.
    pub holidays: Vec<Holiday>,
    /// What could not be read (empty when both lists loaded).
    pub warnings: Vec<String>,
}

/// Output of `leaves_list_mine`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesListMineOutput {
    /// The year.
    pub year: i32,
    /// The month.
    pub month: u32,
    /// The user's leave requests touching the month, every status.
    pub leaves: Vec<Leave>,
}

/// Output of `leaves_list_team`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesListTeamOutput {
    /// Team members on leave, as the ERP lists them (name, leave type, dates).
    pub on_leave: Vec<Value>,
}

/// Output of `leaves_list_encashments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesListEncashmentsOutput {
    /// The encashments, as the ERP lists them.
    pub encashments: Vec<Value>,
}

/// Output of `leaves_apply`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesApplyOutput {
    /// The new request's id (leave_id for leaves_cancel), when the ERP gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_id: Option<i64>,
    /// Its status as the ERP names it, e.g. "Pending".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// First day.
    pub start_date: String,
    /// Last day.
    pub end_date: String,
    /// One sentence for the user.
    pub message: String,
}

/// Output of `leaves_cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesCancelOutput {
    /// The cancelled request.
    pub leave_id: i64,
    /// One sentence for the user.
    pub message: String,
}

/// Output of `leaves_create_encashment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeavesCreateEncashmentOutput {
    /// The encashment's id, when the ERP gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encashment_id: Option<i64>,
    /// The leave type.
    pub leave_type: i64,
    /// Days asked for.
    pub days: f64,
    /// One sentence for the user.
    pub message: String,
}

/// A working day with less time than expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShortDay {
    /// The day, YYYY-MM-DD.
    pub date: String,
    /// Its weekday, e.g. "Tuesday".
    pub weekday: String,
    /// Time it should have.
    pub expected: Duration,
    /// Time logged.
    pub logged: Duration,
    /// expected minus logged.
    pub missing: Duration,
    /// Why the expectation is what it is, e.g. "half-day leave", or "no week log".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A day nothing is expected on although it is a working day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DayOff {
    /// The day, YYYY-MM-DD.
    pub date: String,
    /// e.g. "holiday: Labour Day", "leave", "half-day leave".
    pub reason: String,
}

/// Totals of `find_missing_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GapTotals {
    /// Working days counted (holidays and whole leave days left out).
    pub working_days: u32,
    /// Days with time missing.
    pub short_days: u32,
    /// Time expected in all.
    pub expected: Duration,
    /// Time logged on the counted days.
    pub logged: Duration,
    /// Time missing in all (the short days' sum).
    pub missing: Duration,
}

/// Output of `find_missing_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindMissingLogsOutput {
    /// First day asked for.
    pub start_date: String,
    /// Last day asked for.
    pub end_date: String,
    /// Last day counted (end_date, or today when end_date is later).
    pub counted_until: String,
    /// Hours a working day should have (the app's setting).
    pub hours_per_day: f64,
    /// The working weekdays (the app's setting), e.g. ["mon", …, "fri"].
    pub working_days: Vec<String>,
    /// The short days, oldest first.
    pub short_days: Vec<ShortDay>,
    /// Working days off: holidays and approved leave.
    pub days_off: Vec<DayOff>,
    /// Totals.
    pub totals: GapTotals,
    /// One sentence, e.g. "3 days are short by 12 h in all."
    pub message: String,
    /// What could not be read (holidays or leave), so the result may count a day off as short.
    pub warnings: Vec<String>,
}

/// One row of `summarize_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SummaryRow {
    /// The project's full name, the label's name, the day or the week's Monday.
    pub key: String,
    /// Time, in decimal hours rounded to 2 places.
    pub hours: f64,
    /// Time, in minutes.
    pub minutes: i64,
    /// Day entries counted.
    pub entries: u32,
}

/// Output of `summarize_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SummarizeLogsOutput {
    /// First day.
    pub start_date: String,
    /// Last day.
    pub end_date: String,
    /// How the rows are grouped.
    pub group_by: GroupBy,
    /// The rows: most time first for project and label, in date order for day and week.
    pub rows: Vec<SummaryRow>,
    /// Time in all, decimal hours.
    pub total_hours: f64,
    /// Time in all, minutes.
    pub total_minutes: i64,
    /// The same as a markdown table (what the text of the result shows).
    pub markdown: String,
}

/// One change made through ERP Helper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChangeSummary {
    /// Its id, for undo_change.
    pub change_id: String,
    /// When, RFC 3339.
    pub time: String,
    /// The tool that made it.
    pub tool: String,
    /// The MCP host (or CLI) that asked.
    pub client: String,
    /// What it did.
    pub detail: String,
    /// The Mondays of the weeks it saved.
    pub weeks: Vec<String>,
    /// The change it undid, when it is an undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// The change that undid it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_by: Option<String>,
}

/// Output of `list_changes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ListChangesOutput {
    /// Newest first.
    pub changes: Vec<ChangeSummary>,
}

/// One week of an undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UndoneWeek {
    /// Monday of the week.
    pub week_starting: String,
    /// ERP week-log id.
    pub week_log_id: i64,
    /// Whether its earlier tasks are back.
    pub restored: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Output of `undo_last_change` and `undo_change`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UndoOutput {
    /// The change undone.
    pub undone_change_id: String,
    /// This undo's own change id (undo_change on it redoes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    /// Every week of the change.
    pub weeks: Vec<UndoneWeek>,
    /// One line.
    pub message: String,
}
