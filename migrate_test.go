package logstats_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
	"github.com/logstats/logstats/spider"
)

func TestMigrate_Idempotent(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- logstats.Migrate(context.Background(), db.DB)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent Migrate: %v", err)
			}
		}
		files, err := filepath.Glob(filepath.Join("migrations", db.Dialect.String(), "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no migration files found (%v)", err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_migrations`).Scan(&n); err != nil || n != len(files) {
			t.Fatalf("logstats_migrations has %d rows (%v), want %d", n, err, len(files))
		}
	})
}

// TestMigrate_UpgradesRawTable checks migration 2 on a database that 0001
// made: its raw rows move to logstats_raw_requests and the old table goes.
func TestMigrate_UpgradesRawTable(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		body, err := os.ReadFile(filepath.Join("migrations", db.Dialect.String(), "0001_init.sql"))
		if err != nil {
			t.Fatal(err)
		}
		start := strings.Index(string(body), "CREATE TABLE IF NOT EXISTS logstats_requests")
		end := strings.Index(string(body)[start:], ";")
		for _, stmt := range []string{
			`DROP TABLE logstats_raw_requests`,
			string(body)[start : start+end],
			`INSERT INTO logstats_requests (customer_id, day, source_id, src_offset, ts_us, path, status, latency_us)
				VALUES ('c', '2024-10-01', 7, 0, 1727740800000000, '/a', 200, 1000), ('c', '2024-10-01', 7, 40, 1727740801000000, '/b', 500, 2000)`,
			`DELETE FROM logstats_migrations WHERE version IN (2, 5)`,
		} {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if err := logstats.Migrate(context.Background(), db.DB); err != nil {
			t.Fatal(err)
		}
		want := []string{"c 7 0 1727740800000000 \"\" /a 200 1000\n", "c 7 40 1727740801000000 \"\" /b 500 2000\n"}
		if got := rawRows(t, db); !slices.Equal(got, want) {
			t.Fatalf("raw rows after upgrade = %q, want %q", got, want)
		}
		if _, err := db.Exec(`SELECT 1 FROM logstats_requests`); err == nil {
			t.Fatal("the old raw table is still there after the upgrade")
		}
	})
}

// TestMigrate_AddsMethodOnce checks migration 5, which adds a column: on a
// database whose raw rows predate it they get an empty method, and running it
// again after a crash that added the column but did not record the migration
// (MySQL commits DDL at once) succeeds. Through a Spider head it is refused.
func TestMigrate_AddsMethodOnce(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, stmt := range []string{
			`INSERT INTO logstats_raw_requests (customer_id, source_id, src_offset, ts_us, path, status, latency_us)
				VALUES ('c', 7, 0, 1727740800000000, '/a', 200, 1000)`,
			`DELETE FROM logstats_migrations WHERE version = 5`,
		} {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		err := logstats.Migrate(context.Background(), db.DB)
		if db.Backend == "spider" {
			// Through a head the DDL would change the links, not the shards'
			// tables: the migration is MigrateSharded's (TestMigrateSharded).
			if !errors.Is(err, spider.ErrSetup) {
				t.Fatalf("Migrate on a head with migration 5 not recorded: %v, want spider.ErrSetup", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Migrate with migration 5 applied but not recorded: %v", err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_migrations WHERE version = 5`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("migration 5 recorded %d times (%v), want once", n, err)
		}
		want := []string{"c 7 0 1727740800000000 \"\" /a 200 1000\n"}
		if got := rawRows(t, db); !slices.Equal(got, want) {
			t.Fatalf("raw rows = %q, want %q", got, want)
		}
	})
}

// rawRows returns the raw requests of db, one line each, in offset order.
func rawRows(t *testing.T, db *testdb.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT customer_id, source_id, src_offset, ts_us, method, path, status, latency_us FROM logstats_raw_requests ORDER BY src_offset`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var c, m, p string
		var src, off, ts, status, lat int64
		if err := rows.Scan(&c, &src, &off, &ts, &m, &p, &status, &lat); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %d %d %d %q %s %d %d\n", c, src, off, ts, m, p, status, lat))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestMigrate_RollupsRowid checks SQLite's migration 9 on a database whose
// rollups are in the WITHOUT ROWID table of 0001: every row moves to the
// table with a rowid, the stats are those of the log, and loads go on.
func TestMigrate_RollupsRowid(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	text := genLog(t, 3000, 41, 0)
	ing := newIngester(db, 700) // several rollup rows a day, not all compacted
	ing.CompactEvery = 1 << 20
	mustLoad(t, ing, "a.log", text)
	var before int
	if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_rollups`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join("migrations", "sqlite", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(body), "CREATE TABLE IF NOT EXISTS logstats_rollups")
	end := strings.Index(string(body)[start:], ";")
	old := strings.Replace(string(body)[start:start+end], "logstats_rollups", "logstats_rollups_0001", 1)
	for _, stmt := range []string{
		old,
		`INSERT INTO logstats_rollups_0001 SELECT * FROM logstats_rollups`,
		`DROP TABLE logstats_rollups`,
		`ALTER TABLE logstats_rollups_0001 RENAME TO logstats_rollups`,
		`DELETE FROM logstats_migrations WHERE version = 9`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	rollupsSQL := func() string {
		var s string
		if err := db.QueryRow(`SELECT sql FROM sqlite_schema WHERE name = 'logstats_rollups'`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if !strings.Contains(rollupsSQL(), "WITHOUT ROWID") {
		t.Fatalf("the test did not restore 0001's table: %s", rollupsSQL())
	}
	if err := logstats.Migrate(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	if s := rollupsSQL(); strings.Contains(s, "WITHOUT ROWID") {
		t.Fatalf("after migration 9 the rollups are still WITHOUT ROWID: %s", s)
	}
	var after int
	if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_rollups`).Scan(&after); err != nil || after != before {
		t.Fatalf("%d rollup rows after the migration (%v), %d before", after, err, before)
	}
	more := genLog(t, 500, 42, 0)
	mustLoad(t, newIngester(db, 700), "b.log", more)
	checkStats(t, db.DB, parseEntries(t, text+more), logstats.Date{}, nil, nil)
	mustVerify(t, db)
}
