//! The store test suite: every test runs against SQLite and PostgreSQL.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use pathledger_log::{leaf_hash, root_of, verify_consistency, verify_inclusion};
use pathledger_store::*;
use serde_json::{json, Value};

both!(issue_store_and_prove, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let out = s.issue(request(&f), build_credential).await.expect("issue");
    assert!(!out.replayed);
    let c = &out.credential;
    assert!(c.id.starts_with("urn:uuid:"));
    assert!(verify_credential(&c.document, &f.key.public_key));
    assert_eq!(c.achievement_version, 1);
    assert_eq!(c.status, CredentialStatus::Active);
    assert_eq!(c.document_hash, sha256(c.document.as_bytes()));
    // The recipient is named by the salted hash of the primary (lower-cased) email.
    let ed = s.educator(&f.educator.id).await.unwrap();
    assert_eq!(
        c.recipient_hash,
        recipient_identity_hash(&ed.emails[0], &ed.salt)
    );
    assert!(ed.emails[0].starts_with("ada.") && ed.emails[0].ends_with("@example.org"));
    assert!(c.document.contains(&c.recipient_hash));
    // Stored bytes are exactly the builder's bytes.
    let read = s.credential(&c.id).await.unwrap();
    assert_eq!(read, *c);
    // Log: key_created then issue; the leaf carries the document hash and no personal data.
    assert_eq!(s.log_size().await.unwrap(), 2);
    let entry = s.log_entry(c.log_index).await.unwrap();
    assert_eq!(entry.event, "issue");
    assert!(entry.data.contains(&hex::encode(c.document_hash)));
    assert!(!entry.data.contains(&ed.emails[0]));
    assert!(!entry.data.to_lowercase().contains("teacher"));
    assert_eq!(entry.leaf_hash, leaf_hash(entry.data.as_bytes()));
    // Offline check: entry + proof + signed head.
    let bundle = s.credential_inclusion(&c.id).await.unwrap();
    let (_, log_key) = s.log_public_key();
    bundle.tree_head.verify(&log_key).expect("head signature");
    verify_inclusion(
        bundle.entry.index,
        bundle.tree_head.tree_size,
        &leaf_hash(bundle.entry.data.as_bytes()),
        &bundle.proof,
        &bundle.tree_head.root_hash,
    )
    .expect("inclusion");
    // A proof for another leaf does not verify.
    let other = s.log_entry(0).await.unwrap();
    assert!(verify_inclusion(
        bundle.entry.index,
        bundle.tree_head.tree_size,
        &other.leaf_hash,
        &bundle.proof,
        &bundle.tree_head.root_hash
    )
    .is_err());
    assert!(s.audit().await.unwrap().is_ok());
});

both!(endorser_grants_are_stored_revocable_and_logged, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let other = s
        .create_organization("Hillcrest", "program", None)
        .await
        .unwrap();
    let mentor = s
        .create_user("mentor@example.org", "Priya", None)
        .await
        .unwrap();
    let admin = s
        .create_user("admin@example.org", "Dana", None)
        .await
        .unwrap();
    let size = s.log_size().await.unwrap();
    let g = s
        .grant_endorser(&f.org.id, &mentor.id, "role-master-mentor", Some(&admin.id))
        .await
        .unwrap();
    assert_eq!(g.log_index, Some(size));
    assert_eq!(s.log_size().await.unwrap(), size + 1);
    let entry = s.log_entry(size).await.unwrap();
    assert_eq!(entry.event, "endorser_grant");
    let leaf: Value = serde_json::from_str(&entry.data).unwrap();
    assert_eq!(leaf["grant_id"], g.id.as_str());
    assert_eq!(leaf["org_id"], f.org.id.as_str());
    assert_eq!(leaf["user_id"], mentor.id.as_str());
    assert_eq!(leaf["role_id"], "role-master-mentor");
    assert_eq!(leaf["by"], admin.id.as_str());
    // Ids only: no name or email in the log.
    assert!(!entry.data.contains("Priya") && !entry.data.contains("mentor@"));
    // Granting the same role twice is a conflict and logs nothing; unknown users are not found.
    assert!(matches!(
        s.grant_endorser(&f.org.id, &mentor.id, "role-master-mentor", None)
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.grant_endorser(&f.org.id, &"usr_nope".into(), "role-master-mentor", None)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(s.log_size().await.unwrap(), size + 1);
    let mut listed = s.endorser_grants(&f.org.id).await.unwrap();
    listed.iter_mut().for_each(|x| x.log_index = None);
    let mut expect = g.clone();
    expect.log_index = None;
    assert_eq!(listed, vec![expect]);
    assert!(s.endorser_grants(&other.id).await.unwrap().is_empty());
    assert_eq!(
        s.endorser_grants_of_user(&mentor.id).await.unwrap().len(),
        1
    );
    // Revoking through another organization finds nothing; through its own it is logged.
    assert!(matches!(
        s.revoke_endorser(&other.id, &g.id, None).await,
        Err(StoreError::NotFound { .. })
    ));
    let r = s
        .revoke_endorser(&f.org.id, &g.id, Some(&admin.id))
        .await
        .unwrap();
    assert!(r.revoked_ms.is_some());
    assert_eq!(r.log_index, Some(size + 1));
    assert_eq!(
        s.log_entry(size + 1).await.unwrap().event,
        "endorser_revoke"
    );
    assert!(s.endorser_grants(&f.org.id).await.unwrap().is_empty());
    assert!(s
        .endorser_grants_of_user(&mentor.id)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        s.revoke_endorser(&f.org.id, &g.id, None).await,
        Err(StoreError::NotFound { .. })
    ));
    // Once revoked, the role can be granted again.
    s.grant_endorser(&f.org.id, &mentor.id, "role-master-mentor", None)
        .await
        .unwrap();
    assert!(s.audit().await.unwrap().is_ok());
});

