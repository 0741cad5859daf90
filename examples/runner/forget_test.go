package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/runner"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_SourcesAndForget: -sources lists the loaded logs (a table, or
// with -json the summary's "sources"); -forget takes an id or a name,
// refuses a name that several sources have (listing them) and one none
// has; after it the database is a clean load of the rest, consistent, and
// the forgotten file loads again with other flags.
func TestRun_SourcesAndForget(t *testing.T) {
	dir := t.TempDir()
	a1 := testdb.WriteLogAs(t, filepath.Join(mkdir(t, dir, "one")), "logstats", 3000, 1)
	a2 := testdb.WriteLogAs(t, filepath.Join(mkdir(t, dir, "two")), "logstats", 2000, 2)
	b := testdb.WriteLogAs(t, filepath.Join(mkdir(t, dir, "three")), "logstats", 2500, 3)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ref := testdb.Open(t, db.Dialect)
		testdb.LoadFile(t, ref.DB, b)
		want := testdb.Snapshot(t, ref.DB)
		for _, f := range []string{a1, a2, b} {
			if _, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-progress", "off", f); err != nil {
				t.Fatalf("load %s: %v\n%s", f, err, stderr)
			}
		}
		stdout, _, err := runRunner(t, "", "-dsn", db.DSN, "-sources")
		if err != nil || !strings.HasPrefix(stdout, "ID ") || !strings.Contains(stdout, a1) || !strings.HasSuffix(stdout, "\n3 sources\n") {
			t.Fatalf("-sources: %q, %v", stdout, err)
		}
		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-sources", "-json")
		var sum runner.Summary
		if jerr := json.Unmarshal([]byte(stdout), &sum); err != nil || jerr != nil || len(sum.Sources) != 3 {
			t.Fatalf("-sources -json: %s (%v, %v)", stdout, err, jerr)
		}
		ids := map[string]int64{}
		for _, s := range sum.Sources {
			ids[s.Name] = s.ID
			if s.Format != "logstats" || s.Requests == 0 || s.FirstDay == nil || s.LastDay == nil {
				t.Fatalf("-sources -json: %+v", s)
			}
		}
		_, _, err = runRunner(t, "", "-dsn", db.DSN, "-forget", "big.log")
		if err == nil || !strings.Contains(err.Error(), "3 sources have that name") || !strings.Contains(err.Error(), strconv.FormatInt(ids[a2], 10)) {
			t.Fatalf("-forget of a name three sources have: %v, want the candidates", err)
		}
		if _, _, err = runRunner(t, "", "-dsn", db.DSN, "-forget", "nope.log"); err == nil || !strings.Contains(err.Error(), "no source has that id or name") {
			t.Fatalf("-forget nope.log: %v", err)
		}
		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-forget", a1)
		if err != nil || !strings.HasPrefix(stdout, "forgot "+a1+" (source "+strconv.FormatInt(ids[a1], 10)+"): 3,000 lines, ") {
			t.Fatalf("-forget %s: %q, %v", a1, stdout, err)
		}
		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-forget", strconv.FormatInt(ids[a2], 10), "-json")
		if jerr := json.Unmarshal([]byte(stdout), &sum); err != nil || jerr != nil || sum.Forgotten == nil || sum.Forgotten.Source != a2 || sum.Forgotten.Requests == 0 {
			t.Fatalf("-forget ID -json: %s (%v, %v)", stdout, err, jerr)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
		if stdout, _, err := runRunner(t, "", "-dsn", db.DSN, "-verify"); err != nil {
			t.Fatalf("-verify after -forget: %v\n%s", err, stdout)
		}
		if _, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-progress", "off", "-customer-default", "someone", a1); err != nil {
			t.Fatalf("reload with other flags after -forget: %v\n%s", err, stderr)
		}
	})
	for _, args := range [][]string{{"-forget", "x", "a.log"}, {"-sources", "-forget", "x"}, {"-sources", "-verify"}, {"-forget", "x", "-prune-before", "2024-10-02"}} {
		if _, _, err := runRunner(t, "", append([]string{"-dsn", "sqlite://" + t.TempDir() + "/x.db"}, args...)...); err == nil || !strings.Contains(err.Error(), "-sources and -forget") {
			t.Errorf("runner %q: %v, want a refusal naming -sources and -forget", args, err)
		}
	}
}

