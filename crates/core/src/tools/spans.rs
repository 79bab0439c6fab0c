//! The tools that read a span of days whole: `find_missing_logs` (each working
//! day's time against the expected, holidays and approved leave left out) and
//! `summarize_logs` (totals by project, label, day or week). Both read each
//! week of the span once: one week list per year, one detail per week.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use erp_proto::tools::{
    DayOff, FindMissingLogsArgs, FindMissingLogsOutput, GapTotals, GroupBy, ShortDay, SummarizeLogsArgs,
    SummarizeLogsOutput, SummaryRow,
};
use futures::StreamExt;

use super::leaves::month_off;
use super::reads::months_of;
use crate::config::WorkWeek;
use crate::dates::{duration, monday_of, parse_range, weekday_name};
use crate::error::{CoreError, Result};
use crate::leave::{DaysOff, Off};
use crate::router::Ctx;

/// Longest span these tools read.
const MAX_SPAN_DAYS: i64 = 366;
/// Week details read at once.
const READ_CONCURRENCY: usize = 4;

/// A checked span of days.
pub(crate) struct Span {
    start: NaiveDate,
    end: NaiveDate,
}

impl Span {
    fn parse(start: &str, end: &str) -> Result<Self> {
        let too_long = format!("the most is {MAX_SPAN_DAYS}. Ask for a shorter range.");
        let (start, end) = parse_range(start, end, MAX_SPAN_DAYS, &too_long)?;
        Ok(Self { start, end })
    }

    fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let (start, n) = (self.start, (self.end - self.start).num_days());
        (0..=n).map(move |i| start + Duration::days(i))
    }
}

/// One day's entry of one task, as the tools here count it.
struct Entry {
    date: NaiveDate,
    project: String,
    label_id: Option<i64>,
    label: Option<String>,
    minutes: i64,
}

/// Every entry in `span`, and the Mondays of the span that have no week log.
async fn entries(ctx: &Ctx, span: &Span) -> Result<(Vec<Entry>, BTreeSet<NaiveDate>)> {
    let mut mondays = Vec::new();
    let mut m = monday_of(span.start);
    while m <= span.end {
        mondays.push(m);
        m += Duration::days(7);
    }
    let years: BTreeSet<i32> = mondays.iter().map(|m| m.year()).collect();
    let mut refs = HashMap::new();
    for y in years {
        refs.extend(ctx.erp.week_list(y).await?.into_iter().map(|w| (w.monday, w)));
    }
    let missing: BTreeSet<NaiveDate> = mondays.iter().filter(|m| !refs.contains_key(m)).copied().collect();
    let found: Vec<_> = mondays.iter().filter_map(|m| refs.get(m).copied()).collect();
    let docs: Vec<_> = futures::stream::iter(found)
        .map(|w| super::resolve::load_week(ctx, w))
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    let mut out = Vec::new();
    for doc in docs {
        let doc = doc?;
        let (projects, _) = doc.projects_view(|_| true, false);
        for p in projects {
            for t in p.tasks {
                for d in t.days {
                    let Ok(date) = d.date.parse::<NaiveDate>() else { continue };
                    if date < span.start || date > span.end {
                        continue;
                    }
                    let minutes = i64::from(d.time.hours) * 60 + i64::from(d.time.minutes);
                    let (label_id, label) = (d.label_id, d.label);
                    out.push(Entry { date, project: p.team.clone(), label_id, label, minutes });
                }
            }
        }
    }
    Ok((out, missing))
}

impl TryFrom<FindMissingLogsArgs> for Span {
    type Error = CoreError;
    fn try_from(a: FindMissingLogsArgs) -> Result<Self> {
        Self::parse(&a.start_date, &a.end_date)
    }
}

