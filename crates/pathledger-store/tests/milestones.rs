//! Milestones (announced once, kept across a reopen) and evidence files (stored with their
//! submission in one transaction, erased with the educator), on SQLite and PostgreSQL.

mod common;

use common::*;
use pathledger_store::*;
use serde_json::json;

both!(milestones_are_new_once_and_survive_a_reopen, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let e = f.educator.id.as_str();
    assert!(s.milestones(e).await.unwrap().is_empty());
    let new = s
        .record_milestones(e, &[("start", "first-visit", 0), ("role", "role-a", 1_000)])
        .await
        .unwrap();
    assert_eq!(new.len(), 2);
    assert_eq!(new[1].reached_ms, 1_000);
    assert!(new[0].reached_ms > 1_000, "0 means now");
    // The same again (another visit, another server) is not new; a new one is.
    let again = s
        .record_milestones(e, &[("role", "role-a", 5), ("stack", "stack-b", 0)])
        .await
        .unwrap();
    assert_eq!(
        again
            .iter()
            .map(|m| m.subject_id.as_str())
            .collect::<Vec<_>>(),
        ["stack-b"]
    );
    assert!(s.record_milestones(e, &[("badge", "x", 0)]).await.is_err());
    let reopened = h.reopen().await;
    let kept = reopened.milestones(e).await.unwrap();
    assert_eq!(kept.len(), 3);
    assert!(kept
        .iter()
        .any(|m| m.kind == "role" && m.subject_id == "role-a" && m.reached_ms == 1_000));
    reopened.close().await;
});

both!(evidence_files_are_stored_with_their_submission, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let file = EvidenceFile {
        media_type: "application/pdf".into(),
        file_name: "lesson.pdf".into(),
        bytes: b"%PDF-1.7\n\x00\xff binary".to_vec(),
    };
    let sub = s
        .submit_evidence_with_file(
            &f.org.id,
            &f.educator.id,
            &f.achievement_id,
            &json!({"narrative": "n"}),
            None,
            Some(&file),
        )
        .await
        .unwrap();
    assert_eq!(s.evidence_file(&sub.id).await.unwrap(), Some(file.clone()));
    let plain = s
        .submit_evidence(
            &f.org.id,
            &f.educator.id,
            &f.achievement_id,
            &json!({"narrative": "m"}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.evidence_file(&plain.id).await.unwrap(), None);
    // An empty file is refused and nothing is stored.
    let empty = EvidenceFile {
        bytes: Vec::new(),
        ..file.clone()
    };
    assert!(s
        .submit_evidence_with_file(
            &f.org.id,
            &f.educator.id,
            &f.achievement_id,
            &json!({}),
            None,
            Some(&empty)
        )
        .await
        .is_err());
    assert_eq!(
        s.submissions_for_educator(&f.educator.id)
            .await
            .unwrap()
            .len(),
        2
    );
    // Erasing the educator erases the files and milestones too.
    s.record_milestones(f.educator.id.as_str(), &[("role", "r", 0)])
        .await
        .unwrap();
    s.delete_educator(&f.educator.id).await.unwrap();
    assert_eq!(s.evidence_file(&sub.id).await.unwrap(), None);
    assert!(s
        .milestones(f.educator.id.as_str())
        .await
        .unwrap()
        .is_empty());
});

both!(
    erasure_removes_the_address_from_bulk_results_and_notices,
    |h| {
        let s = &h.store;
        let f = fixture(s).await;
        let email = f.educator.emails[0].clone();
        let upper = email.to_uppercase();
        // Two finished jobs: one whose rows name the educator (typed in capitals), one that does not.
        s.create_bulk_job("job-named", &f.org.id, 2).await.unwrap();
        s.finish_bulk_job(
        "job-named",
        None,
        Some(&json!([{"line": 2, "recipient": upper, "ok": true}, {"line": 3, "recipient": "kim@school.example", "ok": true}])),
    )
    .await
    .unwrap();
        s.create_bulk_job("job-other", &f.org.id, 1).await.unwrap();
        s.finish_bulk_job(
            "job-other",
            None,
            Some(&json!([{"line": 2, "recipient": "kim@school.example", "ok": true}])),
        )
        .await
        .unwrap();
        s.set_notification_choice(&email, "award", false)
            .await
            .unwrap();
        let token = s.notification_token(&email).await.unwrap();
        assert!(s
            .claim_notification("award:x", &email, "award")
            .await
            .unwrap());

        s.delete_educator(&f.educator.id).await.unwrap();

        let named = s.bulk_job("job-named").await.unwrap();
        assert!(named.results.is_none(), "{:?}", named.results);
        assert!(named.error.as_deref().unwrap_or("").contains("erased"));
        let other = s.bulk_job("job-other").await.unwrap();
        assert!(other.results.is_some() && other.error.is_none());
        assert_eq!(s.notification_token_owner(&token).await.unwrap(), None);
        assert!(s.notification_enabled(&email, "award").await.unwrap());
        assert!(s
            .claim_notification("award:x", &email, "award")
            .await
            .unwrap());
    }
);
