-- The set bits of a status list (revoked or suspended credentials) are read whenever the list
-- credential is rebuilt; without this index that read scans every allocation of the list.
CREATE INDEX status_allocations_set ON status_allocations(list_id, idx) WHERE bit;
