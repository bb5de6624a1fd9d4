-- Status change reasons bound to the log (PostgreSQL; kept column-for-column identical to the
-- SQLite file). Each new credential event gets a random 32-byte salt; its status leaf carries
-- reason_commitment = hex(SHA-256(salt || reason)), so the audit can tell an edited reason from
-- the logged one while the public leaf reveals nothing a guess could confirm. Events from before
-- this migration have no salt and no commitment, and are not checked. Erasure deletes an
-- educator's event rows, salt and all.
ALTER TABLE credential_events ADD COLUMN reason_salt BYTEA;
