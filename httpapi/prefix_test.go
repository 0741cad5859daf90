package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// TestMountedUnderPrefix mounts the handler with http.StripPrefix, with and
// without the prefix's trailing slash, and checks that routes answer, and
// that the redirects of unclean paths stay under the prefix.
func TestMountedUnderPrefix(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	h := httpapi.NewHandler(httpapi.Deps{Logger: slog.New(slog.DiscardHandler), DB: db.DB, Stats: logstats.NewStatsService(db.DB)}, httpapi.Options{})
	mux := http.NewServeMux()
	mux.Handle("/logstats/", http.StripPrefix("/logstats", h))
	mux.Handle("/v2/", http.StripPrefix("/v2/", h)) // leaves paths without their leading slash
	mux.Handle("/", http.NotFoundHandler())         // anything else is not the API's
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct{ path, wantFinal string }{
		{"/logstats/health/", "/logstats/health/"},
		{"/logstats//health/", "/logstats/health/"},
		{"/logstats/health/../ready", "/logstats/ready"},
		{"/logstats/./customers//", "/logstats/customers/"},
		{"/logstats//customers//cust_1/stats/?from=2024-10-01", "/logstats/customers/cust_1/stats/?from=2024-10-01"},
		{"/v2/health/", "/v2/health/"},
		{"/v2/ready", "/v2/ready"},
		{"/v2/health/..//ready", "/v2/ready"},
		{"/logstats/", "/logstats/"},
		{"/v2/", "/v2/"},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Request.URL.RequestURI() != tc.wantFinal {
			t.Errorf("GET %s: %d at %s, want 200 at %s", tc.path, resp.StatusCode, resp.Request.URL.RequestURI(), tc.wantFinal)
		}
	}
}
