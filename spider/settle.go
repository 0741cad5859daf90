package spider

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// resolveInDoubt settles what a shard that died during a batch's
// two-phase commit left in the head's XA record (mysql.spider_xa). Spider
// writes a transaction's record in its COMMIT statement, as NOT YET, then
// prepares every member, marks it COMMIT, commits every member and deletes
// it; a member that dies on the way leaves the record behind:
//   - COMMIT: the head decided to commit, but a dead member comes back with
//     its branch prepared, its rows invisible and locked. It runs XA COMMIT
//     on every member, through the head (spider_direct_sql); a member
//     without the branch (committed already) answers XAER_NOTA.
//   - NOT YET: abandoned before that decision, so the transaction failed
//     for its client, and any member that holds its branch prepared rolls
//     it back (XA ROLLBACK, presumed abort).
//
// Either way the record is then forgotten. A record is settled only once
// the head session that wrote it has left that COMMIT statement: it is
// gone, or idle, or it is this one (spider_internal_xa_id_type=1 makes the
// session's thread id and the query id the XA id, so a record is never
// confused with the session's next transaction). A record of a session the
// user cannot see (no PROCESS privilege) is left alone; Verify reports it.
//
// Then it rolls back the branches of this head's transactions that a shard
// holds prepared and the record does not know (rollBackOrphans): the head
// forgot them without deciding to commit. It returns how many transactions
// it settled.
func resolveInDoubt(ctx context.Context, db *sql.DB, servers []serverDefinition) (int, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	records, err := xaRecords(ctx, conn)
	if err != nil {
		return 0, err
	}
	settled, err := settleRecords(ctx, conn, records)
	if err != nil {
		return settled, err
	}
	orphans, err := rollBackOrphans(ctx, conn, servers)
	return settled + orphans, err
}

// settleRecords settles the records whose session is done.
func settleRecords(ctx context.Context, conn *sql.Conn, records []*xaRecord) (int, error) {
	if len(records) == 0 {
		return 0, nil
	}
	done, err := sessionsDone(ctx, conn)
	if err != nil {
		return 0, err
	}
	settled := 0
	for _, r := range records {
		if !done(r.thread) {
			continue // in its COMMIT statement still
		}
		verb := "XA ROLLBACK"
		if r.status == "COMMIT" {
			verb = "XA COMMIT"
		}
		for _, m := range r.members {
			params := fmt.Sprintf(`host "%s", port "%s", user "%s", password "%s"`,
				spiderParam(m.host), spiderParam(m.port), spiderParam(m.user), spiderParam(m.password))
			if err := endOnShard(ctx, conn, verb+" "+r.xid(), params); err != nil {
				return settled, fmt.Errorf("%s %s on the shard at %s:%s (the head's record says %s): %w", verb, r.xid(), m.host, m.port, r.status, err)
			}
		}
		for _, table := range []string{"mysql.spider_xa_member", "mysql.spider_xa"} {
			if _, err := conn.ExecContext(ctx, `DELETE FROM `+table+` WHERE format_id = ? AND gtrid_length = ? AND bqual_length = ? AND LEFT(data, ?) = ?`,
				r.format, len(r.gtrid), len(r.bqual), len(r.gtrid)+len(r.bqual), append(slices.Clip(r.gtrid), r.bqual...)); err != nil {
				return settled, fmt.Errorf("forget the settled XA transaction %s: %w", r.xid(), err)
			}
		}
		settled++
	}
	return settled, nil
}

// An xaRecord is a transaction in the head's mysql.spider_xa, with its
// members from mysql.spider_xa_member.
type xaRecord struct {
	format       int
	gtrid, bqual []byte
	status       string
	thread       int64 // the head session that wrote it; -1: unknown
	members      []xaMember
}

type xaMember struct{ host, port, user, password string }

// xid is the record's XA id as XA COMMIT and XA ROLLBACK take it.
func (r *xaRecord) xid() string { return formatXID(r.format, r.gtrid, r.bqual) }

// formatXID writes an XA id as XA COMMIT and XA ROLLBACK take it.
func formatXID(format int, gtrid, bqual []byte) string {
	return fmt.Sprintf("0x%x,0x%x,%d", gtrid, bqual, format)
}

