package statsjson

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
)

// The shape of a stats answer, for encoding/json: the reference that
// AppendStats must match byte for byte.
type refResponse struct {
	CustomerID string          `json:"customer_id"`
	DayZone    string          `json:"day_zone"`
	FromDate   string          `json:"from_date"`
	ToDate     *string         `json:"to_date"`
	Failed     string          `json:"failed_statuses"`
	Stats      refStatsJSON    `json:"stats"`
	Daily      []refDayJSON    `json:"daily,omitempty"`
	Periods    []refPeriodJSON `json:"periods,omitempty"`
}

type refPeriodJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
	refStatsJSON
}

type refStatsJSON struct {
	TotalRequests           int64            `json:"total_requests"`
	TotalSuccessfulRequests int64            `json:"total_successful_requests"`
	TotalFailedRequests     int64            `json:"total_failed_requests"`
	TimedRequests           int64            `json:"timed_requests"`
	Uptime                  *float64         `json:"uptime"`
	AverageLatency          *float64         `json:"average_latency"`
	MedianLatency           *float64         `json:"median_latency"`
	P99Latency              *float64         `json:"p99_latency"`
	MinLatency              *float64         `json:"min_latency"`
	MaxLatency              *float64         `json:"max_latency"`
	RequestsByStatusClass   map[string]int64 `json:"requests_by_status_class"`
	LatencyPercentiles      *refPercentiles  `json:"latency_percentiles,omitempty"`
}

type refDayJSON struct {
	Date string `json:"date"`
	refStatsJSON
}

type refPercentiles struct {
	names  []logstats.Percentile
	values []*float64
}

