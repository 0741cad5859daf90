package logstats_test

import (
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

func TestIngester_Load(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		text := genLog(t, 3000, 1, 0.01)
		entries := parseEntries(t, text)
		res := mustLoad(t, newIngester(db, 500), "a.log", text)
		if res.Lines != 3000 || res.Inserted != int64(len(entries)) || res.Malformed != 3000-int64(len(entries)) || res.SkippedAlreadyLoaded != 0 {
			t.Fatalf("result=%+v, want 3000 lines, %d inserted", res, len(entries))
		}
		if res.Malformed == 0 || len(res.Errors) != int(min(res.Malformed, logstats.DefaultMaxErrors)) {
			t.Fatalf("malformed=%d, errors=%v: the generator should have made some", res.Malformed, res.Errors)
		}
		if st := snapshot(t, db.DB); st.RawRows != int64(len(entries)) {
			t.Fatalf("raw rows=%d, want %d", st.RawRows, len(entries))
		}
		checkStats(t, db.DB, entries, logstats.Date{}, nil, nil)
	})
}

func TestIngester_LoadTwiceAddsNothing(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		text := genLog(t, 2000, 2, 0.01)
		ing := newIngester(db, 300)
		first := mustLoad(t, ing, "a.log", text)
		before := snapshot(t, db.DB)
		second := mustLoad(t, ing, "renamed.log", text)
		if second.Inserted != 0 || second.SkippedAlreadyLoaded != 2000 || second.Lines != 2000 || second.Malformed != 0 {
			t.Fatalf("second load=%+v, want nothing inserted and 2000 skipped", second)
		}
		if first.Inserted == 0 {
			t.Fatalf("first load inserted nothing")
		}
		checkSameState(t, snapshot(t, db.DB), before)
	})
}

func TestIngester_Empty(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, text := range []string{"", "\n\n  \n"} {
			res := mustLoad(t, newIngester(db, 10), "empty.log", text)
			if res.Inserted != 0 || res.Malformed != 0 {
				t.Fatalf("Load(%q)=%+v", text, res)
			}
		}
	})
}
