package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/logstats/logstats/internal/testdb"
)

func buildRunner(t *testing.T) string { return testdb.Build(t, "runner") }

func writeLog(t *testing.T, dir string, n int, seed uint64) string {
	return testdb.WriteLog(t, dir, n, seed)
}

// killSeed seeds the kill moments; set LOGSTATS_KILL_SEED to replay a run.
func killSeed() uint64 {
	if s, err := strconv.ParseUint(os.Getenv("LOGSTATS_KILL_SEED"), 10, 64); err == nil {
		return s
	}
	return uint64(time.Now().UnixNano())
}

// TestKill9 loads a 500,000-line log with the runner, kills it with SIGKILL
// at ten random moments, then lets a last run finish: the database must equal
// that of one uninterrupted load.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 500,000 lines several times; skipped with -short")
	}
	kill9(t, "logstats", 500_000, 10, false)
}

// TestKill9_Formats is TestKill9 on logs of other formats, detected by the
// runner (no -format): 200,000 lines, ten kills each.
func TestKill9_Formats(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 200,000 lines several times per format; skipped with -short")
	}
	for _, format := range []string{"nginx", "jsonl"} {
		t.Run(format, func(t *testing.T) { kill9(t, format, 200_000, 10, false) })
	}
}

// TestKill9_SameFirstLine is TestKill9 on a 200,000-line log that starts
// with the first line of a small log loaded before it (a client polling one
// endpoint writes the same line in both), with five kills: the killed log is
// a source of its own, and each run goes on with it.
func TestKill9_SameFirstLine(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 200,000 lines several times; skipped with -short")
	}
	kill9(t, "logstats", 200_000, 5, true)
}

// kill9 writes a log of lines lines in format, kills the runner loading it
// kills times, then checks that a last run leaves the database a clean
// load leaves. With sameFirst, a small log that starts with the same line
// is loaded first, in both databases.
func kill9(t *testing.T, format string, lines, kills int, sameFirst bool) {
	bin := buildRunner(t)
	dir := t.TempDir()
	logPath := testdb.WriteLogAs(t, dir, format, lines, 99)
	var before []string // the runner's arguments that load the small log
	if sameFirst {
		b, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		small := testdb.WriteLogAs(t, t.TempDir(), format, 5, 7)
		other, err := os.ReadFile(small)
		if err != nil {
			t.Fatal(err)
		}
		first := filepath.Join(dir, "first.log")
		if err := os.WriteFile(first, append(b[:bytes.IndexByte(b, '\n')+1], other...), 0o644); err != nil {
			t.Fatal(err)
		}
		before = []string{"-progress", "off", first}
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		// The reference: one uninterrupted run, timed to place the kills.
		ref := testdb.Open(t, db.Dialect)
		if before != nil {
			for _, d := range []*testdb.DB{ref, db} {
				if out, err := exec.Command(bin, append([]string{"-dsn", d.DSN}, before...)...).CombinedOutput(); err != nil {
					t.Fatalf("load of the log with the same first line: %v\n%s", err, out)
				}
			}
		}
		start := time.Now()
		if out, err := exec.Command(bin, "-dsn", ref.DSN, "-progress", "off", logPath).CombinedOutput(); err != nil {
			t.Fatalf("clean run: %v\n%s", err, out)
		}
		clean := time.Since(start)
		want := testdb.Snapshot(t, ref.DB)

		seed := killSeed()
		t.Logf("kill seed %d (set LOGSTATS_KILL_SEED to replay)", seed)
		rng := rand.New(rand.NewPCG(seed, seed))
		// The kill points spread over the whole log: each run is killed once
		// the load has committed past its point, at a random moment within
		// the next batch's time (batches of 5,000 lines), so the kills
		// land all along the load, whatever the machine's speed.
		fi, _ := os.Stat(logPath)
		points := make([]int64, kills)
		span := fi.Size() * 85 / 100 // the last 15% are left for the last run's batches
		for i := range points {
			points[i] = span*int64(i)/int64(kills) + rng.Int64N(span/int64(kills))
		}
		const batch = 5000
		batchTime := clean / time.Duration(lines/batch)
		var moments []time.Duration
		var offsets []int64 // the committed offset after each kill
		prev := int64(-1)
		for _, point := range points {
			cmd := exec.Command(bin, "-dsn", db.DSN, "-progress", "off", "-batch", strconv.Itoa(batch), logPath)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			started := time.Now()
			for off := committedOffset(t, db); off <= prev || off < point; off = committedOffset(t, db) {
				if time.Since(started) > 2*time.Minute {
					cmd.Process.Kill()
					t.Fatalf("run %d did not reach offset %d in 2 minutes: %s", len(moments)+1, point, out.String())
				}
				time.Sleep(2 * time.Millisecond)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(batchTime))))
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("run %d ended before the kill: %s", len(moments)+1, out.String())
			}
			moments = append(moments, time.Since(started))
			prev = committedOffset(t, db)
			offsets = append(offsets, prev)
		}
		if prev >= fi.Size() {
			t.Fatalf("the killed runs loaded the whole log (offsets %v)", offsets)
		}
		if out, err := exec.Command(bin, "-dsn", db.DSN, "-progress", "off", logPath).CombinedOutput(); err != nil {
			t.Fatalf("last run: %v\n%s", err, out)
		}
		// What a user runs after a crash.
		if out, err := exec.Command(bin, "-dsn", db.DSN, "-verify").CombinedOutput(); err != nil {
			t.Errorf("runner -verify after the kills: %v\n%.3000s", err, out)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
		t.Logf("seed %d: %d %s lines, clean load %v, SIGKILL %v after each run's start, committed offsets then %v of %d; the database equals the clean load's",
			seed, lines, format, clean.Round(time.Millisecond), roundAll(moments), offsets, fi.Size())
	})
}

func committedOffset(t *testing.T, db *testdb.DB) int64 { return testdb.CommittedOffset(t, db.DB) }

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
