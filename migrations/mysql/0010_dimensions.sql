-- Dimensions (SPEC §14): the ledger records a source's, as its reading
-- ("" for none: every source loaded before), and the raw requests of mode
-- rows keep a value of each, in the order the ledger names them ('' for
-- none). Blocks keep theirs in the block (docs/BLOCKS.md).
--
-- MySQL commits DDL implicitly: Migrate runs each ALTER TABLE ... ADD
-- COLUMN only when the column is not there yet (migrate.go), which makes
-- this safe to run again. The columns go last, so that adding them is
-- instant on MariaDB 10.3+ and MySQL 8.0.12+ however large the table.
ALTER TABLE logstats_source_formats ADD COLUMN dimensions VARBINARY(4500) NOT NULL DEFAULT '';
ALTER TABLE logstats_raw_requests ADD COLUMN dim1 VARBINARY(1024) NOT NULL DEFAULT '';
ALTER TABLE logstats_raw_requests ADD COLUMN dim2 VARBINARY(1024) NOT NULL DEFAULT '';
ALTER TABLE logstats_raw_requests ADD COLUMN dim3 VARBINARY(1024) NOT NULL DEFAULT '';
ALTER TABLE logstats_raw_requests ADD COLUMN dim4 VARBINARY(1024) NOT NULL DEFAULT '';
