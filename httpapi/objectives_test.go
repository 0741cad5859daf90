package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// TestObjectives_Routes: PUT /customers/{id}/slo sets a customer's own
// objectives (open on a server without tokens, as POST /load is), GET
// reads them, the stats and the fleet evaluate them, DELETE brings the
// server's defaults back; bad bodies are refused with what to send.
func TestObjectives_Routes(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		svc := logstats.NewStatsService(db.DB)
		var err error
		if svc.Objectives, err = logstats.ParseObjectives("uptime>=99.9"); err != nil {
			t.Fatal(err)
		}
		s := newTestServerWith(t, db, httpapi.Deps{Stats: svc}, httpapi.Options{})
		s.load(t)
		json := []string{"Content-Type", "application/json"}

		status, body, _ := s.do(t, "GET", "/customers/cust_1/slo", nil)
		if status != 200 || body["objectives"] != "uptime>=99.9" || body["default"] != true || body["customer_id"] != "cust_1" {
			t.Fatalf("GET before PUT: %d %v", status, body)
		}
		if raw := getRaw(t, s, "/customers/cust_1/slo"); !strings.Contains(raw, `"uptime>=99.9"`) {
			t.Fatalf("GET: %s, want the objectives unescaped", raw)
		}
		status, body, _ = s.do(t, "PUT", "/customers/cust_1/slo", strings.NewReader(`{"objectives": " uptime>=90.50, p95<=0.8"}`), json...)
		if status != 200 || body["objectives"] != "uptime>=90.5,p95<=0.8" || body["default"] != false {
			t.Fatalf("PUT: %d %v", status, body)
		}
		want, err := svc.FindStats(context.Background(), "cust_1", logstats.StatsFilter{From: date(t, "2024-10-01")})
		if err != nil || len(want.Objectives) != 2 {
			t.Fatalf("FindStats: %+v, %v", want, err)
		}
		status, body, _ = s.do(t, "GET", "/customers/cust_1/stats?from=2024-10-01", nil)
		slo, _ := body["slo"].([]any)
		if status != 200 || len(slo) != 2 {
			t.Fatalf("stats with objectives: %d %v", status, body["slo"])
		}
		for i, o := range slo {
			o := o.(map[string]any)
			w := want.Objectives[i]
			budget := o["budget"].(map[string]any)
			if o["objective"] != w.Objective.String() || o["met"] != w.Met || budget["allowed"] != float64(w.Allowed) || budget["spent"] != float64(w.Spent) {
				t.Fatalf("slo[%d] = %v, want %+v", i, o, w)
			}
		}
		if o := slo[0].(map[string]any); o["target"] != 90.5 || o["actual"] != want.Stats.Uptime {
			t.Fatalf("slo[0] = %v, want target 90.5 and actual %v", o, want.Stats.Uptime)
		}
		// The fleet: every customer with objectives, the breached ones.
		status, body, _ = s.do(t, "GET", "/customers/?from=2024-10-01&slo=breached&sort=slo_remaining&order=asc&limit=10000", nil)
		list, _ := body["customers"].([]any)
		if status != 200 || len(list) == 0 || body["total_customers"] != float64(len(list)) {
			t.Fatalf("slo=breached: %d %v", status, body)
		}
		for _, c := range list {
			met := true
			for _, o := range c.(map[string]any)["slo"].([]any) {
				met = met && o.(map[string]any)["met"] == true
			}
			if met {
				t.Fatalf("slo=breached lists %v, whose objectives are met", c)
			}
		}
		status, body, _ = s.do(t, "DELETE", "/customers/cust_1/slo", nil)
		if status != 200 || body["objectives"] != "uptime>=99.9" || body["default"] != true {
			t.Fatalf("DELETE: %d %v", status, body)
		}
		status, body, _ = s.do(t, "PUT", "/customers/cust_2/slo", strings.NewReader(`{"objectives": ""}`), json...)
		if status != 200 || body["objectives"] != "" || body["default"] != false {
			t.Fatalf("PUT none: %d %v", status, body)
		}
		if status, body, _ = s.do(t, "GET", "/customers/cust_2/stats?from=2024-10-01", nil); status != 200 || body["slo"] != nil {
			t.Fatalf("stats without objectives: %d, slo %v", status, body["slo"])
		}

		for _, tc := range []struct {
			body, ctype string
			status      int
			says        string
		}{
			{`{"objectives": "uptime>=101"}`, "application/json", 400, "invalid objective"},
			{`{"objectives": "p99<=0.5,p99<=0.4"}`, "application/json", 400, "one objective of a kind"},
			{`{}`, "application/json", 400, "objectives is required"},
			{`{"objectives": "uptime>=99", "x": 1}`, "application/json", 400, "unknown field"},
			{`{"objectives": "uptime>=99"} {}`, "application/json", 400, "one JSON object"},
			{`uptime>=99`, "text/plain", 415, "Content-Type: application/json"},
		} {
			status, body, _ := s.do(t, "PUT", "/customers/cust_1/slo", strings.NewReader(tc.body), "Content-Type", tc.ctype)
			if msg, _ := body["error"].(string); status != tc.status || !strings.Contains(msg, tc.says) {
				t.Errorf("PUT %s: %d %q, want %d saying %q", tc.body, status, msg, tc.status, tc.says)
			}
		}
	})
}
