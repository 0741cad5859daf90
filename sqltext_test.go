package logstats_test

import (
	"context"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestSQL_NoInputInQueryText records the text of every statement sent to
// the database while input full of SQL metacharacters goes through every
// operation (load, stats, customers, compaction, pruning), and checks that
// none of it reached a statement's text: all input travels as arguments.
func TestSQL_NoInputInQueryText(t *testing.T) {
	const mark = `zq'"--;/*`
	customer := "cust" + mark
	path := "/p" + mark + "`x`"
	name := "src" + mark + "\\'.log"
	log := "2024-10-03 14:22:05 " + customer + " " + path + " 200 0.1\n" +
		"2024-10-04 09:00:00 " + customer + " " + path + " 500 0.2\n" +
		"2024-10-04 09:00:01 " + customer + " " + path + " 500 oops\n"
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		rec := &faultConnector{Connector: db.Connector}
		recorded := openFaulty(rec)
		defer recorded.Close()
		ctx := context.Background()
		ing := logstats.NewIngester(recorded)
		ing.Dialect, ing.BatchLines = db.Dialect, 1
		if _, err := ing.Load(ctx, name, strings.NewReader(log), logstats.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		svc := logstats.NewStatsService(recorded)
		p, _ := logstats.ParsePercentile("99.9")
		to := date("2024-10-05")
		if _, err := svc.FindStats(ctx, customer, logstats.StatsFilter{From: date("2024-10-02"), To: &to, Percentiles: []logstats.Percentile{p}}); err != nil {
			t.Fatal(err)
		}
		after := "a" + mark
		if _, err := svc.FindCustomers(ctx, logstats.CustomerFilter{After: &after, Limit: 7}); err != nil {
			t.Fatal(err)
		}
		if err := ing.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := ing.Prune(ctx, date("2024-10-04")); err != nil {
			t.Fatal(err)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.queries) < 10 {
			t.Fatalf("only %d statements recorded", len(rec.queries))
		}
		for _, q := range rec.queries {
			for _, input := range []string{"zq", "2024-10", "99.9", "oops", ".log", "/p"} {
				if strings.Contains(q, input) {
					t.Fatalf("input %q is in the text of a statement:\n%s", input, q)
				}
			}
		}
		t.Logf("%d statements, none with input in its text", len(rec.queries))
	})
}
