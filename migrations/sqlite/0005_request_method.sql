-- See migrations/mysql/0005_request_method.sql.
ALTER TABLE logstats_raw_requests ADD COLUMN method TEXT NOT NULL DEFAULT '';
