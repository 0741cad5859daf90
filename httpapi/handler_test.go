package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// testServer is the API over a fresh database, with a data directory that
// holds a copy of testdata/api_requests.log.
type testServer struct {
	*httptest.Server
	db       *testdb.DB
	dataDir  string
	ingester *logstats.Ingester
	logs     *testdb.SyncBuffer
}

func newTestServer(t *testing.T, db *testdb.DB, opts httpapi.Options) *testServer {
	t.Helper()
	return newWatchingServer(t, db, opts, nil)
}

// newWatchingServer is newTestServer with w as the follower of its logs.
func newWatchingServer(t *testing.T, db *testdb.DB, opts httpapi.Options, w httpapi.Watcher) *testServer {
	t.Helper()
	return newTestServerWith(t, db, httpapi.Deps{Watcher: w}, opts)
}

// newTestServerWith is newTestServer with the dependencies of deps that
// are set (the Watcher, Stats) in place of the usual ones.
func newTestServerWith(t *testing.T, db *testdb.DB, deps httpapi.Deps, opts httpapi.Options) *testServer {
	t.Helper()
	dataDir := t.TempDir()
	sample, err := os.ReadFile("../testdata/api_requests.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "api_requests.log"), sample, 0o644); err != nil {
		t.Fatal(err)
	}
	if opts.LogFile == "" {
		opts.LogFile = filepath.Join(dataDir, "api_requests.log")
	}
	if opts.DataDir == "" {
		opts.DataDir = dataDir
	}
	ing := logstats.NewIngester(db.DB)
	ing.Dialect = db.Dialect
	logs := &testdb.SyncBuffer{}
	if deps.Stats == nil {
		deps.Stats = logstats.NewStatsService(db.DB)
	}
	deps.Logger, deps.DB, deps.Loader, deps.Sources, deps.Keys = slog.New(slog.NewTextHandler(logs, nil)), db.DB, ing, ing, logstats.NewKeyService(db.DB)
	h := httpapi.NewHandler(deps, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, db: db, dataDir: dataDir, ingester: ing, logs: logs}
}

// do sends a request and returns the status and the decoded JSON body,
// checking that every response is JSON.
func (s *testServer) do(t *testing.T, method, path string, body io.Reader, header ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := *s.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodHead {
		return resp.StatusCode, nil, resp.Header
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, want application/json (body %s)", method, path, ct, raw)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, raw)
	}
	return resp.StatusCode, v, resp.Header
}

func (s *testServer) load(t *testing.T) {
	t.Helper()
	if status, body, _ := s.do(t, "POST", "/load", nil); status != 200 {
		t.Fatalf("POST /load: %d %v", status, body)
	}
}

// customerPath escapes a customer id for a URL path. url.PathEscape leaves
// "." alone, and the mux would clean "/customers/../stats" away, so dots are
// escaped too.
func customerPath(id string) string {
	return "/customers/" + strings.ReplaceAll(url.PathEscape(id), ".", "%2E") + "/stats/"
}

func TestHealth(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		for _, path := range []string{"/health", "/health/"} {
			status, body, _ := s.do(t, "GET", path, nil)
			if status != 200 || body["status"] != "ok" {
				t.Fatalf("GET %s: %d %v", path, status, body)
			}
		}
		if status, _, _ := s.do(t, "HEAD", "/health/", nil); status != 200 {
			t.Fatalf("HEAD /health/: %d", status)
		}
		for _, path := range []string{"/ready", "/ready/"} {
			status, body, _ := s.do(t, "GET", path, nil)
			if status != 200 || body["status"] != "ok" {
				t.Fatalf("GET %s: %d %v", path, status, body)
			}
		}
	})
}

func TestReady_DatabaseDown(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{})
	s.load(t)
	db.Close()
	status, body, _ := s.do(t, "GET", "/ready", nil)
	if status != 503 || body["status"] != "unavailable" || body["error"] == nil {
		t.Fatalf("GET /ready with the database closed: %d %v", status, body)
	}
	if status, body, _ := s.do(t, "GET", "/health/", nil); status != 200 {
		t.Fatalf("GET /health/ with the database closed: %d %v, want 200 (liveness)", status, body)
	}
	status, body, _ = s.do(t, "GET", "/customers/cust_1/stats/?from=2024-10-01", nil)
	if status != 503 || !strings.Contains(fmt.Sprint(body["error"]), "database is unavailable") {
		t.Fatalf("stats with the database closed: %d %v, want 503", status, body)
	}
}

