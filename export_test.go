package logstats_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRequests_Property: what Requests exports equals what was loaded,
// request for request, in its order (by day of the day zone, then by
// source in the order loaded, then as in the source), on every backend and in both raw modes
// that keep requests: random logs (requests without a latency among
// them) of several sources, in random batch sizes, a day zone that is not
// UTC in some rounds, exported whole and over random ranges of days.
func TestRequests_Property(t *testing.T) {
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	testdb.ForEach(t, func(t *testing.T, base *testdb.DB) {
		forEachRawMode(t, []logstats.RawMode{logstats.RawBlocks, logstats.RawRows}, func(t *testing.T, mode logstats.RawMode) {
			for round := range rounds {
				seed := uint64(100*round + 7)
				t.Run(fmt.Sprint(round), func(t *testing.T) {
					db := base.Fresh(t)
					zone := time.UTC
					if round%2 == 1 {
						zone = loadZone(t, "America/New_York")
						if err := logstats.SetDayZone(context.Background(), db.DB, zone); err != nil {
							t.Fatal(err)
						}
					}
					ing := newIngester(db, 97+int(seed)%700)
					ing.Raw = mode
					type loaded struct {
						source int64
						load   int // which load: the order of the sources
						e      logstats.Entry
						order  int // in its source
					}
					var want []loaded
					for i := range 2 {
						cfg := loggen.DefaultConfig()
						cfg.Lines, cfg.Seed, cfg.Customers, cfg.Days = 2500+500*i, seed+uint64(i), 4, 6
						cfg.UntimedRate, cfg.MalformedRate = 0.2, 0.01
						var text strings.Builder
						if err := loggen.Write(&text, cfg); err != nil {
							t.Fatal(err)
						}
						name := fmt.Sprintf("%d.log", i)
						mustLoad(t, ing, name, text.String())
						id := sourceNamed(t, ing, name).ID
						for k, e := range parseEntries(t, text.String()) {
							want = append(want, loaded{id, i, e, k})
						}
					}
					day := func(e logstats.Entry) logstats.Date {
						t := e.Time.In(zone)
						return logstats.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
					}
					// Requests' order: customer by customer here, then day,
					// source in the order loaded, and the order in the source.
					slices.SortStableFunc(want, func(a, b loaded) int {
						return cmp.Or(strings.Compare(a.e.CustomerID, b.e.CustomerID), day(a.e).Compare(day(b.e)),
							cmp.Compare(a.load, b.load), cmp.Compare(a.order, b.order))
					})
					got := exportAll(t, db.DB)
					if len(got) != len(want) {
						t.Fatalf("exported %d requests, loaded %d", len(got), len(want))
					}
					for i := range got {
						if g, w := got[i], want[i]; !sameRequest(g.Entry, w.e) || g.SourceID != w.source {
							t.Fatalf("request %d exported as %v (source %d), loaded as %v (source %d)", i, g.Entry, g.SourceID, w.e, w.source)
						}
					}
					// A range of days: exactly the requests of those days.
					from := day(want[0].e).AddDays(1)
					to := from.AddDays(int(seed % 3))
					customer := want[0].e.CustomerID
					var wantRange []logstats.Entry
					for _, l := range want {
						if d := day(l.e); l.e.CustomerID == customer && !d.Before(from) && !to.Before(d) {
							wantRange = append(wantRange, l.e)
						}
					}
					var gotRange []logstats.Entry
					for r, err := range logstats.Requests(context.Background(), db.DB, customer, logstats.RequestFilter{From: from, To: &to}) {
						if err != nil {
							t.Fatal(err)
						}
						gotRange = append(gotRange, r.Entry)
					}
					if !slices.EqualFunc(gotRange, wantRange, sameRequest) {
						t.Fatalf("%s from %s to %s: exported %d requests, want %d", customer, from, to, len(gotRange), len(wantRange))
					}
					mustVerify(t, db)
				})
			}
		})
	})
}

// sameRequest reports whether two requests are the same, their times to the
// microsecond whatever their zones.
func sameRequest(a, b logstats.Entry) bool {
	return a.Time.UnixMicro() == b.Time.UnixMicro() && a.CustomerID == b.CustomerID && a.Method == b.Method &&
		a.Path == b.Path && a.Status == b.Status && a.Latency == b.Latency
}

// TestRequests_Stop: a caller that stops early stops the iteration, and an
// invalid range or raw mode none yields one error.
func TestRequests_Stop(t *testing.T) {
	text := genLog(t, 3000, 5, 0)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		mustLoad(t, newIngester(db, 500), "a.log", text)
		n := 0
		for _, err := range logstats.Requests(ctx, db.DB, "cust_1", logstats.RequestFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 10 {
				break
			}
		}
		to := date("2024-09-01")
		for _, err := range logstats.Requests(ctx, db.DB, "cust_1", logstats.RequestFilter{From: date("2024-10-01"), To: &to}) {
			if !errors.Is(err, logstats.ErrInvalidRange) {
				t.Fatalf("to before from: %v, want ErrInvalidRange", err)
			}
		}
		none := db.Fresh(t)
		ing := newIngester(none, 500)
		ing.Raw = logstats.RawNone
		mustLoad(t, ing, "a.log", text)
		errs := 0
		for r, err := range logstats.Requests(ctx, none.DB, "cust_1", logstats.RequestFilter{}) {
			if !errors.Is(err, logstats.ErrNoRawRequests) || logstats.KindOf(err) != logstats.KindConflict || r.CustomerID != "" {
				t.Fatalf("under raw mode none: %v, %v; want ErrNoRawRequests", r, err)
			}
			errs++
		}
		if errs != 1 {
			t.Fatalf("%d errors yielded, want 1", errs)
		}
	})
}
