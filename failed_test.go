package logstats_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

func TestParseFailedStatuses(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want logstats.FailedStatuses
	}{
		{"4xx,5xx", logstats.Failed4xx5xx},
		{"5xx, 4xx", logstats.Failed4xx5xx},
		{" 4XX , 5xx ", logstats.Failed4xx5xx},
		{"5xx", logstats.Failed5xx},
		{"", 0}, {"4xx", 0}, {"5xx,5xx", 0}, {"4xx,5xx,", 0}, {"3xx,5xx", 0}, {"500", 0}, {"4xx,5xx,4xx", 0},
		{"x,4xx,5xx", 0}, {"x,4xx,4xx,5xx", 0}, {"4xx,x,5xx", 0},
	} {
		got, err := logstats.ParseFailedStatuses(tc.in)
		if tc.want == 0 {
			if !errors.Is(err, logstats.ErrInvalidFailed) || logstats.KindOf(err) != logstats.KindInvalid {
				t.Errorf("ParseFailedStatuses(%q) = %v, %v; want ErrInvalidFailed", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseFailedStatuses(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if again, err := logstats.ParseFailedStatuses(got.String()); err != nil || again != got {
			t.Errorf("ParseFailedStatuses(%q) = %v, %v; want %v", got.String(), again, err, got)
		}
	}
}

// TestFailedStatuses: with 5xx alone counted as failed, the counts and
// uptime of stats (from the rollups, cached or not, and filtered from the
// raw requests) and of breakdowns equal the naive ones, on data loaded
// before the choice (SPEC §15); the service's default applies when a
// query does not choose, and each answer names what it used.
func TestFailedStatuses(t *testing.T) {
	ctx := context.Background()
	text := breakdownLog(t, 3000, 12)
	entries := parseEntries(t, text)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		mustLoad(t, newIngester(db, 700), "a.log", text)
		from, to := date("2024-10-01"), date("2024-10-03")
		for _, tc := range []struct {
			name            string
			service, filter logstats.FailedStatuses
			want            logstats.FailedStatuses
		}{
			{"default", 0, 0, logstats.Failed4xx5xx},
			{"service", logstats.Failed5xx, 0, logstats.Failed5xx},
			{"query", 0, logstats.Failed5xx, logstats.Failed5xx},
			{"query over service", logstats.Failed5xx, logstats.Failed4xx5xx, logstats.Failed4xx5xx},
		} {
			failedFrom := map[logstats.FailedStatuses]int{logstats.Failed4xx5xx: 400, logstats.Failed5xx: 500}[tc.want]
			for _, cache := range []time.Duration{0, time.Minute} {
				svc := logstats.NewStatsService(db.DB)
				svc.Failed, svc.CacheFor = tc.service, cache
				for _, match := range [][]logstats.Match{nil, {{Key: "method", Value: "GET"}}} {
					got, err := svc.FindStats(ctx, "c1", logstats.StatsFilter{From: from, To: &to, Failed: tc.filter, Match: match})
					if err != nil {
						t.Fatal(err)
					}
					var matched []logstats.Entry
					for _, e := range entries {
						if len(match) == 0 || e.Method == "GET" {
							matched = append(matched, e)
						}
					}
					if want := naiveStatsFailed(matched, "c1", from, &to, nil, failedFrom); !statsEqual(got.Stats, want) || got.Failed != tc.want {
						t.Fatalf("%s (cache %v, match %v): %v\n%+v\nwant %v\n%+v", tc.name, cache, match, got.Failed, got.Stats, tc.want, want)
					}
					for _, d := range got.Daily {
						if want := naiveStatsFailed(matched, "c1", d.Date, &d.Date, nil, failedFrom); !statsEqual(d.Stats, want) {
							t.Fatalf("%s: day %s = %+v, want %+v", tc.name, d.Date, d.Stats, want)
						}
					}
				}
				b, err := svc.Breakdown(ctx, "c1", logstats.BreakdownFilter{From: from, To: &to, By: []string{"method"}, Failed: tc.filter, Sort: "uptime"})
				if err != nil {
					t.Fatal(err)
				}
				if b.Failed != tc.want || len(b.Groups) == 0 {
					t.Fatalf("%s: breakdown names %v with %d groups, want %v", tc.name, b.Failed, len(b.Groups), tc.want)
				}
				for _, g := range b.Groups {
					var matched []logstats.Entry
					for _, e := range entries {
						if e.Method == g.Key[0] {
							matched = append(matched, e)
						}
					}
					if want := naiveStatsFailed(matched, "c1", from, &to, nil, failedFrom); !statsEqual(g.Stats, want) {
						t.Fatalf("%s: group %v = %+v, want %+v", tc.name, g.Key, g.Stats, want)
					}
				}
			}
		}
	})
}
