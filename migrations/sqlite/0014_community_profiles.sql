-- What an educator chooses to tell peers and hiring staff in communities of practice: their
-- school, years of experience and how to reach them. Shown to anyone only while `shared` is
-- true, the educator's own opt-in (off by default); erased with the educator's record.
CREATE TABLE community_profiles (
    educator_id  TEXT PRIMARY KEY REFERENCES educators(id),
    school       TEXT,
    years        INTEGER,
    contact      TEXT,
    shared       BOOLEAN NOT NULL DEFAULT 0,
    updated_ms   INTEGER NOT NULL
);
