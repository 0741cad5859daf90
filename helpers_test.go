package logstats_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// genLog returns a generated log of n lines.
func genLog(t testing.TB, n int, seed uint64, malformedRate float64) string {
	t.Helper()
	return genLogFormat(t, "logstats", n, seed, malformedRate)
}

// genLogFormat is genLog in one of loggen's formats.
func genLogFormat(t testing.TB, format string, n int, seed uint64, malformedRate float64) string {
	t.Helper()
	return testdb.GenLog(t, format, n, seed, malformedRate)
}

// forEachFormat runs fn once for each of the suite's formats; under
// -short (the race run of .ci/run, after the full run), for the first only:
// the formats differ in parsing, not in how loads commit.
func forEachFormat(t *testing.T, fn func(t *testing.T, format string)) {
	formats := suiteFormats
	if testing.Short() {
		formats = formats[:1]
	}
	for _, format := range formats {
		t.Run(format, func(t *testing.T) { fn(t, format) })
	}
}

// newIngester returns an Ingester for db with small batches, so that tests
// cross many batch boundaries.
func newIngester(db *testdb.DB, batchLines int) *logstats.Ingester {
	return testdb.NewIngester(db, batchLines)
}

func mustLoad(t testing.TB, ing *logstats.Ingester, name, text string) *logstats.LoadResult {
	t.Helper()
	return testdb.MustLoad(t, ing, name, text)
}

// parseEntries parses a log the way the ingester must, as the reference for
// naive computations.
func parseEntries(t testing.TB, text string) []logstats.Entry {
	t.Helper()
	return parseEntriesWith(t, text, logstats.ParseConfig{})
}

// parseEntriesWith is parseEntries with cfg.
func parseEntriesWith(t testing.TB, text string, cfg logstats.ParseConfig) []logstats.Entry {
	t.Helper()
	var entries []logstats.Entry
	p := mustParser(t, strings.NewReader(text), cfg)
	for {
		e, err := p.Next()
		if err == io.EOF {
			return entries
		}
		var perr *logstats.ParseError
		if err != nil && !errors.As(err, &perr) {
			t.Fatal(err)
		}
		if err == nil {
			entries = append(entries, e)
		}
	}
}

// naiveStats computes Stats straight from the definitions in SPEC §3 over raw
// entries, with exact rational arithmetic: the reference the StatsService must
// equal.
func naiveStats(entries []logstats.Entry, customer string, from logstats.Date, to *logstats.Date, percentiles []logstats.Percentile) logstats.Stats {
	return naiveStatsFailed(entries, customer, from, to, percentiles, 400)
}

// naiveStatsFailed is naiveStats counting the statuses from failedFrom
// up as failed.
func naiveStatsFailed(entries []logstats.Entry, customer string, from logstats.Date, to *logstats.Date, percentiles []logstats.Percentile, failedFrom int) logstats.Stats {
	var st logstats.Stats
	var lat []int64
	for _, e := range entries {
		day := logstats.DateOf(e.Time)
		if e.CustomerID != customer || (!from.IsZero() && day.Before(from)) || (to != nil && to.Before(day)) {
			continue
		}
		st.TotalRequests++
		st.RequestsByStatusClass[e.Status/100-1]++
		if e.Status < failedFrom {
			st.SuccessfulRequests++
		} else {
			st.FailedRequests++
		}
		if e.Timed() {
			lat = append(lat, e.Latency.Microseconds())
		}
	}
	if st.TotalRequests == 0 {
		return st
	}
	st.Uptime = float64(roundHalfUp(big.NewRat(st.SuccessfulRequests*10000, st.TotalRequests))) / 100
	n := int64(len(lat))
	if st.TimedRequests = n; n == 0 {
		return st
	}
	slices.Sort(lat)
	sum := new(big.Int)
	for _, v := range lat {
		sum.Add(sum, big.NewInt(v))
	}
	st.AverageLatency = us(roundHalfUp(new(big.Rat).SetFrac(sum, big.NewInt(n))))
	st.MinLatency, st.MaxLatency = us(lat[0]), us(lat[n-1])
	st.MedianLatency = us(naivePercentile(lat, "50"))
	st.P99Latency = us(naivePercentile(lat, "99"))
	for _, p := range percentiles {
		st.Percentiles = append(st.Percentiles, logstats.PercentileLatency{Percentile: p, Latency: us(naivePercentile(lat, p.String()))})
	}
	return st
}

// naivePercentile: h = (n-1)q; v[floor h] + (h - floor h)(v[ceil h] - v[floor h]).
func naivePercentile(sorted []int64, percent string) int64 {
	q, ok := new(big.Rat).SetString(percent)
	if !ok {
		panic(percent)
	}
	q.Quo(q, big.NewRat(100, 1))
	h := new(big.Rat).Mul(big.NewRat(int64(len(sorted)-1), 1), q)
	lo := new(big.Int).Quo(h.Num(), h.Denom()).Int64()
	hi := lo
	if !h.IsInt() {
		hi = lo + 1
	}
	frac := new(big.Rat).Sub(h, big.NewRat(lo, 1))
	v := new(big.Rat).Mul(frac, big.NewRat(sorted[hi]-sorted[lo], 1))
	v.Add(v, big.NewRat(sorted[lo], 1))
	return roundHalfUp(v)
}

