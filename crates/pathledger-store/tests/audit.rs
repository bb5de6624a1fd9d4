//! The audit's tampering tests: each stored fact an insider could edit, edited directly in the
//! database (SQLite and PostgreSQL), must make `Store::audit` fail naming it.

mod common;

use common::*;
use pathledger_log::leaf_hash;
use pathledger_store::*;

/// A byte string as an SQL literal of the backend.
fn sql_blob(is_pg: bool, b: &[u8]) -> String {
    if is_pg {
        format!("'\\x{}'::bytea", hex::encode(b))
    } else {
        format!("X'{}'", hex::encode(b))
    }
}

/// Asserts that one of the audit's problems says `words`.
fn assert_problem(r: &pathledger_store::AuditReport, words: &str) {
    assert!(
        r.problems.iter().any(|p| p.message.contains(words)),
        "no problem says {words:?}: {:?}",
        r.problems
    )
}

both!(audit_detects_tampering, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    for r in s
        .bulk_issue((0..20).map(|_| request(&f)).collect(), build_credential)
        .await
    {
        r.unwrap();
    }
    s.sign_tree_head().await.unwrap();
    assert!(s.audit().await.unwrap().is_ok());

    // 1. Edit the data of entry 7: named as the first bad entry.
    let e7 = s.log_entry(7).await.unwrap();
    let e9 = s.log_entry(9).await.unwrap();
    let edited = e7.data.replace("\"issue\"", "\"revoke\"");
    let is_pg = h.url.starts_with("postgres");
    let blob = |b: &[u8]| sql_blob(is_pg, b);
    h.raw(&format!(
        "UPDATE log_entries SET data = {} WHERE idx = 7",
        blob(edited.as_bytes())
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert!(!r.is_ok());
    assert_eq!(r.first_bad_entry, Some(7), "{:?}", r.problems);
    h.raw(&format!(
        "UPDATE log_entries SET data = {} WHERE idx = 7",
        blob(e7.data.as_bytes())
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 2. Rewrite entry 7 completely (data and leaf hash, consistently): stored nodes, the
    //    signed head and the credential row all disagree.
    let leaf = leaf_hash(edited.as_bytes());
    h.raw(&format!(
        "UPDATE log_entries SET data = {}, leaf_hash = {} WHERE idx = 7",
        blob(edited.as_bytes()),
        blob(&leaf)
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(7), "{:?}", r.problems);
    h.raw(&format!(
        "UPDATE log_entries SET data = {}, leaf_hash = {} WHERE idx = 7",
        blob(e7.data.as_bytes()),
        blob(&e7.leaf_hash)
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 3. Swap entries 7 and 9 (reordering).
    h.raw(&format!(
        "UPDATE log_entries SET data = {}, leaf_hash = {}, credential_id = '{}' WHERE idx = 7; UPDATE log_entries SET data = {}, leaf_hash = {}, credential_id = '{}' WHERE idx = 9",
        blob(e9.data.as_bytes()), blob(&e9.leaf_hash), e9.credential_id.clone().unwrap(),
        blob(e7.data.as_bytes()), blob(&e7.leaf_hash), e7.credential_id.clone().unwrap(),
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(7), "{:?}", r.problems);
    h.raw(&format!(
        "UPDATE log_entries SET data = {}, leaf_hash = {}, credential_id = '{}' WHERE idx = 7; UPDATE log_entries SET data = {}, leaf_hash = {}, credential_id = '{}' WHERE idx = 9",
        blob(e7.data.as_bytes()), blob(&e7.leaf_hash), e7.credential_id.clone().unwrap(),
        blob(e9.data.as_bytes()), blob(&e9.leaf_hash), e9.credential_id.clone().unwrap(),
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 4. Edit a stored credential's bytes.
    let cid = e9.credential_id.clone().unwrap();
    let c = s.credential(&cid).await.unwrap();
    h.raw(&format!(
        "UPDATE credentials SET document = document || ' ' WHERE id = '{cid}'"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(9), "{:?}", r.problems);
    h.raw(&format!(
        "UPDATE credentials SET document = '{}' WHERE id = '{cid}'",
        c.document.replace('\'', "''")
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 5. Delete entry 12: a gap, named.
    h.raw("DELETE FROM log_entries WHERE idx = 12").await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(12), "{:?}", r.problems);
});

// Each stored fact an insider could edit is bound to the log: the audit names the entry.
both!(audit_binds_credential_status_bits_and_presence, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let mut ids = Vec::new();
    for r in s
        .bulk_issue(
            (0..5)
                .map(|_| {
                    let mut r = request(&f);
                    r.suspendable = true;
                    r
                })
                .collect(),
            build_credential,
        )
        .await
    {
        ids.push(r.unwrap().credential.id);
    }
    let revoked = s
        .change_status(&ids[0], StatusChange::Revoke, Some("issued in error"), None)
        .await
        .unwrap();
    let suspended = s
        .change_status(&ids[1], StatusChange::Suspend, Some("under review"), None)
        .await
        .unwrap();
    s.sign_tree_head().await.unwrap();
    let r = s.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);

    // 1. A revoked credential set back to active in its row: named at its revoke entry.
    let id0 = &ids[0];
    h.raw(&format!(
        "UPDATE credentials SET status = 'active', status_reason = NULL WHERE id = '{id0}'"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(
        r.first_bad_entry,
        Some(revoked.log_index),
        "{:?}",
        r.problems
    );
    assert_problem(&r, "is active in the credentials table");
    // ...and its status bit cleared too (so it would verify as valid): still caught.
    h.raw(&format!(
        "UPDATE status_allocations SET bit = false WHERE credential_id = '{id0}'"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(
        r.first_bad_entry,
        Some(revoked.log_index),
        "{:?}",
        r.problems
    );
    assert_problem(&r, "revocation bit");
    h.raw(&format!("UPDATE credentials SET status = 'revoked', status_reason = 'issued in error' WHERE id = '{id0}'; UPDATE status_allocations SET bit = true WHERE credential_id = '{id0}'"))
        .await;
    let r = s.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);

    // 2. A suspended credential's bit cleared, its row untouched.
    let id1 = &ids[1];
    h.raw(&format!(
        "UPDATE status_allocations SET bit = false WHERE credential_id = '{id1}'"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(
        r.first_bad_entry,
        Some(suspended.log_index),
        "{:?}",
        r.problems
    );
    assert_problem(&r, "suspension bit");
    h.raw(&format!(
        "UPDATE status_allocations SET bit = true WHERE credential_id = '{id1}'"
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 3. A credential row deleted without a logged erasure.
    let c3 = s.credential(&ids[3]).await.unwrap();
    h.raw(&format!("DELETE FROM credentials WHERE id = '{}'", c3.id))
        .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(c3.log_index), "{:?}", r.problems);
    assert_problem(&r, "no erasure was logged");

    // 4. A row the log never issued (here: another row renamed).
    let c4 = s.credential(&ids[4]).await.unwrap();
    h.raw(&format!(
        "UPDATE credentials SET id = 'urn:uuid:00000000-0000-4000-8000-0000000000aa' WHERE id = '{}'",
        c4.id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_problem(&r, "the log has no issue entry for it");
    assert_eq!(
        r.first_bad_entry,
        Some(c3.log_index.min(c4.log_index)),
        "{:?}",
        r.problems
    );
});

// Issuer keys are bound to the log: a key row added, re-activated or altered behind the log's
// back is named (a key added so could sign credentials our verifier accepts).
both!(audit_binds_issuer_keys, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let old = s.active_issuer_key(&f.issuer.id).await.unwrap();
    let new = s.rotate_issuer_key(&f.issuer.id).await.unwrap();
    let r = s.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    let is_pg = h.url.starts_with("postgres");
    let blob = |b: &[u8]| sql_blob(is_pg, b);
    let issuer = f.issuer.id.as_str();

    // 1. A key row the log never recorded.
    h.raw(&format!(
        "INSERT INTO issuer_keys (id, issuer_id, public_key, sealed_seed, active, created_ms) VALUES ('rogue-key', '{issuer}', {}, {}, false, 0)",
        blob(&[7u8; 32]),
        blob(&[0u8; 8])
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_problem(&r, "issuer key rogue-key");
    assert_problem(&r, "is not in the log");
    h.raw("DELETE FROM issuer_keys WHERE id = 'rogue-key'")
        .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 2. The retired key made active again.
    h.raw(&format!(
        "UPDATE issuer_keys SET active = false WHERE id = '{}'; UPDATE issuer_keys SET active = true, retired_ms = NULL WHERE id = '{}'",
        new.id, old.id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_problem(&r, "is active, but the log retired it");
    assert_problem(&r, "is marked retired, but the log never retired it");
    h.raw(&format!(
        "UPDATE issuer_keys SET active = false, retired_ms = 1 WHERE id = '{}'; UPDATE issuer_keys SET active = true WHERE id = '{}'",
        old.id, new.id
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 3. The active key's public key swapped.
    h.raw(&format!(
        "UPDATE issuer_keys SET public_key = {} WHERE id = '{}'",
        blob(&[9u8; 32]),
        new.id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_problem(&r, "differs from the key logged");
    assert!(r.first_bad_entry.is_some(), "{:?}", r.problems);
});

// Endorser grants are bound to the log: a grant decides whose endorsements count toward a
// career role, so one added, altered, re-activated, revoked or deleted behind the log's back is
// named.
both!(audit_binds_endorser_grants, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let hillcrest = s
        .create_organization("Hillcrest", "program", None)
        .await
        .unwrap();
    let mentor = s
        .create_user("mentor@example.org", "Priya", None)
        .await
        .unwrap();
    let other = s
        .create_user("other@example.org", "Sam", None)
        .await
        .unwrap();
    let admin = s
        .create_user("admin@example.org", "Dana", None)
        .await
        .unwrap();
    let org = f.org.id.as_str();
    let by = Some(&admin.id);
    let g = s
        .grant_endorser(&f.org.id, &mentor.id, "role-master-mentor", by)
        .await
        .unwrap();
    let gone = s
        .grant_endorser(&f.org.id, &other.id, "role-mentor", by)
        .await
        .unwrap();
    let revoked = s
        .grant_endorser(&f.org.id, &other.id, "role-master-mentor", by)
        .await
        .unwrap();
    let rv = s
        .revoke_endorser(&f.org.id, &revoked.id, Some(&admin.id))
        .await
        .unwrap();
    let r = s.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);

    // 1. A grant row the log never recorded: an insider makes someone an endorser.
    h.raw(&format!(
        "INSERT INTO endorser_grants (id, org_id, user_id, role_id, granted_by, granted_ms) VALUES ('egr_rogue', '{org}', '{}', 'role-director', NULL, 0)",
        other.id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_problem(&r, "endorser grant egr_rogue");
    assert_problem(&r, "is not in the log");
    h.raw("DELETE FROM endorser_grants WHERE id = 'egr_rogue'")
        .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 2. A grant handed to another user, given another role, moved to another organization:
    //    each named at the grant's entry, saying what changed.
    for (column, value, words) in [
        (
            "user_id",
            other.id.as_str().to_owned(),
            format!(
                "its user is {} but the log says {}",
                other.id.as_str(),
                mentor.id.as_str()
            ),
        ),
        (
            "role_id",
            "role-director".to_owned(),
            "its role is role-director but the log says role-master-mentor".to_owned(),
        ),
        (
            "org_id",
            hillcrest.id.as_str().to_owned(),
            format!("its organization is {}", hillcrest.id.as_str()),
        ),
    ] {
        h.raw(&format!(
            "UPDATE endorser_grants SET {column} = '{value}' WHERE id = '{}'",
            g.id
        ))
        .await;
        let r = s.audit().await.unwrap();
        assert_eq!(r.first_bad_entry, g.log_index, "{:?}", r.problems);
        assert_problem(&r, "differs from the grant logged at entry");
        assert_problem(&r, &words);
        let original = match column {
            "user_id" => mentor.id.as_str(),
            "role_id" => "role-master-mentor",
            _ => org,
        };
        h.raw(&format!(
            "UPDATE endorser_grants SET {column} = '{original}' WHERE id = '{}'",
            g.id
        ))
        .await;
        assert!(s.audit().await.unwrap().is_ok());
    }

    // 3. A revoked grant made active again: named at the revocation.
    h.raw(&format!(
        "UPDATE endorser_grants SET revoked_by = NULL, revoked_ms = NULL WHERE id = '{}'",
        revoked.id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, rv.log_index, "{:?}", r.problems);
    assert_problem(&r, "is active, but the log revoked it at entry");
    h.raw(&format!(
        "UPDATE endorser_grants SET revoked_by = '{}', revoked_ms = {} WHERE id = '{}'",
        admin.id,
        rv.revoked_ms.unwrap(),
        revoked.id
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // ...and an active grant marked revoked without a logged revocation.
    h.raw(&format!(
        "UPDATE endorser_grants SET revoked_ms = 1 WHERE id = '{}'",
        g.id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, g.log_index, "{:?}", r.problems);
    assert_problem(&r, "is marked revoked, but the log never revoked it");
    h.raw(&format!(
        "UPDATE endorser_grants SET revoked_ms = NULL WHERE id = '{}'",
        g.id
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 4. A logged grant's row deleted (no code path deletes one: revoking keeps the row).
    h.raw(&format!(
        "DELETE FROM endorser_grants WHERE id = '{}'",
        gone.id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, gone.log_index, "{:?}", r.problems);
    assert_problem(&r, "is missing from the endorser grants table");
});

// Status change reasons are bound to the log by a salted commitment in each status leaf (the
// reason itself, personal or guessable, never enters the public log): an edited reason or salt,
// a removed salt, an edited current reason, and event rows deleted, added or altered are named.
both!(audit_binds_status_reasons, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let mut ids = Vec::new();
    for r in s
        .bulk_issue(
            (0..3)
                .map(|_| {
                    let mut r = request(&f);
                    r.suspendable = true;
                    r
                })
                .collect(),
            build_credential,
        )
        .await
    {
        ids.push(r.unwrap().credential);
    }
    let revoked = s
        .change_status(
            &ids[0].id,
            StatusChange::Revoke,
            Some("issued in error"),
            None,
        )
        .await
        .unwrap();
    let suspended = s
        .change_status(
            &ids[1].id,
            StatusChange::Suspend,
            Some("under review"),
            None,
        )
        .await
        .unwrap();
    let plain = s
        .change_status(&ids[2].id, StatusChange::Revoke, None, None)
        .await
        .unwrap();
    let r = s.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    // The leaf carries a salted commitment: neither the reason nor its bare hash.
    let data = s.log_entry(revoked.log_index).await.unwrap().data;
    let leaf: serde_json::Value = serde_json::from_str(&data).unwrap();
    let commitment = leaf["reason_commitment"].as_str().expect("commitment");
    assert_eq!(commitment.len(), 64);
    assert_ne!(commitment, hex::encode(sha256(b"issued in error")));
    assert!(!data.contains("issued in error"));
    // Issue leaves are unchanged: no commitment.
    let issue = s.log_entry(ids[0].log_index).await.unwrap().data;
    assert!(!issue.contains("reason_commitment"), "{issue}");
    h.raw("CREATE TABLE events_backup AS SELECT * FROM credential_events")
        .await;
    let restore =
        "DELETE FROM credential_events; INSERT INTO credential_events SELECT * FROM events_backup";
    let (e0, e1, e2) = (revoked.log_index, suspended.log_index, plain.log_index);

    // 1. A reason edited, and a reason added where none was given: named at their entries.
    h.raw(&format!(
        "UPDATE credential_events SET reason = 'at the holder''s request' WHERE log_index = {e0}"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(e0), "{:?}", r.problems);
    assert_problem(&r, &format!("the reason recorded for the revoke of credential {} (log entry {e0}) does not match the commitment in the log", ids[0].id));
    h.raw(restore).await;
    h.raw(&format!(
        "UPDATE credential_events SET reason = 'fraud' WHERE log_index = {e2}"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(e2), "{:?}", r.problems);
    assert_problem(&r, "does not match the commitment in the log");
    h.raw(restore).await;
    assert!(s.audit().await.unwrap().is_ok());

    // 2. A salt replaced (to fit an edited reason, say), and a salt removed.
    h.raw(&format!(
        "UPDATE credential_events SET reason_salt = {} WHERE log_index = {e1}",
        sql_blob(h.url.starts_with("postgres"), &[1u8; 32])
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(e1), "{:?}", r.problems);
    assert_problem(&r, "the reason or its salt was edited");
    h.raw(&format!(
        "UPDATE credential_events SET reason_salt = NULL WHERE log_index = {e1}"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(e1), "{:?}", r.problems);
    assert_problem(&r, "has lost its reason's salt");
    h.raw(restore).await;
    assert!(s.audit().await.unwrap().is_ok());

    // 3. The current reason shown with the credential edited in the credentials table.
    h.raw(&format!(
        "UPDATE credentials SET status_reason = 'routine' WHERE id = '{}'",
        ids[1].id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(e1), "{:?}", r.problems);
    assert_problem(&r, "its status reason in the credentials table is not the reason recorded with its last status change");
    h.raw(&format!(
        "UPDATE credentials SET status_reason = 'under review' WHERE id = '{}'",
        ids[1].id
    ))
    .await;
    assert!(s.audit().await.unwrap().is_ok());

    // 4. Event rows deleted, added at an entry that is no status change, or altered.
    h.raw(&format!(
        "DELETE FROM credential_events WHERE log_index = {e1}"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(e1), "{:?}", r.problems);
    assert_problem(
        &r,
        "has no row in credential_events and the credential was not erased",
    );
    h.raw(restore).await;
    let i2 = ids[2].log_index;
    h.raw(&format!(
        "INSERT INTO credential_events (log_index, credential_id, event, reason, actor, created_ms) VALUES ({i2}, '{}', 'suspend', 'forged', NULL, 0)",
        ids[2].id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(i2), "{:?}", r.problems);
    assert_problem(&r, "that the log does not record");
    h.raw(restore).await;
    h.raw(&format!(
        "UPDATE credential_events SET event = 'reinstate' WHERE log_index = {e0}"
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert_eq!(r.first_bad_entry, Some(e0), "{:?}", r.problems);
    assert_problem(&r, "but the log records revoke");
    h.raw(restore).await;
    assert!(s.audit().await.unwrap().is_ok());

    // 5. Erasure takes the event rows (reasons and salts) with the credentials: still clean, and
    //    so is an erased credential's event row whose reason and salt were cleared.
    s.change_status(&ids[1].id, StatusChange::Revoke, Some("erasure"), None)
        .await
        .unwrap();
    assert_eq!(s.delete_educator(&f.educator.id).await.unwrap(), 3);
    let r = s.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
    h.raw(&format!(
        "INSERT INTO credential_events (log_index, credential_id, event, reason, actor, created_ms) VALUES ({e0}, '{}', 'revoke', NULL, NULL, 0)",
        ids[0].id
    ))
    .await;
    let r = s.audit().await.unwrap();
    assert!(r.is_ok(), "{:?}", r.problems);
});
