//! Other issuers' formats: OB 3.0 VC-JWT (EdDSA, ES256, RS256; keys by header JWK, did:key,
//! did:jwk, a URL or the issuer's JWKS), Open Badges 2.0 signed and hosted, and badges baked
//! into PNG and SVG. The vectors were made by Node's own crypto (`tests/vectors/vc-jwt/make.mjs`),
//! not by this code.

use std::collections::HashMap;
use std::path::PathBuf;

use pathledger_badges::{
    bake_png, bake_svg, read_input, FetchError, Fetcher, StaticFetcher, TrustList, Verdict,
    Verifier,
};
use pathledger_signing::DidKeyResolver;
use serde_json::{json, Value};
use time::macros::datetime;

fn vectors(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(rel)
}

fn load(rel: &str) -> Value {
    let p = vectors(rel);
    serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

fn fetcher() -> StaticFetcher {
    let mut f = StaticFetcher::new();
    for rel in ["vc-jwt/documents.json", "ob2/documents.json"] {
        for (url, doc) in load(rel).as_object().unwrap() {
            f.insert(url.clone(), doc.clone());
        }
    }
    f
}

fn verifier<'a>(fetcher: &'a dyn Fetcher, trust: TrustList) -> Verifier<'a> {
    Verifier {
        resolver: &DidKeyResolver,
        fetcher,
        trust,
        now: Some(datetime!(2026-12-01 12:00 UTC)),
        check_schema: true,
    }
}

fn any_issuer() -> TrustList {
    TrustList {
        accept_any: true,
        ..TrustList::default()
    }
}

#[test]
fn every_token_vector_gets_its_verdict() {
    let f = fetcher();
    let v = verifier(&f, any_issuer());
    let tokens = load("vc-jwt/tokens.json");
    let tokens = tokens.as_object().unwrap();
    assert!(tokens.len() >= 20);
    for (name, case) in tokens {
        let input = read_input(case["token"].as_str().unwrap().as_bytes()).unwrap();
        let report = v.verify(&input);
        assert_eq!(
            report.verdict.code(),
            case["verdict"].as_str().unwrap(),
            "{name}: {}",
            serde_json::to_string_pretty(&report.to_json()).unwrap()
        );
    }
}

#[test]
fn reports_say_what_was_checked() {
    let f = fetcher();
    let v = verifier(&f, any_issuer());
    let tokens = load("vc-jwt/tokens.json");
    let tok = |n: &str| Value::String(tokens[n]["token"].as_str().unwrap().to_owned());
    let r = v.verify(&tok("rs256-kid-url"));
    let proof = &r.to_json()["checks"][2];
    assert_eq!(proof["check"], "proof");
    assert!(
        proof["message"].as_str().unwrap().contains("RS256 token"),
        "{proof}"
    );
    let r = v.verify(&tok("eddsa-jwk-not-issuers"));
    assert_eq!(r.to_json()["checks"][3]["code"], "KEY_NOT_ISSUERS");
    let r = v.verify(&tok("eddsa-iss-mismatch"));
    assert_eq!(r.to_json()["checks"][0]["code"], "INVALID_JWT_CLAIMS");
    let r = v.verify(&tok("ob2-signed-revoked"));
    assert!(r.message.contains("Issued in error"), "{}", r.message);
    // The trust list applies to other formats too.
    let strict = verifier(&f, TrustList::of(["https://issuer.example/ob2/issuer"]));
    assert_eq!(strict.verify(&tok("ob2-signed")).verdict, Verdict::Valid);
    assert_eq!(
        strict.verify(&tok("rs256-kid-url")).verdict,
        Verdict::UnknownIssuer
    );
}

#[test]
fn keys_that_cannot_be_fetched_are_could_not_check_not_tampered() {
    let empty = StaticFetcher::new();
    let v = verifier(&empty, any_issuer());
    let tokens = load("vc-jwt/tokens.json");
    for name in [
        "rs256-kid-url",
        "rs256-jwk-in-jwks",
        "ob2-signed",
        "ob2-hosted",
    ] {
        let t = Value::String(tokens[name]["token"].as_str().unwrap().to_owned());
        assert_eq!(v.verify(&t).verdict, Verdict::CouldNotCheck, "{name}");
    }
}

/// A fetcher whose hosted assertions were withdrawn (410 Gone).
struct Gone;
impl Fetcher for Gone {
    fn fetch_json(&self, url: &str) -> Result<Value, FetchError> {
        Err(FetchError::Gone(url.to_owned()))
    }
}

#[test]
fn a_hosted_badge_answering_gone_is_revoked() {
    let v = verifier(&Gone, any_issuer());
    let r = v.verify(&json!("https://issuer.example/ob2/assertions/1"));
    assert_eq!(r.verdict, Verdict::Revoked, "{:?}", r);
}

