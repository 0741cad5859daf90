package logstats_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
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

// TestIngester_CompactsEachLoad checks that a load leaves one rollup row per
// (customer, day) it wrote, whichever way a day got several: written by
// several of its batches, or by one batch and an earlier load of another
// log or of the same log before it grew; also when the load writes more
// days than it keeps in memory before compacting (16,384 at this batch
// size), so that it compacts them part by part. The rows hold what one
// load of every line in a single batch gives.
func TestIngester_CompactsEachLoad(t *testing.T) {
	// 6,000 customers on 3 days each (18,000 days), then again every tenth
	// of those days, in batches of 5,000 lines; and 21 days of 7 customers
	// that every batch writes.
	var a strings.Builder
	for i := range 19_800 {
		c, day := i/3, 1+i%3
		if i >= 18_000 {
			c, day = (i-18_000)*10/3, 1+(i-18_000)*10%3
		}
		fmt.Fprintf(&a, "2024-10-%02d 12:%02d:%02d c%d /a %d 0.%03d\n", day, i%60, i%59, c, 200+100*(i%4), (7*i)%1000)
		if i%50 == 0 {
			fmt.Fprintf(&a, "2024-10-%02d 12:00:00 hot%d /a 200 0.%03d\n", day, i/50%7, i%1000)
		}
	}
	grown := "2024-10-02 13:00:00 c5 /b 200 0.5\n2024-10-03 13:00:00 c7 /b 503 0.25\n"
	var b strings.Builder // another log, on some of the same days
	for i := range 1000 {
		fmt.Fprintf(&b, "2024-10-%02d 14:00:%02d c%d /c 200 0.%03d\n", 1+i%3, i%60, i/3, i%997)
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		maxRowsPerDay := func(t *testing.T) int {
			var n int
			if err := db.QueryRow(`SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM logstats_rollups GROUP BY customer_id, day) t`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		ing := newIngester(db, 5000)
		for _, load := range []struct{ name, text string }{
			{"a.log", a.String()},
			{"b.log", b.String()},
			{"a.log", a.String() + grown},
		} {
			res := mustLoad(t, ing, load.name, load.text)
			if n := maxRowsPerDay(t); n != 1 {
				t.Fatalf("after loading %s (%d requests inserted): up to %d rollup rows a day, want 1", load.name, res.Inserted, n)
			}
		}
		ref := testdb.Open(t, db.Dialect)
		mustLoad(t, newIngester(ref, 1_000_000), "all.log", a.String()+grown+b.String())
		if got, want := rollupDigest(t, db.DB), rollupDigest(t, ref.DB); got != want {
			t.Fatalf("rollups differ from one load of every line in one batch")
		}
	})
}

// rollupDigest digests the values of the rollup rows, by customer and day.
func rollupDigest(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT customer_id, day, total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist
		FROM logstats_rollups ORDER BY customer_id, day`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	n := 0
	for rows.Next() {
		var customer, day, dist []byte
		var v [9]int64
		if err := rows.Scan(&customer, &day, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &dist); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%q %.10s %v %x\n", customer, day, v, dist)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d rows %x", n, h.Sum(nil))
}
