//! Wording for people: dates, names, verdicts, states. Pages word things through here, never
//! inline, so one change of wording reaches every page.

use pathledger_core::Definitions;
use pathledger_store::SubmissionState;

/// A time in milliseconds since the epoch as people read it: `6 December 2026, 14:05 UTC`
/// (empty if out of range). Times are shown in UTC, and say so.
pub fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| {
            format!(
                "{} {} {}, {:02}:{:02} UTC",
                t.day(),
                t.month(),
                t.year(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

/// A day as people read it: `6 December 2026` (empty if out of range).
pub fn day(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| format!("{} {} {}", t.day(), t.month(), t.year()))
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
/// Icons are characters the stock fonts have (DejaVu on Debian: no ⌛ or ⏸, which showed as empty boxes).
pub fn verdict_badge(code: &str) -> (&'static str, &'static str) {
    match code {
        "valid" => ("✔", "Valid"),
        "tampered" => ("✖", "Tampered or invalid signature"),
        "revoked" => ("⊘", "Revoked"),
        "suspended" => ("‖", "Suspended"),
        "expired" => ("◔", "Expired"),
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

/// A number with thousands separators, and cents only when there are any: `1,500`, `12.50`.
fn amount(v: f64) -> String {
    let cents = (v * 100.0).round() as i64;
    let (whole, frac) = (cents / 100, (cents % 100).abs());
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if whole < 0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac:02}")
    }
}

/// An incentive as people read it, with its period: `$1,500 stipend, once`, `$5,000 salary
/// increase a year`, `30 professional learning hours`.
pub fn describe_incentive(i: &pathledger_core::Incentive) -> String {
    use pathledger_core::{IncentiveKind as K, Period as P};
    let what = match i.kind {
        K::SalaryCredit => "salary increase",
        K::Stipend => "stipend",
        K::Hours => return format!("{} professional learning hours", amount(i.amount)),
    };
    let money = match i.currency.as_deref() {
        Some("USD") | None => format!("${}", amount(i.amount)),
        Some(c) => format!("{} {c}", amount(i.amount)),
    };
    let period = match i.period {
        Some(P::Once) => ", once",
        Some(P::Month) => " a month",
        Some(P::Year) => " a year",
        None => "",
    };
    format!("{money} {what}{period}")
}

/// A competency category in words (`technical skills`).
pub fn category_words(c: pathledger_core::Category) -> &'static str {
    use pathledger_core::Category as C;
    match c {
        C::Mindset => "mindset",
        C::Qualities => "qualities",
        C::AdaptiveSkills => "adaptive skills",
        C::TechnicalSkills => "technical skills",
    }
}

/// `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn article(word: &str) -> &'static str {
    if word
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c))
    {
        "an"
    } else {
        "a"
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A requirement as a sentence people read ("3 rotations: R&D, Integrator and Guide", "1
/// endorsement from a Master Mentor"), with names from the definitions, never its JSON.
pub fn describe_condition(defs: &Definitions, c: &pathledger_core::Condition) -> String {
    use pathledger_core::Condition as C;
    let all = |v: &[C]| {
        v.iter()
            .map(|c| describe_condition(defs, c))
            .collect::<Vec<_>>()
    };
    match c {
        C::AllOf(v) if v.is_empty() => "nothing more".into(),
        C::AllOf(v) => and_list(&all(v)),
        C::AnyOf(v) => format!("one of: {}", or_list(&all(v))),
        C::AtLeast { n, of } => format!("{n} of: {}", and_list(&all(of))),
        C::Credential(id) => achievement_name(defs, id.as_str()),
        C::Stack(id) => defs
            .stack(id.as_str())
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.as_str().to_owned()),
        C::CompetenciesInCategory { category, count } => format!(
            "{} in {}",
            plural(*count, "competency", "competencies"),
            category_words(*category)
        ),
        C::YearsExperience { min } => {
            if (*min - 1.0).abs() < f64::EPSILON {
                "1 year of experience".into()
            } else {
                format!("{min} years of experience")
            }
        }
        C::Endorsements {
            role,
            count,
            category,
            competency,
        } => {
            let role = role_name(defs, role.as_str());
            let mut s = if *count == 1 {
                format!("1 endorsement from {} {role}", article(&role))
            } else {
                format!("{count} endorsements, each from a different {role}")
            };
            if let Some(comp) = competency {
                let name = defs
                    .competency(comp.as_str())
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| comp.as_str().to_owned());
                s.push_str(&format!(" for {name}"));
            } else if let Some(cat) = category {
                s.push_str(&format!(" for {}", category_words(*cat)));
            }
            s
        }
        C::Rotations { roles, count } => {
            let names: Vec<String> = roles.iter().map(|r| role_name(defs, r.as_str())).collect();
            let n = count.unwrap_or(u32::try_from(names.len()).unwrap_or(u32::MAX));
            if usize::try_from(n).is_ok_and(|n| n >= names.len()) {
                format!(
                    "{}: {}",
                    plural(n, "rotation", "rotations"),
                    and_list(&names)
                )
            } else {
                format!(
                    "{} among {}",
                    plural(n, "rotation", "rotations"),
                    or_list(&names)
                )
            }
        }
    }
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

/// A credential's stored status, in words.
pub fn credential_status_word(status: &str) -> &'static str {
    match status {
        "active" => "Active",
        "revoked" => "Revoked",
        "suspended" => "Suspended",
        _ => "Unknown",
    }
}

