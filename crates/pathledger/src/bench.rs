//! `pathledger bench`: a fixed workload that measures our rates next to their baselines
//! (bare Ed25519, in-process verification), all in the same run on the same machine.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use ed25519_dalek::{Signer as _, Verifier as _};
use pathledger_app::{demo, App, AppConfig, IssueOptions};
use pathledger_core::{Definitions, EducatorState, Holding};
use pathledger_signing::{
    sign_document, verify_batch, verify_document, Cryptosuite, DidKeyResolver, ProofOptions,
    ProofOutcome, SigningKey,
};
use pathledger_store::scratch::AdminConnection;
use pathledger_store::{Kek, Recipient};
use pathledger_test_support::{Bytes, HttpClient, Method};
use serde_json::{json, Value};

/// Environment variable naming a PostgreSQL server for `bulk_issue_postgres`.
pub const POSTGRES_ENV: &str = "PATHLEDGER_TEST_POSTGRES_URL";

/// How much work each measurement does.
#[derive(Debug, Clone, Copy)]
struct Workload {
    /// Minimum time spent in each timed loop.
    min_time: Duration,
    /// Credentials verified in one `verify_batch` call.
    batch: usize,
    /// Credentials issued per bulk-issue measurement.
    bulk: usize,
    /// Bulk-issue measurements per backend, each right after its own bare signing
    /// measurement; the round with the median ratio is reported.
    bulk_rounds: usize,
    /// HTTP requests in total, and how many clients send them concurrently.
    http_requests: usize,
    http_clients: usize,
    /// Synthetic educators for the pathway engine.
    educators: usize,
}

impl Workload {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                min_time: Duration::from_millis(200),
                batch: 400,
                bulk: 200,
                bulk_rounds: 1,
                http_requests: 200,
                http_clients: 4,
                educators: 100,
            }
        } else {
            Self {
                min_time: Duration::from_secs(2),
                batch: 4000,
                bulk: 10_000,
                bulk_rounds: 3,
                http_requests: 3000,
                http_clients: 8,
                educators: 1000,
            }
        }
    }
}

/// Runs `f` repeatedly for at least `min` (and at least once); returns calls per second.
fn rate(min: Duration, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let start = Instant::now();
    let mut n = 0u64;
    loop {
        f()?;
        n += 1;
        let el = start.elapsed();
        if el >= min {
            return Ok(n as f64 / el.as_secs_f64());
        }
    }
}

