-- Notices by mail: each address's choice per kind of notice (no row: the default, on), the
-- token its messages' unsubscribe links carry, and a claim per event, so an event is mailed at
-- most once whichever server (or restart) reaches it first. A claim without sent_ms was being
-- sent when its server stopped; it is not sent again.
CREATE TABLE notification_choices (
    email        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL,
    changed_ms   INTEGER NOT NULL,
    PRIMARY KEY (email, kind)
);

CREATE TABLE notification_tokens (
    email        TEXT PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,
    created_ms   INTEGER NOT NULL
);

CREATE TABLE notifications_sent (
    event_key    TEXT PRIMARY KEY,
    email        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    claimed_ms   INTEGER NOT NULL,
    sent_ms      INTEGER
);
