//! Unit tests of bulk templates and cohort states.

use pathledger_badges as badges;
use pathledger_core::Definitions;
use pathledger_signing::Cryptosuite;
use pathledger_store::{
    CredentialRecord, IssueContext, IssueOutcome, IssueRequest, Kek, Recipient, StatusPurpose,
    StoreError,
};
use serde_json::{json, Value};

use crate::awards::*;
use crate::templates::*;
use crate::*;
use pathledger_store::{CredentialStatus, StatusAssignment};

fn outcome(
    edu: &str,
    ach: &str,
    new_educator: bool,
    replayed: bool,
    valid_until_ms: Option<i64>,
) -> Result<IssueOutcome, StoreError> {
    Ok(IssueOutcome {
        credential: CredentialRecord {
            id: format!("urn:uuid:{edu}-{ach}"),
            org_id: "org".into(),
            issuer_id: "iss".into(),
            key_id: "key".into(),
            achievement_id: ach.into(),
            achievement_version: 1,
            educator_id: Some(edu.into()),
            recipient_hash: "sha256$00".into(),
            document: "{}".into(),
            document_hash: [0; 32],
            issued_ms: 0,
            valid_until_ms,
            status: CredentialStatus::Active,
            status_reason: None,
            idempotency_key: None,
            previous_id: None,
            revocation: StatusAssignment {
                purpose: StatusPurpose::Revocation,
                list_id: "sl".into(),
                list_url: "http://127.0.0.1/sl".into(),
                index: 0,
            },
            suspension: None,
            log_index: 0,
        },
        replayed,
        new_educator,
    })
}

struct Row {
    req: IssueRequest,
    recipient: pathledger_store::RecipientIdentity,
    revocation: StatusAssignment,
    suspension: StatusAssignment,
    id: String,
}

/// Row `n` of a bulk call: everything a row may vary in differs with `n`.
fn row(n: u64, shown: u8, valid_until_ms: Option<i64>) -> Row {
    let mut req = IssueRequest::new(
        "iss",
        "mc-tools-3",
        Recipient::Email(format!("r{n}@example.org")),
    );
    req.valid_until_ms = valid_until_ms;
    let did = format!("did:example:r{n}");
    let email = format!("r{n}@example.org");
    Row {
        req,
        recipient: pathledger_store::RecipientIdentity {
            educator_id: format!("edu_{n}"),
            identity_hash: pathledger_store::recipient_identity_hash(
                if shown == 3 { &did } else { &email },
                &format!("salt{n}"),
            ),
            salt: format!("salt{n}"),
            identity_type: if shown == 3 { "did" } else { "emailAddress" },
            shown_email: (shown == 1).then(|| email.clone()),
            shown_did: (shown == 2).then(|| did.clone()),
        },
        revocation: StatusAssignment {
            purpose: StatusPurpose::Revocation,
            list_id: "sl_rev".into(),
            list_url: "http://127.0.0.1:8080/status/sl_rev".into(),
            index: n * 7,
        },
        suspension: StatusAssignment {
            purpose: StatusPurpose::Suspension,
            list_id: "sl_susp".into(),
            list_url: "http://127.0.0.1:8080/status/sl_susp".into(),
            index: n * 3,
        },
        id: format!("urn:uuid:00000000-0000-7000-8000-{n:012}"),
    }
}

fn ctx<'a>(
    r: &'a Row,
    suspendable: bool,
    achievement: &'a Value,
    key: &'a pathledger_store::SigningKeyHandle,
) -> IssueContext<'a> {
    IssueContext {
        credential_id: r.id.clone(),
        request: &r.req,
        org_id: "org",
        issued_ms: 1_780_000_000_000,
        achievement_version: 3,
        achievement,
        recipient: &r.recipient,
        revocation: &r.revocation,
        suspension: suspendable.then_some(&r.suspension),
        key,
    }
}

