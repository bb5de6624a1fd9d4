//! Account commands: `org create` (an organization ready to issue, its first administrator
//! invited), `org list`, `invite` (people by email with access roles) and `enrollment`.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Subcommand;
use pathledger_app::accounts::{self, Invited};
use pathledger_app::mail::Delivered;
use pathledger_app::App;
use pathledger_store::OrgId;

#[derive(Subcommand)]
pub(crate) enum OrgAction {
    /// Create an organization with its issuer, signing key, the default framework and
    /// pathways, and invite its first administrator (admin and issuer roles) by email. The
    /// invitation link is printed too.
    Create {
        /// The organization's name, e.g. "Riverside Unified School District".
        name: String,
        /// The first administrator's email address.
        #[arg(long)]
        admin: String,
        /// The first administrator's name.
        #[arg(long, default_value = "")]
        admin_name: String,
        /// What kind of organization: district, preparation_program, school, charter_network.
        #[arg(long, default_value = "district")]
        kind: String,
    },
    /// List the organizations: id, name, kind, whether sign-ups are open.
    List,
}

fn print_invited(invited: &Invited) {
    let inv = &invited.invitation;
    let roles: Vec<&str> = inv.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "Invited {} as {} (invitation {}, expires in 7 days).",
        inv.email,
        roles.join(", "),
        inv.id
    );
    match &invited.delivered {
        Delivered::Smtp => println!("The invitation was sent through the SMTP server."),
        Delivered::Outbox(p) => {
            println!("The invitation was written to the outbox: {}", p.display())
        }
    }
    println!("Invitation link (works once): {}", invited.link);
}

pub(crate) async fn org(app: &App, action: OrgAction) -> Result<ExitCode> {
    match action {
        OrgAction::Create {
            name,
            admin,
            admin_name,
            kind,
        } => {
            let made = accounts::create_organization(app, &name, &kind, &admin, &admin_name)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            println!(
                "Created organization {} ({}) with issuer {} and its signing key.",
                made.org.name, made.org.id, made.issuer_id
            );
            print_invited(&made.invited);
        }
        OrgAction::List => {
            let store = app.store();
            for o in store.organizations().await? {
                let open = store.open_enrollment(&o.id).await?;
                println!(
                    "{}\t{}\t{}\t{}",
                    o.id,
                    o.name,
                    o.kind,
                    if open {
                        "sign-ups open"
                    } else {
                        "invitation only"
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `invite EMAIL --role R…`: the operator invites one person (recorded as the operator's).
pub(crate) async fn invite(
    app: &App,
    org: String,
    email: &str,
    name: &str,
    roles: &[String],
) -> Result<ExitCode> {
    let org_id = OrgId::from(org);
    let org = app
        .store()
        .organization(&org_id)
        .await
        .with_context(|| format!("organization {org_id}"))?;
    if roles.is_empty() {
        anyhow::bail!("name at least one --role (org_admin, issuer, assessor, verifier, educator)");
    }
    let roles = pathledger_app::members::parse_roles(roles)
        .map_err(|e| anyhow::anyhow!("--role: {}", e.detail()))?;
    let invited = accounts::send_invitation(app, &org, email, name, roles, None, None)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    print_invited(&invited);
    Ok(ExitCode::SUCCESS)
}

/// `invite --roster FILE`: everyone on a roster; each bad row is named by line and column and
/// nothing is sent for it. Exit 1 when some row had an error or could not be sent.
pub(crate) async fn invite_roster(
    app: &App,
    org: String,
    path: &std::path::Path,
    roles: &[String],
) -> Result<ExitCode> {
    let org_id = OrgId::from(org);
    let org = app
        .store()
        .organization(&org_id)
        .await
        .with_context(|| format!("organization {org_id}"))?;
    let defaults = if roles.is_empty() {
        vec![pathledger_store::AccessRole::Educator]
    } else {
        pathledger_app::members::parse_roles(roles)
            .map_err(|e| anyhow::anyhow!("--role: {}", e.detail()))?
    };
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let roster = pathledger_app::roster::parse_roster(&bytes, &defaults)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut failed = 0usize;
    for e in &roster.errors {
        eprintln!("{}: {e}", path.display());
    }
    for (line, why) in &roster.skipped {
        println!("line {line}: left out: {why}");
    }
    for row in roster.rows {
        match accounts::send_invitation(app, &org, &row.email, &row.name, row.roles, None, None)
            .await
        {
            Ok(inv) => println!(
                "line {}: invited {} ({})",
                row.line, inv.invitation.email, inv.invitation.id
            ),
            Err(e) => {
                failed += 1;
                eprintln!(
                    "{}: line {}: {} not invited: {}",
                    path.display(),
                    row.line,
                    row.email,
                    e.detail()
                );
            }
        }
    }
    Ok(if roster.errors.is_empty() && failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
