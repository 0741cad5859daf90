// Package testdb gives tests a fresh, migrated database of each backend, so
// that one behaviour suite runs against SQLite and MySQL.
//
// MySQL comes from LOGSTATS_TEST_MYSQL_DSN (mysql://USER[:PASSWORD]@HOST[:PORT]/DBNAME,
// a user that may create databases) or, when a Docker engine answers, from a
// container started with testcontainers-go. Otherwise the MySQL subtests skip
// with a message, or fail when LOGSTATS_TEST_REQUIRE_MYSQL=1.
//
// A third backend, "spider", is a MariaDB Spider head over shards, from the
// cluster.env that scripts/spider.sh writes (LOGSTATS_TEST_SPIDER_ENV): each
// test database is created on the head and on every shard and provisioned
// with spider.MigrateSharded. Without it the spider subtests skip, or fail
// when LOGSTATS_TEST_REQUIRE_SPIDER=1.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/testcontainers/testcontainers-go"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
)

// The environment variables that control the MySQL backend.
const (
	EnvMySQLDSN     = "LOGSTATS_TEST_MYSQL_DSN"
	EnvRequireMySQL = "LOGSTATS_TEST_REQUIRE_MYSQL"
	// EnvSpider is the path of a cluster.env of scripts/spider.sh.
	EnvSpider        = "LOGSTATS_TEST_SPIDER_ENV"
	EnvRequireSpider = "LOGSTATS_TEST_REQUIRE_SPIDER"
)

// DB is a fresh, migrated test database.
type DB struct {
	*sql.DB
	Dialect logstats.Dialect
	// Connector opens more connections to the same database, for tests that
	// wrap the driver.
	Connector driver.Connector
	// DSN is the database in the form the example programs take.
	DSN string
	// Backend is "sqlite", "mysql" or "spider" (a Spider head, of dialect
	// MySQL).
	Backend string
}

// Dialects are the dialects of the backends.
var Dialects = []logstats.Dialect{logstats.DialectSQLite, logstats.DialectMySQL}

// Backends are the backends every behaviour test runs on.
var Backends = []string{"sqlite", "mysql", "spider"}

// ForEach runs fn in a subtest per backend ("sqlite", "mysql", "spider"),
// each with a fresh database.
func ForEach(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(b, func(t *testing.T) {
			fn(t, OpenBackend(t, b))
		})
	}
}

// OpenBackend is Open for a backend of Backends.
func OpenBackend(tb testing.TB, backend string) *DB {
	tb.Helper()
	switch backend {
	case "sqlite":
		return Open(tb, logstats.DialectSQLite)
	case "mysql":
		return Open(tb, logstats.DialectMySQL)
	case "spider":
		return openSpider(tb)
	}
	tb.Fatalf("testdb: unknown backend %q", backend)
	return nil
}

