//! Date-time parsing and formatting for credential fields (`validFrom`, `validUntil`, `created`).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses an XML Schema / RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`).
///
/// Credentials without an offset are ambiguous across time zones, so they are rejected.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Formats as `YYYY-MM-DDThh:mm:ssZ` in UTC, whole seconds: the form every verifier accepts.
pub fn format(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A date for people in messages, e.g. `1 January 2029, 00:00 UTC` (the verify pages and
/// rosters show these sentences as they are).
pub fn human(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {} {}, {:02}:{:02} UTC",
        t.day(),
        t.month(),
        t.year(),
        t.hour(),
        t.minute()
    )
}
