package logstats_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// breakdownLog returns an nginx log of n random requests of three
// customers over four days, whose paths have identifiers (numbers, UUIDs,
// long hexadecimal) in them and a fifth of which have no latency.
func breakdownLog(t testing.TB, n int, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	methods := []string{"GET", "GET", "POST", "DELETE"}
	statuses := []int{200, 200, 200, 201, 204, 301, 404, 429, 500, 503}
	path := func() string {
		switch rng.IntN(8) {
		case 0:
			return "/v1/users/" + strconv.Itoa(rng.IntN(50))
		case 1:
			return fmt.Sprintf("/v1/users/%d/orders/%08x-%04x-4%03x-8%03x-%012x", rng.IntN(9), rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48))
		case 2:
			return fmt.Sprintf("/v1/blobs/%016x", rng.Uint64())
		case 3:
			return "/v1/blobs/abc" // not an identifier
		case 4:
			return "/v1/search?q=" + strconv.Itoa(rng.IntN(5))
		case 5:
			// The region of the dimension query:region, percent-encoded
			// at times (e%75 is eu), empty or absent.
			return "/v1/places?region=" + []string{"eu", "us", "e%75", "", "ap-south"}[rng.IntN(5)]
		case 6:
			return "/v2/reports/" + strconv.Itoa(2020+rng.IntN(3)) + "/daily"
		}
		return "/health"
	}
	start := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	var b []byte
	for range n {
		r := loggen.Request{
			Time:     start.Add(time.Duration(rng.Int64N(4*86400)) * time.Second),
			Customer: "c" + strconv.Itoa(1+rng.IntN(3)),
			Method:   methods[rng.IntN(len(methods))],
			Path:     path(),
			Status:   statuses[rng.IntN(len(statuses))],
			Latency:  time.Duration(1+rng.IntN(400)) * time.Millisecond,
			Addr:     "10.0.0." + strconv.Itoa(1+rng.IntN(3)), // the dimension addr
		}
		if rng.IntN(5) == 0 {
			r.Latency = loggen.NoLatency
		}
		var err error
		if b, err = loggen.Append(b, "nginx", r); err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
	}
	return string(b)
}

