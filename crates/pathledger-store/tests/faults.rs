//! Storage faults on SQLite, each in a re-executed child process of this test binary:
//! - SIGKILL during a run of revocations: after restart every acknowledged revocation is there,
//!   each credential's status, its status-list bit and its log entries agree, and the audit passes;
//! - disk full (the child runs under a file-size limit, `ulimit -f`, with SIGXFSZ ignored so a
//!   write past the limit fails like ENOSPC would): a clear error, no half-written credential,
//!   every acknowledged one intact after reopening without the limit.

mod common;

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pathledger_log::verify_consistency;
use pathledger_store::*;

const CHILD_ENV: &str = "PATHLEDGER_FAULT_CHILD";

fn emit(line: &str) {
    let mut so = std::io::stdout().lock();
    so.write_all(line.as_bytes()).expect("stdout");
    so.write_all(b"\n").expect("stdout");
    so.flush().expect("flush");
}

/// The child's body: runs only when re-executed by one of the tests below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let [mode, path, kek, issuer, achievement, educator] = parts[..] else {
        panic!("bad child spec");
    };
    let store = Store::open(StoreConfig::new(path, Kek::from_hex(kek).expect("kek")))
        .await
        .expect("child open");
    match mode {
        "revoke" => {
            let creds = store
                .credentials_for_educator(educator)
                .await
                .expect("credentials");
            for (n, c) in creds.iter().enumerate() {
                store
                    .change_status(&c.id, StatusChange::Revoke, Some("crash test"), None)
                    .await
                    .expect("child revoke");
                emit(&format!("ACK {}", c.id));
                if n % 10 == 0 {
                    let h = store.sign_tree_head().await.expect("head");
                    emit(&format!("STH {} {}", h.tree_size, hex::encode(h.root_hash)));
                }
            }
            emit("DONE");
        }
        "full" => {
            let req = IssueRequest::new(issuer, achievement, Recipient::Educator(educator.into()));
            // Bounded: the file-size limit is reached long before this.
            for _ in 0..200 {
                let rows = (0..25).map(|_| req.clone()).collect();
                for r in store.bulk_issue(rows, build_credential).await {
                    match r {
                        Ok(o) => emit(&format!(
                            "ACK {} {}",
                            o.credential.id,
                            hex::encode(o.credential.document_hash)
                        )),
                        Err(e) => {
                            emit(&format!("ERR {} {e}", e.is_retryable()));
                            // A later write fails the same clear way or succeeds, but is not
                            // refused by a connection left believing a transaction is open.
                            match store.issue(req.clone(), build_credential).await {
                                Ok(_) => emit("ERR2 issued"),
                                Err(e) => emit(&format!("ERR2 {} {e}", e.is_retryable())),
                            }
                            // The store must keep answering reads after the failed write.
                            let n = store.log_size().await.map(|n| n.to_string());
                            emit(&format!("READ {}", n.unwrap_or_else(|e| e.to_string())));
                            return;
                        }
                    }
                }
            }
            emit("NOERR");
        }
        other => panic!("unknown child mode {other}"),
    }
}

struct Child {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Child {
    /// Re-executes this binary's `fault_child`, optionally under `sh -c` with a prefix (limits).
    fn spawn(spec: String, shell_prefix: Option<&str>) -> Child {
        let exe = std::env::current_exe().expect("exe");
        let args = ["--exact", "fault_child", "--nocapture", "--test-threads=1"];
        let mut cmd = match shell_prefix {
            Some(prefix) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("{prefix}; exec \"$0\" \"$@\""))
                    .arg(exe)
                    .args(args);
                c
            }
            None => {
                let mut c = Command::new(exe);
                c.args(args);
                c
            }
        };
        let mut child = cmd
            .env(CHILD_ENV, spec)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        Child { child, out }
    }

    /// The next protocol line (`ACK`, `STH`, `ERR`, …), skipping the test harness's own output.
    fn next(&mut self) -> Option<Vec<String>> {
        let mut line = String::new();
        loop {
            line.clear();
            match self.out.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {
                    // libtest may print "test fault_child ... " without a newline before the
                    // child's first line; keep what follows it.
                    let ours = line.rsplit(" ... ").next().unwrap_or(&line);
                    let words: Vec<String> = ours.split_whitespace().map(str::to_owned).collect();
                    if matches!(
                        words.first().map(String::as_str),
                        Some("ACK" | "STH" | "ERR" | "ERR2" | "READ" | "DONE" | "NOERR")
                    ) {
                        return Some(words);
                    }
                }
            }
        }
    }
}

