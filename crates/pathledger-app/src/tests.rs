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
        fetch: Default::default(),
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
                            app.build_credential_from(
                                &templates,
                                &defs,
                                &profile,
                                &Default::default(),
                                c,
                                &opts,
                            )
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
                        let fresh = app
                            .build_credential(&defs, &profile, &Default::default(), c, &opts)
                            .unwrap();
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

async fn open_app(dir: &std::path::Path, mail: crate::mail::MailConfig) -> App {
    open_app_with(dir, mail, Kek::generate().unwrap()).await
}

/// [`open_app`] with the key-encryption key given (a second server over the same database).
async fn open_app_with(dir: &std::path::Path, mail: crate::mail::MailConfig, kek: Kek) -> App {
    App::open(AppConfig {
        database_url: dir.join("t.db").to_string_lossy().into_owned(),
        kek,
        public_url: "http://127.0.0.1:8080".into(),
        trusted_issuers: Vec::new(),
        fetch: Default::default(),
        host_issuer: None,
        mail,
    })
    .await
    .unwrap()
}

/// The `.eml` files of an outbox folder, as text.
fn outbox_mails(dir: &std::path::Path) -> Vec<String> {
    let Ok(d) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    d.filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// The invitations among the `.eml` files of an outbox folder (other notices go there too).
fn outbox_invitations(dir: &std::path::Path) -> Vec<String> {
    outbox_mails(dir)
        .into_iter()
        .filter(|m| unfolded(m).contains("/invitations/"))
        .collect()
}

/// The secret of the `/invitations/<secret>` link in a mail (its body quoted-printable).
fn invitation_secret(mail: &str) -> String {
    let mail = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = mail.find("/invitations/").expect("an invitation link") + "/invitations/".len();
    mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

fn bulk_row(ach: &str, to: &str) -> (String, Recipient, IssueOptions) {
    (
        ach.to_owned(),
        Recipient::Email(to.to_owned()),
        IssueOptions {
            idempotency_key: Some(format!("{ach}-{to}")),
            ..IssueOptions::default()
        },
    )
}

/// Bulk issuance to three new addresses (one named twice) and an existing educator mails
/// exactly three educator invitations; accepting each links the new account to the record the
/// issuance made, which holds the credential; a retry mails nothing more.
#[tokio::test]
async fn bulk_issuance_invites_the_educators_it_creates() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let app = open_app(dir.path(), crate::mail::MailConfig::outbox(&outbox)).await;
    let seed = crate::demo::seed_demo(&app).await.unwrap().unwrap();
    let existing = seed
        .accounts
        .iter()
        .find(|a| a.org_id == seed.org_id && a.educator_id.is_some())
        .unwrap();
    let before = outbox_invitations(&outbox).len();
    let rows = vec![
        bulk_row("mc-tools-1", "new.one@school.example"),
        bulk_row("mc-tools-1", "New.Two@school.example"),
        bulk_row("mc-tools-2", "new.one@school.example"),
        bulk_row("mc-tools-1", "new.three@school.example"),
        bulk_row("mc-tools-1", &existing.email),
    ];
    let results = app.bulk_issue(&seed.issuer_id, rows.clone()).await.unwrap();
    let results: Vec<BulkIssued> = results.into_iter().map(Result::unwrap).collect();
    let sent: Vec<bool> = results.iter().map(|r| r.invite.sent()).collect();
    assert_eq!(sent, vec![true, true, false, true, false]);
    let mails = outbox_invitations(&outbox);
    assert_eq!(mails.len() - before, 3, "exactly three invitations");
    for (row, who) in [
        (0, "new.one@school.example"),
        (1, "new.two@school.example"),
        (3, "new.three@school.example"),
    ] {
        let mail = mails
            .iter()
            .find(|m| m.contains(&format!("To: {who}")))
            .unwrap_or_else(|| panic!("no invitation to {who}"));
        let record = &results[row].record;
        let edu = record.educator_id.clone().unwrap();
        let user = crate::accounts::accept_invitation(&app, &invitation_secret(mail), "", None)
            .await
            .unwrap();
        assert_eq!(user.email, who);
        assert_eq!(
            user.educator_in(&seed.org_id).map(|e| e.as_str()),
            Some(edu.as_str())
        );
        let (_, held) = app.educator_state(&edu).await.unwrap();
        assert!(held.iter().any(|(c, _)| c.id == record.id));
    }
    // The same rows again answer with the first results and mail nothing.
    let again = app.bulk_issue(&seed.issuer_id, rows).await.unwrap();
    assert!(again.iter().all(|r| r
        .as_ref()
        .is_ok_and(|r| r.replayed && r.invite == Default::default())));
    assert_eq!(outbox_invitations(&outbox).len() - before, 3);
}

/// A single issuance to a new address invites its person; an invitation that cannot be mailed
/// leaves the credential issued and says why.
#[tokio::test]
async fn issuance_invites_and_a_mail_failure_does_not_undo_it() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let app = open_app(dir.path(), crate::mail::MailConfig::outbox(&outbox)).await;
    let seed = crate::demo::seed_demo(&app).await.unwrap().unwrap();
    let before = outbox_invitations(&outbox).len();
    let (ach, to, opts) = bulk_row("mc-tools-1", "single@school.example");
    let issued = app
        .issue(&seed.issuer_id, &ach, to.clone(), opts.clone())
        .await
        .unwrap();
    assert!(issued.invite.sent(), "{:?}", issued.invite);
    let replay = app.issue(&seed.issuer_id, &ach, to, opts).await.unwrap();
    assert!(replay.replayed && replay.invite == Default::default());
    assert_eq!(outbox_invitations(&outbox).len() - before, 1);
    drop(app);

    // The same database with an outbox that cannot be written: the mail server is down.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let app = open_app(dir2.path(), crate::mail::MailConfig::outbox(&blocked)).await;
    let seed = crate::demo::seed_demo(&app).await.unwrap().unwrap();
    let issued = app
        .issue(
            &seed.issuer_id,
            "mc-tools-1",
            Recipient::Email("unlucky@school.example".into()),
            IssueOptions::default(),
        )
        .await
        .unwrap();
    assert!(issued.invite.failed(), "{:?}", issued.invite);
    let edu = issued.record.educator_id.clone().unwrap();
    let (_, held) = app.educator_state(&edu).await.unwrap();
    assert!(held.iter().any(|(c, _)| c.id == issued.record.id));
    let rows = vec![bulk_row("mc-tools-1", "unlucky.too@school.example")];
    let results = app.bulk_issue(&seed.issuer_id, rows).await.unwrap();
    let r = results.into_iter().next().unwrap().unwrap();
    assert!(r.invite.failed() && !r.replayed);
    let counts = crate::bulk::invitation_counts(&[Ok(r)]);
    assert_eq!(counts, (0, 1));
}

