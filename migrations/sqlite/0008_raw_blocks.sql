-- See migrations/mysql/0008_raw_blocks.sql. A table with a rowid (and the
-- key as an index), not WITHOUT ROWID: its rows are large, and a key
-- lookup then does not read the blocks it passes.
CREATE TABLE IF NOT EXISTS logstats_raw_blocks (
    customer_id  TEXT NOT NULL,
    day          TEXT NOT NULL,
    source_id    INTEGER NOT NULL,
    first_offset INTEGER NOT NULL,
    last_offset  INTEGER NOT NULL,
    requests     INTEGER NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (customer_id, day, source_id, first_offset)
);

INSERT INTO logstats_settings (name, value)
    SELECT 'raw_mode', 'rows' FROM logstats_sources
    WHERE NOT EXISTS (SELECT 1 FROM logstats_settings WHERE name = 'raw_mode') LIMIT 1;
