-- Agent access requests. The secret of an approved request's credential waits here, sealed
-- (AES-256-GCM under a key outside the database), until the requester collects it once.
CREATE TABLE access_requests (
    issuer          TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    request         TEXT    NOT NULL, -- the access request document, JSON
    requester_token TEXT    NOT NULL,
    expires_at      INTEGER NOT NULL,
    sealed_secret   BLOB,
    PRIMARY KEY (issuer, id)
);
CREATE INDEX access_requests_pending ON access_requests (status, expires_at);