// roundHalfUp rounds a non-negative rational to the nearest integer, halves up.
func roundHalfUp(r *big.Rat) int64 {
	x := new(big.Rat).Add(r, big.NewRat(1, 2))
	return new(big.Int).Quo(x.Num(), x.Denom()).Int64()
}

// naiveDaily computes the daily breakdown the StatsService must return.
func naiveDaily(entries []logstats.Entry, customer string, from logstats.Date, to *logstats.Date, percentiles []logstats.Percentile) []logstats.DailyStats {
	var days []logstats.Date
	for _, e := range entries {
		d := logstats.DateOf(e.Time)
		if e.CustomerID == customer && (from.IsZero() || !d.Before(from)) && (to == nil || !to.Before(d)) && !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.SortFunc(days, logstats.Date.Compare)
	var out []logstats.DailyStats
	for _, d := range days {
		out = append(out, logstats.DailyStats{Date: d, Stats: naiveStats(entries, customer, d, &d, percentiles)})
	}
	return out
}

func customersOf(entries []logstats.Entry) []string {
	var ids []string
	for _, e := range entries {
		if !slices.Contains(ids, e.CustomerID) {
			ids = append(ids, e.CustomerID)
		}
	}
	slices.Sort(ids)
	return ids
}

// checkStats compares every customer's stats, overall and per day, with the
// naive computation over entries.
func checkStats(t testing.TB, db *sql.DB, entries []logstats.Entry, from logstats.Date, to *logstats.Date, percentiles []logstats.Percentile) {
	t.Helper()
	if err := statsMismatch(db, entries, from, to, percentiles); err != nil {
		t.Fatal(err)
	}
}

// statsMismatch is checkStats returning what differs, for callers on other
// goroutines than the test's.
func statsMismatch(db *sql.DB, entries []logstats.Entry, from logstats.Date, to *logstats.Date, percentiles []logstats.Percentile) error {
	return serviceMismatch(logstats.NewStatsService(db), entries, from, to, percentiles)
}

// serviceMismatch is statsMismatch asking svc.
func serviceMismatch(svc *logstats.StatsService, entries []logstats.Entry, from logstats.Date, to *logstats.Date, percentiles []logstats.Percentile) error {
	for _, c := range append(customersOf(entries), "nobody") {
		got, err := svc.FindStats(context.Background(), c, logstats.StatsFilter{From: from, To: to, Percentiles: percentiles})
		if err != nil {
			return fmt.Errorf("FindStats(%s): %v", c, err)
		}
		if want := naiveStats(entries, c, from, to, percentiles); !statsEqual(got.Stats, want) {
			return fmt.Errorf("FindStats(%s, %v..%v).Stats =\n%+v\nwant\n%+v", c, from, to, got.Stats, want)
		}
		want := naiveDaily(entries, c, from, to, percentiles)
		if len(got.Daily) != len(want) {
			return fmt.Errorf("FindStats(%s) has %d days, want %d", c, len(got.Daily), len(want))
		}
		for i := range want {
			if got.Daily[i].Date != want[i].Date || !statsEqual(got.Daily[i].Stats, want[i].Stats) {
				return fmt.Errorf("FindStats(%s) day %d =\n%v %+v\nwant\n%v %+v", c, i, got.Daily[i].Date, got.Daily[i].Stats, want[i].Date, want[i].Stats)
			}
		}
	}
	return nil
}

func statsEqual(a, b logstats.Stats) bool {
	return reflect.DeepEqual(a, b)
}

// cleanState loads text in one uninterrupted load into a fresh database of the
// same dialect and returns the resulting state.
func cleanState(t testing.TB, d logstats.Dialect, name, text string) testdb.State {
	t.Helper()
	return testdb.CleanState(t, d, name, text)
}

func date(s string) logstats.Date {
	d, err := logstats.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

// mustParser returns a Parser of r as cfg says, or fails the test.
func mustParser(t testing.TB, r io.Reader, cfg logstats.ParseConfig) *logstats.Parser {
	t.Helper()
	p, err := logstats.NewParser(r, cfg)
	if err != nil {
		t.Fatalf("NewParser: %v", err)
	}
	return p
}

// exportAll returns the raw requests of every customer of db (those its
// rollups name), customer by customer, each as Requests yields them.
func exportAll(t *testing.T, db *sql.DB) []logstats.Request {
	t.Helper()
	customers, err := logstats.NewStatsService(db).FindCustomers(context.Background(), logstats.CustomerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var all []logstats.Request
	for _, c := range customers {
		for r, err := range logstats.Requests(context.Background(), db, c.ID, logstats.RequestFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, r)
		}
	}
	return all
}

// exportedUntimed returns how many of the raw requests that db's customers
// export have no latency.
func exportedUntimed(t *testing.T, db *sql.DB) int {
	t.Helper()
	n := 0
	for _, r := range exportAll(t, db) {
		if !r.Timed() {
			n++
		}
	}
	return n
}

// forEachRawMode runs fn once for each raw mode of modes; under -short,
// for the default (blocks) only, when modes has it.
func forEachRawMode(t *testing.T, modes []logstats.RawMode, fn func(t *testing.T, mode logstats.RawMode)) {
	for _, m := range modes {
		if testing.Short() && m != logstats.RawBlocks && slices.Contains(modes, logstats.RawBlocks) {
			continue
		}
		t.Run(string(m), func(t *testing.T) { fn(t, m) })
	}
}
