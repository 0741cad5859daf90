-- See migrations/mysql/0012_alerts.sql.
CREATE TABLE IF NOT EXISTS logstats_objective_states (
    customer_id TEXT NOT NULL,
    objective   TEXT NOT NULL,
    met         INTEGER NOT NULL,
    updated_us  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, objective)
);

CREATE TABLE IF NOT EXISTS logstats_alert_outbox (
    event_id    TEXT NOT NULL PRIMARY KEY,
    customer_id TEXT NOT NULL,
    body        BLOB NOT NULL,
    created_us  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    next_us     INTEGER NOT NULL
);
