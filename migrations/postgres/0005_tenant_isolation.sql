-- Tenant isolation: an educator record, its identifiers and its organization's definitions
-- belong to one organization. The same email in two organizations is two educator records,
-- joined only when the person links them to their account (user_educators). Credentials count
-- toward an organization's pathways only when its own issuers, or issuers it explicitly trusts
-- (org_trusted_issuers), issued them.

-- Identifiers are unique within an organization, not across the deployment.
ALTER TABLE educator_identifiers ADD COLUMN org_id TEXT REFERENCES organizations(id);
UPDATE educator_identifiers i SET org_id = e.org_id FROM educators e WHERE e.id = i.educator_id;
ALTER TABLE educator_identifiers ALTER COLUMN org_id SET NOT NULL;
ALTER TABLE educator_identifiers DROP CONSTRAINT educator_identifiers_pkey;
ALTER TABLE educator_identifiers ADD PRIMARY KEY (org_id, kind, value);

-- Definition ids (achievements, the pathway bundle) are scoped per organization.
ALTER TABLE definitions DROP CONSTRAINT definitions_pkey;
ALTER TABLE definitions ADD PRIMARY KEY (org_id, kind, id, version);

-- A user's educator records: at most one per organization, each record linked to one user.
CREATE TABLE user_educators (
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    educator_id  TEXT NOT NULL REFERENCES educators(id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    created_ms   BIGINT NOT NULL,
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
    created_ms  BIGINT NOT NULL,
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
