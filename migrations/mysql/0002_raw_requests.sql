-- Raw requests move to a table keyed for ingest speed: within a customer, a
-- source's rows arrive in byte-offset order, so every insert appends to one
-- of a few B-tree ends (one per customer) instead of one per (customer, day).
-- The key still serves exactly-once (a line is its source and byte offset),
-- pruning (ts_us < the first kept day, within a customer) and sharding
-- (customer first).
--
-- MySQL commits DDL implicitly, so each statement must be safe to run again
-- after a crash between any two: the old table is recreated (empty) if a
-- previous run dropped it, and the copy ignores rows already copied.
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

CREATE TABLE IF NOT EXISTS logstats_raw_requests (
    customer_id VARBINARY(128) NOT NULL,
    source_id   BIGINT NOT NULL,
    src_offset  BIGINT NOT NULL,
    ts_us       BIGINT NOT NULL,
    path        VARBINARY(2048) NOT NULL,
    status      SMALLINT NOT NULL,
    latency_us  BIGINT NOT NULL,
    PRIMARY KEY (customer_id, source_id, src_offset)
) ENGINE=InnoDB;

INSERT IGNORE INTO logstats_raw_requests (customer_id, source_id, src_offset, ts_us, path, status, latency_us)
    SELECT customer_id, source_id, src_offset, ts_us, path, status, latency_us FROM logstats_requests;

DROP TABLE IF EXISTS logstats_requests;
