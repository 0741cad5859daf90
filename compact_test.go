package logstats_test

import (
	"context"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestIngester_Compact leaves a load's rollups uncompacted (it is cancelled
// before its final compaction), then compacts them: one row per day, and the
// same stats.
func TestIngester_Compact(t *testing.T) {
	text := genLog(t, 3000, 13, 0)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		ing := newIngester(db, 300)
		progress := func(p logstats.LoadProgress) {
			if p.Lines >= 2700 {
				cancel()
			}
		}
		ing.Load(ctx, "a.log", strings.NewReader(text), logstats.LoadOptions{Progress: progress})
		before := testdb.Snapshot(t, db.DB)
		rowsPerDay := func() (max int) {
			if err := db.QueryRow(`SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM logstats_rollups GROUP BY customer_id, day) t`).Scan(&max); err != nil {
				t.Fatal(err)
			}
			return max
		}
		if n := rowsPerDay(); n < 5 {
			t.Fatalf("before Compact, at most %d rows per day; the test needs uncompacted days", n)
		}
		if err := newIngester(db, 300).Compact(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := rowsPerDay(); n != 1 {
			t.Fatalf("after Compact, up to %d rows per day, want 1", n)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), before)
	})
}
