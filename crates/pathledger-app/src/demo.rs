//! The ready demo: a district with schools, an issuer key, the default framework and pathways,
//! staff in every role, and sample educators holding real signed credentials at several stages.

use pathledger_core::Definitions;
use pathledger_store::{AccessRole, CommunityVisibility, NewEducator, Recipient, StatusChange};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{App, AppError, IssueOptions};

const DEMO: &str = include_str!("../../../data/demo/demo.json");

/// The demo's credentials are seeded, not earned today: no invitation or award notice goes to
/// its sample people.
fn seeded() -> IssueOptions {
    IssueOptions {
        mail_people: false,
        ..IssueOptions::default()
    }
}

#[derive(Deserialize)]
struct Demo {
    organization: OrgSpec,
    schools: Vec<String>,
    issuer: String,
    staff: Vec<StaffSpec>,
    educators: Vec<EducatorSpec>,
    other_organization: OtherOrg,
}

#[derive(Deserialize)]
struct OrgSpec {
    name: String,
    kind: String,
}

#[derive(Deserialize)]
struct StaffSpec {
    email: String,
    name: String,
    roles: Vec<String>,
    /// Career roles an org admin granted this account to endorse as (e.g. the mentor's).
    #[serde(default)]
    endorser_roles: Vec<String>,
}

#[derive(Deserialize)]
struct EducatorSpec {
    email: String,
    name: String,
    #[serde(default)]
    community_visibility: CommunityVisibility,
    holdings: Vec<String>,
    #[serde(default)]
    years_experience: f64,
    #[serde(default)]
    endorsements: Vec<Value>,
    #[serde(default)]
    rotations: Vec<String>,
}

#[derive(Deserialize)]
struct OtherOrg {
    name: String,
    kind: String,
    issuer: String,
    staff: Vec<StaffSpec>,
    educators: Vec<EducatorSpec>,
}

/// A demo account and its sign-in token (shown once, at seeding).
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// Email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Roles and organization, for the printout.
    pub roles: String,
    /// API token / sign-in token.
    pub token: String,
    /// Organization id.
    pub org_id: String,
    /// Educator id, for educator accounts.
    pub educator_id: Option<String>,
    /// User id (e.g. to assign a submission to this assessor).
    pub user_id: String,
}

/// What the demo created.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// The district.
    pub org_id: String,
    /// Its issuer.
    pub issuer_id: String,
    /// The second, unrelated organization.
    pub other_org_id: String,
    /// Its issuer.
    pub other_issuer_id: String,
    /// Every account with its token.
    pub accounts: Vec<DemoAccount>,
    /// Sample credential ids by state: valid, revoked, expired.
    pub samples: Vec<(String, String)>,
}

fn parse_role(s: &str) -> Result<AccessRole, AppError> {
    AccessRole::parse(s).map_err(AppError::from)
}

async fn staff(
    app: &App,
    org_id: &str,
    org_name: &str,
    specs: &[StaffSpec],
    out: &mut Vec<DemoAccount>,
) -> Result<(), AppError> {
    let store = app.store();
    for s in specs {
        let user = store.create_user(&s.email, &s.name, None).await?;
        for r in &s.roles {
            store
                .grant_role(&user.id, &org_id.into(), parse_role(r)?)
                .await?;
        }
        for r in &s.endorser_roles {
            crate::endorsers::record_grant(app, &org_id.into(), &user.id, r, None).await?;
        }
        let token = store.create_api_token(&user.id, "demo", None).await?;
        let endorses = if s.endorser_roles.is_empty() {
            String::new()
        } else {
            format!(" (endorses as {})", s.endorser_roles.join(", "))
        };
        out.push(DemoAccount {
            email: s.email.clone(),
            name: s.name.clone(),
            roles: format!("{} at {org_name}{endorses}", s.roles.join(", ")),
            token: token.secret,
            org_id: org_id.to_owned(),
            educator_id: None,
            user_id: user.id.to_string(),
        });
    }
    Ok(())
}

