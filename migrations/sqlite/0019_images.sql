-- An organization's images: its logo and its achievements' images. Either hosted here (the
-- bytes, their media type read from the content, and their SHA-256 for ETags and for the
-- credential's image URL) or a link given by the admin (https, stored as given, never fetched).
-- `kind` is 'logo' (with item_id '') or 'achievement' (item_id the achievement's id).
CREATE TABLE org_images (
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('logo','achievement')),
    item_id     TEXT NOT NULL,
    media_type  TEXT,
    bytes       BLOB,
    sha256      TEXT,
    url         TEXT,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind, item_id),
    CHECK ((bytes IS NOT NULL AND media_type IS NOT NULL AND sha256 IS NOT NULL AND url IS NULL)
        OR (bytes IS NULL AND media_type IS NULL AND sha256 IS NULL AND url IS NOT NULL))
);
