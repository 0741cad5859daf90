package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// noSpaceMessage is the answer to a load that failed for want of space.
const noSpaceMessage = "the database's disk is full; what was committed stays: free space and run the load again to load the rest"

// TestLoad_DiskFull uploads a log to a server whose SQLite database is on a
// disk that fills up during the load (testdb.SmallDisk: a 1 MiB tmpfs, or
// where mounting is not permitted a database capped by max_page_count): the
// answer is a 507 that says so, as the document has it; what the load
// committed stays (the database equals a clean load of the lines before its
// committed offset); once space is freed, the same upload loads the rest and
// the database equals one clean load.
func TestLoad_DiskFull(t *testing.T) {
	text := testdb.Incompressible(generate(t, 20000), 12)
	want := cleanLoad(t, logstats.DialectSQLite, text)
	testdb.ForEachSmallDisk(t, func(t *testing.T, disk *testdb.SmallDisk) {
		s := newTestServer(t, disk.Open(t), httpapi.Options{})
		s.ingester.BatchLines = 500
		status, body, _ := s.do(t, "POST", "/load?source=a.log", strings.NewReader(text))
		if status != 507 || body["error"] != noSpaceMessage {
			t.Fatalf("load onto a full disk: %d %v, want 507 %q", status, body, noSpaceMessage)
		}
		off := testdb.CommittedOffset(t, s.db.DB)
		if off == 0 || off >= int64(len(text)) {
			t.Fatalf("committed %d of %d bytes before the disk filled; want some batches, not all", off, len(text))
		}
		testdb.CheckSame(t, testdb.Snapshot(t, s.db.DB), cleanLoad(t, logstats.DialectSQLite, text[:off]))

		disk.Grow(t)
		if !disk.Tmpfs {
			// The capped pool's connections keep their cap: serve from a
			// new pool, as a restarted server would.
			s = newTestServer(t, disk.Open(t), httpapi.Options{})
		}
		status, body, _ = s.do(t, "POST", "/load?source=a.log", strings.NewReader(text))
		committed := float64(strings.Count(text[:off], "\n"))
		if status != 200 || body["skipped_already_loaded"] != committed {
			t.Fatalf("load after space was freed: %d %v, want 200 with the %v lines committed before skipped", status, body, committed)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, s.db.DB), want)
	})
}

// TestLoad_NoSpace makes the commits of a load fail, after the first two,
// with its driver's own error for a full disk (SQLite's SQLITE_FULL, MySQL's
// 1114): 507 with the message; once they no longer fail, loading again ends
// equal to a clean load.
func TestLoad_NoSpace(t *testing.T) {
	text := generate(t, 3000)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		want := cleanLoad(t, db.Dialect, text)
		fc := &testdb.CommitFailer{Connector: db.Connector, After: 2, Err: testdb.NoSpaceError(t, db.Dialect)}
		faulty := *db
		faulty.DB = fc.Open(t)
		s := newTestServer(t, &faulty, httpapi.Options{})
		s.ingester.BatchLines = 400
		status, body, _ := s.do(t, "POST", "/load?source=a.log", strings.NewReader(text))
		if !fc.Fired() || status != 507 || body["error"] != noSpaceMessage {
			t.Fatalf("load whose commits fail with %v (fired: %v): %d %v, want 507 %q", fc.Err, fc.Fired(), status, body, noSpaceMessage)
		}
		s = newTestServer(t, db, httpapi.Options{})
		if status, body, _ = s.do(t, "POST", "/load?source=a.log", strings.NewReader(text)); status != 200 {
			t.Fatalf("load again: %d %v", status, body)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
	})
}

// TestOpenAPI_NoSpace checks that the document lists the 507 of POST /load,
// with the Error body (TestOpenAPI cannot make a disk full).
func TestOpenAPI_NoSpace(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					}
				}
			}
		}
	}
	if err := json.Unmarshal(httpapi.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Paths["/load"]["post"].Responses["507"].Content["application/json"].Schema.Ref; got != "#/components/schemas/Error" {
		t.Fatalf("POST /load's 507 has the body %q, want the Error schema", got)
	}
}

// generate returns a generated log of n lines.
func generate(t *testing.T, n int) string {
	t.Helper()
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Seed, cfg.MalformedRate = n, 13, 0.001
	var b strings.Builder
	if err := loggen.Write(&b, cfg); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// cleanLoad returns the state of a fresh database of dialect d after one
// uninterrupted load of text as the upload a.log.
func cleanLoad(t *testing.T, d logstats.Dialect, text string) testdb.State {
	t.Helper()
	db := testdb.Open(t, d)
	if _, err := logstats.NewIngester(db.DB).Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	return testdb.Snapshot(t, db.DB)
}
