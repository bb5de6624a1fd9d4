-- Claims of a credential into a wallet: a single-use, expiring link the credential's holder
-- makes, which a wallet spends (VC-API exchange or OpenID4VCI) to receive a copy of the
-- credential bound to its DID. Only the SHA-256 of the link's secret is kept. Once spent, the
-- row names the wallet's DID and the copy issued, so a change to the original's status reaches
-- its copies.
CREATE TABLE wallet_claims (
    id             TEXT PRIMARY KEY,
    secret_hash    TEXT NOT NULL UNIQUE,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    credential_id  TEXT NOT NULL,
    educator_id    TEXT NOT NULL,
    protocol       TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    expires_ms     INTEGER NOT NULL,
    redeemed_ms    INTEGER,
    holder_did     TEXT,
    copy_id        TEXT
);

CREATE INDEX wallet_claims_credential ON wallet_claims (credential_id);
CREATE INDEX wallet_claims_educator ON wallet_claims (educator_id);
