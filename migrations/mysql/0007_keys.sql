-- Customer keys: each lets its bearer read one customer's numbers through
-- the HTTP API. Only the SHA-256 of a key is kept; the key itself is shown
-- once, when it is created. Revoking a key deletes its row.
CREATE TABLE IF NOT EXISTS logstats_keys (
    key_id       VARCHAR(32) NOT NULL PRIMARY KEY,
    key_sha256   BINARY(32) NOT NULL,
    customer_id  VARBINARY(128) NOT NULL,
    label        VARBINARY(1024) NOT NULL,
    created_us   BIGINT NOT NULL,
    last_used_us BIGINT NULL,
    UNIQUE KEY logstats_keys_sha256 (key_sha256)
) ENGINE=InnoDB;
