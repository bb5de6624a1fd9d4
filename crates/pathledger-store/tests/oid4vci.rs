//! OID4VCI offers, pre-authorized codes, transaction codes, access tokens and c_nonces, on
//! SQLite and PostgreSQL.

mod common;

use pathledger_store::*;

fn offer(claim: &str, code: &str, expires_ms: i64) -> NewOid4vciOffer {
    NewOid4vciOffer {
        claim_id: claim.into(),
        code: code.into(),
        expires_ms,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

both!(offers_codes_and_tokens, |h| {
    let s = &h.store;
    let later = now() + 15 * 60_000;
    let one = s
        .create_oid4vci_offer(offer("claim_1", "code-one", later))
        .await
        .unwrap();
    let (id, tx1) = (one.offer_id, one.tx_code);
    assert_eq!(id.len(), 64);
    let two = s
        .create_oid4vci_offer(offer("claim_2", "code-two", later))
        .await
        .unwrap();
    let (other, tx2) = (two.offer_id, two.tx_code);
    assert_ne!(id, other);
    let wrong = |right: &str| {
        if right == "000000" {
            "000001".to_owned()
        } else {
            "000000".to_owned()
        }
    };

    // The offer document gets the code back (it is sealed at rest, not stored in the clear).
    let o = s.oid4vci_offer(&id).await.unwrap().unwrap();
    assert_eq!(
        (o.claim_id.as_str(), o.code.as_str()),
        ("claim_1", "code-one")
    );
    assert!(!o.used && !o.dead);
    assert!(s.oid4vci_offer(&"0".repeat(64)).await.unwrap().is_none());
    assert!(s.oid4vci_offer("' OR 1=1 --").await.unwrap().is_none());

    // Unknown code; wrong transaction codes count down; the right one gives a token, once.
    assert_eq!(
        s.exchange_oid4vci_code("nope", &tx1, 300_000)
            .await
            .unwrap()
            .err(),
        Some(GrantRefusal::Unknown)
    );
    assert_eq!(
        s.exchange_oid4vci_code("code-one", &wrong(&tx1), 300_000)
            .await
            .unwrap()
            .err(),
        Some(GrantRefusal::WrongTxCode { remaining: 4 })
    );
    let t = s
        .exchange_oid4vci_code("code-one", &tx1, 300_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.claim_id, "claim_1");
    assert_eq!(
        s.exchange_oid4vci_code("code-one", &tx1, 300_000)
            .await
            .unwrap()
            .err(),
        Some(GrantRefusal::Used)
    );
    assert!(s.oid4vci_offer(&id).await.unwrap().unwrap().used);

    // The token grants its own claim only, with the code to redeem it; another server sees it.
    let g = s.oid4vci_grant(&t.access_token).await.unwrap().unwrap();
    assert_eq!(
        (g.claim_id.as_str(), g.code.as_str()),
        ("claim_1", "code-one")
    );
    let again = h.reopen().await;
    assert!(again
        .oid4vci_grant(&t.access_token)
        .await
        .unwrap()
        .is_some());
    assert!(s.oid4vci_grant("code-one").await.unwrap().is_none());
    assert!(s.oid4vci_grant("").await.unwrap().is_none());

    // Five wrong codes kill an offer, even the right code after them.
    for remaining in (1..=4).rev() {
        assert_eq!(
            s.exchange_oid4vci_code("code-two", &wrong(&tx2), 300_000)
                .await
                .unwrap()
                .err(),
            Some(GrantRefusal::WrongTxCode { remaining })
        );
    }
    assert_eq!(
        s.exchange_oid4vci_code("code-two", &wrong(&tx2), 300_000)
            .await
            .unwrap()
            .err(),
        Some(GrantRefusal::Dead)
    );
    assert_eq!(
        s.exchange_oid4vci_code("code-two", &tx2, 300_000)
            .await
            .unwrap()
            .err(),
        Some(GrantRefusal::Dead)
    );
    assert!(s.oid4vci_offer(&other).await.unwrap().unwrap().dead);

    // Concurrent guesses cannot beat the limit: of 11 wrong guesses at once, 5 count and the
    // rest find the offer dead.
    let tx3 = s
        .create_oid4vci_offer(offer("claim_3", "code-three", later))
        .await
        .unwrap()
        .tx_code;
    let guesses = (0..12)
        .filter(|i| format!("{i:06}") != tx3)
        .take(11)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.exchange_oid4vci_code("code-three", &format!("{:06}", i), 300_000)
                    .await
                    .unwrap()
                    .err()
            })
        });
    let mut wrong = 0;
    for g in guesses {
        if let Some(GrantRefusal::WrongTxCode { .. }) = g.await.unwrap() {
            wrong += 1;
        }
    }
    assert_eq!(wrong, 4, "4 counted wrong, the 5th and the rest dead");
    assert_eq!(
        s.exchange_oid4vci_code("code-three", &tx3, 300_000)
            .await
            .unwrap()
            .err(),
        Some(GrantRefusal::Dead)
    );

    // Expired offers refuse the code; expired tokens grant nothing.
    let tx4 = s
        .create_oid4vci_offer(offer("claim_4", "code-four", now() - 1))
        .await
        .unwrap()
        .tx_code;
    assert_eq!(
        s.exchange_oid4vci_code("code-four", &tx4, 300_000)
            .await
            .unwrap()
            .err(),
        Some(GrantRefusal::Expired)
    );
    let tx5 = s
        .create_oid4vci_offer(offer("claim_5", "code-five", later))
        .await
        .unwrap()
        .tx_code;
    let short = s
        .exchange_oid4vci_code("code-five", &tx5, -1)
        .await
        .unwrap()
        .unwrap();
    assert!(s
        .oid4vci_grant(&short.access_token)
        .await
        .unwrap()
        .is_none());
});

both!(nonces_are_shared_and_spent_once, |h| {
    let s = &h.store;
    let n = s.mint_oid4vci_nonce(60_000).await.unwrap();
    let m = s.mint_oid4vci_nonce(60_000).await.unwrap();
    assert_ne!(n, m);
    // Another server on the same database accepts it, once.
    let other = h.reopen().await;
    assert_eq!(other.spend_oid4vci_nonce(&n).await.unwrap(), Ok(()));
    assert_eq!(
        s.spend_oid4vci_nonce(&n).await.unwrap(),
        Err(NonceRefusal::Used)
    );
    assert_eq!(s.spend_oid4vci_nonce(&m).await.unwrap(), Ok(()));
    // Forged, tampered, malformed and expired nonces.
    let mut forged = n.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(
        s.spend_oid4vci_nonce(&forged).await.unwrap(),
        Err(NonceRefusal::Unknown)
    );
    for bad in ["", "zz", "00", &"0".repeat(80)] {
        assert_eq!(
            s.spend_oid4vci_nonce(bad).await.unwrap(),
            Err(NonceRefusal::Unknown),
            "{bad}"
        );
    }
    let old = s.mint_oid4vci_nonce(-1).await.unwrap();
    assert_eq!(
        s.spend_oid4vci_nonce(&old).await.unwrap(),
        Err(NonceRefusal::Expired)
    );
    // A nonce of another deployment (another key) is not ours.
    let h2 = common::sqlite().await;
    let foreign = h2.store.mint_oid4vci_nonce(60_000).await.unwrap();
    assert_eq!(
        s.spend_oid4vci_nonce(&foreign).await.unwrap(),
        Err(NonceRefusal::Unknown)
    );
    h2.finish().await;
});
