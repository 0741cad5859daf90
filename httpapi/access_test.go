package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/follow"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// The credentials of the access tables.
const (
	adminToken = "admin-token-for-the-tests-0123456789"
	loadToken  = "load-token-for-the-tests"
)

// accessKeys are the customer keys of the access tables.
type accessKeys struct {
	own, other, revoked string // keys of cust_1, cust_2, and a revoked one of cust_1
}

func newAccessKeys(t *testing.T, db *testdb.DB) accessKeys {
	t.Helper()
	ctx := context.Background()
	ks := logstats.NewKeyService(db.DB)
	var k accessKeys
	var err error
	if _, k.own, err = ks.CreateKey(ctx, "cust_1", "own"); err != nil {
		t.Fatal(err)
	}
	if _, k.other, err = ks.CreateKey(ctx, "cust_2", "other"); err != nil {
		t.Fatal(err)
	}
	revoked, secret, err := ks.CreateKey(ctx, "cust_1", "revoked")
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.RevokeKey(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	k.revoked = secret
	return k
}

// header returns the Authorization header of a credential of the tables.
func (k accessKeys) header(cred string) []string {
	token := map[string]string{
		"none": "", "wrong": "wrong-token", "admin": adminToken, "loader": loadToken,
		"own": k.own, "other": k.other, "revoked": k.revoked,
	}[cred]
	if token == "" {
		return nil
	}
	return []string{"Authorization", "Bearer " + token}
}

// credentials are the callers of the access tables.
var credentials = []string{"none", "wrong", "admin", "own", "other", "revoked", "loader"}

// accessCase is a request of the access tables and the status each
// credential must get, in the order of credentials.
type accessCase struct {
	route  string // the endpoint it exercises, as httpapi.Routes names it
	method string
	path   string // {victim} is replaced by the id of a key made for the request
	body   string
	ctype  string
	want   [7]int
}

const upload = "2024-10-03 10:00:00 cust_9 /x 200 0.1\n"

// authOnCases is every route with the server's admin token set (auth on)
// and a load token: who gets in, and with what.
var authOnCases = []accessCase{
	//                                                                      none wrong admin own other revoked loader
	{route: "GET /health", method: "GET", path: "/health/", want: [7]int{200, 200, 200, 200, 200, 200, 200}},
	{route: "GET /ready", method: "GET", path: "/ready", want: [7]int{200, 200, 200, 200, 200, 200, 200}},
	{route: "GET /", method: "GET", path: "/", want: [7]int{200, 200, 200, 200, 200, 200, 200}},
	{route: "GET /customers", method: "GET", path: "/customers/", want: [7]int{401, 401, 200, 200, 200, 401, 403}},
	{route: "GET /customers", method: "GET", path: "/customers/?from=2024-10-01&sort=p99_latency&order=asc", want: [7]int{401, 401, 200, 200, 200, 401, 403}},
	{route: "GET /customers/{id}/stats", method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01", want: [7]int{401, 401, 200, 200, 404, 401, 403}},
	{route: "GET /customers/{id}/stats", method: "GET", path: "/customers/nobody/stats/?from=2024-10-01", want: [7]int{401, 401, 200, 404, 404, 401, 403}},
	{route: "GET /customers/{id}/stats", method: "GET", path: "/customers/cust_1/stats", want: [7]int{401, 401, 400, 400, 404, 401, 403}},
	{route: "GET /customers/{id}/requests", method: "GET", path: "/customers/cust_1/requests?from=2024-10-01", want: [7]int{401, 401, 200, 200, 404, 401, 403}},
	{route: "GET /customers/{id}/requests", method: "GET", path: "/customers/cust_2/requests?from=2024-10-01&format=csv", want: [7]int{401, 401, 200, 404, 200, 401, 403}},
	{route: "GET /customers/{id}/requests", method: "GET", path: "/customers/nobody/requests?from=2024-10-01", want: [7]int{401, 401, 200, 404, 404, 401, 403}},
	{route: "GET /customers/{id}/requests", method: "GET", path: "/customers/cust_1/requests", want: [7]int{401, 401, 400, 400, 404, 401, 403}},
	{route: "GET /customers/{id}/breakdown", method: "GET", path: "/customers/cust_1/breakdown?by=endpoint&from=2024-10-01", want: [7]int{401, 401, 200, 200, 404, 401, 403}},
	{route: "GET /customers/{id}/breakdown", method: "GET", path: "/customers/cust_2/breakdown?by=status&from=2024-10-01&status_class=2xx", want: [7]int{401, 401, 200, 404, 200, 401, 403}},
	{route: "GET /customers/{id}/breakdown", method: "GET", path: "/customers/nobody/breakdown?by=route&from=2024-10-01", want: [7]int{401, 401, 200, 404, 404, 401, 403}},
	{route: "GET /customers/{id}/breakdown", method: "GET", path: "/customers/cust_1/breakdown?from=2024-10-01", want: [7]int{401, 401, 400, 400, 404, 401, 403}},
	{route: "GET /customers/{id}/stats", method: "GET", path: "/customers/cust_1/stats?from=2024-10-01&route=/x&status=200", want: [7]int{401, 401, 200, 200, 404, 401, 403}},
	{route: "GET /customers/{id}/stats", method: "GET", path: "/customers/cust_2/stats?from=2024-10-01&method=", want: [7]int{401, 401, 200, 404, 200, 401, 403}},
	{route: "GET /customers/{id}/slo", method: "GET", path: "/customers/cust_1/slo", want: [7]int{401, 401, 200, 200, 404, 401, 403}},
	{route: "GET /customers/{id}/slo", method: "GET", path: "/customers/nobody/slo/", want: [7]int{401, 401, 200, 404, 404, 401, 403}},
	{route: "PUT /customers/{id}/slo", method: "PUT", path: "/customers/cust_1/slo", body: `{"objectives":"uptime>=99"}`, ctype: "application/json", want: [7]int{401, 401, 200, 403, 403, 401, 403}},
	{route: "PUT /customers/{id}/slo", method: "PUT", path: "/customers/cust_2/slo", body: `{"objectives":"p90<=1"}`, ctype: "application/json", want: [7]int{401, 401, 200, 403, 403, 401, 403}},
	{route: "DELETE /customers/{id}/slo", method: "DELETE", path: "/customers/cust_1/slo", want: [7]int{401, 401, 200, 403, 403, 401, 403}},
	{route: "POST /load", method: "POST", path: "/load?source=up.log", body: upload, ctype: "text/plain", want: [7]int{401, 401, 200, 403, 403, 401, 200}},
	{route: "GET /sources", method: "GET", path: "/sources", want: [7]int{401, 401, 200, 403, 403, 401, 403}},
	{route: "DELETE /sources/{id}", method: "DELETE", path: "/sources/1", want: [7]int{401, 401, 404, 403, 403, 401, 404}},
	{route: "GET /keys", method: "GET", path: "/keys", want: [7]int{401, 401, 200, 403, 403, 401, 403}},
	{route: "POST /keys", method: "POST", path: "/keys", body: `{"customer_id":"cust_3","label":"x"}`, ctype: "application/json", want: [7]int{401, 401, 201, 403, 403, 401, 403}},
	{route: "DELETE /keys/{id}", method: "DELETE", path: "/keys/{victim}", want: [7]int{401, 401, 200, 403, 403, 401, 403}},
	{route: "GET /openapi.json", method: "GET", path: "/openapi.json", want: [7]int{401, 401, 200, 403, 403, 401, 403}},
	{route: "GET /metrics", method: "GET", path: "/metrics", want: [7]int{401, 401, 200, 403, 403, 401, 403}},
}

// authOffCases are the same routes on a server without an admin token (reads
// open) but with a load token.
var authOffCases = []accessCase{
	//                                                                      none wrong admin own other revoked loader
	{route: "GET /customers", method: "GET", path: "/customers/", want: [7]int{200, 401, 401, 200, 200, 401, 200}},
	{route: "GET /customers", method: "GET", path: "/customers/?from=2024-10-01&limit=10000", want: [7]int{200, 401, 401, 200, 200, 401, 200}},
	{route: "GET /customers/{id}/stats", method: "GET", path: "/customers/cust_1/stats/?from=2024-10-01", want: [7]int{200, 401, 401, 200, 404, 401, 200}},
	{route: "GET /customers/{id}/requests", method: "GET", path: "/customers/cust_1/requests?from=2024-10-01", want: [7]int{200, 401, 401, 200, 404, 401, 200}},
	{route: "GET /customers/{id}/requests", method: "GET", path: "/customers/nobody/requests?from=2024-10-01&format=csv", want: [7]int{200, 401, 401, 404, 404, 401, 200}},
	{route: "GET /customers/{id}/breakdown", method: "GET", path: "/customers/cust_1/breakdown?by=endpoint&from=2024-10-01", want: [7]int{200, 401, 401, 200, 404, 401, 200}},
	{route: "GET /customers/{id}/breakdown", method: "GET", path: "/customers/cust_2/breakdown?by=endpoint&from=2024-10-01", want: [7]int{200, 401, 401, 404, 200, 401, 200}},
	{route: "GET /customers/{id}/slo", method: "GET", path: "/customers/cust_1/slo", want: [7]int{200, 401, 401, 200, 404, 401, 200}},
	{route: "PUT /customers/{id}/slo", method: "PUT", path: "/customers/cust_1/slo", body: `{"objectives":"uptime>=99"}`, ctype: "application/json", want: [7]int{401, 401, 401, 403, 403, 401, 200}},
	{route: "DELETE /customers/{id}/slo", method: "DELETE", path: "/customers/cust_1/slo", want: [7]int{401, 401, 401, 403, 403, 401, 200}},
	{route: "POST /load", method: "POST", path: "/load?source=up.log", body: upload, ctype: "text/plain", want: [7]int{401, 401, 401, 403, 403, 401, 200}},
	{route: "GET /sources", method: "GET", path: "/sources", want: [7]int{200, 401, 401, 403, 403, 401, 200}},
	{route: "DELETE /sources/{id}", method: "DELETE", path: "/sources/1", want: [7]int{401, 401, 401, 403, 403, 401, 404}},
	{route: "GET /keys", method: "GET", path: "/keys", want: [7]int{403, 401, 401, 403, 403, 401, 403}},
	{route: "POST /keys", method: "POST", path: "/keys", body: `{"customer_id":"cust_3"}`, ctype: "application/json", want: [7]int{403, 401, 401, 403, 403, 401, 403}},
	{route: "GET /metrics", method: "GET", path: "/metrics", want: [7]int{200, 401, 401, 403, 403, 401, 200}},
	{route: "GET /openapi.json", method: "GET", path: "/openapi.json", want: [7]int{200, 401, 401, 403, 403, 401, 200}},
}

// TestAccess sends every route each credential: none, a wrong token, the
// admin token, a key of cust_1 (own), a key of cust_2 (other), a revoked key
// of cust_1 and the load token; with auth on (an admin token) and off. A
// customer key must read its own customer alone, and get the same 404 for
// another customer whether it exists or not.
func TestAccess(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range authOnCases {
		covered[tc.route] = true
	}
	for _, r := range httpapi.Routes() {
		if !covered[r] {
			t.Errorf("route %s is not in the access table; add it", r)
		}
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		keys := newAccessKeys(t, db)
		loaded := false
		for _, tab := range []struct {
			name  string
			opts  httpapi.Options
			cases []accessCase
		}{
			{"AuthOn", httpapi.Options{AdminToken: adminToken, LoadToken: loadToken}, authOnCases},
			{"AuthOff", httpapi.Options{LoadToken: loadToken}, authOffCases},
		} {
			t.Run(tab.name, func(t *testing.T) {
				for i, cred := range credentials {
					t.Run(cred, func(t *testing.T) {
						// A server a credential and every 15 requests: a
						// wrong one must not reach the limit of failed
						// authentications (20).
						s := newTestServer(t, db, tab.opts)
						if !loaded {
							s.do(t, "POST", "/load", nil, "Authorization", "Bearer "+loadToken)
							loaded = true
						}
						for j, tc := range tab.cases {
							if j > 0 && j%15 == 0 {
								s = newTestServer(t, db, tab.opts)
							}
							path := tc.path
							if strings.Contains(path, "{victim}") {
								k, _, err := logstats.NewKeyService(db.DB).CreateKey(context.Background(), "cust_4", "victim")
								if err != nil {
									t.Fatal(err)
								}
								path = strings.ReplaceAll(path, "{victim}", k.ID)
							}
							header := keys.header(cred)
							if tc.ctype != "" {
								header = append(header, "Content-Type", tc.ctype)
							}
							status, body, h := s.doRaw(t, tc.method, path, tc.body, header...)
							if status != tc.want[i] {
								t.Fatalf("%s %s as %s: %d %s, want %d", tc.method, path, cred, status, body, tc.want[i])
							}
							checkAccessAnswer(t, tc, path, cred, status, body, h)
						}
					})
				}
			})
		}
	})
}

// checkAccessAnswer checks what an answer of the access tables says.
func checkAccessAnswer(t *testing.T, tc accessCase, path, cred string, status int, body []byte, h http.Header) {
	t.Helper()
	var v map[string]any
	if tc.path != "/" && tc.path != "/metrics" && tc.route != "GET /customers/{id}/requests" || status != 200 {
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s %s as %s: not JSON: %s", tc.method, path, cred, body)
		}
	}
	switch status {
	case 401:
		if h.Get("WWW-Authenticate") == "" {
			t.Fatalf("%s %s as %s: 401 without WWW-Authenticate", tc.method, path, cred)
		}
	case 404:
		// A customer's route says no more than that, for an id that
		// exists or not.
		if strings.HasPrefix(tc.route, "GET /customers") && string(body) != "{\"error\":\"not found\"}\n" {
			t.Fatalf("%s %s as %s: 404 %s, want exactly {\"error\":\"not found\"}", tc.method, path, cred, body)
		}
	case 200:
		if tc.route == "GET /customers/{id}/requests" {
			checkExportAnswer(t, tc, path, cred, body, h)
			return
		}
		if tc.route != "GET /customers" || (cred != "own" && cred != "other") {
			return
		}
		var list struct {
			Customers []struct {
				CustomerID string `json:"customer_id"`
			} `json:"customers"`
		}
		json.Unmarshal(body, &list)
		want := map[string]string{"own": "cust_1", "other": "cust_2"}[cred]
		if len(list.Customers) != 1 || list.Customers[0].CustomerID != want {
			t.Fatalf("GET /customers/ with the key of %s: %s, want %s alone", want, body, want)
		}
	}
}

