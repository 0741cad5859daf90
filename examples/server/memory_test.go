package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestMemory_Upload is the runner's TestMemory_DistinctCustomers for the
// server: the same log, a customer a line, sent as the body of POST /load,
// may make its resident memory grow by at most 64 MiB (SPEC §17). It grew
// by 564 MiB when loads kept every (customer, day) they wrote until their
// end.
func TestMemory_Upload(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 3,000,000 lines (150 MB); skipped with -short")
	}
	const lines, maxGrowth = 3_000_000, 64 << 20
	bin := buildServer(t)
	path := testdb.WriteDistinctLog(t, t.TempDir(), lines)
	db := testdb.Open(t, logstats.DialectSQLite)
	// The server's -memory-limit (40 MiB by default) keeps the heap near
	// what a load holds: without a soft limit it grows to twice that.
	srv := startServerProcess(t, bin, "-dsn", db.DSN)
	pid := srv.cmd.Process.Pid
	for range 3 { // the routes' first answers allocate what they keep
		getText(t, srv.base+"/health/")
	}
	before, err := testdb.ProcMemory(pid, "VmRSS")
	if err != nil {
		t.Fatal(err)
	}
	// Make the peak that VmHWM reports the upload's, not the start's
	// (Linux's clear_refs; if refused, the peak since the start).
	os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	resp, err := http.Post(srv.base+"/load?source=distinct.log", "text/plain", f)
	if err != nil {
		t.Fatalf("POST /load: %v\n%s", err, srv.stderr)
	}
	var res logstats.LoadResult
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil || resp.StatusCode != 200 || res.Inserted != lines {
		t.Fatalf("POST /load: %d, %+v, %v\n%s", resp.StatusCode, res, err, srv.stderr)
	}
	peak, err := testdb.ProcMemory(pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	if growth := peak - before; growth > maxGrowth {
		t.Fatalf("resident memory grew by %d MiB (from %d to %d MiB), want at most %d MiB", growth>>20, before>>20, peak>>20, maxGrowth>>20)
	}
	t.Logf("%d lines of as many customers uploaded and loaded in %s (%.0f lines/s): resident memory from %d MiB to a peak of %d MiB, %d MiB more (bound %d MiB)",
		lines, elapsed.Round(time.Second), lines/elapsed.Seconds(), before>>20, peak>>20, (peak-before)>>20, maxGrowth>>20)
}