/// Items per second for one timed run of `f` over `items` items.
async fn timed<T>(items: usize, f: impl Future<Output = Result<T>>) -> Result<(f64, T)> {
    let start = Instant::now();
    let out = f.await?;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    Ok((items as f64 / secs, out))
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Runs the whole workload and returns the report (rates per second).
pub async fn run(quick: bool) -> Result<Value> {
    let w = Workload::new(quick);
    let dir = tempfile::tempdir().context("creating a temporary folder")?;

    // The server's address is known before the application opens, so credentials name it.
    let (listener, local) = pathledger_server::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("binding 127.0.0.1:0")?;
    let app = open_app(
        &format!("sqlite:{}", dir.path().join("bench.db").display()),
        &format!("http://{local}"),
    )
    .await?;
    let seed = demo::seed_demo(&app)
        .await?
        .context("a fresh database already had data")?;
    let issued = app
        .issue(
            &seed.issuer_id,
            "mc-tools-3",
            Recipient::Email("bench@example.org".into()),
            IssueOptions::default(),
        )
        .await?;
    let ours = issued.credential;
    let mut unsigned = ours.clone();
    if let Some(m) = unsigned.as_object_mut() {
        m.remove("proof");
    }

    // --- bare Ed25519 over a 64-byte message (what a Data Integrity proof signs) ---
    let dalek = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let vk = dalek.verifying_key();
    let msg = [42u8; 64];
    let sig = dalek.sign(&msg);
    let ed25519_sign = rate(w.min_time, || {
        std::hint::black_box(dalek.sign(std::hint::black_box(&msg)));
        Ok(())
    })?;
    let ed25519_verify = rate(w.min_time, || {
        vk.verify(std::hint::black_box(&msg), &sig)
            .map_err(|e| anyhow!("bare verify failed: {e}"))
    })?;

    // --- our proofs over a real Open Badge credential, did:key so nothing is fetched ---
    let key = SigningKey::from_seed([9u8; 32]);
    let vm = key.public_key().did_key_verification_method();
    let mut suites = Vec::new();
    for suite in [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022] {
        let opts = ProofOptions::assertion(suite, vm.clone());
        let signed = sign_document(&unsigned, &key, &opts)?;
        check_verified(&verify_document(&signed, &DidKeyResolver), suite.as_str())?;
        let s = rate(w.min_time, || {
            std::hint::black_box(sign_document(&unsigned, &key, &opts)?);
            Ok(())
        })?;
        let v = rate(w.min_time, || {
            check_verified(&verify_document(&signed, &DidKeyResolver), suite.as_str())
        })?;
        suites.push((s, v));
    }
    let (jcs_sign, jcs_verify) = suites[0];
    let (rdfc_sign, rdfc_verify) = suites[1];

    // --- batch verification on all cores over distinct credentials ---
    let jcs_opts = ProofOptions::assertion(Cryptosuite::EddsaJcs2022, vm.clone());
    let mut docs = Vec::with_capacity(w.batch);
    for i in 0..w.batch {
        let mut d = unsigned.clone();
        d["id"] = json!(format!("urn:uuid:00000000-0000-4000-8000-{i:012}"));
        docs.push(sign_document(&d, &key, &jcs_opts)?);
    }
    let (batch_verify, outcomes) =
        timed(w.batch, async { Ok(verify_batch(&docs, &DidKeyResolver)) }).await?;
    for o in &outcomes {
        check_verified(o, "batch")?;
    }
    drop(docs);

    // --- bulk issuance end to end (build + sign + status + store + log) ---
    // A shared machine's speed drifts from one second to the next, so each bulk run is compared
    // with bare eddsa-jcs-2022 signing measured right before it, once the work before has settled
    // (not after it: the database's own background writes would slow the baseline down).
    let bare_jcs = || async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        rate(w.min_time / 2, || {
            std::hint::black_box(sign_document(&unsigned, &key, &jcs_opts)?);
            Ok(())
        })
    };
    let mut sqlite_rounds = Vec::with_capacity(w.bulk_rounds);
    for round in 0..w.bulk_rounds {
        let before = bare_jcs().await?;
        let bulk = bulk_rate(&app, &seed.issuer_id, w.bulk, &format!("sqlite{round}")).await?;
        sqlite_rounds.push(Round { before, bulk });
    }
    let postgres_rounds = match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => {
            Some(postgres_bulk(url.trim(), w.bulk, w.bulk_rounds, &bare_jcs).await?)
        }
        _ => None,
    };
    let sqlite = Round::median(&sqlite_rounds).context("no SQLite bulk round")?;
    let postgres = postgres_rounds.as_deref().and_then(Round::median);
    let (bulk_issue_sqlite, jcs_sign_before_sqlite) = (sqlite.bulk, sqlite.before);
    let (bulk_issue_postgres, jcs_sign_before_postgres) =
        (postgres.map(|r| r.bulk), postgres.map(|r| r.before));

    // --- HTTP verification against a real server, and the same work in process ---
    let server = tokio::spawn(pathledger_server::serve(listener, app.clone()));
    let body = serde_json::to_vec(&ours)?;
    let http = http_verify(local, &body, w.http_requests, w.http_clients).await;
    server.abort();
    let http_verify = http?;
    let app_verify = app_verify(&app, &ours, w.http_requests, w.http_clients).await?;

    // --- pathway engine: synthetic educators against every role ---
    let defs = Definitions::default_data().map_err(|e| anyhow!("default definitions: {e}"))?;
    let states = synthetic_educators(&defs, w.educators);
    let mut i = 0usize;
    let pathway_eval = rate(w.min_time, || {
        std::hint::black_box(defs.evaluate(&states[i % states.len()]));
        i += 1;
        Ok(())
    })?;

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            (a / b * 1000.0).round() / 1000.0
        } else {
            0.0
        }
    };
    Ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "cores": cores,
        "quick": quick,
        "ed25519_sign": round(ed25519_sign),
        "ed25519_verify": round(ed25519_verify),
        "jcs_sign": round(jcs_sign),
        "jcs_verify": round(jcs_verify),
        "rdfc_sign": round(rdfc_sign),
        "rdfc_verify": round(rdfc_verify),
        "batch_verify": round(batch_verify),
        "bulk_issue_sqlite": round(bulk_issue_sqlite),
        "jcs_sign_before_bulk_sqlite": round(jcs_sign_before_sqlite),
        "bulk_issue_postgres": bulk_issue_postgres.map(round),
        "jcs_sign_before_bulk_postgres": jcs_sign_before_postgres.map(round),
        "http_verify": round(http_verify),
        "app_verify": round(app_verify),
        "pathway_eval": round(pathway_eval),
        // Every bulk round as [bare eddsa-jcs-2022 signing before it, bulk issuance], per second;
        // the figures above are the round whose ratio is the median.
        "bulk_rounds": {
            "sqlite": sqlite_rounds.iter().copied().map(Round::to_json).collect::<Vec<_>>(),
            "postgres": postgres_rounds.map(|r| r.iter().copied().map(Round::to_json).collect::<Vec<_>>()),
        },
        "ratios": {
            "jcs_sign_vs_ed25519_sign": ratio(jcs_sign, ed25519_sign),
            "jcs_verify_vs_ed25519_verify": ratio(jcs_verify, ed25519_verify),
            "rdfc_sign_vs_ed25519_sign": ratio(rdfc_sign, ed25519_sign),
            "rdfc_verify_vs_ed25519_verify": ratio(rdfc_verify, ed25519_verify),
            // The ledger goals are stated against bare eddsa-jcs-2022 signing, here as measured
            // right before each bulk run.
            "bulk_issue_sqlite_vs_jcs_sign": ratio(bulk_issue_sqlite, jcs_sign_before_sqlite),
            "bulk_issue_postgres_vs_jcs_sign": bulk_issue_postgres
                .zip(jcs_sign_before_postgres)
                .map(|(b, j)| ratio(b, j)),
            "http_verify_vs_app_verify": ratio(http_verify, app_verify),
        },
    }))
}

