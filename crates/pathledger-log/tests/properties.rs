//! Property tests: node-based proofs equal the RFC 9162 recursive definitions and always verify;
//! a wrong leaf, index, size or root never does.

use std::collections::HashMap;

use pathledger_log::{
    consistency_proof, inclusion_proof, leaf_hash, nodes_completed_by_append,
    nodes_for_consistency, nodes_for_inclusion, nodes_for_root, root_from_nodes, root_of,
    verify_consistency, verify_inclusion, Hash, MemoryLog, NodeId,
};
use proptest::prelude::*;

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 9162 §2.1.3.1, written straight from the definition.
fn ref_path(m: usize, d: &[Hash]) -> Vec<Hash> {
    if d.len() <= 1 {
        return vec![];
    }
    let k = k_of(d.len());
    if m < k {
        let mut p = ref_path(m, &d[..k]);
        p.push(root_of(&d[k..]));
        p
    } else {
        let mut p = ref_path(m - k, &d[k..]);
        p.push(root_of(&d[..k]));
        p
    }
}

/// RFC 9162 §2.1.4.1.
fn ref_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    if m == d.len() {
        return if b { vec![] } else { vec![root_of(d)] };
    }
    let k = k_of(d.len());
    if m <= k {
        let mut p = ref_subproof(m, &d[..k], b);
        p.push(root_of(&d[k..]));
        p
    } else {
        let mut p = ref_subproof(m - k, &d[k..], false);
        p.push(root_of(&d[..k]));
        p
    }
}

fn leaves(n: usize, salt: u64) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| leaf_hash(&(i ^ salt.rotate_left(17)).to_le_bytes()))
        .collect()
}

fn build(leaves: &[Hash]) -> (MemoryLog, HashMap<NodeId, Hash>) {
    let mut log = MemoryLog::new();
    let mut store = HashMap::new();
    for (i, l) in leaves.iter().enumerate() {
        log.append_leaf_hash(*l).expect("append");
        let new = nodes_completed_by_append(i as u64, *l, |id| store.get(&id).copied())
            .expect("siblings present");
        store.extend(new);
    }
    (log, store)
}

