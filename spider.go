package logstats

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// MariaDB Spider: a head server whose tables are links to tables on other
// MariaDB servers (the shards), partitioned across them. logstats shards
// the raw requests and the rollups by customer id, so that a customer's
// rows, and the work of its stats queries, are on one shard; the small
// tables (the ledger, the settings, the migrations) are on the first
// shard, so that a batch's ledger update is in the same Spider (XA)
// transaction as its rows and the head holds no data of its own.

// ErrSpiderUnsafe means a Spider head is not set up so that a batch
// commits on every shard or on none. Its message says what to change.
var ErrSpiderUnsafe = newError(KindUnavailable, "logstats: the Spider head cannot commit across shards atomically")

// ErrSpiderSetup means provisioning a Spider head and its shards was
// refused: the head already holds other tables, or the shards are
// described wrongly.
var ErrSpiderSetup = newError(KindInvalid, "logstats: cannot provision the Spider head")

// A Shard is one MariaDB server behind a Spider head, as MigrateSharded
// needs it: DB, to create its tables, and where the head reaches it.
type Shard struct {
	DB                       *sql.DB
	Host                     string
	Port                     int
	User, Password, Database string
}

// shardedTables are the tables partitioned by customer id across the
// shards; the others are on the first shard.
var shardedTables = map[string]bool{"logstats_raw_requests": true, "logstats_rollups": true}

// MigrateSharded provisions a MariaDB Spider head and its shards: it runs
// the migrations on every shard (InnoDB tables), then creates on the head a
// server definition per shard and, for each table, a Spider table that
// links to it: the raw requests and the rollups partitioned by KEY
// (customer_id) over the shards, the other tables on the first shard. It
// can be run again (after adding nothing; growing the number of shards is a
// migration of its own, see the README). It refuses, creating nothing on
// the head, when the head already holds a logstats table that is not a
// Spider table, when it has no Spider engine or spider_internal_xa is off,
// and when two shards have the same host (Spider's XA tells its members
// apart by host, not port). Later processes need only the head: [Migrate]
// on it then finds every migration applied.
func MigrateSharded(ctx context.Context, head *sql.DB, shards []Shard) error {
	return classify(driverOf(head), migrateSharded(ctx, head, shards))
}

