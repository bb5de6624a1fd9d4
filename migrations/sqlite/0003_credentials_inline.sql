-- PostgreSQL keeps credential rows inline and uncompressed from this version (its 0003); SQLite
-- never compresses, so there is nothing to change. Kept so both backends number their
-- migrations alike.
SELECT 1;