async fn educators(
    app: &App,
    org_id: &str,
    org_name: &str,
    issuer_id: &str,
    specs: &[EducatorSpec],
    out: &mut Vec<DemoAccount>,
) -> Result<Vec<(String, String)>, AppError> {
    let store = app.store();
    let mut issued = Vec::new();
    for e in specs {
        let educator = store
            .create_educator(NewEducator {
                org_id: org_id.to_owned(),
                display_name: e.name.clone(),
                emails: vec![e.email.clone()],
                community_visibility: e.community_visibility,
                ..Default::default()
            })
            .await?;
        let user = store
            .create_user(&e.email, &e.name, Some(&educator.id))
            .await?;
        store
            .grant_role(&user.id, &org_id.into(), AccessRole::Educator)
            .await?;
        let token = store.create_api_token(&user.id, "demo", None).await?;
        if e.years_experience > 0.0 {
            store
                .add_fact(
                    &educator.id,
                    "experience",
                    &json!({"years": e.years_experience}),
                    None,
                )
                .await?;
        }
        for r in &e.rotations {
            store
                .add_fact(&educator.id, "rotation", &json!({"role": r}), None)
                .await?;
        }
        for en in &e.endorsements {
            store
                .add_fact(&educator.id, "endorsement", en, None)
                .await?;
        }
        for h in &e.holdings {
            let out = app
                .issue(
                    issuer_id,
                    h,
                    Recipient::Educator(educator.id.to_string()),
                    seeded(),
                )
                .await?;
            issued.push((educator.id.to_string(), out.record.id));
        }
        out.push(DemoAccount {
            email: e.email.clone(),
            name: e.name.clone(),
            roles: format!("educator at {org_name}"),
            token: token.secret,
            org_id: org_id.to_owned(),
            educator_id: Some(educator.id.to_string()),
            user_id: user.id.to_string(),
        });
    }
    Ok(issued)
}

/// Seeds the demo unless the database already holds an organization. Returns what was made.
/// A demo organization's logo (its initials on a rounded square) and SVG images for its first
/// few achievements, so the demo's credentials carry images and its pages show them.
async fn demo_images(
    app: &App,
    org_id: &str,
    org_name: &str,
    defs: &Definitions,
) -> Result<(), AppError> {
    use pathledger_store::{ImageSubject, NewImage};
    let svg = |text: String| NewImage::Hosted {
        media_type: "image/svg+xml".into(),
        bytes: text.into_bytes(),
    };
    let initials = pathledger_badges::emblem::initials(org_name);
    let logo = format!(
        concat!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"120\" height=\"120\" viewBox=\"0 0 120 120\">",
            "<rect x=\"4\" y=\"4\" width=\"112\" height=\"112\" rx=\"22\" fill=\"#0b5cad\"/>",
            "<path d=\"M20 92 L60 28 L100 92 Z\" fill=\"#f5a623\" opacity=\"0.9\"/>",
            "<text x=\"60\" y=\"84\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"34\" font-weight=\"bold\" fill=\"#0d2847\">{}</text>",
            "</svg>"
        ),
        initials
    );
    let store = app.store();
    store
        .put_image(org_id, &ImageSubject::Logo, &svg(logo))
        .await?;
    for a in defs.achievements().iter().take(4) {
        store
            .put_image(
                org_id,
                &ImageSubject::Achievement(a.id.as_str().to_owned()),
                &svg(pathledger_badges::emblem_svg(&a.name)),
            )
            .await?;
    }
    Ok(())
}

