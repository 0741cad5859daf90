package testdb

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
)

// A RotatingLog writes a log file and rotates it as logrotate does, keeping
// every generation's lines (the file's content from one rotation to the
// next), so that a test can load them into a reference database. Its lines
// are in the logstats format and unique, unless repeated (Repeat): each
// generation starts with a line no other has.
type RotatingLog struct {
	tb   testing.TB
	Dir  string
	Name string // the live file's name, such as access.log
	gens []*bytes.Buffer
	next int // lines written, which numbers the next one
	// held is the first part of a line written without its newline, in
	// the file heldIn (Name, or Name.1 once renamed) of generation heldGen.
	held    string
	heldIn  string
	heldGen int
	// rotated is how many rotated files there are: Name.1, Name.2.gz, ...
	rotated int
}

// NewRotatingLog creates dir/name, empty.
func NewRotatingLog(tb testing.TB, dir, name string) *RotatingLog {
	tb.Helper()
	w := &RotatingLog{tb: tb, Dir: dir, Name: name, gens: []*bytes.Buffer{{}}}
	w.appendFile(name, "")
	return w
}

// Skip numbers the lines from n on, so that two RotatingLogs write
// different lines (call it before the first Write).
func (w *RotatingLog) Skip(n int) { w.next += n }

// Path is the live file's path.
func (w *RotatingLog) Path() string { return filepath.Join(w.Dir, w.Name) }

// Line returns the text of line number i, with its newline.
func (w *RotatingLog) Line(i int) string {
	day := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i%(3*86400)) * time.Second)
	status := []int{200, 200, 200, 201, 404, 500}[i%6]
	return fmt.Sprintf("%s cust_%d /r/%d %d %d.%06d\n", day.Format("2006-01-02 15:04:05"), i%7, i, status, i%3, (i*7919)%1000000)
}

// Write appends n lines to the live file. A line left without its newline
// by WritePartial is finished first.
func (w *RotatingLog) Write(n int) {
	if w.held != "" {
		w.writeTo(w.heldIn, w.heldGen, w.Line(w.next)[len(w.held):])
		w.held = ""
		w.next++
	}
	var b strings.Builder
	for range n {
		b.WriteString(w.Line(w.next))
		w.next++
	}
	w.appendFile(w.Name, b.String())
}

// Repeat appends line number i again to the live file, as a client polling
// one endpoint repeats a line: a generation that starts with it starts with
// another generation's line.
func (w *RotatingLog) Repeat(i int) {
	if w.held != "" {
		w.tb.Fatal("RotatingLog: Repeat needs every line finished")
	}
	w.appendFile(w.Name, w.Line(i))
}

// WritePartial writes the first half of the next line, without its newline.
func (w *RotatingLog) WritePartial() {
	if w.held != "" {
		return
	}
	line := w.Line(w.next)
	w.held, w.heldIn, w.heldGen = line[:len(line)/2], w.Name, len(w.gens)-1
	w.appendFile(w.Name, w.held)
}

func (w *RotatingLog) appendFile(name, s string) {
	w.tb.Helper()
	w.writeTo(name, len(w.gens)-1, s)
}