// endOnShard runs stmt, an XA COMMIT or XA ROLLBACK, on the shard that
// params name (spider_direct_sql's connection parameters), through the
// head; a shard without the branch (ended already) is no error.
func endOnShard(ctx context.Context, conn *sql.Conn, stmt, params string) error {
	var res sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT spider_direct_sql(?, '', ?)`, stmt, params).Scan(&res); err != nil {
		return err
	}
	if !res.Valid {
		return onlyUnknownXID(ctx, conn)
	}
	return nil
}

// xaRecords reads the head's XA record.
func xaRecords(ctx context.Context, conn *sql.Conn) ([]*xaRecord, error) {
	rows, err := conn.QueryContext(ctx, `SELECT x.format_id, x.gtrid_length, x.bqual_length, x.data, x.status, m.host, m.port, m.username, m.password
		FROM mysql.spider_xa x JOIN mysql.spider_xa_member m
			ON m.format_id = x.format_id AND m.gtrid_length = x.gtrid_length AND m.bqual_length = x.bqual_length AND m.data = x.data
		ORDER BY x.data`)
	if err != nil {
		return nil, fmt.Errorf("%w: read the head's XA record (mysql.spider_xa) to settle transactions a dead shard left: %v; grant the user SELECT and DELETE on mysql.spider_xa and mysql.spider_xa_member", ErrUnsafe, err)
	}
	defer rows.Close()
	var out []*xaRecord
	for rows.Next() {
		var r xaRecord
		var glen, blen int
		var data []byte
		var m xaMember
		if err := rows.Scan(&r.format, &glen, &blen, &data, &r.status, &m.host, &m.port, &m.user, &m.password); err != nil {
			return nil, err
		}
		if glen < 1 || blen < 0 || glen+blen > len(data) {
			return nil, fmt.Errorf("%w: mysql.spider_xa holds a malformed XA id", ErrUnsafe)
		}
		r.gtrid, r.bqual = data[:glen:glen], data[glen:glen+blen]
		if last := len(out) - 1; last >= 0 && out[last].format == r.format && bytes.Equal(out[last].gtrid, r.gtrid) && bytes.Equal(out[last].bqual, r.bqual) {
			out[last].members = append(out[last].members, m)
			continue
		}
		r.thread = xaThread(r.gtrid)
		r.members = []xaMember{m}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// xaThread returns the head session that Spider named a transaction after:
// its gtrid is the session's thread id in hex, followed with
// spider_internal_xa_id_type=1 by 16 hex digits of a query id. It returns
// -1 for a gtrid of another shape.
func xaThread(gtrid []byte) int64 {
	hex := string(gtrid)
	if len(hex) > 16 {
		hex = hex[:len(hex)-16]
	}
	id, err := strconv.ParseInt(hex, 16, 64)
	if err != nil {
		return -1
	}
	return id
}

// sessionsDone returns whether a head session is outside any statement:
// gone, idle, or conn's own. A session this user cannot see (only a user
// with the PROCESS privilege sees every session) counts as busy.
func sessionsDone(ctx context.Context, conn *sql.Conn) (func(thread int64) bool, error) {
	var own int64
	var seeAll bool
	if err := conn.QueryRowContext(ctx, `SELECT CONNECTION_ID(), EXISTS(SELECT 1 FROM information_schema.USER_PRIVILEGES
		WHERE PRIVILEGE_TYPE = 'PROCESS' AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''))`).Scan(&own, &seeAll); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, `SELECT ID, COMMAND FROM information_schema.PROCESSLIST`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	command := make(map[int64]string)
	for rows.Next() {
		var id int64
		var cmd string
		if err := rows.Scan(&id, &cmd); err != nil {
			return nil, err
		}
		command[id] = cmd
	}
	return func(thread int64) bool {
		cmd, alive := command[thread]
		switch {
		case thread < 0:
			return false
		case thread == own:
			return true
		case alive:
			return cmd == "Sleep"
		default:
			return seeAll
		}
	}, rows.Err()
}

// rollBackOrphans rolls back, with XA ROLLBACK on their shard, the
// branches that a shard holds prepared, that this head named (Spider's
// shape: format 1, the head's server id as bqual) and that its record does
// not know. Spider writes the record before the first XA PREPARE and
// forgets it only once every member committed, or when it gives a
// transaction up before deciding to commit (a member died in XA PREPARE):
// a branch prepared with no record is one it gave up (presumed abort). A
// branch counts as one only when it is prepared in two reads of the shards
// with the read of the record between them, so that a commit in flight,
// whose record appears before its branches are prepared and goes after
// they are committed, is never taken for one. It returns how many
// transactions it rolled back.
func rollBackOrphans(ctx context.Context, conn *sql.Conn, servers []serverDefinition) (int, error) {
	branches, err := preparedOnShards(ctx, conn, servers)
	if err != nil || len(branches) == 0 {
		return 0, err
	}
	records, err := xaRecords(ctx, conn)
	if err != nil {
		return 0, err
	}
	known := make(map[string]bool, len(records))
	for _, r := range records {
		known[string(r.gtrid)] = true
	}
	var serverID int64
	if err := conn.QueryRowContext(ctx, `SELECT @@server_id`).Scan(&serverID); err != nil {
		return 0, err
	}
	ours := []byte(strconv.FormatInt(serverID, 16))
	key := func(b preparedBranch) string { return b.shard.name + " " + formatXID(b.format, b.gtrid, b.bqual) }
	orphan := make(map[string]bool)
	for _, b := range branches {
		if b.format == 1 && bytes.Equal(b.bqual, ours) && !known[string(b.gtrid)] {
			orphan[key(b)] = true
		}
	}
	if len(orphan) == 0 {
		return 0, nil
	}
	// Prepared before the record was read and still after: given up.
	again, err := preparedOnShards(ctx, conn, servers)
	if err != nil {
		return 0, err
	}
	rolledBack := make(map[string]bool) // by gtrid: a transaction may have a branch on several shards
	for _, b := range again {
		if !orphan[key(b)] {
			continue
		}
		xid := formatXID(b.format, b.gtrid, b.bqual)
		if err := endOnShard(ctx, conn, "XA ROLLBACK "+xid, `srv "`+b.shard.name+`"`); err != nil {
			return len(rolledBack), fmt.Errorf("XA ROLLBACK %s on %s (%s:%d), prepared there and unknown to the head's record: %w", xid, b.shard.name, b.shard.host, b.shard.port, err)
		}
		rolledBack[string(b.gtrid)] = true
	}
	return len(rolledBack), nil
}

// A preparedBranch is an XA branch a shard holds prepared.
type preparedBranch struct {
	shard        serverDefinition
	format       int
	gtrid, bqual []byte
}

// preparedOnShards runs XA RECOVER on each of servers, through the head
// (spider_direct_sql into a temporary table of conn's).
func preparedOnShards(ctx context.Context, conn *sql.Conn, servers []serverDefinition) ([]preparedBranch, error) {
	if _, err := conn.ExecContext(ctx, `CREATE TEMPORARY TABLE IF NOT EXISTS logstats_xa_recover
		(formatID INT, gtrid_length INT, bqual_length INT, data VARBINARY(128))`); err != nil {
		return nil, err
	}
	var out []preparedBranch
	for _, s := range servers {
		if _, err := conn.ExecContext(ctx, `DELETE FROM logstats_xa_recover`); err != nil {
			return nil, err
		}
		var ok sql.NullInt64
		if err := conn.QueryRowContext(ctx, `SELECT spider_direct_sql('XA RECOVER', 'logstats_xa_recover', ?)`, `srv "`+s.name+`"`).Scan(&ok); err != nil {
			return nil, fmt.Errorf("XA RECOVER on %s (%s:%d): %w", s.name, s.host, s.port, err)
		}
		rows, err := conn.QueryContext(ctx, `SELECT formatID, gtrid_length, bqual_length, data FROM logstats_xa_recover`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var b preparedBranch
			var glen, blen int
			var data []byte
			if err := rows.Scan(&b.format, &glen, &blen, &data); err != nil {
				rows.Close()
				return nil, err
			}
			if glen < 0 || blen < 0 || glen+blen > len(data) {
				glen, blen = len(data), 0
			}
			b.shard, b.gtrid, b.bqual = s, data[:glen:glen], data[glen:glen+blen]
			out = append(out, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// onlyUnknownXID returns nil when the warnings of conn's last statement, a
// spider_direct_sql that answered NULL, are only XAER_NOTA (1397: the
// member has no such branch, as it ended already), and an error with
// the warning otherwise: a branch still prepared must not be forgotten.
func onlyUnknownXID(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, `SHOW WARNINGS`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return err
		}
		if code != 1397 {
			return fmt.Errorf("%w: the shard answered %s %d: %s", ErrUnsafe, level, code, msg)
		}
	}
	return rows.Err()
}

// spiderParam escapes s for a Spider connection parameter in double quotes.
func spiderParam(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) }
