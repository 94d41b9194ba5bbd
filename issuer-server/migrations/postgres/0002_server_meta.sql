-- Facts about the server's setup, by name. `key_check`: a value derived from the server's keys
-- (never a key), so that a server started with other keys than those the data was written
-- with refuses to start instead of failing every secret and token.
CREATE TABLE server_meta (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
