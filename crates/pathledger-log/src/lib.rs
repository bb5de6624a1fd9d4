//! RFC 6962 / RFC 9162 Merkle transparency log: tree hashes, inclusion and consistency proofs, signed tree heads.
