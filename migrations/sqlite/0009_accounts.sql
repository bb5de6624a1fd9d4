-- Accounts for a real deployment: invitations, email-link sign-in, open enrollment and
-- OpenID Connect sign-in per organization. Every secret (invitation link, sign-in link, OIDC
-- state) is stored as its SHA-256 only.

-- An organization that allows open enrollment lets anyone with a verified email address sign
-- themselves up as an educator (e.g. a teacher-preparation program's career switchers).
ALTER TABLE organizations ADD COLUMN open_enrollment BOOLEAN NOT NULL DEFAULT FALSE;

-- An org admin's invitation of one person with access roles (space-separated). Accepting it
-- creates the account (or joins an existing one with the same email), grants the roles and,
-- for educators, links the organization's educator record with that email (educator_id when
-- the invitation was made for a known record, e.g. by bulk issuance). Single use.
CREATE TABLE invitations (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    roles         TEXT NOT NULL,
    educator_id   TEXT REFERENCES educators(id) ON DELETE CASCADE,
    token_hash    BLOB NOT NULL UNIQUE,
    invited_by    TEXT,
    created_ms    INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL,
    accepted_ms   INTEGER,
    accepted_user TEXT,
    revoked_ms    INTEGER
);
CREATE INDEX invitations_by_org ON invitations(org_id, created_ms);
CREATE INDEX invitations_by_email ON invitations(email);
-- At most one pending invitation per person per organization (inviting again replaces it).
CREATE UNIQUE INDEX invitations_one_pending ON invitations(org_id, email)
    WHERE accepted_ms IS NULL AND revoked_ms IS NULL;

-- Passwordless sign-in links (purpose 'sign_in') and open-enrollment email checks ('enroll'):
-- single use, short expiry, bound to the browser that asked (browser_hash: SHA-256 of a
-- random value in that browser's cookie). Rows also count requests per email for throttling.
CREATE TABLE email_links (
    token_hash    BLOB PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('sign_in','enroll')),
    email         TEXT NOT NULL,
    user_id       TEXT REFERENCES users(id) ON DELETE CASCADE,
    org_id        TEXT REFERENCES organizations(id),
    display_name  TEXT,
    browser_hash  BLOB NOT NULL,
    created_ms    INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL,
    used_ms       INTEGER
);
CREATE INDEX email_links_by_email ON email_links(email, created_ms);

-- OpenID Connect sign-in configured per organization: the provider's issuer URL, this
-- deployment's client id at it and the client secret sealed with the key-encryption key.
CREATE TABLE oidc_providers (
    org_id         TEXT PRIMARY KEY REFERENCES organizations(id),
    issuer_url     TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    sealed_secret  BLOB NOT NULL,
    label          TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL
);

-- One OIDC sign-in under way: state (hashed), nonce and PKCE verifier, bound to the browser
-- that started it; single use, short expiry. In the database so any server may finish it.
CREATE TABLE oidc_logins (
    state_hash     BLOB PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    browser_hash   BLOB NOT NULL,
    created_ms     INTEGER NOT NULL,
    expires_ms     INTEGER NOT NULL,
    used_ms        INTEGER
);
