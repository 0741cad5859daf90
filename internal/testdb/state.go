package testdb

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/logstats/logstats"
)

// State is everything a load leaves in the database that must not depend on
// how the load went (batches, interruptions, retries, compaction): the raw
// rows, every customer's stats overall and per day, and the source ledger.
type State struct {
	RawRows   int64
	RawDigest string
	Stats     string
	Ledger    string
}

// Snapshot reads the State of db.
func Snapshot(tb testing.TB, db *sql.DB) State {
	tb.Helper()
	ctx := context.Background()
	var s State
	h := sha256.New()
	rows, err := db.QueryContext(ctx, `SELECT customer_id, source_id, src_offset, ts_us, method, path, status, latency_us
		FROM logstats_raw_requests ORDER BY customer_id, source_id, src_offset`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, method, path []byte
		var src, off, ts, status, lat int64
		if err := rows.Scan(&c, &src, &off, &ts, &method, &path, &status, &lat); err != nil {
			tb.Fatal(err)
		}
		s.RawRows++
		fmt.Fprintf(h, "%q %d %d %d %q %q %d %d\n", c, src, off, ts, method, path, status, lat)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	// Blocks, read back as requests: how a load cut them into blocks
	// depends on its batches, not what they hold.
	crows, err := db.QueryContext(ctx, `SELECT customer_id, COUNT(*) FROM logstats_raw_blocks GROUP BY customer_id ORDER BY customer_id`)
	if err != nil {
		tb.Fatal(err)
	}
	var blockCustomers []string
	for crows.Next() {
		var c string
		var n int64
		if err := crows.Scan(&c, &n); err != nil {
			tb.Fatal(err)
		}
		blockCustomers = append(blockCustomers, c)
	}
	if err := crows.Err(); err != nil {
		tb.Fatal(err)
	}
	crows.Close()
	for _, c := range blockCustomers {
		// In key order, as the rows above: the export's order of sources
		// is that of their loads, which a state does not depend on.
		var reqs []logstats.Request
		for r, err := range logstats.Requests(ctx, db, c, logstats.RequestFilter{}) {
			if err != nil {
				tb.Fatal(err)
			}
			reqs = append(reqs, r)
		}
		slices.SortFunc(reqs, func(a, b logstats.Request) int {
			return cmp.Or(cmp.Compare(a.SourceID, b.SourceID), cmp.Compare(a.Offset, b.Offset))
		})
		for _, r := range reqs {
			s.RawRows++
			fmt.Fprintf(h, "%q %d %d %d %q %q %d %d\n", c, r.SourceID, r.Offset, r.Time.UnixMicro(), r.Method, r.Path, r.Status, r.Latency.Microseconds())
		}
	}
	s.RawDigest = hex.EncodeToString(h.Sum(nil))

	svc := logstats.NewStatsService(db)
	customers, err := svc.FindCustomers(ctx, logstats.CustomerFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	for _, c := range customers {
		st, err := svc.FindStats(ctx, c.ID, logstats.StatsFilter{})
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "%+v\n", *st)
	}
	s.Stats = b.String()

	b.Reset()
	lrows, err := db.QueryContext(ctx, `SELECT source_id, committed_offset, committed_lines, committed_sha256 FROM logstats_sources ORDER BY source_id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer lrows.Close()
	for lrows.Next() {
		var id, off, lines int64
		var sum []byte
		if err := lrows.Scan(&id, &off, &lines, &sum); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %d %x\n", id, off, lines, sum)
	}
	if err := lrows.Err(); err != nil {
		tb.Fatal(err)
	}
	s.Ledger = b.String()
	return s
}

// CheckSame fails the test unless got equals want.
func CheckSame(tb testing.TB, got, want State) {
	tb.Helper()
	if got.RawRows != want.RawRows || got.RawDigest != want.RawDigest {
		tb.Fatalf("raw rows: %d (digest %.12s), want %d (%.12s)", got.RawRows, got.RawDigest, want.RawRows, want.RawDigest)
	}
	if got.Stats != want.Stats {
		i := 0
		for i < len(got.Stats) && i < len(want.Stats) && got.Stats[i] == want.Stats[i] {
			i++
		}
		from := max(0, i-600)
		tb.Fatalf("stats differ at byte %d:\n…%.1200s\nwant\n…%.1200s", i, got.Stats[from:], want.Stats[from:])
	}
	if got.Ledger != want.Ledger {
		tb.Fatalf("ledger differs:\n%s\nwant\n%s", got.Ledger, want.Ledger)
	}
}

// RawRequests returns how many raw requests db holds, in rows or in blocks.
func RawRequests(tb testing.TB, db *sql.DB) int64 {
	tb.Helper()
	var n int64
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM logstats_raw_requests) + (SELECT COALESCE(SUM(requests), 0) FROM logstats_raw_blocks)`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
