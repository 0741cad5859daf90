package logstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

func quoteIdent(s string) string  { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
func quoteString(s string) string { return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) }

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
// change while the Ingester lives).
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
	return true, checkShardHosts(ctx, ing.db)
}

// onHead reports whether the Ingester's database was found to be a Spider
// head.
func (ing *Ingester) onHead() bool {
	ing.spider.mu.Lock()
	defer ing.spider.mu.Unlock()
	return ing.spider.isHead
}

// checkShardHosts returns ErrSpiderUnsafe when two of the head's server
// definitions for this database (MigrateSharded's) have the same host. A
// user who may not read mysql.servers is not checked.
func checkShardHosts(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT Server_name, Host FROM mysql.servers WHERE Server_name LIKE CONCAT(DATABASE(), '\_shard%')`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	seen := make(map[string]string)
	for rows.Next() {
		var name, host string
		if err := rows.Scan(&name, &host); err != nil {
			return nil
		}
		if other, dup := seen[host]; dup {
			return fmt.Errorf("%w: the shards %s and %s are both on host %s; Spider's XA tells shards apart by host, not port: give each its own address and run MigrateSharded again",
				ErrSpiderUnsafe, other, name, host)
		}
		seen[host] = name
	}
	return nil
}
