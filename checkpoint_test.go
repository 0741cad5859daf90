package logstats_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestLoad_Checkpoint follows a growing nginx log with checkpoints: each
// round gets only the bytes after the last checkpoint, a line still being
// written waits for its newline, and the database ends as one load of the
// whole log leaves it.
func TestLoad_Checkpoint(t *testing.T) {
	text := string(must(os.ReadFile("testdata/nginx.log")))
	// Cut points: mid-line ones too, so that a round ends in a partial line.
	cuts := []int{0, 1, 40, len(text) / 3, len(text)/3 + 7, len(text) / 2, len(text) - 3, len(text)}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		ref := testdb.Open(t, db.Dialect)
		whole := mustLoad(t, newIngester(ref, 50), "access.log", text)
		want := testdb.Snapshot(t, ref.DB)

		ing := newIngester(db, 50)
		var cp *logstats.Checkpoint
		var inserted int64
		for i := 1; i < len(cuts); i++ {
			var input string
			if cp == nil {
				input = text[:cuts[i]]
			} else {
				input = text[cp.Offset:cuts[i]]
			}
			res, err := ing.Load(ctx, "access.log", strings.NewReader(input), logstats.LoadOptions{Growing: true, From: cp})
			if err != nil {
				t.Fatalf("round %d (to byte %d, from %+v): %v", i, cuts[i], cp, err)
			}
			inserted += res.Inserted
			if res.Checkpoint != nil {
				if cp != nil && res.Checkpoint.Source() != cp.Source() {
					t.Fatalf("round %d: checkpoint of source %d, want %d", i, res.Checkpoint.Source(), cp.Source())
				}
				cp = res.Checkpoint
				if end := strings.LastIndexByte(text[:cuts[i]], '\n') + 1; cp.Offset != int64(end) {
					t.Fatalf("round %d: checkpoint at byte %d, want %d (the end of the last whole line)", i, cp.Offset, end)
				}
			} else if cp != nil || cuts[i] > 1000 {
				t.Fatalf("round %d: no checkpoint after %+v", i, res)
			}
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
		if inserted != whole.Inserted {
			t.Fatalf("the rounds inserted %d requests, one load of the whole log %d", inserted, whole.Inserted)
		}

		// Another load moves the ledger on: the old checkpoint is stale.
		stale := cp
		grown := text + text[:strings.IndexByte(text, '\n')+1]
		if _, err := newIngester(db, 50).Load(ctx, "access.log", strings.NewReader(grown), logstats.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		res, err := ing.Load(ctx, "access.log", strings.NewReader(grown[stale.Offset:]), logstats.LoadOptions{From: stale})
		if !errors.Is(err, logstats.ErrCheckpointStale) || logstats.KindOf(err) != logstats.KindConflict || res.Inserted != 0 {
			t.Fatalf("load from a stale checkpoint: %+v, %v; want ErrCheckpointStale and nothing loaded", res, err)
		}
	})
}

// TestLoad_CheckpointNone: a compressed input gives no checkpoint (its
// offsets are not the file's).
func TestLoad_CheckpointNone(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(must(os.ReadFile("testdata/nginx.log")))
	zw.Close()
	res, err := newIngester(db, 50).Load(context.Background(), "access.log.1.gz", &gz, logstats.LoadOptions{})
	if err != nil || res.Inserted == 0 || res.Checkpoint != nil {
		t.Fatalf("gzip load: %+v, %v; want requests and no checkpoint", res, err)
	}
}

// TestCheckpoint_IsPrefixOf: a checkpoint recognises the bytes it was taken
// after, and nothing else: not a shorter input, not one edited before its
// offset; what follows the offset does not matter.
func TestCheckpoint_IsPrefixOf(t *testing.T) {
	text := string(must(os.ReadFile("testdata/nginx.log")))
	half := strings.LastIndexByte(text[:len(text)/2], '\n') + 1
	db := testdb.Open(t, logstats.DialectSQLite)
	res := mustLoad(t, newIngester(db, 50), "access.log", text[:half])
	cp := res.Checkpoint
	if cp == nil || cp.Offset != int64(half) {
		t.Fatalf("checkpoint %+v, want one at byte %d", cp, half)
	}
	edited := []byte(text)
	edited[half-2] ^= 1
	for _, c := range []struct {
		name  string
		input string
		want  bool
	}{
		{"the same bytes", text[:half], true},
		{"grown since", text, true},
		{"shorter", text[:half-1], false},
		{"edited before the offset", string(edited), false},
		{"empty", "", false},
	} {
		got, err := cp.IsPrefixOf(strings.NewReader(c.input))
		if err != nil || got != c.want {
			t.Errorf("%s: IsPrefixOf = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}
