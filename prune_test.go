package logstats_test

import (
	"context"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

func TestIngester_Prune(t *testing.T) {
	text := genLog(t, 3000, 12, 0)
	entries := parseEntries(t, text)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, chunk := range []int{logstats.DefaultPruneChunk, 7} { // 7: many DELETEs per customer
			pruneOnce(t, db, text, entries, chunk)
		}
	})
}

// pruneOnce loads text into a fresh database and prunes it with PruneChunk
// chunk, checking what is deleted, what is kept and that a reload adds nothing.
func pruneOnce(t *testing.T, db *testdb.DB, text string, entries []logstats.Entry, chunk int) {
	db = db.Fresh(t)
	ing := newIngester(db, 400)
	ing.PruneChunk = chunk
	mustLoad(t, ing, "a.log", text)
	before := date("2024-10-03")
	var wantRequests int64
	var kept []logstats.Entry
	for _, e := range entries {
		if logstats.DateOf(e.Time).Before(before) {
			wantRequests++
		} else {
			kept = append(kept, e)
		}
	}
	res, err := ing.Prune(context.Background(), before)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != wantRequests || res.Days != 7*2 {
		t.Fatalf("Prune=%+v, want %d requests over 14 customer-days", res, wantRequests)
	}
	if st := testdb.Snapshot(t, db.DB); st.RawRows != int64(len(kept)) {
		t.Fatalf("raw rows after prune=%d, want %d", st.RawRows, len(kept))
	}
	checkStats(t, db.DB, kept, logstats.Date{}, nil, nil)
	// The ledger is kept: the old file does not bring the pruned days back.
	if res := mustLoad(t, ing, "a.log", text); res.Inserted != 0 {
		t.Fatalf("reload after prune inserted %d, want 0", res.Inserted)
	}
	if res, err := ing.Prune(context.Background(), before); err != nil || res.Requests != 0 {
		t.Fatalf("second Prune=%+v, %v, want nothing to do", res, err)
	}
}
