package sqlite_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
	"github.com/logstats/logstats/sqlite"
)

func TestOpen_Settings(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if d, err := logstats.DetectDialect(db); d != logstats.DialectSQLite || err != nil {
		t.Fatalf("DetectDialect = %v, %v; want sqlite", d, err)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "10000", "synchronous": "1"} {
		var got string
		if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if ing := logstats.NewIngester(db); ing.BulkLoader != nil {
		t.Error("an SQLite Ingester has a BulkLoader")
	}
	for _, bad := range []string{"", "a.db?mode=ro", "a#b"} {
		if _, err := sqlite.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestDriver_Classify(t *testing.T) {
	var d sqlite.Driver
	busy := testdb.SQLiteBusy(t)
	if !d.Transient(fmt.Errorf("insert: %w", busy)) {
		t.Errorf("SQLITE_BUSY (%v) is not transient", busy)
	}
	for _, err := range []error{errors.New("database is locked (5) (SQLITE_BUSY)"), errors.New("disk I/O error")} {
		if d.Transient(err) || d.Unavailable(err) {
			t.Errorf("%q is classified, though it is only text", err)
		}
	}
}
