-- See migrations/mysql/0003_source_formats.sql.
CREATE TABLE IF NOT EXISTS logstats_source_formats (
    source_id        INTEGER NOT NULL PRIMARY KEY,
    format           TEXT NOT NULL,
    customer         TEXT NOT NULL,
    customer_default TEXT NOT NULL
);
