package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/follow"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// gzipString is s gzipped, as a string.
func gzipString(t *testing.T, s string) string { return string(gzipped(t, s)) }

// apiCase is a request whose response TestOpenAPI checks against the
// document.
type apiCase struct {
	name, method, path string
	body               string
	header             []string // name, value, ...
	status             int
}

// TestOpenAPI checks that the served document is valid OpenAPI 3.1, that
// every response of every route (successes, the refusals of TestErrors, 304,
// 401, 413, 415) matches it, status included, and that every operation it
// documents was exercised. So the document cannot drift from the code.
func TestOpenAPI(t *testing.T) {
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("openapi.json is not a valid document: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json declares %q, want 3.1", doc.OpenAPI)
	}
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	cases := []apiCase{
		{name: "Dashboard", method: "GET", path: "/", status: 200},
		{name: "Health", method: "GET", path: "/health/", status: 200},
		{name: "Ready", method: "GET", path: "/ready", status: 200},
		{name: "Customers", method: "GET", path: "/customers/", status: 200},
		{name: "CustomersPage", method: "GET", path: "/customers/?limit=1&after=cust_1", status: 200},
		{name: "Fleet", method: "GET", path: "/customers/?from=2024-10-01&to=2024-10-14&sort=uptime&order=asc&limit=5&offset=1&percentiles=95&failed=5xx", status: 200},
		{name: "FleetEmpty", method: "GET", path: "/customers/?from=2030-01-01", status: 200},
		{name: "FleetBadSort", method: "GET", path: "/customers/?from=2024-10-01&sort=nope", status: 400},
		{name: "Stats", method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01", status: 200},
		{name: "StatsRange", method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01&to=2024-10-02&percentiles=50,95,99.9", status: 200},
		{name: "StatsCompare", method: "GET", path: "/customers/cust_1/stats?from=2024-10-08&to=2024-10-14&compare=previous&percentiles=90", status: 200},
		{name: "StatsCompareNoTo", method: "GET", path: "/customers/cust_1/stats?from=2024-10-08&compare=previous", status: 400},
		{name: "StatsWeeks", method: "GET", path: "/customers/cust_1/stats?from=2024-10-01&to=2024-10-14&interval=week&percentiles=95", status: 200},
		{name: "StatsMonths", method: "GET", path: "/customers/cust_1/stats?from=2024-09-01&interval=month&compare=previous&to=2024-10-31", status: 200},
		{name: "StatsFailed5xx", method: "GET", path: "/customers/cust_1/stats?from=2024-10-01&failed=5xx", status: 200},
		{name: "StatsFailedBad", method: "GET", path: "/customers/cust_1/stats?from=2024-10-01&failed=3xx", status: 400},
		{name: "StatsUnknown", method: "GET", path: "/customers/nobody/stats/?from=2024-10-01&percentiles=90", status: 200},
		{name: "Requests", method: "GET", path: "/customers/cust_1/requests?from=2024-10-01", status: 200},
		{name: "RequestsCSV", method: "GET", path: "/customers/cust_1/requests?from=2024-10-01&to=2024-10-02&format=csv", status: 200},
		{name: "RequestsNDJSON", method: "GET", path: "/customers/cust_2/requests/?from=2024-10-02&to=2024-10-02&format=ndjson", status: 200},
		{name: "RequestsNone", method: "GET", path: "/customers/nobody/requests?from=2024-10-01", status: 200},
		{name: "RequestsNoneCSV", method: "GET", path: "/customers/nobody/requests?from=2024-10-01&format=csv", status: 200},
		{name: "Breakdown", method: "GET", path: "/customers/cust_1/breakdown?by=endpoint&from=2024-10-01", status: 200},
		{name: "BreakdownStatus", method: "GET", path: "/customers/cust_1/breakdown/?by=status,status_class&from=2024-10-01&to=2024-10-02&sort=p99_latency&order=asc&limit=1&percentiles=90", status: 200},
		{name: "BreakdownFiltered", method: "GET", path: "/customers/cust_1/breakdown?by=path&from=2024-10-01&status_class=2xx&method=", status: 200},
		{name: "BreakdownNone", method: "GET", path: "/customers/nobody/breakdown?by=route&from=2024-10-01", status: 200},
		{name: "StatsFiltered", method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01&route=/api/v1/users&status_class=2xx&percentiles=90", status: 200},
		{name: "OpenAPI", method: "GET", path: "/openapi.json", status: 200},
		{name: "Metrics", method: "GET", path: "/metrics", status: 200},
		{name: "Sources", method: "GET", path: "/sources/", status: 200},
		{name: "ForgetNotFound", method: "DELETE", path: "/sources/1", status: 404},
		{name: "ForgetBadID", method: "DELETE", path: "/sources/x", status: 400},
		{name: "LoadAgain", method: "POST", path: "/load", status: 200},
		{name: "LoadUpload", method: "POST", path: "/load?source=upload.log", body: "2024-10-03 10:00:00 cust_9 /x 200 0.1\nbad\n", header: []string{"Content-Type", "text/plain"}, status: 200},
		{name: "LoadWrongFormat", method: "POST", path: "/load?source=wrong.log&format=nginx", body: "2024-10-03 10:00:00 cust_9 /x 200 0.1\n", header: []string{"Content-Type", "text/plain"}, status: 422},
		{name: "LoadBadFormat", method: "POST", path: "/load?source=wrong.log&format=ngnix", body: "2024-10-03 10:00:00 cust_9 /x 200 0.1\n", header: []string{"Content-Type", "text/plain"}, status: 400},
		{name: "LoadCurlUpload", method: "POST", path: "/load?source=curl.log", body: "2024-10-03 10:00:01 cust_9 /x 200 0.1\n", header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 200},
		{name: "LoadGzipUpload", method: "POST", path: "/load?source=up.log.gz", body: gzipString(t, "2024-10-03 10:00:02 cust_9 /x 200 0.1\n"), header: []string{"Content-Type", "application/gzip"}, status: 200},
		{name: "LoadDimensions", method: "POST", path: "/load?source=dims.log&dimension=tier%3Dquery%3Atier", body: "2024-10-03 10:00:00 cust_9 /x?tier=gold 200 0.1\n", header: []string{"Content-Type", "text/plain"}, status: 200},
		{name: "LoadBadDimension", method: "POST", path: "/load?source=dims2.log&dimension=Tier%3Dquery%3Atier", body: "2024-10-03 10:00:00 cust_9 /x 200 0.1\n", header: []string{"Content-Type", "text/plain"}, status: 400},
		{name: "BreakdownDimension", method: "GET", path: "/customers/cust_9/breakdown?by=tier,endpoint&from=2024-10-01", status: 200},
		{name: "StatsDimension", method: "GET", path: "/customers/cust_9/stats?from=2024-10-01&tier=gold", status: 200},
		{name: "BreakdownUnknownDimension", method: "GET", path: "/customers/cust_9/breakdown?by=region&from=2024-10-01", status: 400},
		{name: "ObjectivesDefault", method: "GET", path: "/customers/cust_1/slo", status: 200},
		{name: "ObjectivesSet", method: "PUT", path: "/customers/cust_1/slo", body: `{"objectives":"uptime>=99.5,p99<=0.9"}`, header: []string{"Content-Type", "application/json"}, status: 200},
		{name: "StatsObjectives", method: "GET", path: "/customers/cust_1/stats?from=2024-10-01&to=2024-10-03", status: 200},
		{name: "FleetObjectives", method: "GET", path: "/customers/?from=2024-10-01&sort=slo_remaining&slo=breached", status: 200},
		{name: "ObjectivesRead", method: "GET", path: "/customers/cust_1/slo/", status: 200},
		{name: "ObjectivesBad", method: "PUT", path: "/customers/cust_1/slo", body: `{"objectives":"uptime>=101"}`, header: []string{"Content-Type", "application/json"}, status: 400},
		{name: "ObjectivesNotJSON", method: "PUT", path: "/customers/cust_1/slo", body: `uptime>=99`, header: []string{"Content-Type", "text/plain"}, status: 415},
		{name: "ObjectivesDelete", method: "DELETE", path: "/customers/cust_1/slo", status: 200},
		{name: "LoadBadType", method: "POST", path: "/load?source=x.log", body: "a", header: []string{"Content-Type", "image/png"}, status: 415},
		{name: "LoadTooLarge", method: "POST", path: "/load?source=big.log", body: strings.Repeat("x", 2048), status: 413},
	}
	for _, ec := range errorCases {
		cases = append(cases, apiCase{name: ec.name, method: ec.method, path: ec.path, status: ec.status})
	}
	errorSchema := doc.Components.Schemas["Error"].Value

	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{MaxBodyBytes: 1024})
		s.load(t)
		secured := newTestServer(t, db, httpapi.Options{LoadToken: "secret"})
		covered := map[string]bool{}
		check := func(t *testing.T, srv *testServer, tc apiCase) *http.Response {
			t.Helper()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(tc.header); i += 2 {
				if tc.header[i] == "Host" {
					req.Host = tc.header[i+1]
					continue
				}
				req.Header.Set(tc.header[i], tc.header[i+1])
			}
			client := *srv.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, resp.StatusCode, tc.status, body)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				// No documented operation: only a refusal may answer, with
				// the documented error body.
				if resp.StatusCode != 404 && resp.StatusCode != 405 && resp.StatusCode != 308 {
					t.Fatalf("%s %s answered %d but the document has no such operation (%v)", tc.method, tc.path, resp.StatusCode, err)
				}
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatalf("%s %s: body is not JSON: %s", tc.method, tc.path, body)
				}
				if err := errorSchema.VisitJSON(v); err != nil {
					t.Fatalf("%s %s: body does not match the Error schema: %v", tc.method, tc.path, err)
				}
				return resp
			}
			covered[route.Method+" "+route.Path] = true
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{
					Request: req, PathParams: params, Route: route,
					Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
				},
				Status:  resp.StatusCode,
				Header:  resp.Header,
				Body:    io.NopCloser(bytes.NewReader(body)),
				Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
			}
			if op := route.Operation.OperationID; op == "dashboard" || op == "metrics" {
				in.Options.ExcludeResponseBody = true // a page and Prometheus text, not JSON data
			}
			// The Content-Type must be one the document lists for the status
			// (kin-openapi checks it only along with the body).
			if ref := route.Operation.Responses.Status(resp.StatusCode); ref != nil && len(ref.Value.Content) > 0 {
				mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
				media := ref.Value.Content.Get(mt)
				if media == nil {
					t.Fatalf("%s %s: %d answered %q, which the document does not list", tc.method, tc.path, resp.StatusCode, mt)
				}
				if mt == "application/x-ndjson" {
					// Its schema is of a line, which kin-openapi does not
					// split: each line must match it.
					in.Options.ExcludeResponseBody = true
					for line := range bytes.Lines(body) {
						var v any
						if err := json.Unmarshal(line, &v); err != nil {
							t.Fatalf("%s %s: a line is not JSON: %q", tc.method, tc.path, line)
						}
						if err := media.Schema.Value.VisitJSON(v); err != nil {
							t.Fatalf("%s %s: a line does not match the document: %v\nline: %s", tc.method, tc.path, err, line)
						}
					}
				}
			}
			// So must a request body's (validated as raw bytes, not parsed).
			if tc.body != "" && resp.StatusCode < 300 {
				mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
				if rb := route.Operation.RequestBody; rb == nil || rb.Value.Content.Get(mt) == nil {
					t.Fatalf("%s %s: the document does not accept a %q body", tc.method, tc.path, mt)
				}
			}
			if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
				t.Fatalf("%s %s: %d response does not match the document: %v\nbody: %.500s", tc.method, tc.path, resp.StatusCode, err, body)
			}
			if resp.StatusCode < 300 {
				// The request itself must be one the document allows.
				rin := *in.RequestValidationInput
				rin.Options = &openapi3filter.Options{ExcludeRequestBody: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
				rin.Request = req.Clone(ctx)
				if err := openapi3filter.ValidateRequest(ctx, &rin); err != nil {
					t.Fatalf("%s %s: the document does not allow this request: %v", tc.method, tc.path, err)
				}
			}
			return resp
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { check(t, s, tc) })
		}
		t.Run("Forget", func(t *testing.T) {
			sources, err := logstats.NewIngester(db.DB).FindSources(ctx)
			if err != nil || len(sources) == 0 {
				t.Fatalf("FindSources: %v, %v", sources, err)
			}
			check(t, s, apiCase{method: "DELETE", path: "/sources/" + strconv.FormatInt(sources[0].ID, 10), status: 200})
		})
		t.Run("NotModified", func(t *testing.T) {
			first := check(t, s, apiCase{method: "GET", path: "/", status: 200})
			check(t, s, apiCase{method: "GET", path: "/", header: []string{"If-None-Match", first.Header.Get("ETag")}, status: 304})
		})
		t.Run("StatsNotModified", func(t *testing.T) {
			first := check(t, s, apiCase{method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01", status: 200})
			etag := first.Header.Get("ETag")
			if etag == "" {
				t.Fatal("a stats answer without an ETag")
			}
			check(t, s, apiCase{method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01", header: []string{"If-None-Match", etag}, status: 304})
			check(t, s, apiCase{method: "GET", path: "/customers/cust_1/stats/?from=2024-10-02", header: []string{"If-None-Match", etag}, status: 200})
		})
		t.Run("RequestsUntimed", func(t *testing.T) {
			testdb.MustLoad(t, s.ingester, "untimed.log", "2024-10-04 10:00:00 cust_8 /x 200 -\n")
			resp := check(t, s, apiCase{method: "GET", path: "/customers/cust_8/requests?from=2024-10-04", status: 200})
			if resp.Header.Get("Content-Type") != "application/x-ndjson" {
				t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
		})
		t.Run("RequestsRawNone", func(t *testing.T) {
			none := db.Fresh(t)
			ing := testdb.NewIngester(none, logstats.DefaultBatchLines)
			ing.Raw = logstats.RawNone
			testdb.MustLoad(t, ing, "none.log", "2024-10-03 10:00:00 cust_1 /x 200 0.1\n")
			srv := newTestServer(t, none, httpapi.Options{})
			check(t, srv, apiCase{method: "GET", path: "/customers/cust_1/requests?from=2024-10-01&format=csv", status: 409})
			check(t, srv, apiCase{method: "GET", path: "/customers/cust_1/breakdown?by=endpoint&from=2024-10-01", status: 409})
			check(t, srv, apiCase{method: "GET", path: "/customers/cust_1/stats?from=2024-10-01&status=200", status: 409})
		})
		t.Run("Unauthorized", func(t *testing.T) {
			check(t, secured, apiCase{method: "POST", path: "/load", status: 401})
		})
		t.Run("Auth", func(t *testing.T) {
			keys := newAccessKeys(t, db)
			authed := newTestServer(t, db, httpapi.Options{AdminToken: adminToken, LoadToken: loadToken})
			admin := []string{"Authorization", "Bearer " + adminToken}
			own := keys.header("own")
			check(t, authed, apiCase{method: "GET", path: "/keys", header: admin, status: 200})
			check(t, authed, apiCase{method: "POST", path: "/keys", body: `{"customer_id":"cust_5","label":"for the OpenAPI test"}`, header: append([]string{"Content-Type", "application/json"}, admin...), status: 201})
			created, _, err := logstats.NewKeyService(db.DB).CreateKey(ctx, "cust_6", "")
			if err != nil {
				t.Fatal(err)
			}
			check(t, authed, apiCase{method: "POST", path: "/keys", body: `{"label":"no customer"}`, header: append([]string{"Content-Type", "application/json"}, admin...), status: 400})
			check(t, authed, apiCase{method: "POST", path: "/keys", body: `customer_id=x`, header: append([]string{"Content-Type", "application/x-www-form-urlencoded"}, admin...), status: 415})
			check(t, authed, apiCase{method: "GET", path: "/keys", status: 401})
			check(t, authed, apiCase{method: "GET", path: "/keys", header: own, status: 403})
			check(t, authed, apiCase{method: "GET", path: "/customers/", header: own, status: 200})
			check(t, authed, apiCase{method: "GET", path: "/customers/", status: 401})
			check(t, authed, apiCase{method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01", header: own, status: 200})
			check(t, authed, apiCase{method: "GET", path: "/customers/cust_2/stats/?from=2024-10-01", header: own, status: 404})
			check(t, authed, apiCase{method: "GET", path: "/customers/cust_2/stats/?from=2024-10-01", status: 401})
			check(t, authed, apiCase{method: "GET", path: "/customers/cust_2/stats/?from=2024-10-01", header: keys.header("loader"), status: 403})
			check(t, authed, apiCase{method: "GET", path: "/customers/cust_1/requests?from=2024-10-01", header: own, status: 200})
			check(t, authed, apiCase{method: "GET", path: "/customers/cust_2/requests?from=2024-10-01", header: own, status: 404})
			check(t, authed, apiCase{method: "GET", path: "/customers/cust_1/requests?from=2024-10-01", status: 401})
			check(t, authed, apiCase{method: "GET", path: "/customers/cust_1/requests?from=2024-10-01", header: keys.header("loader"), status: 403})
			check(t, authed, apiCase{method: "POST", path: "/load", header: own, status: 403})
			check(t, authed, apiCase{method: "GET", path: "/metrics", header: admin, status: 200})
			check(t, authed, apiCase{method: "GET", path: "/metrics", status: 401})
			check(t, authed, apiCase{method: "GET", path: "/metrics", header: own, status: 403})
			check(t, authed, apiCase{method: "GET", path: "/openapi.json", status: 401})
			check(t, authed, apiCase{method: "GET", path: "/openapi.json", header: own, status: 403})
			check(t, authed, apiCase{method: "DELETE", path: "/keys/" + created.ID, status: 401})
			check(t, authed, apiCase{method: "DELETE", path: "/keys/" + created.ID, header: own, status: 403})
			check(t, authed, apiCase{method: "DELETE", path: "/keys/" + created.ID, header: admin, status: 200})
			check(t, authed, apiCase{method: "DELETE", path: "/keys/" + created.ID, header: admin, status: 404})
			check(t, authed, apiCase{method: "POST", path: "/load?source=x.log", body: "2024-10-03 10:00:03 cust_9 /x 200 0.1\n",
				header: append([]string{"Content-Type", "text/plain", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, admin...), status: 403})
			check(t, authed, apiCase{method: "POST", path: "/keys", body: `{"customer_id":"x"}`,
				header: append([]string{"Content-Type", "application/json", "Origin", "http://evil.example"}, admin...), status: 403})
			for range 20 {
				check(t, authed, apiCase{method: "GET", path: "/keys", header: []string{"Authorization", "Bearer guess"}, status: 401})
			}
			for _, p := range []string{"/keys", "/customers/", "/customers/cust_1/stats/?from=2024-10-01", "/customers/cust_1/requests?from=2024-10-01", "/metrics", "/openapi.json"} {
				check(t, authed, apiCase{method: "GET", path: p, header: admin, status: 429})
			}
			check(t, authed, apiCase{method: "POST", path: "/keys", header: append([]string{"Content-Type", "application/json"}, admin...), body: `{"customer_id":"x"}`, status: 429})
			check(t, authed, apiCase{method: "DELETE", path: "/keys/x", header: admin, status: 429})
			check(t, authed, apiCase{method: "POST", path: "/load", header: admin, status: 429})
		})
		t.Run("Limits", func(t *testing.T) {
			loopback := newTestServer(t, db, httpapi.Options{LoopbackOnly: true})
			for _, tc := range []apiCase{
				{method: "GET", path: "/", status: 421}, {method: "GET", path: "/health/", status: 421}, {method: "GET", path: "/ready", status: 421},
				{method: "GET", path: "/customers/", status: 421}, {method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01", status: 421},
				{method: "GET", path: "/customers/cust_1/requests?from=2024-10-01", status: 421},
				{method: "POST", path: "/load", status: 421}, {method: "GET", path: "/keys", status: 421}, {method: "POST", path: "/keys", status: 421},
				{method: "DELETE", path: "/keys/x", status: 421}, {method: "GET", path: "/openapi.json", status: 421}, {method: "GET", path: "/metrics", status: 421},
			} {
				tc.header = []string{"Host", "rebound.example"}
				check(t, loopback, tc)
			}
			full := newTestServer(t, db, httpapi.Options{MaxSpoolBytes: 16})
			check(t, full, apiCase{method: "POST", path: "/load?source=x.log", body: "2024-10-03 10:00:04 cust_9 /x 200 0.1\n", header: []string{"Content-Type", "text/plain"}, status: 507})
		})
		t.Run("ReadyWatching", func(t *testing.T) {
			files := []follow.FileStatus{
				{Path: "/var/log/access.log", Size: 900, Committed: 870, LagBytes: 30, LagSeconds: 0.2, Lines: 12, Inserted: 11, Malformed: 1},
				{Path: "/var/log/access.log.1", Size: 800, Committed: 800, CopyOf: "/var/log/access.log"},
				{Path: "/var/log/access.log.2.gz", Size: 300, Compressed: true, Error: "logstats: source changed", RefusedBytes: 300},
			}
			check(t, newWatchingServer(t, db, httpapi.Options{}, fakeWatcher{files, 1}), apiCase{method: "GET", path: "/ready", status: 200})
			check(t, newWatchingServer(t, db, httpapi.Options{}, fakeWatcher{files, 0}), apiCase{method: "GET", path: "/ready", status: 503})
		})
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				if !covered[method+" "+path] {
					t.Errorf("the document's %s %s was never exercised; add a case", method, path)
				}
			}
		}
	})
}

// fakeWatcher is a Watcher with fixed files, after rounds rounds.
type fakeWatcher struct {
	files  []follow.FileStatus
	rounds int64
}

func (w fakeWatcher) Status() ([]follow.FileStatus, follow.Totals) {
	t := follow.Totals{Rounds: w.rounds}
	for _, f := range w.files {
		if f.RefusedBytes > 0 {
			t.RefusedBytes += f.RefusedBytes
			t.RefusedFiles++
		}
	}
	return w.files, t
}
