//! Dates for display. Areas get the time as `Context::now_ms` (milliseconds
//! since the Unix epoch, UTC) and store the same; this turns it into text
//! without pulling a date crate into every component.

/// `YYYY-MM-DD HH:MM UTC` from milliseconds since the Unix epoch.
///
/// ```
/// assert_eq!(portico_sdk::time::format_utc(1_795_955_400_000), "2026-11-29 12:30 UTC");
/// ```
pub fn format_utc(ms: u64) -> String {
    let (year, month, day) = civil_date(ms / 86_400_000);
    let secs = ms / 1000;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

/// `YYYY-MM-DD` from milliseconds since the Unix epoch.
pub fn format_date(ms: u64) -> String {
    let (year, month, day) = civil_date(ms / 86_400_000);
    format!("{year:04}-{month:02}-{day:02}")
}

/// (year, month, day) of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            format_utc(951_782_400_000),
            "2000-02-29 00:00 UTC",
            "leap day"
        );
        assert_eq!(format_utc(1_795_955_400_000), "2026-11-29 12:30 UTC");
        assert_eq!(format_date(1_795_955_400_000), "2026-11-29");
    }
}
