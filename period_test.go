package logstats_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

func TestParseInterval(t *testing.T) {
	for _, s := range []string{"day", "week", "month"} {
		if i, err := logstats.ParseInterval(s); err != nil || i.String() != s {
			t.Errorf("ParseInterval(%q) = %v, %v", s, i, err)
		}
	}
	for _, s := range []string{"", "Week", "days", "year"} {
		if _, err := logstats.ParseInterval(s); !errors.Is(err, logstats.ErrInvalidInterval) {
			t.Errorf("ParseInterval(%q): %v, want ErrInvalidInterval", s, err)
		}
	}
}

// naivePeriods are the periods of the days from..to with requests of
// customer: ISO weeks (Monday first) or calendar months, cut to the range.
func naivePeriods(entries []logstats.Entry, customer string, from, to logstats.Date, interval logstats.Interval, ps []logstats.Percentile) []logstats.PeriodStats {
	var out []logstats.PeriodStats
	for d := from; !to.Before(d); {
		var end logstats.Date
		switch interval {
		case logstats.IntervalWeek:
			end = d
			for end.Time().Weekday() != time.Sunday {
				end = end.AddDays(1)
			}
		case logstats.IntervalMonth:
			end = logstats.DateOf(time.Date(d.Year, d.Month+1, 0, 0, 0, 0, 0, time.UTC))
		}
		if to.Before(end) {
			end = to
		}
		if st := naiveStats(entries, customer, d, &end, ps); st.TotalRequests > 0 {
			out = append(out, logstats.PeriodStats{Start: d, End: end, Stats: st})
		}
		d = end.AddDays(1)
	}
	return out
}

// TestFindStats_Periods: with interval=week or month, the answer has the
// ISO weeks or calendar months of the range with requests, cut to the
// range, each with the naive stats of its days (SPEC §15); from the
// rollups, cached or not, and filtered from the raw requests.
func TestFindStats_Periods(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(31, 32))
	var entries []logstats.Entry
	start := time.Date(2024, 9, 20, 0, 0, 0, 0, time.UTC)
	for range 3000 {
		e := logstats.Entry{
			Time:       start.Add(time.Duration(rng.Int64N(55 * 86400 * 1e9))).Truncate(time.Second),
			CustomerID: "c1",
			Method:     []string{"GET", "POST"}[rng.IntN(2)],
			Path:       "/v1/x",
			Status:     []int{200, 200, 404, 500}[rng.IntN(4)],
			Latency:    time.Duration(rng.IntN(900)) * time.Millisecond,
		}
		if rng.IntN(7) == 0 {
			e.Latency = logstats.NoLatency
		}
		if d := logstats.DateOf(e.Time); d.Month == time.October && d.Day >= 14 && d.Day <= 20 {
			continue // a week without requests
		}
		entries = append(entries, e)
	}
	text, entries := formatLogAs(t, "nginx", entries) // which keeps methods
	p90 := []logstats.Percentile{mustPercentile(t, "90")}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		mustLoad(t, newIngester(db, 400), "a.log", text)
		for _, cache := range []time.Duration{0, time.Minute} {
			svc := logstats.NewStatsService(db.DB)
			svc.CacheFor = cache
			for _, tc := range []struct{ from, to string }{
				{"2024-09-18", "2024-11-20"}, {"2024-10-02", "2024-10-29"}, {"2024-10-15", "2024-10-19"}, {"2024-09-30", "2024-09-30"},
			} {
				from, to := date(tc.from), date(tc.to)
				for _, interval := range []logstats.Interval{logstats.IntervalWeek, logstats.IntervalMonth} {
					for _, get := range []bool{false, true} {
						f := logstats.StatsFilter{From: from, To: &to, Interval: interval, Percentiles: p90}
						matched := entries
						if get {
							f.Match = []logstats.Match{{Key: "method", Value: "GET"}}
							matched = nil
							for _, e := range entries {
								if e.Method == "GET" {
									matched = append(matched, e)
								}
							}
						}
						got, err := svc.FindStats(ctx, "c1", f)
						if err != nil {
							t.Fatal(err)
						}
						want := naivePeriods(matched, "c1", from, to, interval, p90)
						if got.Daily != nil || len(got.Periods) != len(want) {
							t.Fatalf("%s..%s by %s (GET %v): %d periods and %d days, want %d periods", tc.from, tc.to, interval, get, len(got.Periods), len(got.Daily), len(want))
						}
						for i, w := range want {
							g := got.Periods[i]
							if g.Start != w.Start || g.End != w.End || !statsEqual(g.Stats, w.Stats) {
								t.Fatalf("%s..%s by %s (GET %v), period %d:\n%+v\nwant\n%+v", tc.from, tc.to, interval, get, i, g, w)
							}
						}
						if wantAll := naiveStats(matched, "c1", from, &to, p90); !statsEqual(got.Stats, wantAll) {
							t.Fatalf("%s..%s by %s: the range's stats %+v, want %+v", tc.from, tc.to, interval, got.Stats, wantAll)
						}
					}
				}
			}
		}
	})
}