/// A bulk row built from another row's unsigned credential is byte for byte the credential
/// built from scratch, for every way of naming the recipient, with and without suspension,
/// expiry and evidence.
#[tokio::test]
async fn templated_credentials_equal_fresh_ones() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(AppConfig {
        database_url: dir.path().join("t.db").to_string_lossy().into_owned(),
        kek: Kek::generate().unwrap(),
        public_url: "http://127.0.0.1:8080".into(),
        trusted_issuers: Vec::new(),
        host_issuer: None,
        mail: crate::mail::MailConfig::outbox(dir.path().join("outbox")),
    })
    .await
    .unwrap();
    let defs = Definitions::default_data().unwrap();
    let profile = badges::IssuerProfile {
        id: "did:web:127.0.0.1%3A8080:issuers:iss".into(),
        name: "Issuer".into(),
        url: Some("http://127.0.0.1:8080/issuers/iss".into()),
        email: None,
        description: None,
        image: None,
    };
    let key = pathledger_store::SigningKeyHandle::from_seed("key-1".into(), [5; 32]);
    let other_key = pathledger_store::SigningKeyHandle::from_seed("key-2".into(), [6; 32]);
    let achievement = json!({});
    let mut cases = 0;
    for suite in [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022] {
        for suspendable in [false, true] {
            for valid_until in [None, Some(1_900_000_000_000)] {
                for shown in 0..4u8 {
                    let opts = IssueOptions {
                        suite,
                        suspendable,
                        evidence: suspendable.then(|| "Observed twice".to_owned()),
                        ..Default::default()
                    };
                    let templates = Templates::default();
                    let rows = [1, 2, 3].map(|n| row(n, shown, valid_until));
                    let c1 = ctx(&rows[0], suspendable, &achievement, &key);
                    let c2 = ctx(&rows[1], suspendable, &achievement, &key);
                    // A row signed with another key (a rotation between batches).
                    let c3 = ctx(&rows[2], suspendable, &achievement, &other_key);
                    let built: Vec<String> = [&c1, &c2, &c3]
                        .into_iter()
                        .map(|c| {
                            app.build_credential_from(&templates, &defs, &profile, c, &opts)
                                .unwrap()
                        })
                        .collect();
                    let hits = |c: &std::sync::atomic::AtomicUsize| {
                        c.load(std::sync::atomic::Ordering::Relaxed)
                    };
                    assert_eq!(
                        hits(&templates.hits),
                        2,
                        "the later rows come from the template"
                    );
                    // Under eddsa-jcs-2022 the second row is filled into the canonical
                    // text; the third names another key, so it signs its whole document.
                    let canonical = usize::from(suite == Cryptosuite::EddsaJcs2022);
                    assert_eq!(hits(&templates.canonical), canonical, "{suite}");
                    for (b, c) in built.iter().zip([&c1, &c2, &c3]) {
                        let fresh = app.build_credential(&defs, &profile, c, &opts).unwrap();
                        let case = format!("{suite}, suspendable {suspendable}, valid until {valid_until:?}, shown {shown}");
                        if suite == Cryptosuite::EddsaJcs2022 {
                            // Stored as the canonical text: the same bytes.
                            assert_eq!(*b, fresh, "{case}");
                        } else {
                            // rdfc keeps the document's member order, which a personalized
                            // copy changes: the same JSON and the same signature.
                            let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap();
                            assert_eq!(parse(b), parse(&fresh), "{case}");
                        }
                    }
                    assert_ne!(built[0], built[1]);
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 32);
}

/// Educators a bulk call created are judged on what it issued them (unexpired, each
/// achievement once); one named again as existing, and everyone else, is read from the store;
/// replays and failed rows count for nothing.
#[test]
fn cohort_states_split_created_from_known() {
    let results = vec![
        outcome("edu_a", "mc-one", true, false, None),
        outcome("edu_a", "mc-two", true, false, Some(2_000)),
        outcome("edu_a", "mc-two", true, false, None),
        outcome("edu_a", "mc-old", true, false, Some(500)),
        outcome("edu_b", "mc-one", true, false, None),
        outcome("edu_b", "mc-two", false, false, None),
        outcome("edu_c", "mc-one", false, false, None),
        outcome("edu_d", "mc-one", false, true, None),
        Err(StoreError::InvalidInput {
            field: "recipient".into(),
            message: "bad".into(),
        }),
    ];
    let (fresh, known) = cohort_states(&results, 1_000);
    assert_eq!(fresh.len(), 1, "{:?}", fresh.keys().collect::<Vec<_>>());
    let a = &fresh["edu_a"];
    assert_eq!(a.id.as_deref(), Some("edu_a"));
    let mut held: Vec<String> = a
        .holdings
        .iter()
        .map(|h| h.achievement.as_str().to_owned())
        .collect();
    held.sort();
    assert_eq!(held, ["mc-one", "mc-two"]);
    assert!(a.years_experience == 0.0 && a.rotations.is_empty());
    assert_eq!(known, ["edu_b", "edu_c"]);
}
