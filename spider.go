package logstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
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
	var xa int
	if err := db.QueryRowContext(ctx, `SELECT @@spider_internal_xa`).Scan(&xa); err != nil {
		return err
	}
	if xa != 1 {
		return fmt.Errorf("%w: spider_internal_xa is OFF, so a shard that dies while a batch commits can keep half of it (and the ledger the other half): set spider_internal_xa=ON in the head's configuration (or start it with --spider-internal-xa=ON)", ErrSpiderUnsafe)
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

// A serverDefinition is a shard as the head's mysql.servers has it.
type serverDefinition struct {
	name, host, db string
	port           int
}

// serverDefinitions returns the head's server definitions of headDB's
// shards (<db>_shard<n>), in shard order.
func serverDefinitions(ctx context.Context, db *sql.DB, headDB string) ([]serverDefinition, error) {
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
	if err := checkShardHosts(ctx, ing.db); err != nil {
		return true, err
	}
	_, err = resolveInDoubt(ctx, ing.db)
	return true, err
}

// onHead reports whether the Ingester's database was found to be a Spider
// head.
func (ing *Ingester) onHead() bool {
	ing.spider.mu.Lock()
	defer ing.spider.mu.Unlock()
	return ing.spider.isHead
}

// checkShardHosts returns ErrSpiderUnsafe when two of the head's server
// definitions for this database (MigrateSharded's) have the same host.
func checkShardHosts(ctx context.Context, db *sql.DB) error {
	var name string
	if err := db.QueryRowContext(ctx, `SELECT DATABASE()`).Scan(&name); err != nil {
		return err
	}
	servers, err := serverDefinitions(ctx, db, name)
	if err != nil {
		return fmt.Errorf("%w: read the head's server definitions (mysql.servers): %v; grant the user SELECT on mysql.servers", ErrSpiderUnsafe, err)
	}
	seen := make(map[string]string)
	for _, s := range servers {
		if other, dup := seen[s.host]; dup {
			return fmt.Errorf("%w: the shards %s and %s are both on host %s; Spider's XA tells shards apart by host, not port: give each its own address and provision a new database over them",
				ErrSpiderUnsafe, other, s.name, s.host)
		}
		seen[s.host] = s.name
	}
	return nil
}

// resolveInDoubt settles what a shard that died during a batch's
// two-phase commit left in the head's XA record (mysql.spider_xa):
//   - a transaction the head decided to commit (status COMMIT) but could not
//     finish on a dead shard: that shard comes back with its branch prepared,
//     its rows invisible and locked. It runs XA COMMIT on every member,
//     through the head (spider_direct_sql); a member without the branch
//     (committed already) answers NULL. Committing is right whatever else
//     happens: the head had decided.
//   - a transaction abandoned before that decision (status NOT YET) and
//     prepared on no member any more: its record is forgotten, as the head
//     gives its XA id to a later transaction, which would fail with "This
//     xid already exists" (12605).
//
// A NOT YET transaction still prepared on a member is left alone: it may
// be in flight. It returns how many records it settled.
func resolveInDoubt(ctx context.Context, db *sql.DB) (int, error) {
	conn, err := db.Conn(ctx) // one session: its temporary table
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT x.format_id, x.gtrid_length, x.bqual_length, x.data, x.status, m.host, m.port, m.username, m.password
		FROM mysql.spider_xa x JOIN mysql.spider_xa_member m
			ON m.format_id = x.format_id AND m.gtrid_length = x.gtrid_length AND m.bqual_length = x.bqual_length AND m.data = x.data`)
	if err != nil {
		return 0, fmt.Errorf("%w: read the head's XA record (mysql.spider_xa) to settle transactions a dead shard left: %v; grant the user SELECT and DELETE on mysql.spider_xa and mysql.spider_xa_member", ErrSpiderUnsafe, err)
	}
	type member struct {
		format, glen, blen           int
		data                         []byte
		status, host, port, user, pw string
	}
	var members []member
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.format, &m.glen, &m.blen, &m.data, &m.status, &m.host, &m.port, &m.user, &m.pw); err != nil {
			rows.Close()
			return 0, err
		}
		if m.glen < 1 || m.blen < 0 || m.glen+m.blen > len(m.data) {
			rows.Close()
			return 0, fmt.Errorf("%w: mysql.spider_xa holds a malformed XA id", ErrSpiderUnsafe)
		}
		m.data = m.data[:m.glen+m.blen]
		members = append(members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(members) == 0 {
		return 0, nil
	}
	params := func(m member) string {
		return fmt.Sprintf(`host "%s", port "%s", user "%s", password "%s"`, spiderParam(m.host), spiderParam(m.port), spiderParam(m.user), spiderParam(m.pw))
	}
	// What each member holds prepared, by XA id.
	prepared := make(map[string]map[string]bool)
	preparedOn := func(m member) (map[string]bool, error) {
		key := m.host + ":" + m.port
		if p, ok := prepared[key]; ok {
			return p, nil
		}
		if _, err := conn.ExecContext(ctx, `CREATE TEMPORARY TABLE IF NOT EXISTS logstats_xa_recover
			(formatID INT, gtrid_length INT, bqual_length INT, data VARBINARY(128))`); err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, `DELETE FROM logstats_xa_recover`); err != nil {
			return nil, err
		}
		var ok sql.NullInt64
		if err := conn.QueryRowContext(ctx, `SELECT spider_direct_sql('XA RECOVER', 'logstats_xa_recover', ?)`, params(m)).Scan(&ok); err != nil {
			return nil, fmt.Errorf("XA RECOVER on the shard at %s: %w", key, err)
		}
		p := make(map[string]bool)
		rows, err := conn.QueryContext(ctx, `SELECT formatID, data FROM logstats_xa_recover`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var f int
			var data []byte
			if err := rows.Scan(&f, &data); err != nil {
				return nil, err
			}
			p[fmt.Sprintf("%d:%x", f, data)] = true
		}
		prepared[key] = p
		return p, rows.Err()
	}
	byXID := make(map[string][]member)
	var order []string
	for _, m := range members {
		id := fmt.Sprintf("%d:%x", m.format, m.data)
		if byXID[id] == nil {
			order = append(order, id)
		}
		byXID[id] = append(byXID[id], m)
	}
	settled := 0
	for _, id := range order {
		ms := byXID[id]
		xid := fmt.Sprintf("0x%x,0x%x,%d", ms[0].data[:ms[0].glen], ms[0].data[ms[0].glen:], ms[0].format)
		if ms[0].status == "COMMIT" {
			for _, m := range ms {
				var res sql.NullInt64
				if err := conn.QueryRowContext(ctx, `SELECT spider_direct_sql(?, '', ?)`, "XA COMMIT "+xid, params(m)).Scan(&res); err != nil {
					return settled, fmt.Errorf("XA COMMIT %s on the shard at %s:%s, which the head decided to commit: %w", xid, m.host, m.port, err)
				}
				if !res.Valid {
					if err := onlyUnknownXID(ctx, conn); err != nil {
						return settled, fmt.Errorf("XA COMMIT %s on the shard at %s:%s, which the head decided to commit: %w", xid, m.host, m.port, err)
					}
				}
			}
		} else {
			live := false
			for _, m := range ms {
				p, err := preparedOn(m)
				if err != nil {
					return settled, err
				}
				live = live || p[id]
			}
			if live {
				continue
			}
		}
		for _, table := range []string{"mysql.spider_xa_member", "mysql.spider_xa"} {
			if _, err := conn.ExecContext(ctx, `DELETE FROM `+table+` WHERE format_id = ? AND gtrid_length = ? AND bqual_length = ? AND LEFT(data, ?) = ?`,
				ms[0].format, ms[0].glen, ms[0].blen, len(ms[0].data), ms[0].data); err != nil {
				return settled, fmt.Errorf("forget the settled XA transaction %s: %w", xid, err)
			}
		}
		settled++
	}
	return settled, nil
}

// onlyUnknownXID returns nil when the warnings of conn's last statement, a
// spider_direct_sql that answered NULL, are only XAER_NOTA (1397: the
// member has no such branch, as it committed already), and an error with
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
