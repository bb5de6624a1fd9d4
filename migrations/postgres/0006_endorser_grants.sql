-- Endorser grants (PostgreSQL; kept column-for-column identical to the SQLite file): an org admin's explicit statement that a user endorses *as* a career role in
-- that organization (e.g. a master mentor hired from outside, whose role the ledger cannot
-- derive from their own credentials). An endorsement counts for a role only if its endorser
-- reached that role in the organization or holds an unrevoked grant of it. Granting and
-- revoking are also appended to the transparency log. Revoked grants are kept (revoked_ms set).
CREATE TABLE endorser_grants (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL,
    granted_by  TEXT,
    granted_ms  BIGINT NOT NULL,
    revoked_by  TEXT,
    revoked_ms  BIGINT
);
CREATE UNIQUE INDEX endorser_grants_active ON endorser_grants(org_id, user_id, role_id) WHERE revoked_ms IS NULL;
CREATE INDEX endorser_grants_by_user ON endorser_grants(user_id);

-- Who sees an educator in communities of practice: nobody ('hidden'), members of their own
-- organization ('organization', the default), or anyone ('public', only by the educator's choice).
-- Educators who had opted in become 'organization', not 'public': being shown to anyone on the
-- internet is a wider exposure than most of them will have meant, so it must be their new choice.
-- Those who had not opted in stay unlisted. community_opt_in is no longer read (kept, as
-- dropping a column is a table rebuild on SQLite).
ALTER TABLE educators ADD COLUMN community_visibility TEXT NOT NULL DEFAULT 'organization'
    CHECK (community_visibility IN ('hidden','organization','public'));
UPDATE educators SET community_visibility = CASE WHEN community_opt_in THEN 'organization' ELSE 'hidden' END;
CREATE INDEX educators_by_org_visibility ON educators(org_id, community_visibility);
