-- See migrations/mysql/0007_keys.sql.
CREATE TABLE IF NOT EXISTS logstats_keys (
    key_id       TEXT NOT NULL PRIMARY KEY,
    key_sha256   BLOB NOT NULL,
    customer_id  TEXT NOT NULL,
    label        TEXT NOT NULL,
    created_us   INTEGER NOT NULL,
    last_used_us INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS logstats_keys_sha256 ON logstats_keys (key_sha256);
