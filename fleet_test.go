package logstats_test

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// fleetEntries are n requests of about 40 customers over 8 days, some of
// them without a latency (all of f39's), with every status class.
func fleetEntries(rng *rand.Rand, n int) []logstats.Entry {
	start := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	statuses := []int{200, 200, 201, 301, 404, 429, 500, 503}
	entries := make([]logstats.Entry, n)
	for i := range entries {
		c := "f" + strconv.Itoa(rng.IntN(40))
		if rng.IntN(50) == 0 {
			c = "ünï"
		}
		entries[i] = logstats.Entry{
			Time:       start.Add(time.Duration(rng.Int64N(8 * 86400 * 1e9))).Truncate(time.Microsecond),
			CustomerID: c,
			Path:       "/v1/x",
			Status:     statuses[rng.IntN(len(statuses))],
			Latency:    time.Duration(rng.Int64N(int64(1+rng.IntN(3))*400_000)) * time.Microsecond,
		}
		if rng.IntN(6) == 0 || c == "f39" { // f39 has no latency figures
			entries[i].Latency = logstats.NoLatency
		}
	}
	return entries
}

// naiveFleet is the fleet of f computed from the requests one by one.
func naiveFleet(entries []logstats.Entry, f logstats.FleetFilter) (total int, page []logstats.FleetCustomer) {
	failedFrom := 400
	if f.Failed == logstats.Failed5xx {
		failedFrom = 500
	}
	percentiles := f.Percentiles
	sortBy := cmp.Or(f.Sort, "total_requests")
	if sortBy == "p90" {
		p90, _ := logstats.ParsePercentile("90")
		percentiles = append(slices.Clip(percentiles), p90)
	}
	days := map[string][]logstats.Date{}
	for _, e := range entries {
		d := logstats.DateOf(e.Time)
		if d.Before(f.From) || f.To != nil && f.To.Before(d) || f.Customer != nil && *f.Customer != e.CustomerID {
			continue
		}
		days[e.CustomerID] = append(days[e.CustomerID], d)
	}
	var all []logstats.FleetCustomer
	for c, ds := range days {
		slices.SortFunc(ds, logstats.Date.Compare)
		all = append(all, logstats.FleetCustomer{CustomerID: c, FirstDay: ds[0], LastDay: ds[len(ds)-1],
			Stats: naiveStatsFailed(entries, c, f.From, f.To, percentiles, failedFrom)})
	}
	slices.SortFunc(all, func(a, b logstats.FleetCustomer) int {
		va, oka := naiveSortValue(a.Stats, sortBy)
		vb, okb := naiveSortValue(b.Stats, sortBy)
		switch {
		case oka != okb && oka:
			return -1
		case oka != okb:
			return 1
		case va != vb && f.Ascending:
			return cmp.Compare(va, vb)
		case va != vb:
			return cmp.Compare(vb, va)
		}
		return cmp.Compare(a.CustomerID, b.CustomerID)
	})
	limit := cmp.Or(f.Limit, logstats.DefaultFleetLimit)
	rest := all[min(f.Offset, len(all)):]
	page = rest[:min(limit, len(rest))]
	for i := range page {
		if page[i].Stats.Percentiles = page[i].Stats.Percentiles[:min(len(f.Percentiles), len(page[i].Stats.Percentiles))]; len(page[i].Stats.Percentiles) == 0 {
			page[i].Stats.Percentiles = nil
		}
	}
	return len(all), page
}

