package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_Export: -export writes a customer's requests of -from to -to,
// as loaded, in NDJSON or CSV, on stdout and nothing else; what goes with
// it wrongly is refused, and so is a -raw other than the recorded one.
func TestRun_Export(t *testing.T) {
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Seed, cfg.Customers, cfg.Days, cfg.UntimedRate = 3000, 41, 3, 4, 0.25
	var text strings.Builder
	if err := loggen.Write(&text, cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := logstats.NewParser(strings.NewReader(text.String()), logstats.ParseConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string // cust_1's requests of 2024-10-02 and 03, as CSV records
	for {
		e, err := p.Next()
		if err != nil {
			break
		}
		if d := logstats.DateOf(e.Time).String(); e.CustomerID == "cust_1" && (d == "2024-10-02" || d == "2024-10-03") {
			latency := ""
			if e.Timed() {
				latency = fmt.Sprint(e.Latency.Seconds())
			}
			want = append(want, strings.Join([]string{e.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), e.CustomerID, e.Method, e.Path, fmt.Sprint(e.Status), latency}, ","))
		}
	}
	// Exported by day, then as loaded.
	slices.SortStableFunc(want, func(a, b string) int { return strings.Compare(a[:10], b[:10]) })
	if len(want) < 100 {
		t.Fatalf("only %d requests of cust_1 on the days exported: make the log larger", len(want))
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		if _, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-progress", "off", path); err != nil {
			t.Fatalf("load: %v\n%s", err, stderr)
		}
		args := []string{"-dsn", db.DSN, "-export", "cust_1", "-from", "2024-10-02", "-to", "2024-10-03"}
		stdout, stderr, err := runRunner(t, "", append(args, "-export-format", "csv")...)
		if err != nil {
			t.Fatalf("-export csv: %v\n%s", err, stderr)
		}
		records, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil || len(records) != len(want)+1 || strings.Join(records[0], ",") != "time,customer_id,method,path,status,latency" {
			t.Fatalf("-export csv: %d records (%v), want a header and %d:\n%.500s", len(records), err, len(want), stdout)
		}
		for i, r := range records[1:] {
			if got := strings.Join(r, ","); got != want[i] {
				t.Fatalf("csv record %d: %s, want %s", i+1, got, want[i])
			}
		}
		stdout, stderr, err = runRunner(t, "", args...)
		if err != nil {
			t.Fatalf("-export: %v\n%s", err, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("-export: %d lines, want %d", len(lines), len(want))
		}
		for i, line := range lines {
			var r struct {
				Time       string   `json:"time"`
				CustomerID string   `json:"customer_id"`
				Method     string   `json:"method"`
				Path       string   `json:"path"`
				Status     int      `json:"status"`
				Latency    *float64 `json:"latency"`
			}
			dec := json.NewDecoder(strings.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("line %d %s: %v", i+1, line, err)
			}
			latency := ""
			if r.Latency != nil {
				latency = fmt.Sprint(*r.Latency)
			}
			if got := strings.Join([]string{r.Time, r.CustomerID, r.Method, r.Path, fmt.Sprint(r.Status), latency}, ","); got != want[i] {
				t.Fatalf("line %d: %s, want %s", i+1, got, want[i])
			}
		}
		for _, bad := range []struct {
			args []string
			want string
		}{
			{[]string{"-export", "cust_1"}, "-export needs -from"},
			{[]string{"-export", "cust_1", "-from", "2024-10-02", "-json"}, "drop -json"},
			{[]string{"-export", "cust_1", "-from", "2024-10-02", "-export-format", "xml"}, "use ndjson or csv"},
			{[]string{"-export", "cust_1", "-from", "2024-10-03", "-to", "2024-10-02"}, "before"},
			{[]string{"-from", "2024-10-02"}, "go with -export CUSTOMER"},
			{[]string{"-raw", "rows", path}, "use -raw blocks (or leave -raw out)"},
			{[]string{"-raw", "columns", path}, "use blocks (the default), rows or none"},
		} {
			stdout, _, err := runRunner(t, "", append([]string{"-dsn", db.DSN, "-progress", "off"}, bad.args...)...)
			if err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("runner %s: %v, want an error saying %q", strings.Join(bad.args, " "), err, bad.want)
			}
			if strings.Contains(stdout, "cust_1") {
				t.Errorf("runner %s wrote requests: %.200s", strings.Join(bad.args, " "), stdout)
			}
		}
		none := db.Fresh(t)
		if _, stderr, err := runRunner(t, "", "-dsn", none.DSN, "-progress", "off", "-raw", "none", path); err != nil {
			t.Fatalf("load under -raw none: %v\n%s", err, stderr)
		}
		if _, _, err := runRunner(t, "", "-dsn", none.DSN, "-export", "cust_1", "-from", "2024-10-02"); err == nil || !strings.Contains(err.Error(), "keeps no raw requests") {
			t.Fatalf("-export under none: %v", err)
		}
	})
}
