//! transparency-dev/merkle reference probes (tests/vectors/merkle/*.jsonl) and the mutation family
//! derived from each of their happy paths. See tests/vectors/merkle/SOURCES.md for provenance.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use pathledger_log::{verify_consistency, verify_inclusion, Hash};
use serde_json::Value;

const INCLUSION: &str = include_str!("../../../tests/vectors/merkle/inclusion.jsonl");
const CONSISTENCY: &str = include_str!("../../../tests/vectors/merkle/consistency.jsonl");

/// Decodes one base64 hash; `None` when it is not 32 bytes (the verifier's strict length rule).
fn hash(v: &Value) -> Option<Hash> {
    let bytes = B64.decode(v.as_str()?).ok()?;
    <Hash>::try_from(bytes.as_slice()).ok()
}

fn proof(v: &Value) -> Option<Vec<Hash>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(items) => items.iter().map(hash).collect(),
        _ => None,
    }
}

#[derive(Clone, Debug)]
struct Incl {
    index: u64,
    size: u64,
    root: Vec<u8>,
    leaf: Vec<u8>,
    proof: Vec<Vec<u8>>,
}

#[derive(Clone, Debug)]
struct Cons {
    m: u64,
    n: u64,
    root1: Vec<u8>,
    root2: Vec<u8>,
    proof: Vec<Vec<u8>>,
}

fn to32(b: &[u8]) -> Option<Hash> {
    <Hash>::try_from(b).ok()
}

fn run_incl(c: &Incl) -> bool {
    let (Some(root), Some(leaf)) = (to32(&c.root), to32(&c.leaf)) else {
        return false;
    };
    let Some(p) = c.proof.iter().map(|x| to32(x)).collect::<Option<Vec<_>>>() else {
        return false;
    };
    verify_inclusion(c.index, c.size, &leaf, &p, &root).is_ok()
}

fn run_cons(c: &Cons) -> bool {
    let (Some(r1), Some(r2)) = (to32(&c.root1), to32(&c.root2)) else {
        return false;
    };
    let Some(p) = c.proof.iter().map(|x| to32(x)).collect::<Option<Vec<_>>>() else {
        return false;
    };
    verify_consistency(c.m, c.n, &p, &r1, &r2).is_ok()
}

fn lines(data: &str) -> impl Iterator<Item = Value> + '_ {
    data.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("probe line is JSON"))
}

fn raw(v: &Value) -> Vec<u8> {
    v.as_str()
        .and_then(|s| B64.decode(s).ok())
        .unwrap_or_default()
}

fn raw_proof(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(raw).collect())
        .unwrap_or_default()
}

const RANDOM: &str = "q6yroAAAAAAAAAAAAAAAAAAAAAAAAAAAAGAGHgASNFY=";

fn proof_mutations(p: &[Vec<u8>], root: &[u8], bit: u8) -> Vec<(String, Vec<Vec<u8>>)> {
    let mut out = Vec::new();
    for i in 0..p.len() {
        let mut q = p.to_vec();
        q[i][0] ^= bit;
        out.push((format!("modified proof[{i}]"), q));
    }
    if p.len() > 1 {
        let mut q = p.to_vec();
        q.insert(1, raw(&Value::from(RANDOM)));
        out.push(("inserted component".into(), q));
    }
    if !p.is_empty() {
        out.push(("removed component".into(), p[..p.len() - 1].to_vec()));
    }
    let with = |front: bool, x: Vec<u8>| {
        let mut q = p.to_vec();
        if front {
            q.insert(0, x);
        } else {
            q.push(x);
        }
        q
    };
    out.push(("preceding garbage".into(), with(true, Vec::new())));
    out.push(("trailing garbage".into(), with(false, Vec::new())));
    out.push(("preceding root".into(), with(true, root.to_vec())));
    out.push(("trailing root".into(), with(false, root.to_vec())));
    out
}

