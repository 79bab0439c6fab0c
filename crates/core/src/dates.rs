//! Dates and numbers as the tools and the ERP write them: strict `YYYY-MM-DD`
//! arguments, Mondays, the ERP's "Mon, Jan 05" form, and numbers that may be
//! strings.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde_json::Value;

use crate::error::{CoreError, Result};

/// Parse a tool argument that must be exactly `YYYY-MM-DD`.
pub fn parse_date(arg: &str, value: &str) -> Result<NaiveDate> {
    let b = value.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(CoreError::invalid(format!(
            "{arg} must be a date in YYYY-MM-DD form, got {}.",
            crate::error::shown(value)
        )));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| CoreError::invalid(format!("{arg} is not a real calendar date: {}.", crate::error::shown(value))))
}

/// Parse a tool argument that must be a Monday in `YYYY-MM-DD` form.
pub fn parse_monday(arg: &str, value: &str) -> Result<NaiveDate> {
    let d = parse_date(arg, value)?;
    if d.weekday() != Weekday::Mon {
        return Err(CoreError::invalid(format!(
            "{arg} must be a Monday, got {value} ({}); the week containing it starts on {}.",
            weekday_name(d),
            monday_of(d)
        )));
    }
    Ok(d)
}

/// `start_date`..=`end_date` as tool arguments: both strict dates, in order, at
/// most `max_days` long; `too_long` finishes the sentence when it is longer
/// (e.g. "Ask for a shorter range.").
pub fn parse_range(start: &str, end: &str, max_days: i64, too_long: &str) -> Result<(NaiveDate, NaiveDate)> {
    let start = parse_date("start_date", start)?;
    let end = parse_date("end_date", end)?;
    if end < start {
        return Err(CoreError::invalid(format!("end_date ({end}) must be on or after start_date ({start}).")));
    }
    let days = (end - start).num_days() + 1;
    if days > max_days {
        return Err(CoreError::invalid(format!("end_date: the range spans {days} days; {too_long}")));
    }
    Ok((start, end))
}

/// The first and last day of a month given as tool arguments `year` and `month`.
pub fn month_span(year: i32, month: u32) -> Result<(NaiveDate, NaiveDate)> {
    if !(1..=12).contains(&month) {
        return Err(CoreError::invalid(format!("month must be 1 to 12, got {month}.")));
    }
    if !(1970..=2100).contains(&year) {
        return Err(CoreError::invalid(format!("year must be a four-digit year between 1970 and 2100, got {year}.")));
    }
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("checked");
    let next = if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { first.with_month(month + 1) };
    Ok((first, next.expect("checked") - Duration::days(1)))
}

/// The Monday of `d`'s week (weeks run Monday to Sunday).
pub fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

/// English weekday name.
pub fn weekday_name(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Saturday or Sunday.
pub fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A `week_starting` from the ERP: ISO `2026-01-05`, or `Mon, Jan 05` whose year
/// is taken as the one that puts it nearest to `hint` (so a December Monday in a
/// January list lands in the year before).
pub fn parse_week_starting(s: &str, hint: NaiveDate) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    let rest = s.split_once(',').map(|(_, r)| r).unwrap_or(s).trim();
    let (mon, day) = rest.split_once(' ')?;
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let month = MONTHS.iter().position(|m| mon.trim().to_lowercase().starts_with(m))? as u32 + 1;
    let day: u32 = day.trim().parse().ok()?;
    [hint.year() - 1, hint.year(), hint.year() + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .min_by_key(|d| (*d - hint).num_days().abs())
}

/// An integer that may come as a number, a float with no fraction, or a numeric string.
pub fn value_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| s.trim().parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        _ => None,
    }
}

/// A number that may come as a number or a numeric string (e.g. DRF's `"2.50"`).
pub fn value_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Hours as a tool takes them, checked and turned into whole minutes
/// (rounded half to even, like the older server).
pub fn minutes_for_hours(arg: &str, hours: f64) -> Result<u32> {
    if !hours.is_finite() || hours <= 0.0 || hours > 24.0 {
        return Err(CoreError::invalid(format!("{arg} must be more than 0 and at most 24, got {hours}.")));
    }
    let minutes = (hours * 60.0).round_ties_even() as u32;
    if minutes < 1 {
        return Err(CoreError::invalid(format!(
            "{arg} is too small: {hours} h rounds to 0 minutes; the least is about 0.02 (1 minute)."
        )));
    }
    Ok(minutes)
}

/// `minutes` as a [`erp_proto::tools::Duration`].
pub fn duration(minutes: i64) -> erp_proto::tools::Duration {
    let minutes = minutes.max(0);
    erp_proto::tools::Duration {
        hours: (minutes / 60) as u32,
        minutes: (minutes % 60) as u32,
        decimal_hours: ((minutes as f64 / 60.0) * 100.0).round() / 100.0,
    }
}

/// Every day from `start` to `end`, both included (none when `end` is earlier).
pub fn days(start: NaiveDate, end: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    (0..=(end - start).num_days()).map(move |i| start + chrono::Duration::days(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn strict_dates_only() {
        assert!(parse_date("date", "2026-01-05").is_ok());
        for bad in ["20260105", "2026-W02-1", "2026-1-5", " 2026-01-05", "2026-02-30", "２０２６-01-05"] {
            let e = parse_date("date", bad).unwrap_err().to_string();
            assert!(e.starts_with("date "), "{bad}: {e}");
        }
    }

    #[test]
    fn monday_rule_names_the_argument_and_the_right_monday() {
        let e = parse_monday("week_starting", "2026-01-07").unwrap_err().to_string();
        assert!(
            e.contains("week_starting must be a Monday") && e.contains("Wednesday") && e.contains("2026-01-05"),
            "{e}"
        );
        assert_eq!(monday_of(d(2026, 1, 11)), d(2026, 1, 5));
        assert_eq!(monday_of(d(2026, 1, 1)), d(2025, 12, 29));
    }

    #[test]
    fn abbreviated_week_starting_across_new_year() {
        assert_eq!(parse_week_starting("Mon, Dec 29", d(2026, 1, 15)), Some(d(2025, 12, 29)));
        assert_eq!(parse_week_starting("Mon, Jan 5", d(2025, 12, 20)), Some(d(2026, 1, 5)));
        assert_eq!(parse_week_starting("2026-01-05", d(2000, 1, 1)), Some(d(2026, 1, 5)));
        assert_eq!(parse_week_starting("garbage", d(2026, 1, 1)), None);
    }

    #[test]
    fn hours_rules() {
        assert_eq!(minutes_for_hours("hours", 2.5).unwrap(), 150);
        assert_eq!(minutes_for_hours("hours", 24.0).unwrap(), 1440);
        assert_eq!(minutes_for_hours("hours", 1.15).unwrap(), 69);
        for bad in [0.0, -1.0, 24.01, f64::NAN, f64::INFINITY, 0.0083] {
            assert!(minutes_for_hours("hours", bad).unwrap_err().to_string().starts_with("hours "), "{bad}");
        }
    }

    #[test]
    fn numbers_or_strings() {
        use serde_json::json;
        assert_eq!(value_i64(&json!("42")), Some(42));
        assert_eq!(value_i64(&json!(8.0)), Some(8));
        assert_eq!(value_i64(&json!(8.5)), None);
        assert_eq!(value_f64(&json!("2.50")), Some(2.5));
    }
}