// TestFleet_Property: each customer of the fleet has the stats of a naive
// computation over its requests of the range (SPEC §15, exact), the
// customers come in the order asked for, ties by id, and the page is the
// one asked for, with the total. On every backend, for a log loaded in
// small batches (several rollup rows a day) and random ranges, sorts,
// orders, pages, percentiles and definitions of failed.
func TestFleet_Property(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(21, 22))
	text, entries := formatLogAs(t, "logstats", fleetEntries(rng, 4000))
	p95 := mustPercentile(t, "95")
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		mustLoad(t, newIngester(db, 300), "a.log", text)
		for _, cache := range []time.Duration{0, time.Minute} {
			svc := logstats.NewStatsService(db.DB)
			svc.CacheFor = cache
			for round := range 40 {
				f := logstats.FleetFilter{
					From:      date("2024-09-30").AddDays(rng.IntN(9)),
					Sort:      []string{"", "total_requests", "total_failed_requests", "uptime", "p99_latency", "median_latency", "p90"}[rng.IntN(7)],
					Ascending: rng.IntN(2) == 0,
					Limit:     []int{0, 1, 5, 17, 10_000}[rng.IntN(5)],
					Offset:    []int{0, 0, 3, 39, 100}[rng.IntN(5)],
					Failed:    []logstats.FailedStatuses{0, logstats.Failed4xx5xx, logstats.Failed5xx}[rng.IntN(3)],
				}
				if rng.IntN(3) > 0 {
					f.To = ptr(f.From.AddDays(rng.IntN(5)))
				}
				if rng.IntN(2) == 0 {
					f.Percentiles = []logstats.Percentile{p95}
				}
				if rng.IntN(8) == 0 {
					f.Customer = ptr([]string{"f3", "ünï", "nobody"}[rng.IntN(3)])
				}
				got, err := svc.Fleet(ctx, f)
				if err != nil {
					t.Fatalf("Fleet(%+v): %v", f, err)
				}
				total, want := naiveFleet(entries, f)
				if got.TotalCustomers != total || len(got.Customers) != len(want) || got.Failed != cmp.Or(f.Failed, logstats.Failed4xx5xx) || got.DayZone != "UTC" {
					t.Fatalf("round %d, Fleet(%+v): %d customers of %d, failed %v; want %d of %d", round, f, len(got.Customers), got.TotalCustomers, got.Failed, len(want), total)
				}
				for i := range want {
					g, w := got.Customers[i], want[i]
					if g.CustomerID != w.CustomerID || g.FirstDay != w.FirstDay || g.LastDay != w.LastDay || !statsEqual(g.Stats, w.Stats) {
						t.Fatalf("round %d, Fleet(%+v), customer %d:\n%+v\nwant\n%+v", round, f, i, g, w)
					}
				}
			}
		}
	})
}

// TestFleet_Errors: what the fleet cannot answer is refused, with the
// kind of error that says why.
func TestFleet_Errors(t *testing.T) {
	svc := logstats.NewStatsService(testdb.Open(t, logstats.DialectSQLite).DB)
	from := date("2024-10-02")
	for _, tc := range []struct {
		f    logstats.FleetFilter
		want error
	}{
		{logstats.FleetFilter{}, logstats.ErrInvalidRange},
		{logstats.FleetFilter{From: from, To: ptr(date("2024-10-01"))}, logstats.ErrInvalidRange},
		{logstats.FleetFilter{From: from, Limit: logstats.MaxFleetLimit + 1}, logstats.ErrInvalidBreakdown},
		{logstats.FleetFilter{From: from, Limit: -1}, logstats.ErrInvalidBreakdown},
		{logstats.FleetFilter{From: from, Offset: -1}, logstats.ErrInvalidBreakdown},
		{logstats.FleetFilter{From: from, Sort: "slowest"}, logstats.ErrInvalidBreakdown},
	} {
		if _, err := svc.Fleet(context.Background(), tc.f); !errors.Is(err, tc.want) || logstats.KindOf(err) != logstats.KindInvalid {
			t.Errorf("Fleet(%+v) = %v, want %v", tc.f, err, tc.want)
		}
	}
	got, err := svc.Fleet(context.Background(), logstats.FleetFilter{From: from})
	if err != nil || got.TotalCustomers != 0 || len(got.Customers) != 0 {
		t.Errorf("the fleet of an empty database: %+v, %v", got, err)
	}
}
