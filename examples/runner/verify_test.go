package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/logstats/logstats/internal/runner"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_Verify: -verify finds a loaded database consistent (exit 0),
// names a rollup changed behind its back (exit 1, in the text and in the
// -json report), and refuses files and the flags it does not go with.
func TestRun_Verify(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		if _, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-progress", "off", sample); err != nil {
			t.Fatalf("load: %v\n%s", err, stderr)
		}
		stdout, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-verify")
		if err != nil || !strings.HasPrefix(stdout, "verified 1 sources (0 loaded before their requests were counted), 1,9") || !strings.HasSuffix(stdout, ": consistent\n") {
			t.Fatalf("-verify: %q, %v\n%s", stdout, err, stderr)
		}
		if _, err := db.DB.Exec(`UPDATE logstats_rollups SET c5xx = c5xx + 1, total = total + 1 WHERE customer_id = 'cust_3' AND day = '2024-10-02'`); err != nil {
			t.Fatal(err)
		}
		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-verify")
		if !errors.Is(err, runner.ErrInconsistent) || !strings.HasPrefix(stdout, "rollup of cust_3 on 2024-10-02: expected ") || !strings.HasSuffix(stdout, ": 1 discrepancies\n") {
			t.Fatalf("-verify of a changed rollup: %q, %v", stdout, err)
		}
		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-verify", "-json")
		var sum runner.Summary
		if jerr := json.Unmarshal([]byte(stdout), &sum); jerr != nil || err == nil || sum.Verify == nil ||
			len(sum.Verify.Discrepancies) != 1 || sum.Verify.Discrepancies[0].Customer != "cust_3" || sum.Verify.Discrepancies[0].Day != "2024-10-02" {
			t.Fatalf("-verify -json: %s (%v, %v)", stdout, err, jerr)
		}
	})
	for _, args := range [][]string{{"-verify", sample}, {"-verify", "-follow"}, {"-verify", "-dry-run"}, {"-verify", "-prune-before", "2024-10-02"}} {
		if _, _, err := runRunner(t, "", append([]string{"-dsn", "sqlite://" + t.TempDir() + "/x.db"}, args...)...); err == nil || !strings.Contains(err.Error(), "-verify") {
			t.Errorf("runner %q: %v, want a refusal naming -verify", args, err)
		}
	}
}
