package runner

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/sqlite"
)

func TestExpandArgs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.log", "b.log", "c.txt", "d[1].log"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		args    []string
		want    []string
		wantErr string
	}{
		{[]string{p("*.log")}, []string{p("a.log"), p("b.log"), p("d[1].log")}, ""},
		{[]string{p("b.log"), p("*.log")}, []string{p("b.log"), p("a.log"), p("d[1].log")}, ""}, // order kept, repeats dropped
		{[]string{p("d[1].log")}, []string{p("d[1].log")}, ""},                                  // an existing name is not a pattern
		{[]string{"-", "-"}, []string{"-", "-"}, ""},                                            // stdin may repeat
		{[]string{p("missing.log")}, []string{p("missing.log")}, ""},                            // OpenInput reports it
		{[]string{p("*.gz")}, nil, "matches no file"},
		{[]string{p("[")}, nil, "bad pattern"},
	} {
		got, err := ExpandArgs(tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ExpandArgs(%q) error %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ExpandArgs(%q) = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}

func TestOpenInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenInput(filepath.Join(dir, "nope.log"), nil); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := OpenInput(dir, nil); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	f := filepath.Join(dir, "a.log")
	os.WriteFile(f, []byte("12345"), 0o644)
	in, err := OpenInput(f, nil)
	if err != nil || in.Size != 5 || in.Complete {
		t.Fatalf("file: %+v, %v", in, err)
	}
	io.Copy(io.Discard, in)
	in.Close()
	if in.read.Load() != 5 {
		t.Errorf("counted %d bytes read, want 5", in.read.Load())
	}
	in, err = OpenInput("-", strings.NewReader("x"))
	if err != nil || in.Name != "stdin" || !in.Complete || in.Size != 0 {
		t.Fatalf("stdin: %+v, %v", in, err)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestRun loads two files into SQLite and checks the text summary and, on
// a second run, the JSON one: the load result's shape with the file's name.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	os.WriteFile(a, []byte("2024-10-01 10:00:00 c1 /x 200 0.1\n2024-10-01 10:00:01 c1 /x 500 0.2\n"), 0o644)
	os.WriteFile(b, []byte("2024-10-02 10:00:00 c2 /y 200 0.1\nbad line\n"), 0o644)
	path := filepath.Join(dir, "x.db")
	env := func(stdout *bytes.Buffer) Env {
		return Env{
			Stdout: stdout, Stderr: io.Discard,
			Logger: func() (*slog.Logger, error) { return slog.New(slog.DiscardHandler), nil },
			OpenDB: func(ctx context.Context) (*sql.DB, error) {
				db, err := sqlite.Open(path)
				if err == nil {
					err = logstats.Migrate(ctx, db)
				}
				return db, err
			},
		}
	}
	cfg := Config{Args: []string{filepath.Join(dir, "*.log")}, Batch: 100, Progress: "off", Complete: true}
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, env(&out)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "total: 2 files, 4 lines, 3 inserted, 0 already loaded, 1 malformed") {
		t.Fatalf("text summary:\n%s", out.String())
	}
	cfg.JSON = true
	out.Reset()
	if err := Run(context.Background(), cfg, env(&out)); err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	files := sum["files"].([]any)
	second := files[1].(map[string]any)
	for key, want := range map[string]any{"file": b, "source": b, "lines": 2.0, "inserted": 0.0, "skipped_already_loaded": 2.0} {
		if second[key] != want {
			t.Errorf("files[1].%s = %v, want %v (%s)", key, second[key], want, out.String())
		}
	}
	if errs, ok := second["errors"].([]any); !ok || len(errs) != 0 {
		t.Errorf("files[1].errors = %v, want [] (the malformed line was reported by the first run)", second["errors"])
	}
	for _, bad := range []Config{
		{Progress: "sometimes"},
		{Progress: "off", PruneBefore: "yesterday"},
		{Progress: "off", CPUProfile: filepath.Join(dir, "no-such-dir", "cpu.pprof")},
	} {
		out.Reset()
		bad.JSON = true
		if err := Run(context.Background(), bad, env(&out)); err == nil || !strings.Contains(out.String(), `"error"`) {
			t.Errorf("%+v: err %v, stdout %s", bad, err, out.String())
		}
	}
}

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	in := &Input{Name: "a.log", Size: 10, r: strings.NewReader("0123456789")}
	bar := newProgressBar(&out, in)
	io.Copy(io.Discard, in)
	bar.update(logstats.LoadProgress{Lines: 1234})
	bar.stop()
	bar.stop() // twice is harmless
	if s := out.String(); !strings.Contains(s, "100%") || !strings.Contains(s, "1,234 lines") || !strings.Contains(s, "lines/s") {
		t.Fatalf("progress bar: %q", s)
	}
	if IsTerminal(&out) {
		t.Error("a buffer is a terminal")
	}
	if devNull, err := os.Open(os.DevNull); err == nil {
		defer devNull.Close()
		if IsTerminal(devNull) {
			t.Error("/dev/null, a character device, is taken for a terminal")
		}
	}
}