#[test]
fn inclusion_probes() {
    let mut count = 0;
    for v in lines(INCLUSION) {
        let c = Incl {
            index: v["leafIdx"].as_u64().expect("leafIdx"),
            size: v["treeSize"].as_u64().expect("treeSize"),
            root: raw(&v["root"]),
            leaf: raw(&v["leafHash"]),
            proof: raw_proof(&v["proof"]),
        };
        // A proof element that is not valid base64 of 32 bytes is itself an error.
        let decodable = proof(&v["proof"]).is_some() && hash(&v["leafHash"]).is_some();
        let ok = decodable && run_incl(&c);
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        assert_eq!(ok, !want_err, "{}", v["file"]);
        count += 1;

        if !want_err {
            let mut muts: Vec<(String, Incl)> = vec![
                (
                    "leafIdx + 1".into(),
                    Incl {
                        index: c.index.wrapping_add(1),
                        ..c.clone()
                    },
                ),
                (
                    "leafIdx - 1".into(),
                    Incl {
                        index: c.index.wrapping_sub(1),
                        ..c.clone()
                    },
                ),
                (
                    "leafIdx ^ 2".into(),
                    Incl {
                        index: c.index ^ 2,
                        ..c.clone()
                    },
                ),
                (
                    "treeSize * 2".into(),
                    Incl {
                        size: c.size.wrapping_mul(2),
                        ..c.clone()
                    },
                ),
                (
                    "treeSize div 2".into(),
                    Incl {
                        size: c.size / 2,
                        ..c.clone()
                    },
                ),
                (
                    "wrong leaf".into(),
                    Incl {
                        leaf: b"WrongLeaf".to_vec(),
                        ..c.clone()
                    },
                ),
                (
                    "random root".into(),
                    Incl {
                        root: raw(&Value::from(RANDOM)),
                        ..c.clone()
                    },
                ),
                (
                    "empty root".into(),
                    Incl {
                        root: pathledger_log::EMPTY_ROOT.to_vec(),
                        ..c.clone()
                    },
                ),
            ];
            for (name, p) in proof_mutations(&c.proof, &c.root, 0x08) {
                muts.push((
                    name,
                    Incl {
                        proof: p,
                        ..c.clone()
                    },
                ));
            }
            for (name, m) in muts {
                assert!(!run_incl(&m), "{} derived {name}", v["file"]);
                count += 1;
            }
        }
    }
    assert!(count > 100, "walked {count} inclusion cases");
}

#[test]
fn consistency_probes() {
    let mut count = 0;
    for v in lines(CONSISTENCY) {
        let c = Cons {
            m: v["size1"].as_u64().expect("size1"),
            n: v["size2"].as_u64().expect("size2"),
            root1: raw(&v["root1"]),
            root2: raw(&v["root2"]),
            proof: raw_proof(&v["proof"]),
        };
        let decodable = proof(&v["proof"]).is_some();
        let ok = decodable && run_cons(&c);
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        assert_eq!(ok, !want_err, "{}", v["file"]);
        count += 1;

        // Upstream has no mutations for the trivial 1 -> 1 case.
        if !want_err && c.m != c.n {
            let mut muts: Vec<(String, Cons)> = vec![
                (
                    "size1 + 1".into(),
                    Cons {
                        m: c.m + 1,
                        ..c.clone()
                    },
                ),
                (
                    "size1 - 1".into(),
                    Cons {
                        m: c.m - 1,
                        ..c.clone()
                    },
                ),
                (
                    "size1 ^ 2".into(),
                    Cons {
                        m: c.m ^ 2,
                        ..c.clone()
                    },
                ),
                (
                    "size2 * 2".into(),
                    Cons {
                        n: c.n * 2,
                        ..c.clone()
                    },
                ),
                (
                    "size2 div 2".into(),
                    Cons {
                        n: c.n / 2,
                        ..c.clone()
                    },
                ),
                (
                    "swapped roots".into(),
                    Cons {
                        root1: c.root2.clone(),
                        root2: c.root1.clone(),
                        ..c.clone()
                    },
                ),
                (
                    "wrong root1".into(),
                    Cons {
                        root1: raw(&Value::from(RANDOM)),
                        ..c.clone()
                    },
                ),
                (
                    "wrong root2".into(),
                    Cons {
                        root2: raw(&Value::from(RANDOM)),
                        ..c.clone()
                    },
                ),
                (
                    "empty proof".into(),
                    Cons {
                        proof: Vec::new(),
                        ..c.clone()
                    },
                ),
                (
                    "truncated proof".into(),
                    Cons {
                        proof: c.proof[..c.proof.len() - 1].to_vec(),
                        ..c.clone()
                    },
                ),
            ];
            let mut pre = c.proof.clone();
            pre.insert(0, c.proof[0].clone());
            muts.push((
                "preceding proof[0]".into(),
                Cons {
                    proof: pre,
                    ..c.clone()
                },
            ));
            for (name, p) in proof_mutations(&c.proof, &c.root1, 0x10) {
                muts.push((
                    name,
                    Cons {
                        proof: p,
                        ..c.clone()
                    },
                ));
            }
            for (name, root) in [("root1", &c.root1), ("root2", &c.root2)] {
                let mut pre = c.proof.clone();
                pre.insert(0, root.clone());
                muts.push((
                    format!("preceding {name}"),
                    Cons {
                        proof: pre,
                        ..c.clone()
                    },
                ));
                let mut post = c.proof.clone();
                post.push(root.clone());
                muts.push((
                    format!("trailing {name}"),
                    Cons {
                        proof: post,
                        ..c.clone()
                    },
                ));
            }
            for (name, m) in muts {
                assert!(!run_cons(&m), "{} derived {name}", v["file"]);
                count += 1;
            }
        }
    }
    assert!(count > 80, "walked {count} consistency cases");
}
