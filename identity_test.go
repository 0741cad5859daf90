package logstats_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestIngester_SameFirstLine loads logs that start with the same line (a
// client polling one endpoint writes the same first line in two logs) but
// go on differently: each is a source of its own, whatever the order of the
// loads, the length of the logs (within the head read to tell them apart or
// beyond it) and how many first lines they share; each loads all its lines
// once, and loading any of them again adds nothing.
func TestIngester_SameFirstLine(t *testing.T) {
	long := genLog(t, 1500, 5, 0) // beyond the head (1000 lines)
	first := long[:lineOffset(long, 1)]
	two := long[:lineOffset(long, 2)]
	other := genLog(t, 300, 9, 0)
	small := genLog(t, 40, 11, 0)
	cases := []struct {
		name  string
		files []string
	}{
		{"LongThenShort", []string{long, first + other}},
		{"ShortThenLong", []string{first + other, long}},
		{"BothSmall", []string{first + small, first + other[:lineOffset(other, 60)]}},
		{"TwoLinesShared", []string{long, two + other}},
		{"TwoLinesSharedShortFirst", []string{two + other, long}},
		{"ThreeLogs", []string{long, first + other, first + small}},
		{"HeaderThenSameLine", []string{long, "# another log\n" + first + other}},
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				db := db.Fresh(t)
				ing := newIngester(db, 100)
				var all []logstats.Entry
				for i, text := range tc.files {
					entries := parseEntries(t, text)
					all = append(all, entries...)
					if res := mustLoad(t, ing, "access.log", text); res.Inserted != int64(len(entries)) {
						t.Fatalf("load %d inserted %d, want %d", i, res.Inserted, len(entries))
					}
				}
				for i, text := range tc.files {
					if res := mustLoad(t, ing, "again.log", text); res.Inserted != 0 {
						t.Fatalf("load %d again inserted %d, want 0", i, res.Inserted)
					}
				}
				checkStats(t, db.DB, all, date("2024-01-01"), nil, nil)
			})
		}
	})
}

// TestIngester_SameFirstLineInterrupted stops the load of a log that starts
// with another's first line after its first batches (as a kill would), then
// loads it again, and again while it grows: its lines are loaded once, under
// the same source. A log that so far holds only the shared line is not
// loaded under the other's source: nothing is loaded until it tells.
func TestIngester_SameFirstLineInterrupted(t *testing.T) {
	long := genLog(t, 1500, 5, 0)
	first := long[:lineOffset(long, 1)]
	second := first + genLog(t, 900, 9, 0)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 100)
		mustLoad(t, ing, "access.log.1", long)
		before := testdb.Snapshot(t, db.DB)
		res, err := ing.Load(context.Background(), "access.log", strings.NewReader(first), logstats.LoadOptions{Growing: true})
		if res.Inserted != 0 {
			t.Fatalf("the shared line alone: inserted %d (err %v), want 0", res.Inserted, err)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), before)

		ctx, cancel := context.WithCancel(context.Background())
		batches := 0
		half := second[:lineOffset(second, 500)]
		res, err = ing.Load(ctx, "access.log", strings.NewReader(half), logstats.LoadOptions{Growing: true, Progress: func(logstats.LoadProgress) {
			if batches++; batches == 2 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) || res.Inserted == 0 {
			t.Fatalf("interrupted load: inserted %d, err %v; want some inserted, then context.Canceled", res.Inserted, err)
		}
		if _, err := ing.Load(context.Background(), "access.log", strings.NewReader(half), logstats.LoadOptions{Growing: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := ing.Load(context.Background(), "access.log", strings.NewReader(second), logstats.LoadOptions{Growing: true}); err != nil {
			t.Fatal(err)
		}
		checkStats(t, db.DB, append(parseEntries(t, long), parseEntries(t, second)...), date("2024-01-01"), nil, nil)
	})
}