#[test]
fn a_hosted_copy_given_to_us_is_checked_against_the_live_one() {
    let f = fetcher();
    let v = verifier(&f, any_issuer());
    let docs = load("ob2/documents.json");
    // The holder's copy says not revoked; the issuer's live copy says revoked.
    let mut copy = docs["https://issuer.example/ob2/assertions/2"].clone();
    copy.as_object_mut().unwrap().remove("revoked");
    assert_eq!(v.verify(&copy).verdict, Verdict::Revoked);
    // A signed assertion's JSON without its signature cannot be checked.
    let tokens = load("vc-jwt/tokens.json");
    let jws = tokens["ob2-signed"]["token"].as_str().unwrap();
    let payload: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            jws.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(v.verify(&payload).verdict, Verdict::CouldNotCheck);
}

#[test]
fn baked_images_from_another_baker_verify() {
    let f = fetcher();
    let v = verifier(&f, any_issuer());
    let png = std::fs::read(vectors("ob2/signed-baked.png")).unwrap();
    assert_eq!(v.verify(&read_input(&png).unwrap()).verdict, Verdict::Valid);
    let svg = std::fs::read(vectors("vc-jwt/es256-baked.svg")).unwrap();
    assert_eq!(v.verify(&read_input(&svg).unwrap()).verdict, Verdict::Valid);
}

#[test]
fn our_baker_round_trips_tokens_and_json() {
    let f = fetcher();
    let v = verifier(&f, any_issuer());
    let tokens = load("vc-jwt/tokens.json");
    let tok = tokens["eddsa-kid-did-key"]["token"].as_str().unwrap();
    let png = std::fs::read(vectors("ob2/signed-baked.png")).unwrap();
    let rebaked = bake_png(&png, tok).unwrap();
    assert_eq!(
        read_input(&rebaked).unwrap(),
        Value::String(tok.to_owned()),
        "the OB 3.0 chunk comes first"
    );
    assert_eq!(
        v.verify(&read_input(&rebaked).unwrap()).verdict,
        Verdict::Valid
    );
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#;
    let baked = bake_svg(svg, tok).unwrap();
    assert_eq!(
        v.verify(&read_input(baked.as_bytes()).unwrap()).verdict,
        Verdict::Valid
    );
    // A tampered token baked into an image is still tampered.
    let tampered = tokens["eddsa-tampered"]["token"].as_str().unwrap();
    let baked = bake_svg(svg, tampered).unwrap();
    assert_eq!(
        v.verify(&read_input(baked.as_bytes()).unwrap()).verdict,
        Verdict::Tampered
    );
}

#[test]
fn enveloped_credentials_and_unsupported_suites() {
    let f = fetcher();
    let v = verifier(&f, any_issuer());
    let tokens = load("vc-jwt/tokens.json");
    let tok = tokens["es256-kid-did-jwk"]["token"].as_str().unwrap();
    let env = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": format!("data:application/vc+jwt,{tok}"),
        "type": "EnvelopedVerifiableCredential"
    });
    assert_eq!(v.verify(&env).verdict, Verdict::Valid);
    // A Data Integrity proof in a suite we do not implement: unsupported, not malformed.
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:1"},
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-sd-2023",
                  "verificationMethod": "did:example:issuer#k", "proofPurpose": "assertionMethod",
                  "proofValue": "u2V0AhVhA"}
    });
    assert_eq!(v.verify(&doc).verdict, Verdict::UnsupportedFormat);
    assert_eq!(v.verify(&doc).verdict.code(), "unsupported_format");
    doc["proof"]["type"] = json!("BbsBlsSignature2020");
    assert_eq!(v.verify(&doc).verdict, Verdict::UnsupportedFormat);
    // A string that is neither a token nor a link is malformed.
    assert_eq!(v.verify(&json!("hello")).verdict, Verdict::Malformed);
}

#[test]
fn strangers_inputs_are_bounded() {
    // A token whose RSA key is too large for a stranger to make us verify.
    let big = json!({"kty": "RSA", "n": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, vec![0xffu8; 1024]), "e": "AQAB"});
    let header = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_vec(&json!({"alg": "RS256", "jwk": big})).unwrap(),
    );
    let payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        br#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"https://a.example","iss":"https://a.example","credentialSubject":{"id":"did:example:1"}}"#,
    );
    let f = HashMapFetcher(HashMap::new());
    let v = verifier(&f, any_issuer());
    let r = v.verify(&Value::String(format!("{header}.{payload}.AAAA")));
    assert_eq!(r.verdict, Verdict::UnsupportedFormat, "{:?}", r);
    // Too large an input is refused before anything is read.
    let huge = vec![b' '; pathledger_badges::MAX_INPUT_BYTES + 1];
    assert!(read_input(&huge).is_err());
}