// The routes of the property test, and a reference of them written
// apart from ParseRoutes: regular expressions.
var (
	testTemplates  = []string{"/v1/users/{user}/orders/{order}", "/v2/reports/{year}/daily"}
	testTemplateRE = []*regexp.Regexp{
		regexp.MustCompile(`^/v1/users/[^/]+/orders/[^/]+$`),
		regexp.MustCompile(`^/v2/reports/[^/]+/daily$`),
	}
	idSegmentRE = regexp.MustCompile(`^([0-9]+|[0-9a-fA-F]{16,}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)
)

func referenceRoute(path string) string {
	path, _, _ = strings.Cut(path, "?")
	for i, re := range testTemplateRE {
		if re.MatchString(path) {
			return testTemplates[i]
		}
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if idSegmentRE.MatchString(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

// The dimensions of the property test: the first source is loaded with
// both, the second with addr alone, so that the second's requests have an
// empty region and the names map to other columns. parseEntriesAs gives
// every entry the Dimensions of testDims, in this order.
var (
	testDims = []string{"region=query:region", "addr=remote_addr"}
	dimOrder = []string{"region", "addr"}
)

// parseEntriesAs parses text as a load with the dimensions dims (a suffix
// of testDims) does, and gives each entry the values of all of testDims.
func parseEntriesAs(t testing.TB, text string, dims []string) []logstats.Entry {
	t.Helper()
	cfg := logstats.ParseConfig{Dimensions: mustDimensions(t, dims)}
	entries := parseEntriesWith(t, text, cfg)
	for i := range entries {
		all := make([]string, len(testDims))
		copy(all[len(testDims)-len(dims):], entries[i].Dimensions)
		entries[i].Dimensions = all
	}
	return entries
}

func mustDimensions(t testing.TB, list []string) []logstats.Dimension {
	t.Helper()
	dims, err := logstats.ParseDimensions(list)
	if err != nil {
		t.Fatal(err)
	}
	return dims
}

// referenceKey returns e's value of a key, as a Breakdown's group names it.
func referenceKey(e logstats.Entry, key string) string {
	if d := slices.Index(dimOrder, key); d >= 0 {
		return e.Dimensions[d]
	}
	switch key {
	case "method":
		return e.Method
	case "route":
		return referenceRoute(e.Path)
	case "path":
		return e.Path
	case "status":
		return strconv.Itoa(e.Status)
	case "status_class":
		return strconv.Itoa(e.Status/100) + "xx"
	}
	panic(key)
}

// naiveSortValue is a stats field as a number to order by, and whether the
// stats have it.
func naiveSortValue(st logstats.Stats, field string) (int64, bool) {
	if st.TimedRequests == 0 && field != "total_requests" && field != "total_failed_requests" && field != "uptime" {
		return 0, false // a latency: none
	}
	switch field {
	case "total_requests":
		return st.TotalRequests, true
	case "total_failed_requests":
		return st.FailedRequests, true
	case "uptime":
		return int64(st.Uptime*100 + 0.5), true
	case "p99_latency":
		return int64(st.P99Latency), st.TimedRequests > 0
	case "median_latency":
		return int64(st.MedianLatency), st.TimedRequests > 0
	case "p90":
		return int64(st.Percentiles[len(st.Percentiles)-1].Latency), st.TimedRequests > 0
	}
	panic(field)
}

// TestBreakdown_Property: every group of a breakdown has the stats of a
// naive computation over its raw requests (SPEC §3, exact), the groups
// come in the order asked for, and the groups past the limit make
// Other; filtered stats equal the naive stats of the requests matched,
// day by day. On every backend, in both raw modes that keep requests, for
// random logs of two sources (requests without a latency among them) and
// random keys, sorts, limits, ranges and filters.
func TestBreakdown_Property(t *testing.T) {
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	keySets := [][]string{{"endpoint"}, {"route"}, {"status"}, {"region"}, {"status_class"}, {"path"}, {"method", "status_class"}, {"addr", "region"}, {"endpoint", "status"}, {"status", "path", "method"}, {"route", "status", "method"}, {"region", "endpoint", "addr"}}
	sorts := []string{"total_requests", "total_failed_requests", "uptime", "p99_latency", "median_latency", "p90"}
	testdb.ForEach(t, func(t *testing.T, base *testdb.DB) {
		forEachRawMode(t, []logstats.RawMode{logstats.RawBlocks, logstats.RawRows}, func(t *testing.T, mode logstats.RawMode) {
			for round := range rounds {
				seed := uint64(31*round + 5)
				t.Run(fmt.Sprint(round), func(t *testing.T) {
					db := base.Fresh(t)
					ing := newIngester(db, 113+int(seed)%500)
					ing.Raw = mode
					var entries []logstats.Entry
					for i := range 2 {
						text := breakdownLog(t, 1500+700*i, seed+uint64(i))
						dims := testDims[i:]
						ing.Dimensions = mustDimensions(t, dims)
						mustLoad(t, ing, fmt.Sprintf("%d.log", i), text)
						entries = append(entries, parseEntriesAs(t, text, dims)...)
					}
					routes, err := logstats.ParseRoutes(testTemplates, true)
					if err != nil {
						t.Fatal(err)
					}
					svc := logstats.NewStatsService(db.DB)
					svc.Routes = routes
					rng := rand.New(rand.NewPCG(seed, 99))
					p90 := []logstats.Percentile{mustPercentile(t, "90")}
					for q := range 12 {
						customer := "c" + strconv.Itoa(1+rng.IntN(3))
						from, to := logstats.Date{}, (*logstats.Date)(nil)
						if q%3 == 1 {
							from, to = date("2024-10-02"), ptr(date("2024-10-03"))
						}
						f := logstats.BreakdownFilter{
							From: from, To: to, By: keySets[(q+round)%len(keySets)], Sort: sorts[rng.IntN(len(sorts))],
							Ascending: rng.IntN(2) == 0, Percentiles: p90,
						}
						if rng.IntN(2) == 0 {
							f.Limit = 1 + rng.IntN(6)
						}
						checkBreakdown(t, svc, entries, customer, f)

						// The same requests through a filter on stats: those
						// of a random request's keys.
						e := entries[rng.IntN(len(entries))]
						var match []logstats.Match
						keys := []string{"method", "route", "status_class", "status", "path"}
						if q%2 == 1 {
							keys = []string{"region", "status_class", "addr", "method"}
						}
						for _, key := range keys[:1+rng.IntN(3)] {
							match = append(match, logstats.Match{Key: key, Value: referenceKey(e, key)})
						}
						if q%4 == 0 {
							match = []logstats.Match{{Key: "endpoint", Value: e.Method + " " + referenceRoute(e.Path)}}
						}
						checkFiltered(t, svc, entries, e.CustomerID, from, to, match, p90)
					}
				})
			}
		})
	})
}

// checkBreakdown compares svc's breakdown with the naive one.
func checkBreakdown(t *testing.T, svc *logstats.StatsService, entries []logstats.Entry, customer string, f logstats.BreakdownFilter) {
	t.Helper()
	got, err := svc.Breakdown(context.Background(), customer, f)
	if err != nil {
		t.Fatalf("Breakdown(%s, %+v): %v", customer, f, err)
	}
	var keys []string
	for _, k := range f.By {
		if k == "endpoint" {
			keys = append(keys, "method", "route")
		} else {
			keys = append(keys, k)
		}
	}
	if !slices.Equal(got.By, keys) {
		t.Fatalf("By = %q, want %q", got.By, keys)
	}
	type group struct {
		key     []string
		entries []logstats.Entry
		stats   logstats.Stats
	}
	byKey := make(map[string]*group)
	var groups []*group
	for _, e := range entries {
		var key []string
		for _, k := range keys {
			key = append(key, referenceKey(e, k))
		}
		id := strings.Join(key, "\x00")
		g := byKey[id]
		if g == nil {
			g = &group{key: key}
			byKey[id] = g
		}
		g.entries = append(g.entries, e)
	}
	for _, g := range byKey {
		if g.stats = naiveStats(g.entries, customer, f.From, f.To, f.Percentiles); g.stats.TotalRequests > 0 {
			groups = append(groups, g)
		}
	}
	slices.SortFunc(groups, func(a, b *group) int {
		va, oka := naiveSortValue(a.stats, f.Sort)
		vb, okb := naiveSortValue(b.stats, f.Sort)
		c := 0
		switch {
		case oka != okb && oka:
			c = -1
		case oka != okb:
			c = 1
		case f.Ascending:
			c = cmp.Compare(va, vb)
		default:
			c = cmp.Compare(vb, va)
		}
		return cmp.Or(c, slices.Compare(a.key, b.key))
	})
	limit := cmp.Or(f.Limit, logstats.DefaultBreakdownLimit)
	if got.TotalGroups != len(groups) || len(got.Groups) != min(limit, len(groups)) {
		t.Fatalf("Breakdown(%s, %+v): %d groups of %d, want %d of %d", customer, f, len(got.Groups), got.TotalGroups, min(limit, len(groups)), len(groups))
	}
	for i, g := range got.Groups {
		want := groups[i]
		if !slices.Equal(g.Key, want.key) || !statsEqual(g.Stats, want.stats) {
			t.Fatalf("Breakdown(%s, %+v) group %d =\n%q %+v\nwant\n%q %+v", customer, f, i, g.Key, g.Stats, want.key, want.stats)
		}
	}
	if len(groups) <= limit {
		if got.Other != nil {
			t.Fatalf("Other = %+v with nothing cut", got.Other)
		}
		return
	}
	var rest []logstats.Entry
	for _, g := range groups[limit:] {
		rest = append(rest, g.entries...)
	}
	if want := naiveStats(rest, customer, f.From, f.To, f.Percentiles); got.Other == nil || !statsEqual(*got.Other, want) {
		t.Fatalf("Breakdown(%s, %+v).Other =\n%+v\nwant\n%+v", customer, f, got.Other, want)
	}
}

// checkFiltered compares svc's stats of the requests match selects with
// the naive ones.
func checkFiltered(t *testing.T, svc *logstats.StatsService, entries []logstats.Entry, customer string, from logstats.Date, to *logstats.Date, match []logstats.Match, percentiles []logstats.Percentile) {
	t.Helper()
	var matched []logstats.Entry
	for _, e := range entries {
		ok := true
		for _, m := range match {
			if m.Key == "endpoint" {
				ok = ok && e.Method+" "+referenceRoute(e.Path) == m.Value
			} else {
				ok = ok && referenceKey(e, m.Key) == m.Value
			}
		}
		if ok {
			matched = append(matched, e)
		}
	}
	got, err := svc.FindStats(context.Background(), customer, logstats.StatsFilter{From: from, To: to, Percentiles: percentiles, Match: match})
	if err != nil {
		t.Fatalf("FindStats(%s, %v): %v", customer, match, err)
	}
	if want := naiveStats(matched, customer, from, to, percentiles); !statsEqual(got.Stats, want) {
		t.Fatalf("FindStats(%s, %v).Stats =\n%+v\nwant\n%+v", customer, match, got.Stats, want)
	}
	want := naiveDaily(matched, customer, from, to, percentiles)
	if len(got.Daily) != len(want) {
		t.Fatalf("FindStats(%s, %v) has %d days, want %d", customer, match, len(got.Daily), len(want))
	}
	for i := range want {
		if got.Daily[i].Date != want[i].Date || !statsEqual(got.Daily[i].Stats, want[i].Stats) {
			t.Fatalf("FindStats(%s, %v) day %d =\n%v %+v\nwant\n%v %+v", customer, match, i, got.Daily[i].Date, got.Daily[i].Stats, want[i].Date, want[i].Stats)
		}
	}
}

// TestBreakdown_Errors: what a breakdown or a filter refuses, and what it
// says.
func TestBreakdown_Errors(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	mustLoad(t, newIngester(db, 100), "a.log", breakdownLog(t, 200, 1))
	svc := logstats.NewStatsService(db.DB)
	ctx := context.Background()
	for _, tc := range []struct {
		f    logstats.BreakdownFilter
		want string
	}{
		{logstats.BreakdownFilter{}, "group by at least one key"},
		{logstats.BreakdownFilter{By: []string{"region"}}, `unknown key "region"`},
		{logstats.BreakdownFilter{By: []string{"endpoint", "route"}}, `key "route" given twice`},
		{logstats.BreakdownFilter{By: []string{"status"}, Limit: -1}, "limit -1: want 1 to 10000"},
		{logstats.BreakdownFilter{By: []string{"status"}, Limit: 10001}, "limit 10001"},
		{logstats.BreakdownFilter{By: []string{"status"}, Sort: "latency"}, `unknown sort field "latency"`},
		{logstats.BreakdownFilter{By: []string{"status"}, Sort: "p101"}, `unknown sort field "p101"`},
		{logstats.BreakdownFilter{By: []string{"status"}, Match: []logstats.Match{{Key: "status", Value: "2xx"}}}, `status "2xx": want a code`},
		{logstats.BreakdownFilter{By: []string{"status"}, Match: []logstats.Match{{Key: "status_class", Value: "6xx"}}}, `status_class "6xx"`},
		{logstats.BreakdownFilter{By: []string{"status"}, Match: []logstats.Match{{Key: "endpoint", Value: "GET"}}}, `endpoint "GET": want a method and a route`},
		{logstats.BreakdownFilter{By: []string{"status"}, Match: []logstats.Match{{Key: "method", Value: "GET"}, {Key: "method", Value: "PUT"}}}, `key "method" matched twice`},
		{logstats.BreakdownFilter{By: []string{"status"}, From: date("2024-10-02"), To: ptr(date("2024-10-01"))}, "before"},
	} {
		_, err := svc.Breakdown(ctx, "c1", tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) || logstats.KindOf(err) != logstats.KindInvalid {
			t.Errorf("Breakdown(%+v) = %v (kind %v), want a KindInvalid error saying %q", tc.f, err, logstats.KindOf(err), tc.want)
		}
		if err != nil && !errors.Is(err, logstats.ErrInvalidBreakdown) && !errors.Is(err, logstats.ErrInvalidRange) {
			t.Errorf("Breakdown(%+v) = %v, want ErrInvalidBreakdown or ErrInvalidRange", tc.f, err)
		}
	}
	_, err := svc.FindStats(ctx, "c1", logstats.StatsFilter{Match: []logstats.Match{{Key: "region", Value: "eu"}}})
	if !errors.Is(err, logstats.ErrInvalidBreakdown) {
		t.Errorf("FindStats with an unknown key: %v, want ErrInvalidBreakdown", err)
	}

	none := testdb.Open(t, logstats.DialectSQLite)
	ing := newIngester(none, 100)
	ing.Raw = logstats.RawNone
	mustLoad(t, ing, "a.log", breakdownLog(t, 200, 1))
	svc = logstats.NewStatsService(none.DB)
	if _, err := svc.Breakdown(ctx, "c1", logstats.BreakdownFilter{By: []string{"status"}}); !errors.Is(err, logstats.ErrNoRawRequests) || logstats.KindOf(err) != logstats.KindConflict {
		t.Errorf("Breakdown under raw mode none: %v, want ErrNoRawRequests", err)
	}
	if _, err := svc.FindStats(ctx, "c1", logstats.StatsFilter{Match: []logstats.Match{{Key: "status", Value: "200"}}}); !errors.Is(err, logstats.ErrNoRawRequests) {
		t.Errorf("filtered FindStats under raw mode none: %v, want ErrNoRawRequests", err)
	}
}