// TestStats checks a stats response field by field against the library's
// answer for the same query.
func TestStats(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		s.load(t)
		want, err := logstats.NewStatsService(db.DB).FindStats(context.Background(), "cust_1", logstats.StatsFilter{From: date(t, "2024-10-01")})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/customers/cust_1/stats?from=2024-10-01", "/customers/cust_1/stats/?from=2024-10-01"} {
			status, body, _ := s.do(t, "GET", path, nil)
			if status != 200 {
				t.Fatalf("GET %s: %d %v", path, status, body)
			}
			if body["customer_id"] != "cust_1" || body["from_date"] != "2024-10-01" || body["to_date"] != nil {
				t.Fatalf("GET %s: header fields %v", path, body)
			}
			st := body["stats"].(map[string]any)
			checks := map[string]any{
				"total_requests":            float64(want.Stats.TotalRequests),
				"total_successful_requests": float64(want.Stats.SuccessfulRequests),
				"total_failed_requests":     float64(want.Stats.FailedRequests),
				"uptime":                    want.Stats.Uptime,
				"average_latency":           want.Stats.AverageLatency.Seconds(),
				"median_latency":            want.Stats.MedianLatency.Seconds(),
				"p99_latency":               want.Stats.P99Latency.Seconds(),
			}
			for k, v := range checks {
				if st[k] != v {
					t.Fatalf("stats.%s=%v, want %v", k, st[k], v)
				}
			}
			classes := st["requests_by_status_class"].(map[string]any)
			if classes["2xx"] != float64(want.Stats.RequestsByStatusClass[1]) {
				t.Fatalf("requests_by_status_class=%v, want 2xx=%d", classes, want.Stats.RequestsByStatusClass[1])
			}
			if _, ok := st["latency_percentiles"]; ok {
				t.Fatalf("latency_percentiles present without ?percentiles=")
			}
			daily := body["daily"].([]any)
			if len(daily) != len(want.Daily) || daily[0].(map[string]any)["date"] != want.Daily[0].Date.String() {
				t.Fatalf("daily has %d days (first %v), want %d", len(daily), daily[0], len(want.Daily))
			}
			if got := daily[0].(map[string]any)["total_requests"]; got != float64(want.Daily[0].Stats.TotalRequests) {
				t.Fatalf("daily[0].total_requests=%v, want %d", got, want.Daily[0].Stats.TotalRequests)
			}
		}
	})
}

func TestStats_Percentiles(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		s.load(t)
		status, body, _ := s.do(t, "GET", "/customers/cust_1/stats/?from=2024-10-01&to=2024-10-07&percentiles=50,95,99.9", nil)
		if status != 200 || body["to_date"] != "2024-10-07" {
			t.Fatalf("%d %v", status, body)
		}
		st := body["stats"].(map[string]any)
		ps := st["latency_percentiles"].(map[string]any)
		if len(ps) != 3 || ps["p50"] != st["median_latency"] || ps["p95"] == nil || ps["p99.9"] == nil {
			t.Fatalf("latency_percentiles=%v (median %v)", ps, st["median_latency"])
		}
		day := body["daily"].([]any)[0].(map[string]any)
		if dps, ok := day["latency_percentiles"].(map[string]any); !ok || len(dps) != 3 {
			t.Fatalf("daily[0].latency_percentiles=%v", day["latency_percentiles"])
		}
		// The percentiles come in the order asked for.
		raw := getRaw(t, s, "/customers/cust_1/stats/?from=2024-10-01&percentiles=99.9,50")
		if i, j := strings.Index(raw, `"p99.9"`), strings.Index(raw, `"p50"`); i < 0 || j < i {
			t.Fatalf("percentiles out of order in %s", raw)
		}
	})
}

// TestStats_Failed: failed= chooses the classes counted as failed, over
// the server's default, and the answer names them (SPEC §15).
func TestStats_Failed(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		svc := logstats.NewStatsService(db.DB)
		svc.Failed = logstats.Failed5xx
		s := newTestServerWith(t, db, httpapi.Deps{Stats: svc}, httpapi.Options{})
		s.load(t)
		for _, tc := range []struct {
			query string
			want  logstats.FailedStatuses
		}{{"", logstats.Failed5xx}, {"&failed=4xx,5xx", logstats.Failed4xx5xx}, {"&failed=5xx", logstats.Failed5xx}} {
			want, err := logstats.NewStatsService(db.DB).FindStats(context.Background(), "cust_1", logstats.StatsFilter{From: date(t, "2024-10-01"), Failed: tc.want})
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{"/customers/cust_1/stats?from=2024-10-01", "/customers/cust_1/breakdown?by=status_class&from=2024-10-01"} {
				status, body, _ := s.do(t, "GET", path+tc.query, nil)
				if status != 200 || body["failed_statuses"] != tc.want.String() {
					t.Fatalf("GET %s%s: %d, failed_statuses %v, want %v", path, tc.query, status, body["failed_statuses"], tc.want)
				}
				if strings.Contains(path, "breakdown") {
					continue
				}
				st := body["stats"].(map[string]any)
				if st["total_failed_requests"] != float64(want.Stats.FailedRequests) || st["uptime"] != want.Stats.Uptime {
					t.Fatalf("GET %s%s: failed %v, uptime %v; want %d, %v", path, tc.query, st["total_failed_requests"], st["uptime"], want.Stats.FailedRequests, want.Stats.Uptime)
				}
			}
		}
	})
}

