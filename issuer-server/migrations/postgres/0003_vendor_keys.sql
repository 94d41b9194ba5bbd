-- Shims: each version may have a key at a vendor, which must be retired there (made to stop
-- working) once the version is revoked or has expired. The queue of pending retirements is the
-- set of such versions not yet retired, so it survives restarts.

ALTER TABLE versions ADD COLUMN vendor_key JSONB;           -- {id, attributes}; NULL for native secrets
ALTER TABLE versions ADD COLUMN vendor_retired_at BIGINT;   -- when the vendor confirmed; NULL while pending
CREATE INDEX versions_to_retire ON versions (status)
    WHERE vendor_key IS NOT NULL AND vendor_retired_at IS NULL;

-- The time of the newest event of each log, so an append never records an earlier time than
-- the event before it (REQ-AUD-8), whichever replica's clock runs behind.
ALTER TABLE audit_heads ADD COLUMN time BIGINT NOT NULL DEFAULT 0;
