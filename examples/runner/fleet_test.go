package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_Fleet: -fleet prints the library's fleet, sorted as -sort and
// -order say, as a table or as the API's JSON; what goes with it wrongly
// is refused.
func TestRun_Fleet(t *testing.T) {
	log := "" +
		"2024-10-01 10:00:00 cust_1 /v1/users/42 200 0.100\n" +
		"2024-10-01 10:00:01 cust_1 /v1/users/7 500 0.300\n" +
		"2024-10-02 10:00:00 cust_1 /v1/users/9 404 -\n" +
		"2024-10-02 10:00:00 cust_2 /v1/users/1 200 0.050\n" +
		"2024-10-03 10:00:00 cust_2 /v1/users/1 200 0.070\n" +
		"2024-10-03 10:00:00 cust_3 /v1/users/1 503 -\n" +
		"2024-10-09 10:00:00 cust_4 /v1/users/1 200 0.010\n"
	path := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		if _, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-progress", "off", "-complete", path); err != nil {
			t.Fatalf("load: %v\n%s", err, stderr)
		}
		// cust_2's own objectives; the others get -slo's.
		for _, tc := range []struct{ arg, says string }{
			{"cust_2=p50<=0.06", "cust_2: p50<=0.06 (its own)\n"},
			{"cust_2=", "cust_2: no objectives (its own: none)\n"},
			{"cust_2=default", "cust_2: the defaults (-slo) apply: \"uptime>=50\"\n"},
			{"cust_2=p50<=0.04", "cust_2: p50<=0.04 (its own)\n"},
		} {
			stdout, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-slo", "uptime>=50", "-set-slo", tc.arg)
			if err != nil || stdout != tc.says {
				t.Fatalf("-set-slo %s: %v %q %s, want %q", tc.arg, err, stdout, stderr, tc.says)
			}
		}
		args := []string{"-dsn", db.DSN, "-fleet", "-from", "2024-10-01", "-to", "2024-10-03", "-slo", "uptime>=50"}
		stdout, stderr, err := runRunner(t, "", append(args, "-sort", "uptime", "-order", "asc", "-failed", "5xx")...)
		if err != nil {
			t.Fatalf("-fleet: %v\n%s", err, stderr)
		}
		want := [][]string{
			{"2024-10-01 to 2024-10-03 (UTC), failed 5xx: 3 customers by uptime, smallest first"},
			{"CUSTOMER", "REQUESTS", "FAILED", "UPTIME", "%", "MEDIAN", "ms", "P99", "ms", "OBJECTIVES"},
			{"cust_3", "1", "1", "0.00", "-", "-", "breached:", "uptime>=50"},
			{"cust_1", "3", "1", "66.67", "200.000", "298.000", "met"},
			{"cust_2", "2", "0", "100.00", "60.000", "69.800", "breached:", "p50<=0.04"},
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(lines) != len(want) || lines[0] != want[0][0] {
			t.Fatalf("-fleet printed\n%s\nwant %d lines, the first %q", stdout, len(want), want[0][0])
		}
		for i, w := range want[1:] {
			if got := strings.Fields(lines[i+1]); strings.Join(got, " ") != strings.Join(w, " ") {
				t.Errorf("line %d: %q, want %q", i+2, got, w)
			}
		}

		// -json is the API's answer, which the library's Fleet makes.
		stdout, stderr, err = runRunner(t, "", append(args, "-json", "-limit", "1", "-sort", "p99_latency")...)
		if err != nil {
			t.Fatalf("-fleet -json: %v\n%s", err, stdout+stderr)
		}
		var got struct {
			Total     int `json:"total_customers"`
			Customers []struct {
				ID    string `json:"customer_id"`
				Stats struct {
					P99 float64 `json:"p99_latency"`
				} `json:"stats"`
			} `json:"customers"`
		}
		lib, err := logstats.NewStatsService(db.DB).Fleet(context.Background(), logstats.FleetFilter{From: logstats.Date{Year: 2024, Month: 10, Day: 1}, To: &logstats.Date{Year: 2024, Month: 10, Day: 3}, Sort: "p99_latency", Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Total != 3 || len(got.Customers) != 1 || got.Customers[0].ID != lib.Customers[0].CustomerID || got.Customers[0].Stats.P99 != 0.298 {
			t.Errorf("-fleet -json: %v %s", err, stdout)
		}

		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"-fleet"}, "-fleet needs -from"},
			{[]string{"-fleet", "-from", "2024-10-01", path}, "-fleet reads no file"},
			{[]string{"-fleet", "-from", "2024-10-01", "-by", "route"}, "-fleet goes with none of"},
			{[]string{"-fleet", "-from", "2024-10-01", "-sort", "fastest"}, `unknown sort field "fastest"`},
			{[]string{"-fleet", "-from", "2024-10-01", "-breakdown", "cust_1"}, "one at a time"},
			{[]string{"-fleet", "-from", "2024-10-03", "-to", "2024-10-01"}, "before from"},
			{[]string{"-sort", "uptime", path}, "-sort, -order and -limit also with -fleet"},
			{[]string{"-set-slo", "cust_1"}, "-set-slo: want CUSTOMER=OBJECTIVES"},
			{[]string{"-set-slo", "cust_1=uptime>=101"}, "-set-slo: logstats: invalid objective"},
			{[]string{"-set-slo", "cust 1=uptime>=99"}, "whitespace"},
		} {
			_, stderr, err := runRunner(t, "", append([]string{"-dsn", db.DSN}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error()+stderr, tc.want) {
				t.Errorf("%q: %v %s, want an error saying %q", tc.args, err, stderr, tc.want)
			}
		}
	})
}
