-- See migrations/mysql/0004_settings.sql.
CREATE TABLE IF NOT EXISTS logstats_settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
