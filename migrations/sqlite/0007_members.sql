-- Members: deactivation and the record of who changed whose access roles.
--
-- An org admin deactivating a member removes that member's roles in the admin's organization
-- and keeps them in member_deactivations, so reactivation restores them. The account itself
-- (users.deactivated_ms) is deactivated only when nothing else ties the person to the
-- deployment (no role and no educator record in another organization): then its sessions are
-- deleted and its API tokens revoked at once. deactivated_org names the organization whose
-- admin did it (its admin may reactivate); NULL with deactivated_ms set means the operator
-- deactivated the account deployment-wide (only the operator reactivates it).
ALTER TABLE users ADD COLUMN deactivated_ms INTEGER;
ALTER TABLE users ADD COLUMN deactivated_org TEXT;

CREATE TABLE member_deactivations (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    roles       TEXT NOT NULL,
    by_user     TEXT,
    at_ms       INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

-- Every grant, revoke, deactivation and reactivation: who (by_user; NULL is the operator or
-- the demo seed), when, which roles (space-separated). org_id NULL: deployment-wide.
CREATE TABLE membership_events (
    id          TEXT PRIMARY KEY,
    org_id      TEXT,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action      TEXT NOT NULL CHECK (action IN ('grant','revoke','deactivate','reactivate')),
    roles       TEXT NOT NULL,
    by_user     TEXT,
    at_ms       INTEGER NOT NULL
);
CREATE INDEX membership_events_by_org ON membership_events(org_id, at_ms);
CREATE INDEX membership_events_by_user ON membership_events(user_id);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
CREATE INDEX sessions_by_user ON sessions(user_id);
