package spider

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/logstats/logstats"
)

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
var shardedTables = map[string]bool{"logstats_raw_requests": true, "logstats_raw_blocks": true, "logstats_rollups": true}

// MigrateSharded provisions a MariaDB Spider head and its shards: it runs
// the migrations on every shard (InnoDB tables), then creates on the head a
// server definition per shard and, for each table, a Spider table that
// links to it: the raw requests and the rollups partitioned by KEY
// (customer_id) over the shards, the other tables on the first shard. It
// can be run again (after adding nothing; growing the number of shards is a
// migration of its own, see docs/SCALING.md). It refuses, creating nothing on
// the head, when the head already holds a logstats table that is not a
// Spider table, when it has no Spider engine or spider_internal_xa is off,
// and when two shards have the same host (Spider's XA tells its members
// apart by host, not port). Later processes need only the head: [Migrate]
// on it then finds every migration applied.
func MigrateSharded(ctx context.Context, head *sql.DB, shards []Shard) error {
	return logstats.ClassifyError(head, migrateSharded(ctx, head, shards))
}

func migrateSharded(ctx context.Context, head *sql.DB, shards []Shard) error {
	if len(shards) == 0 {
		return fmt.Errorf("%w: no shards given", ErrSetup)
	}
	hosts := make(map[string]int)
	for i, s := range shards {
		if s.DB == nil || s.Host == "" || s.Port == 0 || s.Database == "" {
			return fmt.Errorf("%w: shard %d needs a database, a host, a port and a database name", ErrSetup, i+1)
		}
		if j, dup := hosts[s.Host]; dup {
			return fmt.Errorf("%w: shards %d and %d are both on host %s; Spider's XA tells shards apart by host, not port, so give each its own address (127.0.0.1, 127.0.0.2, ... on one machine)",
				ErrUnsafe, j+1, i+1, s.Host)
		}
		hosts[s.Host] = i
	}
	if err := checkEngine(ctx, head); err != nil {
		return err
	}
	var headDB string
	if err := head.QueryRowContext(ctx, `SELECT DATABASE()`).Scan(&headDB); err != nil || headDB == "" {
		return fmt.Errorf("%w: the head's DSN names no database (%v)", ErrSetup, err)
	}
	if !plainName.MatchString(headDB) {
		return fmt.Errorf("%w: the head's database %q: use a name of at most 50 letters, digits and underscores (it names the server definitions)", ErrSetup, headDB)
	}
	for i, s := range shards {
		for _, v := range []string{s.Host, s.User, s.Password, s.Database} {
			if strings.ContainsAny(v, `'"\`) {
				return fmt.Errorf("%w: shard %d: a host, user, password or database with a quote or a backslash cannot go into a server definition safely; choose another", ErrSetup, i+1)
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
				ErrSetup, headDB, name, engine)
		}
	}
	for i, s := range shards {
		if err := logstats.MigrateDialect(ctx, s.DB, logstats.DialectMySQL); err != nil {
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
			same, err := sameColumns(ctx, head, shards[0].DB, t.name)
			if err != nil {
				return err
			}
			if same {
				continue
			}
			// A migration changed the shards' table (a column added): the
			// link, which holds no data, is made again with its columns.
			if _, err := head.ExecContext(ctx, "DROP TABLE "+quoteIdent(t.name)); err != nil {
				return fmt.Errorf("drop the Spider table %s on the head, to link the shards' new columns: %w", t.name, err)
			}
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

// sameColumns reports whether table has the same columns, in the same
// order, on the head and on the first shard.
func sameColumns(ctx context.Context, head, shard *sql.DB, table string) (bool, error) {
	columns := func(db *sql.DB) (string, error) {
		var list sql.NullString
		err := db.QueryRowContext(ctx, `SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table).Scan(&list)
		return list.String, err
	}
	h, err := columns(head)
	if err != nil {
		return false, fmt.Errorf("read the columns of %s on the head: %w", table, err)
	}
	s, err := columns(shard)
	if err != nil {
		return false, fmt.Errorf("read the columns of %s on the first shard: %w", table, err)
	}
	return h == s, nil
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
		return fmt.Errorf("%w: the head's database %s is provisioned over %d shards, not %d: growing or shrinking is a migration of its own (see docs/SCALING.md, Growing)", ErrSetup, headDB, len(existing), len(shards))
	}
	for i, s := range shards {
		e := existing[i]
		if e.host != s.Host || e.port != s.Port || e.db != s.Database {
			return fmt.Errorf("%w: shard %d of %s is %s:%d/%s, not %s:%d/%s: give the shards in the order, and at the addresses, they were provisioned with", ErrSetup,
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
			return nil, fmt.Errorf("%w: the head has server definitions of %s but not %s_shard%d", ErrSetup, headDB, headDB, n)
		}
		out = append(out, s)
	}
	return out, nil
}
