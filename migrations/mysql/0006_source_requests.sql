-- Each source counts the requests its committed lines hold, and those of
-- them pruned since, so that Verify can check its raw rows: committed less
-- pruned of them must be there. -1: the source was loaded before this
-- migration, and its requests were not counted (Verify checks only its
-- offsets).
--
-- Migrate runs an ALTER TABLE ... ADD COLUMN only when the column is not
-- there yet (MySQL commits DDL at once), which makes this safe to run again.
ALTER TABLE logstats_sources ADD COLUMN committed_requests BIGINT NOT NULL DEFAULT -1;
ALTER TABLE logstats_sources ADD COLUMN pruned_requests BIGINT NOT NULL DEFAULT 0;
