package logstats_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

func TestKindOf_NoSpace(t *testing.T) {
	err := fmt.Errorf("spool: %w", &fs.PathError{Op: "write", Path: "/tmp/x", Err: syscall.ENOSPC})
	if k := logstats.KindOf(err); k != logstats.KindNoSpace || k.String() != "no space" {
		t.Fatalf("KindOf(%v) = %v, want no space", err, k)
	}
}

// TestIngester_DiskFull loads a log into SQLite on a disk that fills up
// during the load (testdb.SmallDisk: a 1 MiB tmpfs, or where mounting is not
// permitted a database capped by max_page_count): the load fails with
// KindNoSpace; what it committed stays (the database equals a clean load of
// the lines before its committed offset); once space is freed, loading
// again loads the rest and ends equal to one clean load.
func TestIngester_DiskFull(t *testing.T) {
	text := testdb.Incompressible(genLog(t, 20000, 11, 0.001), 11)
	want := cleanState(t, logstats.DialectSQLite, "a.log", text)
	testdb.ForEachSmallDisk(t, func(t *testing.T, disk *testdb.SmallDisk) {
		db := disk.Open(t)
		_, err := newIngester(db, 500).Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
		if logstats.KindOf(err) != logstats.KindNoSpace {
			t.Fatalf("load onto a full disk: error %v of kind %v, want %v", err, logstats.KindOf(err), logstats.KindNoSpace)
		}
		off := testdb.CommittedOffset(t, db.DB)
		if off == 0 || off >= int64(len(text)) {
			t.Fatalf("committed %d of %d bytes before the disk filled; want some batches, not all (resize the log or the disk)", off, len(text))
		}
		t.Logf("the disk filled after %d of %d bytes: %v", off, len(text), err)
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), cleanState(t, logstats.DialectSQLite, "a.log", text[:off]))

		disk.Grow(t)
		db = disk.Open(t)
		res, err := newIngester(db, 500).Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
		if err != nil {
			t.Fatalf("load after space was freed: %v", err)
		}
		if committed := int64(strings.Count(text[:off], "\n")); res.SkippedAlreadyLoaded != committed {
			t.Errorf("the second load skipped %d lines, want the %d committed before the disk filled", res.SkippedAlreadyLoaded, committed)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
	})
}

// TestIngester_NoSpace makes a statement of a load fail with its driver's
// own error for a full disk (SQLite's SQLITE_FULL, MySQL's 1114): the load's
// error is KindNoSpace, unless the Ingester's Driver does not implement
// NoSpaceReporter (a Driver written before it), whose errors stay internal
// as they were; either way, running the load again ends equal to a clean
// load.
func TestIngester_NoSpace(t *testing.T) {
	text := genLog(t, 3000, 12, 0.01)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		want := cleanState(t, db.Dialect, "a.log", text)
		for _, reporter := range []bool{true, false} {
			t.Run(fmt.Sprintf("NoSpaceReporter=%v", reporter), func(t *testing.T) {
				db := db.Fresh(t)
				fc := &faultConnector{Connector: db.Connector, match: "INSERT INTO logstats_rollups", after: 3, err: testdb.NoSpaceError(t, db.Dialect)}
				faulty := openFaulty(fc)
				defer faulty.Close()
				ing := logstats.NewIngester(faulty)
				ing.Dialect, ing.BatchLines = db.Dialect, 400
				wantKind := logstats.KindNoSpace
				if !reporter {
					ing.Driver, wantKind = driverOnly{ing.Driver}, logstats.KindInternal
				}
				_, err := ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
				if !fc.hasFired() {
					t.Fatal("the fault never fired")
				}
				if !errors.Is(err, fc.err) || logstats.KindOf(err) != wantKind {
					t.Fatalf("load error %v of kind %v, want %v wrapping %v", err, logstats.KindOf(err), wantKind, fc.err)
				}
				mustLoad(t, newIngester(db, 400), "a.log", text)
				testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
			})
		}
	})
}

// driverOnly is a Driver with no method beyond the interface's, as one
// written before NoSpaceReporter is.
type driverOnly struct{ logstats.Driver }