fn check_verified(o: &ProofOutcome, what: &str) -> Result<()> {
    match o {
        ProofOutcome::Verified(_) => Ok(()),
        other => bail!("{what}: our own signature did not verify: {other:?}"),
    }
}

async fn open_app(database_url: &str, public_url: &str) -> Result<App> {
    App::open(AppConfig {
        database_url: database_url.to_owned(),
        kek: Kek::generate()?,
        public_url: public_url.to_owned(),
        trusted_issuers: Vec::new(),
        fetch: Default::default(),
        host_issuer: None,
        mail: pathledger_app::mail::MailConfig::outbox(
            std::env::temp_dir().join("pathledger-bench-outbox"),
        ),
    })
    .await
    .with_context(|| format!("opening {database_url}"))
}

/// Issues `n` credentials through `App::bulk_issue` in the CLI's chunk size; credentials per second.
async fn bulk_rate(app: &App, issuer: &str, n: usize, tag: &str) -> Result<f64> {
    let rows: Vec<_> = (0..n)
        .map(|i| {
            (
                "mc-tools-3".to_owned(),
                Recipient::Email(format!("bulk-{tag}-{i}@example.org")),
                // Issuance alone: no invitation mail per new address.
                IssueOptions {
                    mail_people: false,
                    ..IssueOptions::default()
                },
            )
        })
        .collect();
    let (r, ()) = timed(n, async {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(crate::BULK_CHUNK).collect();
            for r in app.bulk_issue(issuer, chunk).await? {
                r.context("a bulk issuance row failed")?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(r)
}

/// One bulk-issue measurement and the bare eddsa-jcs-2022 signing rate measured right before it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Round {
    before: f64,
    bulk: f64,
}

impl Round {
    fn ratio(&self) -> f64 {
        if self.before > 0.0 {
            self.bulk / self.before
        } else {
            0.0
        }
    }

    /// The round whose ratio is the median (the lower middle one of an even count).
    fn median(rounds: &[Round]) -> Option<Round> {
        let mut sorted = rounds.to_vec();
        sorted.sort_by(|a, b| a.ratio().total_cmp(&b.ratio()));
        sorted.get(sorted.len().saturating_sub(1) / 2).copied()
    }

    fn to_json(self) -> Value {
        json!([round(self.before), round(self.bulk)])
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    if !base.contains("://") {
        bail!("not a postgres:// URL");
    }
    Ok(pathledger_test_support::postgres::with_database(url, name))
}

/// A fresh database on the server at `url` for `rounds` bulk runs, each right after a bare
/// signing measurement (`bare`), dropped afterwards.
async fn postgres_bulk<F, Fut>(url: &str, n: usize, rounds: usize, bare: &F) -> Result<Vec<Round>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<f64>>,
{
    let name = format!(
        "pathledger_bench_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros())
    );
    let mut admin = AdminConnection::connect(url)
        .await
        .with_context(|| format!("connecting to {POSTGRES_ENV}"))?;
    admin
        .create_database(&name)
        .await
        .context("creating the bench database")?;
    let result = async {
        let app = open_app(&with_database(url, &name)?, "http://127.0.0.1:8080").await?;
        let seed = demo::seed_demo(&app)
            .await?
            .context("a fresh database already had data")?;
        let mut out = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let before = bare().await?;
            let bulk = bulk_rate(&app, &seed.issuer_id, n, &format!("postgres{round}")).await?;
            out.push(Round { before, bulk });
        }
        Ok::<_, anyhow::Error>(out)
    }
    .await;
    let dropped = admin.drop_database(&name).await;
    let r = result?;
    dropped.context("dropping the bench database")?;
    Ok(r)
}

/// POSTs `body` to `/api/v1/verify` on the client's keep-alive connection; status and body.
async fn post_verify(c: &mut HttpClient, body: &Bytes) -> Result<(u16, Vec<u8>)> {
    let r = c
        .send_bytes(Method::POST, "/api/v1/verify", None, body.clone())
        .await?;
    Ok((r.status.as_u16(), r.body))
}

fn verdict_of(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("verdict").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// `total` verifications over HTTP from `clients` concurrent connections; requests per second.
async fn http_verify(addr: SocketAddr, body: &[u8], total: usize, clients: usize) -> Result<f64> {
    let body = Bytes::copy_from_slice(body);
    // One untimed request: the server is up and our credential verifies as valid over HTTP.
    let mut probe = HttpClient::new(addr);
    let (status, reply) = post_verify(&mut probe, &body).await?;
    let verdict = verdict_of(&reply);
    if status != 200 || verdict != "valid" {
        bail!("POST /api/v1/verify answered {status} with verdict {verdict:?}");
    }
    drop(probe);
    let per = total.div_ceil(clients.max(1));
    let (r, ()) = timed(per * clients, async {
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                let mut c = HttpClient::new(addr);
                for _ in 0..per {
                    let (status, reply) = post_verify(&mut c, &body).await?;
                    if status != 200 || verdict_of(&reply) != "valid" {
                        bail!("POST /api/v1/verify answered {status}");
                    }
                }
                Ok::<(), anyhow::Error>(())
            }));
        }
        for t in tasks {
            t.await.context("an HTTP client task failed")??;
        }
        Ok(())
    })
    .await?;
    Ok(r)
}