/// One change between two versions of the definitions as a sentence: `Added achievement
/// “Data Practices 1”`, `Changed the criteria and description of achievement “Tools 1”`.
pub fn describe_change(c: &pathledger_app::framework_edit::Change) -> String {
    use pathledger_app::framework_edit::ChangeKind as K;
    let renamed = c
        .old_name
        .as_deref()
        .map(|o| format!(" (formerly “{o}”)"))
        .unwrap_or_default();
    match &c.kind {
        K::Added => format!("Added {} “{}”", c.item, c.name),
        K::Removed => format!("Removed {} “{}”", c.item, c.name),
        K::Changed(fields) => {
            let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
            format!(
                "Changed the {} of {} “{}”{renamed}",
                and_list(&fields),
                c.item,
                c.name
            )
        }
    }
}

/// The changes of a save as one notice: `Saved version 4: Added …; changed …`.
pub fn describe_changes(changes: &[pathledger_app::framework_edit::Change]) -> String {
    if changes.is_empty() {
        return "nothing changed".into();
    }
    // A notice stays short: the rest is on the comparison page.
    const SHOWN: usize = 6;
    let mut list: Vec<String> = changes.iter().take(SHOWN).map(describe_change).collect();
    if changes.len() > SHOWN {
        list.push(format!(
            "and {} more changes (compare the versions to see them all)",
            changes.len() - SHOWN
        ));
    }
    list.join("; ")
}

/// Where an educator stands on a role, in words: reached, passed, or how far along.
pub fn standing_words(s: pathledger_app::progress::RoleStanding) -> String {
    use pathledger_app::progress::RoleStanding as S;
    match s {
        S::Reached => "✔ reached".to_owned(),
        S::Passed => "✔ passed".to_owned(),
        S::Open { .. } => format!("{}% of the way", s.percent()),
    }
}

/// A certificate's parts held, e.g. `Career-Switcher On-Ramp: 3 of 6 parts`.
pub fn parts_held(name: &str, have: u32, total: u32) -> String {
    format!("{name}: {have} of {total} parts")
}

/// "Revoked on 6 December 2026, 14:05 UTC." (`status` is `revoked` or `suspended`).
pub fn status_change_sentence(status: &str, at_ms: i64) -> String {
    let word = match status {
        "suspended" => "Suspended",
        _ => "Revoked",
    };
    format!("{word} on {}.", date(at_ms))
}

/// A stable code for an email comparison (`matches`, `does_not_match`, `no_email`).
pub fn email_match_code(m: pathledger_badges::EmailMatch) -> &'static str {
    use pathledger_badges::EmailMatch;
    match m {
        EmailMatch::Matches => "matches",
        EmailMatch::DoesNotMatch => "does_not_match",
        _ => "no_email",
    }
}

/// What a verifier is told about the email they typed (never the address the credential holds).
pub fn email_match_sentence(m: pathledger_badges::EmailMatch, typed: &str) -> String {
    use pathledger_badges::EmailMatch;
    match m {
        EmailMatch::Matches => format!("✔ Yes: {typed} belongs to the holder of this credential."),
        EmailMatch::DoesNotMatch => format!(
            "✖ No: {typed} is not the email address this credential was issued to. Ask the applicant which address they used, or for proof that the credential is theirs."
        ),
        _ => "This credential names its holder by another kind of identifier, not an email address, so an email cannot be checked against it.".to_owned(),
    }
}

/// A day from an XML Schema date-time (`2026-12-06T…`): `6 December 2026`, or the text as
/// given when it does not parse.
pub fn day_text(text: &str) -> String {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| format!("{} {} {}", t.day(), t.month(), t.year()))
        .unwrap_or_else(|_| text.to_owned())
}

/// "You endorsed Jordan Rivera for Collaboration, as Master Mentor, on 6 December 2026."
pub fn endorsed_sentence(educator: &str, competency: &str, role: &str, at_ms: i64) -> String {
    format!(
        "You endorsed {educator} for {competency}, as {role}, on {}.",
        day(at_ms)
    )
}