/// Holidays and approved leave of every month of the span, with what could not be read.
pub(super) async fn days_off(ctx: &Ctx, start: NaiveDate, end: NaiveDate) -> Result<(DaysOff, Vec<String>)> {
    let erp = &ctx.erp;
    let months: Vec<_> = futures::stream::iter(months_of(start, end))
        .map(|m| async move { month_off(erp, m.year(), m.month()).await })
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    let (mut holidays, mut leaves, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
    for m in months {
        let m = m?;
        holidays.extend(m.holidays);
        leaves.extend(m.leaves);
        warnings.extend(m.warnings);
    }
    Ok((DaysOff::new(&holidays, &leaves), warnings))
}

/// The counted days, sorted into short days and days off, with totals (minutes).
#[derive(Default)]
struct Tally {
    short_days: Vec<ShortDay>,
    days_off: Vec<DayOff>,
    working_days: u32,
    expected: i64,
    logged: i64,
    missing: i64,
}

impl Tally {
    fn count(
        span: &Span,
        week: WorkWeek,
        off: &DaysOff,
        logged: &BTreeMap<NaiveDate, i64>,
        no_week: &BTreeSet<NaiveDate>,
    ) -> Self {
        let per_day = i64::from(week.minutes_per_day);
        let mut t = Self::default();
        for d in span.days().filter(|d| week.works_on(*d)) {
            let (expected, note) = match off.get(d) {
                Some(Off::Holiday(name)) => {
                    t.days_off.push(DayOff { date: d.to_string(), reason: format!("holiday: {name}") });
                    continue;
                }
                Some(Off::Leave(share)) if *share >= 1.0 => {
                    t.days_off.push(DayOff { date: d.to_string(), reason: "leave".into() });
                    continue;
                }
                Some(Off::Leave(share)) => {
                    t.days_off.push(DayOff { date: d.to_string(), reason: "half-day leave".into() });
                    ((per_day as f64 * (1.0 - share)).round() as i64, Some("half-day leave".to_string()))
                }
                None if no_week.contains(&monday_of(d)) => (per_day, Some("no week log".to_string())),
                None => (per_day, None),
            };
            let have = logged.get(&d).copied().unwrap_or(0);
            t.working_days += 1;
            t.expected += expected;
            t.logged += have;
            if have < expected {
                t.missing += expected - have;
                t.short_days.push(ShortDay {
                    date: d.to_string(),
                    weekday: weekday_name(d).into(),
                    expected: duration(expected),
                    logged: duration(have),
                    missing: duration(expected - have),
                    note,
                });
            }
        }
        t
    }

    fn message(&self, span: &Span) -> String {
        let missing = duration(self.missing);
        if span.end < span.start {
            return format!("Nothing was counted: the range starts after today ({}).", span.end);
        }
        match self.short_days.len() {
            0 => format!("Every working day from {} to {} has its time logged.", span.start, span.end),
            n => format!(
                "{n} working day{} from {} to {} {} short by {} h {:02} min in all.",
                if n == 1 { "" } else { "s" },
                span.start,
                span.end,
                if n == 1 { "is" } else { "are" },
                missing.hours,
                missing.minutes
            ),
        }
    }
}

pub(super) async fn find_missing(ctx: Ctx, span: Span) -> Result<FindMissingLogsOutput> {
    let today = chrono::Local::now().date_naive();
    let counted = Span { start: span.start, end: span.end.min(today) };
    let week = ctx.config().work_week;
    let (mut logged, mut no_week, mut off, mut warnings) =
        (BTreeMap::new(), BTreeSet::new(), DaysOff::default(), Vec::new());
    if counted.end >= counted.start {
        let ((entries, missing_weeks), (days_off, read_warnings)) =
            futures::try_join!(entries(&ctx, &counted), days_off(&ctx, counted.start, counted.end))?;
        for e in entries {
            *logged.entry(e.date).or_default() += e.minutes;
        }
        (no_week, off, warnings) = (missing_weeks, days_off, read_warnings);
    }
    let t = Tally::count(&counted, week, &off, &logged, &no_week);
    let message = t.message(&counted);
    Ok(FindMissingLogsOutput {
        start_date: span.start.to_string(),
        end_date: span.end.to_string(),
        counted_until: counted.end.to_string(),
        hours_per_day: f64::from(week.minutes_per_day) / 60.0,
        working_days: week.day_names(),
        totals: GapTotals {
            working_days: t.working_days,
            short_days: t.short_days.len() as u32,
            expected: duration(t.expected),
            logged: duration(t.logged),
            missing: duration(t.missing),
        },
        short_days: t.short_days,
        days_off: t.days_off,
        message,
        warnings,
    })
}

/// `summarize_logs`, checked.
pub(crate) struct Summary {
    span: Span,
    group_by: GroupBy,
}

impl TryFrom<SummarizeLogsArgs> for Summary {
    type Error = CoreError;
    fn try_from(a: SummarizeLogsArgs) -> Result<Self> {
        Ok(Self { span: Span::parse(&a.start_date, &a.end_date)?, group_by: a.group_by })
    }
}

fn hours(minutes: i64) -> f64 {
    (minutes as f64 / 60.0 * 100.0).round() / 100.0
}

/// A markdown table cell: one line, no pipe.
fn cell(s: &str) -> String {
    s.replace(['|', '\n', '\r'], " ")
}

pub(super) async fn summarize(ctx: Ctx, q: Summary) -> Result<SummarizeLogsOutput> {
    let (entries, _) = entries(&ctx, &q.span).await?;
    // Label names from the catalogue, only when some entry came without one.
    let names: HashMap<i64, String> = if q.group_by == GroupBy::Label && entries.iter().any(|e| e.label.is_none()) {
        ctx.erp.labels().await?.into_iter().map(|l| (l.id, l.name)).collect()
    } else {
        HashMap::new()
    };
    let mut groups: BTreeMap<String, (i64, u32)> = BTreeMap::new();
    for e in &entries {
        let key = match q.group_by {
            GroupBy::Project => e.project.clone(),
            GroupBy::Label => e
                .label
                .clone()
                .or_else(|| e.label_id.and_then(|id| names.get(&id).cloned()))
                .or_else(|| e.label_id.map(|id| format!("label {id}")))
                .unwrap_or_else(|| "(no label)".into()),
            GroupBy::Day => e.date.to_string(),
            GroupBy::Week => monday_of(e.date).to_string(),
        };
        let g = groups.entry(key).or_default();
        g.0 += e.minutes;
        g.1 += 1;
    }
    let mut rows: Vec<SummaryRow> = groups
        .into_iter()
        .map(|(key, (minutes, entries))| SummaryRow { key, hours: hours(minutes), minutes, entries })
        .collect();
    if matches!(q.group_by, GroupBy::Project | GroupBy::Label) {
        rows.sort_by(|a, b| b.minutes.cmp(&a.minutes).then_with(|| a.key.cmp(&b.key)));
    }
    let total: i64 = rows.iter().map(|r| r.minutes).sum();
    let head = match q.group_by {
        GroupBy::Project => "Project",
        GroupBy::Label => "Label",
        GroupBy::Day => "Day",
        GroupBy::Week => "Week of",
    };
    let mut markdown = format!(
        "Time logged {} to {}, by {}\n\n| {head} | Hours | Entries |\n|---|---:|---:|\n",
        q.span.start,
        q.span.end,
        head.to_lowercase().trim_end_matches(" of")
    );
    for r in &rows {
        markdown.push_str(&format!("| {} | {:.2} | {} |\n", cell(&r.key), r.hours, r.entries));
    }
    markdown.push_str(&format!("| **Total** | **{:.2}** | {} |\n", hours(total), entries.len()));
    Ok(SummarizeLogsOutput {
        start_date: q.span.start.to_string(),
        end_date: q.span.end.to_string(),
        group_by: q.group_by,
        rows,
        total_hours: hours(total),
        total_minutes: total,
        markdown,
    })
}
