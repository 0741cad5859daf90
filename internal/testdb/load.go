package testdb

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
)

// GenLog returns a generated log of n lines in one of loggen's formats, of
// 7 customers over 5 days.
func GenLog(tb testing.TB, format string, n int, seed uint64, malformedRate float64) string {
	tb.Helper()
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Seed, cfg.MalformedRate, cfg.Format = n, seed, malformedRate, format
	cfg.Customers, cfg.Days = 7, 5
	var buf bytes.Buffer
	if err := loggen.Write(&buf, cfg); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

// NewIngester returns an Ingester for db with batches of batchLines, so
// that tests cross many batch boundaries.
func NewIngester(db *DB, batchLines int) *logstats.Ingester {
	ing := logstats.NewIngester(db.DB)
	ing.Dialect = db.Dialect
	ing.BatchLines = batchLines
	return ing
}

// MustLoad loads text as name, failing the test on an error.
func MustLoad(tb testing.TB, ing *logstats.Ingester, name, text string) *logstats.LoadResult {
	tb.Helper()
	res, err := ing.Load(context.Background(), name, strings.NewReader(text), logstats.LoadOptions{})
	if err != nil {
		tb.Fatalf("Load(%s): %v", name, err)
	}
	return res
}

// CleanState loads text in one uninterrupted load into a fresh database of
// dialect d (raw mode blocks, the default) and returns the resulting state.
func CleanState(tb testing.TB, d logstats.Dialect, name, text string) State {
	tb.Helper()
	return CleanStateRaw(tb, d, "", name, text)
}

// CleanStateRaw is CleanState into a database of raw mode raw ("": the
// default).
func CleanStateRaw(tb testing.TB, d logstats.Dialect, raw logstats.RawMode, name, text string) State {
	tb.Helper()
	db := Open(tb, d)
	ing := NewIngester(db, logstats.DefaultBatchLines)
	ing.Raw = raw
	MustLoad(tb, ing, name, text)
	return Snapshot(tb, db.DB)
}

// Incompressible returns the log text (of the logstats format) with a
// segment of 128 random hex digits (from seed) added to each line's path,
// so that its requests take room in any raw mode: blocks compress a log's
// repeated paths to a few bytes a request, and the small disks of the
// disk-full tests must fill.
func Incompressible(text string, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b strings.Builder
	b.Grow(len(text) * 4)
	for line := range strings.Lines(text) {
		f := strings.SplitN(line, " ", 4)
		if len(f) < 4 || !strings.HasPrefix(f[3], "/") {
			b.WriteString(line) // a malformed line stays as it is
			continue
		}
		b.WriteString(f[0] + " " + f[1] + " " + f[2] + " /")
		for range 8 {
			fmt.Fprintf(&b, "%016x", rng.Uint64())
		}
		b.WriteString(f[3])
	}
	return b.String()
}

// SourceNamed returns the source of ing's ledger loaded under name.
func SourceNamed(tb testing.TB, ing *logstats.Ingester, name string) logstats.Source {
	tb.Helper()
	sources, err := ing.FindSources(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range sources {
		if s.Name == name {
			return s
		}
	}
	tb.Fatalf("no source %s in %+v", name, sources)
	return logstats.Source{}
}

// StatusLog is a log in the logstats format of n requests of customer on
// day (YYYY-MM-DD), all 0.1 s long, the first failed of them with status
// 500, the others 200.
func StatusLog(customer, day string, n, failed int) string {
	var b strings.Builder
	for i := range n {
		status := "200"
		if i < failed {
			status = "500"
		}
		b.WriteString(day + " 10:00:00 " + customer + " /v1/x " + status + " 0.100\n")
	}
	return b.String()
}

// Objective parses an objective of a test (logstats.ParseObjective),
// failing the test when it is malformed.
func Objective(tb testing.TB, s string) logstats.Objective {
	tb.Helper()
	o, err := logstats.ParseObjective(s)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}
