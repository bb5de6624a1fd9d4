-- Witness cosignatures of the log's checkpoints (C2SP tlog-cosignature/v1). A witness that the
-- deployment configures checks a checkpoint against the last one it cosigned (no rollback, no
-- fork) and posts its cosignature back; the server serves each checkpoint with the cosignatures
-- it holds. The signature is the 72-byte cosignature (timestamp and Ed25519 signature).
CREATE TABLE log_cosignatures (
    tree_size    BIGINT NOT NULL,
    witness      TEXT NOT NULL,
    key_id       BYTEA NOT NULL,
    signature    BYTEA NOT NULL,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (tree_size, witness, key_id)
);