/// A mail's text with quoted-printable soft breaks and `=3D` undone.
fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// Expiry reminders go to the holder once per credential and expiry date, with the link to
/// their notice choices; never twice; not for a credential expiring after the window; not to
/// someone who turned them off, whether in the store or through the link's choices.
#[tokio::test]
async fn expiry_reminders_go_once_and_respect_choices() {
    use crate::notify::{NoticeKind, NoticeOutcome};
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let app = open_app(dir.path(), crate::mail::MailConfig::outbox(&outbox)).await;
    let seed = crate::demo::seed_demo(&app).await.unwrap().unwrap();
    // The demo's own credentials expiring soon are reminded about first.
    app.send_expiry_reminders(30).await.unwrap();
    let opts = |days: i64| IssueOptions {
        valid_until: Some(time::OffsetDateTime::now_utc() + time::Duration::days(days)),
        mail_people: false,
        ..IssueOptions::default()
    };
    let to = |a: &str| Recipient::Email(a.to_owned());
    for (addr, days) in [
        ("soon@school.example", 10),
        ("later@school.example", 90),
        ("quiet@school.example", 10),
    ] {
        app.issue(&seed.issuer_id, "mc-tools-1", to(addr), opts(days))
            .await
            .unwrap();
    }
    app.store()
        .set_notification_choice("quiet@school.example", "expiry", false)
        .await
        .unwrap();
    assert_eq!(app.send_expiry_reminders(30).await.unwrap(), 1);
    let to_of = |addr: &str| -> Vec<String> {
        outbox_mails(&outbox)
            .into_iter()
            .map(|m| unfolded(&m))
            .filter(|m| m.contains(&format!("To: {addr}")))
            .collect()
    };
    let mails = to_of("soon@school.example");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("expires on"), "{}", mails[0]);
    assert!(to_of("later@school.example").is_empty());
    assert!(to_of("quiet@school.example").is_empty());
    // Never twice, however often it runs.
    assert_eq!(app.send_expiry_reminders(30).await.unwrap(), 0);
    assert_eq!(to_of("soon@school.example").len(), 1);

    // The link in the message opens the holder's choices; turning expiry off there holds.
    let at = mails[0].find("/notifications/").expect("a choices link") + "/notifications/".len();
    let token: String = mails[0][at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    let choices = app.notice_choices(&token).await.unwrap();
    assert_eq!(choices.email, "soon@school.example");
    assert!(choices.kinds.iter().all(|(_, on)| *on));
    let after = app
        .set_notice_choices(&token, &[NoticeKind::Award])
        .await
        .unwrap();
    assert!(after
        .kinds
        .iter()
        .all(|(k, on)| *on == (*k == NoticeKind::Award)));
    app.issue(
        &seed.issuer_id,
        "mc-tools-2",
        to("soon@school.example"),
        opts(5),
    )
    .await
    .unwrap();
    assert_eq!(app.send_expiry_reminders(30).await.unwrap(), 0);
    assert_eq!(to_of("soon@school.example").len(), 1);
    let outcome = app
        .notify(
            NoticeKind::Expiry,
            "expiry:test",
            "soon@school.example",
            "s",
            "b",
        )
        .await
        .unwrap();
    assert_eq!(outcome, NoticeOutcome::TurnedOff);
    // A link that stands for nobody is not found.
    assert!(matches!(
        app.notice_choices(&"ab".repeat(32)).await,
        Err(AppError::NotFound(_))
    ));
}