both!(idempotency_returns_first_result, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let mut req = request(&f);
    req.idempotency_key = Some("retry-1".into());
    let b = counting_builder(calls.clone());
    let first = s.issue(req.clone(), &b).await.unwrap();
    let size = s.log_size().await.unwrap();
    let again = s.issue(req.clone(), &b).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.credential, first.credential);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a replay must not build or sign"
    );
    assert_eq!(s.log_size().await.unwrap(), size);
    // Same key, different payload: conflict, nothing written.
    let mut other = req.clone();
    other.extra = json!({"note": "different"});
    match s.issue(other, &b).await {
        Err(StoreError::Conflict { .. }) => {}
        r => panic!("expected conflict, got {r:?}"),
    }
    assert_eq!(s.log_size().await.unwrap(), size);
    // The key is scoped to the organization: another org may reuse it.
    let f2 = fixture(s).await;
    let mut req2 = request(&f2);
    req2.idempotency_key = Some("retry-1".into());
    let o2 = s.issue(req2, &b).await.unwrap();
    assert!(!o2.replayed);
    assert_ne!(o2.credential.id, first.credential.id);
    // Concurrent retries of one request: exactly one credential.
    let mut req3 = request(&f);
    req3.idempotency_key = Some("race".into());
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let st = h.store.clone();
        let r = req3.clone();
        tasks.push(tokio::spawn(
            async move { st.issue(r, build_credential).await },
        ));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().expect("racing retry").credential.id);
    }
    assert_eq!(ids.len(), 1);
});

both!(bulk_issue_reports_bad_rows, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let n = 1100usize; // three batches
    let mut reqs = Vec::new();
    for i in 0..n {
        let recipient = Recipient::Email(format!("teacher{i}@school.example"));
        let mut r = IssueRequest::new(&f.issuer.id, &f.achievement_id, recipient);
        r.extra = json!({"row": i});
        reqs.push(r);
    }
    reqs[3].recipient = Recipient::Email("not an email".into());
    reqs[600].achievement_id = "https://riverside.example/achievements/unknown".into();
    reqs[900].extra = json!({"row": 900, "fail": true});
    reqs[10].idempotency_key = Some("dup".into());
    reqs[11] = reqs[10].clone();
    let builder = |ctx: IssueContext<'_>| {
        if ctx.request.extra.get("fail").is_some() {
            return Err(std::io::Error::other("builder refused row"));
        }
        build_credential(ctx)
    };
    let before = s.log_size().await.unwrap();
    let res = s.bulk_issue(reqs, builder).await;
    assert_eq!(res.len(), n);
    assert!(matches!(&res[3], Err(StoreError::InvalidInput { field, .. }) if field == "recipient"));
    assert!(matches!(
        &res[600],
        Err(StoreError::NotFound {
            entity: "achievement",
            ..
        })
    ));
    assert!(matches!(&res[900], Err(StoreError::Build(_))));
    let r10 = res[10].as_ref().unwrap();
    let r11 = res[11].as_ref().unwrap();
    assert_eq!(r10.credential.id, r11.credential.id);
    assert!(r11.replayed);
    let ok: Vec<&IssueOutcome> = res.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(ok.len(), n - 3);
    let fresh: Vec<_> = ok.iter().filter(|o| !o.replayed).collect();
    assert_eq!(fresh.len(), n - 4);
    assert_eq!(s.log_size().await.unwrap(), before + fresh.len() as u64);
    let idx: HashSet<u64> = fresh
        .iter()
        .map(|o| o.credential.revocation.index)
        .collect();
    assert_eq!(idx.len(), fresh.len(), "status indexes are unique");
    let logs: HashSet<u64> = fresh.iter().map(|o| o.credential.log_index).collect();
    assert_eq!(logs.len(), fresh.len());
    for o in &fresh {
        assert!(verify_credential(&o.credential.document, &f.key.public_key));
        assert!(o.credential.revocation.index < 131_072);
    }
    // Unknown emails became educators; a known one is reused.
    let e = s
        .educator_by_email(&f.org.id, "teacher5@school.example")
        .await
        .unwrap()
        .unwrap();
    let held = s.credentials_for_educator(&e.id).await.unwrap();
    assert_eq!(held.len(), 1);
    // A new educator's credential names them by the salted hash the store keeps for them.
    assert_eq!(
        held[0].recipient_hash,
        recipient_identity_hash("teacher5@school.example", &e.salt)
    );
    assert!(held[0].document.contains(&held[0].recipient_hash));
    assert!(s.audit().await.unwrap().is_ok());
});

// Batches that share a recipient or an idempotency key with the batch before them (on
// PostgreSQL the next batch's reads otherwise run while the one before is written): an email
// repeated two batches apart is one educator holding both credentials, a key repeated in the
// next batch is a replay; independent batches in between issue as usual.
both!(bulk_batches_sharing_recipients_and_keys, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let n = 1600usize; // four batches
    let mut reqs = Vec::new();
    for i in 0..n {
        let recipient = Recipient::Email(format!("cohort{i}@school.example"));
        reqs.push(IssueRequest::new(
            &f.issuer.id,
            &f.achievement_id,
            recipient,
        ));
    }
    // Batch 2 names a recipient of batch 1 (in another case); batch 4 repeats a key of batch 3.
    reqs[700].recipient = Recipient::Email("  Cohort10@School.example ".into());
    reqs[1100].idempotency_key = Some("retry".into());
    reqs[1550] = reqs[1100].clone();
    let before = s.log_size().await.unwrap();
    let res = s.bulk_issue(reqs, build_credential).await;
    assert_eq!(res.len(), n);
    let ok: Vec<&IssueOutcome> = res
        .iter()
        .map(|r| r.as_ref().expect("every row issues"))
        .collect();
    assert!(ok[1550].replayed && !ok[1100].replayed);
    assert_eq!(ok[1550].credential, ok[1100].credential);
    assert_eq!(
        ok[700].credential.educator_id,
        ok[10].credential.educator_id
    );
    let e = s
        .educator_by_email(&f.org.id, "cohort10@school.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.credentials_for_educator(&e.id).await.unwrap().len(), 2);
    let fresh = ok.iter().filter(|o| !o.replayed).count();
    assert_eq!(fresh, n - 1);
    assert_eq!(s.log_size().await.unwrap(), before + fresh as u64);
    let idx: HashSet<u64> = ok.iter().map(|o| o.credential.revocation.index).collect();
    assert_eq!(idx.len(), fresh, "status indexes are unique");
    assert!(s.audit().await.unwrap().is_ok());
});

