-- Pathledger store schema (SQLite). Times are milliseconds since the Unix epoch (INTEGER).
-- Kept column-for-column identical to migrations/postgres/0001_initial.sql so one set of queries serves both.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT REFERENCES organizations(id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    email        TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    educator_id  TEXT,
    created_ms   INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    role       TEXT NOT NULL CHECK (role IN ('org_admin','issuer','assessor','verifier','educator')),
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, org_id, role)
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER,
    revoked_ms   INTEGER
);

CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL
);

CREATE TABLE issuers (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    url         TEXT,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE issuer_keys (
    id             TEXT PRIMARY KEY,
    issuer_id      TEXT NOT NULL REFERENCES issuers(id),
    public_key     BLOB NOT NULL,
    sealed_seed    BLOB NOT NULL,
    active         BOOLEAN NOT NULL,
    created_ms     INTEGER NOT NULL,
    retired_ms     INTEGER
);
CREATE UNIQUE INDEX issuer_keys_one_active ON issuer_keys(issuer_id) WHERE active;

CREATE TABLE log_keys (
    id           TEXT PRIMARY KEY,
    public_key   BLOB NOT NULL,
    sealed_seed  BLOB NOT NULL,
    active       BOOLEAN NOT NULL,
    created_ms   INTEGER NOT NULL
);
CREATE UNIQUE INDEX log_keys_one_active ON log_keys(active) WHERE active;

CREATE TABLE definitions (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    document    TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (kind, id, version)
);

CREATE TABLE educators (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id),
    display_name      TEXT NOT NULL,
    salt              TEXT NOT NULL,
    show_email        BOOLEAN NOT NULL,
    show_did          BOOLEAN NOT NULL,
    community_opt_in  BOOLEAN NOT NULL,
    created_ms        INTEGER NOT NULL
);

CREATE TABLE educator_identifiers (
    kind         TEXT NOT NULL CHECK (kind IN ('email','did')),
    value        TEXT NOT NULL,
    educator_id  TEXT NOT NULL REFERENCES educators(id) ON DELETE CASCADE,
    is_primary   BOOLEAN NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX educator_identifiers_by_educator ON educator_identifiers(educator_id);

CREATE TABLE facts (
    id           TEXT PRIMARY KEY,
    educator_id  TEXT NOT NULL REFERENCES educators(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    document     TEXT NOT NULL,
    recorded_by  TEXT,
    created_ms   INTEGER NOT NULL
);
CREATE INDEX facts_by_educator ON facts(educator_id);

CREATE TABLE evidence_submissions (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations(id),
    educator_id          TEXT NOT NULL REFERENCES educators(id) ON DELETE CASCADE,
    achievement_id       TEXT NOT NULL,
    document             TEXT NOT NULL,
    assessor_user_id     TEXT,
    state                TEXT NOT NULL CHECK (state IN ('submitted','accepted','returned')),
    decision_comment     TEXT,
    decided_by           TEXT,
    created_ms           INTEGER NOT NULL,
    decided_ms           INTEGER
);
CREATE INDEX evidence_by_educator ON evidence_submissions(educator_id);
CREATE INDEX evidence_by_assessor ON evidence_submissions(assessor_user_id);

CREATE TABLE status_lists (
    id          TEXT PRIMARY KEY,
    issuer_id   TEXT NOT NULL REFERENCES issuers(id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('revocation','suspension')),
    capacity    INTEGER NOT NULL,
    allocated   INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    open        BOOLEAN NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX status_lists_open ON status_lists(issuer_id, purpose) WHERE open;

CREATE TABLE status_allocations (
    list_id        TEXT NOT NULL REFERENCES status_lists(id),
    idx            INTEGER NOT NULL,
    credential_id  TEXT NOT NULL,
    bit            BOOLEAN NOT NULL,
    PRIMARY KEY (list_id, idx)
);

CREATE TABLE credentials (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL,
    issuer_id            TEXT NOT NULL REFERENCES issuers(id),
    key_id               TEXT NOT NULL,
    achievement_id       TEXT NOT NULL,
    achievement_version  INTEGER NOT NULL,
    educator_id          TEXT,
    recipient_hash       TEXT NOT NULL,
    document             TEXT NOT NULL,
    document_hash        BLOB NOT NULL,
    issued_ms            INTEGER NOT NULL,
    valid_until_ms       INTEGER,
    status               TEXT NOT NULL CHECK (status IN ('active','revoked','suspended')),
    status_reason        TEXT,
    idempotency_key      TEXT,
    request_hash         BLOB NOT NULL,
    previous_id          TEXT,
    revocation_list_id   TEXT NOT NULL,
    revocation_index     INTEGER NOT NULL,
    suspension_list_id   TEXT,
    suspension_index     INTEGER,
    log_index            INTEGER NOT NULL
);
CREATE UNIQUE INDEX credentials_idempotency ON credentials(org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX credentials_by_educator ON credentials(educator_id);
CREATE INDEX credentials_by_valid_until ON credentials(valid_until_ms) WHERE valid_until_ms IS NOT NULL;

CREATE TABLE awards (
    educator_id    TEXT NOT NULL,
    role_id        TEXT NOT NULL,
    credential_id  TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    PRIMARY KEY (educator_id, role_id)
);

CREATE TABLE credential_events (
    log_index      INTEGER PRIMARY KEY,
    credential_id  TEXT NOT NULL,
    event          TEXT NOT NULL,
    reason         TEXT,
    actor          TEXT,
    created_ms     INTEGER NOT NULL
);
CREATE INDEX credential_events_by_credential ON credential_events(credential_id);

-- The transparency log. log_head holds the size; every append locks it (BEGIN IMMEDIATE here,
-- SELECT ... FOR UPDATE on PostgreSQL), so appends are serialized: no fork, no gap.
CREATE TABLE log_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    size  INTEGER NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);

CREATE TABLE log_entries (
    idx            INTEGER PRIMARY KEY,
    event          TEXT NOT NULL,
    credential_id  TEXT,
    data           BLOB NOT NULL,
    leaf_hash      BLOB NOT NULL,
    created_ms     INTEGER NOT NULL
);
CREATE INDEX log_entries_by_credential ON log_entries(credential_id);

-- Perfect-subtree hashes; nid = level << 56 | index.
CREATE TABLE log_nodes (
    nid   INTEGER PRIMARY KEY,
    hash  BLOB NOT NULL
);

CREATE TABLE tree_heads (
    tree_size     INTEGER PRIMARY KEY,
    root_hash     BLOB NOT NULL,
    timestamp_ms  INTEGER NOT NULL,
    key_id        TEXT NOT NULL,
    signature     BLOB NOT NULL
);
