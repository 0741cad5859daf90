package logstats_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestFindStats_ComparePrevious: the previous range has as many days as
// the range asked for and ends the day before it; its stats equal the
// naive ones of its requests (SPEC §15), from the rollups and, with a
// filter, from the raw requests. A range without both ends is refused.
func TestFindStats_ComparePrevious(t *testing.T) {
	ctx := context.Background()
	text := breakdownLog(t, 3000, 11)
	entries := parseEntries(t, text)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		mustLoad(t, newIngester(db, 500), "a.log", text)
		svc := logstats.NewStatsService(db.DB)
		svc.CacheFor = time.Minute // the cached path as well
		p90 := []logstats.Percentile{mustPercentile(t, "90")}
		for _, tc := range []struct {
			from, to, prevFrom, prevTo string
			match                      []logstats.Match
		}{
			{"2024-10-03", "2024-10-04", "2024-10-01", "2024-10-02", nil},
			{"2024-10-02", "2024-10-02", "2024-10-01", "2024-10-01", nil},
			{"2024-10-04", "2024-10-04", "2024-10-03", "2024-10-03", []logstats.Match{{Key: "status_class", Value: "2xx"}}},
		} {
			f := logstats.StatsFilter{From: date(tc.from), To: ptr(date(tc.to)), Percentiles: p90, Match: tc.match, ComparePrevious: true}
			got, err := svc.FindStats(ctx, "c1", f)
			if err != nil {
				t.Fatal(err)
			}
			p := got.Previous
			if p == nil || p.From != date(tc.prevFrom) || p.To != date(tc.prevTo) {
				t.Fatalf("FindStats(%s..%s).Previous = %+v, want %s..%s", tc.from, tc.to, p, tc.prevFrom, tc.prevTo)
			}
			var matched []logstats.Entry
			for _, e := range entries {
				if len(tc.match) == 0 || referenceKey(e, "status_class") == tc.match[0].Value {
					matched = append(matched, e)
				}
			}
			if want := naiveStats(matched, "c1", p.From, &p.To, p90); !statsEqual(p.Stats, want) {
				t.Fatalf("previous stats of %s..%s =\n%+v\nwant\n%+v", p.From, p.To, p.Stats, want)
			}
			if want := naiveStats(matched, "c1", f.From, f.To, p90); !statsEqual(got.Stats, want) {
				t.Fatalf("stats of %s..%s with a comparison =\n%+v\nwant\n%+v", tc.from, tc.to, got.Stats, want)
			}
		}
		if _, err := svc.FindStats(ctx, "c1", logstats.StatsFilter{From: date("2024-10-02"), ComparePrevious: true}); !errors.Is(err, logstats.ErrInvalidRange) {
			t.Fatalf("a comparison without to: %v, want ErrInvalidRange", err)
		}
		if got, err := svc.FindStats(ctx, "c1", logstats.StatsFilter{From: date("2024-10-02")}); err != nil || got.Previous != nil {
			t.Fatalf("no comparison asked: %+v, %v; want no Previous", got.Previous, err)
		}
	})
}
