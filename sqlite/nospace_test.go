package sqlite_test

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
	"github.com/logstats/logstats/sqlite"
)

// TestDriver_NoSpace checks that SQLITE_FULL, a real one, and ENOSPC are a
// full disk, and that SQLITE_BUSY and text alone are not.
func TestDriver_NoSpace(t *testing.T) {
	var d sqlite.Driver
	full := testdb.SQLiteFull(t)
	for _, tc := range []struct {
		err     error
		noSpace bool
	}{
		{fmt.Errorf("commit batch: %w", full), true},
		{&fs.PathError{Op: "write", Path: "x.db-wal", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("insert: %w", testdb.SQLiteBusy(t)), false},
		{errors.New("database or disk is full (13)"), false},
	} {
		if got := d.NoSpace(tc.err); got != tc.noSpace {
			t.Errorf("NoSpace(%v) = %v, want %v", tc.err, got, tc.noSpace)
		}
	}
	if d.Transient(full) || d.Unavailable(full) {
		t.Errorf("SQLITE_FULL (%v) is also transient or unavailable", full)
	}
	var _ logstats.NoSpaceReporter = d
}
