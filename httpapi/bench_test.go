package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// BenchmarkHandler serves a customer's 30-day stats, with and without the
// StatsService cache, and /health/, through the whole handler (routing,
// middleware, logging to a discarded writer, JSON), without a network.
func BenchmarkHandler(b *testing.B) {
	db := testdb.Open(b, logstats.DialectSQLite)
	f, err := os.Open("../testdata/api_requests.log")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := logstats.NewIngester(db.DB).Load(context.Background(), "api_requests.log", f, logstats.LoadOptions{}); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, bc := range []struct {
		name, path string
		cacheFor   time.Duration
	}{
		{"stats", "/customers/cust_1/stats/?from=2024-10-01&to=2024-10-30", 0},
		{"stats_cached", "/customers/cust_1/stats/?from=2024-10-01&to=2024-10-30", time.Second},
		{"health", "/health/", 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			stats := logstats.NewStatsService(db.DB)
			stats.CacheFor = bc.cacheFor
			h := httpapi.NewHandler(httpapi.Deps{Logger: logger, DB: db.DB, Stats: stats, Loader: logstats.NewIngester(db.DB)}, httpapi.Options{})
			req := httptest.NewRequest(http.MethodGet, bc.path, nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", bc.path, w.Code, w.Body)
				}
			}
		})
	}
}