/// A wallet claim: only the holder makes it, a wallet spends it once for a copy bound to its
/// DID (issued and logged like any credential, verifying), the same wallet's retry gets the same
/// copy, another wallet is refused, and revoking the original revokes the copy.
#[tokio::test]
async fn wallet_claims_issue_bound_copies_once_and_follow_the_original() {
    use crate::claims::{ClaimProtocol, ClaimStatus};
    use pathledger_badges::Verdict;
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(
        dir.path(),
        crate::mail::MailConfig::outbox(dir.path().join("o")),
    )
    .await;
    let seed = crate::demo::seed_demo(&app).await.unwrap().unwrap();
    let educators: Vec<_> = seed
        .accounts
        .iter()
        .filter(|a| a.educator_id.is_some() && a.org_id == seed.org_id)
        .collect();
    let (holder, other) = (educators[0], educators[1]);
    let actor_of = |id: String| {
        let app = app.clone();
        async move { crate::Actor::new(app.store().user(&id).await.unwrap()) }
    };
    let holder_actor = actor_of(holder.user_id.clone()).await;
    let other_actor = actor_of(other.user_id.clone()).await;
    let original = app
        .issue(
            &seed.issuer_id,
            "mc-tools-1",
            Recipient::Educator(holder.educator_id.clone().unwrap()),
            IssueOptions {
                mail_people: false,
                ..IssueOptions::default()
            },
        )
        .await
        .unwrap();
    let id = original.record.id.clone();

    // Only the holder may make a claim; to anyone else the credential does not exist.
    let e = app
        .create_wallet_claim(&other_actor, &id, ClaimProtocol::VcApi)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    let claim = app
        .create_wallet_claim(&holder_actor, &id, ClaimProtocol::VcApi)
        .await
        .unwrap();
    assert_eq!(claim.secret.len(), 64);
    assert_eq!(claim.status, ClaimStatus::Open);
    assert!(matches!(
        app.wallet_claim("not-a-secret").await,
        Err(AppError::NotFound(_))
    ));

    // Bad DIDs are refused and spend nothing.
    for bad in [
        "",
        "https://wallet.example",
        "did:key",
        "did:key:z6Mk#frag",
        "did:key:a b",
    ] {
        let e = app
            .redeem_wallet_claim(&claim.secret, bad)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid { .. }), "{bad:?}: {e:?}");
    }
    assert_eq!(
        app.wallet_claim(&claim.secret).await.unwrap().status,
        ClaimStatus::Open
    );

    let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let copy = app.redeem_wallet_claim(&claim.secret, did).await.unwrap();
    assert!(!copy.replayed);
    assert_ne!(copy.record.id, id);
    assert_eq!(copy.credential["credentialSubject"]["id"], did);
    assert_eq!(
        copy.credential["credentialSubject"]["achievement"]["name"],
        original.credential["credentialSubject"]["achievement"]["name"]
    );
    assert_eq!(app.verify(&copy.credential).await.verdict, Verdict::Valid);
    assert!(copy.record.log_index > original.record.log_index);

    // The same wallet retrying gets the same copy; another wallet is refused.
    let again = app.redeem_wallet_claim(&claim.secret, did).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.record.id, copy.record.id);
    let e = app
        .redeem_wallet_claim(&claim.secret, "did:key:z6MkotherWallet")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    let seen = app.wallet_claim(&claim.secret).await.unwrap();
    assert_eq!(seen.status, ClaimStatus::Used);
    assert_eq!(seen.copy_id.as_deref(), Some(copy.record.id.as_str()));
    assert_eq!(seen.holder_did.as_deref(), Some(did));
    assert_eq!(
        app.wallet_claims_of(&holder_actor, &id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(app.wallet_claims_of(&other_actor, &id).await.is_err());

    // An expired claim cannot be spent.
    let late = app
        .create_wallet_claim(&holder_actor, &id, ClaimProtocol::Oid4vci)
        .await
        .unwrap();
    app.store()
        .expire_wallet_claim_for_tests(&late.id)
        .await
        .unwrap();
    assert_eq!(
        app.wallet_claim(&late.secret).await.unwrap().status,
        ClaimStatus::Expired
    );
    let e = app
        .redeem_wallet_claim(&late.secret, did)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Invalid { field, .. } if field == "claim"),
        "{e:?}"
    );

    // Suspending, reinstating and revoking the original does the same to its copy.
    let status_of = |cid: String| {
        let app = app.clone();
        async move { app.store().credential(&cid).await.unwrap().status }
    };
    let holder_user = Some(&holder_actor.user.id);
    app.change_status(
        &id,
        pathledger_store::StatusChange::Revoke,
        Some("issued in error"),
        holder_user,
    )
    .await
    .unwrap();
    assert_eq!(
        status_of(copy.record.id.clone()).await,
        pathledger_store::CredentialStatus::Revoked
    );
    assert_eq!(app.verify(&copy.credential).await.verdict, Verdict::Revoked);
    // A revoked credential cannot be claimed again.
    let e = app
        .create_wallet_claim(&holder_actor, &id, ClaimProtocol::VcApi)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
}