// writeTo appends s to the file name, of generation gen.
func (w *RotatingLog) writeTo(name string, gen int, s string) {
	w.tb.Helper()
	f, err := os.OpenFile(filepath.Join(w.Dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		w.tb.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		w.tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		w.tb.Fatal(err)
	}
	w.gens[gen].WriteString(s)
}

// Rotation is how RotatingLog.Rotate rotates.
type Rotation int

const (
	// RenameCreate renames the live file to Name.1 and creates a new one
	// (logrotate's default).
	RenameCreate Rotation = iota
	// CopyTruncate copies the live file to Name.1 and truncates it.
	CopyTruncate
)

// Rotate shifts the rotated files (Name.1 to Name.2.gz, compressed then, as
// with delaycompress; Name.2.gz to Name.3.gz, ...), then rotates the live
// file to Name.1. With RenameCreate, a line left without its newline is
// finished in Name.1 by the next Write, as by a writer that still has the
// renamed file open; the other rotations need every line finished.
func (w *RotatingLog) Rotate(how Rotation) {
	w.tb.Helper()
	w.rotate(how, nil)
}

// RotateCopyTruncate rotates as Rotate(CopyTruncate) does, and calls
// between once the live file is read for the copy, before the copy is
// written and the live file truncated: the lines it writes are in the live
// file only, where a follower must read them before they are truncated
// away.
func (w *RotatingLog) RotateCopyTruncate(between func()) {
	w.tb.Helper()
	w.rotate(CopyTruncate, between)
}

func (w *RotatingLog) rotate(how Rotation, between func()) {
	w.tb.Helper()
	if w.held != "" && (how != RenameCreate || w.heldIn != w.Name) {
		w.tb.Fatal("RotatingLog: this rotation needs every line finished")
	}
	if w.held != "" {
		w.heldIn = w.rotatedName(1)
	}
	for i := w.rotated; i >= 1; i-- {
		from, to := w.rotatedName(i), w.rotatedName(i+1)
		if i == 1 {
			w.compress(from, to)
		} else if err := os.Rename(filepath.Join(w.Dir, from), filepath.Join(w.Dir, to)); err != nil {
			w.tb.Fatal(err)
		}
	}
	w.rotated++
	live, first := w.Path(), filepath.Join(w.Dir, w.rotatedName(1))
	switch how {
	case RenameCreate:
		if err := os.Rename(live, first); err != nil {
			w.tb.Fatal(err)
		}
		if err := os.WriteFile(live, nil, 0o644); err != nil {
			w.tb.Fatal(err)
		}
	case CopyTruncate:
		b, err := os.ReadFile(live)
		if err != nil {
			w.tb.Fatal(err)
		}
		if between != nil {
			between()
		}
		if err := os.WriteFile(first, b, 0o644); err != nil {
			w.tb.Fatal(err)
		}
		if err := os.Truncate(live, 0); err != nil {
			w.tb.Fatal(err)
		}
	}
	w.gens = append(w.gens, &bytes.Buffer{})
}

// rotatedName is the name of rotated file i: Name.1, then Name.i.gz.
func (w *RotatingLog) rotatedName(i int) string {
	if i == 1 {
		return w.Name + ".1"
	}
	return fmt.Sprintf("%s.%d.gz", w.Name, i)
}

// compress gzips the file from into to and removes from.
func (w *RotatingLog) compress(from, to string) {
	w.tb.Helper()
	b, err := os.ReadFile(filepath.Join(w.Dir, from))
	if err != nil {
		w.tb.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b)
	zw.Close()
	tmp := filepath.Join(w.Dir, "."+to+".tmp")
	if err := os.WriteFile(tmp, z.Bytes(), 0o644); err != nil {
		w.tb.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(w.Dir, to)); err != nil {
		w.tb.Fatal(err)
	}
	if err := os.Remove(filepath.Join(w.Dir, from)); err != nil {
		w.tb.Fatal(err)
	}
}

// Generations returns the content of each generation, oldest first; the
// last is the live file's.
func (w *RotatingLog) Generations() []string {
	out := make([]string, len(w.gens))
	for i, g := range w.gens {
		out[i] = g.String()
	}
	return out
}

// Lines is how many whole lines were written.
func (w *RotatingLog) Lines() int { return w.next }

// Reference loads each generation of w, whole, into a fresh database of
// dialect d and returns its State: what following w must leave.
func (w *RotatingLog) Reference(tb testing.TB, d logstats.Dialect) State {
	tb.Helper()
	ref := Open(tb, d)
	ing := logstats.NewIngester(ref.DB)
	ing.Dialect = d
	for i, g := range w.Generations() {
		if g == "" {
			continue
		}
		if _, err := ing.Load(context.Background(), fmt.Sprintf("generation %d", i), strings.NewReader(g), logstats.LoadOptions{Growing: true}); err != nil {
			tb.Fatalf("reference load of generation %d: %v", i, err)
		}
	}
	return Snapshot(tb, ref.DB)
}

// WaitSame waits until db holds want, for up to timeout, and then fails the
// test with the difference; status, when set, is logged with it.
func WaitSame(tb testing.TB, db *sql.DB, want State, timeout time.Duration, status func() string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := Snapshot(tb, db)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			if status != nil {
				tb.Log(status())
			}
			CheckSame(tb, got, want)
			tb.FailNow()
		}
		time.Sleep(20 * time.Millisecond)
	}
}
