package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// errorCase is a request the API must refuse, the status it must get and
// what its error message must say.
type errorCase struct {
	name, method, path string
	status             int
	errContains        string
	allow              string
}

// errorCases are the refusals TestErrors checks (and TestOpenAPI checks
// against the OpenAPI document).
var errorCases = []errorCase{
	{"ErrFromMissing", "GET", "/customers/cust_1/stats/", 400, "from is required", ""},
	{"ErrFromEmpty", "GET", "/customers/cust_1/stats/?from=", 400, "from is required", ""},
	{"ErrFromNotADate", "GET", "/customers/cust_1/stats/?from=yesterday", 400, "YYYY-MM-DD", ""},
	{"ErrFromImpossible", "GET", "/customers/cust_1/stats/?from=2024-02-30", 400, "real calendar date", ""},
	{"ErrFromTimestamp", "GET", "/customers/cust_1/stats/?from=2024-10-01T00:00:00Z", 400, "YYYY-MM-DD", ""},
	{"ErrToImpossible", "GET", "/customers/cust_1/stats/?from=2024-10-01&to=2024-13-01", 400, "to:", ""},
	{"ErrToBeforeFrom", "GET", "/customers/cust_1/stats/?from=2024-10-02&to=2024-10-01", 400, "is before from", ""},
	{"ErrPercentileZero", "GET", "/customers/cust_1/stats/?from=2024-10-01&percentiles=0", 400, "percentiles", ""},
	{"ErrPercentileOver100", "GET", "/customers/cust_1/stats/?from=2024-10-01&percentiles=50,101", 400, "percentiles", ""},
	{"ErrPercentileWord", "GET", "/customers/cust_1/stats/?from=2024-10-01&percentiles=median", 400, "percentiles", ""},
	{"ErrTooManyPercentiles", "GET", "/customers/cust_1/stats/?from=2024-10-01&percentiles=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21", 400, "at most 20", ""},
	{"ErrBreakdownNoBy", "GET", "/customers/cust_1/breakdown?from=2024-10-01", 400, "by is required", ""},
	{"ErrBreakdownFromMissing", "GET", "/customers/cust_1/breakdown?by=endpoint", 400, "from is required", ""},
	{"ErrBreakdownUnknownKey", "GET", "/customers/cust_1/breakdown?by=endpoint,region&from=2024-10-01", 400, `unknown key "region"`, ""},
	{"ErrBreakdownKeyTwice", "GET", "/customers/cust_1/breakdown?by=endpoint,method&from=2024-10-01", 400, "given twice", ""},
	{"ErrBreakdownSort", "GET", "/customers/cust_1/breakdown?by=route&from=2024-10-01&sort=slowest", 400, "unknown sort field", ""},
	{"ErrBreakdownOrder", "GET", "/customers/cust_1/breakdown?by=route&from=2024-10-01&order=up", 400, "neither asc nor desc", ""},
	{"ErrBreakdownLimitZero", "GET", "/customers/cust_1/breakdown?by=route&from=2024-10-01&limit=0", 400, "from 1 to 10000", ""},
	{"ErrBreakdownLimitWord", "GET", "/customers/cust_1/breakdown?by=route&from=2024-10-01&limit=all", 400, "from 1 to 10000", ""},
	{"ErrFilterUnknown", "GET", "/customers/cust_1/stats?from=2024-10-01&region=eu", 400, `unknown parameter "region": this route takes from, to, percentiles, failed, interval, compare and the filters endpoint, method, route, path, status, status_class (no dimension is loaded)`, ""},
	{"ErrFilterNotAKey", "GET", "/customers/cust_1/stats?from=2024-10-01&Region=eu", 400, `unknown parameter "Region": this route takes from, to, percentiles, failed, interval, compare and the filters endpoint, method, route, path, status, status_class (no dimension is loaded)`, ""},
	{"ErrBreakdownUnknownParameter", "GET", "/customers/cust_1/breakdown?by=route&from=2024-10-01&sort_by=uptime", 400, `unknown parameter "sort_by": this route takes from, to, percentiles, failed, by, sort, order, limit and the filters`, ""},
	{"ErrBreakdownUnknownKey", "GET", "/customers/cust_1/breakdown?by=route,zone&from=2024-10-01", 400, `unknown key "zone": the keys are endpoint, method, route, path, status, status_class (no dimension is loaded: see -dimension)`, ""},
	{"ErrBreakdownByTwice", "GET", "/customers/cust_1/breakdown?by=route&by=status&from=2024-10-01", 400, "by is given 2 times", ""},
	{"ErrCompareNoTo", "GET", "/customers/cust_1/stats?from=2024-10-01&compare=previous", 400, "compare=previous needs to", ""},
	{"ErrCompareUnknown", "GET", "/customers/cust_1/stats?from=2024-10-01&to=2024-10-02&compare=next", 400, `compare: "next" is not a comparison; want previous`, ""},
	{"ErrInterval", "GET", "/customers/cust_1/stats?from=2024-10-01&interval=year", 400, `interval: logstats: invalid interval: "year": want day, week or month`, ""},
	{"ErrFailedUnknown", "GET", "/customers/cust_1/stats?from=2024-10-01&failed=4xx", 400, "failed: logstats: invalid definition of failed requests: \"4xx\": want 4xx,5xx", ""},
	{"ErrFailedTwice", "GET", "/customers/cust_1/breakdown?by=route&from=2024-10-01&failed=5xx&failed=5xx", 400, "failed is given 2 times", ""},
	{"ErrFilterTwice", "GET", "/customers/cust_1/stats?from=2024-10-01&status=200&status=500", 400, "at most once", ""},
	{"ErrFilterStatus", "GET", "/customers/cust_1/stats?from=2024-10-01&status=2xx", 400, "want a code from 100 to 599", ""},
	{"ErrFilterEndpoint", "GET", "/customers/cust_1/breakdown?by=status&from=2024-10-01&endpoint=GET", 400, "a method and a route", ""},
	{"ErrCustomerTooLong", "GET", "/customers/" + strings.Repeat("c", 129) + "/stats/?from=2024-10-01", 400, "more than the limit of 128", ""},
	{"ErrCustomerControl", "GET", "/customers/a%1Bb/stats/?from=2024-10-01", 400, "control character", ""},
	{"ErrCustomerSpace", "GET", "/customers/a%20b/stats/?from=2024-10-01", 400, "whitespace", ""},
	{"ErrCustomerNotUTF8", "GET", "/customers/a%FFb/stats/?from=2024-10-01", 400, "UTF-8", ""},
	{"ErrRequestsFromMissing", "GET", "/customers/cust_1/requests", 400, "from is required", ""},
	{"ErrRequestsFromImpossible", "GET", "/customers/cust_1/requests?from=2024-02-30", 400, "real calendar date", ""},
	{"ErrRequestsToNotADate", "GET", "/customers/cust_1/requests?from=2024-10-01&to=tomorrow", 400, "to:", ""},
	{"ErrRequestsToBeforeFrom", "GET", "/customers/cust_1/requests?from=2024-10-02&to=2024-10-01", 400, "is before from", ""},
	{"ErrRequestsFormat", "GET", "/customers/cust_1/requests?from=2024-10-01&format=json", 400, `format: "json" is not a format of the export; want ndjson or csv`, ""},
	{"ErrRequestsFormatCase", "GET", "/customers/cust_1/requests?from=2024-10-01&format=CSV", 400, "want ndjson or csv", ""},
	{"ErrRequestsCustomerSpace", "GET", "/customers/a%20b/requests?from=2024-10-01", 400, "whitespace", ""},
	{"ErrRequestsPost", "POST", "/customers/cust_1/requests?from=2024-10-01", 405, "not allowed", "GET, HEAD"},
	{"ErrFleetAfter", "GET", "/customers/?from=2024-10-01&after=cust_1", 400, `unknown parameter "after": with from, this route takes from, to, percentiles, failed, sort, order, limit, offset, slo`, ""},
	{"ErrFleetSLO", "GET", "/customers/?from=2024-10-01&slo=met", 400, `slo: "met" is not a filter of objectives; want breached`, ""},
	{"ErrFleetSort", "GET", "/customers/?from=2024-10-01&sort=slowest", 400, "unknown sort field", ""},
	{"ErrFleetOffset", "GET", "/customers/?from=2024-10-01&offset=-1", 400, `offset: "-1" is not a number from 0 to`, ""},
	{"ErrFleetLimit", "GET", "/customers/?from=2024-10-01&limit=0", 400, `limit: "0" is not a number from 1 to 10000`, ""},
	{"ErrFleetOrder", "GET", "/customers/?from=2024-10-01&order=worst", 400, "neither asc nor desc", ""},
	{"ErrFleetTwice", "GET", "/customers/?from=2024-10-01&sort=uptime&sort=p99_latency", 400, "sort is given 2 times", ""},
	{"ErrFleetNoFrom", "GET", "/customers/?sort=uptime", 400, "sort goes with from", ""},
	{"ErrFleetFromEmpty", "GET", "/customers/?from=", 400, "from is required", ""},
	{"ErrFleetToBeforeFrom", "GET", "/customers/?from=2024-10-02&to=2024-10-01", 400, "is before from", ""},
	{"ErrLimitZero", "GET", "/customers/?limit=0", 400, "limit", ""},
	{"ErrLimitHuge", "GET", "/customers/?limit=99999999999999999999", 400, "limit", ""},
	{"ErrUnknownRoute", "GET", "/nope", 404, "no route", ""},
	{"ErrUnknownSubroute", "GET", "/customers/cust_1/other", 404, "no route", ""},
	{"ErrPostRoot", "POST", "/", 405, "not allowed", "GET, HEAD"},
	{"ErrPostOpenAPI", "POST", "/openapi.json", 405, "not allowed", "GET, HEAD"},
	{"ErrPostHealth", "POST", "/health/", 405, "not allowed", "GET, HEAD"},
	{"ErrDeleteStats", "DELETE", "/customers/cust_1/stats/", 405, "not allowed", "GET, HEAD"},
	{"ErrPutCustomers", "PUT", "/customers", 405, "not allowed", "GET, HEAD"},
	{"ErrGetLoad", "GET", "/load", 405, "not allowed", "POST"},
	{"ErrGetLoadSlash", "GET", "/load/", 405, "not allowed", "POST"},
	{"ErrPathTraversal", "POST", "/load?path=../secret.log", 400, "inside the server's data directory", ""},
	{"ErrPathTraversalDeep", "POST", "/load?path=a/../../secret.log", 400, "inside the server's data directory", ""},
	{"ErrPathAbsolute", "POST", "/load?path=/etc/passwd", 400, "inside the server's data directory", ""},
	{"ErrPathEmpty", "POST", "/load?path=", 400, "inside the server's data directory", ""},
	{"ErrPathMissing", "POST", "/load?path=missing.log", 404, "no file missing.log", ""},
	{"ErrPathDirectory", "POST", "/load?path=.", 400, "not a regular file", ""},
	{"ErrUncleanPath", "GET", "/health/../ready", 308, "moved to /ready", ""},
	{"ErrDoubleSlash", "GET", "//customers//cust_1/stats/?from=2024-10-01", 308, "moved to /customers/cust_1/stats/?from=2024-10-01", ""},
	{"ErrDotSegment", "POST", "/./load", 308, "moved to /load", ""},
}

