package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_Breakdown: -breakdown prints the library's breakdown, with the
// routes of -routes, as a table or as the API's JSON; what goes with it
// wrongly is refused.
func TestRun_Breakdown(t *testing.T) {
	log := "" +
		"2024-10-01 10:00:00 cust_1 /v1/users/42 200 0.100\n" +
		"2024-10-01 10:00:01 cust_1 /v1/users/7 500 0.300\n" +
		"2024-10-01 10:00:02 cust_1 /v1/users/7/orders/x1 200 0.200\n" +
		"2024-10-02 10:00:00 cust_1 /v1/users/9/orders/x2 404 -\n" +
		"2024-10-02 10:00:00 cust_1 /health 200 0.001\n" +
		"2024-10-02 10:00:00 cust_2 /v1/users/1 200 0.050\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	routes := filepath.Join(dir, "routes.txt")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(routes, []byte("# the orders\n/v1/users/{user}/orders/{order}\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		if _, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-progress", "off", "-complete", path); err != nil {
			t.Fatalf("load: %v\n%s", err, stderr)
		}
		args := []string{"-dsn", db.DSN, "-breakdown", "cust_1", "-by", "route", "-from", "2024-10-01", "-routes", "@" + routes}
		stdout, stderr, err := runRunner(t, "", args...)
		if err != nil {
			t.Fatalf("-breakdown: %v\n%s", err, stderr)
		}
		want := [][]string{
			{"cust_1, 2024-10-01 to the last day (UTC), failed 4xx,5xx, by route: 3 groups"},
			{"ROUTE", "REQUESTS", "FAILED", "UPTIME", "%", "MEDIAN", "ms", "P99", "ms"},
			{"/v1/users/{id}", "2", "1", "50.00", "200.000", "298.000"},
			{"/v1/users/{user}/orders/{order}", "2", "1", "50.00", "200.000", "200.000"},
			{"/health", "1", "0", "100.00", "1.000", "1.000"},
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(lines) != len(want) || lines[0] != want[0][0] {
			t.Fatalf("-breakdown printed\n%s\nwant %d lines, the first %q", stdout, len(want), want[0][0])
		}
		for i, w := range want[1:] {
			if got := strings.Fields(lines[i+1]); strings.Join(got, " ") != strings.Join(w, " ") {
				t.Errorf("line %d: %q, want %q", i+2, got, w)
			}
		}

		// -json is the API's answer, which the library's Breakdown makes.
		stdout, stderr, err = runRunner(t, "", append(args, "-json", "-limit", "1", "-sort", "p99_latency", "-to", "2024-10-01")...)
		if err != nil {
			t.Fatalf("-breakdown -json: %v\n%s", err, stderr)
		}
		var got struct {
			By          []string `json:"by"`
			TotalGroups int      `json:"total_groups"`
			Groups      []struct {
				Key   map[string]any `json:"key"`
				Stats struct {
					TotalRequests int64    `json:"total_requests"`
					P99           *float64 `json:"p99_latency"`
				} `json:"stats"`
			} `json:"groups"`
			Other *struct {
				TotalRequests int64 `json:"total_requests"`
			} `json:"other"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("-breakdown -json: %v\n%s", err, stdout)
		}
		if got.TotalGroups != 2 || len(got.Groups) != 1 || got.Groups[0].Key["route"] != "/v1/users/{id}" || got.Groups[0].Stats.TotalRequests != 2 ||
			got.Groups[0].Stats.P99 == nil || *got.Groups[0].Stats.P99 != 0.298 || got.Other == nil || got.Other.TotalRequests != 1 {
			t.Errorf("-breakdown -json: %s", stdout)
		}
		svc := logstats.NewStatsService(db.DB)
		lib, err := svc.Breakdown(context.Background(), "cust_1", logstats.BreakdownFilter{By: []string{"status"}, From: logstats.Date{Year: 2024, Month: 10, Day: 1}})
		if err != nil {
			t.Fatal(err)
		}
		stdout, stderr, err = runRunner(t, "", "-dsn", db.DSN, "-breakdown", "cust_1", "-by", "status", "-from", "2024-10-01", "-json")
		if err != nil {
			t.Fatalf("-breakdown -by status -json: %v\n%s", err, stderr)
		}
		for _, g := range lib.Groups {
			if !strings.Contains(stdout, `{"key":{"status":`+g.Key[0]+`},"stats":{"total_requests":`+strconv.FormatInt(g.Stats.TotalRequests, 10)+`,`) {
				t.Errorf("-breakdown -json lacks the group of status %s (%d requests):\n%s", g.Key[0], g.Stats.TotalRequests, stdout)
			}
		}

		// -failed 5xx counts the 404 as a success.
		stdout, stderr, err = runRunner(t, "", append(args, "-failed", "5xx", "-by", "status_class")...)
		if err != nil {
			t.Fatalf("-failed 5xx: %v\n%s", err, stderr)
		}
		if !strings.Contains(stdout, "failed 5xx, by status_class: 3 groups") || !regexp.MustCompile(`4xx +1 +0 +100\.00`).MatchString(stdout) {
			t.Errorf("-breakdown -failed 5xx printed\n%s", stdout)
		}

		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"-breakdown", "cust_1", "-by", "route", "-from", "2024-10-01", "-failed", "3xx"}, `-failed: logstats: invalid definition of failed requests: "3xx"`},
			{[]string{"-breakdown", "cust_1", "-from", "2024-10-01"}, "needs -by"},
			{[]string{"-breakdown", "cust_1", "-by", "route"}, "needs -from"},
			{[]string{"-breakdown", "cust_1", "-by", "region", "-from", "2024-10-01"}, `unknown key "region"`},
			{[]string{"-breakdown", "cust_1", "-by", "route", "-from", "2024-10-01", "-limit", "0", "-sort", "fastest"}, `unknown sort field "fastest"`},
			{[]string{"-breakdown", "cust_1", "-by", "route", "-from", "2024-10-01", "-routes", "/v1/{"}, "-routes: logstats: invalid route template"},
			{[]string{"-breakdown", "cust_1", "-by", "route", "-from", "2024-10-01", path}, "reads no file"},
			{[]string{"-by", "route", path}, "-by, -sort, -order and -limit go with -breakdown"},
			{[]string{"-breakdown", "cust_1", "-by", "route", "-from", "2024-10-01", "-order", "up"}, `-order: "up" is neither asc nor desc`},
			{[]string{"-export", "cust_1", "-from", "2024-10-01", "-by", "route"}, "-export goes with none of -breakdown"},
		} {
			_, stderr, err := runRunner(t, "", append([]string{"-dsn", db.DSN}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error()+stderr, tc.want) {
				t.Errorf("%q: %v %s, want an error saying %q", tc.args, err, stderr, tc.want)
			}
		}
	})
}
