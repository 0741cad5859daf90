package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/runner"
	"github.com/logstats/logstats/internal/testdb"
)

// TestFollow_Kill9 writes a log at about 4,000 lines a second, rotating it
// every 0.3 to 1 s (rename and create, copytruncate, lines left without
// their newline across a rename, the rotated copies compressed a rotation
// later), while runner -follow follows access.log* and is killed with
// SIGKILL at eight random moments and started again. Once the writer stops,
// a last follower catches up and is stopped with SIGTERM (exit 0): the
// database must hold every line written, each once.
func TestFollow_Kill9(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and follows a log for several seconds; skipped with -short")
	}
	const kills = 8
	bin := buildRunner(t)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		seed := killSeed()
		t.Logf("seed %d (set LOGSTATS_KILL_SEED to replay)", seed)
		rng := rand.New(rand.NewPCG(seed, seed+1))
		dir := t.TempDir()
		w := testdb.NewRotatingLog(t, dir, "access.log")
		glob := filepath.Join(dir, "access.log*")
		start := func() (*exec.Cmd, *bytes.Buffer) {
			cmd := exec.Command(bin, "-dsn", db.DSN, "-batch", "2000", "-json", "-follow", glob)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			return cmd, &out
		}
		cmd, out := start()
		killAt := time.Now().Add(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		rotateAt := time.Now().Add(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		var rotations [2]int
		partials, killed := 0, 0
		for killed < kills {
			// 40 lines every 10 ms.
			w.Write(40)
			if rng.IntN(10) == 0 {
				w.WritePartial()
				partials++
			}
			time.Sleep(10 * time.Millisecond)
			if now := time.Now(); now.After(rotateAt) {
				how := testdb.Rotation(rng.IntN(2))
				if how == testdb.CopyTruncate {
					w.Write(1) // a copytruncate needs every line finished
				}
				w.Rotate(how)
				rotations[how]++
				rotateAt = now.Add(time.Duration(300+rng.IntN(700)) * time.Millisecond)
			}
			if now := time.Now(); now.After(killAt) {
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				if ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
					t.Fatalf("the follower ended before it was killed: %s", out)
				}
				killed++
				cmd, out = start()
				killAt = now.Add(time.Duration(300+rng.IntN(900)) * time.Millisecond)
			}
		}
		w.Write(1) // finish a partial line
		testdb.WaitSame(t, db.DB, w.Reference(t, db.Dialect), 60*time.Second, func() string { return out.String() })
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("the last follower, stopped with SIGTERM: %v\n%s", err, out)
		}
		var sum runner.Summary
		if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Follow == nil {
			t.Fatalf("the last follower's summary: %v\n%s", err, out)
		}
		if sum.Follow.Totals.LostBytes != 0 {
			t.Fatalf("the last follower counted %d bytes lost", sum.Follow.Totals.LostBytes)
		}
		t.Logf("seed %d: %d lines in %d generations (%d rename-and-create, %d copytruncate rotations, %d lines left without their newline for a while), %d kills; the database equals a load of every line written",
			seed, w.Lines(), len(w.Generations()), rotations[testdb.RenameCreate], rotations[testdb.CopyTruncate], partials, killed)
	})
}

// TestFollow_Memory follows a log that starts at 1,500,000 lines (about
// 72 MiB) and then grows by 20,000 lines a second for 10 s, renamed and
// created every 2 s, with batches of 10,000 lines: the follower's peak
// resident memory must stay within 64 MiB (SPEC §10's bound for the
// runner), below the first file's size: bounded by the batch, not the file
// (SQLite, whose page cache is in the process too).
func TestFollow_Memory(t *testing.T) {
	if testing.Short() {
		t.Skip("follows a 72 MiB log that grows for 10 s; skipped with -short")
	}
	const maxRSS = 64 << 20
	bin := buildRunner(t)
	db := testdb.Open(t, logstats.DialectSQLite)
	dir := t.TempDir()
	w := testdb.NewRotatingLog(t, dir, "access.log")
	w.Write(1_500_000)
	cmd := exec.Command(bin, "-dsn", db.DSN, "-batch", "10000", "-json", "-follow", filepath.Join(dir, "access.log*"))
	var out testdb.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		rss int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		rss, err := waitMeasuringRSS(cmd)
		done <- result{rss, err}
	}()
	start := time.Now()
	for i := 0; time.Since(start) < 10*time.Second; i++ {
		w.Write(200)
		if i%200 == 199 {
			w.Rotate(testdb.RenameCreate)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Exactness is TestFollow_Kill9's; here, every line in once.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n := testdb.RawRequests(t, db.DB)
		if n == int64(w.Lines()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests loaded, want %d\n%s", n, w.Lines(), out.String())
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	r := <-done
	if r.err != nil {
		t.Fatalf("the follower, stopped with SIGTERM: %v\n%s", r.err, out.String())
	}
	var size int64
	for _, g := range w.Generations() {
		size += int64(len(g))
	}
	if r.rss > maxRSS {
		t.Fatalf("peak RSS %d MiB, want at most %d MiB (%d lines, %d MiB in %d files)", r.rss>>20, maxRSS>>20, w.Lines(), size>>20, len(w.Generations()))
	}
	t.Logf("%d lines, %d MiB in %d files, followed for %s: peak RSS %d MiB (bound %d MiB)",
		w.Lines(), size>>20, len(w.Generations()), time.Since(start).Round(time.Second), r.rss>>20, maxRSS>>20)
}
