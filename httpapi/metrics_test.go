package httpapi_test

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/follow"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// scrape reads /metrics into a map from series ("name{label="value",...}",
// labels in the exposition's sorted order) to value.
func scrape(t *testing.T, s *testServer) map[string]float64 {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s: %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMetrics sends known traffic and checks that the request, load and pool
// metrics count exactly it, and that they move with more traffic.
func TestMetrics(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		before := scrape(t, s)
		for _, name := range []string{
			`logstats_load_lines_total{result="inserted"}`, `logstats_loads_total{outcome="ok"}`,
			`go_sql_max_open_connections{db_name="logstats"}`, `go_goroutines`,
		} {
			if _, ok := before[name]; !ok {
				t.Errorf("no %s before any traffic", name)
			}
		}
		if before[`logstats_load_lines_total{result="inserted"}`] != 0 {
			t.Fatal("lines counted before any load")
		}

		_, load, _ := s.do(t, "POST", "/load", nil)
		_, upload, _ := s.do(t, "POST", "/load?source=up.log", strings.NewReader("2024-10-03 10:00:00 cust_9 /x 200 0.1\nnot a line\n"))
		s.do(t, "GET", "/health/", nil)
		s.do(t, "GET", "/health", nil)
		s.do(t, "GET", "/customers/cust_1/stats/?from=2024-10-01", nil)
		s.do(t, "GET", "/customers/other/stats/?from=2024-10-01", nil)
		s.do(t, "GET", "/customers/cust_1/stats/", nil) // 400
		s.do(t, "GET", "/no/such/path", nil)
		s.do(t, "DELETE", "/health/", nil)
		s.do(t, "GET", "/customers/", nil, "Authorization", "Bearer wrong") // 401

		m := scrape(t, s)
		num := func(v any) float64 { f, _ := v.(float64); return f }
		want := map[string]float64{
			`logstats_http_requests_total{code="200",method="GET",route="/health"}`:                               2,
			`logstats_http_requests_total{code="200",method="GET",route="/customers/{id}/stats"}`:                 2,
			`logstats_http_requests_total{code="400",method="GET",route="/customers/{id}/stats"}`:                 1,
			`logstats_http_requests_total{code="404",method="GET",route="unmatched"}`:                             1,
			`logstats_http_requests_total{code="405",method="DELETE",route="/health"}`:                            1,
			`logstats_http_requests_total{code="200",method="POST",route="/load"}`:                                2,
			`logstats_http_request_duration_seconds_count{code="200",method="GET",route="/customers/{id}/stats"}`: 2,
			`logstats_loads_total{outcome="ok"}`:                                                                  2,
			`logstats_loads_total{outcome="error"}`:                                                               0,
			`logstats_load_duration_seconds_count`:                                                                2,
			`logstats_load_lines_total{result="inserted"}`:                                                        num(load["inserted"]) + num(upload["inserted"]),
			`logstats_load_lines_total{result="malformed"}`:                                                       num(load["malformed"]) + num(upload["malformed"]),
			`logstats_auth_failures_total`:                                                                        1,
			`logstats_upload_spool_bytes`:                                                                         0, // the upload's spool given back
		}
		for series, w := range want {
			if got, ok := m[series]; !ok || got != w {
				t.Errorf("%s = %v (present: %v), want %v", series, got, ok, w)
			}
		}
		if num(load["inserted"]) == 0 || num(upload["malformed"]) != 1 {
			t.Fatalf("the loads did not do what the test needs: %v %v", load, upload)
		}
		if m[`go_sql_open_connections{db_name="logstats"}`] < 1 {
			t.Errorf("no open connection counted in the pool statistics")
		}

		// More traffic moves the counters, and only the right ones.
		s.do(t, "GET", "/health/", nil)
		again := scrape(t, s)
		if got := again[`logstats_http_requests_total{code="200",method="GET",route="/health"}`]; got != 3 {
			t.Errorf("health requests after one more: %v, want 3", got)
		}
		if got := again[`logstats_http_requests_total{code="200",method="GET",route="/metrics"}`]; got != m[`logstats_http_requests_total{code="200",method="GET",route="/metrics"}`]+1 {
			t.Errorf("scrapes counted %v, want one more than before", got)
		}
	})
}

// TestWatch_Refused: bytes of a followed file whose load was refused show in
// /ready (the totals and a warning; still ready) and in /metrics, per file
// and in all.
func TestWatch_Refused(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	files := []follow.FileStatus{
		{Path: "/var/log/access.log", Size: 900, Committed: 900, Lines: 12, Inserted: 12},
		{Path: "/var/log/access.log.1", Size: 700, Error: "logstats: source changed since it was loaded", RefusedBytes: 700},
	}
	w := fakeWatcher{files, 3}
	metrics := httpapi.NewMetrics(db.DB)
	metrics.Watch(w)
	s := newWatchingServer(t, db, httpapi.Options{Metrics: metrics}, w)
	status, body, _ := s.do(t, "GET", "/ready", nil)
	totals, _ := body["watch_totals"].(map[string]any)
	warning, _ := body["warning"].(string)
	if status != 200 || body["status"] != "ok" || totals["refused_bytes"] != 700.0 || totals["refused_files"] != 1.0 || !strings.Contains(warning, "700 bytes") {
		t.Fatalf("/ready with a refused file: %d %v", status, body)
	}
	m := scrape(t, s)
	if got := m[`logstats_watch_refused_bytes{file="/var/log/access.log.1"}`]; got != 700 {
		t.Errorf("refused bytes of the refused file = %v, want 700", got)
	}
	if got, ok := m[`logstats_watch_refused_bytes{file="/var/log/access.log"}`]; !ok || got != 0 {
		t.Errorf("refused bytes of the loaded file = %v (%v), want 0", got, ok)
	}
	if got := m["logstats_watch_refused_bytes_total"]; got != 700 {
		t.Errorf("refused bytes in all = %v, want 700", got)
	}
}
