package follow_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/follow"
	"github.com/logstats/logstats/internal/testdb"
)

// startFollower runs a Follower of globs on db until the test ends; set, when
// not nil, changes its settings first.
func startFollower(t *testing.T, db *testdb.DB, set func(*follow.Follower), globs ...string) *follow.Follower {
	t.Helper()
	ing := logstats.NewIngester(db.DB)
	ing.Dialect = db.Dialect
	ing.BatchLines = 500
	f := &follow.Follower{Ingester: ing, Globs: globs, Interval: 50 * time.Millisecond, MinRound: 10 * time.Millisecond}
	if os.Getenv("LOGSTATS_TEST_FOLLOW_LOG") != "" {
		f.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if set != nil {
		set(f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := f.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return f
}

// waitSame waits until db holds what following w must leave.
func waitSame(t *testing.T, f *follow.Follower, db *testdb.DB, w *testdb.RotatingLog, what string) {
	t.Helper()
	testdb.WaitSame(t, db.DB, w.Reference(t, db.Dialect), 20*time.Second, func() string {
		files, total := f.Status()
		return fmt.Sprintf("%s: follower status %+v, totals %+v", what, files, total)
	})
}

// TestFollow_Rotations follows access.log* while it grows, with lines
// still being written at each check, through every rotation logrotate
// makes (rename and create, copytruncate, delayed compression of the
// copies): after each step the database equals a load of every line
// written, each once.
func TestFollow_Rotations(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		dir := t.TempDir()
		w := testdb.NewRotatingLog(t, dir, "access.log")
		w.Write(300)
		f := startFollower(t, db, nil, filepath.Join(dir, "access.log*"))
		steps := []struct {
			name string
			do   func()
		}{
			{"grown", func() { w.Write(200) }},
			{"partial line", func() { w.Write(50); w.WritePartial() }},
			{"partial line finished", func() { w.Write(10) }},
			{"rename and create", func() { w.Write(5); w.Rotate(testdb.RenameCreate); w.Write(100) }},
			{"rename with a partial line finished after", func() { w.WritePartial(); w.Rotate(testdb.RenameCreate); w.Write(40) }},
			{"copytruncate", func() { w.Write(70); w.Rotate(testdb.CopyTruncate); w.Write(30) }},
			{"copytruncate of unread lines", func() { w.Write(90); w.Rotate(testdb.CopyTruncate) }},
			{"grown after", func() { w.Write(25) }},
			{"copytruncate with lines loaded between the copy and the truncation", func() {
				w.Write(40)
				w.RotateCopyTruncate(func() {
					w.Write(20)
					waitSame(t, f, db, w, "lines written after the copy")
				})
				w.Write(10)
			}},
			{"three rotations at once", func() {
				w.Rotate(testdb.RenameCreate)
				w.Write(10)
				w.Rotate(testdb.CopyTruncate)
				w.Write(10)
				w.Rotate(testdb.RenameCreate)
				w.Write(10)
			}},
		}
		waitSame(t, f, db, w, "start")
		for _, s := range steps {
			s.do()
			waitSame(t, f, db, w, s.name)
		}
		files, total := f.Status()
		if total.LostBytes != 0 || total.Inserted == 0 {
			t.Fatalf("totals %+v, want requests and nothing lost", total)
		}
		copies := 0
		for _, s := range files {
			if s.Error != "" {
				t.Fatalf("file %s: %s", s.Path, s.Error)
			}
			if s.CopyOf != "" {
				copies++
				if s.LagBytes != 0 || s.Committed != s.Size {
					t.Errorf("file %s, a copy: %+v, want nothing waiting", s.Path, s)
				}
			}
		}
		if copies == 0 {
			t.Errorf("no file shown as a copy (of the copytruncate with lines between): %+v", files)
		}
		t.Logf("%d lines over %d generations; totals %+v", w.Lines(), len(w.Generations()), total)
	})
}

// TestFollow_Lost: a copytruncate whose copy the globs do not match loses
// what the Follower had not committed (here a line still without its
// newline), and the Follower counts its bytes.
func TestFollow_Lost(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	dir := t.TempDir()
	w := testdb.NewRotatingLog(t, dir, "access.log")
	w.Write(100)
	w.WritePartial()
	f := startFollower(t, db, func(f *follow.Follower) { f.LossGrace = 100 * time.Millisecond }, filepath.Join(dir, "access.log"))
	waitSame(t, f, db, w, "start")
	partial := int64(len(w.Line(100)) / 2)
	waitFor(t, "the partial line seen", func() bool {
		files, _ := f.Status()
		return len(files) == 1 && files[0].LagBytes == partial
	})
	b, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "elsewhere.1"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(w.Path(), 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the loss counted", func() bool {
		_, total := f.Status()
		return total.LostBytes == partial
	})
}

