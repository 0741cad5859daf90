package runner

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_NoSpace runs the runner over a database whose commits fail, after
// the first two, with its driver's own error for a full disk (SQLite's
// SQLITE_FULL, MySQL's 1114): the run fails saying that the disk is full,
// that what was committed stays and to free space and run again, in the
// words POST /load answers with (which examples/runner's main prints after
// "runner: " before it exits 1), with -json too; once the commits no longer
// fail, running again ends equal to a clean load.
func TestRun_NoSpace(t *testing.T) {
	file := testdb.WriteLog(t, t.TempDir(), 3000, 14)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ref := db.Fresh(t)
		testdb.LoadFile(t, ref.DB, file)
		want := testdb.Snapshot(t, ref.DB)

		fc := &testdb.CommitFailer{Connector: db.Connector, After: 2, Err: testdb.NoSpaceError(t, db.Dialect)}
		run := func(pool *sql.DB, asJSON bool) (string, error) {
			var stdout bytes.Buffer
			err := Run(context.Background(), Config{Args: []string{file}, Batch: 400, Progress: "off", JSON: asJSON}, Env{
				Stdout: &stdout, Stderr: io.Discard,
				Logger: func() (*slog.Logger, error) { return slog.New(slog.DiscardHandler), nil },
				OpenDB: func(context.Context) (*sql.DB, error) { return pool, nil },
			})
			return stdout.String(), err
		}
		for _, asJSON := range []bool{false, true} {
			stdout, err := run(fc.Open(t), asJSON)
			if !fc.Fired() || err == nil || !strings.HasPrefix(err.Error(), file+": "+noSpaceMessage+" (") || logstats.KindOf(err) != logstats.KindNoSpace {
				t.Fatalf("run whose commits fail with %v (fired: %v): error %v, want %q and the driver's error", fc.Err, fc.Fired(), err, file+": "+noSpaceMessage)
			}
			if asJSON {
				var sum struct{ Error string }
				if jerr := json.Unmarshal([]byte(stdout), &sum); jerr != nil || sum.Error != err.Error() {
					t.Fatalf("-json: %v, error %q; want the run's error %q", jerr, sum.Error, err)
				}
			}
		}
		// Run closes the pool it is given.
		if _, err := run(sql.OpenDB(db.Connector), false); err != nil {
			t.Fatalf("run again: %v", err)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
	})
}
