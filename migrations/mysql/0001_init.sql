-- Raw requests: the system of record. The key serves exactly-once (a line is
-- its source and byte offset), pruning (by customer and day) and sharding
-- (customer first). Stats queries never read this table, so it has no
-- secondary index.
CREATE TABLE IF NOT EXISTS logstats_requests (
    customer_id VARBINARY(128) NOT NULL,
    day         DATE NOT NULL,
    source_id   BIGINT NOT NULL,
    src_offset  BIGINT NOT NULL,
    ts_us       BIGINT NOT NULL,
    path        VARBINARY(2048) NOT NULL,
    status      SMALLINT NOT NULL,
    latency_us  BIGINT NOT NULL,
    PRIMARY KEY (customer_id, day, source_id, src_offset)
) ENGINE=InnoDB;

-- Rollups: per (customer, day) counts and the exact latency distribution.
-- Each committed batch adds one row per (customer, day) it touched, keyed by
-- its source and end offset; compaction merges the rows of a day into one,
-- keyed (0, 0). A day's rollup is the merge of all its rows.
CREATE TABLE IF NOT EXISTS logstats_rollups (
    customer_id    VARBINARY(128) NOT NULL,
    day            DATE NOT NULL,
    source_id      BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    total          BIGINT NOT NULL,
    c1xx           BIGINT NOT NULL,
    c2xx           BIGINT NOT NULL,
    c3xx           BIGINT NOT NULL,
    c4xx           BIGINT NOT NULL,
    c5xx           BIGINT NOT NULL,
    latency_sum_us BIGINT NOT NULL,
    latency_min_us BIGINT NOT NULL,
    latency_max_us BIGINT NOT NULL,
    latency_dist   LONGBLOB NOT NULL,
    PRIMARY KEY (customer_id, day, source_id, seq)
) ENGINE=InnoDB;

-- Sources: one row per loaded log, identified by a fingerprint of its first
-- line, with the committed byte offset and the SHA-256 of the committed prefix.
CREATE TABLE IF NOT EXISTS logstats_sources (
    source_id        BIGINT NOT NULL PRIMARY KEY,
    fingerprint      BINARY(32) NOT NULL,
    name             VARBINARY(1024) NOT NULL,
    committed_offset BIGINT NOT NULL,
    committed_lines  BIGINT NOT NULL,
    committed_sha256 BINARY(32) NOT NULL,
    created_us       BIGINT NOT NULL,
    updated_us       BIGINT NOT NULL
) ENGINE=InnoDB;