/// A getter that only serves the listed ids: proves `nodes_for_*` names everything a computation reads.
fn only(store: &HashMap<NodeId, Hash>, ids: &[NodeId]) -> HashMap<NodeId, Hash> {
    ids.iter()
        .filter_map(|id| store.get(id).map(|h| (*id, *h)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn inclusion_matches_reference_and_verifies(n in 1usize..300, salt: u64, pick: prop::sample::Index) {
        let d = leaves(n, salt);
        let (log, store) = build(&d);
        let i = pick.index(n);
        let size = n as u64;
        let root = root_of(&d);
        prop_assert_eq!(log.root(), root);
        let ids = nodes_for_root(size);
        prop_assert!(ids.len() <= 64);
        let sub = only(&store, &ids);
        prop_assert_eq!(root_from_nodes(size, &|id| sub.get(&id).copied()).expect("root"), root);

        let ids = nodes_for_inclusion(i as u64, size);
        prop_assert!(ids.len() <= 2 * 64);
        let sub = only(&store, &ids);
        let proof = inclusion_proof(i as u64, size, &|id| sub.get(&id).copied()).expect("proof");
        prop_assert_eq!(&proof, &ref_path(i, &d));
        prop_assert_eq!(&proof, &log.inclusion_proof(i as u64, size).expect("proof"));
        prop_assert_eq!(verify_inclusion(i as u64, size, &d[i], &proof, &root), Ok(()));

        // Wrong leaf, index, size and root all fail.
        let wrong_leaf = leaf_hash(b"not in the log");
        prop_assert!(verify_inclusion(i as u64, size, &wrong_leaf, &proof, &root).is_err());
        if n > 1 {
            let j = (i + 1) % n;
            prop_assert!(verify_inclusion(j as u64, size, &d[i], &proof, &root).is_err());
        }
        // A proof for size n claimed against the tree of size n+1 (with that tree's root) fails.
        let mut grown = d.clone();
        grown.push(leaf_hash(b"next"));
        let grown_root = root_of(&grown);
        prop_assert!(verify_inclusion(i as u64, size + 1, &d[i], &proof, &grown_root).is_err());
        let mut bad_root = root;
        bad_root[0] ^= 1;
        prop_assert!(verify_inclusion(i as u64, size, &d[i], &proof, &bad_root).is_err());
        if let Some((first, _)) = proof.split_first() {
            let mut bad = proof.clone();
            bad[0] = leaf_hash(first);
            prop_assert!(verify_inclusion(i as u64, size, &d[i], &bad, &root).is_err());
            prop_assert!(verify_inclusion(i as u64, size, &d[i], &proof[1..], &root).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(i as u64, size, &d[i], &longer, &root).is_err());
    }

    #[test]
    fn consistency_matches_reference_and_verifies(n in 1usize..300, salt: u64, pick: prop::sample::Index) {
        let d = leaves(n, salt);
        let (log, store) = build(&d);
        let m = pick.index(n) + 1;
        let (m64, n64) = (m as u64, n as u64);
        let ids = nodes_for_consistency(m64, n64);
        let sub = only(&store, &ids);
        let proof = consistency_proof(m64, n64, &|id| sub.get(&id).copied()).expect("proof");
        prop_assert_eq!(&proof, &ref_subproof(m, &d, true));
        prop_assert_eq!(&proof, &log.consistency_proof(m64, n64).expect("proof"));
        let (r1, r2) = (root_of(&d[..m]), root_of(&d));
        prop_assert_eq!(verify_consistency(m64, n64, &proof, &r1, &r2), Ok(()));

        // Wrong sizes and roots fail.
        let mut bad = r1;
        bad[31] ^= 0x80;
        prop_assert!(verify_consistency(m64, n64, &proof, &bad, &r2).is_err());
        prop_assert!(verify_consistency(m64, n64, &proof, &r1, &bad).is_err());
        let mut grown = d.clone();
        grown.push(leaf_hash(b"next"));
        prop_assert!(verify_consistency(m64, n64 + 1, &proof, &r1, &root_of(&grown)).is_err());
        if m > 1 && r1 != root_of(&d[..m - 1]) {
            prop_assert!(verify_consistency(m64 - 1, n64, &proof, &r1, &r2).is_err());
        }
        if !proof.is_empty() {
            let mut tampered = proof.clone();
            let last = tampered.len() - 1;
            tampered[last][0] ^= 1;
            prop_assert!(verify_consistency(m64, n64, &tampered, &r1, &r2).is_err());
        }
    }
}

#[test]
fn exhaustive_small_trees() {
    // Every (index, size) and (m, n) up to 40: cheap and covers all small shapes.
    let d = leaves(40, 7);
    let (log, _) = build(&d);
    for n in 1..=40usize {
        let root = root_of(&d[..n]);
        for i in 0..n {
            let p = log.inclusion_proof(i as u64, n as u64).expect("proof");
            assert_eq!(p, ref_path(i, &d[..n]));
            assert_eq!(
                verify_inclusion(i as u64, n as u64, &d[i], &p, &root),
                Ok(())
            );
        }
        for m in 1..=n {
            let p = log.consistency_proof(m as u64, n as u64).expect("proof");
            assert_eq!(p, ref_subproof(m, &d[..n], true));
            let r1 = root_of(&d[..m]);
            assert_eq!(
                verify_consistency(m as u64, n as u64, &p, &r1, &root),
                Ok(())
            );
        }
    }
}

#[test]
fn append_reports_missing_sibling() {
    let err = nodes_completed_by_append(1, [0; 32], |_| None).expect_err("sibling missing");
    assert_eq!(
        err,
        pathledger_log::LogError::MissingNode(NodeId::new(0, 0))
    );
    // Leaf 7 completes levels 0..=3.
    let got = nodes_completed_by_append(7, [0; 32], |_| Some([1; 32])).expect("ok");
    let ids: Vec<NodeId> = got.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        vec![
            NodeId::new(0, 7),
            NodeId::new(1, 3),
            NodeId::new(2, 1),
            NodeId::new(3, 0)
        ]
    );
}

#[test]
fn missing_node_is_an_error_not_a_panic() {
    let empty = |_: NodeId| None;
    assert!(inclusion_proof(3, 10, &empty).is_err());
    assert!(consistency_proof(3, 10, &empty).is_err());
    assert!(root_from_nodes(10, &empty).is_err());
    assert!(inclusion_proof(u64::MAX - 1, u64::MAX, &empty).is_err());
    assert!(nodes_for_inclusion(u64::MAX - 1, u64::MAX).len() <= 128);
}
