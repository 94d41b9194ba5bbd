-- Credential issuer: initial schema (SQLite). Times are Unix milliseconds (UTC).

CREATE TABLE credentials (
    issuer          TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    scope           TEXT    NOT NULL, -- JSON array of grants (the current version's scope)
    metadata        TEXT    NOT NULL, -- JSON object of strings
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    revoked_at      INTEGER,
    current_version INTEGER NOT NULL,
    PRIMARY KEY (issuer, id)
);

CREATE TABLE versions (
    issuer        TEXT    NOT NULL,
    credential_id TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    secret_hint   TEXT    NOT NULL,
    scope         TEXT    NOT NULL, -- JSON array of grants
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    secret_mac    BLOB    NOT NULL, -- HMAC-SHA-256 of the secret under a key outside the database
    fingerprint   TEXT    NOT NULL, -- sha256:<hex> of the secret, for exposure reports
    PRIMARY KEY (issuer, credential_id, version),
    FOREIGN KEY (issuer, credential_id) REFERENCES credentials (issuer, id)
);
CREATE UNIQUE INDEX versions_by_mac ON versions (secret_mac);
CREATE INDEX versions_by_fingerprint ON versions (issuer, fingerprint);
CREATE INDEX versions_in_grace ON versions (status, expires_at);

CREATE TABLE audit_events (
    issuer        TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    event         TEXT    NOT NULL, -- the event as served, JSON
    hash          TEXT    NOT NULL,
    credential_id TEXT,
    PRIMARY KEY (issuer, seq)
);
CREATE INDEX audit_by_credential ON audit_events (issuer, credential_id, seq);

CREATE TABLE tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    token_mac  BLOB    NOT NULL UNIQUE,
    label      TEXT    NOT NULL,
    scopes     TEXT    NOT NULL, -- JSON array of issuer-API scopes
    authority  TEXT,             -- JSON array of grants; NULL = no ceiling
    created_at INTEGER NOT NULL
);

CREATE TABLE idempotency (
    issuer       TEXT    NOT NULL,
    principal    TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    operation    TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    status       INTEGER NOT NULL,
    sealed_body  BLOB    NOT NULL, -- AES-256-GCM; the body holds a secret
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (issuer, principal, key)
);

CREATE TABLE exposures (
    issuer      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    reported_at INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    source      TEXT,
    action      TEXT    NOT NULL,
    results     TEXT    NOT NULL, -- JSON array of results (never a secret)
    PRIMARY KEY (issuer, id)
);
