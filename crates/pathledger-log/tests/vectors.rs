//! RFC 6962 / RFC 9162 reference data from STANDARDS.md §4.10: roots of sizes 0–8 and the table proofs.

use pathledger_log::{
    leaf_hash, root_of, verify_consistency, verify_inclusion, Hash, MemoryLog, EMPTY_ROOT,
};

const INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const LEAF_HASHES: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
];

/// Root of size i+1.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(s: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).expect("test hex");
    out
}

/// Named hashes used in the STANDARDS proof table.
fn named(name: &str) -> Hash {
    match name {
        "N[0:2]" => h(ROOTS[1]),
        "N[2:4]" => h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        "N[4:6]" => h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        "N[6:8]" => h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        "N[0:4]" => h(ROOTS[3]),
        "N[4:8]" => h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        leaf => {
            let i: usize = leaf.trim_start_matches('L').parse().expect("leaf name");
            h(LEAF_HASHES[i])
        }
    }
}

fn log8() -> MemoryLog {
    let mut log = MemoryLog::new();
    for input in INPUTS {
        log.append(&hex::decode(input).expect("hex"))
            .expect("append");
    }
    log
}

#[test]
fn empty_root_and_spot_check() {
    assert_eq!(
        EMPTY_ROOT,
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(root_of(&[]), EMPTY_ROOT);
    assert_eq!(MemoryLog::new().root(), EMPTY_ROOT);
    assert_eq!(
        leaf_hash(b"L123456"),
        h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    );
}

#[test]
fn leaf_hashes_and_roots_1_to_8() {
    let log = log8();
    let mut leaves = Vec::new();
    for (i, input) in INPUTS.iter().enumerate() {
        let leaf = leaf_hash(&hex::decode(input).expect("hex"));
        assert_eq!(leaf, h(LEAF_HASHES[i]), "leaf {i}");
        leaves.push(leaf);
        let size = i as u64 + 1;
        assert_eq!(root_of(&leaves), h(ROOTS[i]), "reference root {size}");
        assert_eq!(
            log.root_at(size).expect("root"),
            h(ROOTS[i]),
            "node root {size}"
        );
    }
}

#[test]
fn inclusion_table() {
    let log = log8();
    let cases: [(u64, u64, &[&str]); 5] = [
        (0, 8, &["L1", "N[2:4]", "N[4:8]"]),
        (5, 8, &["L4", "N[6:8]", "N[0:4]"]),
        (2, 3, &["N[0:2]"]),
        (1, 5, &["L0", "N[2:4]", "L4"]),
        (0, 1, &[]),
    ];
    for (leaf, size, want) in cases {
        let want: Vec<Hash> = want.iter().map(|n| named(n)).collect();
        let got = log.inclusion_proof(leaf, size).expect("proof");
        assert_eq!(got, want, "inclusion {leaf},{size}");
        let root = h(ROOTS[size as usize - 1]);
        let leaf_h = h(LEAF_HASHES[leaf as usize]);
        assert_eq!(verify_inclusion(leaf, size, &leaf_h, &got, &root), Ok(()));
        // Tampered twins: another leaf, another index, another size.
        let other = h(LEAF_HASHES[(leaf as usize + 1) % 8]);
        assert!(verify_inclusion(leaf, size, &other, &got, &root).is_err());
        assert!(verify_inclusion(leaf + 1, size, &leaf_h, &got, &root).is_err());
        if size < 8 {
            let bigger = h(ROOTS[size as usize]);
            assert!(verify_inclusion(leaf, size + 1, &leaf_h, &got, &bigger).is_err());
        }
    }
}

#[test]
fn consistency_table() {
    let log = log8();
    let cases: [(u64, u64, &[&str]); 5] = [
        (1, 8, &["L1", "N[2:4]", "N[4:8]"]),
        (6, 8, &["N[4:6]", "N[6:8]", "N[0:4]"]),
        (2, 5, &["N[2:4]", "L4"]),
        (6, 7, &["N[4:6]", "L6", "N[0:4]"]),
        (1, 1, &[]),
    ];
    for (m, n, want) in cases {
        let want: Vec<Hash> = want.iter().map(|x| named(x)).collect();
        let got = log.consistency_proof(m, n).expect("proof");
        assert_eq!(got, want, "consistency {m}->{n}");
        let r1 = h(ROOTS[m as usize - 1]);
        let r2 = h(ROOTS[n as usize - 1]);
        assert_eq!(verify_consistency(m, n, &got, &r1, &r2), Ok(()));
        assert!(verify_consistency(m, n, &got, &r2, &r1).is_err() || r1 == r2);
        if n < 8 {
            assert!(verify_consistency(m, n + 1, &got, &r1, &h(ROOTS[n as usize])).is_err());
        }
    }
}

#[test]
fn consistency_edge_cases_rejected() {
    let r = h(ROOTS[0]);
    assert!(verify_consistency(0, 1, &[], &EMPTY_ROOT, &r).is_err());
    assert!(verify_consistency(2, 1, &[], &r, &r).is_err());
    assert!(verify_consistency(1, 1, &[r], &r, &r).is_err());
    assert!(verify_inclusion(1, 1, &r, &[], &r).is_err());
    assert!(log8().consistency_proof(0, 3).is_err());
    assert!(log8().inclusion_proof(8, 8).is_err());
    assert!(log8().root_at(9).is_err());
}
