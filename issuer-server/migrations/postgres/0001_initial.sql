-- Credential issuer: schema (PostgreSQL). Times are Unix milliseconds (UTC), as in the SQLite
-- store, so that both stores read and write the same values. JSON documents are jsonb.
-- The same tables as migrations/sqlite/0001..0003, plus audit_heads and leases, which let
-- several server replicas share this database.

CREATE TABLE credentials (
    issuer          TEXT   NOT NULL,
    id              TEXT   NOT NULL,
    type            TEXT   NOT NULL,
    name            TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    scope           JSONB  NOT NULL, -- array of grants (the current version's scope)
    metadata        JSONB  NOT NULL, -- object of strings
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    revoked_at      BIGINT,
    current_version BIGINT NOT NULL,
    PRIMARY KEY (issuer, id)
);
CREATE INDEX credentials_expiring ON credentials (status, expires_at)
    WHERE expires_at IS NOT NULL;

CREATE TABLE versions (
    issuer        TEXT   NOT NULL,
    credential_id TEXT   NOT NULL,
    version       BIGINT NOT NULL,
    status        TEXT   NOT NULL,
    secret_hint   TEXT   NOT NULL,
    scope         JSONB  NOT NULL, -- array of grants
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    secret_mac    BYTEA  NOT NULL, -- HMAC-SHA-256 of the secret under a key outside the database
    fingerprint   TEXT   NOT NULL, -- keyed hash of the secret's fingerprint, for exposure reports
    PRIMARY KEY (issuer, credential_id, version),
    FOREIGN KEY (issuer, credential_id) REFERENCES credentials (issuer, id)
);
CREATE UNIQUE INDEX versions_by_mac ON versions (secret_mac);
CREATE INDEX versions_by_fingerprint ON versions (issuer, fingerprint);
CREATE INDEX versions_in_grace ON versions (status, expires_at);

-- The newest event of each issuer's log. An append locks this row (FOR UPDATE) until its
-- transaction ends, so that appends from any replica form one line.
CREATE TABLE audit_heads (
    issuer TEXT   NOT NULL PRIMARY KEY,
    seq    BIGINT NOT NULL,
    hash   TEXT   NOT NULL
);

CREATE TABLE audit_events (
    issuer        TEXT   NOT NULL,
    seq           BIGINT NOT NULL,
    event         TEXT   NOT NULL, -- the event as served, JSON (kept as text: its hash covers it)
    hash          TEXT   NOT NULL,
    credential_id TEXT,
    PRIMARY KEY (issuer, seq) -- a backstop: two events can never share a place in the line
);
CREATE INDEX audit_by_credential ON audit_events (issuer, credential_id, seq);

CREATE TABLE tokens (
    id         TEXT   NOT NULL PRIMARY KEY,
    token_mac  BYTEA  NOT NULL UNIQUE,
    label      TEXT   NOT NULL,
    scopes     JSONB  NOT NULL, -- array of issuer-API scopes
    authority  JSONB,           -- array of grants; NULL = no ceiling
    created_at BIGINT NOT NULL
);

CREATE TABLE idempotency (
    issuer       TEXT   NOT NULL,
    principal    TEXT   NOT NULL,
    key          TEXT   NOT NULL,
    operation    TEXT   NOT NULL,
    request_hash BYTEA  NOT NULL,
    status       BIGINT NOT NULL,
    sealed_body  BYTEA  NOT NULL, -- AES-256-GCM; the body holds a secret
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (issuer, principal, key)
);
CREATE INDEX idempotency_by_age ON idempotency (created_at);

CREATE TABLE exposures (
    issuer      TEXT   NOT NULL,
    id          TEXT   NOT NULL,
    reported_at BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    source      TEXT,
    action      TEXT   NOT NULL,
    results     JSONB  NOT NULL, -- array of results (never a secret)
    PRIMARY KEY (issuer, id)
);

-- Vendor admin credentials given to the server for the shims, each a compact JWE
-- (dir + A256GCM) under a key-encryption key that is not in this database.
CREATE TABLE vendor_credentials (
    issuer     TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    jwe        TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, name)
);

-- Agent access requests. The secret of an approved request's credential waits here, sealed
-- (AES-256-GCM under a key outside the database), until the requester collects it once.
CREATE TABLE access_requests (
    issuer          TEXT   NOT NULL,
    id              TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    request         JSONB  NOT NULL, -- the access request document
    requester_token TEXT   NOT NULL,
    expires_at      BIGINT NOT NULL,
    sealed_secret   BYTEA,
    PRIMARY KEY (issuer, id)
);
CREATE INDEX access_requests_pending ON access_requests (status, expires_at);

-- Time-limited leases on background work (the expiry sweep): the replica named in holder
-- does the work until `until`; when it dies, another takes the lease over once it lapses.
CREATE TABLE leases (
    name   TEXT   NOT NULL PRIMARY KEY,
    holder TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