// TestFollow_ShorterFiles: a file shorter than what is loaded of its source
// is a rotated copy only when it holds the bytes the Follower loaded: an
// edited copy, and the followed file cut short in place, stay errors; a
// true copy is shown as one.
func TestFollow_ShorterFiles(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	dir := t.TempDir()
	w := testdb.NewRotatingLog(t, dir, "access.log")
	f := startFollower(t, db, nil, filepath.Join(dir, "access.log*"))
	w.Write(50)
	waitSame(t, f, db, w, "50 lines")
	w.Write(50)
	waitSame(t, f, db, w, "100 lines")
	lines := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(w.Line(i))
		}
		return b.String()
	}
	status := func(name string) (follow.FileStatus, bool) {
		files, _ := f.Status()
		for _, s := range files {
			if filepath.Base(s.Path) == name {
				return s, true
			}
		}
		return follow.FileStatus{}, false
	}
	edited := strings.Replace(lines(60), w.Line(30), strings.Replace(w.Line(30), "/r/30 ", "/r/3x ", 1), 1)
	if err := os.WriteFile(filepath.Join(dir, "access.log.1"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edited copy refused", func() bool {
		// Its line 30 tells it from the source: it is refused as that log
		// edited (most of its lines are loaded already).
		s, ok := status("access.log.1")
		return ok && strings.Contains(s.Error, "loaded already") && s.CopyOf == "" && s.RefusedBytes == s.Size
	})
	if err := os.Truncate(w.Path(), int64(len(lines(70)))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file cut short in place refused", func() bool {
		s, ok := status("access.log")
		return ok && strings.Contains(s.Error, "shorter") && s.CopyOf == ""
	})
	if err := os.WriteFile(filepath.Join(dir, "access.log.2"), []byte(lines(80)), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the true copy shown as one", func() bool {
		s, ok := status("access.log.2")
		return ok && s.Error == "" && s.CopyOf == w.Path() && s.Committed == s.Size
	})
	if _, total := f.Status(); total.Inserted != 100 {
		t.Fatalf("totals %+v, want the 100 lines once", total)
	}
}

// TestFollow_CopyOfShortStart: a copytruncate copy shorter than the ledger
// of a log first loaded while it was a single line (so with a short head)
// is recognised as a copy, and loaded once only.
func TestFollow_CopyOfShortStart(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	dir := t.TempDir()
	w := testdb.NewRotatingLog(t, dir, "access.log")
	var logs testdb.SyncBuffer
	f := startFollower(t, db, func(f *follow.Follower) {
		f.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}, filepath.Join(dir, "access.log*"))
	for _, n := range []int{1, 50, 40} {
		w.Write(n)
		waitSame(t, f, db, w, fmt.Sprintf("%d lines more", n))
	}
	w.RotateCopyTruncate(func() {
		w.Write(20)
		waitSame(t, f, db, w, "lines written after the copy")
	})
	w.Write(5)
	waitSame(t, f, db, w, "after the rotation")
	waitFor(t, "the copy shown as one", func() bool {
		files, _ := f.Status()
		for _, s := range files {
			if filepath.Base(s.Path) == "access.log.1" {
				return s.Error == "" && s.CopyOf != ""
			}
		}
		return false
	})
	time.Sleep(200 * time.Millisecond) // rounds every 50 ms
	if n := strings.Count(logs.String(), "a rotated copy of lines already loaded"); n != 1 {
		t.Fatalf("the copy was recognised %d times, want once (not reloaded each round):\n%s", n, logs.String())
	}
}

