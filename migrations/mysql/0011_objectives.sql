-- Objectives (SPEC §15): a customer's own, which replace the server's
-- defaults (-slo) for it; "" is none at all. updated_us changes with each
-- write, so that a StatsService's cache sees the change.
CREATE TABLE IF NOT EXISTS logstats_objectives (
    customer_id VARBINARY(128) NOT NULL PRIMARY KEY,
    objectives  VARBINARY(1024) NOT NULL,
    updated_us  BIGINT NOT NULL
) ENGINE=InnoDB;
