//! The `pathledger` command-line program: the server, administration, issuance and verification.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use pathledger_app::{demo, App, AppConfig, IssueOptions};
use pathledger_badges as badges;
use pathledger_signing::{Cryptosuite, DidKeyResolver};
use pathledger_store::{Kek, Recipient, StatusChange};
use serde_json::{json, Value};

/// Rows per `App::bulk_issue` call in `bulk-issue` (and its benchmark): ten store batches, so
/// within a call each batch is built while the one before it is written, and progress still
/// moves.
pub(crate) const BULK_CHUNK: usize = 10 * pathledger_store::BULK_BATCH_SIZE;

mod accounts_cmd;
mod bench;
mod case_import;
mod log_cmds;

/// mimalloc: the JSON-heavy paths (canonicalization, JSON-LD expansion, credential building)
/// allocate many small objects; see docs/PERFORMANCE.md for the measured effect.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Pathledger: credential and career-pathway ledger for educators.
#[derive(Parser)]
#[command(name = "pathledger", version, about)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Configuration shared by every command, read once.
#[derive(Args, Clone)]
struct Global {
    /// Database: a SQLite file (default `pathledger.db` in the data folder) or `postgres://…`.
    #[arg(long, env = "PATHLEDGER_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Folder for the SQLite database and the key-encryption key file.
    #[arg(long, env = "PATHLEDGER_DATA_DIR", global = true, default_value = ".")]
    data_dir: PathBuf,
    /// Key-encryption key (64 hex characters) for issuer keys at rest; default: `pathledger.kek` in the data folder, created on first run.
    #[arg(long, env = "PATHLEDGER_KEK", global = true, hide_env_values = true)]
    kek: Option<String>,
    /// Public base URL used in credentials, status lists and did:web (default: from the bind address).
    #[arg(long, env = "PATHLEDGER_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// The issuer (id) whose keys this deployment's host DID (`did:web:<public host>`, at
    /// `/.well-known/did.json`) carries; without it that URL answers 404.
    #[arg(long, env = "PATHLEDGER_HOST_ISSUER", global = true)]
    host_issuer: Option<String>,
    /// Outgoing mail server, e.g. `smtps://user:password@smtp.example:465` or
    /// `smtp://127.0.0.1:2525`; without it every message is written as an `.eml` file to
    /// `<data dir>/outbox/`.
    #[arg(
        long,
        env = "PATHLEDGER_SMTP_URL",
        global = true,
        hide_env_values = true
    )]
    smtp_url: Option<String>,
    /// The sender of the mail this deployment sends.
    #[arg(
        long,
        env = "PATHLEDGER_MAIL_FROM",
        global = true,
        default_value = "Pathledger <no-reply@pathledger.invalid>"
    )]
    mail_from: String,
    /// Log level filter (e.g. info, debug, pathledger_server=debug).
    #[arg(long, env = "PATHLEDGER_LOG", global = true, default_value = "info")]
    log_level: String,
}

/// `verify`'s check of a credential's inclusion in the log, offline or from a log server.
#[derive(Args, Clone, Default)]
struct InclusionOptions {
    /// Check each credential's inclusion with the bundle in FILE (from its credential page or
    /// `/api/v1/log/credentials/{id}/bundle`), without a database or a network.
    #[arg(long, value_name = "FILE", conflicts_with = "log")]
    proof: Option<PathBuf>,
    /// Fetch each credential's inclusion bundle from the log server at URL and check it.
    #[arg(long, value_name = "URL")]
    log: Option<String>,
    /// The log's verifier key (`<origin>+<id>+<key>`) the checkpoint must be signed by;
    /// without it the bundle's own key is used and the report says it was not pinned.
    #[arg(long, value_name = "VKEY")]
    log_key: Option<String>,
    /// A witness whose cosignature the checkpoint must carry (repeatable).
    #[arg(long = "witness-key", value_name = "VKEY")]
    witness_keys: Vec<String>,
}

/// Whom `serve` trusts besides its own issuers, and how it fetches other issuers' documents.
#[derive(Args, Clone, Default)]
struct VerificationOptions {
    /// A trust file: a JSON array of `{"id", "name", "url"?}` (repeatable).
    #[arg(long, value_name = "FILE")]
    trust_file: Vec<PathBuf>,
    /// A DCC issuer registry file, legacy format `{"meta", "registry": {DID: {"name", …}}}`
    /// (repeatable).
    #[arg(long, value_name = "FILE")]
    trust_registry: Vec<PathBuf>,
    /// Never fetch other issuers' documents: their credentials are "could not check".
    #[arg(long)]
    no_fetch: bool,
    /// A host whose documents may be fetched over plain http and from a private address
    /// (tests, a local conformance harness; repeatable).
    #[arg(long, value_name = "HOST")]
    fetch_allow_http: Vec<String>,
    /// An extra root certificate (PEM) for fetching, e.g. a test certificate authority.
    #[arg(long, value_name = "FILE")]
    fetch_root_ca: Vec<PathBuf>,
    /// A witness whose cosignatures of the log's checkpoints are kept and served: its
    /// verifier key `<name>+<id>+<base64 key>` (repeatable, or comma-separated in the
    /// environment).
    #[arg(
        long = "witness",
        value_name = "VKEY",
        env = "PATHLEDGER_WITNESSES",
        value_delimiter = ','
    )]
    witnesses: Vec<String>,
    /// Remind holders by mail this many days before a credential expires (0: never).
    #[arg(
        long,
        value_name = "DAYS",
        env = "PATHLEDGER_EXPIRY_REMINDER_DAYS",
        default_value_t = pathledger_app::notify::EXPIRY_REMINDER_DAYS
    )]
    expiry_reminder_days: u32,
}