// One batch big enough to be built on several threads: a failing and a panicking builder row
// in the middle, a bad input row, a duplicate key inside the batch and a key issued before all
// stay per-row; the rest issue once each, with unique status indexes and one log leaf each.
both!(parallel_batch_isolates_bad_rows, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let mut earlier = request(&f);
    earlier.idempotency_key = Some("earlier".into());
    let first = s.issue(earlier.clone(), build_credential).await.unwrap();
    let n = 150usize;
    let mut reqs = Vec::new();
    for i in 0..n {
        let recipient = Recipient::Email(format!("pipe{i}@school.example"));
        let mut r = IssueRequest::new(&f.issuer.id, &f.achievement_id, recipient);
        r.extra = json!({"row": i});
        r.suspendable = i % 3 == 0;
        reqs.push(r);
    }
    reqs[40].extra = json!({"row": 40, "fail": true});
    reqs[41].extra = json!({"row": 41, "panic": true});
    reqs[70].recipient = Recipient::Email("nobody at all".into());
    reqs[100].idempotency_key = Some("twice".into());
    reqs[101] = reqs[100].clone();
    reqs[120] = earlier;
    let builder = |ctx: IssueContext<'_>| {
        if ctx.request.extra.get("fail").is_some() {
            return Err(std::io::Error::other("builder refused row"));
        }
        assert!(ctx.request.extra.get("panic").is_none(), "builder bug");
        // The suite key is the handle's key, ready to sign.
        assert_eq!(
            ctx.key.suite_key().public_key().to_bytes(),
            ctx.key.verifying_key().to_bytes()
        );
        build_credential(ctx)
    };
    let before = s.log_size().await.unwrap();
    let res = s.bulk_issue(reqs, builder).await;
    assert_eq!(res.len(), n);
    assert!(matches!(&res[40], Err(StoreError::Build(e)) if e.to_string().contains("refused")));
    assert!(matches!(&res[41], Err(StoreError::Build(e)) if e.to_string().contains("panicked")));
    assert!(
        matches!(&res[70], Err(StoreError::InvalidInput { field, .. }) if field == "recipient")
    );
    let r100 = res[100].as_ref().unwrap();
    let r101 = res[101].as_ref().unwrap();
    assert!(!r100.replayed && r101.replayed);
    assert_eq!(r100.credential, r101.credential);
    let r120 = res[120].as_ref().unwrap();
    assert!(r120.replayed);
    assert_eq!(r120.credential, first.credential);

    let fresh: Vec<&IssueOutcome> = res
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter(|o| !o.replayed)
        .collect();
    assert_eq!(fresh.len(), n - 5);
    // The log grew by exactly the fresh credentials, in one contiguous run, each leaf naming
    // its credential; nothing of the failed rows was written.
    assert_eq!(s.log_size().await.unwrap(), before + fresh.len() as u64);
    let mut log_idx: Vec<u64> = fresh.iter().map(|o| o.credential.log_index).collect();
    log_idx.sort_unstable();
    assert_eq!(
        log_idx,
        (before..before + fresh.len() as u64).collect::<Vec<_>>()
    );
    let mut status: HashSet<(String, u64)> = HashSet::new();
    status.insert((
        first.credential.revocation.list_id.clone(),
        first.credential.revocation.index,
    ));
    for (i, r) in res.iter().enumerate() {
        let Ok(o) = r else { continue };
        if o.replayed {
            continue;
        }
        let c = &o.credential;
        assert_eq!(s.credential(&c.id).await.unwrap(), *c);
        assert_eq!(
            s.log_entry(c.log_index)
                .await
                .unwrap()
                .credential_id
                .as_deref(),
            Some(c.id.as_str())
        );
        assert!(verify_credential(&c.document, &f.key.public_key));
        assert!(c.document.contains(&format!("\"row\":{i}")));
        assert!(status.insert((c.revocation.list_id.clone(), c.revocation.index)));
        assert_eq!(c.suspension.is_some(), i % 3 == 0);
        if let Some(susp) = &c.suspension {
            assert!(status.insert((susp.list_id.clone(), susp.index)));
        }
    }
    assert!(s.audit().await.unwrap().is_ok());
});

both!(revoke_suspend_reinstate, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let mut req = request(&f);
    req.suspendable = true;
    let c = s.issue(req, build_credential).await.unwrap().credential;
    let susp = c.suspension.clone().expect("suspension entry");
    let v0 = s.status_list_bits(&susp.list_id).await.unwrap();
    assert!(!v0.is_set(susp.index));
    assert_eq!(v0.bits.len(), 16_384);

    let o = s
        .change_status(
            &c.id,
            StatusChange::Suspend,
            Some("under review"),
            Some(&UserId::from("usr_admin")),
        )
        .await
        .unwrap();
    assert_eq!(o.credential.status, CredentialStatus::Suspended);
    let v1 = s.status_list_bits(&susp.list_id).await.unwrap();
    assert!(v1.is_set(susp.index));
    assert!(v1.version > v0.version);
    assert_eq!(o.list_version, v1.version);
    assert_eq!(s.log_entry(o.log_index).await.unwrap().event, "suspend");
    assert!(matches!(
        s.change_status(&c.id, StatusChange::Suspend, None, None)
            .await,
        Err(StoreError::Conflict { .. })
    ));

    s.change_status(&c.id, StatusChange::Reinstate, Some("cleared"), None)
        .await
        .unwrap();
    assert!(!s
        .status_list_bits(&susp.list_id)
        .await
        .unwrap()
        .is_set(susp.index));
    assert_eq!(
        s.credential(&c.id).await.unwrap().status,
        CredentialStatus::Active
    );

    let o = s
        .change_status(&c.id, StatusChange::Revoke, Some("issued in error"), None)
        .await
        .unwrap();
    let rev = s.status_list_bits(&c.revocation.list_id).await.unwrap();
    assert!(rev.is_set(c.revocation.index));
    // Only that bit is set.
    assert_eq!(rev.bits.iter().map(|b| b.count_ones()).sum::<u32>(), 1);
    assert_eq!(
        o.credential.status_reason.as_deref(),
        Some("issued in error")
    );
    for change in [
        StatusChange::Revoke,
        StatusChange::Reinstate,
        StatusChange::Suspend,
    ] {
        assert!(matches!(
            s.change_status(&c.id, change, None, None).await,
            Err(StoreError::Conflict { .. })
        ));
    }
    let events = s.credential_events(&c.id).await.unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(names, ["suspend", "reinstate", "revoke"]);
    assert_eq!(events[0].2.as_deref(), Some("under review"));
    let entries = s.log_entries_for_credential(&c.id).await.unwrap();
    assert_eq!(entries.len(), 4);
    // A credential without a suspension entry cannot be suspended.
    let c2 = s
        .issue(request(&f), build_credential)
        .await
        .unwrap()
        .credential;
    assert!(matches!(
        s.change_status(&c2.id, StatusChange::Suspend, None, None)
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.change_status("urn:uuid:nope", StatusChange::Revoke, None, None)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.audit().await.unwrap().is_ok());
});

