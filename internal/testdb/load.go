package testdb

import (
	"bytes"
	"context"
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
