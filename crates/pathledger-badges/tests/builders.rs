//! Builders: emitted shape, IdentityHash vector, input validation, schema validation of every type.

mod common;

use pathledger_badges::schema::{validate, SchemaKind};
use pathledger_badges::*;
use serde_json::{json, Value};
use time::macros::datetime;

#[test]
fn identity_hash_vector() {
    assert_eq!(
        identity_hash("a@example.com", "Kosher"),
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    );
}

#[test]
fn open_badge_shape() {
    let key = common::key(1);
    let entry = StatusEntry::new(common::LIST_URL, StatusPurpose::Revocation, 94_567);
    let doc = open_badge_credential(&common::badge_input(&key, 1, Some(entry))).expect("build");
    assert_eq!(
        doc["@context"],
        json!([ob::VC_V2, ob::OB_CONTEXT, ob::OB_EXTENSIONS])
    );
    assert_eq!(
        doc["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(doc["issuer"]["type"], json!(["Profile"]));
    assert_eq!(doc["validFrom"], json!("2024-01-01T00:00:00Z"));
    let subject = &doc["credentialSubject"];
    assert_eq!(
        subject["identifier"][0]["identityHash"],
        json!(identity_hash("a@example.com", "Kosher"))
    );
    assert!(subject.get("id").is_none());
    let al = &subject["achievement"]["alignment"][0];
    assert_eq!(al["targetType"], json!("CFItem"));
    assert_eq!(
        al["targetUrl"],
        json!("https://example.org/competencies/t-3-2")
    );
    assert_eq!(doc["credentialStatus"]["statusListIndex"], json!("94567"));
    assert_eq!(
        doc["credentialStatus"]["id"],
        json!("https://example.org/status/1#94567")
    );
    assert_eq!(
        doc["credentialSchema"][0]["type"],
        json!("1EdTechJsonSchemaValidator2019")
    );

    // Without credentialSchema the extensions context is left out.
    let mut input = common::badge_input(&key, 2, None);
    input.include_schema = false;
    input.recipient = SubjectIdentifier::Id("did:example:teacher-123".into());
    let doc = open_badge_credential(&input).expect("build");
    assert_eq!(doc["@context"], json!([ob::VC_V2, ob::OB_CONTEXT]));
    assert!(doc.get("credentialSchema").is_none() && doc.get("credentialStatus").is_none());
    assert_eq!(
        doc["credentialSubject"]["id"],
        json!("did:example:teacher-123")
    );
}

#[test]
fn build_errors() {
    let key = common::key(1);
    let base = common::badge_input(&key, 1, None);
    type Change = Box<dyn Fn(&mut OpenBadgeInput)>;
    let cases: Vec<(&str, Change)> = vec![
        ("bad id", Box::new(|i| i.id = "not a uri".into())),
        ("bad issuer", Box::new(|i| i.issuer.id = "example".into())),
        (
            "empty issuer name",
            Box::new(|i| i.issuer.name = " ".into()),
        ),
        (
            "unknown achievementType",
            Box::new(|i| i.achievement.achievement_type = Some("Trophy".into())),
        ),
        (
            "empty criteria",
            Box::new(|i| i.achievement.criteria = Criteria::default()),
        ),
        (
            "bad alignment type",
            Box::new(|i| i.achievement.alignments[0].target_type = Some("ext:".into())),
        ),
        (
            "bad alignment url",
            Box::new(|i| i.achievement.alignments[0].target_url = "competency".into()),
        ),
        (
            "validity order",
            Box::new(|i| i.valid_until = Some(datetime!(2023-01-01 0:00 UTC))),
        ),
        (
            "bad recipient",
            Box::new(|i| i.recipient = SubjectIdentifier::Id("teacher".into())),
        ),
    ];
    for (name, change) in cases {
        let mut input = base.clone();
        change(&mut input);
        assert!(
            open_badge_credential(&input).is_err(),
            "{name} should be rejected"
        );
    }
    let mut ext = base.clone();
    ext.achievement.achievement_type = Some("ext:MentorTeacher".into());
    ext.achievement.alignments[0].target_type = Some("ext:DistrictStandard".into());
    assert!(
        open_badge_credential(&ext).is_ok(),
        "ext: values are accepted"
    );
}

pub fn endorsement(key: &pathledger_signing::SigningKey) -> Value {
    endorsement_credential(&EndorsementInput {
        id: "urn:uuid:8f3b4c2e-0000-4000-8000-000000000001".into(),
        issuer: IssuerProfile {
            id: key.public_key().did_key(),
            name: "Maria Mentor".into(),
            ..Default::default()
        },
        name: "Mentor endorsement: Formative Assessment".into(),
        valid_from: datetime!(2024-02-01 0:00 UTC),
        valid_until: None,
        endorsed_id: "urn:uuid:2f1c9a52-6d0e-4f7e-9a43-000000000001".into(),
        endorsed_name: None,
        comment: Some("Observed three strong lessons.".into()),
        include_schema: true,
    })
    .expect("endorsement")
}

#[test]
fn every_unsigned_type_validates_against_its_schemas() {
    let key = common::key(1);
    let badge = open_badge_credential(&common::badge_input(
        &key,
        1,
        Some(StatusEntry::new(
            common::LIST_URL,
            StatusPurpose::Revocation,
            3,
        )),
    ))
    .expect("badge");
    validate(SchemaKind::AchievementCredential, &badge).expect("lenient");
    validate(SchemaKind::AchievementCredentialStrict, &badge).expect("strict");
    let e = endorsement(&key);
    validate(SchemaKind::EndorsementCredential, &e).expect("lenient");
    validate(SchemaKind::EndorsementCredentialStrict, &e).expect("strict");
    validate(SchemaKind::Profile, &badge["issuer"]).expect("profile");

    // A schema violation is reported, not ignored.
    let mut broken = badge.clone();
    broken["credentialSubject"]["achievement"]
        .as_object_mut()
        .expect("o")
        .remove("criteria");
    assert!(validate(SchemaKind::AchievementCredential, &broken).is_err());
    let mut broken = badge;
    broken["validFrom"] = json!("2024-01-01");
    assert!(validate(SchemaKind::AchievementCredential, &broken).is_err());
}

#[test]
fn clr_associations_must_name_embedded_achievements() {
    let key = common::key(1);
    let part = open_badge_credential(&common::badge_input(&key, 1, None)).expect("badge");
    let input = ClrInput {
        id: "urn:uuid:0c1e0000-0000-4000-8000-000000000001".into(),
        issuer: common::issuer(&key),
        name: "Professional learning record".into(),
        description: None,
        valid_from: datetime!(2024-03-01 0:00 UTC),
        valid_until: None,
        subject: SubjectIdentifier::Id("did:example:teacher-123".into()),
        credentials: vec![part],
        associations: stack_associations(
            "https://example.org/achievements/not-embedded",
            &["https://example.org/achievements/formative-assessment".to_owned()],
        ),
        partial: None,
        include_schema: false,
    };
    assert!(clr_credential(&input).is_err());
    let empty = ClrInput {
        credentials: vec![],
        associations: vec![],
        ..input
    };
    assert!(clr_credential(&empty).is_err());
}

/// A copy of one person's credential, personalized for another, is the credential built for
/// the other from scratch; its canonical template signs it to the same bytes as signing the
/// whole document, for every way of naming the recipient.
#[test]
fn personalized_copies_equal_fresh_credentials() {
    use pathledger_signing::{sign_document_to_string, Cryptosuite, ProofOptions};
    let key = common::key(3);
    let slot = |i: u64| StatusSlot {
        list_url: common::LIST_URL,
        index: i,
    };
    let recipients = [
        SubjectIdentifier::Hashed {
            identity: "b@example.com".into(),
            identity_type: "emailAddress".into(),
            salt: "Pepper".into(),
        },
        SubjectIdentifier::Id("did:example:teacher-9".into()),
        SubjectIdentifier::Plain {
            identity: "c@example.com".into(),
            identity_type: "emailAddress".into(),
        },
    ];
    for recipient in recipients {
        // The first row: its own credential, and the template made from it.
        let first = open_badge_credential(&common::badge_input(
            &key,
            1,
            Some(StatusEntry::new(
                common::LIST_URL,
                StatusPurpose::Revocation,
                7,
            )),
        ))
        .expect("first");
        // The second row, built from scratch.
        let mut input = common::badge_input(
            &key,
            2,
            Some(StatusEntry::new(
                common::LIST_URL,
                StatusPurpose::Revocation,
                99,
            )),
        );
        input.recipient = recipient.clone();
        let fresh = open_badge_credential(&input).expect("fresh");
        let id = input.id.clone();
        let p = Personal {
            id: &id,
            revocation: slot(99),
            suspension: None,
            suspendable: false,
            recipient: recipient.clone(),
            identity_hash: None,
        };
        let mut copy = first.clone();
        personalize(&mut copy, &p).expect("personalize");
        assert_eq!(copy, fresh, "{recipient:?}");

        // The template of a credential naming its recipient the same way signs the second row
        // to exactly the bytes of signing the fresh document.
        let mut opts = ProofOptions::assertion(
            Cryptosuite::EddsaJcs2022,
            format!("{}#key-1", key.public_key().did_key()),
        );
        opts.created = Some("2024-01-01T00:00:00Z".into());
        let mut shaped = first.clone();
        let mut first_p = p.clone();
        first_p.id = "urn:uuid:2f1c9a52-6d0e-4f7e-9a43-000000000001";
        first_p.revocation = slot(7);
        personalize(&mut shaped, &first_p).expect("shape the first row alike");
        let template = CanonicalTemplate::new(&shaped, &opts).expect("template");
        let templated = template.sign(&p, &key).expect("fits").expect("signs");
        let whole = sign_document_to_string(&fresh, &key, &opts).expect("sign");
        assert_eq!(templated, whole, "{recipient:?}");
    }
    // Suspendable: both entries, as an array.
    let p = Personal {
        id: "urn:uuid:x",
        revocation: slot(1),
        suspension: Some(slot(2)),
        suspendable: true,
        recipient: SubjectIdentifier::Id("did:example:t".into()),
        identity_hash: None,
    };
    let status = p.status();
    assert_eq!(status[0]["statusPurpose"], "revocation");
    assert_eq!(status[1]["statusPurpose"], "suspension");
    assert_eq!(status[1]["statusListIndex"], "2");
}