both!(renewal_expiry_and_award_once, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let mut req = request(&f);
    req.valid_until_ms = Some(1_000);
    let old = s.issue(req, build_credential).await.unwrap().credential;
    let due = s.credentials_expiring(&f.org.id, 2_000).await.unwrap();
    assert_eq!(
        due.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [old.id.as_str()]
    );
    let mut renew = request(&f);
    renew.previous_credential_id = Some(old.id.clone());
    let new = s.issue(renew, build_credential).await.unwrap().credential;
    assert_eq!(new.previous_id.as_deref(), Some(old.id.as_str()));
    assert!(s
        .credentials_expiring(&f.org.id, 2_000)
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .log_entry(new.log_index)
        .await
        .unwrap()
        .data
        .contains(&old.id));
    // A renewal must be of the same achievement for the same educator.
    let other = s
        .create_educator(NewEducator {
            org_id: f.org.id.to_string(),
            display_name: "Bo".into(),
            emails: vec!["bo@example.org".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let mut bad = IssueRequest::new(
        &f.issuer.id,
        &f.achievement_id,
        Recipient::Educator(other.id.to_string()),
    );
    bad.previous_credential_id = Some(old.id.clone());
    assert!(matches!(
        s.issue(bad, build_credential).await,
        Err(StoreError::InvalidInput { field, .. }) if field == "previous_credential_id"
    ));

    // Award once per (educator, role), whatever the payload.
    let a1 = s
        .award_once(&f.educator.id, "role:novice", request(&f), build_credential)
        .await
        .unwrap();
    let mut req2 = request(&f);
    req2.extra = json!({"second": true});
    let a2 = s
        .award_once(&f.educator.id, "role:novice", req2, build_credential)
        .await
        .unwrap();
    assert!(!a1.replayed);
    assert!(a2.replayed);
    assert_eq!(a1.credential.id, a2.credential.id);
    let a3 = s
        .award_once(&other.id, "role:novice", request(&f), build_credential)
        .await
        .unwrap();
    assert_ne!(a3.credential.id, a1.credential.id);
});

both!(definitions_are_versioned, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let c1 = s
        .issue(request(&f), build_credential)
        .await
        .unwrap()
        .credential;
    let d2 = s
        .put_definition(
            &f.org.id,
            DefinitionKind::Achievement,
            &f.achievement_id,
            &json!({"name": "Data Practices v2"}),
        )
        .await
        .unwrap();
    assert_eq!(d2.version, 2);
    let c2 = s
        .issue(request(&f), build_credential)
        .await
        .unwrap()
        .credential;
    assert_eq!((c1.achievement_version, c2.achievement_version), (1, 2));
    let mut pinned = request(&f);
    pinned.achievement_version = Some(1);
    assert_eq!(
        s.issue(pinned, build_credential)
            .await
            .unwrap()
            .credential
            .achievement_version,
        1
    );
    let d1 = s
        .definition(
            &f.org.id,
            DefinitionKind::Achievement,
            &f.achievement_id,
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(d1.document["name"], "Data Practices");
    let latest = s
        .definitions(DefinitionKind::Achievement, Some(&f.org.id))
        .await
        .unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].version, 2);
    // Another organization's definition of the same id is its own (version 1), and leaves
    // this one as it was.
    let other = s
        .create_organization("Other", "district", None)
        .await
        .unwrap();
    let theirs = s
        .put_definition(
            &other.id,
            DefinitionKind::Achievement,
            &f.achievement_id,
            &json!({"name": "theirs"}),
        )
        .await
        .unwrap();
    assert_eq!(theirs.version, 1);
    let ours = s
        .definition(
            &f.org.id,
            DefinitionKind::Achievement,
            &f.achievement_id,
            None,
        )
        .await
        .unwrap();
    assert_eq!(ours.version, 2);
    assert_ne!(ours.document, json!({"name": "theirs"}));
    assert_eq!(
        s.definitions(DefinitionKind::Achievement, Some(&other.id))
            .await
            .unwrap()
            .len(),
        1
    );
});

both!(key_rotation_keeps_retired_keys, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let c1 = s
        .issue(request(&f), build_credential)
        .await
        .unwrap()
        .credential;
    let k2 = s.rotate_issuer_key(&f.issuer.id).await.unwrap();
    let c2 = s
        .issue(request(&f), build_credential)
        .await
        .unwrap()
        .credential;
    assert_eq!(c1.key_id, f.key.id);
    assert_eq!(c2.key_id, k2.id);
    let keys = s.issuer_keys(&f.issuer.id).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(!keys[0].active && keys[0].retired_ms.is_some());
    assert!(keys[1].active);
    assert!(verify_credential(&c1.document, &keys[0].public_key));
    assert!(verify_credential(&c2.document, &keys[1].public_key));
    assert!(!verify_credential(&c2.document, &keys[0].public_key));
    let rot = s.log_entry(c2.log_index - 1).await.unwrap();
    assert_eq!(rot.event, "key_rotation");
    assert!(rot.data.contains(&hex::encode(k2.public_key)));
    // Only a signing handle is lent out.
    let sig = s
        .with_issuer_key(&f.issuer.id, |k| k.sign(b"list"))
        .await
        .unwrap();
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&k2.public_key).unwrap();
    assert!(vk
        .verify_strict(b"list", &ed25519_dalek::Signature::from_bytes(&sig))
        .is_ok());
    // A store opened with the wrong key-encryption key cannot use the keys.
    let wrong = Store::open(StoreConfig::new(h.url.clone(), Kek::generate().unwrap())).await;
    assert!(matches!(wrong, Err(StoreError::Integrity { .. })));
});

