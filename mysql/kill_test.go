package mysql_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// TestLoadData_Killed kills the connection of a load (KILL, found in
// information_schema.PROCESSLIST) while it streams a LOAD DATA LOCAL
// INFILE, five times at moments 0 to 80 ms into the statement: each load
// must fail within 10 s (it took the driver's 30 s write timeout in 5 of 8
// kills here before watchedConn; about 1 s after it) as KindUnavailable,
// and a last load must end equal to one clean load.
func TestLoadData_Killed(t *testing.T) {
	db := testdb.Open(t, logstats.DialectMySQL)
	if db.Backend != "mysql" {
		t.Skip("LOAD DATA is not used through a Spider head")
	}
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Seed = 500_000, 16
	var log bytes.Buffer
	if err := loggen.Write(&log, cfg); err != nil {
		t.Fatal(err)
	}
	text := log.String()
	load := func() (*logstats.LoadResult, error) {
		ing := logstats.NewIngester(db.DB)
		ing.BatchLines = 100_000   // a LOAD DATA of about 5 MB, hundreds of ms
		ing.Raw = logstats.RawRows // LOAD DATA writes raw rows; blocks are INSERTed
		if ing.BulkLoader == nil {
			t.Fatal("no LOAD DATA: the database's driver is not package mysql's")
		}
		return ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
	}
	for i := range 5 {
		type result struct {
			err error
			at  time.Time
		}
		done := make(chan result, 1)
		go func() {
			_, err := load()
			done <- result{err, time.Now()}
		}()
		var killed time.Time
		for {
			// A connection killed before stays listed for a moment: only a
			// live one streaming LOAD DATA is this load's.
			var id int64
			err := db.QueryRow(`SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND <> 'Killed' AND INFO LIKE 'LOAD DATA LOCAL INFILE%'`, name).Scan(&id)
			if err == nil {
				time.Sleep(time.Duration(i) * 20 * time.Millisecond)
				killed = time.Now()
				_, err = db.Exec("KILL ?", id)
				var me *gomysql.MySQLError
				if errors.As(err, &me) && me.Number == 1094 {
					continue // its thread ended meanwhile: find the next statement
				}
				if err != nil {
					t.Fatal(err)
				}
				break
			}
			select {
			case r := <-done:
				t.Fatalf("kill %d: the load ended before a LOAD DATA was seen: %v", i, r.err)
			case <-time.After(2 * time.Millisecond):
			}
		}
		r := <-done
		took := r.at.Sub(killed)
		t.Logf("kill %d, %d ms into LOAD DATA: the load failed %v later: %v", i, i*20, took.Round(time.Millisecond), r.err)
		if r.err == nil || logstats.KindOf(r.err) != logstats.KindUnavailable || took > 10*time.Second {
			t.Fatalf("kill %d: the load ended %v after the kill with %v (kind %v); want a failure of kind unavailable within 10 s", i, took, r.err, logstats.KindOf(r.err))
		}
	}
	if _, err := load(); err != nil {
		t.Fatalf("load after the kills: %v", err)
	}
	ref := testdb.Open(t, logstats.DialectMySQL)
	refIng := logstats.NewIngester(ref.DB)
	refIng.Raw = logstats.RawRows
	if _, err := refIng.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	testdb.CheckSame(t, testdb.Snapshot(t, db.DB), testdb.Snapshot(t, ref.DB))
}
