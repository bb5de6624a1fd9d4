-- Bulk issuance jobs started from the admin page, kept in the database so their progress and
-- results outlive the process that ran them (a restart, another server behind a balancer).
-- `updated_ms` moves with every chunk issued: an unfinished job whose heartbeat stopped was
-- interrupted. `results` is the finished job's per-row outcome as JSON, written once.
CREATE TABLE bulk_jobs (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    total       INTEGER NOT NULL,
    done        INTEGER NOT NULL,
    finished    BOOLEAN NOT NULL,
    error       TEXT,
    results     TEXT,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX bulk_jobs_by_org ON bulk_jobs(org_id, created_ms);
