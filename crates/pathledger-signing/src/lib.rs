//! Canonicalization (JCS, RDFC-1.0), Ed25519 keys, did:key and Data Integrity proofs.
