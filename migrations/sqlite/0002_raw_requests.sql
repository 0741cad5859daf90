-- See migrations/mysql/0002_raw_requests.sql. SQLite runs this in one
-- transaction.
CREATE TABLE IF NOT EXISTS logstats_raw_requests (
    customer_id TEXT NOT NULL,
    source_id   INTEGER NOT NULL,
    src_offset  INTEGER NOT NULL,
    ts_us       INTEGER NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, source_id, src_offset)
) WITHOUT ROWID;

INSERT OR IGNORE INTO logstats_raw_requests (customer_id, source_id, src_offset, ts_us, path, status, latency_us)
    SELECT customer_id, source_id, src_offset, ts_us, path, status, latency_us FROM logstats_requests;

DROP TABLE IF EXISTS logstats_requests;
