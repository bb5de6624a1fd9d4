//! Communities of practice: the educators a viewer may see (by role reached, credential held,
//! or a search of names and specialties with near matches when nothing matches exactly), and
//! the profile each educator chooses to show there (school, years, how to reach them), which
//! is shown only with their opt-in.

use pathledger_core::Definitions;
use pathledger_store::{CommunityProfile, OrgId};

use crate::names;
use crate::{Actor, App, AppError};

/// Longest school or contact text kept.
pub const MAX_PROFILE_TEXT: usize = 200;

/// One educator as a community lists them.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Educator id.
    pub educator_id: String,
    /// Their name.
    pub name: String,
    /// The roles they have reached (names): their specialties.
    pub roles: Vec<String>,
    /// Their currently valid credentials as (credential id, achievement name).
    pub credentials: Vec<(String, String)>,
    /// School, years and contact: only when the educator chose to show them.
    pub profile: Option<CommunityProfile>,
}

/// What a search asks: a role reached, a credential held, words for names and specialties
/// (each may be absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct Search<'a> {
    pub role: Option<&'a str>,
    pub credential: Option<&'a str>,
    pub words: Option<&'a str>,
}

/// A search's answer: exact matches, or, when there are none, near ones (`near`).
#[derive(Debug, Clone)]
pub struct Found {
    pub members: Vec<Listed>,
    /// True when `members` are near matches of the words (nothing matched them exactly).
    pub near: bool,
}

/// Everything a search's words are compared with: the name, roles reached and credentials.
fn haystack(m: &Listed) -> String {
    let mut s = m.name.clone();
    for r in &m.roles {
        s.push(' ');
        s.push_str(r);
    }
    for (_, c) in &m.credentials {
        s.push(' ');
        s.push_str(c);
    }
    s
}

/// The educators of `org` that `viewer` may see (public ones; for members of `org`, also those
/// visible within it), filtered by `search`.
pub async fn search(
    app: &App,
    viewer: Option<&Actor>,
    org: &OrgId,
    defs: &Definitions,
    search: Search<'_>,
) -> Result<Found, AppError> {
    let mut all = Vec::new();
    for eid in crate::me::community_educators(app, viewer, org).await? {
        let Ok(e) = app.store().educator(&eid).await else {
            continue;
        };
        let Ok((state, held)) = app.educator_state(&eid).await else {
            continue;
        };
        let eval = defs.evaluate(&state);
        if let Some(role) = search.role {
            if !eval.role(role).is_some_and(|r| r.met) {
                continue;
            }
        }
        let valid: Vec<&pathledger_store::CredentialRecord> = held
            .iter()
            .filter(|(_, r)| r.verdict == pathledger_badges::Verdict::Valid)
            .map(|(c, _)| c)
            .collect();
        if let Some(ach) = search.credential {
            if !valid.iter().any(|c| c.achievement_id == ach) {
                continue;
            }
        }
        let credentials = valid
            .iter()
            .map(|c| {
                let name = defs
                    .achievement(&c.achievement_id)
                    .map(|a| a.name.as_str())
                    .unwrap_or(&c.achievement_id);
                (c.id.clone(), name.to_owned())
            })
            .collect();
        let roles = eval
            .roles
            .iter()
            .filter(|r| r.met)
            .filter_map(|r| defs.role(r.role.as_str()).map(|d| d.name.clone()))
            .collect();
        let profile = app.store().community_profile(&eid).await?;
        all.push(Listed {
            educator_id: eid,
            name: e.display_name,
            roles,
            credentials,
            // Consent: nothing of the profile leaves here unless the educator shares it.
            profile: profile.shared.then_some(profile),
        });
    }
    let Some(words) = search.words.map(str::trim).filter(|w| !w.is_empty()) else {
        return Ok(Found {
            members: all,
            near: false,
        });
    };
    let exact: Vec<Listed> = all
        .iter()
        .filter(|m| names::matches(words, &haystack(m)))
        .cloned()
        .collect();
    if !exact.is_empty() {
        return Ok(Found {
            members: exact,
            near: false,
        });
    }
    Ok(Found {
        members: all
            .into_iter()
            .filter(|m| names::near(words, &haystack(m)))
            .collect(),
        near: true,
    })
}

/// What an educator types into their community profile form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProfileInput {
    /// Educator id (one of the caller's own records).
    pub educator: String,
    #[serde(default)]
    pub school: String,
    /// Years of experience, as typed.
    #[serde(default)]
    pub years: String,
    #[serde(default)]
    pub contact: String,
    /// The opt-in: present (any value) when ticked.
    #[serde(default)]
    pub shared: Option<String>,
}

fn optional_text(field: &str, s: &str) -> Result<Option<String>, AppError> {
    let s = s.trim();
    if s.chars().count() > MAX_PROFILE_TEXT {
        return Err(AppError::invalid(
            field,
            format!("keep it under {MAX_PROFILE_TEXT} characters"),
        ));
    }
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

/// Reads and checks a profile form into the profile to store.
pub fn parse_profile(input: &ProfileInput) -> Result<CommunityProfile, AppError> {
    let years = match input.years.trim() {
        "" => None,
        y => match y.parse::<i64>() {
            Ok(n) if (0..=70).contains(&n) => Some(n),
            _ => {
                return Err(AppError::invalid(
                    "years",
                    "give whole years of experience, from 0 to 70",
                ))
            }
        },
    };
    Ok(CommunityProfile {
        school: optional_text("school", &input.school)?,
        years,
        contact: optional_text("contact", &input.contact)?,
        shared: input.shared.is_some(),
    })
}

/// Sets an educator's community profile: their own choice, so only the educator may.
pub async fn set_profile(
    app: &App,
    actor: &Actor,
    input: &ProfileInput,
) -> Result<CommunityProfile, AppError> {
    let own = actor
        .educators(app)
        .await?
        .into_iter()
        .find(|e| e.id.as_str() == input.educator.trim());
    let Some(e) = own else {
        tracing::warn!(user = %actor.user.id, educator = %input.educator, "community profile refused: not the educator");
        return Err(AppError::forbidden());
    };
    let profile = parse_profile(input)?;
    app.store()
        .set_community_profile(e.id.as_str(), &profile)
        .await?;
    tracing::info!(educator = %e.id, shared = profile.shared, "community profile set");
    Ok(profile)
}

/// The caller's own educator records with their profiles and visibility, for their form.
pub async fn own_profiles(
    app: &App,
    actor: &Actor,
) -> Result<Vec<(pathledger_store::Educator, CommunityProfile)>, AppError> {
    let mut out = Vec::new();
    for e in actor.educators(app).await? {
        let p = app.store().community_profile(e.id.as_str()).await?;
        out.push((e, p));
    }
    Ok(out)
}
