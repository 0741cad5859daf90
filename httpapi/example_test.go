package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/sqlite"
)

// This example mounts the API, its dashboard and its metrics under
// /logstats/ in an existing mux. The dashboard finds the API relative to its
// own address, so it works under any prefix.
func ExampleNewHandler() {
	dir, _ := os.MkdirTemp("", "logstats-example")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "logstats.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := logstats.Migrate(context.Background(), db); err != nil {
		log.Fatal(err)
	}
	api := httpapi.NewHandler(httpapi.Deps{Logger: slog.New(slog.DiscardHandler), DB: db, Stats: logstats.NewStatsService(db), Loader: logstats.NewIngester(db)}, httpapi.Options{
		LogFile: filepath.Join(dir, "api_requests.log"),
	})

	mux := http.NewServeMux()
	mux.Handle("/logstats/", http.StripPrefix("/logstats", api))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, path := range []string{"/logstats/", "/logstats/metrics"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/logstats/health/", "/logstats/customers/cust_42/stats/?from=2024-10-01"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Print(resp.StatusCode, " ", string(body))
	}
	// Output:
	// /logstats/ 200 text/html; charset=utf-8
	// /logstats/metrics 200 text/plain; version=0.0.4; charset=utf-8; escaping=underscores
	// 200 {"status":"ok"}
	// 200 {"customer_id":"cust_42","day_zone":"UTC","from_date":"2024-10-01","to_date":null,"failed_statuses":"4xx,5xx","stats":{"total_requests":0,"total_successful_requests":0,"total_failed_requests":0,"timed_requests":0,"uptime":null,"average_latency":null,"median_latency":null,"p99_latency":null,"min_latency":null,"max_latency":null,"requests_by_status_class":{}},"daily":[]}
}

// This example shares the handler's metrics with the application: its own
// collector is served at the same /metrics, and a load made outside
// POST /load (at start, say) is counted with the others.
func ExampleNewMetrics() {
	metrics := httpapi.NewMetrics(nil) // pass the *sql.DB for its pool statistics
	jobs := prometheus.NewCounter(prometheus.CounterOpts{Name: "myapp_jobs_total", Help: "Jobs run."})
	metrics.Registry().MustRegister(jobs)
	jobs.Inc()
	metrics.ObserveLoad(&logstats.LoadResult{Inserted: 42}, 2*time.Second, nil)

	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Deps{}, httpapi.Options{Metrics: metrics}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "myapp_jobs_total") || strings.HasPrefix(line, `logstats_load_lines_total{result="inserted"}`) {
			fmt.Println(line)
		}
	}
	// Output:
	// logstats_load_lines_total{result="inserted"} 42
	// myapp_jobs_total 1
}

// OpenAPI returns the document that GET /openapi.json serves, for tools that
// generate clients or check an API gateway's configuration.
func ExampleOpenAPI() {
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(httpapi.OpenAPI(), &doc); err != nil {
		log.Fatal(err)
	}
	paths := slices.Sorted(maps.Keys(doc.Paths))
	fmt.Println(doc.OpenAPI, strings.Join(paths, " "))
	// Output:
	// 3.1.0 / /customers/ /customers/{id}/breakdown /customers/{id}/requests /customers/{id}/slo /customers/{id}/stats/ /health/ /keys /keys/{id} /load /metrics /openapi.json /ready /sources /sources/{id}
}
