//! The RDFC fast path against the general path (`json-ld` expansion with every context
//! processed from scratch): byte-identical canonical N-Quads, or the same kind of error.
//!
//! Inputs: every JSON-LD document found in tests/vectors (with and without its proofs, and
//! each proof's configuration as signing and verifying canonicalize it), the benchmark's
//! credential, and randomly mutated versions of all of these (fields added, removed and
//! retyped, types changed, nodes moved, arrays, language and value objects, nested contexts,
//! unknown terms, relative and blank identifiers, numbers of every kind).

use pathledger_signing::rdfc::{self, RdfcError};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("vectors dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonld")
        ) {
            out.push(p);
        }
    }
}

/// Every object with an `@context`, wherever it sits in a file.
fn collect_docs(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("@context") {
                out.push(v.clone());
            }
            m.values().for_each(|c| collect_docs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_docs(c, out)),
        _ => {}
    }
}

/// The documents as signing and verifying canonicalize them: the document, the document
/// without `proof`, and each proof's configuration with the document's `@context`.
fn variants(doc: &Value) -> Vec<Value> {
    let mut out = vec![doc.clone()];
    let Some(m) = doc.as_object() else {
        return out;
    };
    if let Some(proof) = m.get("proof") {
        let mut rest = m.clone();
        rest.remove("proof");
        out.push(Value::Object(rest));
        let proofs: Vec<&Value> = match proof {
            Value::Array(a) => a.iter().collect(),
            p => vec![p],
        };
        for p in proofs {
            if let Some(p) = p.as_object() {
                let mut config = p.clone();
                config.remove("proofValue");
                if let Some(ctx) = m.get("@context") {
                    config.insert("@context".into(), ctx.clone());
                }
                out.push(Value::Object(config));
            }
        }
    }
    out
}

fn bench_credential() -> Value {
    let text = include_str!("../../../tests/vectors/eddsa/project-ob-unsigned.json");
    let mut doc: Value = serde_json::from_str(text).expect("vector parses");
    let achievement = &mut doc["credentialSubject"]["achievement"];
    if let Some(alignments) = achievement["alignment"].as_array_mut() {
        alignments.push(json!({
            "type": ["Alignment"], "targetName": "Provides timely feedback",
            "targetUrl": "https://example.org/case/uri/1", "targetType": "CFItem",
            "targetCode": "T.3.3", "targetFramework": "Example Teaching Standards"
        }));
    }
    doc
}

fn base_docs() -> &'static Vec<Value> {
    static DOCS: OnceLock<Vec<Value>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut files = Vec::new();
        collect_files(&vectors_dir(), &mut files);
        let mut docs = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read");
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                collect_docs(&v, &mut docs);
            }
        }
        docs.push(bench_credential());
        let mut all = Vec::new();
        for d in &docs {
            all.extend(variants(d));
        }
        all
    })
}

/// The base documents the fast path answers (mutating these keeps many mutants on it).
fn fast_docs() -> &'static Vec<Value> {
    static DOCS: OnceLock<Vec<Value>> = OnceLock::new();
    DOCS.get_or_init(|| {
        base_docs()
            .iter()
            .filter(|d| rdfc::takes_fast_path(d))
            .cloned()
            .collect()
    })
}

fn kind(r: &Result<String, RdfcError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => format!("{:?}", std::mem::discriminant(e)),
    }
}

/// Checks one document; returns whether the fast path answered it.
fn check(doc: &Value) -> bool {
    let fast = rdfc::takes_fast_path(doc);
    let got = rdfc::canonicalize(doc);
    let general = rdfc::canonicalize_uncached(doc);
    match (&got, &general) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "N-Quads differ (fast path: {fast}) for {doc}"),
        _ => assert_eq!(
            kind(&got),
            kind(&general),
            "outcomes differ (fast path: {fast}) for {doc}: {got:?} vs {general:?}"
        ),
    }
    if fast {
        assert!(
            got.is_ok(),
            "the fast path answered with an error for {doc}"
        );
        // And the cached general path agrees byte for byte too.
        assert_eq!(got, rdfc::canonicalize_general(doc));
    }
    fast
}