both!(proofs_match_reference_tree, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let mut heads = vec![s.sign_tree_head().await.unwrap()];
    for round in 0..5 {
        let reqs = (0..(round * 7 + 3))
            .map(|_| request(&f))
            .collect::<Vec<_>>();
        for r in s.bulk_issue(reqs, build_credential).await {
            r.unwrap();
        }
        heads.push(s.sign_tree_head().await.unwrap());
    }
    let size = s.log_size().await.unwrap();
    let entries = s.log_entries(0, 10_000).await.unwrap();
    assert_eq!(entries.len() as u64, size);
    let leaves: Vec<[u8; 32]> = entries
        .iter()
        .map(|e| leaf_hash(e.data.as_bytes()))
        .collect();
    let (_, key) = s.log_public_key();
    for hd in &heads {
        hd.verify(&key).unwrap();
        assert_eq!(hd.root_hash, root_of(&leaves[..hd.tree_size as usize]));
        assert_eq!(s.root_at(hd.tree_size).await.unwrap(), hd.root_hash);
    }
    for w in heads.windows(2) {
        let p = s
            .consistency_proof(w[0].tree_size, w[1].tree_size)
            .await
            .unwrap();
        verify_consistency(
            w[0].tree_size,
            w[1].tree_size,
            &p,
            &w[0].root_hash,
            &w[1].root_hash,
        )
        .unwrap();
        // Swapped roots fail.
        if w[0].tree_size != w[1].tree_size {
            assert!(verify_consistency(
                w[0].tree_size,
                w[1].tree_size,
                &p,
                &w[1].root_hash,
                &w[0].root_hash,
            )
            .is_err());
        }
    }
    let last = heads.last().unwrap();
    for i in 0..size {
        let p = s.inclusion_proof(i, size).await.unwrap();
        verify_inclusion(i, size, &leaves[i as usize], &p, &last.root_hash).unwrap();
    }
    assert!(matches!(
        s.inclusion_proof(size, size).await,
        Err(StoreError::InvalidInput { .. })
    ));
    assert!(matches!(
        s.consistency_proof(1, size + 1).await,
        Err(StoreError::InvalidInput { .. })
    ));
    assert!(matches!(
        s.consistency_proof(0, size).await,
        Err(StoreError::InvalidInput { .. })
    ));
});

both!(privacy_export_and_erase, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let c = s
        .issue(request(&f), build_credential)
        .await
        .unwrap()
        .credential;
    s.add_fact(&f.educator.id, "experience", &json!({"years": 3}), None)
        .await
        .unwrap();
    s.submit_evidence(
        &f.org.id,
        &f.educator.id,
        &f.achievement_id,
        &json!({"url": "https://x.example/e"}),
        None,
    )
    .await
    .unwrap();
    s.change_status(&c.id, StatusChange::Revoke, Some("duplicate"), None)
        .await
        .unwrap();
    s.sign_tree_head().await.unwrap();
    let export = s.export_educator(&f.educator.id).await.unwrap();
    assert_eq!(export.credentials.len(), 1);
    assert_eq!(export.facts.len(), 1);
    assert_eq!(export.submissions.len(), 1);
    assert_eq!(export.educator.emails, [f.educator.emails[0].clone()]);
    let json = serde_json::to_value(&export).unwrap();
    assert!(json.to_string().contains(&c.document.replace('"', "\\\"")));
    // No leaf mentions the email or the name.
    for e in s.log_entries(0, 1000).await.unwrap() {
        assert!(!e.data.contains(&f.educator.emails[0]), "{}", e.data);
        assert!(!e.data.to_lowercase().contains("teacher"), "{}", e.data);
    }
    assert_eq!(s.delete_educator(&f.educator.id).await.unwrap(), 1);
    assert!(matches!(
        s.educator(&f.educator.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.credential(&c.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s
        .educator_by_email(&f.org.id, &f.educator.emails[0])
        .await
        .unwrap()
        .is_none());
    // The log is intact and the credential stays revoked.
    let r = s.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    assert!(s
        .status_list_bits(&c.revocation.list_id)
        .await
        .unwrap()
        .is_set(c.revocation.index));
    // Issue, revoke, and the erasure (which names only the credential's id).
    let events = s.log_entries_for_credential(&c.id).await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].event, "erase");
    assert!(!events[2].data.contains(&f.educator.emails[0]));
});

