-- See migrations/mysql/0010_dimensions.sql.
ALTER TABLE logstats_source_formats ADD COLUMN dimensions TEXT NOT NULL DEFAULT '';
ALTER TABLE logstats_raw_requests ADD COLUMN dim1 TEXT NOT NULL DEFAULT '';
ALTER TABLE logstats_raw_requests ADD COLUMN dim2 TEXT NOT NULL DEFAULT '';
ALTER TABLE logstats_raw_requests ADD COLUMN dim3 TEXT NOT NULL DEFAULT '';
ALTER TABLE logstats_raw_requests ADD COLUMN dim4 TEXT NOT NULL DEFAULT '';