// checkExportAnswer checks that an export of the access tables holds the
// requests of its path's customer alone, and some unless it is nobody's.
func checkExportAnswer(t *testing.T, tc accessCase, path, cred string, body []byte, h http.Header) {
	t.Helper()
	id := strings.Split(strings.TrimPrefix(path, "/customers/"), "/")[0]
	var rows []exportRow
	if strings.Contains(path, "format=csv") {
		rows = parseCSV(t, body)
	} else {
		rows = parseNDJSON(t, body)
	}
	for _, r := range rows {
		if r[1] != id {
			t.Fatalf("%s %s as %s: a request of %s", tc.method, path, cred, r[1])
		}
	}
	if (id == "nobody") != (len(rows) == 0) {
		t.Fatalf("%s %s as %s: %d requests", tc.method, path, cred, len(rows))
	}
}

// doRaw sends a request and returns the status, the body and the headers.
func (s *testServer) doRaw(t *testing.T, method, path, body string, header ...string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw, resp.Header
}

// TestAccess_ScopedByConstruction checks that a route added under
// /customers/{id}/ needs nothing of its handler to be scoped: the stats
// handler reads whatever id it is given, and guard alone keeps a key to its
// customer, with the path's id however it is escaped.
func TestAccess_ScopedByConstruction(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	keys := newAccessKeys(t, db)
	s := newTestServer(t, db, httpapi.Options{AdminToken: adminToken})
	for _, path := range []string{"/customers/cust_2/stats/?from=2024-10-01", "/customers/cust%5F2/stats?from=2024-10-01", "/customers/%63ust_2/stats/?from=2024-10-01"} {
		status, body, _ := s.doRaw(t, "GET", path, "", keys.header("own")...)
		if status != 404 {
			t.Fatalf("GET %s with cust_1's key: %d %s, want 404", path, status, body)
		}
	}
	for _, path := range []string{"/customers/cust%5F1/stats?from=2024-10-01", "/customers/%63ust_1/stats/?from=2024-10-01"} {
		if status, body, _ := s.doRaw(t, "GET", path, "", keys.header("own")...); status != 200 {
			t.Fatalf("GET %s with cust_1's key: %d %s, want 200", path, status, body)
		}
	}
}