#[test]
fn a_top_level_set_is_judged_alike_on_every_path() {
    // Found by the property test below in CI: with the document's `@context` member stripped
    // for the cached context, `{"@set": ""}` expanded to nothing instead of being refused.
    let vocab = json!({"@vocab": "https://www.w3.org/ns/credentials/examples#"});
    for doc in [
        json!({"@context": vocab, "@set": ""}),
        json!({"@context": vocab, "@set": [""]}),
    ] {
        check(&doc);
        assert!(rdfc::canonicalize(&doc).is_err(), "{doc}");
    }
    for doc in [
        json!({"@context": vocab, "@list": ["a"]}),
        json!({"@context": [vocab, {"members": "@set"}], "members": ["a"]}),
        json!({"@context": [vocab, {"members": "@list"}], "members": ["a"], "name": "x"}),
    ] {
        check(&doc);
    }
}

#[test]
fn every_vector_document_agrees_with_the_general_path() {
    let docs = base_docs();
    assert!(docs.len() > 50, "only {} documents", docs.len());
    let fast = docs.iter().filter(|d| check(d)).count();
    let ok = docs
        .iter()
        .filter(|d| rdfc::canonicalize_uncached(d).is_ok())
        .count();
    println!(
        "{fast} of {} documents ({ok} canonicalizable) took the fast path",
        docs.len()
    );
    // Most real credentials must take the fast path, or it is not worth having.
    assert!(
        fast * 2 > docs.len(),
        "only {fast} of {} documents took the fast path",
        docs.len()
    );
}

#[test]
fn the_benchmark_credential_and_its_proof_configuration_take_the_fast_path() {
    let doc = bench_credential();
    assert!(rdfc::takes_fast_path(&doc));
    let config = json!({
        "@context": doc["@context"].clone(),
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
        "created": "2024-01-01T00:00:00Z",
        "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod"
    });
    assert!(rdfc::takes_fast_path(&config));
    check(&doc);
    check(&config);
}

/// What Pathledger itself issues (a hashed email identity with `"hashed": true`, a boolean the
/// OB context types as xsd:boolean) is answered by the fast path, identically.
#[test]
fn credentials_as_we_issue_them_take_the_fast_path() {
    let text = include_str!("../../../tests/vectors/eddsa/project-ob-issued-unsigned.json");
    let mut doc: Value = serde_json::from_str(text).expect("vector parses");
    assert!(rdfc::takes_fast_path(&doc), "{doc}");
    assert!(check(&doc));
    let nquads = rdfc::canonicalize(&doc).expect("canonical");
    // The OB 3.0 context coerces `hashed` to its own (https) XSD namespace, not the default
    // http one a plain JSON boolean gets: the coercion must show.
    assert!(
        nquads.contains("#hashed> \"true\"^^<https://www.w3.org/2001/XMLSchema#boolean>"),
        "{nquads}"
    );
    doc["credentialSubject"]["identifier"][0]["hashed"] = json!(false);
    assert!(check(&doc));
}

#[test]
fn canonicalize_excluding_matches_removing_the_member() {
    for doc in base_docs() {
        let Some(m) = doc.as_object() else { continue };
        for skip in ["proof", "id", "type", "@context", "credentialSubject"] {
            let mut rest = m.clone();
            rest.remove(skip);
            let want = rdfc::canonicalize(&Value::Object(rest));
            let got = rdfc::canonicalize_excluding(m, skip);
            assert_eq!(kind(&got), kind(&want), "{skip} of {doc}");
            if let (Ok(a), Ok(b)) = (&got, &want) {
                assert_eq!(a, b, "{skip} of {doc}");
            }
        }
    }
}

