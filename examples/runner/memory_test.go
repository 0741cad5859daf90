package main

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats/internal/testdb"
)

// TestMemory_DistinctCustomers loads 3,000,000 lines of as many customers (a
// customer a line, the worst case for anything a load keeps per customer)
// with the runner, at its default batch size and memory limit: its peak
// resident memory must stay within 64 MiB (SPEC §17), on SQLite and on
// MySQL. Loads used to keep every (customer, day) they wrote until they
// compacted, and made a histogram map per (customer, day) of a batch: 577
// MiB on SQLite here, at 9,752 lines a second.
func TestMemory_DistinctCustomers(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 3,000,000 lines (150 MB) per backend; skipped with -short")
	}
	const lines, maxRSS = 3_000_000, 64 << 20
	bin := buildRunner(t)
	path := testdb.WriteDistinctLog(t, t.TempDir(), lines)
	for _, d := range testdb.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			db := testdb.Open(t, d)
			cmd := exec.Command(bin, "-dsn", db.DSN, "-progress", "off", path)
			// The runner's own memory limit, not one from the environment.
			cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
				return strings.HasPrefix(kv, "GOMEMLIMIT=") || strings.HasPrefix(kv, "GOGC=")
			})
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			rss, err := runMeasuringRSS(cmd)
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("runner: %v\n%s", err, out.String())
			}
			// Every request in, and one rollup row a customer: each day
			// written by one batch, and compacted had it more rows.
			var rollups int
			if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_rollups`).Scan(&rollups); err != nil {
				t.Fatal(err)
			}
			if requests := testdb.RawRequests(t, db.DB); requests != int64(lines) || rollups != lines {
				t.Fatalf("%d requests and %d rollup rows, want %d of each\n%s", requests, rollups, lines, out.String())
			}
			if rss > maxRSS {
				t.Fatalf("peak RSS %d MiB, want at most %d MiB\n%s", rss>>20, maxRSS>>20, out.String())
			}
			t.Logf("%d lines of as many customers in %s (%.0f lines/s): peak RSS %d MiB (bound %d MiB)",
				lines, elapsed.Round(time.Second), lines/elapsed.Seconds(), rss>>20, maxRSS>>20)
		})
	}
}
