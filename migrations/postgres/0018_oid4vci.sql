-- OpenID for Verifiable Credential Issuance 1.0 (pre-authorized code flow) over wallet claims.
-- One offer per claim: the offer id in the credential_offer_uri (its SHA-256), the
-- pre-authorized code (the claim's secret) as its SHA-256 for the token request and sealed with
-- the key-encryption key for the offer document and the credential request, the transaction
-- code bound to that code (SHA-256 of code and tx_code, so the database alone cannot guess it),
-- the failed tx_code attempts (5 kill the offer), and the one access token the code was
-- exchanged for (its SHA-256).
CREATE TABLE oid4vci_offers (
    claim_id          TEXT PRIMARY KEY,
    offer_hash        BYTEA NOT NULL UNIQUE,
    code_hash         BYTEA NOT NULL UNIQUE,
    sealed_code       BYTEA NOT NULL,
    tx_code_hash      BYTEA NOT NULL,
    tx_failures       BIGINT NOT NULL DEFAULT 0,
    created_ms        BIGINT NOT NULL,
    expires_ms        BIGINT NOT NULL,
    code_used_ms      BIGINT,
    token_hash        BYTEA UNIQUE,
    token_expires_ms  BIGINT
);

-- The key c_nonces are MACed with (one row; made by the first server that needs it), so every
-- server sharing the database checks every server's nonces without storing them, and the
-- nonces spent (until they expire), so each is used once.
CREATE TABLE oid4vci_nonce_key (
    id          BIGINT PRIMARY KEY,
    mac_key     BYTEA NOT NULL,
    created_ms  BIGINT NOT NULL
);

CREATE TABLE oid4vci_spent_nonces (
    nonce_hash  BYTEA PRIMARY KEY,
    expires_ms  BIGINT NOT NULL
);
CREATE INDEX oid4vci_spent_nonces_expiry ON oid4vci_spent_nonces (expires_ms);