pub async fn seed_demo(app: &App) -> Result<Option<DemoSeed>, AppError> {
    let store = app.store();
    if !store.organizations().await?.is_empty() {
        return Ok(None);
    }
    let demo: Demo =
        serde_json::from_str(DEMO).map_err(|e| AppError::Build(format!("demo data: {e}")))?;
    let defs = Definitions::default_data().map_err(|e| AppError::Definitions(e.to_string()))?;
    let bundle = defs.to_value();

    let org = store
        .create_organization(&demo.organization.name, &demo.organization.kind, None)
        .await?;
    for s in &demo.schools {
        store
            .create_organization(s, "school", Some(&org.id))
            .await?;
    }
    let issuer = store.create_issuer(&org.id, &demo.issuer, None).await?;
    store.generate_issuer_key(&issuer.id).await?;
    let other = store
        .create_organization(
            &demo.other_organization.name,
            &demo.other_organization.kind,
            None,
        )
        .await?;
    let other_issuer = store
        .create_issuer(&other.id, &demo.other_organization.issuer, None)
        .await?;
    store.generate_issuer_key(&other_issuer.id).await?;
    app.reload_keys().await?;
    app.put_definitions(&org.id, &bundle).await?;
    app.put_definitions(&other.id, &bundle).await?;
    demo_images(app, &org.id, &org.name, &defs).await?;
    demo_images(app, &other.id, &other.name, &defs).await?;

    let mut accounts = Vec::new();
    staff(app, &org.id, &org.name, &demo.staff, &mut accounts).await?;
    let issued = educators(
        app,
        &org.id,
        &org.name,
        &issuer.id,
        &demo.educators,
        &mut accounts,
    )
    .await?;
    staff(
        app,
        &other.id,
        &other.name,
        &demo.other_organization.staff,
        &mut accounts,
    )
    .await?;
    educators(
        app,
        &other.id,
        &other.name,
        &other_issuer.id,
        &demo.other_organization.educators,
        &mut accounts,
    )
    .await?;

    // Sample educators who completed a stack or reached a role hold what that earns, as they
    // would had their credentials been issued one by one (before the short-lived samples below,
    // which must not count toward anything).
    for a in &accounts {
        if let Some(educator_id) = &a.educator_id {
            app.award_earned_with(educator_id, false).await?;
        }
    }

    // One revoked and one expired credential, so verification shows more than "valid".
    let mut samples = Vec::new();
    if let Some((educator_id, valid_id)) = issued.first() {
        samples.push(("valid".to_owned(), valid_id.clone()));
        let revoked = app
            .issue(
                &issuer.id,
                "mc-tools-2",
                Recipient::Educator(educator_id.clone()),
                seeded(),
            )
            .await?;
        app.change_status(
            &revoked.record.id,
            StatusChange::Revoke,
            Some("Issued in error (demo)"),
            None,
        )
        .await?;
        samples.push(("revoked".to_owned(), revoked.record.id));
        // The store stamps validFrom when the transaction runs, after we pick validUntil; leave it
        // room (a validUntil before validFrom is refused), widening the margin on a slow machine.
        let mut expired = None;
        for margin_ms in [1_000, 10_000] {
            match app
                .issue(
                    &issuer.id,
                    "mc-student-management-1",
                    Recipient::Educator(educator_id.clone()),
                    IssueOptions {
                        valid_until: Some(
                            time::OffsetDateTime::now_utc()
                                + time::Duration::milliseconds(margin_ms),
                        ),
                        ..seeded()
                    },
                )
                .await
            {
                Ok(issued) => {
                    expired = Some(issued);
                    break;
                }
                Err(AppError::Build(msg)) if margin_ms < 10_000 => {
                    tracing::warn!(%msg, "demo expired sample: retrying with a wider margin");
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(expired) = expired {
            samples.push(("expired".to_owned(), expired.record.id));
        }
    }
    // The seeded log gets its signed head at once: there is one to hold the operator to.
    app.sign_head_if_behind().await?;
    Ok(Some(DemoSeed {
        org_id: org.id.into_string(),
        issuer_id: issuer.id,
        other_org_id: other.id.into_string(),
        other_issuer_id: other_issuer.id,
        accounts,
        samples,
    }))
}