both!(orgs_users_tokens_evidence, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let school = s
        .create_organization("North School", "school", Some(&f.org.id))
        .await
        .unwrap();
    assert_eq!(school.parent_id.as_deref(), Some(f.org.id.as_str()));
    assert!(matches!(
        s.create_organization("x", "school", Some("org_missing"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let admin = s
        .create_user("Admin@District.example", "Admin", None)
        .await
        .unwrap();
    assert!(matches!(
        s.create_user("admin@district.example", "Dup", None).await,
        Err(StoreError::Conflict { .. })
    ));
    s.grant_role(&admin.id, &f.org.id, AccessRole::OrgAdmin)
        .await
        .unwrap();
    s.grant_role(&admin.id, &f.org.id, AccessRole::OrgAdmin)
        .await
        .unwrap();
    assert!(
        s.has_role(&admin.id, &school.id, AccessRole::OrgAdmin)
            .await
            .unwrap(),
        "district admin covers schools"
    );
    assert!(!s
        .has_role(&admin.id, &school.id, AccessRole::Assessor)
        .await
        .unwrap());
    let other = s
        .create_organization("Elsewhere", "district", None)
        .await
        .unwrap();
    assert!(!s
        .has_role(&admin.id, &other.id, AccessRole::OrgAdmin)
        .await
        .unwrap());
    assert_eq!(s.memberships(&admin.id).await.unwrap().len(), 1);

    let tok = s.create_api_token(&admin.id, "ci", None).await.unwrap();
    assert_eq!(
        s.authenticate_token(&tok.secret).await.unwrap().unwrap().id,
        admin.id
    );
    assert!(s.authenticate_token("plt_wrong").await.unwrap().is_none());
    s.revoke_api_token(&tok.id).await.unwrap();
    assert!(s.authenticate_token(&tok.secret).await.unwrap().is_none());
    let expired = s.create_api_token(&admin.id, "old", Some(1)).await.unwrap();
    assert!(s
        .authenticate_token(&expired.secret)
        .await
        .unwrap()
        .is_none());
    let sess = s.create_session(&admin.id, 60_000).await.unwrap();
    assert_eq!(s.session_user(&sess).await.unwrap().unwrap().id, admin.id);
    s.delete_session(&sess).await.unwrap();
    assert!(s.session_user(&sess).await.unwrap().is_none());

    let assessor = s
        .create_user("mentor@district.example", "Mentor", None)
        .await
        .unwrap();
    s.grant_role(&assessor.id, &f.org.id, AccessRole::Assessor)
        .await
        .unwrap();
    let assessors = s
        .users_with_role(&f.org.id, AccessRole::Assessor)
        .await
        .unwrap();
    assert_eq!(
        assessors.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        vec![assessor.id.as_str()]
    );
    assert!(s
        .users_with_role(&other.id, AccessRole::Assessor)
        .await
        .unwrap()
        .is_empty());
    let in_org = s.educators_in_org(&f.org.id).await.unwrap();
    assert_eq!(in_org.len(), 1);
    assert_eq!(in_org[0].0, f.educator.id);
    assert!(s.educators_in_org(&other.id).await.unwrap().is_empty());
    let sub = s
        .submit_evidence(
            &f.org.id,
            &f.educator.id,
            &f.achievement_id,
            &json!({"artifact": "plan.pdf"}),
            Some(&assessor.id),
        )
        .await
        .unwrap();
    assert_eq!(
        s.submissions_for_assessor(&assessor.id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        s.decide_evidence(&sub.id, &admin.id, true, None).await,
        Err(StoreError::Forbidden { .. })
    ));
    let d = s
        .decide_evidence(&sub.id, &assessor.id, false, Some("add a reflection"))
        .await
        .unwrap();
    assert_eq!(d.state, SubmissionState::Returned);
    assert!(matches!(
        s.decide_evidence(&sub.id, &assessor.id, true, None).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        s.submission(&sub.id)
            .await
            .unwrap()
            .decision_comment
            .as_deref(),
        Some("add a reflection")
    );

    // Communities: visible within the organization by default, public only by choice, and
    // never listed under another organization.
    let ed = s.educator(&f.educator.id).await.unwrap();
    assert_eq!(ed.community_visibility, CommunityVisibility::Organization);
    assert_eq!(
        s.community_educators(&f.org.id, true).await.unwrap(),
        vec![ed.id.to_string()]
    );
    assert!(s
        .community_educators(&f.org.id, false)
        .await
        .unwrap()
        .is_empty());
    let elsewhere = s
        .create_organization("Elsewhere", "district", None)
        .await
        .unwrap();
    assert!(s
        .community_educators(&elsewhere.id, true)
        .await
        .unwrap()
        .is_empty());
    s.set_educator_preferences(&ed.id, false, false, CommunityVisibility::Public)
        .await
        .unwrap();
    assert_eq!(
        s.community_educators(&f.org.id, false).await.unwrap(),
        vec![ed.id.to_string()]
    );
    assert!(s
        .community_educators(&elsewhere.id, false)
        .await
        .unwrap()
        .is_empty());
    s.set_educator_preferences(&ed.id, false, false, CommunityVisibility::Hidden)
        .await
        .unwrap();
    assert!(s
        .community_educators(&f.org.id, true)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.educator(&ed.id).await.unwrap().community_visibility,
        CommunityVisibility::Hidden
    );
    s.add_educator_email(&ed.id, "ada.two@example.org")
        .await
        .unwrap();
    assert_eq!(s.educator(&ed.id).await.unwrap().emails.len(), 2);
    assert!(matches!(
        s.add_educator_email(&ed.id, &ed.emails[0].to_uppercase())
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.create_educator(NewEducator {
            org_id: f.org.id.to_string(),
            display_name: "No id".into(),
            ..Default::default()
        })
        .await,
        Err(StoreError::InvalidInput { .. })
    ));
    assert_eq!(s.facts(&ed.id).await.unwrap().len(), 0);
    let fact = s
        .add_fact(
            &ed.id,
            "rotation",
            &json!({"role": "guide"}),
            Some(&assessor.id),
        )
        .await
        .unwrap();
    assert_eq!(s.facts(&ed.id).await.unwrap(), [fact]);
});

both!(concurrent_issuers_no_gap_no_fork, |h| {
    let f = fixture(&h.store).await;
    // Two independent stores on one database stand for two server processes.
    let second = h.reopen().await;
    let stores = [h.store.clone(), second.clone()];
    let mut tasks = Vec::new();
    for t in 0..8 {
        let st = stores[t % 2].clone();
        let req = request(&f);
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..15 {
                if i % 5 == 4 {
                    let rows = (0..10).map(|_| req.clone()).collect();
                    for r in st.bulk_issue(rows, build_credential).await {
                        out.push(r.expect("bulk row"));
                    }
                } else {
                    out.push(
                        st.issue(req.clone(), build_credential)
                            .await
                            .expect("issue"),
                    );
                }
            }
            if t == 0 {
                st.sign_tree_head().await.expect("head");
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 8 * (12 + 30));
    let idx: HashSet<(String, u64)> = all
        .iter()
        .map(|o| {
            (
                o.credential.revocation.list_id.clone(),
                o.credential.revocation.index,
            )
        })
        .collect();
    assert_eq!(idx.len(), all.len(), "duplicate status index");
    let logs: HashSet<u64> = all.iter().map(|o| o.credential.log_index).collect();
    assert_eq!(logs.len(), all.len(), "two credentials share a log index");
    let size = h.store.log_size().await.unwrap();
    assert_eq!(size, all.len() as u64 + 1, "gap or extra entries");
    let entries = h.store.log_entries(0, 100_000).await.unwrap();
    assert!(
        entries.iter().enumerate().all(|(i, e)| e.index == i as u64),
        "gap in the log"
    );
    let r = h.store.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    second.close().await;
});

#[tokio::test]
async fn sqlite_file_is_created_with_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub.db");
    let store = Store::open(StoreConfig::new(
        path.to_string_lossy(),
        Kek::generate().unwrap(),
    ))
    .await
    .unwrap();
    assert!(path.exists());
    store.ping().await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    let f = fixture(&store).await;
    store.issue(request(&f), build_credential).await.unwrap();
    assert!(dir.path().join("sub.db-wal").exists());
    let _: Value = json!(null);
}

/// Signed credentials (2–4 KiB) stay inline and uncompressed on PostgreSQL (migration 0003):
/// compressing each one on insert cost a tenth of the server's time in bulk issuance.
#[tokio::test]
async fn postgres_keeps_credential_rows_inline() {
    use sqlx::{Connection as _, Row as _};
    let Some(h) = common::postgres().await else {
        return;
    };
    let f = fixture(&h.store).await;
    // A document the size of a real one (our builder puts `extra` into it), easy to compress.
    let mut req = request(&f);
    req.extra = json!({"evidence": "observed lesson; ".repeat(180)});
    let out = h.store.issue(req, build_credential).await.unwrap();
    assert!(out.credential.document.len() > 3000);
    let mut c = sqlx::PgConnection::connect(&h.url).await.unwrap();
    let options: Vec<String> = sqlx::query(
        "SELECT unnest(reloptions) FROM pg_class WHERE relname = 'credentials' AND relkind = 'r'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert!(
        options.iter().any(|o| o == "toast_tuple_target=8160"),
        "credentials table options: {options:?}"
    );
    // The stored document is not compressed (pg_column_compression is NULL for plain values).
    let compression: Option<String> =
        sqlx::query("SELECT pg_column_compression(document) FROM credentials WHERE id = $1")
            .bind(&out.credential.id)
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0);
    assert_eq!(
        compression,
        None,
        "document of {} bytes",
        out.credential.document.len()
    );
    c.close().await.ok();
    h.finish().await;
}

// One email normalizer: issuance, educator lookups and educator emails agree on what an email
// is (issuance used to accept a tab inside an address that the rest refused) and on its form.
both!(one_email_normal_form_everywhere, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    for bad in ["ana\tmaria@school.example", "ana@school\u{a0}example.org"] {
        let r = s
            .issue(
                IssueRequest::new(
                    &f.issuer.id,
                    &f.achievement_id,
                    Recipient::Email(bad.into()),
                ),
                build_credential,
            )
            .await;
        assert!(
            matches!(&r, Err(StoreError::InvalidInput { field, .. }) if field == "recipient"),
            "{bad:?}: {r:?}"
        );
        let r = s.educator_by_email(&f.org.id, bad).await;
        assert!(
            matches!(&r, Err(StoreError::InvalidInput { field, .. }) if field == "email"),
            "{bad:?}: {r:?}"
        );
    }
    let out = s
        .issue(
            IssueRequest::new(
                &f.issuer.id,
                &f.achievement_id,
                Recipient::Email("  Ana.Maria@School.Example\n".into()),
            ),
            build_credential,
        )
        .await
        .expect("issued");
    let found = s
        .educator_by_email(&f.org.id, "ana.maria@school.example")
        .await
        .expect("lookup")
        .expect("the educator issuance created is found by the normal form");
    assert_eq!(Some(found.id.to_string()), out.credential.educator_id);
});

// Tenant isolation in the store: an issuer reaches only its own organization's educators (an id
// of another organization's record is "not found", its email becomes a record of the issuing
// organization); identifiers are unique per organization; a person's records are joined only by
// links (one per organization, each record linked to one user); holdings count only what the
// record's own organization issued, plus trusted issuers' credentials on linked records.
both!(organizations_keep_their_own_records, |h| {
    let s = &h.store;
    let a = fixture(s).await;
    let b = fixture(s).await;
    let email = a.educator.emails[0].clone();
    // B names A's record by id: not found, nothing written.
    let size = s.log_size().await.unwrap();
    let r = s
        .issue(
            IssueRequest::new(
                &b.issuer.id,
                &b.achievement_id,
                Recipient::Educator(a.educator.id.to_string()),
            ),
            build_credential,
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    assert_eq!(s.log_size().await.unwrap(), size);
    // B's achievement id is not A's to issue either.
    let r = s
        .issue(
            IssueRequest::new(
                &a.issuer.id,
                &b.achievement_id,
                Recipient::Educator(a.educator.id.to_string()),
            ),
            build_credential,
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    // B names A's educator by email: B gets its own record of that person.
    let out = s
        .issue(
            IssueRequest::new(
                &b.issuer.id,
                &b.achievement_id,
                Recipient::Email(email.clone()),
            ),
            build_credential,
        )
        .await
        .unwrap();
    let theirs = out.credential.educator_id.clone().expect("educator");
    assert_ne!(theirs, a.educator.id.to_string());
    assert_eq!(s.educator(&theirs).await.unwrap().org_id, b.org.id);
    assert!(s
        .credentials_for_educator(&a.educator.id)
        .await
        .unwrap()
        .is_empty());
    let by_a = s
        .educator_by_email(&a.org.id, &email)
        .await
        .unwrap()
        .unwrap();
    let by_b = s
        .educator_by_email(&b.org.id, &email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_a.id, a.educator.id);
    assert_eq!(by_b.id.as_str(), theirs);
    assert_eq!(s.educators_with_email(&email).await.unwrap().len(), 2);

    // Links: one user, one record per organization, a record to one user.
    let user = s
        .create_user(&email, "Ada", Some(&a.educator.id))
        .await
        .unwrap();
    assert_eq!(user.educators.len(), 1);
    assert!(matches!(
        s.link_educator(&user.id, &a.educator.id).await,
        Err(StoreError::Conflict { .. })
    ));
    let other_user = s
        .create_user("someone@else.example", "S", None)
        .await
        .unwrap();
    assert!(matches!(
        s.link_educator(&other_user.id, &a.educator.id).await,
        Err(StoreError::Conflict { .. })
    ));
    s.link_educator(&user.id, &theirs).await.unwrap();
    let user = s.user(&user.id).await.unwrap();
    assert_eq!(user.educators.len(), 2);
    assert_eq!(
        user.educator_in(&b.org.id).map(|e| e.as_str()),
        Some(theirs.as_str())
    );

    // Holdings: B's credential counts for A's record only once A trusts B's issuer.
    let holdings =
        |org: String, edu: String| async move { s.active_holdings(&org, &[edu], 0).await.unwrap() };
    assert!(holdings(a.org.id.to_string(), a.educator.id.to_string())
        .await
        .is_empty());
    assert_eq!(
        holdings(b.org.id.to_string(), theirs.clone()).await.len(),
        1
    );
    s.trust_issuer(&a.org.id, &b.issuer.id, &user.id)
        .await
        .unwrap();
    assert_eq!(
        holdings(a.org.id.to_string(), a.educator.id.to_string()).await,
        vec![(a.educator.id.to_string(), b.achievement_id.clone())]
    );
    assert_eq!(
        s.recognized_credentials(&a.educator.id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        s.trust_issuer(&a.org.id, &a.issuer.id, &user.id).await,
        Err(StoreError::InvalidInput { .. })
    ));
    s.distrust_issuer(&a.org.id, &b.issuer.id).await.unwrap();
    assert!(holdings(a.org.id.to_string(), a.educator.id.to_string())
        .await
        .is_empty());
    // Erasing a record removes its link, and nothing else of the account.
    s.delete_educator(&theirs).await.unwrap();
    let user = s.user(&user.id).await.unwrap();
    assert_eq!(user.educators.len(), 1);
    assert_eq!(user.primary_educator(), Some(&a.educator.id));
    // Users listed by role come without links, and without failing.
    s.grant_role(&user.id, &a.org.id, AccessRole::Assessor)
        .await
        .unwrap();
    assert_eq!(
        s.users_with_role(&a.org.id, AccessRole::Assessor)
            .await
            .unwrap()
            .len(),
        1
    );
});

// Members: role changes and deactivation are recorded with who did them; deactivating a member
// whose last organization it is closes the account (its sessions and tokens refused at once),
// while a member of another organization keeps their access there; own-token listing never
// carries a secret and another user's token is "not found".
both!(members_tokens_and_deactivation, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let other = s
        .create_organization("Hillcrest", "program", None)
        .await
        .unwrap();
    let admin = s
        .create_user("admin@example.org", "Dana", None)
        .await
        .unwrap();
    let pat = s.create_user("pat@example.org", "Pat", None).await.unwrap();
    let lee = s.create_user("lee@example.org", "Lee", None).await.unwrap();
    s.grant_role(&admin.id, &f.org.id, AccessRole::OrgAdmin)
        .await
        .unwrap();
    s.grant_role(&pat.id, &f.org.id, AccessRole::Issuer)
        .await
        .unwrap();
    s.grant_role(&lee.id, &f.org.id, AccessRole::Verifier)
        .await
        .unwrap();
    s.grant_role(&lee.id, &other.id, AccessRole::Verifier)
        .await
        .unwrap();

    // Tokens: listed by owner without secrets; revoking someone else's is not found.
    let t = s
        .create_api_token(pat.id.as_str(), "ci", None)
        .await
        .unwrap();
    let listed = s.api_tokens_of_user(&pat.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].label.as_str()),
        (t.id.as_str(), "ci")
    );
    assert!(!format!("{listed:?}").contains(&t.secret));
    assert!(s.api_tokens_of_user(&lee.id).await.unwrap().is_empty());
    assert!(matches!(
        s.revoke_own_api_token(&lee.id, &t.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.authenticate_token(&t.secret).await.unwrap().is_some());
    let lee_token = s
        .create_api_token(lee.id.as_str(), "x", None)
        .await
        .unwrap();
    let gone = s
        .create_api_token(pat.id.as_str(), "gone", None)
        .await
        .unwrap();
    let r = s.revoke_own_api_token(&pat.id, &gone.id).await.unwrap();
    assert!(r.revoked_ms.is_some());
    assert!(s.authenticate_token(&gone.secret).await.unwrap().is_none());

    // Roles set exactly, each change recorded.
    let m = s
        .set_member_roles(
            &f.org.id,
            &pat.id,
            &[AccessRole::Issuer, AccessRole::Assessor],
            Some(&admin.id),
        )
        .await
        .unwrap();
    assert_eq!(m.roles, [AccessRole::Assessor, AccessRole::Issuer]);
    assert!(matches!(
        s.set_member_roles(&f.org.id, &pat.id, &[], Some(&admin.id))
            .await,
        Err(StoreError::InvalidInput { .. })
    ));
    assert!(matches!(
        s.set_member_roles(&other.id, &pat.id, &[AccessRole::Issuer], Some(&admin.id))
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // Pat's only organization deactivates them: the account closes at once.
    let session = s.create_session(pat.id.as_str(), 60_000).await.unwrap();
    assert!(s.session_user(&session).await.unwrap().is_some());
    let d = s
        .deactivate_member(&f.org.id, &pat.id, Some(&admin.id))
        .await
        .unwrap();
    assert!(d.account_deactivated && !d.member.active);
    assert!(s.session_user(&session).await.unwrap().is_none());
    assert!(s.authenticate_token(&t.secret).await.unwrap().is_none());
    assert!(!s
        .has_role(&pat.id, &f.org.id, AccessRole::Issuer)
        .await
        .unwrap());
    assert!(matches!(
        s.deactivate_member(&f.org.id, &pat.id, Some(&admin.id))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let back = s
        .reactivate_member(&f.org.id, &pat.id, Some(&admin.id))
        .await
        .unwrap();
    assert!(back.active);
    assert_eq!(back.roles, [AccessRole::Assessor, AccessRole::Issuer]);
    assert!(!s.user_deactivated(&pat.id).await.unwrap());

    // Lee belongs to another organization too: deactivation here leaves the account open.
    let d = s
        .deactivate_member(&f.org.id, &lee.id, Some(&admin.id))
        .await
        .unwrap();
    assert!(!d.account_deactivated);
    assert!(s
        .authenticate_token(&lee_token.secret)
        .await
        .unwrap()
        .is_some());
    assert!(s
        .has_role(&lee.id, &other.id, AccessRole::Verifier)
        .await
        .unwrap());
    let members = s.members(&f.org.id).await.unwrap();
    let lee_m = members.iter().find(|m| m.user_id == lee.id).unwrap();
    assert!(!lee_m.active);
    assert_eq!(lee_m.roles, [AccessRole::Verifier]);

    // The operator closes Lee's account everywhere; an org admin cannot reopen it.
    s.deactivate_user(&lee.id, None).await.unwrap();
    assert!(s
        .authenticate_token(&lee_token.secret)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        s.reactivate_member(&f.org.id, &lee.id, Some(&admin.id))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    s.reactivate_user(&lee.id, None).await.unwrap();
    assert!(!s.user_deactivated(&lee.id).await.unwrap());

    // Every change, who and when (the seed's grants are the operator's: by none).
    let ev = s.membership_events(&f.org.id).await.unwrap();
    let by_admin: Vec<(&str, &str)> = ev
        .iter()
        .filter(|e| e.by.as_ref() == Some(&admin.id))
        .map(|e| (e.user_id.as_str(), e.action.as_str()))
        .collect();
    let (p, l) = (pat.id.as_str(), lee.id.as_str());
    assert_eq!(
        by_admin,
        [
            (p, "grant"),
            (p, "deactivate"),
            (p, "reactivate"),
            (l, "deactivate")
        ]
    );
    assert!(ev
        .iter()
        .any(|e| e.user_id == pat.id && e.action == "grant" && e.by.is_none()));
    assert!(s
        .membership_events(&other.id)
        .await
        .unwrap()
        .iter()
        .all(|e| e.action == "grant"));
});
