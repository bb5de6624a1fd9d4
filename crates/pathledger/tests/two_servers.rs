//! One log across many servers: two `pathledger serve` processes sharing one PostgreSQL database
//! (and nothing else but the key-encryption key and the public URL) issue, revoke and rotate keys
//! concurrently; every credential verifies through either server with the right verdict, both
//! serve the same signed head, a consistency proof from an earlier head checks out with
//! `pathledger-log` alone, each server's own signer signs heads, and `pathledger audit` passes.
//! And the shutdown path: SIGTERM right after a change still leaves a signed head covering it.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pathledger_log::{verify_consistency, Hash, SignedTreeHead};
use pathledger_test_support::{HttpClient, Resp, ScratchDatabase};
use serde_json::{json, Value};

use common::{command, text, Server};

/// What every process of one deployment shares besides the database: the key that seals issuer
/// and log keys at rest, and the public URL (issuer DIDs and status list URLs are derived from it).
const KEK: &str = "6b656b2d6f662d7468652d74776f2d7365727665722d746573742d2d2d2d2d21";
const PUBLIC_URL: &str = "http://ledger.test";

/// How long any one request or wait may take before the test fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A `pathledger` command in its own data folder (nothing shared through files), against
/// `database_url` when given.
fn pl(dir: &Path, database_url: Option<&str>) -> Command {
    let mut cmd = command(dir);
    if let Some(url) = database_url {
        cmd.args([
            "--database-url",
            url,
            "--kek",
            KEK,
            "--public-url",
            PUBLIC_URL,
        ]);
    }
    cmd
}

fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Sends a signal by name (`TERM`, `STOP`, `CONT`) with the `kill` command.
fn signal(child: &Child, name: &str) {
    let out = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .output()
        .expect("run kill");
    assert_ok(&out);
}

