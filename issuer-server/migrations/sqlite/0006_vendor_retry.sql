-- A vendor key that could not be retired yet (the vendor was down, or the key can only run out,
-- like a GitHub installation token) waits until this time before the sweep tries it again, so
-- that it neither hammers the vendor nor holds up the rest of the queue.
ALTER TABLE versions ADD COLUMN vendor_retry_at INTEGER; -- NULL: try at the next sweep
