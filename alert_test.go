package logstats_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestAlerter: an objective that goes from met to breached over the
// window queues one "breached" event, and one "recovered" when it comes
// back; evaluating again without a change queues nothing; the window ends
// at the customer's newest day; an event's body holds the figures of the
// window; due events leave the queue when done and wait when retried. On
// every backend.
func TestAlerter(t *testing.T) {
	ctx := context.Background()
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 1000)
		stats := logstats.NewStatsService(db.DB)
		var err error
		if stats.Objectives, err = logstats.ParseObjectives("uptime>=90,p99<=0.5"); err != nil {
			t.Fatal(err)
		}
		a := logstats.NewAlerter(db.DB, stats)
		a.Window = 3
		events := func(want int) []map[string]any {
			t.Helper()
			due, err := a.DueEvents(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(due) != want {
				t.Fatalf("%d events queued, want %d: %+v", len(due), want, due)
			}
			var out []map[string]any
			for _, e := range due {
				var v map[string]any
				if err := json.Unmarshal(e.Body, &v); err != nil {
					t.Fatalf("event body %s: %v", e.Body, err)
				}
				if v["event_id"] != e.ID || v["customer_id"] != e.CustomerID {
					t.Fatalf("event %s of %s: body %s", e.ID, e.CustomerID, e.Body)
				}
				out = append(out, v)
				if err := a.Done(ctx, e.ID); err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
		// Day 1: a met (95 %), b breached (80 %): one event, b's.
		mustLoad(t, ing, "1.log", testdb.StatusLog("a", "2024-10-01", 100, 5)+testdb.StatusLog("b", "2024-10-01", 100, 20))
		if n, err := a.EvaluateAll(ctx); err != nil || n != 1 {
			t.Fatalf("EvaluateAll = %d, %v; want 1 event", n, err)
		}
		got := events(1)[0]
		want := map[string]any{"event": "breached", "customer_id": "b", "objective": "uptime>=90", "actual": 80.0, "target": 90.0,
			"window": map[string]any{"from": "2024-09-29", "to": "2024-10-01"},
			"budget": map[string]any{"allowed": 10.0, "spent": 20.0, "remaining": -1.0}}
		for k, v := range want {
			if b, _ := json.Marshal(got[k]); string(b) != string(mustJSON(t, v)) {
				t.Fatalf("event %s = %s, want %s (%v)", k, b, mustJSON(t, v), got)
			}
		}
		if n, err := a.Evaluate(ctx, []string{"a", "b", "nobody"}); err != nil || n != 0 {
			t.Fatalf("Evaluate again = %d, %v; want nothing new", n, err)
		}
		// Day 5: b all good, and its window (3 days ending on day 5) no
		// longer holds day 1: recovered. a breaches.
		mustLoad(t, ing, "2.log", testdb.StatusLog("a", "2024-10-05", 10, 5)+testdb.StatusLog("b", "2024-10-05", 10, 0))
		if n, err := a.Evaluate(ctx, []string{"a", "b"}); err != nil || n != 2 {
			t.Fatalf("Evaluate after day 5 = %d, %v; want 2", n, err)
		}
		for _, e := range events(2) {
			if e["customer_id"] == "b" && e["event"] != "recovered" || e["customer_id"] == "a" && e["event"] != "breached" {
				t.Fatalf("after day 5: %v", e)
			}
			if w := e["window"].(map[string]any); w["from"] != "2024-10-03" || w["to"] != "2024-10-05" {
				t.Fatalf("window %v, want 2024-10-03 to 2024-10-05", w)
			}
		}
		// A customer's own objectives replace the breached one: the state
		// of the old is forgotten, the new one is met.
		if err := stats.SetObjectives(ctx, "a", []logstats.Objective{testdb.Objective(t, "uptime>=10")}); err != nil {
			t.Fatal(err)
		}
		if n, err := a.Evaluate(ctx, []string{"a"}); err != nil || n != 0 {
			t.Fatalf("Evaluate with a's own = %d, %v", n, err)
		}
		// Retry: not due until its time.
		mustLoad(t, ing, "3.log", testdb.StatusLog("c", "2024-10-05", 10, 9))
		if n, err := a.Evaluate(ctx, []string{"c"}); err != nil || n != 1 {
			t.Fatalf("Evaluate c = %d, %v", n, err)
		}
		due, err := a.DueEvents(ctx, 10)
		if err != nil || len(due) != 1 || due[0].Attempts != 0 {
			t.Fatalf("due %+v, %v", due, err)
		}
		if err := a.Retry(ctx, due[0].ID, time.Hour); err != nil {
			t.Fatal(err)
		}
		if again, err := a.DueEvents(ctx, 10); err != nil || len(again) != 0 {
			t.Fatalf("due after a retry an hour away: %+v, %v", again, err)
		}
		if next, ok, err := a.NextDue(ctx); err != nil || !ok || next.Before(time.Now().Add(59*time.Minute)) {
			t.Fatalf("NextDue = %v, %v, %v", next, ok, err)
		}
		// A customer that cannot be evaluated (its stored objectives are
		// corrupt) does not stop the others, and the error names it.
		mustLoad(t, ing, "4.log", testdb.StatusLog("bad", "2024-10-05", 10, 0)+testdb.StatusLog("d", "2024-10-05", 10, 9))
		if _, err := db.DB.ExecContext(ctx, `INSERT INTO logstats_objectives (customer_id, objectives, updated_us) VALUES ('bad', 'uptime>=x', 1)`); err != nil {
			t.Fatal(err)
		}
		n, err := a.Evaluate(ctx, []string{"bad", "d"})
		var ee *logstats.EvaluateError
		if n != 1 || !errors.As(err, &ee) || len(ee.Customers) != 1 || ee.Customers[0] != "bad" || !errors.Is(err, logstats.ErrCorruptRollup) {
			t.Fatalf("Evaluate with a corrupt customer = %d, %v; want d's event and an EvaluateError naming bad", n, err)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