// TestAccess_TooManyFailures checks the limit of failed authentications: 20
// from one address in a minute get 401, then every request of that address
// that needs credentials gets 429 with Retry-After, the right token
// included, while another address is served.
func TestAccess_TooManyFailures(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	h := httpapi.NewHandler(httpapi.Deps{DB: db.DB, Stats: logstats.NewStatsService(db.DB), Keys: logstats.NewKeyService(db.DB)}, httpapi.Options{AdminToken: adminToken})
	send := func(addr, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/customers/", nil)
		r.RemoteAddr = addr
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const attacker, other = "192.0.2.7:40000", "192.0.2.8:40000"
	for i := range 20 {
		if w := send(attacker, fmt.Sprintf("guess-%d", i)); w.Code != 401 {
			t.Fatalf("failure %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
	}
	for _, token := range []string{"guess-21", adminToken, "lsk_" + strings.Repeat("0", 43)} {
		w := send(attacker, token)
		if w.Code != 429 || w.Header().Get("Retry-After") == "" {
			t.Fatalf("after 20 failures, %q: %d (Retry-After %q), want 429 with Retry-After", token, w.Code, w.Header().Get("Retry-After"))
		}
	}
	// Another port of the same address is the same client.
	if w := send("192.0.2.7:50000", adminToken); w.Code != 429 {
		t.Fatalf("the same address from another port: %d, want 429", w.Code)
	}
	if w := send(other, adminToken); w.Code != 200 {
		t.Fatalf("another address: %d %s, want 200", w.Code, w.Body)
	}
	// /health/ needs no credentials, and answers the blocked address.
	r := httptest.NewRequest("GET", "/health/", nil)
	r.RemoteAddr = attacker
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("/health/ from the blocked address: %d", w.Code)
	}
}

// TestAccess_ReadyBrief checks that with auth on /ready shows the watched
// files (their paths) to the admin alone.
func TestAccess_ReadyBrief(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	keys := newAccessKeys(t, db)
	files := []follow.FileStatus{{Path: "/var/log/secret-place/access.log", Size: 10, Committed: 10}}
	s := newWatchingServer(t, db, httpapi.Options{AdminToken: adminToken}, fakeWatcher{files, 1})
	for _, cred := range []string{"none", "own", "loader", "admin"} {
		status, body, _ := s.doRaw(t, "GET", "/ready", "", keys.header(cred)...)
		if status != 200 {
			t.Fatalf("/ready as %s: %d %s", cred, status, body)
		}
		if shows := strings.Contains(string(body), "secret-place"); shows != (cred == "admin") {
			t.Fatalf("/ready as %s: %s", cred, body)
		}
		if cred != "admin" && string(body) != "{\"status\":\"ok\"}\n" {
			t.Fatalf("/ready as %s: %s, want the status alone", cred, body)
		}
	}
	starting := newWatchingServer(t, db, httpapi.Options{AdminToken: adminToken}, fakeWatcher{files, 0})
	status, body, _ := starting.doRaw(t, "GET", "/ready", "")
	if status != 503 || string(body) != "{\"status\":\"unavailable\"}\n" {
		t.Fatalf("/ready before the first round, without credentials: %d %s, want 503 and the status alone", status, body)
	}
}