// TestErrors sends requests the API must refuse, and checks each gets its
// 4xx status and a JSON error that says what to do: never a 5xx.
func TestErrors(t *testing.T) {
	cases := errorCases
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		s.load(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				status, body, header := s.do(t, tc.method, tc.path, nil)
				if status == http.StatusPermanentRedirect {
					// The Location is relative; resolved against the request,
					// it is where the message says.
					loc, err := url.Parse(header.Get("Location"))
					if err != nil || loc.IsAbs() || strings.HasPrefix(loc.Path, "/") {
						t.Fatalf("Location %q is not a relative reference (%v)", header.Get("Location"), err)
					}
					base := &url.URL{Path: strings.SplitN(tc.path, "?", 2)[0]}
					if got := base.ResolveReference(loc).RequestURI(); body["error"] != "moved to "+got {
						t.Fatalf("Location %q leads to %q, the message says %q", header.Get("Location"), got, body["error"])
					}
				}
				msg, _ := body["error"].(string)
				if status != tc.status || !strings.Contains(msg, tc.errContains) {
					t.Fatalf("%s %s: %d %q, want %d and an error containing %q", tc.method, tc.path, status, msg, tc.status, tc.errContains)
				}
				if got := header.Get("Allow"); got != tc.allow {
					t.Fatalf("Allow=%q, want %q", got, tc.allow)
				}
			})
		}
		if status, _, _ := s.do(t, "GET", "/health/", nil); status != http.StatusOK {
			t.Fatalf("server unhealthy after the bad requests: %d", status)
		}
	})
}