// waitFor waits until cond holds, or fails after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// TestFollow_TwoFiles: two logs growing a few lines at a time, each round
// resumed from its checkpoint; neither is ever taken for rewritten (which
// would reload it whole) because of the other's bytes.
func TestFollow_TwoFiles(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	dir := t.TempDir()
	a, b := testdb.NewRotatingLog(t, dir, "a.log"), testdb.NewRotatingLog(t, dir, "b.log")
	b.Skip(1_000_000)
	a.Write(2000)
	b.Write(2000)
	var logs testdb.SyncBuffer
	f := startFollower(t, db, func(f *follow.Follower) {
		f.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}, filepath.Join(dir, "*.log"))
	for i := range 20 {
		a.Write(1 + i%3)
		b.Write(2)
		time.Sleep(30 * time.Millisecond)
	}
	want := func(w *testdb.RotatingLog) int64 { return int64(w.Lines()) }
	waitFor(t, "both logs loaded", func() bool {
		_, total := f.Status()
		return total.Inserted == want(a)+want(b)-1_000_000
	})
	if n := strings.Count(logs.String(), "truncated"); n > 0 {
		t.Fatalf("%d rounds took a growing file for a rewritten one:\n%s", n, logs.String())
	}
}

// TestFollow_SameFirstLine follows a log renamed and created twice, each
// new log starting with the first line of the one before (a client polling
// one endpoint), the first time seen by a round while it held only that
// line: each loads all its lines once, nothing is refused or lost.
func TestFollow_SameFirstLine(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		w := testdb.NewRotatingLog(t, t.TempDir(), "access.log")
		w.Write(300)
		f := startFollower(t, db, nil, w.Path()+"*")
		waitSame(t, f, db, w, "start")
		w.Rotate(testdb.RenameCreate)
		w.Repeat(0)
		size := int64(len(w.Line(0)))
		waitFor(t, "a round that saw the shared line alone", func() bool {
			files, _ := f.Status()
			for _, s := range files {
				if s.Path == w.Path() && s.Size == size && s.Committed == 0 {
					return true
				}
			}
			return false
		})
		w.Write(200)
		waitSame(t, f, db, w, "the second log")
		w.Rotate(testdb.RenameCreate)
		w.Repeat(300)
		w.Write(150)
		waitSame(t, f, db, w, "the third log")
		files, total := f.Status()
		for _, s := range files {
			if s.Error != "" || s.RefusedBytes != 0 {
				t.Fatalf("file %s: %+v", s.Path, s)
			}
		}
		if total.LostBytes != 0 || total.RefusedBytes != 0 || total.Lines != int64(w.Lines()+2) {
			t.Fatalf("totals %+v, want %d lines, nothing lost or refused", total, w.Lines()+2)
		}
	})
}

// TestFollow_Refused: a followed file whose load is refused (here, in no
// known format) counts its bytes as refused in its status and the totals,
// until it is no longer followed, and then still in the totals.
func TestFollow_Refused(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	dir := t.TempDir()
	text := strings.Repeat("not a log line at all\n", 20)
	bad := filepath.Join(dir, "bad.log")
	if err := os.WriteFile(bad, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	f := startFollower(t, db, nil, filepath.Join(dir, "*.log"))
	want := int64(len(text))
	waitFor(t, "the file refused", func() bool {
		files, total := f.Status()
		return len(files) == 1 && files[0].Error != "" && files[0].RefusedBytes == want &&
			total.RefusedBytes == want && total.RefusedFiles == 1
	})
	if err := os.Rename(bad, bad+".old"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file no longer followed, its bytes still refused", func() bool {
		files, total := f.Status()
		return len(files) == 0 && total.RefusedBytes == want && total.RefusedFiles == 0
	})
}