func migrateSharded(ctx context.Context, head *sql.DB, shards []Shard) error {
	if len(shards) == 0 {
		return fmt.Errorf("%w: no shards given", ErrSpiderSetup)
	}
	hosts := make(map[string]int)
	for i, s := range shards {
		if s.DB == nil || s.Host == "" || s.Port == 0 || s.Database == "" {
			return fmt.Errorf("%w: shard %d needs a database, a host, a port and a database name", ErrSpiderSetup, i+1)
		}
		if j, dup := hosts[s.Host]; dup {
			return fmt.Errorf("%w: shards %d and %d are both on host %s; Spider's XA tells shards apart by host, not port, so give each its own address (127.0.0.1, 127.0.0.2, ... on one machine)",
				ErrSpiderUnsafe, j+1, i+1, s.Host)
		}
		hosts[s.Host] = i
	}
	if err := checkSpiderHead(ctx, head); err != nil {
		return err
	}
	var headDB string
	if err := head.QueryRowContext(ctx, `SELECT DATABASE()`).Scan(&headDB); err != nil || headDB == "" {
		return fmt.Errorf("%w: the head's DSN names no database (%v)", ErrSpiderSetup, err)
	}
	if !plainName.MatchString(headDB) {
		return fmt.Errorf("%w: the head's database %q: use a name of at most 50 letters, digits and underscores (it names the server definitions)", ErrSpiderSetup, headDB)
	}
	for i, s := range shards {
		for _, v := range []string{s.Host, s.User, s.Password, s.Database} {
			if strings.ContainsAny(v, `'"\`) {
				return fmt.Errorf("%w: shard %d: a host, user, password or database with a quote or a backslash cannot go into a server definition safely; choose another", ErrSpiderSetup, i+1)
			}
		}
	}
	if err := sameShards(ctx, head, headDB, shards); err != nil {
		return err
	}
	local, err := headTables(ctx, head)
	if err != nil {
		return err
	}
	for name, engine := range local {
		if !strings.EqualFold(engine, "SPIDER") {
			return fmt.Errorf("%w: the head's database %s already holds %s, a %s table: a head keeps no data of its own. Provision an empty database on the head (or drop the logstats tables there)",
				ErrSpiderSetup, headDB, name, engine)
		}
	}
	for i, s := range shards {
		if err := MigrateDialect(ctx, s.DB, DialectMySQL); err != nil {
			return fmt.Errorf("migrate shard %d (%s:%d): %w", i+1, s.Host, s.Port, err)
		}
	}
	servers := make([]string, len(shards))
	for i, s := range shards {
		servers[i] = fmt.Sprintf("%s_shard%d", headDB, i+1)
		if _, err := head.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE SERVER %s FOREIGN DATA WRAPPER mysql
			OPTIONS (HOST '%s', PORT %d, USER '%s', PASSWORD '%s', DATABASE '%s')`,
			quoteIdent(servers[i]), quoteString(s.Host), s.Port, quoteString(s.User), quoteString(s.Password), quoteString(s.Database))); err != nil {
			return fmt.Errorf("create the server definition of shard %d: %w", i+1, err)
		}
	}
	tables, err := shardTableDefinitions(ctx, shards[0].DB)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if _, ok := local[t.name]; ok {
			continue
		}
		stmt := t.columns + ` ENGINE=SPIDER COMMENT='wrapper "mysql", table "` + t.name + `"`
		if shardedTables[t.name] {
			parts := make([]string, len(servers))
			for i, srv := range servers {
				parts[i] = fmt.Sprintf(`PARTITION p%d COMMENT = 'srv "%s"'`, i+1, srv)
			}
			stmt += `' PARTITION BY KEY (customer_id) (` + strings.Join(parts, ", ") + `)`
		} else {
			stmt += `, srv "` + servers[0] + `"'`
		}
		if _, err := head.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create the Spider table %s on the head: %w", t.name, err)
		}
	}
	return nil
}

// checkSpiderHead returns ErrSpiderUnsafe unless db has the Spider engine
// with spider_internal_xa on.
func checkSpiderHead(ctx context.Context, db *sql.DB) error {
	var support string
	err := db.QueryRowContext(ctx, `SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'SPIDER'`).Scan(&support)
	if errors.Is(err, sql.ErrNoRows) || err == nil && support != "YES" && support != "DEFAULT" {
		return fmt.Errorf("%w: the server has no Spider engine; install it (Debian: mariadb-plugin-spider) and run INSTALL SONAME 'ha_spider', or start it with --plugin-load-add=ha_spider", ErrSpiderUnsafe)
	}
	if err != nil {
		return err
	}
	var xa, idType int
	if err := db.QueryRowContext(ctx, `SELECT @@spider_internal_xa, @@spider_internal_xa_id_type`).Scan(&xa, &idType); err != nil {
		return err
	}
	if xa != 1 {
		return fmt.Errorf("%w: spider_internal_xa is OFF, so a shard that dies while a batch commits can keep half of it (and the ledger the other half): set spider_internal_xa=ON in the head's configuration (or start it with --spider-internal-xa=ON)", ErrSpiderUnsafe)
	}
	if idType != 1 {
		return fmt.Errorf("%w: spider_internal_xa_id_type is %d, so a session's XA transactions all have one id, and a transaction a dead shard left cannot be told from the session's next one: set spider_internal_xa_id_type=1 in the head's configuration (or start it with --spider-internal-xa-id-type=1)", ErrSpiderUnsafe, idType)
	}
	return nil
}

