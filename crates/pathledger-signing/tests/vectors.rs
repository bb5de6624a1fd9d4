//! Data-driven conformance tests: walks tests/vectors/{jcs,eddsa} and the bundled W3C/1EdTech files.
//!
//! Each data file says what must happen; these tests only read and compare, so a new vector is a
//! new file, not new code.

use pathledger_signing::{
    jcs, rdfc, sign_document, sign_document_to_string, verify_document, Cryptosuite,
    DidKeyResolver, KeyResolver, ProofOptions, ProofOutcome, PublicKey, ResolveError, ResolvedKey,
    SigningKey,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn read_text(rel: &str) -> String {
    let p = vectors_dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

fn read_json(rel: &str) -> Value {
    jcs::parse_strict(read_text(rel).as_bytes()).unwrap_or_else(|e| panic!("parsing {rel}: {e}"))
}

fn str_field<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("missing string field {k} in {v}"))
}

/// Stands in for fetching an https issuer profile: the 1EdTech samples put the Multikey in the
/// verification method's fragment. did:key goes to the real offline resolver.
struct FragmentResolver;

impl KeyResolver for FragmentResolver {
    fn resolve(&self, vm: &str) -> Result<ResolvedKey, ResolveError> {
        if vm.starts_with("did:key:") {
            return DidKeyResolver.resolve(vm);
        }
        let (controller, fragment) = vm
            .split_once('#')
            .ok_or_else(|| ResolveError::NotFound(vm.into()))?;
        let key = PublicKey::from_multibase(fragment)
            .map_err(|e| ResolveError::NotFound(e.to_string()))?;
        Ok(ResolvedKey {
            public_key: key,
            controller: controller.into(),
        })
    }
}

fn resolver(name: &str) -> &'static dyn KeyResolver {
    match name {
        "did:key" => &DidKeyResolver,
        "fragment" => &FragmentResolver,
        other => panic!("unknown resolver {other}"),
    }
}

#[test]
fn jcs_cases() {
    let m = read_json("jcs/cases.json");
    let mut n = 0;
    for c in m["cases"].as_array().expect("cases") {
        let input = jcs::parse_strict(str_field(c, "input").as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", c["name"]));
        let out = jcs::canonicalize(&input).expect("canonicalizes");
        assert_eq!(out, str_field(c, "output"), "case {}", c["name"]);
        n += 1;
    }
    for b in m["bits"].as_array().expect("bits") {
        let bits = u64::from_str_radix(str_field(b, "hex"), 16).expect("hex");
        let got = jcs::format_f64(f64::from_bits(bits));
        let want = str_field(b, "output");
        if want.starts_with("error:") {
            assert!(got.is_err(), "{want} must be refused, got {got:?}");
        } else {
            assert_eq!(got.as_deref(), Ok(want));
        }
        n += 1;
    }
    for r in m["reject"].as_array().expect("reject") {
        assert!(
            jcs::parse_strict(str_field(r, "input").as_bytes()).is_err(),
            "must reject {}",
            r["name"]
        );
        n += 1;
    }
    assert!(n >= 29, "only {n} JCS vectors ran");
}

fn unsigned_of(chain: &Value) -> Value {
    if let Some(rel) = chain["unsigned"].as_str() {
        return read_json(rel);
    }
    let mut d = read_json(str_field(chain, "unsignedFromSigned"));
    d.as_object_mut().expect("object").remove("proof");
    d
}

fn canonical(suite: Cryptosuite, v: &Value) -> String {
    match suite {
        Cryptosuite::EddsaJcs2022 => jcs::canonicalize(v).expect("jcs"),
        Cryptosuite::EddsaRdfc2022 => rdfc::canonicalize(v).expect("rdfc"),
    }
}

#[test]
fn signing_chains_reproduce_byte_for_byte() {
    let m = read_json("eddsa/chains.json");
    let chains = m["chains"].as_array().expect("chains");
    assert_eq!(chains.len(), 7);
    for c in chains {
        let name = str_field(c, "name");
        let suite: Cryptosuite = str_field(c, "suite").parse().expect("suite");
        let seed: [u8; 32] = hex::decode(str_field(c, "seed"))
            .expect("hex")
            .try_into()
            .expect("32 bytes");
        let key = SigningKey::from_seed(seed);
        let doc = unsigned_of(c);
        let opts = ProofOptions {
            cryptosuite: suite,
            verification_method: str_field(c, "verificationMethod").into(),
            created: Some(str_field(c, "created").into()),
            proof_purpose: "assertionMethod".into(),
            challenge: None,
            domain: None,
        };

        // Canonical document and proof configuration.
        let canon_doc = canonical(suite, &doc);
        let mut cfg = serde_json::json!({
            "type": "DataIntegrityProof",
            "cryptosuite": suite.as_str(),
            "created": opts.created,
            "verificationMethod": opts.verification_method,
            "proofPurpose": "assertionMethod",
        });
        cfg["@context"] = doc["@context"].clone();
        let canon_proof = canonical(suite, &cfg);
        if let Some(f) = c["canonDocFile"].as_str() {
            assert_eq!(canon_doc, read_text(f), "{name}: canonical document");
        }
        if let Some(f) = c["canonProofFile"].as_str() {
            assert_eq!(canon_proof, read_text(f), "{name}: canonical proof");
        }
        if let Some(q) = c["canonDocQuads"].as_u64() {
            assert_eq!(canon_doc.lines().count() as u64, q, "{name}: quad count");
        }
        if suite == Cryptosuite::EddsaRdfc2022 {
            assert_eq!(
                canon_doc,
                rdfc::canonicalize_uncached(&doc).expect("general path"),
                "{name}: cached context path differs from the general path"
            );
        }
        let proof_hash = Sha256::digest(canon_proof.as_bytes());
        let doc_hash = Sha256::digest(canon_doc.as_bytes());
        assert_eq!(
            hex::encode(proof_hash),
            str_field(c, "proofHash"),
            "{name}: proofHash"
        );
        assert_eq!(
            hex::encode(doc_hash),
            str_field(c, "docHash"),
            "{name}: docHash"
        );
        let mut hash_data = proof_hash.to_vec();
        hash_data.extend_from_slice(&doc_hash);
        if let Some(sig) = c["signature"].as_str() {
            assert_eq!(
                hex::encode(key.sign_raw(&hash_data)),
                sig,
                "{name}: signature"
            );
        }

        // The library's own signing gives the same proofValue, and the result verifies.
        let signed = sign_document(&doc, &key, &opts).expect("signs");
        let proof = &signed["proof"];
        assert_eq!(
            str_field(proof, "proofValue"),
            str_field(c, "proofValue"),
            "{name}"
        );
        assert_eq!(
            proof.get("@context").is_some(),
            suite == Cryptosuite::EddsaJcs2022,
            "{name}: only jcs proofs keep @context"
        );
        let outcome = verify_document(&signed, &FragmentResolver);
        assert!(outcome.is_verified(), "{name}: {outcome:?}");

        // Signed straight to text: the same credential, as JSON, and it verifies as sent.
        let text = sign_document_to_string(&doc, &key, &opts).expect("signs to text");
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed, signed, "{name}: text form");
        if suite == Cryptosuite::EddsaJcs2022 {
            // The document's members come in canonical order, the proof last.
            let mut unsigned = parsed.clone();
            unsigned.as_object_mut().unwrap().remove("proof");
            let canon = jcs::canonicalize(&unsigned).unwrap();
            assert!(
                text.starts_with(&canon[..canon.len() - 1]),
                "{name}: {text}"
            );
            assert!(text.ends_with("}}"), "{name}");
        }
        let outcome = verify_document(&parsed, &FragmentResolver);
        assert!(outcome.is_verified(), "{name} (text): {outcome:?}");

        // The published signed file carries the same proof value.
        let published = read_json(str_field(c, "signedFile"));
        let pproof = match &published["proof"] {
            Value::Array(a) => a[0].clone(),
            p => p.clone(),
        };
        assert_eq!(
            pproof["proofValue"], proof["proofValue"],
            "{name}: published file"
        );
    }
}