// TestStats_Periods: interval=week or month answers periods in place of
// daily, as the library's (SPEC §15).
func TestStats_Periods(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		s.load(t)
		to := date(t, "2024-10-13")
		for _, interval := range []logstats.Interval{logstats.IntervalWeek, logstats.IntervalMonth} {
			want, err := logstats.NewStatsService(db.DB).FindStats(context.Background(), "cust_1", logstats.StatsFilter{From: date(t, "2024-10-02"), To: &to, Interval: interval})
			if err != nil {
				t.Fatal(err)
			}
			path := "/customers/cust_1/stats?from=2024-10-02&to=2024-10-13&interval=" + interval.String()
			status, body, _ := s.do(t, "GET", path, nil)
			periods, _ := body["periods"].([]any)
			if _, daily := body["daily"]; status != 200 || daily || len(periods) != len(want.Periods) || len(periods) == 0 {
				t.Fatalf("GET %s: %d, %d periods (want %d), daily present: %v", path, status, len(periods), len(want.Periods), daily)
			}
			for i, p := range periods {
				p := p.(map[string]any)
				w := want.Periods[i]
				if p["start"] != w.Start.String() || p["end"] != w.End.String() || p["total_requests"] != float64(w.Stats.TotalRequests) || p["p99_latency"] != w.Stats.P99Latency.Seconds() {
					t.Fatalf("GET %s: period %d is %v, want %+v", path, i, p, w)
				}
			}
		}
	})
}

func TestStats_NoData(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		s.load(t)
		for _, path := range []string{"/customers/nobody/stats/?from=2024-10-01&percentiles=50", "/customers/cust_1/stats/?from=2030-01-01&percentiles=50"} {
			status, body, _ := s.do(t, "GET", path, nil)
			if status != 200 {
				t.Fatalf("GET %s: %d %v", path, status, body)
			}
			st := body["stats"].(map[string]any)
			for _, k := range []string{"uptime", "average_latency", "median_latency", "p99_latency"} {
				if v, ok := st[k]; !ok || v != nil {
					t.Fatalf("GET %s: stats.%s=%v, want null", path, k, v)
				}
			}
			if st["total_requests"] != 0.0 || len(body["daily"].([]any)) != 0 {
				t.Fatalf("GET %s: %v", path, body)
			}
			if ps := st["latency_percentiles"].(map[string]any); ps["p50"] != nil || len(ps) != 1 {
				t.Fatalf("GET %s: latency_percentiles=%v, want p50 null", path, ps)
			}
		}
	})
}

// TestStats_CustomerIDs loads customers whose ids need escaping in a URL and
// checks that each round-trips.
func TestStats_CustomerIDs(t *testing.T) {
	// Ids a case- or accent-insensitive collation would fold together
	// (cust_1, CUST_1; café, cafe, CAFÉ) must stay apart.
	ids := []string{"a/b", "100%", "%2F", `"quoted"`, "it's", "café", "cafe", "CAFÉ", "cust_1", "CUST_1", "日本", "..", ".", "a?b#c", "x&y=z", "+plus", "semi;colon", `back\slash`}
	var log strings.Builder
	for i, id := range ids {
		for j := 0; j <= i; j++ {
			fmt.Fprintf(&log, "2024-10-01 10:00:%02d %s /a 200 0.%03d\n", j, id, 100+j)
		}
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		if status, body, _ := s.do(t, "POST", "/load?source=ids.log", strings.NewReader(log.String())); status != 200 || body["inserted"] != float64(len(ids)*(len(ids)+1)/2) {
			t.Fatalf("load: %d %v", status, body)
		}
		for i, id := range ids {
			status, body, _ := s.do(t, "GET", customerPath(id)+"?from=2024-10-01", nil)
			if status != 200 || body["customer_id"] != id || body["stats"].(map[string]any)["total_requests"] != float64(i+1) {
				t.Fatalf("customer %q: %d %v", id, status, body)
			}
		}
		status, body, _ := s.do(t, "GET", "/customers/", nil)
		if status != 200 || len(body["customers"].([]any)) != len(ids) {
			t.Fatalf("GET /customers/: %d %v", status, body)
		}
	})
}

