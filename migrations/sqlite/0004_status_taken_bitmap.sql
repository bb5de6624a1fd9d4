-- Which indexes of a status list are allocated, as a bitmap (bit i = byte i/8, mask 0x80 >> i%8),
-- so issuing allocates by rewriting one row instead of inserting one random-keyed
-- status_allocations row per credential. status_allocations now holds only indexes whose bit was
-- set (revoked or suspended) at least once, plus the rows of credentials issued before this
-- version. NULL for lists created before this version: the store fills it from status_allocations
-- the first time it allocates from the list.
ALTER TABLE status_lists ADD COLUMN taken BLOB;
