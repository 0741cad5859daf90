-- Raw requests in blocks (SPEC §10): one row per block of the requests of
-- one customer, day and source that one batch committed, in the columnar
-- encoding of docs/BLOCKS.md. The key puts the customer first (sharding,
-- a customer's exports and breakdowns read one range), then the day
-- (pruning and exports by day), then the source and the byte offset of the
-- block's first request, which tells its blocks apart. last_offset and
-- requests let the ledger's checks and Prune work without decoding.
--
-- A database that already holds sources keeps its raw requests as rows
-- (raw_mode 'rows'); a new one stores blocks unless told otherwise.
CREATE TABLE IF NOT EXISTS logstats_raw_blocks (
    customer_id  VARBINARY(128) NOT NULL,
    day          DATE NOT NULL,
    source_id    BIGINT NOT NULL,
    first_offset BIGINT NOT NULL,
    last_offset  BIGINT NOT NULL,
    requests     INT NOT NULL,
    data         MEDIUMBLOB NOT NULL,
    PRIMARY KEY (customer_id, day, source_id, first_offset)
) ENGINE=InnoDB;

INSERT INTO logstats_settings (name, value)
    SELECT 'raw_mode', 'rows' FROM logstats_sources
    WHERE NOT EXISTS (SELECT 1 FROM logstats_settings WHERE name = 'raw_mode') LIMIT 1;
