-- See migrations/mysql/0011_objectives.sql.
CREATE TABLE IF NOT EXISTS logstats_objectives (
    customer_id TEXT NOT NULL PRIMARY KEY,
    objectives  TEXT NOT NULL,
    updated_us  INTEGER NOT NULL
);