// headTables returns the logstats tables in db's database, by name, with
// their engines.
func headTables(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, COALESCE(ENGINE, '') FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'logstats\_%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			return nil, err
		}
		out[name] = engine
	}
	return out, rows.Err()
}

// A tableDefinition is a shard's table: its name, and its CREATE TABLE IF
// NOT EXISTS statement up to the closing parenthesis of its columns and
// keys.
type tableDefinition struct{ name, columns string }

func shardTableDefinitions(ctx context.Context, db *sql.DB) ([]tableDefinition, error) {
	tables, err := headTables(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list the first shard's tables: %w", err)
	}
	var out []tableDefinition
	for name := range tables {
		var n, create string
		if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteIdent(name)).Scan(&n, &create); err != nil {
			return nil, fmt.Errorf("read the definition of %s on the first shard: %w", name, err)
		}
		end := strings.LastIndex(create, ")")
		if !strings.HasPrefix(create, "CREATE TABLE ") || end < 0 {
			return nil, fmt.Errorf("read the definition of %s on the first shard: unexpected %q", name, create)
		}
		out = append(out, tableDefinition{name, "CREATE TABLE IF NOT EXISTS " + create[len("CREATE TABLE "):end+1]})
	}
	return out, nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// quoteString makes s a string literal's content; migrateSharded refuses
// values with quotes or backslashes, so this is belt and braces.
func quoteString(s string) string { return strings.ReplaceAll(s, `'`, `''`) }

// plainName is a database name that can go into server names and Spider
// comments as it is.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_]{1,50}$`)

// sameShards refuses a provisioning run whose shards differ from those the
// head's tables already link to: the links would then point at other
// servers (the ledger at an empty one), and every source load again.
func sameShards(ctx context.Context, head *sql.DB, headDB string, shards []Shard) error {
	existing, err := serverDefinitions(ctx, head, headDB)
	if err != nil || len(existing) == 0 {
		return err
	}
	if len(existing) != len(shards) {
		return fmt.Errorf("%w: the head's database %s is provisioned over %d shards, not %d: growing or shrinking is a migration of its own (see the README's Scaling out)", ErrSpiderSetup, headDB, len(existing), len(shards))
	}
	for i, s := range shards {
		e := existing[i]
		if e.host != s.Host || e.port != s.Port || e.db != s.Database {
			return fmt.Errorf("%w: shard %d of %s is %s:%d/%s, not %s:%d/%s: give the shards in the order, and at the addresses, they were provisioned with", ErrSpiderSetup,
				i+1, headDB, e.host, e.port, e.db, s.Host, s.Port, s.Database)
		}
	}
	return nil
}

// A queryer is a *sql.DB or a *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// A serverDefinition is a shard as the head's mysql.servers has it.
type serverDefinition struct {
	name, host, db string
	port           int
}