func TestCustomers(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		status, body, _ := s.do(t, "GET", "/customers", nil)
		if status != 200 || len(body["customers"].([]any)) != 0 || body["next_after"] != nil {
			t.Fatalf("GET /customers before loading: %d %v", status, body)
		}
		s.load(t)
		status, body, _ = s.do(t, "GET", "/customers/", nil)
		list := body["customers"].([]any)
		if status != 200 || len(list) != 50 {
			t.Fatalf("GET /customers/: %d, %d customers, want 50", status, len(list))
		}
		first := list[0].(map[string]any)
		if first["customer_id"] != "cust_1" || first["first_day"] == nil || first["last_day"] == nil || first["total_requests"].(float64) < 1 {
			t.Fatalf("first customer: %v", first)
		}
		status, body, _ = s.do(t, "GET", "/customers/?limit=2&after=cust_1", nil)
		page := body["customers"].([]any)
		if status != 200 || len(page) != 2 || page[0].(map[string]any)["customer_id"] != "cust_10" || body["next_after"] != "cust_11" {
			t.Fatalf("page: %d %v", status, body)
		}
	})
}

// TestCustomers_Fleet: with from, each customer comes with its stats of
// the range, as the library's Fleet says, sorted, paged and counted
// (SPEC §15).
func TestCustomers_Fleet(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		s.load(t)
		p90, _ := logstats.ParsePercentile("90")
		to := date(t, "2024-10-07")
		want, err := logstats.NewStatsService(db.DB).Fleet(context.Background(), logstats.FleetFilter{
			From: date(t, "2024-10-02"), To: &to, Sort: "p99_latency", Ascending: true, Limit: 3, Offset: 2,
			Percentiles: []logstats.Percentile{p90}, Failed: logstats.Failed5xx})
		if err != nil {
			t.Fatal(err)
		}
		path := "/customers/?from=2024-10-02&to=2024-10-07&sort=p99_latency&order=asc&limit=3&offset=2&percentiles=90&failed=5xx"
		var got struct {
			DayZone        string `json:"day_zone"`
			From           string `json:"from_date"`
			To             string `json:"to_date"`
			Failed         string `json:"failed_statuses"`
			TotalCustomers int    `json:"total_customers"`
			Customers      []struct {
				ID       string `json:"customer_id"`
				FirstDay string `json:"first_day"`
				LastDay  string `json:"last_day"`
				Stats    struct {
					Total       int64              `json:"total_requests"`
					Failed      int64              `json:"total_failed_requests"`
					P99         float64            `json:"p99_latency"`
					Percentiles map[string]float64 `json:"latency_percentiles"`
				} `json:"stats"`
			} `json:"customers"`
		}
		if err := json.Unmarshal([]byte(getRaw(t, s, path)), &got); err != nil {
			t.Fatal(err)
		}
		if got.DayZone != "UTC" || got.From != "2024-10-02" || got.To != "2024-10-07" || got.Failed != "5xx" ||
			got.TotalCustomers != want.TotalCustomers || got.TotalCustomers < 10 || len(got.Customers) != 3 {
			t.Fatalf("GET %s: %+v, want %d customers in all", path, got, want.TotalCustomers)
		}
		for i, c := range got.Customers {
			w := want.Customers[i]
			if c.ID != w.CustomerID || c.FirstDay != w.FirstDay.String() || c.LastDay != w.LastDay.String() || c.Stats.Total != w.Stats.TotalRequests ||
				c.Stats.Failed != w.Stats.FailedRequests || c.Stats.P99 != w.Stats.P99Latency.Seconds() || c.Stats.Percentiles["p90"] != w.Stats.Percentiles[0].Latency.Seconds() {
				t.Fatalf("GET %s: customer %d is %+v, want %+v", path, i, c, w)
			}
		}
		// Past the end: an empty page, with the total.
		status, body, _ := s.do(t, "GET", "/customers/?from=2024-10-02&offset=1000", nil)
		if status != 200 || len(body["customers"].([]any)) != 0 || body["total_customers"] != float64(50) {
			t.Fatalf("a page past the end: %d %v", status, body)
		}
	})
}

func getRaw(t *testing.T, s *testServer, path string) string {
	t.Helper()
	resp, err := s.Client().Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func date(t *testing.T, s string) logstats.Date {
	t.Helper()
	d, err := logstats.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	zw.Close()
	return b.Bytes()
}