/// A small deterministic generator driven by proptest's seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Keys and type names seen in the vectors, plus some no context defines.
fn pools() -> &'static (Vec<String>, Vec<String>) {
    static POOLS: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    POOLS.get_or_init(|| {
        fn walk(v: &Value, keys: &mut Vec<String>, types: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, c) in m {
                        if k == "@context" {
                            continue;
                        }
                        keys.push(k.clone());
                        if k == "type" {
                            match c {
                                Value::String(s) => types.push(s.clone()),
                                Value::Array(a) => types
                                    .extend(a.iter().filter_map(|t| t.as_str().map(String::from))),
                                _ => {}
                            }
                        }
                        walk(c, keys, types);
                    }
                }
                Value::Array(a) => a.iter().for_each(|c| walk(c, keys, types)),
                _ => {}
            }
        }
        let (mut keys, mut types) = (Vec::new(), Vec::new());
        for d in base_docs() {
            walk(d, &mut keys, &mut types);
        }
        keys.extend(
            [
                "favouriteColour",
                "@id",
                "@type",
                "@value",
                "@language",
                "@list",
                "@set",
                "@graph",
                "@reverse",
                "@index",
                "@nest",
                "@included",
                "@foo",
                "https://example.org/vocab#prop",
                "ex:prop",
                "schema:name",
                "",
                "proof",
                "tag",
                "inLanguage",
                "result",
                "endorsement",
            ]
            .map(String::from),
        );
        types.extend(
            [
                "MadeUpType",
                "https://example.org/Type",
                "Profile",
                "Achievement",
                "AchievementSubject",
                "Alignment",
                "Evidence",
                "Image",
                "Result",
                "ResultDescription",
                "IdentityObject",
                "EndorsementCredential",
                "DataIntegrityProof",
                "VerifiableCredential",
                "_:b0",
                "@json",
            ]
            .map(String::from),
        );
        keys.sort();
        keys.dedup();
        types.sort();
        types.dedup();
        (keys, types)
    })
}

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(24) {
        0 => json!("https://example.org/things/1"),
        1 => json!("did:example:abc"),
        2 => json!("urn:uuid:2f1c9a52-6d0e-4f7e-9a43-3b7d1c0e5a10"),
        3 => json!("relative/path"),
        4 => json!("_:b7"),
        5 => json!("@foo"),
        6 => json!(""),
        7 => json!("2024-01-01T00:00:00Z"),
        8 => json!(
            "text with \"quotes\", \\, \n\r\t\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f}\u{80} é ☃ 😀"
        ),
        9 => json!(42),
        10 => json!(-7),
        11 => json!(9007199254740993u64),
        12 => json!(3.0),
        13 => json!(3.5),
        14 => json!(1e21),
        15 => json!(true),
        16 => json!(false),
        17 => Value::Null,
        18 => json!("Achievement"),
        19 => json!("MicroCredential"),
        20 => json!("ex:thing"),
        21 => json!("https://example.org/a b"),
        22 => json!(0),
        _ => json!("Some name"),
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    let (keys, types) = pools();
    match rng.below(if depth > 2 { 3 } else { 12 }) {
        0..=2 => random_scalar(rng),
        3 => json!({"@value": "hello", "@language": rng.pick(&["en", "EN-gb", "fr", "not a tag"])}),
        4 => json!({"id": random_scalar(rng)}),
        5 => Value::Array(
            (0..rng.below(3))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        6 => json!([[random_scalar(rng)]]),
        7 => json!({"@context": rng.pick(&[
            json!("https://w3id.org/security/data-integrity/v2"),
            json!({"extra": "https://example.org/extra"}),
            json!("https://example.org/not-bundled"),
        ]).clone(), "extra": "x"}),
        _ => {
            let mut m = Map::new();
            if rng.below(2) == 0 {
                m.insert("id".into(), random_scalar(rng));
            }
            if rng.below(4) != 0 {
                let t = rng.pick(types).clone();
                m.insert(
                    "type".into(),
                    if rng.below(2) == 0 {
                        json!(t)
                    } else {
                        json!([t, rng.pick(types).clone()])
                    },
                );
            }
            for _ in 0..rng.below(4) {
                m.insert(rng.pick(keys).clone(), random_value(rng, depth + 1));
            }
            Value::Object(m)
        }
    }
}

/// Every object in `v` (by JSON pointer) for picking a place to mutate.
fn object_pointers(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(path.clone());
            for (k, c) in m {
                if k == "@context" {
                    continue;
                }
                object_pointers(
                    c,
                    format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                object_pointers(c, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// One random change; `gentle` changes keep to the keys already present (so more mutants stay
/// valid and on the fast path).
fn mutate(doc: &mut Value, rng: &mut Rng, gentle: bool) {
    let (keys, types) = pools();
    let mut ptrs = Vec::new();
    object_pointers(doc, String::new(), &mut ptrs);
    let ptr = rng.pick(&ptrs).clone();
    let donor = {
        let p = rng.pick(&ptrs).clone();
        doc.pointer(&p).cloned()
    };
    let Some(Value::Object(m)) = doc.pointer_mut(&ptr) else {
        return;
    };
    let existing: Vec<String> = m.keys().filter(|k| *k != "@context").cloned().collect();
    let choice = if gentle {
        *rng.pick(&[2, 3, 5, 6, 7, 10, 10, 10])
    } else {
        rng.below(9)
    };
    match choice {
        // Change an existing field to a scalar.
        10 => {
            if !existing.is_empty() {
                let k = rng.pick(&existing).clone();
                if k != "type" {
                    m.insert(k, random_scalar(rng));
                }
            }
        }
        // Add or replace a field.
        0 | 1 => {
            let k = rng.pick(keys).clone();
            let v = random_value(rng, 0);
            m.insert(k, v);
        }
        // Remove a field.
        2 => {
            if !existing.is_empty() {
                let k = rng.pick(&existing).clone();
                m.remove(&k);
            }
        }
        // Change a field's value.
        3 | 4 => {
            if !existing.is_empty() {
                let k = rng.pick(&existing).clone();
                let v = random_value(rng, 1);
                m.insert(k, v);
            }
        }
        // Change the types.
        5 => {
            let t = rng.pick(types).clone();
            m.insert("type".into(), json!([t]));
        }
        // Move another node here.
        6 => {
            if let Some(d) = donor {
                let k = if gentle && !existing.is_empty() {
                    rng.pick(&existing).clone()
                } else {
                    rng.pick(keys).clone()
                };
                m.insert(k, d);
            }
        }
        // Wrap a value in an array.
        7 => {
            if !existing.is_empty() {
                let k = rng.pick(&existing).clone();
                if let Some(v) = m.get_mut(&k) {
                    *v = Value::Array(vec![v.take()]);
                }
            }
        }
        // Rename a field to another known key.
        _ => {
            if !existing.is_empty() {
                let k = rng.pick(&existing).clone();
                if let Some(v) = m.remove(&k) {
                    m.insert(rng.pick(keys).clone(), v);
                }
            }
        }
    }
}

fn mutant(docs: &[Value], which: usize, seed: u64, rounds: usize, gentle: bool) -> Value {
    let mut doc = docs[which % docs.len()].clone();
    let mut rng = Rng(seed);
    for _ in 0..rounds {
        mutate(&mut doc, &mut rng, gentle);
    }
    doc
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_vector_documents_agree_with_the_general_path(
        which in 0usize..10_000, seed in 1u64.., rounds in 1usize..5, gentle: bool,
    ) {
        check(&mutant(base_docs(), which, seed, rounds, gentle));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fast_path_credentials_agree_with_the_general_path(
        which in 0usize..10_000, seed in 1u64.., rounds in 1usize..5, gentle: bool,
    ) {
        check(&mutant(fast_docs(), which, seed, rounds, gentle));
    }
}

#[test]
fn mutated_credentials_often_take_the_fast_path() {
    // The property tests above are only meaningful if many mutants stay on the fast path.
    let docs = fast_docs();
    assert!(docs.len() > 50, "only {} fast-path documents", docs.len());
    let (mut fast, mut ok, mut total) = (0, 0, 0);
    // (400 mutants: the vectors folder holds documents of many shapes, and a sample of this
    // size keeps the count well above the floor whichever files it holds.)
    for i in 0..400 {
        let doc = mutant(docs, i, 0x5eed + i as u64, 1 + i % 3, i % 2 == 0);
        total += 1;
        if rdfc::canonicalize_uncached(&doc).is_ok() {
            ok += 1;
        }
        if check(&doc) {
            fast += 1;
        }
    }
    println!(
        "{fast} of {total} mutants ({ok} canonicalizable) took the fast path; {} contexts cached",
        rdfc::cached_contexts()
    );
    // Memoized scoped contexts are bounded (512, plus at most 64 top-level contexts).
    assert!(rdfc::cached_contexts() <= 512 + 64);
    // (Mutants with language values, non-integer numbers, compact IRIs, nested contexts, …
    // rightly take the general path.)
    assert!(
        fast * 3 > ok && fast >= 50,
        "only {fast} of {ok} canonicalizable mutants took the fast path"
    );
}
