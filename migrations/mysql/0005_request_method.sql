-- Each raw request keeps its method (GET), where the log format has one; ''
-- where it has none (the logstats format) and for requests loaded before.
--
-- MySQL commits DDL implicitly, so a crash could leave the column added and
-- the migration unrecorded. Migrate runs an ALTER TABLE ... ADD COLUMN only
-- when the column is not there yet (migrate.go), which makes this safe to
-- run again. The column goes last, so that adding it is instant on MariaDB
-- 10.3+ and MySQL 8.0.12+ however large the table.
ALTER TABLE logstats_raw_requests ADD COLUMN method VARBINARY(32) NOT NULL DEFAULT '';