func (p *refPercentiles) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, name := range p.names {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal("p" + name.String())
		v, _ := json.Marshal(p.values[i])
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

func refSeconds(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1e6
	return &v
}

func refStats(st logstats.Stats, ps []logstats.Percentile) refStatsJSON {
	out := refStatsJSON{
		TotalRequests:           st.TotalRequests,
		TotalSuccessfulRequests: st.SuccessfulRequests,
		TotalFailedRequests:     st.FailedRequests,
		TimedRequests:           st.TimedRequests,
		RequestsByStatusClass:   map[string]int64{},
	}
	for i, n := range st.RequestsByStatusClass {
		if n > 0 {
			out.RequestsByStatusClass[strconv.Itoa(i+1)+"xx"] = n
		}
	}
	if len(ps) > 0 {
		out.LatencyPercentiles = &refPercentiles{names: ps, values: make([]*float64, len(ps))}
	}
	if st.TotalRequests == 0 {
		return out
	}
	out.Uptime = &st.Uptime
	if st.TimedRequests == 0 {
		return out
	}
	for i := range ps {
		if i < len(st.Percentiles) {
			out.LatencyPercentiles.values[i] = refSeconds(st.Percentiles[i].Latency)
		}
	}
	out.AverageLatency, out.MedianLatency, out.P99Latency = refSeconds(st.AverageLatency), refSeconds(st.MedianLatency), refSeconds(st.P99Latency)
	out.MinLatency, out.MaxLatency = refSeconds(st.MinLatency), refSeconds(st.MaxLatency)
	return out
}

func randomStats(rng *rand.Rand, ps []logstats.Percentile) logstats.Stats {
	var st logstats.Stats
	if rng.IntN(5) == 0 {
		return st // no requests
	}
	latency := func() time.Duration {
		switch rng.IntN(6) {
		case 0:
			return 0
		case 1:
			return time.Microsecond * time.Duration(1+rng.IntN(9))
		case 2:
			return 24 * time.Hour
		}
		return time.Duration(rng.Int64N(int64(24 * time.Hour))).Truncate(time.Microsecond)
	}
	for i := range st.RequestsByStatusClass {
		if rng.IntN(2) == 0 {
			st.RequestsByStatusClass[i] = rng.Int64N(1 << 40)
			st.TotalRequests += st.RequestsByStatusClass[i]
		}
	}
	st.TotalRequests++
	st.SuccessfulRequests = rng.Int64N(st.TotalRequests + 1)
	st.FailedRequests = st.TotalRequests - st.SuccessfulRequests
	st.Uptime = float64(rng.IntN(10001)) / 100
	if st.TimedRequests = rng.Int64N(st.TotalRequests + 1); st.TimedRequests == 0 {
		return st // no latency figures
	}
	st.AverageLatency, st.MedianLatency, st.P99Latency, st.MinLatency, st.MaxLatency = latency(), latency(), latency(), latency(), latency()
	for i := range ps {
		st.Percentiles = append(st.Percentiles, logstats.PercentileLatency{Percentile: ps[i], Latency: latency()})
	}
	return st
}

// TestAppendStatsResponse holds the hand-written encoder to encoding/json's
// bytes for the same answer.
func TestAppendStatsResponse(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	customers := []string{"cust_1", "c<&>\"\\é", "\xff\xfe", "日本", "a\u2028b"}
	p50, _ := logstats.ParsePercentile("50")
	p999, _ := logstats.ParsePercentile("99.9")
	p0, _ := logstats.ParsePercentile("0")
	for i := range 2000 {
		var ps []logstats.Percentile
		switch i % 3 {
		case 1:
			ps = []logstats.Percentile{p999}
		case 2:
			ps = []logstats.Percentile{p50, p0, p999}
		}
		f := logstats.StatsFilter{From: logstats.Date{Year: 1 + rng.IntN(9999), Month: time.Month(1 + rng.IntN(12)), Day: 1 + rng.IntN(28)}, Percentiles: ps}
		if rng.IntN(2) == 0 {
			to := f.From.AddDays(rng.IntN(400))
			f.To = &to
		}
		zone := []string{"UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"}[i%3]
		failed := []logstats.FailedStatuses{logstats.Failed4xx5xx, logstats.Failed5xx}[i%2]
		st := &logstats.CustomerStats{CustomerID: customers[i%len(customers)], DayZone: zone, From: f.From, To: f.To, Failed: failed, Stats: randomStats(rng, ps)}
		if i%4 == 3 {
			f.Interval = logstats.IntervalMonth
		}
		for d := range rng.IntN(5) {
			if f.Interval == logstats.IntervalDay {
				st.Daily = append(st.Daily, logstats.DailyStats{Date: f.From.AddDays(d), Stats: randomStats(rng, ps)})
			} else {
				st.Periods = append(st.Periods, logstats.PeriodStats{Start: f.From.AddDays(7 * d), End: f.From.AddDays(7*d + 6), Stats: randomStats(rng, ps)})
			}
		}
		ref := refResponse{CustomerID: st.CustomerID, DayZone: zone, FromDate: f.From.String(), Failed: failed.String(), Stats: refStats(st.Stats, ps)}
		if f.To != nil {
			to := f.To.String()
			ref.ToDate = &to
		}
		for _, d := range st.Daily {
			ref.Daily = append(ref.Daily, refDayJSON{Date: d.Date.String(), refStatsJSON: refStats(d.Stats, ps)})
		}
		for _, p := range st.Periods {
			ref.Periods = append(ref.Periods, refPeriodJSON{Start: p.Start.String(), End: p.End.String(), refStatsJSON: refStats(p.Stats, ps)})
		}
		want, err := json.Marshal(ref)
		// encoding/json cannot omit one empty list and keep the other.
		if f.Interval == logstats.IntervalDay && len(ref.Daily) == 0 {
			want = append(want[:len(want)-1], `,"daily":[]}`...)
		} else if f.Interval != logstats.IntervalDay && len(ref.Periods) == 0 {
			want = append(want[:len(want)-1], `,"periods":[]}`...)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendStats(nil, st, f); string(got) != string(want) {
			t.Fatalf("case %d:\ngot  %s\nwant %s", i, got, want)
		}
	}
}

// TestAppendObjectives: the slo block as SPEC §15 spells it, with nulls
// where there is no figure and remaining negative when overspent.
func TestAppendObjectives(t *testing.T) {
	up, _ := logstats.ParseObjective("uptime>=99.9")
	p99, _ := logstats.ParseObjective("p99<=0.5")
	st := &logstats.CustomerStats{CustomerID: "c", DayZone: "UTC", Failed: logstats.Failed4xx5xx, Daily: []logstats.DailyStats{},
		Objectives: []logstats.ObjectiveStatus{
			{Objective: up, HasActual: true, Uptime: 99.95, Allowed: 175, Spent: 88, Met: true},
			{Objective: p99, HasActual: true, Latency: 612 * time.Millisecond, Allowed: 3, Spent: 7},
			{Objective: p99},
		}}
	got := string(AppendStats(nil, st, logstats.StatsFilter{}))
	want := `"daily":[],"slo":[` +
		`{"objective":"uptime>=99.9","target":99.9,"actual":99.95,"met":true,"budget":{"allowed":175,"spent":88,"remaining":0.497}},` +
		`{"objective":"p99<=0.5","target":0.5,"actual":0.612,"met":false,"budget":{"allowed":3,"spent":7,"remaining":-1.333}},` +
		`{"objective":"p99<=0.5","target":0.5,"actual":null,"met":false,"budget":{"allowed":0,"spent":0,"remaining":null}}]}`
	if !strings.HasSuffix(got, want) {
		t.Fatalf("got  %s\nwant ...%s", got, want)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
}
