-- Settings of the database as a whole, such as the day zone: the zone in
-- which requests are cut into days, chosen before the first load and kept.
CREATE TABLE IF NOT EXISTS logstats_settings (
    name  VARCHAR(64) NOT NULL PRIMARY KEY,
    value VARBINARY(255) NOT NULL
) ENGINE=InnoDB;
