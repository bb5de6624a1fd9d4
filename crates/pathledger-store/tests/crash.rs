//! Crash safety: a child process bulk-issues into a SQLite file and reports what was
//! acknowledged; it is killed with SIGKILL mid-way; the reopened store must hold every
//! acknowledged credential, nothing half-written, and a log consistent with the last signed
//! head the child reported.

mod common;

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pathledger_log::verify_consistency;
use pathledger_store::*;

const CHILD_ENV: &str = "PATHLEDGER_CRASH_CHILD";

/// The child's body: runs only when re-executed by [`sigkill_mid_bulk_issuance`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let [path, kek, issuer, achievement, educator] = parts[..] else {
        panic!("bad child spec");
    };
    let store = Store::open(StoreConfig::new(path, Kek::from_hex(kek).expect("kek")))
        .await
        .expect("child open");
    let req = IssueRequest::new(issuer, achievement, Recipient::Educator(educator.into()));
    // Runs until killed; bounded anyway so a lost parent cannot leave it running forever.
    for round in 0..400 {
        let rows = (0..100).map(|_| req.clone()).collect();
        let res = store.bulk_issue(rows, build_credential).await;
        let mut out = String::new();
        for r in res {
            let o = r.expect("child issue");
            out.push_str(&format!(
                "ACK {} {}\n",
                o.credential.id,
                hex::encode(o.credential.document_hash)
            ));
        }
        if round % 3 == 0 {
            let h = store.sign_tree_head().await.expect("head");
            out.push_str(&format!(
                "STH {} {}\n",
                h.tree_size,
                hex::encode(h.root_hash)
            ));
        }
        use std::io::Write as _;
        let mut so = std::io::stdout().lock();
        so.write_all(out.as_bytes()).expect("stdout");
        so.flush().expect("flush");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_bulk_issuance() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db").to_string_lossy().into_owned();
    let kek = Kek::generate().unwrap();
    let store = Store::open(StoreConfig::new(path.clone(), kek.clone()))
        .await
        .unwrap();
    let f = fixture(&store).await;
    store.close().await;

    let exe = std::env::current_exe().unwrap();
    let spec = format!(
        "{path}|{}|{}|{}|{}",
        kek.to_hex(),
        f.issuer.id,
        f.achievement_id,
        f.educator.id
    );
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut acked: Vec<(String, String)> = Vec::new();
    let mut last_head: Option<(u64, String)> = None;
    let start = Instant::now();
    let mut line = String::new();
    // Kill after a random-ish amount of acknowledged work, in the middle of a batch.
    while acked.len() < 1500 && start.elapsed() < Duration::from_secs(120) {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts[..] {
            ["ACK", id, hash] => acked.push((id.to_owned(), hash.to_owned())),
            ["STH", size, root] => last_head = Some((size.parse().unwrap(), root.to_owned())),
            _ => {}
        }
    }
    std::thread::sleep(Duration::from_millis(7));
    child.kill().unwrap(); // SIGKILL on Unix
                           // Whatever the child had already written to the pipe was acknowledged too.
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let parts: Vec<&str> = line.split_whitespace().collect();
                match parts[..] {
                    ["ACK", id, hash] => acked.push((id.to_owned(), hash.to_owned())),
                    ["STH", size, root] => {
                        last_head = Some((size.parse().unwrap(), root.to_owned()))
                    }
                    _ => {}
                }
            }
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "child should have been killed");
    assert!(
        acked.len() >= 1500,
        "child acknowledged only {}",
        acked.len()
    );

    let store = Store::open(StoreConfig::new(path.clone(), kek.clone()))
        .await
        .unwrap();
    // Every acknowledged credential is there, byte for byte, and verifies.
    let mut ids = HashSet::new();
    for (id, hash) in &acked {
        let c = store
            .credential(id)
            .await
            .expect("acknowledged credential lost");
        assert_eq!(hex::encode(c.document_hash), *hash);
        assert_eq!(hex::encode(sha256(c.document.as_bytes())), *hash);
        assert!(verify_credential(&c.document, &f.key.public_key));
        ids.insert(c.revocation.index);
    }
    assert_eq!(ids.len(), acked.len(), "duplicate status index");
    // Nothing half-written: the log, its nodes and the credentials agree.
    let report = store.audit().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let size = store.log_size().await.unwrap();
    let issued = store
        .credentials_for_educator(&f.educator.id)
        .await
        .unwrap();
    assert_eq!(
        size,
        issued.len() as u64 + 1,
        "credentials and log entries disagree"
    );
    assert!(issued.len() >= acked.len());
    // The log extends the last head the child published before it died.
    let (old_size, old_root) = last_head.expect("child published a head");
    let new_head = store.sign_tree_head().await.unwrap();
    let proof = store
        .consistency_proof(old_size, new_head.tree_size)
        .await
        .unwrap();
    let mut old = [0u8; 32];
    hex::decode_to_slice(&old_root, &mut old).unwrap();
    verify_consistency(
        old_size,
        new_head.tree_size,
        &proof,
        &old,
        &new_head.root_hash,
    )
    .expect("log is consistent with the head seen before the kill");
    // And the store keeps working.
    store.issue(request(&f), build_credential).await.unwrap();
    assert!(store.audit().await.unwrap().is_ok());
}
