package spider

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/logstats/logstats"
)

// inDoubt lists the XA branches each shard of the head db holds prepared,
// and the transactions the head decided to commit but has not finished.
func inDoubt(ctx context.Context, db *sql.DB) ([]logstats.Discrepancy, error) {
	servers, err := headServers(ctx, db)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx) // one session: its temporary table
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	branches, err := preparedOnShards(ctx, conn, servers)
	if err != nil {
		return nil, err
	}
	var found []logstats.Discrepancy
	for _, b := range branches {
		s := b.shard
		found = append(found, logstats.Discrepancy{Kind: "in-doubt", XID: fmt.Sprintf("%s on %s (%s:%d), format %d", strconv.Quote(string(b.gtrid)+string(b.bqual)), s.name, s.host, s.port, b.format),
			Expected: "no prepared XA branch on the shard",
			Found:    "prepared: a load in flight, or one a shard's death left; a load through the head completes those its head decided to commit and rolls back those it gave up"})
	}
	rows, err := conn.QueryContext(ctx, `SELECT data FROM mysql.spider_xa WHERE status = 'COMMIT'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		found = append(found, logstats.Discrepancy{Kind: "in-doubt", XID: strconv.Quote(string(data)) + " in mysql.spider_xa on the head",
			Expected: "no transaction decided and unfinished", Found: "decided to commit and not finished on every shard; the next load through the head finishes it"})
	}
	return found, rows.Err()
}
