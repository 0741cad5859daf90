package logstats_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// randomEntries makes a data set of n requests whose latencies follow one of
// several shapes chosen to stress the percentile code: all zeros, heavy ties,
// microsecond noise, extremes up to 24 hours; in some data sets, some or all
// requests have no latency (SPEC §13).
func randomEntries(rng *rand.Rand, n int) []logstats.Entry {
	customers := []string{"cust_1", "ünïcødé", `q"uote/slash%25`}[:1+rng.IntN(3)]
	days := 1 + rng.IntN(5)
	shape := rng.IntN(5)
	untimed := []float64{0, 0, 0.3, 1}[rng.IntN(4)]
	statuses := []int{100, 200, 201, 204, 301, 304, 400, 404, 429, 500, 503, 599}
	start := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	entries := make([]logstats.Entry, n)
	for i := range entries {
		var lat int64
		switch shape {
		case 0:
			lat = 0
		case 1:
			lat = []int64{0, 1000, 1000, 1000, 5000, 123456}[rng.IntN(6)]
		case 2:
			lat = rng.Int64N(2_000_000)
		case 3:
			lat = []int64{0, 1, 86_400_000_000, rng.Int64N(86_400_000_001)}[rng.IntN(4)]
		default:
			lat = int64(rng.ExpFloat64() * 150_000)
		}
		entries[i] = logstats.Entry{
			Time:       start.Add(time.Duration(rng.Int64N(int64(days) * 86400 * 1e9))).Truncate(time.Microsecond),
			CustomerID: customers[rng.IntN(len(customers))],
			Path:       "/api/v1/x",
			Status:     statuses[rng.IntN(len(statuses))],
			Latency:    time.Duration(lat) * time.Microsecond,
		}
		if untimed > 0 && rng.Float64() < untimed {
			entries[i].Latency = logstats.NoLatency
		}
	}
	return entries
}

func formatLog(entries []logstats.Entry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// suiteFormats are the formats the exactness and exactly-once suites run
// over: the original one, a text format with zones and ms latencies, and
// JSON.
var suiteFormats = []string{"logstats", "nginx", "jsonl"}

// formatLogAs renders entries as a log of format, and returns them as the
// format keeps them: nginx's timestamps have whole seconds and its latencies
// whole milliseconds.
func formatLogAs(t testing.TB, format string, entries []logstats.Entry) (string, []logstats.Entry) {
	t.Helper()
	if format == "logstats" {
		return formatLog(entries), entries
	}
	kept := make([]logstats.Entry, len(entries))
	var b []byte
	for i, e := range entries {
		if format == "nginx" {
			e.Time = e.Time.Truncate(time.Second)
			if e.Timed() {
				e.Latency = e.Latency.Truncate(time.Millisecond)
			}
		}
		e.Method = "GET"
		kept[i] = e
		var err error
		b, err = loggen.Append(b, format, loggen.Request{Time: e.Time, Customer: e.CustomerID, Method: e.Method, Path: e.Path, Status: e.Status, Latency: e.Latency, Addr: "192.0.2.1", Bytes: 512})
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
	}
	return string(b), kept
}

var testPercentiles = []string{"0.1", "1", "25", "33.333333", "50", "75", "90", "95", "99", "99.9", "99.99", "100"}

// TestStats_MatchesNaive is a property test: for random data sets of many
// sizes (1 and 2 included) and shapes, loaded in random batch sizes, every
// field of every customer's stats, overall and per day, over random ranges,
// equals the naive computation over the raw entries.
func TestStats_MatchesNaive(t *testing.T) {
	sizes := []int{1, 2, 3, 4, 5, 7, 10, 31, 100, 257, 1000, 3000}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for i, n := range sizes {
			for shapeRound := range 2 {
				seed := uint64(i*10 + shapeRound)
				// Each format in turn, detected: the log is the same.
				format := suiteFormats[(i+shapeRound)%len(suiteFormats)]
				t.Run(fmt.Sprintf("n=%d/seed=%d/%s", n, seed, format), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(seed, 42))
					db := db.Fresh(t)
					text, entries := formatLogAs(t, format, randomEntries(rng, n))
					if res := mustLoad(t, newIngester(db, 1+rng.IntN(n+1)), "a.log", text); res.Format != format {
						t.Fatalf("detected format %s, want %s", res.Format, format)
					}
					var ps []logstats.Percentile
					for _, s := range testPercentiles {
						if rng.IntN(3) == 0 {
							ps = append(ps, mustPercentile(t, s))
						}
					}
					checkStats(t, db.DB, entries, logstats.Date{}, nil, ps)
					for range 3 {
						from := date("2024-10-01").AddDays(rng.IntN(6) - 1)
						var to *logstats.Date
						if rng.IntN(2) == 0 {
							to = ptr(from.AddDays(rng.IntN(4)))
						}
						checkStats(t, db.DB, entries, from, to, ps)
					}
				})
			}
		}
	})
}