// Open returns a fresh, migrated database of dialect d, removed when the test
// ends. For MySQL it skips the test (or fails it, when
// LOGSTATS_TEST_REQUIRE_MYSQL=1) if no server is available.
func Open(tb testing.TB, d logstats.Dialect) *DB {
	tb.Helper()
	var db *DB
	switch d {
	case logstats.DialectSQLite:
		db = openSQLite(tb)
	case logstats.DialectMySQL:
		db = openMySQL(tb)
	default:
		tb.Fatalf("testdb: unknown dialect %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := logstats.Migrate(ctx, db.DB); err != nil {
		tb.Fatalf("migrate %s: %v", d, err)
	}
	return db
}

func openSQLite(tb testing.TB) *DB {
	path := filepath.Join(tb.TempDir(), "logstats.db")
	d, err := dsn.Parse("sqlite://" + path)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := dsn.Open(context.Background(), d)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	conn, err := dsn.Connector(d)
	if err != nil {
		tb.Fatal(err)
	}
	return &DB{DB: db, Dialect: logstats.DialectSQLite, Connector: conn, DSN: "sqlite://" + path, Backend: "sqlite"}
}

func openMySQL(tb testing.TB) *DB {
	server, err := mysqlServer()
	if err != nil {
		unavailable(tb, "MySQL", EnvRequireMySQL, err, fmt.Sprintf("Set %s=mysql://root@127.0.0.1:3306/test to run these tests against a server", EnvMySQLDSN))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := dsn.Open(ctx, server)
	if err != nil {
		tb.Fatalf("open MySQL from %s: %v", EnvMySQLDSN, err)
	}
	defer admin.Close()
	name := "logstats_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := dsn.Open(context.Background(), server)
		if err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	cfg := server.MySQL.Clone()
	cfg.DBName = name
	d := dsn.DSN{Dialect: logstats.DialectMySQL, MySQL: cfg}
	db, err := dsn.Open(ctx, d)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	conn, err := dsn.Connector(d)
	if err != nil {
		tb.Fatal(err)
	}
	return &DB{DB: db, Dialect: logstats.DialectMySQL, Connector: conn, DSN: mysqlURL(cfg), Backend: "mysql"}
}

func mysqlURL(cfg *mysql.Config) string {
	auth := cfg.User
	if cfg.Passwd != "" {
		auth += ":" + cfg.Passwd
	}
	return fmt.Sprintf("mysql://%s@%s/%s", auth, cfg.Addr, cfg.DBName)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// mysqlServer finds the MySQL server once per test binary: from the
// environment, or by starting a container. Caching it is the one piece of
// process-wide state in the tests, so that a container starts only once.
var mysqlServer = sync.OnceValues(func() (dsn.DSN, error) {
	if s := os.Getenv(EnvMySQLDSN); s != "" {
		d, err := dsn.Parse(s)
		if err != nil {
			return dsn.DSN{}, fmt.Errorf("%s: %w", EnvMySQLDSN, err)
		}
		if d.Dialect != logstats.DialectMySQL {
			return dsn.DSN{}, fmt.Errorf("%s must be a mysql:// DSN", EnvMySQLDSN)
		}
		return d, nil
	}
	return startContainer()
})

// startContainer starts MySQL with testcontainers-go when a Docker engine
// answers. testcontainers' reaper removes the container after the tests.
func startContainer() (d dsn.DSN, err error) {
	defer func() {
		if r := recover(); r != nil { // testcontainers panics when Docker is absent
			err = fmt.Errorf("%s is not set and no Docker engine is available (%v)", EnvMySQLDSN, r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return dsn.DSN{}, fmt.Errorf("%s is not set and no Docker engine is available (%v)", EnvMySQLDSN, err)
	}
	defer provider.Close()
	if err := provider.Health(ctx); err != nil {
		return dsn.DSN{}, fmt.Errorf("%s is not set and no Docker engine is available (%v)", EnvMySQLDSN, err)
	}
	c, err := tcmysql.Run(ctx, "mysql:8.4", tcmysql.WithDatabase("test"), tcmysql.WithUsername("root"), tcmysql.WithPassword("test"))
	if err != nil {
		return dsn.DSN{}, fmt.Errorf("start MySQL container: %w", err)
	}
	endpoint, err := c.PortEndpoint(ctx, "3306/tcp", "")
	if err != nil {
		return dsn.DSN{}, fmt.Errorf("MySQL container address: %w", err)
	}
	return dsn.Parse("mysql://root:test@" + endpoint + "/test")
}

// Fresh returns another fresh database of db's backend.
func (db *DB) Fresh(tb testing.TB) *DB {
	tb.Helper()
	return OpenBackend(tb, db.Backend)
}

// unavailable skips the test for want of a backend, saying how to get it,
// or fails it when the variable require is 1.
func unavailable(tb testing.TB, backend, require string, err error, hint string) {
	tb.Helper()
	if os.Getenv(require) == "1" {
		tb.Fatalf("%s is required (%s=1) but not available: %v", backend, require, err)
	}
	tb.Skipf("skipping %s: %v. %s", backend, err, hint)
}
