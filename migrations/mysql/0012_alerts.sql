-- Alerts (SPEC §15): the state of each customer's objectives, as last
-- evaluated over its window (met 1 or 0), and the events of the changes not
-- delivered yet, each written in the transaction that changes the state, so
-- that a restart neither forgets a change nor sends one twice once
-- delivered (a delivered event's row is deleted).
CREATE TABLE IF NOT EXISTS logstats_objective_states (
    customer_id VARBINARY(128) NOT NULL,
    objective   VARBINARY(64) NOT NULL,
    met         TINYINT NOT NULL,
    updated_us  BIGINT NOT NULL,
    PRIMARY KEY (customer_id, objective)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS logstats_alert_outbox (
    event_id    VARCHAR(32) NOT NULL PRIMARY KEY,
    customer_id VARBINARY(128) NOT NULL,
    body        BLOB NOT NULL,
    created_us  BIGINT NOT NULL,
    attempts    INT NOT NULL,
    next_us     BIGINT NOT NULL
) ENGINE=InnoDB;