/// The same verifications as [`http_verify`], in process, with the same concurrency.
async fn app_verify(app: &App, doc: &Value, total: usize, clients: usize) -> Result<f64> {
    let per = total.div_ceil(clients.max(1));
    let (r, ()) = timed(per * clients, async {
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let app = app.clone();
            let doc = doc.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..per {
                    let report = app.verify(&doc).await.to_json();
                    if report["verdict"] != "valid" {
                        bail!("in-process verify: {}", report["message"]);
                    }
                }
                Ok::<(), anyhow::Error>(())
            }));
        }
        for t in tasks {
            t.await.context("a verify task failed")??;
        }
        Ok(())
    })
    .await?;
    Ok(r)
}

/// Deterministic educators holding different subsets of the achievements.
fn synthetic_educators(defs: &Definitions, n: usize) -> Vec<EducatorState> {
    let achievements: Vec<_> = defs.achievements().iter().map(|a| a.id.clone()).collect();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64: reproducible without a random-number crate.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n.max(1))
        .map(|i| {
            // Educators at every stage: from nothing held to most of the catalogue.
            let share = (i % 10) as u64;
            let holdings = achievements
                .iter()
                .filter(|_| next() % 10 < share)
                .map(|a| Holding {
                    achievement: a.clone(),
                    issued_on: None,
                    expires_on: None,
                })
                .collect();
            EducatorState {
                id: Some(format!("bench-{i}")),
                holdings,
                years_experience: (next() % 20) as f64,
                ..Default::default()
            }
        })
        .collect()
}

