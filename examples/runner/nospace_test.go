package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestMain_DiskFull runs the runner's binary onto an SQLite database on a
// 1 MiB tmpfs that the load fills: it exits 1 with one line that says the
// disk is full, that what was committed stays and to free space and run it
// again; what it committed stays; once the tmpfs is remounted larger, a
// second run loads the rest and the database equals one clean load. Where
// mounting is not permitted it skips, saying so: the binary cannot be given
// the capped database that testdb.SmallDisk falls back to, and
// internal/runner's TestRun_NoSpace checks the same message without a disk.
func TestMain_DiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	disk := testdb.NewSmallDisk(t, true)
	if !disk.Tmpfs {
		t.Skip("no tmpfs to fill (see the log above); TestRun_NoSpace in internal/runner covers the runner's answer to a full disk")
	}
	file := filepath.Join(t.TempDir(), "big.log")
	text, err := os.ReadFile(writeLog(t, t.TempDir(), 20000, 15))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(testdb.Incompressible(string(text), 15)), 0o644); err != nil {
		t.Fatal(err)
	}
	size := fileSize(t, file)
	bin := buildRunner(t)
	db := disk.Open(t)

	// -log-level error: not the malformed lines' warnings, only the failure.
	cmd := exec.Command(bin, "-dsn", db.DSN, "-batch", "500", "-log-level", "error", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	want := "runner: " + file + ": the database's disk is full; what was committed stays: free space and run the load again to load the rest ("
	if code, lines := cmd.ProcessState.ExitCode(), strings.Split(strings.TrimSpace(stderr.String()), "\n"); code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Fatalf("run onto a full disk: exit %d, stderr %q; want exit 1 and one line %q...", code, stderr.String(), want)
	}
	t.Logf("%s", stderr.String())
	off := testdb.CommittedOffset(t, db.DB)
	if off == 0 || off >= size {
		t.Fatalf("committed %d of %d bytes before the disk filled; want some batches, not all", off, size)
	}

	disk.Grow(t)
	if out, err := exec.Command(bin, "-dsn", db.DSN, "-batch", "500", file).CombinedOutput(); err != nil {
		t.Fatalf("run after space was freed: %v\n%s", err, out)
	}
	ref := testdb.Open(t, logstats.DialectSQLite)
	testdb.LoadFile(t, ref.DB, file)
	testdb.CheckSame(t, testdb.Snapshot(t, db.DB), testdb.Snapshot(t, ref.DB))
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