/// The award notices to `addr` in an outbox folder (quoted-printable undone).
fn award_mails(outbox: &std::path::Path, addr: &str) -> Vec<String> {
    outbox_mails(outbox)
        .into_iter()
        // Soft line breaks undone, and folded header lines too.
        .map(|m| unfolded(&m).replace("\r\n", "\n").replace("\n ", " "))
        .filter(|m| m.contains(&format!("To: {addr}")) && m.contains("Subject: You earned "))
        .collect()
}

/// An award notice goes to the educator once per credential, in the background, with the
/// share, wallet claim, LinkedIn and choices links; a replayed issuance, a second server over
/// the same database doing the same, a person who turned awards off, a machine run and a
/// wallet's copy send nothing; a bulk call tells each new holder once.
#[tokio::test]
async fn award_notices_go_once_and_respect_choices() {
    use crate::notify::{NoticeKind, NoticeOutcome};
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let kek = Kek::generate().unwrap();
    let app = open_app_with(
        dir.path(),
        crate::mail::MailConfig::outbox(&outbox),
        kek.clone(),
    )
    .await;
    let seed = crate::demo::seed_demo(&app).await.unwrap().unwrap();
    assert!(app.notices_sent(std::time::Duration::from_secs(10)).await);
    assert!(
        outbox_mails(&outbox).is_empty(),
        "the demo seed mails nobody"
    );
    let org = app.store().organization(&seed.org_id).await.unwrap().name;
    let settle = || app.notices_sent(std::time::Duration::from_secs(10));
    let keyed = |key: &str| IssueOptions {
        idempotency_key: Some(key.to_owned()),
        ..IssueOptions::default()
    };
    let zoe = Recipient::Email("zoe.award@school.example".into());

    let issued = app
        .issue(&seed.issuer_id, "mc-tools-1", zoe.clone(), keyed("award-1"))
        .await
        .unwrap();
    assert!(settle().await);
    let mails = award_mails(&outbox, "zoe.award@school.example");
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    let id = &issued.record.id;
    assert!(
        m.contains(&format!(
            "Subject: You earned Learning Platforms and Tools from {org}"
        )),
        "{m}"
    );
    assert!(
        m.contains(&format!("http://127.0.0.1:8080/credentials/{id}\n")),
        "{m}"
    );
    assert!(
        m.contains(&format!("http://127.0.0.1:8080/credentials/{id}/claim")),
        "{m}"
    );
    assert!(
        m.contains("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Learning%20Platforms%20and%20Tools")
            && m.contains(&format!("certId={}", crate::sharing::percent_encode(id))),
        "{m}"
    );
    assert!(m.contains("http://127.0.0.1:8080/notifications/"), "{m}");

    // A replay of the same issuance is no news.
    let replay = app
        .issue(&seed.issuer_id, "mc-tools-1", zoe.clone(), keyed("award-1"))
        .await
        .unwrap();
    assert!(replay.replayed);
    assert!(settle().await);
    assert_eq!(award_mails(&outbox, "zoe.award@school.example").len(), 1);

    // A second server over the same database: its replay sends nothing, and the notice itself
    // was claimed once for every server.
    let two = open_app_with(
        dir.path(),
        crate::mail::MailConfig::outbox(&outbox),
        kek.clone(),
    )
    .await;
    let again = two
        .issue(&seed.issuer_id, "mc-tools-1", zoe.clone(), keyed("award-1"))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(
        two.send_award_notice(&issued.record).await.unwrap(),
        NoticeOutcome::AlreadySent
    );
    assert!(two.notices_sent(std::time::Duration::from_secs(10)).await);
    assert_eq!(award_mails(&outbox, "zoe.award@school.example").len(), 1);

    // Awards turned off: nothing, while the other kinds still go.
    app.store()
        .set_notification_choice(
            "quiet.award@school.example",
            NoticeKind::Award.as_str(),
            false,
        )
        .await
        .unwrap();
    let quiet = app
        .issue(
            &seed.issuer_id,
            "mc-tools-1",
            Recipient::Email("quiet.award@school.example".into()),
            keyed("award-2"),
        )
        .await
        .unwrap();
    assert!(settle().await);
    assert!(award_mails(&outbox, "quiet.award@school.example").is_empty());
    assert_eq!(
        app.send_award_notice(&quiet.record).await.unwrap(),
        NoticeOutcome::TurnedOff
    );

    // A machine run and a wallet's copy of a credential tell nobody.
    for (addr, opts) in [
        (
            "machine@school.example",
            IssueOptions {
                mail_people: false,
                ..keyed("award-3")
            },
        ),
        (
            "wallet@school.example",
            IssueOptions {
                holder_did: Some("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".into()),
                ..keyed("award-4")
            },
        ),
    ] {
        app.issue(
            &seed.issuer_id,
            "mc-tools-1",
            Recipient::Email(addr.into()),
            opts,
        )
        .await
        .unwrap();
        assert!(settle().await);
        assert!(award_mails(&outbox, addr).is_empty(), "{addr}");
    }

    // Bulk: each new credential's holder once (two for two credentials), a retry nothing more.
    let rows = vec![
        bulk_row("mc-tools-1", "bulk.one@school.example"),
        bulk_row("mc-tools-2", "bulk.one@school.example"),
        bulk_row("mc-tools-1", "bulk.two@school.example"),
    ];
    for _ in 0..2 {
        app.bulk_issue(&seed.issuer_id, rows.clone()).await.unwrap();
        assert!(settle().await);
        assert_eq!(award_mails(&outbox, "bulk.one@school.example").len(), 2);
        assert_eq!(award_mails(&outbox, "bulk.two@school.example").len(), 1);
    }
}
