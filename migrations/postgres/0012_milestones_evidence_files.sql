-- What an educator has been told they reached (a role, a certificate), so that reaching one is
-- announced once, on the next visit after it happened, and a restart changes nothing. The first
-- visit records what was already reached without announcing it, and a 'start' row.
CREATE TABLE milestones (
    educator_id  TEXT NOT NULL REFERENCES educators(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('role','stack','start')),
    subject_id   TEXT NOT NULL,
    reached_ms   BIGINT NOT NULL,
    PRIMARY KEY (educator_id, kind, subject_id)
);

-- A file attached to an evidence submission (a PDF or an image, its type read from its first
-- bytes). Served only to the educator and to the submission's reviewers.
CREATE TABLE evidence_files (
    submission_id  TEXT PRIMARY KEY REFERENCES evidence_submissions(id) ON DELETE CASCADE,
    media_type     TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    bytes          BYTEA NOT NULL,
    created_ms     BIGINT NOT NULL
);