impl VerificationOptions {
    fn trusted(&self) -> Result<Vec<pathledger_app::registry::TrustedIssuer>> {
        let mut out = Vec::new();
        for f in &self.trust_file {
            out.extend(pathledger_app::registry::load_trust_file(f)?);
        }
        for f in &self.trust_registry {
            out.extend(pathledger_app::registry::load_dcc_registry(f)?);
        }
        Ok(out)
    }

    fn fetch(&self) -> Result<pathledger_app::fetch::FetchConfig> {
        let mut c = pathledger_app::fetch::FetchConfig::enabled();
        c.enabled = !self.no_fetch;
        for h in &self.fetch_allow_http {
            c.http_hosts.insert(h.clone());
            c.private_hosts.insert(h.clone());
        }
        for f in &self.fetch_root_ca {
            c.root_certificates
                .push(std::fs::read(f).with_context(|| format!("reading {}", f.display()))?);
        }
        Ok(c)
    }

    fn witnesses(&self) -> Result<Vec<pathledger_log::NoteVerifier>> {
        self.witnesses
            .iter()
            .filter(|w| !w.trim().is_empty())
            .map(|w| {
                let v = pathledger_log::NoteVerifier::parse(w)
                    .map_err(|e| anyhow::anyhow!("--witness {w}: {e}"))?;
                if !v.is_cosigner() {
                    bail!("--witness {w}: not a cosignature key (type 0x04)");
                }
                Ok(v)
            })
            .collect()
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (creates the database, an issuer key and the demo data on first run).
    Serve {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, env = "PATHLEDGER_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Do not create the demo data on first run.
        #[arg(long)]
        no_demo: bool,
        #[command(flatten)]
        verification: VerificationOptions,
    },
    /// Create the database (and the demo data unless --no-demo), then exit.
    Init {
        #[arg(long)]
        no_demo: bool,
    },
    /// Organizations: create one ready to issue (its first administrator invited), list them.
    Org {
        #[command(subcommand)]
        action: accounts_cmd::OrgAction,
    },
    /// Invite a person to an organization by email with access roles (mailed; the link is
    /// printed too).
    Invite {
        /// Their email address (or use --roster).
        #[arg(required_unless_present = "roster", conflicts_with = "roster")]
        email: Option<String>,
        /// Access role: org_admin, issuer, assessor, verifier, educator (repeat for several;
        /// with --roster, for rows that name none; default educator).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Invite everyone on a roster: a CSV with email, name and roles columns, or a
        /// OneRoster 1.1 users.csv (teachers and aides, as educators).
        #[arg(long)]
        roster: Option<PathBuf>,
        /// Their name.
        #[arg(long, default_value = "")]
        name: String,
        /// Organization id (default: the first organization).
        #[arg(long)]
        org: Option<String>,
    },
    /// Issuer keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Career roles users endorse as, granted by the operator (org admins also grant them on
    /// the admin page and through the API). Granting and revoking are logged.
    Endorser {
        #[command(subcommand)]
        action: EndorserAction,
    },
    /// Members of an organization; deactivating an account deployment-wide (the operator's; org
    /// admins deactivate members of their own organization on the admin page and the API).
    Members {
        #[command(subcommand)]
        action: MembersAction,
    },
    /// API tokens for machines, for the operator (users manage their own at /api/v1/me/tokens).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Import definitions (our JSON bundle, or a CASE 1.0 CFPackage framework).
    Import {
        file: PathBuf,
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Export definitions as our JSON bundle or the framework as a CASE 1.0 CFPackage.
    Export {
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Issue one credential.
    Issue {
        #[arg(long)]
        achievement: String,
        /// Email, or educator:<id>.
        #[arg(long)]
        recipient: String,
        #[arg(long, default_value = "eddsa-jcs-2022")]
        suite: String,
        #[arg(long)]
        issuer: Option<String>,
        #[arg(long)]
        idempotency_key: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Issue many credentials from CSV (`achievement,recipient[,idempotency_key]`) or JSON lines.
    BulkIssue {
        file: PathBuf,
        #[arg(long)]
        issuer: Option<String>,
        #[arg(long, default_value = "eddsa-jcs-2022")]
        suite: String,
        /// Where to write one result per row (CSV).
        #[arg(long)]
        results: Option<PathBuf>,
    },
    /// Revoke a credential.
    Revoke {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Suspend a credential.
    Suspend {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reinstate a suspended credential.
    Reinstate {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Verify credential files (or every .json in a folder). Exit code: 0 all valid, else the worst verdict's code.
    Verify {
        paths: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        inclusion: InclusionOptions,
    },
    /// Witness a log: fetch its checkpoint, check that it extends the last one this witness
    /// cosigned (refusing a rollback or a fork), cosign it and hand the cosignature back.
    /// Exit code: 0 cosigned, 2 refused, 1 could not run.
    Witness {
        /// The log server, e.g. https://ledger.example.org.
        base_url: String,
        /// What this witness last cosigned (created on the first run).
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// The witness's Ed25519 seed, 64 hex digits (created, owner-only, when missing).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The witness's name in its cosignatures (no spaces or `+`), e.g. witness.example.org/w1.
        #[arg(long)]
        name: String,
        /// The log's verifier key to pin on the first run (otherwise the served one is pinned).
        #[arg(long, value_name = "VKEY")]
        log_key: Option<String>,
    },
    /// Send a test message through the configured mail delivery (SMTP, or the outbox) and say
    /// where it went.
    MailTest {
        /// Recipient address.
        #[arg(long)]
        to: String,
    },
    /// Check the transparency log against its stored signed heads.
    Audit {
        #[arg(long)]
        json: bool,
    },
    /// Export an educator's credentials as OB 3.0 files and a CLR 2.0 bundle.
    Wallet {
        /// Educator id or email.
        educator: String,
        #[arg(long, default_value = "wallet")]
        out: PathBuf,
    },
    /// Measure signing, verification, issuance, HTTP and pathway rates (use a release build).
    Bench {
        /// A few seconds instead of about half a minute.
        #[arg(long)]
        quick: bool,
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// List issuers and their keys.
    List,
    /// Generate a first key for an issuer.
    Generate { issuer: String },
    /// Rotate: a new key signs from now on; the old one stays for verification.
    Rotate { issuer: String },
}

#[derive(Subcommand)]
enum EndorserAction {
    /// Grant a user (id or sign-in email, a member of the organization) a career role to endorse as.
    Grant {
        /// User id or email.
        user: String,
        /// Career role id (e.g. role-master-mentor).
        role: String,
        #[arg(long)]
        org: Option<String>,
    },
    /// Revoke a grant by its id.
    Revoke {
        grant: String,
        #[arg(long)]
        org: Option<String>,
    },
    /// List an organization's active grants.
    List {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum MembersAction {
    /// List an organization's members: id, email, name, roles, active or not.
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Deactivate an account everywhere: its sessions end and its API tokens are revoked now.
    Deactivate { email: String },
    /// Reopen an account (roles an organization's admin removed stay theirs to restore).
    Reactivate { email: String },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token for a user; the secret is printed once and stored hashed.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        label: String,
        /// Days until it expires (none: it does not).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List a user's tokens (never their secrets).
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Case,
}

impl Global {
    fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("pathledger.db").display()))
    }

    fn is_sqlite_missing(&self) -> bool {
        let url = self.database_url();
        if url.starts_with("postgres") {
            return false;
        }
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        !Path::new(path.split('?').next().unwrap_or(path)).exists()
    }

    fn kek(&self) -> Result<Kek> {
        if let Some(hex) = &self.kek {
            return Kek::from_hex(hex.trim()).context("PATHLEDGER_KEK must be 64 hex characters");
        }
        let path = self.data_dir.join("pathledger.kek");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            return Kek::from_hex(text.trim())
                .with_context(|| format!("{}: not a key-encryption key", path.display()));
        }
        std::fs::create_dir_all(&self.data_dir).ok();
        let kek = Kek::generate().context("generating a key-encryption key")?;
        write_private(&path, kek.to_hex().as_bytes())?;
        Ok(kek)
    }

    fn mail_config(&self) -> Result<pathledger_app::mail::MailConfig> {
        let mailer = pathledger_app::mail::Mailer::new(self.smtp_url.as_deref(), &self.data_dir)
            .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
        Ok(pathledger_app::mail::MailConfig {
            mailer,
            from: self.mail_from.clone(),
        })
    }

    async fn app(&self, public_url: Option<String>) -> Result<App> {
        self.app_with(public_url, &VerificationOptions::default(), false)
            .await
    }

    /// The app, with `serve`'s trust registry and fetching (`fetch`: whether to fetch at all).
    async fn app_with(
        &self,
        public_url: Option<String>,
        verification: &VerificationOptions,
        fetch: bool,
    ) -> Result<App> {
        let mut fetch_config = verification.fetch()?;
        fetch_config.enabled &= fetch;
        let public_url = self
            .public_url
            .clone()
            .or(public_url)
            .unwrap_or_else(|| "http://127.0.0.1:8080".into());
        App::open(AppConfig {
            database_url: self.database_url(),
            kek: self.kek()?,
            public_url,
            trusted_issuers: verification.trusted()?,
            host_issuer: self.host_issuer.clone(),
            mail: self.mail_config()?,
            fetch: fetch_config,
        })
        .await
        .context("opening the database")
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cli.global.log_level)
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn default_org(app: &App, org: Option<String>) -> Result<String> {
    if let Some(o) = org {
        return Ok(o);
    }
    let orgs = app.store().organizations().await?;
    orgs.into_iter()
        .find(|o| o.parent_id.is_none())
        .map(|o| o.id.into_string())
        .context("no organization yet: create one with `pathledger org create \"NAME\" --admin EMAIL` (or `pathledger init` for the demo)")
}

async fn default_issuer(app: &App, issuer: Option<String>) -> Result<String> {
    if let Some(i) = issuer {
        return Ok(i);
    }
    let org = default_org(app, None).await?;
    let issuers = app.store().issuers(&org).await?;
    issuers
        .into_iter()
        .next()
        .map(|i| i.id)
        .context("the organization has no issuer")
}

fn parse_suite(s: &str) -> Result<Cryptosuite> {
    s.parse().map_err(|_| {
        anyhow::anyhow!("unknown --suite {s:?}: use eddsa-jcs-2022 or eddsa-rdfc-2022")
    })
}

fn parse_recipient(s: &str) -> Result<Recipient> {
    pathledger_app::parse_recipient(s).map_err(|e| anyhow::anyhow!("--recipient: {}", e.detail()))
}

/// A recipient from a bulk row; the message names no command-line flag (the row is not one).
fn row_recipient(s: &str) -> Result<Recipient, String> {
    pathledger_app::parse_recipient(s).map_err(|e| e.detail())
}

fn print_seed(seed: &demo::DemoSeed) {
    println!("Demo data created. Sign in at /login with one of these tokens (shown once):");
    for a in &seed.accounts {
        println!("  {:<42} {:<45} {}", a.email, a.roles, a.token);
    }
}

/// Award notices go out in the background: a command that issued waits for them before the
/// process ends (which would drop them), at most half a minute.
async fn wait_for_notices(app: &App) {
    if !app.notices_sent(std::time::Duration::from_secs(30)).await {
        eprintln!("some notices were not sent within 30 s (see the log)");
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let g = cli.global.clone();
    match cli.command {
        Command::Serve {
            bind,
            no_demo,
            verification,
        } => {
            let (listener, local) = pathledger_server::bind(bind)
                .await
                .with_context(|| format!("binding {bind}"))?;
            let witnesses = verification.witnesses()?;
            let app = g
                .app_with(Some(format!("http://{local}")), &verification, true)
                .await?;
            app.set_witnesses(witnesses);
            if !no_demo {
                if let Some(seed) = demo::seed_demo(&app).await? {
                    print_seed(&seed);
                }
            }
            let mut config = pathledger_server::WebConfig::default();
            if app.store().organizations().await?.is_empty() {
                let code = pathledger_server::accounts::new_setup_code()
                    .context("making the setup code")?;
                tracing::warn!(setup_code = %code, "no organization yet: open /setup with this code, or run `pathledger org create`");
                println!(
                    "No organization yet. Open {}/setup and enter the setup code {code} (it works once), or run `pathledger org create \"NAME\" --admin EMAIL`.",
                    app.public_url()
                );
                config.setup_code = Some(code);
            }
            println!("Pathledger is listening on http://{local}");
            std::io::stdout().flush().ok();
            // A head is signed within a second of any change, and once more at shutdown.
            let signer = app.spawn_head_signer(pathledger_app::HEAD_SIGNING_INTERVAL);
            // Keys rotated through another server sharing the database are known here within a
            // second too.
            let keys = app.spawn_key_follower(pathledger_app::KEY_FOLLOWING_INTERVAL);
            // Expiry reminders, once per credential and expiry date whichever server sends it.
            let reminders = (verification.expiry_reminder_days > 0).then(|| {
                app.spawn_expiry_reminders(
                    pathledger_app::notify::EXPIRY_REMINDER_INTERVAL,
                    verification.expiry_reminder_days,
                )
            });
            let served = tokio::select! {
                r = pathledger_server::serve_with(listener, app.clone(), config) => r.map_err(anyhow::Error::from),
                _ = shutdown_signal() => Ok(()),
            };
            signer.abort();
            keys.abort();
            if let Some(r) = reminders {
                r.abort();
            }
            if let Err(e) = app.sign_head_if_behind().await {
                tracing::warn!(error = %e, "could not sign the final tree head");
            }
            if !app.notices_sent(std::time::Duration::from_secs(5)).await {
                tracing::warn!("stopped with notices still unsent");
            }
            served?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { no_demo } => {
            let app = g.app(None).await?;
            if !no_demo {
                match demo::seed_demo(&app).await? {
                    Some(seed) => print_seed(&seed),
                    None => println!("The database already has data; nothing to do."),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Org { action } => {
            let app = g.app(None).await?;
            accounts_cmd::org(&app, action).await
        }
        Command::Invite {
            email,
            roles,
            roster,
            name,
            org,
        } => {
            let app = g.app(None).await?;
            let org = default_org(&app, org).await?;
            match (email, roster) {
                (_, Some(path)) => accounts_cmd::invite_roster(&app, org, &path, &roles).await,
                (Some(email), None) => accounts_cmd::invite(&app, org, &email, &name, &roles).await,
                (None, None) => bail!("name an email address or a --roster file"),
            }
        }
        Command::Keys { action } => {
            let app = g.app(None).await?;
            match action {
                KeysAction::List => {
                    for org in app.store().organizations().await? {
                        for issuer in app.store().issuers(&org.id).await? {
                            println!(
                                "{} ({}) — {}",
                                issuer.id,
                                issuer.name,
                                app.issuer_did(&issuer.id)
                            );
                            for k in app.store().issuer_keys(&issuer.id).await? {
                                println!(
                                    "  {} {} {}",
                                    k.id,
                                    if k.active { "active " } else { "retired" },
                                    hex::encode(k.public_key)
                                );
                            }
                        }
                    }
                }
                KeysAction::Generate { issuer } => {
                    let k = app.store().generate_issuer_key(&issuer).await?;
                    println!("generated key {} for {issuer}", k.id);
                }
                KeysAction::Rotate { issuer } => {
                    let k = app.rotate_issuer_key(&issuer).await?;
                    println!(
                        "rotated: {} now signs for {issuer}; earlier keys still verify",
                        k.id
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Endorser { action } => {
            use pathledger_app::endorsers;
            let app = g.app(None).await?;
            let detail = |e: pathledger_app::AppError| anyhow::anyhow!("{}", e.detail());
            match action {
                EndorserAction::Grant { user, role, org } => {
                    let org = default_org(&app, org).await?.into();
                    let user = endorsers::member_named(&app, &org, &user)
                        .await
                        .map_err(detail)?;
                    let g = endorsers::record_grant(&app, &org, &user, &role, None)
                        .await
                        .map_err(detail)?;
                    println!(
                        "granted {}: {} endorses as {} in {} (log entry {})",
                        g.id,
                        g.user_id,
                        g.role_id,
                        g.org_id,
                        g.log_index.unwrap_or_default()
                    );
                }
                EndorserAction::Revoke { grant, org } => {
                    let org = default_org(&app, org).await?.into();
                    let g = app.store().revoke_endorser(&org, &grant, None).await?;
                    println!(
                        "revoked {}: {} no longer endorses as {} (log entry {})",
                        g.id,
                        g.user_id,
                        g.role_id,
                        g.log_index.unwrap_or_default()
                    );
                }
                EndorserAction::List { org } => {
                    let org = default_org(&app, org).await?.into();
                    for g in app.store().endorser_grants(&org).await? {
                        let email = app
                            .store()
                            .user(&g.user_id)
                            .await
                            .map(|u| u.email)
                            .unwrap_or_default();
                        println!("{} {} {} {}", g.id, g.user_id, email, g.role_id);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Members { action } => {
            let app = g.app(None).await?;
            let store = app.store();
            match action {
                MembersAction::List { org } => {
                    let org = default_org(&app, org).await?.into();
                    for m in store.members(&org).await? {
                        let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            m.user_id,
                            m.email,
                            m.display_name,
                            roles.join(","),
                            if m.active { "active" } else { "deactivated" }
                        );
                    }
                }
                MembersAction::Deactivate { email } => {
                    let user = store.user_by_email(&email).await?;
                    store.deactivate_user(&user.id, None).await?;
                    println!(
                        "deactivated {} ({}): sessions ended, API tokens revoked",
                        user.email, user.id
                    );
                }
                MembersAction::Reactivate { email } => {
                    let user = store.user_by_email(&email).await?;
                    store.reactivate_user(&user.id, None).await?;
                    println!("reactivated {} ({})", user.email, user.id);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { action } => {
            let app = g.app(None).await?;
            let store = app.store();
            match action {
                TokenAction::Create {
                    user,
                    label,
                    expires_in_days,
                } => {
                    let user = store.user_by_email(&user).await?;
                    let expires_ms = expires_in_days.map(|d| {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX))
                            .unwrap_or(0);
                        now.saturating_add(i64::from(d).saturating_mul(86_400_000))
                    });
                    let t = store
                        .create_api_token(user.id.as_str(), &label, expires_ms)
                        .await?;
                    eprintln!(
                        "token {} for {} (shown once, stored hashed):",
                        t.id, user.email
                    );
                    println!("{}", t.secret);
                }
                TokenAction::List { user } => {
                    let user = store.user_by_email(&user).await?;
                    for t in store.api_tokens_of_user(&user.id).await? {
                        println!(
                            "{}\t{}\tcreated {}\texpires {}\t{}",
                            t.id,
                            t.label,
                            t.created_ms,
                            t.expires_ms.map_or("never".to_owned(), |e| e.to_string()),
                            if t.revoked_ms.is_some() {
                                "revoked"
                            } else {
                                "active"
                            }
                        );
                    }
                }
                TokenAction::Revoke { id } => {
                    store.revoke_api_token(&id).await?;
                    println!("revoked {id}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, org, format } => {
            let app = g.app(None).await?;
            let org = default_org(&app, org).await?;
            let text =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let value = pathledger_signing::parse_strict(&text).map_err(|e| {
                anyhow::anyhow!("{}:{}:{}: {}", file.display(), e.line, e.column, e.message)
            })?;
            let bundle = match format {
                Format::Json => value,
                Format::Case => {
                    let fw = pathledger_core::case::import_cfpackage(&value, &Default::default())
                        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    let defs = app.definitions(&org).await?;
                    let mut current = defs.to_value();
                    current["framework"] = case_import::merge(defs.framework(), &fw)?;
                    current
                }
            };
            let defs = app
                .put_definitions(&org, &bundle)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            println!(
                "imported into {org}: {} competencies, {} achievements, {} stacks, {} roles",
                defs.framework().competencies.len(),
                defs.achievements().len(),
                defs.stacks().len(),
                defs.roles().len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { org, format, out } => {
            let app = g.app(None).await?;
            let org = default_org(&app, org).await?;
            let defs = app.definitions(&org).await?;
            let value = match format {
                Format::Json => defs.to_value(),
                Format::Case => {
                    pathledger_core::case::export_cfpackage(defs.framework(), &Default::default())
                }
            };
            write_out(out.as_deref(), &serde_json::to_string_pretty(&value)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Issue {
            achievement,
            recipient,
            suite,
            issuer,
            idempotency_key,
            out,
        } => {
            let suite = parse_suite(&suite)?;
            let recipient = parse_recipient(&recipient)?;
            let app = g.app(None).await?;
            let issuer = default_issuer(&app, issuer).await?;
            let issued = app
                .issue(
                    &issuer,
                    &achievement,
                    recipient,
                    IssueOptions {
                        suite,
                        idempotency_key,
                        ..Default::default()
                    },
                )
                .await?;
            write_out(
                out.as_deref(),
                &serde_json::to_string_pretty(&issued.credential)?,
            )?;
            // This credential may complete a stack or reach a role: issue what that earns.
            for a in app.award_after(&issued).await {
                eprintln!(
                    "also awarded {} ({}): earned with this credential",
                    a.record.achievement_id, a.record.id
                );
            }
            app.sign_head_if_behind().await?;
            wait_for_notices(&app).await;
            Ok(ExitCode::SUCCESS)
        }
        Command::BulkIssue {
            file,
            issuer,
            suite,
            results,
        } => bulk_issue(&g, &file, issuer, &suite, results.as_deref()).await,
        Command::Revoke { id, reason } => status(&g, &id, StatusChange::Revoke, reason).await,
        Command::Suspend { id, reason } => status(&g, &id, StatusChange::Suspend, reason).await,
        Command::Reinstate { id, reason } => status(&g, &id, StatusChange::Reinstate, reason).await,
        Command::Verify {
            paths,
            json,
            inclusion,
        } => verify(&g, &paths, json, &inclusion).await,
        Command::Witness {
            base_url,
            state,
            key,
            name,
            log_key,
        } => {
            let key = log_cmds::load_or_create_key(&key)?;
            let me = pathledger_log::NoteVerifier::cosigner(&name, key.verifying_key())
                .map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let client = log_cmds::LogClient::new(&base_url)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            match log_cmds::witness_once(&client, &state, &key, &name, log_key.as_deref(), now)
                .await?
            {
                log_cmds::WitnessOutcome::Cosigned(size, new) => {
                    println!(
                        "cosigned tree size {size}{} as {}",
                        if new { "" } else { " (unchanged)" },
                        me.to_vkey()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                log_cmds::WitnessOutcome::Refused(why) => {
                    eprintln!("refused: {why}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::MailTest { to } => {
            let config = g.mail_config()?;
            let mail = pathledger_app::mail::Mail {
                to,
                subject: "Pathledger mail test".into(),
                text: "This message checks that this Pathledger deployment can send mail.\n".into(),
            };
            match config
                .mailer
                .send(&config.from, &mail)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?
            {
                pathledger_app::mail::Delivered::Smtp => println!("sent through the SMTP server"),
                pathledger_app::mail::Delivered::Outbox(p) => {
                    println!("written to the outbox: {}", p.display())
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { json } => {
            let app = g.app(None).await?;
            let report = app.store().audit().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if report.is_ok() {
                println!(
                    "log OK: {} entries and {} signed heads checked",
                    report.entries_checked, report.heads_checked
                );
            } else {
                // Print entry numbers as numbers, not as Rust `Some(3)`.
                let entry = |e: Option<u64>| e.map_or_else(|| "-".to_owned(), |n| n.to_string());
                println!(
                    "log FAILED audit; first bad entry: {}",
                    entry(report.first_bad_entry)
                );
                for p in &report.problems {
                    println!("  entry {}: {}", entry(p.entry), p.message);
                }
            }
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Wallet { educator, out } => wallet(&g, &educator, &out).await,
        Command::Bench { quick, json } => {
            let report = bench::run(quick).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", bench::table(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_out(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

async fn status(
    g: &Global,
    id: &str,
    change: StatusChange,
    reason: Option<String>,
) -> Result<ExitCode> {
    let app = g.app(None).await?;
    let out = app
        .change_status(id, change, reason.as_deref(), None)
        .await?;
    app.sign_head_if_behind().await?;
    println!(
        "{}: {} (log entry {})",
        out.credential.id,
        out.credential.status.as_str(),
        out.log_index
    );
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Exit code of a verdict: 0 for valid, a distinct non-zero code for each other verdict.
fn verdict_exit(code: &str) -> u8 {
    match code {
        "valid" => 0,
        "tampered" => 10,
        "revoked" => 11,
        "suspended" => 12,
        "expired" => 13,
        "not_yet_valid" => 14,
        "unknown_issuer" => 15,
        "malformed" => 16,
        "could_not_check" => 17,
        "unsupported_format" => 18,
        _ => 19,
    }
}

fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().is_some_and(|x| {
                        ["json", "jsonld", "jwt", "jws", "png", "svg"]
                            .iter()
                            .any(|e| x.eq_ignore_ascii_case(e))
                    })
                })
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        bail!("no credential files given");
    }
    Ok(files)
}

async fn verify(
    g: &Global,
    paths: &[PathBuf],
    as_json: bool,
    inclusion: &InclusionOptions,
) -> Result<ExitCode> {
    let files = collect_files(paths)?;
    let mut parsed: Vec<(PathBuf, Result<Value, String>)> = Vec::new();
    let mut raw: Vec<Vec<u8>> = Vec::new();
    for f in &files {
        let read = std::fs::read(f);
        raw.push(read.as_ref().map(Vec::clone).unwrap_or_default());
        let r = match read {
            // JSON, a signed token (.jwt/.jws), a link, or a baked PNG or SVG badge.
            Ok(bytes) => badges::read_input(&bytes).map_err(|e| match e {
                badges::InputError::Json {
                    message,
                    line,
                    column,
                } => format!("line {line}, column {column}: {message}"),
                other => other.to_string(),
            }),
            Err(e) => Err(format!("could not read the file: {e}")),
        };
        parsed.push((f.clone(), r));
    }
    let docs: Vec<Value> = parsed
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().cloned())
        .collect();
    // With a database here, our own issuers and status lists are known; otherwise verify offline.
    let reports = if g.is_sqlite_missing() {
        let verifier = badges::Verifier {
            resolver: &DidKeyResolver,
            fetcher: &badges::NoFetcher,
            trust: badges::TrustList::default(),
            now: None,
            check_schema: true,
        };
        verifier.verify_many(&docs)
    } else {
        g.app(None).await?.verify_many(&docs).await
    };
    let mut reports = reports.into_iter();
    let mut worst = 0u8;
    let mut out_json = Vec::new();
    let checker = log_cmds::InclusionChecker::new(
        inclusion.proof.as_deref(),
        inclusion.log.as_deref(),
        inclusion.log_key.as_deref(),
        &inclusion.witness_keys,
    )?;
    for ((f, r), bytes) in parsed.iter().zip(&raw) {
        let report = match r {
            Ok(_) => reports
                .next()
                .unwrap_or_else(|| badges::VerificationReport::malformed("not verified")),
            Err(msg) => {
                let mut rep = badges::VerificationReport::malformed(msg.clone());
                rep.message = format!("{}: {msg}", f.display());
                rep
            }
        };
        worst = worst.max(verdict_exit(report.verdict.code()));
        let log = match (&checker, r) {
            (Some(c), Ok(doc)) => Some(c.check(bytes, doc).await),
            _ => None,
        };
        if let Some(l) = &log {
            worst = worst.max(l.exit_code());
        }
        if as_json {
            let mut rep = report.to_json();
            rep["file"] = json!(f.display().to_string());
            if let Some(l) = &log {
                rep["log"] = l.to_json();
            }
            out_json.push(rep);
        } else {
            println!(
                "{:<50} {:<16} {}",
                f.display(),
                report.verdict.code(),
                report.message
            );
            if let Some(l) = &log {
                println!("  log: {}", l.sentence());
            }
        }
    }
    if as_json {
        if out_json.len() == 1 {
            println!("{}", serde_json::to_string_pretty(&out_json[0])?);
        } else {
            println!("{}", serde_json::to_string_pretty(&out_json)?);
        }
    }
    Ok(ExitCode::from(worst))
}

/// One parsed bulk-issue row: achievement, recipient, idempotency key.
type BulkRow = (String, Recipient, Option<String>);

async fn bulk_issue(
    g: &Global,
    file: &Path,
    issuer: Option<String>,
    suite: &str,
    results: Option<&Path>,
) -> Result<ExitCode> {
    let suite = parse_suite(suite)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut rows: Vec<(usize, Result<BulkRow, String>)> = Vec::new();
    let is_jsonl = file
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "ndjson");
    if is_jsonl {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r = pathledger_signing::parse_strict(line.as_bytes())
                .map_err(|e| format!("column {}: {}", e.column, e.message))
                .and_then(|v| {
                    let a = v
                        .get("achievement")
                        .and_then(Value::as_str)
                        .ok_or("missing field \"achievement\"")?
                        .to_owned();
                    let rc = v
                        .get("recipient")
                        .and_then(Value::as_str)
                        .ok_or("missing field \"recipient\"")?;
                    let rc = row_recipient(rc).map_err(|e| format!("field \"recipient\": {e}"))?;
                    Ok((
                        a,
                        rc,
                        v.get("idempotency_key")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    ))
                });
            rows.push((i + 1, r));
        }
    } else {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .with_context(|| format!("{}: reading the header row", file.display()))?
            .clone();
        let col = |n: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(n))
        };
        let (Some(ai), Some(ri)) = (col("achievement"), col("recipient")) else {
            bail!(
                "{}:1: the header row needs columns achievement,recipient",
                file.display()
            );
        };
        let ki = col("idempotency_key");
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let r = rec.map_err(|e| e.to_string()).and_then(|rec| {
                let a = rec.get(ai).unwrap_or("").trim().to_owned();
                if a.is_empty() {
                    return Err("field \"achievement\" is empty".to_owned());
                }
                let rc = row_recipient(rec.get(ri).unwrap_or(""))
                    .map_err(|e| format!("field \"recipient\": {e}"))?;
                Ok((
                    a,
                    rc,
                    ki.and_then(|k| rec.get(k))
                        .map(str::to_owned)
                        .filter(|s| !s.is_empty()),
                ))
            });
            rows.push((line, r));
        }
    }
    let app = g.app(None).await?;
    let issuer = default_issuer(&app, issuer).await?;
    let mut report = csv::Writer::from_writer(Vec::new());
    report.write_record(["line", "result", "credential_id", "message"])?;
    let total = rows.len();
    let mut failed = 0usize;
    let mut done = 0usize;
    let mut invited = 0usize;
    let mut invitations_failed = 0usize;
    for chunk in rows.chunks(BULK_CHUNK) {
        let mut good = Vec::new();
        let mut lines = Vec::new();
        for (line, r) in chunk {
            match r {
                Ok((a, rc, key)) => {
                    good.push((
                        a.clone(),
                        rc.clone(),
                        IssueOptions {
                            suite,
                            idempotency_key: key.clone(),
                            ..Default::default()
                        },
                    ));
                    lines.push(*line);
                }
                Err(msg) => {
                    failed += 1;
                    eprintln!("{}:{line}: {msg}", file.display());
                    report.write_record([
                        line.to_string(),
                        "error".into(),
                        String::new(),
                        msg.clone(),
                    ])?;
                }
            }
        }
        let results = app.bulk_issue(&issuer, good).await?;
        let (sent, not_sent) = pathledger_app::bulk::invitation_counts(&results);
        invited += sent;
        invitations_failed += not_sent;
        for (line, r) in lines.into_iter().zip(results) {
            match r {
                Ok(iss) => report.write_record([
                    line.to_string(),
                    if iss.replayed {
                        "replayed".into()
                    } else {
                        "issued".into()
                    },
                    iss.record.id,
                    String::new(),
                ])?,
                Err(e) => {
                    failed += 1;
                    eprintln!("{}:{line}: {e}", file.display());
                    report.write_record([
                        line.to_string(),
                        "error".into(),
                        String::new(),
                        e.to_string(),
                    ])?;
                }
            }
        }
        done += chunk.len();
        eprint!(
            "\r[{:<30}] {done}/{total}",
            "#".repeat(done * 30 / total.max(1))
        );
    }
    eprintln!();
    let bytes = report
        .into_inner()
        .map_err(|e| anyhow::anyhow!("writing results: {e}"))?;
    match results {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(&bytes)?,
    }
    app.sign_head_if_behind().await?;
    wait_for_notices(&app).await;
    eprintln!("{} issued, {failed} failed", total - failed);
    if invited + invitations_failed > 0 {
        eprintln!(
            "{invited} new educators invited by email, {invitations_failed} invitations not sent (see the log)"
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn wallet(g: &Global, educator: &str, out: &Path) -> Result<ExitCode> {
    let app = g.app(None).await?;
    let e = if educator.contains('@') {
        // Each organization keeps its own record of a person; an email names one only when a
        // single organization has it.
        let mut found = app.store().educators_with_email(educator).await?;
        match found.len() {
            0 => anyhow::bail!("no educator with email {educator}"),
            1 => found.remove(0),
            n => anyhow::bail!(
                "{n} organizations have an educator with email {educator} ({}); pass the educator id instead",
                found
                    .iter()
                    .map(|e| format!("{} in {}", e.id, e.org_id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    } else {
        app.store().educator(educator).await?
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let creds = app.store().credentials_for_educator(&e.id).await?;
    let mut docs = Vec::new();
    let mut names = Vec::new();
    for (i, c) in creds.iter().enumerate() {
        let name = format!(
            "{:03}-{}.json",
            i + 1,
            c.achievement_id
                .replace(|ch: char| !ch.is_ascii_alphanumeric() && ch != '-', "_")
        );
        std::fs::write(out.join(&name), &c.document)
            .with_context(|| format!("writing {}", out.join(&name).display()))?;
        docs.push(
            serde_json::from_str::<Value>(&c.document)
                .with_context(|| format!("stored credential {} is not JSON", c.id))?,
        );
        names.push(name);
    }
    // Every credential is written out, but the CLR bundles only those that verify now: one
    // revoked or expired credential inside would make the whole record fail verification.
    let reports = app.verify_many(&docs).await;
    let mut bundled = Vec::new();
    for ((doc, name), report) in docs.into_iter().zip(&names).zip(&reports) {
        if report.verdict == badges::Verdict::Valid {
            bundled.push(doc);
        } else {
            println!(
                "{name}: not in clr.json ({}): {}",
                report.verdict.code(),
                report.message
            );
        }
    }
    if bundled.is_empty() {
        println!(
            "wrote {} credentials to {}; none is currently valid, so no clr.json",
            creds.len(),
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let n_bundled = bundled.len();
    let clr = app.clr_for(&e, bundled).await?;
    std::fs::write(out.join("clr.json"), serde_json::to_string_pretty(&clr)?)
        .with_context(|| format!("writing {}", out.join("clr.json").display()))?;
    println!(
        "wrote {} credentials and clr.json ({n_bundled} valid credentials) to {}",
        creds.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
