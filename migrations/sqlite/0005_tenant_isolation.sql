-- Tenant isolation: an educator record, its identifiers and its organization's definitions
-- belong to one organization. The same email in two organizations is two educator records,
-- joined only when the person links them to their account (user_educators). Credentials count
-- toward an organization's pathways only when its own issuers, or issuers it explicitly trusts
-- (org_trusted_issuers), issued them.

-- Identifiers are unique within an organization, not across the deployment.
CREATE TABLE educator_identifiers_scoped (
    kind         TEXT NOT NULL CHECK (kind IN ('email','did')),
    value        TEXT NOT NULL,
    educator_id  TEXT NOT NULL REFERENCES educators(id) ON DELETE CASCADE,
    is_primary   BOOLEAN NOT NULL,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    PRIMARY KEY (org_id, kind, value)
);
INSERT INTO educator_identifiers_scoped (kind, value, educator_id, is_primary, org_id)
    SELECT i.kind, i.value, i.educator_id, i.is_primary, e.org_id
    FROM educator_identifiers i JOIN educators e ON e.id = i.educator_id;
DROP TABLE educator_identifiers;
ALTER TABLE educator_identifiers_scoped RENAME TO educator_identifiers;
CREATE INDEX educator_identifiers_by_educator ON educator_identifiers(educator_id);

-- Definition ids (achievements, the pathway bundle) are scoped per organization.
CREATE TABLE definitions_scoped (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    document    TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind, id, version)
);
INSERT INTO definitions_scoped (kind, id, version, org_id, document, created_ms)
    SELECT kind, id, version, org_id, document, created_ms FROM definitions;
DROP TABLE definitions;
ALTER TABLE definitions_scoped RENAME TO definitions;

-- A user's educator records: at most one per organization, each record linked to one user.
CREATE TABLE user_educators (
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    educator_id  TEXT NOT NULL REFERENCES educators(id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    created_ms   INTEGER NOT NULL,
    PRIMARY KEY (user_id, educator_id)
);
CREATE UNIQUE INDEX user_educators_one_per_org ON user_educators(user_id, org_id);
CREATE UNIQUE INDEX user_educators_one_user ON user_educators(educator_id);
INSERT INTO user_educators (user_id, educator_id, org_id, created_ms)
    SELECT u.id, u.educator_id, e.org_id, u.created_ms
    FROM users u JOIN educators e ON e.id = u.educator_id;
ALTER TABLE users DROP COLUMN educator_id;

-- Issuers of other organizations whose credentials an organization counts (recognition).
CREATE TABLE org_trusted_issuers (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    issuer_id   TEXT NOT NULL REFERENCES issuers(id),
    granted_by  TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (org_id, issuer_id)
);

-- What an organization's educators hold on their other (linked) records from issuers the
-- organization trusts: counted toward its pathways by achievement id.
CREATE VIEW recognized_holdings AS
    SELECT mine.org_id AS org_id, mine.educator_id AS educator_id,
           c.achievement_id AS achievement_id, c.valid_until_ms AS valid_until_ms
    FROM user_educators mine
    JOIN user_educators other ON other.user_id = mine.user_id AND other.educator_id <> mine.educator_id
    JOIN credentials c ON c.educator_id = other.educator_id AND c.status = 'active'
    JOIN org_trusted_issuers t ON t.org_id = mine.org_id AND t.issuer_id = c.issuer_id;
