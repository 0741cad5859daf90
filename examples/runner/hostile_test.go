package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats/internal/testdb"
)

// TestHostileFiles loads a binary file, a file of one 100 MB line and a file
// of nothing but malformed lines with the runner: each must end with a
// summary and the first malformed lines, exit 0, and keep the process's peak
// memory bounded.
func TestHostileFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 130 MB of files; skipped with -short")
	}
	const maxRSS = 64 << 20
	bin := buildRunner(t)
	dir := t.TempDir()
	write := func(name string, fill func(w *bufio.Writer)) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}
	rng := rand.New(rand.NewPCG(5, 5))
	files := []struct {
		name, path string
		wantLines  string
		wantError  *regexp.Regexp
		loads      bool // a valid line first: the whole file is read, and the run succeeds
	}{
		{"binary", write("binary.bin", func(w *bufio.Writer) {
			for range 20 << 20 {
				w.WriteByte(byte(rng.Uint32()))
			}
		}), "", regexp.MustCompile(`line=\d+ reason=`), false},
		{"one 100 MB line", write("long.log", func(w *bufio.Writer) {
			chunk := strings.Repeat("x", 1<<20)
			for range 100 {
				w.WriteString(chunk)
			}
			w.WriteString("\n")
		}), "1", regexp.MustCompile(`line=1 reason="line is 104857600 bytes long, more than the limit of 65536`), false},
		{"only malformed", write("bad.log", func(w *bufio.Writer) {
			for i := range 200_000 {
				w.WriteString([]string{"garbage\n", "2024-10-01 10:00:00 c /a 999 0.1\n", "2024-02-30 10:00:00 c /a 200 0.1\n", "\t\n"}[i%4])
			}
		}), "1000", regexp.MustCompile(`line=1 reason="expected 6 fields`), false},
		{"one valid line, then only malformed", write("mostly-bad.log", func(w *bufio.Writer) {
			w.WriteString("2024-10-01 10:00:00 c /a 200 0.1\n")
			for i := range 200_000 {
				w.WriteString([]string{"garbage\n", "2024-10-01 10:00:00 c /a 999 0.1\n", "2024-02-30 10:00:00 c /a 200 0.1\n", "\t\n"}[i%4])
			}
		}), "200001", regexp.MustCompile(`line=2 reason="expected 6 fields`), true},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
			// The logstats format's hostile cases: what auto-detection does
			// with a log that fits no format is tested elsewhere.
			cmd := exec.Command(bin, "-dsn", dsn, "-progress", "off", "-complete", "-format", "logstats", f.path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			// None of the files has a valid line: each load fails, naming
			// the format, after reading at most 1,000 lines or 1 MiB.
			rss, err := runMeasuringRSS(cmd)
			if f.loads && err != nil {
				t.Fatalf("runner: %v\n%.2000s", err, stderr.String())
			}
			if !f.loads && (err == nil || !strings.Contains(stderr.String(), "log not in the format it was read in")) {
				t.Fatalf("runner: %v, want a wrong-format failure\n%.2000s", err, stderr.String())
			}
			m := summaryLine.FindStringSubmatch(strings.TrimSpace(stdout.String()))
			if wantInserted := map[bool]string{true: "1", false: "0"}[f.loads]; m == nil || m[3] != wantInserted || (f.wantLines != "" && m[2] != f.wantLines) {
				t.Fatalf("summary %q: want no request inserted and %s lines", stdout.String(), f.wantLines)
			}
			if !f.wantError.MatchString(stderr.String()) || !malformedRecord.MatchString(stderr.String()) {
				t.Fatalf("stderr does not list the malformed lines:\n%.2000s", stderr.String())
			}
			if rss > maxRSS {
				t.Fatalf("peak RSS %d MiB, want at most %d MiB", rss>>20, maxRSS>>20)
			}
			fi, _ := os.Stat(f.path)
			t.Logf("%s (%d MB): %s; peak RSS %d MiB", f.name, fi.Size()>>20, strings.TrimSpace(stdout.String()), rss>>20)
		})
	}
}

// runMeasuringRSS runs cmd and returns its peak resident memory.
func runMeasuringRSS(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	return waitMeasuringRSS(cmd)
}

// waitMeasuringRSS waits for cmd, started, and returns its peak resident
// memory, sampled from /proc/PID/status (VmHWM) until it exits. The child's
// rusage would not do: Linux carries the forking test process's own peak
// across exec.
func waitMeasuringRSS(cmd *exec.Cmd) (int64, error) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	for {
		if hwm, err := testdb.ProcMemory(cmd.Process.Pid, "VmHWM"); err == nil {
			peak = max(peak, hwm)
		}
		select {
		case err := <-done:
			if peak == 0 {
				return 0, fmt.Errorf("no memory figure read from /proc/%d/status", cmd.Process.Pid)
			}
			return peak, err
		case <-time.After(2 * time.Millisecond):
		}
	}
}