// TestStats_ExactAtEveryCommit checks the stats after each committed batch of
// a load, while days still have one rollup row per batch that touched them.
func TestStats_ExactAtEveryCommit(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, format := range suiteFormats {
			t.Run(format, func(t *testing.T) {
				exactAtEveryCommit(t, db.Fresh(t), format)
			})
		}
	})
}

func exactAtEveryCommit(t *testing.T, db *testdb.DB, format string) {
	text, entries := formatLogAs(t, format, randomEntries(rand.New(rand.NewPCG(7, 7)), 1200))
	ing := newIngester(db, 150)
	ing.CompactEvery = 1000
	ps := []logstats.Percentile{mustPercentile(t, "90")}
	commits := 0
	progress := func(p logstats.LoadProgress) {
		// This runs on the ingester's writer goroutine: report, don't Fatal.
		commits++
		if err := statsMismatch(db.DB, entries[:p.Lines], logstats.Date{}, nil, ps); err != nil {
			t.Errorf("after commit %d (%d lines): %v", commits, p.Lines, err)
		}
	}
	if _, err := ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{Progress: progress}); err != nil {
		t.Fatal(err)
	}
	if commits != 8 {
		t.Fatalf("%d commits, want 8", commits)
	}
	checkStats(t, db.DB, entries, logstats.Date{}, nil, ps)
}

func TestStatsService_FindStats(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		mustLoad(t, newIngester(db, 100), "a.log", strings.Join([]string{
			"2024-10-01 10:00:00 cust_42 /a 200 0.100",
			"2024-10-01 11:00:00 cust_42 /a 500 0.300",
			"2024-10-02 10:00:00 cust_42 /a 404 0.200",
			"2024-10-02 10:00:00 cust_42 /a 201 0.115",
		}, "\n"))
		svc := logstats.NewStatsService(db.DB)
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			st, err := svc.FindStats(ctx, "cust_42", logstats.StatsFilter{From: date("2024-10-01")})
			if err != nil {
				t.Fatal(err)
			}
			want := logstats.Stats{
				TotalRequests: 4, SuccessfulRequests: 2, FailedRequests: 2, TimedRequests: 4,
				RequestsByStatusClass: [5]int64{0, 2, 0, 1, 1},
				Uptime:                50,
				AverageLatency:        us(178750), MedianLatency: us(157500), P99Latency: us(297000),
				MinLatency: us(100000), MaxLatency: us(300000),
			}
			if !statsEqual(st.Stats, want) {
				t.Fatalf("Stats=%+v, want %+v", st.Stats, want)
			}
			if len(st.Daily) != 2 || st.Daily[1].Date != date("2024-10-02") || st.Daily[1].Stats.TotalRequests != 2 {
				t.Fatalf("Daily=%+v", st.Daily)
			}
		})
		t.Run("OKUnknownCustomer", func(t *testing.T) {
			st, err := svc.FindStats(ctx, "nobody", logstats.StatsFilter{From: date("2024-10-01")})
			if err != nil || st.Stats.TotalRequests != 0 || len(st.Daily) != 0 || st.CustomerID != "nobody" {
				t.Fatalf("FindStats(nobody)=%+v, %v", st, err)
			}
		})
		t.Run("OKSingleDay", func(t *testing.T) {
			st, err := svc.FindStats(ctx, "cust_42", logstats.StatsFilter{From: date("2024-10-02"), To: ptr(date("2024-10-02"))})
			if err != nil || st.Stats.TotalRequests != 2 || st.Stats.Uptime != 50 || st.Stats.MedianLatency != us(157500) {
				t.Fatalf("FindStats=%+v, %v", st, err)
			}
		})
		t.Run("ErrInvalidRange", func(t *testing.T) {
			_, err := svc.FindStats(ctx, "cust_42", logstats.StatsFilter{From: date("2024-10-02"), To: ptr(date("2024-10-01"))})
			if !errors.Is(err, logstats.ErrInvalidRange) {
				t.Fatalf("err=%v, want ErrInvalidRange", err)
			}
		})
		t.Run("FindCustomers", func(t *testing.T) {
			mustLoad(t, newIngester(db, 100), "b.log", "2024-09-30 10:00:00 a_first /a 200 0.1\n2024-10-05 10:00:00 z_last /a 200 0.1\n")
			got, err := svc.FindCustomers(ctx, logstats.CustomerFilter{})
			if err != nil {
				t.Fatal(err)
			}
			want := []logstats.Customer{
				{ID: "a_first", TotalRequests: 1, FirstDay: date("2024-09-30"), LastDay: date("2024-09-30")},
				{ID: "cust_42", TotalRequests: 4, FirstDay: date("2024-10-01"), LastDay: date("2024-10-02")},
				{ID: "z_last", TotalRequests: 1, FirstDay: date("2024-10-05"), LastDay: date("2024-10-05")},
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("FindCustomers=%v, want %v", got, want)
			}
			page, err := svc.FindCustomers(ctx, logstats.CustomerFilter{After: ptr("a_first"), Limit: 1})
			if err != nil || len(page) != 1 || page[0].ID != "cust_42" {
				t.Fatalf("FindCustomers(after a_first, limit 1)=%v, %v", page, err)
			}
		})
	})
}

