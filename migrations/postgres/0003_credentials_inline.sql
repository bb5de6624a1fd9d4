-- A signed credential is usually 2 to 4 KiB: just over PostgreSQL's 2 KiB toast threshold, so
-- every insert compressed it with pglz (about a tenth of the server's time in bulk issuance) to
-- save little. Rows up to the page size now stay inline and uncompressed; larger ones (long
-- evidence, embedded endorsements) are still toasted. Existing rows are unchanged.
ALTER TABLE credentials SET (toast_tuple_target = 8160);