// serverDefinitions returns the head's server definitions of headDB's
// shards (<db>_shard<n>), in shard order.
func serverDefinitions(ctx context.Context, db queryer, headDB string) ([]serverDefinition, error) {
	rows, err := db.QueryContext(ctx, `SELECT Server_name, Host, Port, Db FROM mysql.servers`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byN := make(map[int]serverDefinition)
	for rows.Next() {
		var s serverDefinition
		if err := rows.Scan(&s.name, &s.host, &s.port, &s.db); err != nil {
			return nil, err
		}
		rest, ok := strings.CutPrefix(s.name, headDB+"_shard")
		if n, err := strconv.Atoi(rest); ok && err == nil && n > 0 {
			byN[n] = s
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]serverDefinition, 0, len(byN))
	for n := 1; n <= len(byN); n++ {
		s, ok := byN[n]
		if !ok {
			return nil, fmt.Errorf("%w: the head has server definitions of %s but not %s_shard%d", ErrSpiderSetup, headDB, headDB, n)
		}
		out = append(out, s)
	}
	return out, nil
}

// isSpiderHead reports whether db's raw requests are a Spider table.
func isSpiderHead(ctx context.Context, db *sql.DB) bool {
	var engine string
	err := db.QueryRowContext(ctx, `SELECT COALESCE(ENGINE, '') FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'logstats_raw_requests'`).Scan(&engine)
	return err == nil && strings.EqualFold(engine, "SPIDER")
}

// A spiderState is whether an Ingester's database is a Spider head,
// found out at its first load.
type spiderState struct {
	mu     sync.Mutex
	known  bool
	isHead bool
}

// checkHead tells whether the Ingester's database is a Spider head, and
// returns ErrSpiderUnsafe when it is one that cannot commit a batch on
// every shard or on none (checked at every load: a head's settings can
// change while the Ingester lives). On a head, it first completes the
// transactions a dead shard left prepared (resolveInDoubt).
func (ing *Ingester) checkHead(ctx context.Context, d Dialect) (isHead bool, err error) {
	if d != DialectMySQL {
		return false, nil
	}
	s := &ing.spider
	s.mu.Lock()
	known, isHead := s.known, s.isHead
	s.mu.Unlock()
	if !known {
		var engine string
		err := ing.db.QueryRowContext(ctx, `SELECT COALESCE(ENGINE, '') FROM information_schema.TABLES
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'logstats_raw_requests'`).Scan(&engine)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
		isHead = strings.EqualFold(engine, "SPIDER")
		s.mu.Lock()
		s.known, s.isHead = true, isHead
		s.mu.Unlock()
	}
	if !isHead {
		return false, nil
	}
	if err := checkSpiderHead(ctx, ing.db); err != nil {
		return true, err
	}
	servers, err := checkShardHosts(ctx, ing.db)
	if err != nil {
		return true, err
	}
	_, err = resolveInDoubt(ctx, ing.db, servers)
	return true, err
}

// onHead reports whether the Ingester's database was found to be a Spider
// head.
func (ing *Ingester) onHead() bool {
	ing.spider.mu.Lock()
	defer ing.spider.mu.Unlock()
	return ing.spider.isHead
}

// checkShardHosts returns the head's server definitions for this
// database (MigrateSharded's), or ErrSpiderUnsafe when two of them have
// the same host.
func checkShardHosts(ctx context.Context, db *sql.DB) ([]serverDefinition, error) {
	servers, err := headServers(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("%w: read the head's server definitions (mysql.servers): %v; grant the user SELECT on mysql.servers", ErrSpiderUnsafe, err)
	}
	seen := make(map[string]string)
	for _, s := range servers {
		if other, dup := seen[s.host]; dup {
			return nil, fmt.Errorf("%w: the shards %s and %s are both on host %s; Spider's XA tells shards apart by host, not port: give each its own address and provision a new database over them",
				ErrSpiderUnsafe, other, s.name, s.host)
		}
		seen[s.host] = s.name
	}
	return servers, nil
}

// headServers returns the head's server definitions of the shards of db's
// database.
func headServers(ctx context.Context, db queryer) ([]serverDefinition, error) {
	var name string
	if err := db.QueryRowContext(ctx, `SELECT DATABASE()`).Scan(&name); err != nil {
		return nil, err
	}
	return serverDefinitions(ctx, db, name)
}

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
		return nil, fmt.Errorf("%w: read the head's XA record (mysql.spider_xa) to settle transactions a dead shard left: %v; grant the user SELECT and DELETE on mysql.spider_xa and mysql.spider_xa_member", ErrSpiderUnsafe, err)
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
			return nil, fmt.Errorf("%w: mysql.spider_xa holds a malformed XA id", ErrSpiderUnsafe)
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
			return fmt.Errorf("%w: the shard answered %s %d: %s", ErrSpiderUnsafe, level, code, msg)
		}
	}
	return rows.Err()
}

// spiderParam escapes s for a Spider connection parameter in double quotes.
func spiderParam(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) }