func TestParsePercentile(t *testing.T) {
	for in, want := range map[string]string{"50": "50", "99.9": "99.9", "99.90": "99.9", "050": "50", "100": "100", "0.000001": "0.000001", "100.0": "100"} {
		p, err := logstats.ParsePercentile(in)
		if err != nil || p.String() != want {
			t.Fatalf("ParsePercentile(%q)=%v, %v, want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.0", "100.000001", "101", "-1", "abc", "1e2", "50%", ".5", "0.0000001", "99.9.9", " 50", "1."} {
		if _, err := logstats.ParsePercentile(in); !errors.Is(err, logstats.ErrInvalidPercentile) {
			t.Fatalf("ParsePercentile(%q) error=%v, want ErrInvalidPercentile", in, err)
		}
	}
}

func mustPercentile(t testing.TB, s string) logstats.Percentile {
	t.Helper()
	p, err := logstats.ParsePercentile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStatsService_Cache checks that cached answers are answers: served
// again while nothing was committed, dropped after a load or a prune once
// CacheFor has passed, and not shared with callers who change them.
func TestStatsService_Cache(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		entries := randomEntries(rand.New(rand.NewPCG(3, 4)), 900)
		first, rest := entries[:500], entries[500:]
		ing := newIngester(db, 200)
		mustLoad(t, ing, "a.log", formatLog(first))
		ps := []logstats.Percentile{mustPercentile(t, "90")}

		// Served from memory: rollups deleted by hand (not through a load)
		// are not seen within CacheFor.
		sticky := logstats.NewStatsService(db.DB)
		sticky.CacheFor = time.Hour
		if err := serviceMismatch(sticky, first, logstats.Date{}, nil, ps); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`DELETE FROM logstats_rollups WHERE customer_id = ?`, first[0].CustomerID); err != nil {
			t.Fatal(err)
		}
		if err := serviceMismatch(sticky, first, logstats.Date{}, nil, ps); err != nil {
			t.Fatalf("the answer was not cached: %v", err)
		}
		got, err := sticky.FindStats(context.Background(), first[0].CustomerID, logstats.StatsFilter{Percentiles: ps})
		if err != nil || len(got.Daily) == 0 {
			t.Fatalf("FindStats: %v, %v", got, err)
		}
		got.Stats.TotalRequests, got.Daily[0].Stats.Percentiles[0].Latency = -1, -1
		if err := serviceMismatch(sticky, first, logstats.Date{}, nil, ps); err != nil {
			t.Fatalf("a caller's change reached the cache: %v", err)
		}

		// Start again from a database the load made, with a short CacheFor:
		// loads and prunes show once it has passed.
		db = db.Fresh(t)
		ing = newIngester(db, 200)
		mustLoad(t, ing, "a.log", formatLog(first))
		svc := logstats.NewStatsService(db.DB)
		svc.CacheFor = 20 * time.Millisecond
		if err := serviceMismatch(svc, first, logstats.Date{}, nil, ps); err != nil {
			t.Fatal(err)
		}
		mustLoad(t, ing, "a.log", formatLog(first)+formatLog(rest))
		time.Sleep(3 * svc.CacheFor)
		if err := serviceMismatch(svc, entries, logstats.Date{}, nil, ps); err != nil {
			t.Fatalf("after a load: %v", err)
		}
		before := logstats.Date{Year: 2024, Month: time.October, Day: 3}
		if _, err := ing.Prune(context.Background(), before); err != nil {
			t.Fatal(err)
		}
		var kept []logstats.Entry
		for _, e := range entries {
			if !logstats.DateOf(e.Time).Before(before) {
				kept = append(kept, e)
			}
		}
		if len(kept) == len(entries) || len(kept) == 0 {
			t.Fatalf("the prune date keeps %d of %d requests; pick one that splits them", len(kept), len(entries))
		}
		time.Sleep(3 * svc.CacheFor)
		if err := serviceMismatch(svc, kept, logstats.Date{}, nil, ps); err != nil {
			t.Fatalf("after a prune: %v", err)
		}
	})
}
