//! Shared fixtures: keys, issuer profiles, credential inputs, signing, a status list host.
#![allow(dead_code)]

use pathledger_badges::*;
use pathledger_signing::{sign_document, Cryptosuite, ProofOptions, SigningKey};
use serde_json::Value;
use time::macros::datetime;
use time::OffsetDateTime;

pub const LIST_URL: &str = "https://example.org/status/1";
pub const SUSPENSION_URL: &str = "https://example.org/status/2";

/// The W3C test key (STANDARDS 4.1).
pub fn w3c_key() -> SigningKey {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(
        "c96ef9ea10c5e414c471723aff9de72c35fa5b70fae97e8832ecac7d2e2b8ed6",
        &mut seed,
    )
    .expect("seed hex");
    SigningKey::from_seed(seed)
}

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_seed([n; 32])
}

pub fn now() -> OffsetDateTime {
    datetime!(2025-06-01 12:00 UTC)
}

pub fn issuer(key: &SigningKey) -> IssuerProfile {
    IssuerProfile {
        id: key.public_key().did_key(),
        name: "Example District Professional Learning".into(),
        url: Some("https://example.org".into()),
        ..Default::default()
    }
}

pub fn achievement() -> AchievementInput {
    AchievementInput {
        id: "https://example.org/achievements/formative-assessment".into(),
        name: "Formative Assessment".into(),
        description: "Designs and uses formative assessment to adjust instruction.".into(),
        criteria: Criteria {
            id: None,
            narrative: Some("Submit two annotated lesson cycles reviewed by a coach.".into()),
        },
        achievement_type: Some("MicroCredential".into()),
        alignments: vec![Alignment {
            target_name: "Uses assessment data to inform instruction".into(),
            target_url: "https://example.org/competencies/t-3-2".into(),
            target_type: None,
            target_code: Some("T.3.2".into()),
            target_framework: Some("Example Teaching Standards".into()),
            target_description: None,
        }],
        image: Some(Image {
            id: "https://example.org/badges/fa.png".into(),
            caption: Some("Formative Assessment badge".into()),
        }),
        human_code: Some("FA-1".into()),
        tags: vec!["assessment".into()],
        version: Some("1".into()),
    }
}

pub fn badge_input(key: &SigningKey, n: u32, status: Option<StatusEntry>) -> OpenBadgeInput {
    OpenBadgeInput {
        id: format!("urn:uuid:2f1c9a52-6d0e-4f7e-9a43-{n:012}"),
        issuer: issuer(key),
        valid_from: datetime!(2024-01-01 0:00 UTC),
        valid_until: Some(datetime!(2029-01-01 0:00 UTC)),
        name: "Formative Assessment Micro-credential".into(),
        description: Some("Awarded for formative assessment practice.".into()),
        recipient: SubjectIdentifier::Hashed {
            identity: "a@example.com".into(),
            identity_type: "emailAddress".into(),
            salt: "Kosher".into(),
        },
        achievement: achievement(),
        evidence: vec![EvidenceInput {
            id: Some("https://example.org/evidence/123".into()),
            name: Some("Lesson cycle portfolio".into()),
            description: None,
            narrative: Some("Two cycles, coach reviewed.".into()),
        }],
        status,
        include_schema: true,
        awarded_date: Some(datetime!(2024-01-01 0:00 UTC)),
        image: None,
    }
}

pub fn sign(doc: &Value, key: &SigningKey, suite: Cryptosuite) -> Value {
    let mut opts = ProofOptions::assertion(suite, key.public_key().did_key_verification_method());
    opts.created = Some("2024-01-01T00:00:00Z".into());
    sign_document(doc, key, &opts).expect("sign")
}

pub const SUITES: [Cryptosuite; 2] = [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022];

/// A signed status list credential with `set` indexes set.
pub fn signed_list(
    key: &SigningKey,
    url: &str,
    purpose: StatusPurpose,
    set: &[u64],
    valid_until: Option<OffsetDateTime>,
) -> Value {
    let mut list = StatusList::new(131_072).expect("list");
    for i in set {
        list.set(*i, true).expect("set");
    }
    let doc = status_list_credential(&StatusListCredentialInput {
        id: url,
        issuer: &key.public_key().did_key(),
        purpose,
        valid_from: datetime!(2024-01-01 0:00 UTC),
        valid_until,
        ttl_ms: Some(86_400_000),
        list: &list,
    });
    sign(&doc, key, Cryptosuite::EddsaJcs2022)
}

pub fn verifier<'a>(
    resolver: &'a dyn pathledger_signing::KeyResolver,
    fetcher: &'a dyn Fetcher,
    trusted: &[String],
) -> Verifier<'a> {
    Verifier {
        resolver,
        fetcher,
        trust: TrustList::of(trusted.iter().cloned()),
        now: Some(now()),
        check_schema: true,
    }
}
