package logstats_test

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// forgetLogs are two logs of the same customers and days (so compaction
// merges their rollup rows), a.log to forget and b.log to keep.
func forgetLogs(t *testing.T) (a, b string) {
	return genLog(t, 3000, 31, 0.01), genLog(t, 2500, 32, 0.01)
}

// sourceNamed returns the source of the ledger named name.
func sourceNamed(t *testing.T, ing *logstats.Ingester, name string) logstats.Source {
	t.Helper()
	return testdb.SourceNamed(t, ing, name)
}

// mustVerify fails the test unless Verify finds db consistent.
func mustVerify(t *testing.T, db *testdb.DB) {
	t.Helper()
	rep, err := logstats.Verify(context.Background(), db.DB, logstats.VerifyOptions{Dialect: db.Dialect})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("Verify: %v", rep.Discrepancies)
	}
}

// TestIngester_Forget loads two sources that share customers and days,
// forgets one, and checks that the database is then that of a clean load of
// the other alone, that Verify finds it consistent, and that the forgotten
// log loads again, read another way.
func TestIngester_Forget(t *testing.T) {
	a, b := forgetLogs(t)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		want := cleanState(t, db.Dialect, "b.log", b)
		for _, chunk := range []int{logstats.DefaultPruneChunk, 7} { // 7: many transactions per customer
			t.Run("Chunk"+strconv.Itoa(chunk), func(t *testing.T) {
				db := db.Fresh(t)
				ing := newIngester(db, 400)
				ing.PruneChunk = chunk
				resA := mustLoad(t, ing, "a.log", a)
				mustLoad(t, ing, "b.log", b)
				var merged int
				if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_rollups WHERE source_id = 0`).Scan(&merged); err != nil || merged == 0 {
					t.Fatalf("%d rollup rows merged by compaction (%v); the test wants some", merged, err)
				}
				src := sourceNamed(t, ing, "a.log")
				if src.Requests != resA.Inserted || src.Lines != resA.Lines || src.Format != "logstats" || src.FirstDay == nil || src.Forgetting {
					t.Fatalf("FindSources: %+v, want %d requests, %d lines", src, resA.Inserted, resA.Lines)
				}
				res, err := ing.Forget(context.Background(), src.ID)
				if err != nil {
					t.Fatal(err)
				}
				if res.Requests != resA.Inserted || res.Source != "a.log" || res.Lines != resA.Lines || res.Days == 0 {
					t.Fatalf("Forget: %+v, want %d requests of a.log", res, resA.Inserted)
				}
				testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
				mustVerify(t, db)
				if sources, err := ing.FindSources(context.Background()); err != nil || len(sources) != 1 || sources[0].Name != "b.log" {
					t.Fatalf("FindSources after Forget: %+v, %v; want b.log alone", sources, err)
				}
				// Read another way, which the ledger refused before.
				pc := logstats.ParseConfig{CustomerDefault: "someone"}
				again, err := ing.Load(context.Background(), "a.log", strings.NewReader(a), logstats.LoadOptions{Parse: &pc})
				if err != nil || again.Inserted != resA.Inserted {
					t.Fatalf("reload after Forget: %+v, %v; want %d inserted", again, err, resA.Inserted)
				}
				mustVerify(t, db)
			})
		}
	})
}

// TestIngester_Forget_Errors: an unknown source is not found; a source
// this Ingester is loading is a conflict; a load that another Ingester (a
// process) forgets the source of fails at its next batch, and counts
// nothing.
func TestIngester_Forget_Errors(t *testing.T) {
	a, b := forgetLogs(t)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 400)
		mustLoad(t, ing, "b.log", b)
		want := testdb.Snapshot(t, db.DB)
		_, err := ing.Forget(context.Background(), 12345)
		if !errors.Is(err, logstats.ErrUnknownSource) || logstats.KindOf(err) != logstats.KindNotFound {
			t.Fatalf("Forget of an unknown id: %v, want ErrUnknownSource (not found)", err)
		}
		// A load that stops after its first batch, on a pipe.
		lines := strings.SplitAfter(a, "\n")
		pr, pw := io.Pipe()
		committed := make(chan struct{}, 100)
		done := make(chan error, 1)
		go func() {
			_, err := ing.Load(context.Background(), "a.log", pr, logstats.LoadOptions{Growing: true,
				Progress: func(logstats.LoadProgress) { committed <- struct{}{} }})
			done <- err
		}()
		go io.WriteString(pw, strings.Join(lines[:1000], ""))
		<-committed
		id := sourceNamed(t, ing, "a.log").ID
		if _, err := ing.Forget(context.Background(), id); !errors.Is(err, logstats.ErrLoadInProgress) || logstats.KindOf(err) != logstats.KindConflict {
			t.Fatalf("Forget during a load through the same Ingester: %v, want ErrLoadInProgress (conflict)", err)
		}
		other := newIngester(db, 400)
		if _, err := other.Forget(context.Background(), id); err != nil {
			t.Fatalf("Forget from another Ingester: %v", err)
		}
		go func() {
			io.WriteString(pw, strings.Join(lines[1000:], ""))
			pw.Close()
		}()
		if err := <-done; logstats.KindOf(err) != logstats.KindConflict {
			t.Fatalf("the load whose source was forgotten: %v, want a conflict", err)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
		mustVerify(t, db)
	})
}

// TestIngester_Forget_Resume stops a Forget half-way (a statement fails):
// the source is then refused to loads and reported by Verify as being
// forgotten, with nothing else inconsistent; Forget run again finishes.
func TestIngester_Forget_Resume(t *testing.T) {
	a, b := forgetLogs(t)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		want := cleanState(t, db.Dialect, "b.log", b)
		ing := newIngester(db, 400)
		ing.PruneChunk = 50
		mustLoad(t, ing, "a.log", a)
		mustLoad(t, ing, "b.log", b)
		id := sourceNamed(t, ing, "a.log").ID
		fc := &faultConnector{Connector: db.Connector, match: "DELETE FROM logstats_raw_", after: 5, err: errInjected}
		faulty := openFaulty(fc)
		defer faulty.Close()
		half := logstats.NewIngester(faulty)
		half.Dialect, half.PruneChunk = db.Dialect, 50
		if _, err := half.Forget(context.Background(), id); !errors.Is(err, errInjected) {
			t.Fatalf("Forget with a failing DELETE: %v, want the injected failure", err)
		}
		if s := sourceNamed(t, ing, "a.log"); !s.Forgetting || s.Requests == 0 {
			t.Fatalf("after a Forget that stopped: %+v, want forgetting, with requests left", s)
		}
		rep, err := logstats.Verify(context.Background(), db.DB, logstats.VerifyOptions{Dialect: db.Dialect})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Discrepancies) != 1 || !strings.Contains(rep.Discrepancies[0].String(), "being forgotten") {
			t.Fatalf("Verify of a source half forgotten: %v, want one discrepancy saying so", rep.Discrepancies)
		}
		if _, err := ing.Load(context.Background(), "a.log", strings.NewReader(a), logstats.LoadOptions{}); !errors.Is(err, logstats.ErrForgetting) {
			t.Fatalf("load of a source half forgotten: %v, want ErrForgetting", err)
		}
		res, err := ing.Forget(context.Background(), id)
		if err != nil || res.Requests == 0 {
			t.Fatalf("Forget run again: %+v, %v", res, err)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
		mustVerify(t, db)
		if _, err := ing.Forget(context.Background(), id); !errors.Is(err, logstats.ErrUnknownSource) {
			t.Fatalf("Forget of a source forgotten: %v, want ErrUnknownSource", err)
		}
	})
}

// TestIngester_Forget_Pruned forgets a source some of whose days were
// pruned: what is left of it goes, the other source's days stay.
func TestIngester_Forget_Pruned(t *testing.T) {
	a, b := forgetLogs(t)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 400)
		mustLoad(t, ing, "a.log", a)
		mustLoad(t, ing, "b.log", b)
		before := date("2024-10-03")
		if _, err := ing.Prune(context.Background(), before); err != nil {
			t.Fatal(err)
		}
		if _, err := ing.Forget(context.Background(), sourceNamed(t, ing, "a.log").ID); err != nil {
			t.Fatal(err)
		}
		mustVerify(t, db)
		var kept []logstats.Entry
		for _, e := range parseEntries(t, b) {
			if !logstats.DateOf(e.Time).Before(before) {
				kept = append(kept, e)
			}
		}
		checkStats(t, db.DB, kept, logstats.Date{}, nil, nil)
	})
}

// TestIngester_Forget_Untimed forgets, of a log without latencies (the
// combined format) and one with them, of the same customers and days,
// either one: the rollups merged from both keep exactly the other's
// requests, those without a latency included.
func TestIngester_Forget_Untimed(t *testing.T) {
	logs := map[string]string{"combined.log": genLogFormat(t, "combined", 2000, 41, 0), "timed.log": genLog(t, 2500, 42, 0)}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for forget, keep := range map[string]string{"combined.log": "timed.log", "timed.log": "combined.log"} {
			t.Run(strings.TrimSuffix(forget, ".log"), func(t *testing.T) {
				want := cleanState(t, db.Dialect, keep, logs[keep])
				db := db.Fresh(t)
				ing := newIngester(db, 300)
				mustLoad(t, ing, "combined.log", logs["combined.log"])
				mustLoad(t, ing, "timed.log", logs["timed.log"])
				if untimed := exportedUntimed(t, db.DB); untimed != 2000 {
					t.Fatalf("%d raw requests without a latency, want the combined log's 2000", untimed)
				}
				if _, err := ing.Forget(context.Background(), sourceNamed(t, ing, forget).ID); err != nil {
					t.Fatal(err)
				}
				testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
				mustVerify(t, db)
			})
		}
	})
}
