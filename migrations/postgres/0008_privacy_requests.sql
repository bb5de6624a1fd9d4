-- Deletion requests: an educator asks for their record to be erased, an org admin of the
-- record's organization carries it out or declines. Once carried out only ids and times remain
-- (the educator's reason is cleared with the record), so the row holds no personal data.
-- educator_id has no foreign key: the row outlives the record it names.
CREATE TABLE privacy_requests (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    educator_id     TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_ms    BIGINT NOT NULL,
    reason          TEXT,
    state           TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending','done','declined')),
    decided_by      TEXT,
    decided_ms      BIGINT,
    decision_reason TEXT
);
CREATE UNIQUE INDEX privacy_requests_one_pending ON privacy_requests(educator_id) WHERE state = 'pending';
CREATE INDEX privacy_requests_by_org ON privacy_requests(org_id, requested_ms);
