-- See migrations/mysql/0001_init.sql for what each table is for.
CREATE TABLE IF NOT EXISTS logstats_requests (
    customer_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    source_id   INTEGER NOT NULL,
    src_offset  INTEGER NOT NULL,
    ts_us       INTEGER NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, day, source_id, src_offset)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS logstats_rollups (
    customer_id    TEXT NOT NULL,
    day            TEXT NOT NULL,
    source_id      INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    total          INTEGER NOT NULL,
    c1xx           INTEGER NOT NULL,
    c2xx           INTEGER NOT NULL,
    c3xx           INTEGER NOT NULL,
    c4xx           INTEGER NOT NULL,
    c5xx           INTEGER NOT NULL,
    latency_sum_us INTEGER NOT NULL,
    latency_min_us INTEGER NOT NULL,
    latency_max_us INTEGER NOT NULL,
    latency_dist   BLOB NOT NULL,
    PRIMARY KEY (customer_id, day, source_id, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS logstats_sources (
    source_id        INTEGER NOT NULL PRIMARY KEY,
    fingerprint      BLOB NOT NULL,
    name             TEXT NOT NULL,
    committed_offset INTEGER NOT NULL,
    committed_lines  INTEGER NOT NULL,
    committed_sha256 BLOB NOT NULL,
    created_us       INTEGER NOT NULL,
    updated_us       INTEGER NOT NULL
);