struct HashMapFetcher(HashMap<String, Value>);
impl Fetcher for HashMapFetcher {
    fn fetch_json(&self, url: &str) -> Result<Value, FetchError> {
        self.0
            .get(url)
            .cloned()
            .ok_or_else(|| FetchError::NotFound(url.to_owned()))
    }
}

/// A profile hosted anywhere cannot claim a trusted issuer's id (and widen its own allowed
/// origins); a profile embedded in a badge class is not authoritative either.
#[test]
fn a_profile_speaks_only_from_its_own_address() {
    let mut f = fetcher();
    let trusted = "https://issuer.example/ob2/issuer";
    let docs = load("ob2/documents.json");
    let mut a = docs["https://issuer.example/ob2/assertions/1"].clone();
    a["id"] = json!("https://evil.example/a/1");
    a["badge"] = json!("https://evil.example/class");
    f.insert("https://evil.example/a/1", a.clone());
    f.insert(
        "https://evil.example/class",
        json!({"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass",
               "id": "https://evil.example/class", "name": "Master Mentor",
               "issuer": "https://evil.example/profile"}),
    );
    f.insert(
        "https://evil.example/profile",
        json!({"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": trusted,
               "name": "Riverside Teacher Residency",
               "verification": {"allowedOrigins": ["evil.example"]}}),
    );
    let v = verifier(&f, TrustList::of([trusted]));
    let r = v.verify(&json!("https://evil.example/a/1"));
    assert_eq!(r.verdict, Verdict::Malformed, "{}", r.to_json());
    assert_eq!(r.to_json()["checks"][2]["code"], "INVALID_ID");

    // The class embeds the trusted issuer's profile with widened origins: the real profile,
    // fetched from its id, decides, and the badge is not hosted where it allows.
    f.insert(
        "https://evil.example/class",
        json!({"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass",
               "id": "https://evil.example/class", "name": "Master Mentor",
               "issuer": {"id": trusted, "type": "Issuer", "name": "Riverside Teacher Residency",
                          "verification": {"allowedOrigins": ["evil.example"]}}}),
    );
    let v = verifier(&f, TrustList::of([trusted]));
    let r = v.verify(&json!("https://evil.example/a/1"));
    assert_eq!(r.verdict, Verdict::Tampered, "{}", r.to_json());
    assert_eq!(r.to_json()["checks"][2]["code"], "HOST_NOT_ISSUERS");
}

/// A W3C VC-JOSE-COSE token (`typ` vc+jwt) is the credential itself, with no OB 3.0 claims
/// required; an OB 3.0 token without `iss` is malformed.
#[test]
fn vc_jose_tokens_need_no_iss_but_ob3_tokens_do() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine as _;
    let key = pathledger_signing::SigningKey::from_seed([5; 32]);
    let did = key.public_key().did_key();
    let vm = key.public_key().did_key_verification_method();
    let cred = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "credentialSubject": {"id": "did:example:holder"}
    });
    let token = |typ: &str| {
        let h = B64
            .encode(serde_json::to_vec(&json!({"alg": "EdDSA", "typ": typ, "kid": vm})).unwrap());
        let p = B64.encode(serde_json::to_vec(&cred).unwrap());
        let sig = key.sign_raw(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", B64.encode(sig))
    };
    let f = StaticFetcher::new();
    let v = verifier(&f, any_issuer());
    assert_eq!(
        v.verify(&Value::String(token("vc+jwt"))).verdict,
        Verdict::Valid
    );
    assert_eq!(
        v.verify(&Value::String(token("JWT"))).verdict,
        Verdict::Malformed
    );
}

/// Open Badges 2.0 dates: a badge dated well ahead is not yet valid; a few minutes ahead is a
/// clock difference.
#[test]
fn ob2_dates_in_the_future() {
    let mut f = fetcher();
    let docs = load("ob2/documents.json");
    for (url, issued) in [
        (
            "https://issuer.example/ob2/assertions/90",
            "2027-06-01T00:00:00Z",
        ),
        (
            "https://issuer.example/ob2/assertions/91",
            "2026-12-01T12:03:00Z",
        ),
    ] {
        let mut a = docs["https://issuer.example/ob2/assertions/1"].clone();
        a["id"] = json!(url);
        a["issuedOn"] = json!(issued);
        f.insert(url, a);
    }
    let v = verifier(&f, any_issuer());
    let r = v.verify(&json!("https://issuer.example/ob2/assertions/90"));
    assert_eq!(r.verdict, Verdict::NotYetValid, "{}", r.to_json());
    assert!(r.message.contains("only becomes valid on"), "{}", r.message);
    let r = v.verify(&json!("https://issuer.example/ob2/assertions/91"));
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.to_json());
}