/// The report as a human table: each rate next to its baseline.
pub fn table(r: &Value) -> String {
    let num = |k: &str| r.get(k).and_then(Value::as_f64);
    let rows: [(&str, &str, Option<&str>); 15] = [
        ("ed25519_sign", "bare Ed25519 sign (64 B)", None),
        ("ed25519_verify", "bare Ed25519 verify (64 B)", None),
        ("jcs_sign", "eddsa-jcs-2022 sign", Some("ed25519_sign")),
        (
            "jcs_verify",
            "eddsa-jcs-2022 verify",
            Some("ed25519_verify"),
        ),
        ("rdfc_sign", "eddsa-rdfc-2022 sign", Some("ed25519_sign")),
        (
            "rdfc_verify",
            "eddsa-rdfc-2022 verify",
            Some("ed25519_verify"),
        ),
        (
            "batch_verify",
            "batch verify, all cores",
            Some("jcs_verify"),
        ),
        (
            "jcs_sign_before_bulk_sqlite",
            "eddsa-jcs-2022 sign, before",
            Some("jcs_sign"),
        ),
        (
            "bulk_issue_sqlite",
            "bulk issue, SQLite",
            Some("jcs_sign_before_bulk_sqlite"),
        ),
        (
            "jcs_sign_before_bulk_postgres",
            "eddsa-jcs-2022 sign, before",
            Some("jcs_sign"),
        ),
        (
            "bulk_issue_postgres",
            "bulk issue, PostgreSQL",
            Some("jcs_sign_before_bulk_postgres"),
        ),
        ("app_verify", "verify in process", None),
        ("http_verify", "verify over HTTP", Some("app_verify")),
        ("pathway_eval", "educators evaluated", None),
        ("cores", "cores", None),
    ];
    let mut out = format!(
        "pathledger {} bench{}\n{:<29} {:<28} {:>14} {:>18}\n",
        r["version"].as_str().unwrap_or(""),
        if r["quick"] == true { " (quick)" } else { "" },
        "key",
        "what",
        "per second",
        "ratio to baseline"
    );
    for (key, what, base) in rows {
        let value = match num(key) {
            Some(v) if key == "cores" => format!("{v}"),
            Some(v) => format!("{v:.1}"),
            None => "n/a".to_owned(),
        };
        let ratio = match (num(key), base.and_then(num)) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.3} × {}", a / b, base.unwrap_or("")),
            _ => String::new(),
        };
        out.push_str(&format!("{key:<29} {what:<28} {value:>14} {ratio:>18}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_round_is_reported() {
        let r = |before: f64, bulk: f64| Round { before, bulk };
        // Ratios 0.4, 0.6 and 0.5: the third round is the median, whatever the order.
        let rounds = [r(10.0, 4.0), r(10.0, 6.0), r(20.0, 10.0)];
        assert_eq!(Round::median(&rounds), Some(r(20.0, 10.0)));
        assert_eq!(Round::median(&rounds[..1]), Some(r(10.0, 4.0)));
        // An even count takes the lower middle round.
        assert_eq!(Round::median(&rounds[..2]), Some(r(10.0, 4.0)));
        assert_eq!(Round::median(&[]), None);
    }

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "y").unwrap(),
            "postgres://u:p@h/y?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "z").unwrap(),
            "postgres://h:5432/z"
        );
        assert!(with_database("nonsense", "z").is_err());
    }

    #[test]
    fn synthetic_educators_vary() {
        let defs = Definitions::default_data().unwrap();
        let s = synthetic_educators(&defs, 20);
        assert_eq!(s.len(), 20);
        assert!(s[0].holdings.is_empty());
        assert!(s.iter().any(|e| e.holdings.len() > 3));
    }

    #[test]
    fn table_names_every_key() {
        let r = json!({"version": "1", "quick": true, "cores": 2, "ed25519_sign": 10.0,
            "jcs_sign": 5.0, "bulk_issue_sqlite": 3.0, "jcs_sign_before_bulk_sqlite": 4.0,
            "bulk_issue_postgres": null});
        let t = table(&r);
        assert!(t.contains("0.500 × ed25519_sign"), "{t}");
        assert!(t.contains("0.750 × jcs_sign_before_bulk_sqlite"), "{t}");
        assert!(t.contains("bulk_issue_postgres"));
        assert!(t
            .lines()
            .any(|l| l.starts_with("bulk_issue_postgres") && l.contains("n/a")));
    }
}