#[test]
fn verify_cases_give_expected_verdicts() {
    let m = read_json("eddsa/verify.json");
    let cases = m["cases"].as_array().expect("cases");
    assert!(cases.len() >= 90, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in cases {
        let file = str_field(c, "file");
        let doc = read_json(file);
        let outcome = verify_document(&doc, resolver(str_field(c, "resolver")));
        let verdict = match &outcome {
            ProofOutcome::Verified(_) => "verified",
            ProofOutcome::Invalid { .. } => "invalid",
            ProofOutcome::Malformed { .. } => "malformed",
            ProofOutcome::CouldNotCheck { .. } => "could_not_check",
            _ => "other",
        };
        let want = str_field(c, "expect");
        let code_ok = c["code"]
            .as_str()
            .is_none_or(|code| outcome.code() == Some(code));
        if verdict != want || !code_ok {
            failures.push(format!(
                "{file}: expected {want} {:?}, got {outcome:?}",
                c["code"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn removing_extensions_context_makes_rdfc_signing_fail_with_data_loss() {
    let doc = read_json("eddsa/project-ob-no-extensions-unsigned.json");
    let key = SigningKey::from_seed([0; 32]);
    let opts = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        key.public_key().did_key_verification_method(),
    );
    match sign_document(&doc, &key, &opts) {
        Err(pathledger_signing::SignError::Rdfc(rdfc::RdfcError::DataLoss(m))) => {
            assert!(m.contains("1EdTechJsonSchemaValidator2019"), "{m}")
        }
        other => panic!("expected a data-loss error, got {other:?}"),
    }
    // JCS does not interpret JSON-LD, so the same document signs and verifies with it.
    let jcs_opts = ProofOptions {
        cryptosuite: Cryptosuite::EddsaJcs2022,
        ..opts
    };
    let signed = sign_document(&doc, &key, &jcs_opts).expect("jcs signs");
    assert!(verify_document(&signed, &DidKeyResolver).is_verified());
}

#[test]
fn verified_proofs_report_suite_key_and_controller() {
    let doc = read_json("eddsa/w3c-proof-set.json");
    match verify_document(&doc, &DidKeyResolver) {
        ProofOutcome::Verified(proofs) => {
            assert_eq!(proofs.len(), 2);
            assert_eq!(proofs[0].cryptosuite, Cryptosuite::EddsaJcs2022);
            assert_eq!(proofs[1].cryptosuite, Cryptosuite::EddsaRdfc2022);
            assert_eq!(
                proofs[0].controller,
                "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn clr_inner_credential_verifies_on_its_own() {
    let clr = read_json("1edtech/1edtech-impl-guide/clrv2p0/signed-credential.json");
    let inner = &clr["credentialSubject"]["verifiableCredential"][0];
    assert_eq!(
        inner["proof"]
            .get("proofValue")
            .or_else(|| inner["proof"][0].get("proofValue"))
            .and_then(Value::as_str),
        Some("z45QnLySMt2mWuW787G6cf3SLkP97ZkMZxLeXH5yaaTQPCtTup4GCV95tU8HEnQJSyGCokSj3AvUhmJtvveTmN4Vu")
    );
    let outcome = verify_document(inner, &FragmentResolver);
    assert!(outcome.is_verified(), "{outcome:?}");
}
