-- Vendor admin credentials given to the server for the shims, each a compact JWE
-- (dir + A256GCM) under a key-encryption key that is not in this database.
CREATE TABLE vendor_credentials (
    issuer     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    jwe        TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, name)
);
