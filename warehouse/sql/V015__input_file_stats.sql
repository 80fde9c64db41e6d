-- The file's modification time (ns) when it was read, next to its size: the next ingest skips a file whose
-- (source_uri, size_bytes, mtime_ns) is unchanged without reading or hashing it. Null for inputs that are
-- not whole local files (feed entries, JSON records, fetched pages), for rows loaded before this migration
-- and for files modified too recently to trust their timestamp; those are read and hashed as before.
alter table raw_ingested_inputs add column if not exists mtime_ns bigint;
