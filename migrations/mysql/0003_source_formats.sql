-- How each source was read: its format and customer selector, recorded when
-- the source's first batch commits, so that a later load that would count
-- its lines differently is refused. A source without a row was loaded before
-- logstats knew other formats: in the logstats format, its customer field.
-- A table of its own rather than new columns of logstats_sources, so that
-- this migration is safe to run again after a crash (MySQL commits DDL).
CREATE TABLE IF NOT EXISTS logstats_source_formats (
    source_id        BIGINT NOT NULL PRIMARY KEY,
    format           VARBINARY(4096) NOT NULL,
    customer         VARBINARY(1024) NOT NULL,
    customer_default VARBINARY(128) NOT NULL
) ENGINE=InnoDB;