/// Waits for `child` to exit, at most [`TIMEOUT`].
fn wait_exit(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for serve") {
            return status;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "serve did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `serve` without the demo on a free loopback port, its log (filtered by `log_filter`) kept
/// in `dir/serve.log`.
fn serve(dir: &Path, database_url: Option<&str>, log_filter: &str) -> Server {
    let mut cmd = pl(dir, database_url);
    cmd.env("PATHLEDGER_LOG", log_filter)
        .args(["serve", "--bind", "127.0.0.1:0", "--no-demo"]);
    Server::spawn(cmd, Some(dir.join("serve.log")))
}

/// SIGTERM, then the exit status.
fn terminate(server: &mut Server) -> ExitStatus {
    signal(&server.child, "TERM");
    wait_exit(&mut server.child)
}

/// One request with a bound on its time; a transport error or a timeout fails the test.
async fn send(
    client: &mut HttpClient,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
) -> Resp {
    match tokio::time::timeout(TIMEOUT, client.send(method, path, token, body)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => panic!("{method} {path}: {e}"),
        Err(_) => panic!("{method} {path}: no answer within {TIMEOUT:?}"),
    }
}

/// A fresh database with the demo seeded by `pathledger init`, and the demo administrator's
/// token (org admin and issuer of the demo organization).
async fn seeded_database(admin_url: &str, dir: &Path) -> (ScratchDatabase, String) {
    for _ in 0..3 {
        let db = ScratchDatabase::create(admin_url, "pathledger_two_servers").await;
        let out = pl(dir, Some(&db.url))
            .arg("init")
            .output()
            .expect("run init");
        // Known flake of the demo seed (see cli.rs `Env::init`): start again on a fresh database.
        if !out.status.success() && text(&out.stderr).contains("validUntil is before validFrom") {
            eprintln!("demo seed hit the validUntil/validFrom race; retrying on a fresh database");
            continue;
        }
        assert_ok(&out);
        let token = text(&out.stdout)
            .lines()
            .find(|l| l.trim_start().starts_with("admin@riverside.example"))
            .and_then(|l| l.split_whitespace().last())
            .expect("init prints the administrator's token")
            .to_owned();
        return (db, token);
    }
    panic!("init failed three times on the demo seed's validUntil race");
}

/// A credential issued during the test and the status it must verify with.
#[derive(Debug, Clone)]
struct Issued {
    id: String,
    document: Value,
    revoked: bool,
}

/// Issues `count` credentials through `own` (one client per task), revoking every third one
/// through `other` right away. Returns them, and every log index the answers named.
async fn issue_and_revoke(
    own: SocketAddr,
    other: SocketAddr,
    token: String,
    tag: String,
    count: usize,
) -> (Vec<Issued>, Vec<u64>) {
    let mut here = HttpClient::new(own);
    let mut there = HttpClient::new(other);
    let mut issued = Vec::new();
    let mut indexes = Vec::new();
    for k in 0..count {
        let body = json!({"achievement": "mc-tools-3", "recipient": format!("{tag}.{k}@two-servers.example")});
        let r = send(
            &mut here,
            "POST",
            "/api/v1/credentials",
            Some(&token),
            Some(body.to_string().as_bytes()),
        )
        .await;
        assert_eq!(r.status, 201, "issue {tag}.{k}: {}", r.text());
        let v = r.json();
        indexes.push(v["log_index"].as_u64().expect("log_index"));
        let id = v["id"].as_str().expect("id").to_owned();
        let revoked = k % 3 == 0;
        if revoked {
            let r = send(
                &mut there,
                "POST",
                &format!("/api/v1/credentials/{id}/revoke"),
                Some(&token),
                Some(br#"{"reason": "two-server test"}"#),
            )
            .await;
            assert_eq!(r.status, 200, "revoke {id} elsewhere: {}", r.text());
            let v = r.json();
            assert_eq!(v["status"], "revoked", "{v}");
            indexes.push(v["log_index"].as_u64().expect("log_index"));
        }
        issued.push(Issued {
            id,
            document: v["verifiableCredential"].clone(),
            revoked,
        });
    }
    (issued, indexes)
}

/// `GET /api/v1/log/head`: the head and the log's public key (hex).
async fn head(addr: SocketAddr) -> (SignedTreeHead, String) {
    let r = send(
        &mut HttpClient::new(addr),
        "GET",
        "/api/v1/log/head",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let head: SignedTreeHead =
        serde_json::from_value(v["tree_head"].clone()).expect("a signed tree head");
    let key = v["log_key"]["public_key_hex"]
        .as_str()
        .expect("log key")
        .to_owned();
    (head, key)
}

/// `pathledger audit --json` against `database_url`: the report (the exit status must be 0).
fn audit_json(dir: &Path, database_url: &str) -> Value {
    let out = pl(dir, Some(database_url))
        .args(["audit", "--json"])
        .output()
        .expect("run audit");
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).expect("audit JSON")
}

/// Waits until the stored heads number more than `before` (only a server's own signer signs
/// them here: nothing asks for `/api/v1/log/head` meanwhile), at most 5 s.
fn await_new_head(dir: &Path, database_url: &str, before: u64, who: &str) {
    let start = Instant::now();
    loop {
        let heads = audit_json(dir, database_url)["heads_checked"]
            .as_u64()
            .expect("heads_checked");
        if heads > before {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{who}'s signer signed no head within 5 s of a change"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_one_log() {
    let Some(admin_url) = pathledger_test_support::postgres_url("the two-server test") else {
        return;
    };
    let dirs: Vec<tempfile::TempDir> = (0..3)
        .map(|_| tempfile::tempdir().expect("temp dir"))
        .collect();
    let (db, token) = seeded_database(admin_url.trim(), dirs[0].path()).await;
    let url = db.url.as_str();
    // The signer's debug line names each head this server signed.
    let filter = "warn,pathledger_app::heads=debug";
    let mut a = serve(dirs[1].path(), Some(url), filter);
    let mut b = serve(dirs[2].path(), Some(url), filter);
    let (first, key_a) = head(a.addr).await;

    // Concurrent issuance through both, each third credential revoked through the other.
    let mut tasks = Vec::new();
    for (name, own, other) in [("a", a.addr, b.addr), ("b", b.addr, a.addr)] {
        for t in 0..3 {
            tasks.push(tokio::spawn(issue_and_revoke(
                own,
                other,
                token.clone(),
                format!("{name}{t}"),
                6,
            )));
        }
    }
    let mut issued = Vec::new();
    let mut indexes = Vec::new();
    for t in tasks {
        let (i, x) = t.await.expect("an issuing task panicked");
        issued.extend(i);
        indexes.extend(x);
    }

    // A key rotated through one server signs what the other issues next, and both verify it.
    let issuer = issued[0].document["issuer"]["id"]
        .as_str()
        .or_else(|| issued[0].document["issuer"].as_str())
        .and_then(|did| did.rsplit(':').next())
        .expect("an issuer id in the credential")
        .to_owned();
    let r = send(
        &mut HttpClient::new(a.addr),
        "POST",
        &format!("/api/v1/issuers/{issuer}/keys/rotate"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, 201, "rotate: {}", r.text());
    for (tag, own) in [("after-rotation-b", b.addr), ("after-rotation-a", a.addr)] {
        let (i, x) = issue_and_revoke(own, own, token.clone(), tag.into(), 2).await;
        issued.extend(i);
        indexes.extend(x);
    }

    // No two answers named the same log entry.
    let mut sorted = indexes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), indexes.len(), "a log index was given twice");

    // Either server gives each credential its verdict (after the status lists' one-second
    // freshness bound, within which another server's change may not be seen yet).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for addr in [a.addr, b.addr] {
        let mut client = HttpClient::new(addr);
        for c in &issued {
            let body = c.document.to_string();
            let r = send(
                &mut client,
                "POST",
                "/api/v1/verify",
                None,
                Some(body.as_bytes()),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text());
            let report = r.json();
            let expected = if c.revoked { "revoked" } else { "valid" };
            assert_eq!(
                report["verdict"], expected,
                "{} through {addr}: {report}",
                c.id
            );
        }
    }

    // Both publish the issuer's DID document with the rotated key.
    let did_path = format!("/issuers/{issuer}/did.json");
    let did_a = send(&mut HttpClient::new(a.addr), "GET", &did_path, None, None).await;
    let did_b = send(&mut HttpClient::new(b.addr), "GET", &did_path, None, None).await;
    assert_eq!(did_a.status, 200, "{}", did_a.text());
    assert_eq!(
        did_a.json(),
        did_b.json(),
        "the servers publish different keys"
    );

    // One log: both servers serve the same head, signed by the one log key.
    let (last_a, key_a2) = head(a.addr).await;
    let (last_b, key_b) = head(b.addr).await;
    assert_eq!(key_a, key_b, "the servers sign with different log keys");
    assert_eq!(key_a, key_a2);
    assert_eq!(last_a, last_b, "the servers disagree on the log's head");
    assert!(
        sorted
            .iter()
            .all(|i| *i < last_a.tree_size && *i >= first.tree_size),
        "an answer named an entry outside the log's growth"
    );
    let log_key = ed25519_dalek::VerifyingKey::from_bytes(
        &hex::decode(&key_b)
            .expect("hex")
            .try_into()
            .expect("32 bytes"),
    )
    .expect("an Ed25519 key");
    first.verify(&log_key).expect("first head's signature");
    last_b.verify(&log_key).expect("last head's signature");

    // The earlier head is a prefix of the last one: a consistency proof checked offline.
    let r = send(
        &mut HttpClient::new(b.addr),
        "GET",
        &format!(
            "/api/v1/log/consistency?from={}&to={}",
            first.tree_size, last_b.tree_size
        ),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let proof: Vec<Hash> = r.json()["proof"]
        .as_array()
        .expect("proof")
        .iter()
        .map(|h| {
            hex::decode(h.as_str().expect("hex string"))
                .expect("hex")
                .try_into()
                .expect("32 bytes")
        })
        .collect();
    verify_consistency(
        first.tree_size,
        last_b.tree_size,
        &proof,
        &first.root_hash,
        &last_b.root_hash,
    )
    .expect("the log grew by appending only");

    // Each server's own signer signs heads: with the other one stopped, a change through it is
    // covered by a newly signed head within a second or so.
    let audit_dir = dirs[0].path();
    let mut revoke_one = issued.iter().filter(|c| !c.revoked);
    for (runs, paused, name) in [(&a, &b, "server a"), (&b, &a, "server b")] {
        let before = audit_json(audit_dir, url)["heads_checked"]
            .as_u64()
            .expect("heads_checked");
        signal(&paused.child, "STOP");
        let c = revoke_one.next().expect("a credential left to revoke");
        let r = send(
            &mut HttpClient::new(runs.addr),
            "POST",
            &format!("/api/v1/credentials/{}/revoke", c.id),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        await_new_head(audit_dir, url, before, name);
        signal(&paused.child, "CONT");
    }
    for (s, name) in [(&a, "a"), (&b, "b")] {
        assert!(
            s.log_text().contains("signed a tree head"),
            "server {name} never signed a head:\n{}",
            s.log_text()
        );
    }

    // Both stop cleanly, and the shared log audits clean with its signed heads.
    assert!(terminate(&mut a).success(), "server a: {}", a.log_text());
    assert!(terminate(&mut b).success(), "server b: {}", b.log_text());
    let out = pl(audit_dir, Some(url))
        .arg("audit")
        .output()
        .expect("run audit");
    assert_ok(&out);
    let said = text(&out.stdout);
    assert!(said.contains("log OK"), "{said}");
    let heads: u64 = said
        .split(" and ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("audit names the signed heads it checked");
    assert!(heads > 0, "{said}");
    drop(db);
}

/// SIGTERM right after a change, before the signer's one-second tick: `serve` signs a head
/// covering it on the way out, and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_signs_a_head_at_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let init = pl(d, None).arg("init").output().expect("run init");
    if !init.status.success() && text(&init.stderr).contains("validUntil is before validFrom") {
        // The demo seed's known flake (see cli.rs `Env::init`); nothing of ours to test then.
        eprintln!("demo seed hit the validUntil/validFrom race; skipping");
        return;
    }
    assert_ok(&init);
    let token = text(&init.stdout)
        .lines()
        .find(|l| l.trim_start().starts_with("issuer@riverside.example"))
        .and_then(|l| l.split_whitespace().last())
        .expect("init prints the issuer's token")
        .to_owned();
    let audit = |d: &Path| {
        let out = pl(d, None)
            .args(["audit", "--json"])
            .output()
            .expect("run audit");
        assert_ok(&out);
        serde_json::from_slice::<Value>(&out.stdout).expect("audit JSON")
    };
    let before = audit(d);

    let mut server = serve(d, None, "warn");
    let started = Instant::now();
    let r = send(
        &mut HttpClient::new(server.addr),
        "POST",
        "/api/v1/credentials",
        Some(&token),
        Some(br#"{"achievement": "mc-tools-3", "recipient": "sigterm@example.org"}"#),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let index = r.json()["log_index"].as_u64().expect("log_index");
    let status = terminate(&mut server);
    let elapsed = started.elapsed();
    assert!(status.success(), "exit {status:?}: {}", server.log_text());
    drop(server);

    let after = audit(d);
    assert!(
        after["problems"].as_array().is_some_and(|p| p.is_empty()),
        "{after}"
    );
    let size = after["tree_size"].as_u64().expect("tree_size");
    assert!(size > index, "{after}");
    assert_eq!(
        after["heads_checked"].as_u64(),
        before["heads_checked"].as_u64().map(|h| h + 1),
        "one head was signed for the change: {after}"
    );
    // The head at the final size exists already: a restarted server answers with it (signed
    // before the restart) instead of signing a new one.
    let restarted_ms = now_ms();
    let server = serve(d, None, "warn");
    let (h, _) = head(server.addr).await;
    assert_eq!(h.tree_size, size);
    assert!(
        h.timestamp_ms < restarted_ms,
        "no head covered the change before the restart"
    );
    if elapsed >= Duration::from_millis(900) {
        eprintln!(
            "note: SIGTERM came {elapsed:?} after start; the signer's tick may have signed this head"
        );
    }
}
