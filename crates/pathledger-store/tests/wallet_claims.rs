//! Wallet claims on SQLite and PostgreSQL: made with an unguessable secret kept only as its
//! hash, spent once (the same DID may retry, another may not), expiring, and naming the copy.

mod common;

use common::*;
use pathledger_store::ClaimSpend;

both!(wallet_claims_are_spent_once, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let cred = s
        .issue(request(&f), build_credential)
        .await
        .unwrap()
        .credential;
    let far = 4_102_444_800_000; // 2100
    let (claim, secret) = s.create_wallet_claim(&cred.id, "vcapi", far).await.unwrap();
    assert_eq!(secret.len(), 64);
    assert_eq!(claim.educator_id, f.educator.id.to_string());
    assert!(s
        .create_wallet_claim(&cred.id, "carrier-pigeon", far)
        .await
        .is_err());
    assert!(s
        .create_wallet_claim("urn:uuid:none", "vcapi", far)
        .await
        .is_err());
    let (_, other_secret) = s
        .create_wallet_claim(&cred.id, "oid4vci", far)
        .await
        .unwrap();
    assert_ne!(secret, other_secret);

    let found = s.wallet_claim_by_secret(&secret).await.unwrap().unwrap();
    assert_eq!(found.id, claim.id);
    assert_eq!(found.redeemed_ms, None);
    assert!(s.wallet_claim_by_secret("nope").await.unwrap().is_none());

    let now = 1_800_000_000_000;
    let a = "did:key:z6MkA";
    let b = "did:key:z6MkB";
    assert!(matches!(
        s.spend_wallet_claim(&secret, a, now).await.unwrap(),
        ClaimSpend::Spent(r) if r.holder_did.as_deref() == Some(a)
    ));
    // The same DID again, before its copy is recorded: still its own to finish.
    assert!(matches!(
        s.spend_wallet_claim(&secret, a, now + 1).await.unwrap(),
        ClaimSpend::Spent(_)
    ));
    assert_eq!(
        s.spend_wallet_claim(&secret, b, now + 2).await.unwrap(),
        ClaimSpend::Taken
    );
    s.record_wallet_copy(&claim.id, "urn:uuid:copy-1")
        .await
        .unwrap();
    assert!(matches!(
        s.spend_wallet_claim(&secret, a, now + 3).await.unwrap(),
        ClaimSpend::AlreadyYours(r) if r.copy_id.as_deref() == Some("urn:uuid:copy-1")
    ));
    assert_eq!(
        s.wallet_copies_of(&cred.id).await.unwrap(),
        ["urn:uuid:copy-1"]
    );
    assert_eq!(
        s.spend_wallet_claim("unknown", a, now).await.unwrap(),
        ClaimSpend::Unknown
    );
    assert!(s.spend_wallet_claim(&other_secret, "", now).await.is_err());

    // Expired: not spendable by anyone.
    let (old, old_secret) = s.create_wallet_claim(&cred.id, "vcapi", now).await.unwrap();
    assert_eq!(
        s.spend_wallet_claim(&old_secret, a, now).await.unwrap(),
        ClaimSpend::Expired
    );
    s.expire_wallet_claim_for_tests(&old.id).await.unwrap();
    assert_eq!(s.wallet_claims_of(&cred.id, 10).await.unwrap().len(), 3);
    assert_eq!(s.wallet_claims_of(&cred.id, 1).await.unwrap().len(), 1);

    // Two DIDs racing for one claim: exactly one wins.
    let (_, race) = s.create_wallet_claim(&cred.id, "vcapi", far).await.unwrap();
    let (x, y) = tokio::join!(
        s.spend_wallet_claim(&race, a, now),
        s.spend_wallet_claim(&race, b, now)
    );
    let wins = [x.unwrap(), y.unwrap()]
        .iter()
        .filter(|o| matches!(o, ClaimSpend::Spent(_)))
        .count();
    assert_eq!(wins, 1);
});
