package logstats_test

import (
	"context"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

func TestParseObjectives(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"uptime>=99.9", "uptime>=99.9"},
		{" uptime>=99.900 , p99<=0.5", "uptime>=99.9,p99<=0.5"},
		{"p99.9<=0.250000,p50<=1", "p99.9<=0.25,p50<=1"},
		{"uptime>=100,p100<=0", "uptime>=100,p100<=0"},
		{"uptime>=0.000001", "uptime>=0.000001"},
		{"p50<=1000000", "p50<=1000000"},
		{"", ""},
	} {
		got, err := logstats.ParseObjectives(tc.in)
		if err != nil || logstats.FormatObjectives(got) != tc.want {
			t.Errorf("ParseObjectives(%q) = %q, %v; want %q", tc.in, logstats.FormatObjectives(got), err, tc.want)
		}
	}
	for _, in := range []string{"uptime>=100.1", "uptime>99", "uptime>=-1", "uptime>=99.9999999", "p0<=1", "p101<=1", "p99<=", "p99<=.5", "p99<=0.5s", "p99<=1000000.000001",
		"p99>=0.5", "latency<=1", "uptime>=99,uptime>=98", "p99<=1,p99<=2", "uptime>=99,", strings.Repeat("p1<=1,", 11) + "uptime>=1"} {
		if _, err := logstats.ParseObjectives(in); !errors.Is(err, logstats.ErrInvalidObjective) || logstats.KindOf(err) != logstats.KindInvalid {
			t.Errorf("ParseObjectives(%q): %v, want ErrInvalidObjective", in, err)
		}
	}
	o, _ := logstats.ParseObjective("p99.5<=0.3")
	if !o.IsLatency() || o.Percentile().String() != "99.5" || o.Threshold() != 300*time.Millisecond || o.TargetText() != "0.3" {
		t.Errorf("p99.5<=0.3: %v %v %v %v", o.IsLatency(), o.Percentile(), o.Threshold(), o.TargetText())
	}
}

// naiveObjective is how o fares over the requests of customer from..to,
// computed from the requests one by one, in rational arithmetic.
func naiveObjective(t *testing.T, entries []logstats.Entry, customer string, from, to logstats.Date, o logstats.Objective, failedFrom int) logstats.ObjectiveStatus {
	t.Helper()
	var ps []logstats.Percentile
	if o.IsLatency() {
		ps = []logstats.Percentile{o.Percentile()}
	}
	st := naiveStatsFailed(entries, customer, from, &to, ps, failedFrom)
	out := logstats.ObjectiveStatus{Objective: o}
	target, ok := new(big.Rat).SetString(o.TargetText())
	if !ok {
		t.Fatal(o)
	}
	floor := func(n int64, pct *big.Rat) int64 { // n × (100 − pct) / 100, rounded down
		r := new(big.Rat).Sub(big.NewRat(100, 1), pct)
		r.Mul(r, big.NewRat(n, 100))
		return new(big.Int).Quo(r.Num(), r.Denom()).Int64()
	}
	if !o.IsLatency() {
		out.Allowed, out.Spent = floor(st.TotalRequests, target), st.FailedRequests
		out.HasActual, out.Uptime = st.TotalRequests > 0, st.Uptime
	} else {
		p, _ := new(big.Rat).SetString(o.Percentile().String())
		out.Allowed = floor(st.TimedRequests, p)
		for _, e := range entries {
			d := logstats.DateOf(e.Time)
			if e.CustomerID == customer && !d.Before(from) && !to.Before(d) && e.Timed() && e.Latency > o.Threshold() {
				out.Spent++
			}
		}
		if st.TimedRequests > 0 {
			out.HasActual, out.Latency = true, st.Percentiles[0].Latency
		}
	}
	out.Met = out.Spent <= out.Allowed
	return out
}