async fn setup() -> (tempfile::TempDir, String, Kek, Fixture) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faults.db").to_string_lossy().into_owned();
    let kek = Kek::generate().expect("kek");
    let store = Store::open(StoreConfig::new(path.clone(), kek.clone()))
        .await
        .expect("open");
    let f = fixture(&store).await;
    store.close().await;
    (dir, path, kek, f)
}

fn spec(mode: &str, path: &str, kek: &Kek, f: &Fixture) -> String {
    format!(
        "{mode}|{path}|{}|{}|{}|{}",
        kek.to_hex(),
        f.issuer.id,
        f.achievement_id,
        f.educator.id
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_revocations() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let (_dir, path, kek, f) = setup().await;
    let store = Store::open(StoreConfig::new(path.clone(), kek.clone()))
        .await
        .expect("open");
    const N: usize = 600;
    let issued: Vec<CredentialRecord> = store
        .bulk_issue((0..N).map(|_| request(&f)).collect(), build_credential)
        .await
        .into_iter()
        .map(|r| r.expect("issue").credential)
        .collect();
    store.close().await;

    let mut child = Child::spawn(spec("revoke", &path, &kek, &f), None);
    let mut acked: HashSet<String> = HashSet::new();
    let mut last_head: Option<(u64, String)> = None;
    let start = Instant::now();
    let mut record = |w: &[String], acked: &mut HashSet<String>| match w {
        [a, id] if a == "ACK" => {
            acked.insert(id.clone());
        }
        [s, size, root] if s == "STH" => {
            last_head = Some((size.parse().expect("size"), root.clone()));
        }
        _ => {}
    };
    // Kill after a fair amount of acknowledged work, in the middle of the run.
    while acked.len() < N / 3 && start.elapsed() < Duration::from_secs(90) {
        let Some(w) = child.next() else { break };
        record(&w, &mut acked);
    }
    std::thread::sleep(Duration::from_millis(3));
    child.child.kill().expect("kill"); // SIGKILL on Unix
    while let Some(w) = child.next() {
        record(&w, &mut acked);
    }
    let status = child.child.wait().expect("wait");
    assert!(!status.success(), "the child finished before it was killed");
    assert!(
        acked.len() >= N / 3,
        "child acknowledged only {}",
        acked.len()
    );
    assert!(
        acked.len() < N,
        "the child revoked everything before the kill"
    );

    let store = Store::open(StoreConfig::new(path.clone(), kek.clone()))
        .await
        .expect("reopen");
    let audit = store.audit().await.expect("audit");
    assert!(audit.is_ok(), "{:?}", audit.problems);
    let mut revoked_in_log: HashSet<String> = HashSet::new();
    let size = store.log_size().await.expect("size");
    let mut from = 0;
    while from < size {
        let page = store.log_entries(from, 500).await.expect("entries");
        assert!(!page.is_empty());
        for e in &page {
            if e.event == "revoke" {
                let id = e
                    .credential_id
                    .clone()
                    .expect("revoke names its credential");
                assert!(revoked_in_log.insert(id), "a credential was revoked twice");
            }
        }
        from += page.len() as u64;
    }
    let mut revoked = 0;
    for c in &issued {
        let now = store.credential(&c.id).await.expect("credential");
        let is_revoked = now.status == CredentialStatus::Revoked;
        let bits = store
            .status_list_bits(&now.revocation.list_id)
            .await
            .expect("list");
        assert_eq!(
            bits.is_set(now.revocation.index),
            is_revoked,
            "{}: status and status list disagree",
            c.id
        );
        assert_eq!(
            revoked_in_log.contains(&c.id),
            is_revoked,
            "{}: status and log disagree",
            c.id
        );
        if acked.contains(&c.id) {
            assert!(is_revoked, "{}: acknowledged revocation lost", c.id);
        }
        revoked += usize::from(is_revoked);
    }
    // At most the one revocation in flight at the kill may have committed unacknowledged.
    assert!(
        revoked - acked.len() <= 1,
        "{revoked} revoked, {} acked",
        acked.len()
    );
    assert_eq!(size, (N + 1 + revoked) as u64, "log size");
    // The log extends the last head the child published before it died.
    let (old_size, old_root) = last_head.expect("child published a head");
    let head = store.sign_tree_head().await.expect("head");
    let proof = store
        .consistency_proof(old_size, head.tree_size)
        .await
        .expect("proof");
    let mut old = [0u8; 32];
    hex::decode_to_slice(&old_root, &mut old).expect("hex");
    verify_consistency(old_size, head.tree_size, &proof, &old, &head.root_hash)
        .expect("log consistent with the head seen before the kill");
    // And revocation keeps working where the child stopped.
    let next = issued
        .iter()
        .find(|c| !revoked_in_log.contains(&c.id))
        .expect("an unrevoked credential");
    store
        .change_status(&next.id, StatusChange::Revoke, None, None)
        .await
        .expect("revoke after restart");
    assert!(store.audit().await.expect("audit").is_ok());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_is_a_clear_error_and_corrupts_nothing() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let (dir, path, kek, f) = setup().await;
    // Room for a few hundred kilobytes more than the files hold now (WAL included).
    let used: u64 = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0);
    let blocks = (used + 256 * 1024) / 512;
    let mut child = Child::spawn(
        spec("full", &path, &kek, &f),
        Some(&format!("trap '' XFSZ; ulimit -f {blocks}")),
    );
    let mut acked: Vec<(String, String)> = Vec::new();
    let mut error = None;
    let mut read_after = None;
    let mut second = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(90) {
        let Some(w) = child.next() else { break };
        match w.first().map(String::as_str) {
            Some("ACK") => acked.push((w[1].clone(), w[2].clone())),
            Some("ERR") => error = Some(w[1..].join(" ")),
            Some("ERR2") => second = Some(w[1..].join(" ")),
            Some("READ") => read_after = Some(w[1..].join(" ")),
            Some("NOERR") => panic!("the file-size limit was never reached"),
            _ => {}
        }
    }
    let _ = child.child.kill();
    let status = child.child.wait().expect("wait");
    let error = error.unwrap_or_else(|| panic!("child reported no error (exit {status})"));
    eprintln!("disk full after {} credentials: {error}", acked.len());
    assert!(!acked.is_empty(), "nothing was issued before the limit");
    let lower = error.to_lowercase();
    assert!(
        lower.contains("full") || lower.contains("disk") || lower.contains("i/o"),
        "unclear error: {error}"
    );
    // Full is retryable (HTTP 503): the same request succeeds once there is space again.
    assert!(error.starts_with("true "), "not retryable: {error}");
    // The next write fails the same clear way, or succeeds where a checkpoint has meanwhile
    // let the log start over in the space it had; never any other way (such as a connection
    // left believing a transaction is still open).
    let second = second.expect("child reported its second attempt");
    assert!(
        second == "issued"
            || (second.starts_with("true ") && second.to_lowercase().contains("disk")),
        "the second write after disk full: {second}"
    );
    assert!(
        read_after
            .as_deref()
            .is_some_and(|r| r.parse::<u64>().is_ok()),
        "reads failed after the write error: {read_after:?}"
    );

    // Reopened without the limit: every acknowledged credential intact, nothing half-written.
    let store = Store::open(StoreConfig::new(path.clone(), kek.clone()))
        .await
        .expect("reopen after disk full");
    let audit = store.audit().await.expect("audit");
    assert!(audit.is_ok(), "{:?}", audit.problems);
    for (id, hash) in &acked {
        let c = store.credential(id).await.expect("acknowledged credential");
        assert_eq!(hex::encode(c.document_hash), *hash);
        assert!(verify_credential(&c.document, &f.key.public_key));
    }
    let all = store
        .credentials_for_educator(&f.educator.id)
        .await
        .expect("credentials");
    assert_eq!(
        store.log_size().await.expect("size"),
        all.len() as u64 + 1,
        "credentials and log entries disagree"
    );
    // Whole batches only: what is stored beyond the acknowledged ones is at most the failing batch.
    assert!(all.len() >= acked.len());
    // And with space again, issuance works.
    store
        .issue(request(&f), build_credential)
        .await
        .expect("issue after disk full");
    assert!(store.audit().await.expect("audit").is_ok());
    store.close().await;
}
