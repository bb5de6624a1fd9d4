//! Wording for people: dates, names, verdicts, states. Pages word things through here, never
//! inline, so one change of wording reaches every page.

use pathledger_core::Definitions;
use pathledger_store::SubmissionState;

/// A time in milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC` (empty if out of range).
pub fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .map(|s| s.replace('T', " ").trim_end_matches('Z').to_owned() + " UTC")
        .unwrap_or_default()
}

/// The name of a kind from the definitions (a competency category, an achievement type, an
/// incentive kind) as pages show it: its name in the definitions, e.g. `TechnicalSkills`.
pub fn kind(k: &impl std::fmt::Debug) -> String {
    format!("{k:?}")
}

/// How far along a role is, e.g. `67% there` (`progress` from 0 to 1).
pub fn progress_there(progress: f64) -> String {
    format!("{:.0}% there", progress * 100.0)
}

/// Icon and label for a verdict code: distinct in color *and* shape, so color is never the only cue.
pub fn verdict_badge(code: &str) -> (&'static str, &'static str) {
    match code {
        "valid" => ("✔", "Valid"),
        "tampered" => ("✖", "Tampered or invalid signature"),
        "revoked" => ("⊘", "Revoked"),
        "suspended" => ("⏸", "Suspended"),
        "expired" => ("⌛", "Expired"),
        "not_yet_valid" => ("◷", "Not yet valid"),
        "unknown_issuer" => ("?", "Unknown issuer"),
        "malformed" => ("⚠", "Malformed"),
        "could_not_check" => ("…", "Could not check"),
        "unsupported_format" => ("◇", "Format not supported"),
        _ => ("•", "Unknown result"),
    }
}

/// The title of one check of a verification report.
pub fn check_title(check: &str) -> &str {
    match check {
        "well_formed" => "Well-formed credential",
        "schema" => "Matches the Open Badges schema",
        "proof" => "Signature",
        "issuer" => "Issuer known and trusted",
        "validity" => "Validity dates",
        "status" => "Revocation and suspension status",
        other => other,
    }
}

/// Icon and word for the status of one check.
pub fn check_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "passed" => ("✔", "Passed"),
        "failed" => ("✖", "Failed"),
        _ => ("–", "Not checked"),
    }
}

/// Where an evidence submission stands, in words.
pub fn state_word(s: SubmissionState) -> &'static str {
    match s {
        SubmissionState::Submitted => "Waiting for review",
        SubmissionState::Accepted => "Accepted",
        SubmissionState::Returned => "Returned with comments",
    }
}

/// The stable code of a submission state (data attributes and the API).
pub fn state_code(s: SubmissionState) -> &'static str {
    match s {
        SubmissionState::Submitted => "submitted",
        SubmissionState::Accepted => "accepted",
        SubmissionState::Returned => "returned",
    }
}

/// A role's name, or its id if the definitions do not know it.
pub fn role_name(defs: &Definitions, id: &str) -> String {
    defs.role(id)
        .map(|r| r.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// An achievement's name, or its id if the definitions do not know it.
pub fn achievement_name(defs: &Definitions, id: &str) -> String {
    defs.achievement(id)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// A name cut to `n` characters, with an ellipsis when cut.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// A short plain-language description of a requirement.
pub fn describe_condition(c: &pathledger_core::Condition) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// A signing key's state, in words.
pub fn key_state(retired: bool) -> &'static str {
    if retired {
        "retired (still verifies what it signed)"
    } else {
        "current"
    }
}

/// Where a role stands on the dashboard.
pub fn role_state(met: bool) -> &'static str {
    if met {
        "✔ reached"
    } else {
        "in progress"
    }
}

/// Whether an inclusion proof verified, in words.
pub fn proof_outcome(ok: bool) -> &'static str {
    if ok {
        "✔ proof verifies"
    } else {
        "✖ proof does not verify"
    }
}