// TestObjectives: a customer's own objectives replace the service's, and
// each fares as the naive computation says (SPEC §15: allowed exact,
// spent from the distributions), in stats from the rollups (cached or
// not) and from the raw requests (filtered), and in the fleet, which
// sorts by the smallest remaining budget and keeps the breached ones when
// asked; deleting a customer's own brings the defaults back. On every
// backend.
func TestObjectives(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(41, 42))
	text, entries := formatLogAs(t, "nginx", fleetEntries(rng, 3000))
	defaults, err := logstats.ParseObjectives("uptime>=60,p95<=0.5")
	if err != nil {
		t.Fatal(err)
	}
	own, err := logstats.ParseObjectives("uptime>=72.5,p99.9<=0.35,p50<=0.123456")
	if err != nil {
		t.Fatal(err)
	}
	from, to := date("2024-10-02"), date("2024-10-06")
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		mustLoad(t, newIngester(db, 500), "a.log", text)
		for _, cache := range []time.Duration{0, time.Minute} {
			svc := logstats.NewStatsService(db.DB)
			svc.CacheFor, svc.Objectives = cache, defaults
			if err := svc.DeleteObjectives(ctx, "f1"); err != nil {
				t.Fatal(err)
			}
			if got, err := svc.FindStats(ctx, "f1", logstats.StatsFilter{From: from, To: &to}); err != nil || len(got.Objectives) != 2 {
				t.Fatalf("f1 before its own objectives: %+v, %v", got, err)
			}
			if err := svc.SetObjectives(ctx, "f1", own); err != nil {
				t.Fatal(err)
			}
			if err := svc.SetObjectives(ctx, "f2", nil); err != nil { // none at all
				t.Fatal(err)
			}
			if got, ownSet, err := svc.CustomerObjectives(ctx, "f1"); err != nil || !ownSet || logstats.FormatObjectives(got) != logstats.FormatObjectives(own) {
				t.Fatalf("CustomerObjectives(f1) = %v, %v, %v", got, ownSet, err)
			}
			if got, ownSet, err := svc.CustomerObjectives(ctx, "f3"); err != nil || ownSet || logstats.FormatObjectives(got) != logstats.FormatObjectives(defaults) {
				t.Fatalf("CustomerObjectives(f3) = %v, %v, %v", got, ownSet, err)
			}
			for _, failed := range []logstats.FailedStatuses{logstats.Failed4xx5xx, logstats.Failed5xx} {
				failedFrom := map[logstats.FailedStatuses]int{logstats.Failed4xx5xx: 400, logstats.Failed5xx: 500}[failed]
				for _, c := range []struct {
					id   string
					objs []logstats.Objective
				}{{"f1", own}, {"f2", nil}, {"f3", defaults}, {"nobody", defaults}} {
					for _, match := range [][]logstats.Match{nil, {{Key: "status_class", Value: "2xx"}}} {
						got, err := svc.FindStats(ctx, c.id, logstats.StatsFilter{From: from, To: &to, Failed: failed, Match: match})
						if err != nil {
							t.Fatal(err)
						}
						matched := entries
						if match != nil {
							matched = nil
							for _, e := range entries {
								if e.Status/100 == 2 {
									matched = append(matched, e)
								}
							}
						}
						if len(got.Objectives) != len(c.objs) {
							t.Fatalf("%s: %d objectives, want %d", c.id, len(got.Objectives), len(c.objs))
						}
						for i, o := range c.objs {
							if want := naiveObjective(t, matched, c.id, from, to, o, failedFrom); got.Objectives[i] != want {
								t.Fatalf("%s, %s (failed %s, match %v):\n%+v\nwant\n%+v", c.id, o, failed, match, got.Objectives[i], want)
							}
						}
					}
				}
			}
			// The fleet: each entry's objectives, sorted by the smallest
			// remaining budget, and the breached ones alone.
			fl, err := svc.Fleet(ctx, logstats.FleetFilter{From: from, To: &to, Sort: logstats.SortSLORemaining, Ascending: true, Limit: logstats.MaxFleetLimit})
			if err != nil {
				t.Fatal(err)
			}
			var remaining []int64 // each customer's smallest, in order; absent last
			withBudget, breached := 0, 0
			for _, c := range fl.Customers {
				objs := defaults
				switch c.CustomerID {
				case "f1":
					objs = own
				case "f2":
					objs = nil
				}
				least, has, met := int64(0), false, true
				for j, o := range objs {
					want := naiveObjective(t, entries, c.CustomerID, from, to, o, 400)
					if c.Objectives[j] != want {
						t.Fatalf("fleet, %s, %s:\n%+v\nwant\n%+v", c.CustomerID, o, c.Objectives[j], want)
					}
					r, ok := want.Remaining()
					if !ok && want.Spent > 0 {
						r, ok = math.MinInt64, true // no budget, and spent: the worst
					}
					if ok && (!has || r < least) {
						least, has = r, true
					}
					met = met && want.Met
				}
				if has {
					if withBudget < len(remaining) {
						t.Fatalf("fleet by slo_remaining: %s with a budget after customers without one", c.CustomerID)
					}
					withBudget++
					remaining = append(remaining, least)
				} else {
					remaining = append(remaining, 0)
				}
				if !met {
					breached++
				}
			}
			if !slices.IsSorted(remaining[:withBudget]) || withBudget < 2 {
				t.Fatalf("fleet by slo_remaining, ascending: %v (%d with a budget)", remaining, withBudget)
			}
			br, err := svc.Fleet(ctx, logstats.FleetFilter{From: from, To: &to, Breached: true, Limit: logstats.MaxFleetLimit})
			if err != nil {
				t.Fatal(err)
			}
			if br.TotalCustomers != breached || breached == 0 || breached == fl.TotalCustomers {
				t.Fatalf("slo=breached: %d customers, want %d of %d (the test needs some of each)", br.TotalCustomers, breached, fl.TotalCustomers)
			}
			if err := svc.DeleteObjectives(ctx, "f1"); err != nil {
				t.Fatal(err)
			}
			if got, err := svc.FindStats(ctx, "f1", logstats.StatsFilter{From: from, To: &to}); err != nil || len(got.Objectives) != 2 || got.Objectives[0].Objective.String() != "uptime>=60" {
				t.Fatalf("f1 after DeleteObjectives: %+v, %v", got.Objectives, err)
			}
		}
	})
}