func mkdir(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKill9_Forget loads a 200,000-line log and a 50,000-line one of the
// same customers and days, then kills the runner forgetting the first with
// SIGKILL at eight random moments, spread over its requests: a last
// -forget finishes, Verify finds the database consistent, and it equals a
// clean load of the second log alone.
func TestKill9_Forget(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 250,000 lines and forgets 200,000 several times; skipped with -short")
	}
	const lines, kills = 200_000, 8
	bin := buildRunner(t)
	bigLog := testdb.WriteLogAs(t, mkdir(t, t.TempDir(), "a"), "logstats", lines, 99)
	otherLog := testdb.WriteLogAs(t, mkdir(t, t.TempDir(), "b"), "logstats", 50_000, 7)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		loadBoth := func(d *testdb.DB) int64 {
			for _, f := range []string{bigLog, otherLog} {
				if out, err := exec.Command(bin, "-dsn", d.DSN, "-progress", "off", f).CombinedOutput(); err != nil {
					t.Fatalf("load %s: %v\n%s", f, err, out)
				}
			}
			return testdb.SourceNamed(t, logstats.NewIngester(d.DB), bigLog).ID
		}
		// The references: a clean load of the other log, and one
		// uninterrupted -forget, timed to place the kills.
		ref := testdb.Open(t, db.Dialect)
		testdb.LoadFile(t, ref.DB, otherLog)
		want := testdb.Snapshot(t, ref.DB)
		timed := testdb.Open(t, db.Dialect)
		id := loadBoth(timed)
		start := time.Now()
		if out, err := exec.Command(bin, "-dsn", timed.DSN, "-forget", strconv.FormatInt(id, 10)).CombinedOutput(); err != nil {
			t.Fatalf("clean -forget: %v\n%s", err, out)
		}
		clean := time.Since(start)
		testdb.CheckSame(t, testdb.Snapshot(t, timed.DB), want)

		if loadBoth(db) != id {
			t.Fatal("the log has another id in another database")
		}
		var requests int64
		if err := db.DB.QueryRow(`SELECT committed_requests FROM logstats_sources WHERE source_id = ?`, id).Scan(&requests); err != nil {
			t.Fatal(err)
		}
		seed := killSeed()
		t.Logf("kill seed %d (set LOGSTATS_KILL_SEED to replay)", seed)
		rng := rand.New(rand.NewPCG(seed, seed))
		// Each run is killed once the forget has removed its point's
		// requests, at a random moment within one transaction's time
		// (of up to 5,000 requests), so the kills land all along it.
		span := requests * 85 / 100
		chunkTime := clean / time.Duration(max(requests/logstats.DefaultPruneChunk, 1))
		var removed []int64 // the requests removed when each run was killed
		prev := int64(-1)
		for i := range kills {
			point := span*int64(i)/kills + rng.Int64N(span/kills)
			cmd := exec.Command(bin, "-dsn", db.DSN, "-forget", strconv.FormatInt(id, 10))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			started := time.Now()
			for n := forgotten(t, db.DB, id); n <= prev || n < point; n = forgotten(t, db.DB, id) {
				if time.Since(started) > 2*time.Minute {
					cmd.Process.Kill()
					t.Fatalf("run %d did not remove %d requests in 2 minutes: %s", i+1, point, out.String())
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(chunkTime) + 1)))
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("run %d ended before the kill: %s", i+1, out.String())
			}
			prev = forgotten(t, db.DB, id)
			removed = append(removed, prev)
			// Meanwhile a load of the log is refused, and Verify says why.
			if out, err := exec.Command(bin, "-dsn", db.DSN, "-progress", "off", bigLog).CombinedOutput(); err == nil || !strings.Contains(string(out), "being forgotten") {
				t.Fatalf("load of the log half forgotten: %v\n%s", err, out)
			}
		}
		if prev >= requests {
			t.Fatalf("the killed runs forgot the whole source (removed %v of %d)", removed, requests)
		}
		out, err := exec.Command(bin, "-dsn", db.DSN, "-verify").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "being forgotten") || !strings.Contains(string(out), ": 1 discrepancies\n") {
			t.Fatalf("-verify of the source half forgotten: %v\n%s", err, out)
		}
		if out, err := exec.Command(bin, "-dsn", db.DSN, "-forget", bigLog).CombinedOutput(); err != nil {
			t.Fatalf("last -forget: %v\n%s", err, out)
		}
		if out, err := exec.Command(bin, "-dsn", db.DSN, "-verify").CombinedOutput(); err != nil {
			t.Errorf("runner -verify after the kills: %v\n%.3000s", err, out)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
		t.Logf("seed %d: forgot %d requests of %d lines (beside 50,000 kept), clean -forget %v, SIGKILL with %v removed; the database equals the clean load of the other log",
			seed, requests, lines, clean.Round(time.Millisecond), removed)
	})
}

// forgotten returns how many requests of source id Forget has removed
// (counted as pruned in its ledger row), or 1<<62 once its row is gone.
func forgotten(t *testing.T, db *sql.DB, id int64) int64 {
	t.Helper()
	var n int64
	err := db.QueryRow(`SELECT pruned_requests FROM logstats_sources WHERE source_id = ?`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 1 << 62
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}
