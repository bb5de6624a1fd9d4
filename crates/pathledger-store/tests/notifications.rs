//! Notice choices, unsubscribe tokens and the once-per-event claim, on SQLite and PostgreSQL.

mod common;

use common::*;

both!(notification_choices_tokens_and_claims, |h| {
    let s = &h.store;
    // Choices: on by default, off once turned off, per kind and per address (case-blind).
    assert!(s
        .notification_enabled("Sam@School.example", "expiry")
        .await
        .unwrap());
    s.set_notification_choice("sam@school.example", "expiry", false)
        .await
        .unwrap();
    assert!(!s
        .notification_enabled("SAM@school.example", "expiry")
        .await
        .unwrap());
    assert!(s
        .notification_enabled("sam@school.example", "award")
        .await
        .unwrap());
    assert!(s
        .notification_enabled("kim@school.example", "expiry")
        .await
        .unwrap());
    assert_eq!(
        s.notifications_turned_off("sam@school.example")
            .await
            .unwrap(),
        ["expiry"]
    );
    s.set_notification_choice("sam@school.example", "expiry", true)
        .await
        .unwrap();
    assert!(s
        .notification_enabled("sam@school.example", "expiry")
        .await
        .unwrap());
    assert!(s
        .set_notification_choice("not an address", "expiry", false)
        .await
        .is_err());

    // Tokens: one per address, the same each time, unguessable, and mapping back.
    let t = s.notification_token("sam@school.example").await.unwrap();
    assert_eq!(t.len(), 64);
    assert_eq!(s.notification_token("SAM@school.example").await.unwrap(), t);
    let other = s.notification_token("kim@school.example").await.unwrap();
    assert_ne!(other, t);
    assert_eq!(
        s.notification_token_owner(&t).await.unwrap().as_deref(),
        Some("sam@school.example")
    );
    assert_eq!(
        s.notification_token_owner(&"0".repeat(64)).await.unwrap(),
        None
    );
    assert_eq!(
        s.notification_token_owner("' OR 1=1 --").await.unwrap(),
        None
    );

    // Claims: the first caller wins, every later one (another server, a restart) loses; a
    // released claim (the message could not be sent) may be claimed again, a delivered one not.
    let key = "expiry:urn:uuid:1:1700000000000";
    assert!(s
        .claim_notification(key, "sam@school.example", "expiry")
        .await
        .unwrap());
    assert!(!s
        .claim_notification(key, "sam@school.example", "expiry")
        .await
        .unwrap());
    assert!(!s.notification_was_delivered(key).await.unwrap());
    s.release_notification(key).await.unwrap();
    assert!(s
        .claim_notification(key, "sam@school.example", "expiry")
        .await
        .unwrap());
    s.notification_delivered(key).await.unwrap();
    assert!(s.notification_was_delivered(key).await.unwrap());
    s.release_notification(key).await.unwrap();
    assert!(!s
        .claim_notification(key, "sam@school.example", "expiry")
        .await
        .unwrap());
    assert!(s
        .claim_notification("", "sam@school.example", "expiry")
        .await
        .is_err());
});

both!(concurrent_claims_let_one_through, |h| {
    let s = h.store.clone();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.claim_notification("award:urn:uuid:2", "sam@school.example", "award")
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
});

both!(expiring_between_skips_the_long_expired, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let mut ids = Vec::new();
    for until in [1_000_i64, 5_000, 9_000] {
        let mut req = request(&f);
        req.valid_until_ms = Some(until);
        let out = s.issue(req, build_credential).await.unwrap();
        ids.push(out.credential.id);
    }
    let due = s
        .credentials_expiring_between(&f.org.id, 2_000, 10_000)
        .await
        .unwrap();
    let due: Vec<_> = due.iter().map(|c| c.id.clone()).collect();
    assert_eq!(due, ids[1..].to_vec());
    // The older reader still sees every one of them.
    assert_eq!(
        s.credentials_expiring(&f.org.id, 10_000)
            .await
            .unwrap()
            .len(),
        3
    );
});
